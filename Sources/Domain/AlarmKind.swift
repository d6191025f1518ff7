/// A terminal's alarm as JT/T 808-2019 table 24 defines it: the stable name of its bit (the
/// names of the decoded JSON and of the events table, docs/JT808-JSON.md), the standard's own
/// Chinese name for display, and whether the terminal keeps it on until the platform confirms
/// it (0x8203) rather than until its condition ends.
///
/// Names as in SmallChi/JT808 (src/JT808.Protocol/Enums/JT808Alarm.cs, 2013) and the 2019 text
/// (bits 15-17 new, bit 3 renamed 危险驾驶行为报警, bit 29 碰撞侧翻报警, bit 31 reserved).
public struct AlarmKind: Sendable, Hashable {
    public var name: String
    public var bit: Int
    public var chinese: String
    /// "收到应答后清零": cleared once the platform confirms it (bits 0, 3, 20-22, 27, 28; bit 3
    /// so in 2013, still common in the field).
    public var confirmedByPlatform: Bool

    init(_ bit: Int, _ name: String, _ chinese: String, confirmed: Bool = false) {
        (self.bit, self.name, self.chinese, self.confirmedByPlatform) = (bit, name, chinese, confirmed)
    }

    /// The alarm's bit in a report's alarm word.
    public var mask: UInt32 { 1 << UInt32(bit) }

    /// Every bit of table 24, in bit order.
    public static let all: [AlarmKind] = [
        AlarmKind(0, "emergency", "紧急报警", confirmed: true),
        AlarmKind(1, "overspeed", "超速报警"),
        AlarmKind(2, "fatigueDriving", "疲劳驾驶报警"),
        AlarmKind(3, "dangerWarning", "危险驾驶行为报警", confirmed: true),
        AlarmKind(4, "gnssModuleFault", "GNSS模块发生故障报警"),
        AlarmKind(5, "gnssAntennaDisconnected", "GNSS天线未接或被剪断报警"),
        AlarmKind(6, "gnssAntennaShortCircuit", "GNSS天线短路报警"),
        AlarmKind(7, "mainPowerUndervoltage", "终端主电源欠压报警"),
        AlarmKind(8, "mainPowerCut", "终端主电源掉电报警"),
        AlarmKind(9, "displayFault", "终端LCD或显示器故障报警"),
        AlarmKind(10, "ttsFault", "TTS模块故障报警"),
        AlarmKind(11, "cameraFault", "摄像头故障报警"),
        AlarmKind(12, "icCardFault", "道路运输证IC卡模块故障报警"),
        AlarmKind(13, "overspeedWarning", "超速预警"),
        AlarmKind(14, "fatigueDrivingWarning", "疲劳驾驶预警"),
        AlarmKind(15, "violationDriving", "违规行驶报警"),
        AlarmKind(16, "tyrePressureWarning", "胎压预警"),
        AlarmKind(17, "rightTurnBlindAreaAbnormal", "右转盲区异常报警"),
        AlarmKind(18, "dailyDrivingTimeExceeded", "当天累计驾驶超时报警"),
        AlarmKind(19, "overtimeParking", "超时停车报警"),
        AlarmKind(20, "areaInOut", "进出区域报警", confirmed: true),
        AlarmKind(21, "routeInOut", "进出路线报警", confirmed: true),
        AlarmKind(22, "routeDrivingTime", "路段行驶时间不足/过长报警", confirmed: true),
        AlarmKind(23, "routeDeviation", "路线偏离报警"),
        AlarmKind(24, "vssFault", "车辆VSS故障"),
        AlarmKind(25, "abnormalFuel", "车辆油量异常报警"),
        AlarmKind(26, "vehicleStolen", "车辆被盗报警"),
        AlarmKind(27, "illegalIgnition", "车辆非法点火报警", confirmed: true),
        AlarmKind(28, "illegalDisplacement", "车辆非法位移报警", confirmed: true),
        AlarmKind(29, "collisionWarning", "碰撞侧翻报警"),
        AlarmKind(30, "rolloverWarning", "侧翻预警"),
        AlarmKind(31, "illegalDoorOpening", "非法开门报警"),
    ]

    private static let byName = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    public static func named(_ name: String) -> AlarmKind? { byName[name] }

    /// The bits a platform's confirmation (0x8203) clears.
    public static let confirmable = all.filter(\.confirmedByPlatform).reduce(UInt32(0)) { $0 | $1.mask }

    /// The alarms that replace a crew on its way by default (FLEET_REPLACING_ALARMS): an accident.
    public static let replacingByDefault: Set<String> = ["collisionWarning", "rolloverWarning"]
}
