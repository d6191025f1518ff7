import Foundation
import JT808
import Testing

/// Issue 17: a device profile names which of its vendor items are the traction battery's state
/// of charge, remaining range and charging state (DeviceProfiles/huabao-ev.json); decoded exactly
/// (whole units, rounded down), only adding to what the report says.
@Suite struct BatteryTelemetryTests {
    let profile = profiles["huabao-ev"]!

    func battery(_ hex: String, _ profile: DeviceProfile? = nil) throws -> BatteryState? {
        let profile = profile ?? self.profile
        guard case .location(let report)? = try decodeWire(bytes(hex), FrameDecoder(profile: profile)).message else {
            Issue.record("not a location report")
            return nil
        }
        return profile.batteryState(report.extras)
    }

    @Test func traccarsBatteryLevelIsTheStateOfCharge() throws {
        // traccar/traccar src/test/java/org/traccar/protocol/HuabaoProtocolDecoderTest.java: this
        // frame's item 0xFE (0x45) is asserted as KEY_BATTERY_LEVEL 69; it carries no range.
        let frame = "7e02000033202011200010001300020000000400020158b30006c93ee5002000000000201127162937010400000000fe0145ff0c01cc00000000263300000f3e627e"
        #expect(try battery(frame) == BatteryState(stateOfChargePercent: 69, rangeKm: nil, charging: nil))
        // The standard's reading of the same frame knows nothing of it.
        #expect(try battery(frame, DeviceProfile(name: "standard")) == nil)
    }

    @Test func rangeAndChargingStateFromTheNestedItem() throws {
        // 0xFE = 0x39: 57 %; 0xE3 = 0x0100 km, state 1 (GB/T 32960.3: charging, parked).
        let charging = "7e020000240139000000010001000000000000000301c7c10c073e9d400008012c005a261203160000fe0139e3030100018a7e"
        #expect(try battery(charging) == BatteryState(stateOfChargePercent: 57, rangeKm: 256, charging: true))
        // 0xFE = 0x14: 20 %; 0xE3 = 0x003c km, state 3 (not charging).
        let driving = "7e020000240139000000010001000000000000000301c7c10c073e9d400008012c005a261203160000fe0114e303003c03987e"
        #expect(try battery(driving) == BatteryState(stateOfChargePercent: 20, rangeKm: 60, charging: false))
    }

    @Test func aValueOutOfRangeOrAnItemTooShortAddsNothing() throws {
        // 0xFE = 0x65: 101 % is no state of charge; 0xE3 of 2 bytes does not fit its 3-byte layout
        // (it stays raw): nothing is read, and the report itself stands.
        let frame = "7e020000230139000000010001000000000000000301c7c10c073e9d400008012c005a261203160000fe0165e30200c8187e"
        #expect(try battery(frame) == nil)
    }

    @Test func aScaledItemIsRoundedDownToWholeUnits() throws {
        // A profile whose state of charge is in tenths of a percent: 87.9 % reads as 87, never 88.
        let tenths = DeviceProfile(
            name: "tenths", extras: [0xFE: .init(name: "soc", format: .unsigned(bytes: 2, decimals: 1))],
            telemetry: .init(stateOfCharge: ["soc"]))
        var extras = LocationExtras()
        extras.others = [RawExtra(id: 0xFE, bytes: [0x03, 0x6F])]
        #expect(tenths.batteryState(extras) == BatteryState(stateOfChargePercent: 87, rangeKm: nil, charging: nil))
    }

    @Test func aTelemetryPathMustNameAnIntegerItem() {
        let json = #"{"name": "bad", "extras": {"0xE3": {"name": "ev", "type": "struct", "fields": [{"name": "label", "type": "string", "length": 2}]}},"#
        for telemetry in [#""telemetry": {"stateOfCharge": "ev.label"}}"#, #""telemetry": {"rangeKm": "ev.missing"}}"#] {
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(DeviceProfile.self, from: Data((json + telemetry).utf8)) }
        }
    }
}
