/// Alarm flags of a location report (JT/T 808-2019 table 24; 2011/2013 bits keep these meanings).
public struct AlarmFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let emergency = AlarmFlags(rawValue: 1 << 0)
    public static let overspeed = AlarmFlags(rawValue: 1 << 1)
    /// Bit 2: fatigue driving (2019 meaning).
    public static let fatigueDriving = AlarmFlags(rawValue: 1 << 2)
    public static let dangerWarning = AlarmFlags(rawValue: 1 << 3)
    public static let gnssModuleFault = AlarmFlags(rawValue: 1 << 4)
    public static let gnssAntennaDisconnected = AlarmFlags(rawValue: 1 << 5)
    public static let gnssAntennaShortCircuit = AlarmFlags(rawValue: 1 << 6)
    public static let mainPowerUndervoltage = AlarmFlags(rawValue: 1 << 7)
    public static let mainPowerCut = AlarmFlags(rawValue: 1 << 8)
    public static let displayFault = AlarmFlags(rawValue: 1 << 9)
    public static let ttsFault = AlarmFlags(rawValue: 1 << 10)
    public static let cameraFault = AlarmFlags(rawValue: 1 << 11)
    public static let icCardFault = AlarmFlags(rawValue: 1 << 12)
    public static let overspeedWarning = AlarmFlags(rawValue: 1 << 13)
    public static let fatigueDrivingWarning = AlarmFlags(rawValue: 1 << 14)
    /// Bits 15-17 are new in 2019 (reserved before): 违规行驶报警, 胎压预警, 右转盲区异常报警.
    public static let violationDriving = AlarmFlags(rawValue: 1 << 15)
    public static let tyrePressureWarning = AlarmFlags(rawValue: 1 << 16)
    public static let rightTurnBlindAreaAbnormal = AlarmFlags(rawValue: 1 << 17)
    /// Bit 18: the day's cumulative driving time is exceeded (some servers mislabel this bit).
    public static let dailyDrivingTimeExceeded = AlarmFlags(rawValue: 1 << 18)
    public static let overtimeParking = AlarmFlags(rawValue: 1 << 19)
    public static let areaInOut = AlarmFlags(rawValue: 1 << 20)
    public static let routeInOut = AlarmFlags(rawValue: 1 << 21)
    public static let routeDrivingTime = AlarmFlags(rawValue: 1 << 22)
    public static let routeDeviation = AlarmFlags(rawValue: 1 << 23)
    public static let vssFault = AlarmFlags(rawValue: 1 << 24)
    public static let abnormalFuel = AlarmFlags(rawValue: 1 << 25)
    public static let vehicleStolen = AlarmFlags(rawValue: 1 << 26)
    public static let illegalIgnition = AlarmFlags(rawValue: 1 << 27)
    public static let illegalDisplacement = AlarmFlags(rawValue: 1 << 28)
    public static let collisionWarning = AlarmFlags(rawValue: 1 << 29)
    public static let rolloverWarning = AlarmFlags(rawValue: 1 << 30)
    public static let illegalDoorOpening = AlarmFlags(rawValue: 1 << 31)

    /// Every named flag with its stable name, in bit order (for JSON, logs and event tables).
    public static let named: [(name: String, flag: AlarmFlags)] = [
        ("emergency", .emergency), ("overspeed", .overspeed), ("fatigueDriving", .fatigueDriving),
        ("dangerWarning", .dangerWarning), ("gnssModuleFault", .gnssModuleFault),
        ("gnssAntennaDisconnected", .gnssAntennaDisconnected), ("gnssAntennaShortCircuit", .gnssAntennaShortCircuit),
        ("mainPowerUndervoltage", .mainPowerUndervoltage), ("mainPowerCut", .mainPowerCut),
        ("displayFault", .displayFault), ("ttsFault", .ttsFault), ("cameraFault", .cameraFault),
        ("icCardFault", .icCardFault), ("overspeedWarning", .overspeedWarning),
        ("fatigueDrivingWarning", .fatigueDrivingWarning), ("violationDriving", .violationDriving),
        ("tyrePressureWarning", .tyrePressureWarning), ("rightTurnBlindAreaAbnormal", .rightTurnBlindAreaAbnormal),
        ("dailyDrivingTimeExceeded", .dailyDrivingTimeExceeded),
        ("overtimeParking", .overtimeParking), ("areaInOut", .areaInOut), ("routeInOut", .routeInOut),
        ("routeDrivingTime", .routeDrivingTime), ("routeDeviation", .routeDeviation), ("vssFault", .vssFault),
        ("abnormalFuel", .abnormalFuel), ("vehicleStolen", .vehicleStolen), ("illegalIgnition", .illegalIgnition),
        ("illegalDisplacement", .illegalDisplacement), ("collisionWarning", .collisionWarning),
        ("rolloverWarning", .rolloverWarning), ("illegalDoorOpening", .illegalDoorOpening),
    ]

    public var names: [String] { Self.named.filter { contains($0.flag) }.map(\.name) }
}

/// Status flags of a location report (JT/T 808-2019 table 25).
public struct StatusFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let accOn = StatusFlags(rawValue: 1 << 0)
    public static let positioned = StatusFlags(rawValue: 1 << 1)
    public static let southLatitude = StatusFlags(rawValue: 1 << 2)
    public static let westLongitude = StatusFlags(rawValue: 1 << 3)
    public static let outOfService = StatusFlags(rawValue: 1 << 4)
    public static let coordinatesEncrypted = StatusFlags(rawValue: 1 << 5)
    public static let fuelCircuitCut = StatusFlags(rawValue: 1 << 10)
    public static let electricCircuitCut = StatusFlags(rawValue: 1 << 11)
    public static let doorLocked = StatusFlags(rawValue: 1 << 12)
    public static let door1Open = StatusFlags(rawValue: 1 << 13)
    public static let door2Open = StatusFlags(rawValue: 1 << 14)
    public static let door3Open = StatusFlags(rawValue: 1 << 15)
    public static let door4Open = StatusFlags(rawValue: 1 << 16)
    public static let door5Open = StatusFlags(rawValue: 1 << 17)
    public static let usesGPS = StatusFlags(rawValue: 1 << 18)
    public static let usesBeiDou = StatusFlags(rawValue: 1 << 19)
    public static let usesGLONASS = StatusFlags(rawValue: 1 << 20)
    public static let usesGalileo = StatusFlags(rawValue: 1 << 21)
    public static let moving = StatusFlags(rawValue: 1 << 22)

    /// Bits 8-9: 0 empty, 1 half load, 3 full load.
    public var load: UInt8 { UInt8((rawValue >> 8) & 0b11) }
}

/// An additional item the codec does not decode itself: vendor items, and standard items of an
/// unexpected length. A device profile may decode it (see `DeviceProfile`).
public struct RawExtra: Hashable, Sendable {
    public var id: UInt8
    public var bytes: [UInt8]
    /// The item declared more bytes than the body had left; `bytes` holds what was there.
    public var overran: Bool
    /// How many items came before this one on the wire, so that encoding keeps the order.
    public var position: UInt8

    public init(id: UInt8, bytes: [UInt8], overran: Bool = false, position: UInt8 = .max) {
        self.id = id
        self.bytes = bytes
        self.overran = overran
        self.position = position
    }

    /// It overran the body, or it is a standard item of a length the standard does not give it.
    public var isMalformed: Bool { overran || LocationExtras.isStandard(id) }

    /// The strict profile's refusal of a report carrying this item (`at`: where the items start).
    public func error(at offset: Int) -> JT808Error {
        let id = "0x" + String(id, radix: 16, uppercase: true)
        return overran
            ? JT808Error(.lengthMismatch, at: offset, "additional item \(id) declares more bytes than the body has left (\(bytes.count))")
            : JT808Error(.badField, at: offset, "additional item \(id) has \(bytes.count) bytes, not the standard's length")
    }
}

/// Extra 0x11: over-speed alarm with its location type (0 none, 1 circle, 2 rectangle, 3 polygon, 4 route).
public struct OverspeedExtra: Hashable, Sendable {
    public var locationType: UInt8
    public var areaID: UInt32?
    public init(locationType: UInt8, areaID: UInt32?) {
        self.locationType = locationType
        self.areaID = areaID
    }
}

/// Extra 0x12: entering (0) or leaving (1) an area or route.
public struct AreaAlarmExtra: Hashable, Sendable {
    public var locationType: UInt8
    public var areaID: UInt32
    public var direction: UInt8
    public init(locationType: UInt8, areaID: UInt32, direction: UInt8) {
        self.locationType = locationType
        self.areaID = areaID
        self.direction = direction
    }
}

/// Extra 0x13: a route section driven too briefly (result 0) or too long (1).
public struct RouteTimeExtra: Hashable, Sendable {
    public var sectionID: UInt32
    public var drivingSeconds: UInt16
    public var result: UInt8
    public init(sectionID: UInt32, drivingSeconds: UInt16, result: UInt8) {
        self.sectionID = sectionID
        self.drivingSeconds = drivingSeconds
        self.result = result
    }
}

/// The additional items of a location report. The standard ones are typed fields, so that a
/// report with only standard items is decoded without a heap allocation; they are stored
/// unboxed behind a presence mask (optionals would double the struct, and every copy of a
/// decoded report pays for its size).
public struct LocationExtras: Hashable, Sendable {
    @usableFromInline var present: UInt16 = 0
    @usableFromInline var mileageValue: UInt32 = 0
    @usableFromInline var vehicleSignalsValue: UInt32 = 0
    @usableFromInline var analogValue: UInt32 = 0
    @usableFromInline var fuelValue: UInt16 = 0
    @usableFromInline var recorderSpeedValue: UInt16 = 0
    @usableFromInline var alarmEventIDValue: UInt16 = 0
    @usableFromInline var carriageTemperatureValue: Int16 = 0
    @usableFromInline var ioStatusValue: UInt16 = 0
    @usableFromInline var signalStrengthValue: UInt8 = 0
    @usableFromInline var satellitesValue: UInt8 = 0
    @usableFromInline var overspeedValue = OverspeedExtra(locationType: 0, areaID: nil)
    @usableFromInline var areaAlarmValue = AreaAlarmExtra(locationType: 0, areaID: 0, direction: 0)
    @usableFromInline var routeTimeValue = RouteTimeExtra(sectionID: 0, drivingSeconds: 0, result: 0)

    @usableFromInline enum Bit {
        @usableFromInline static let mileage: UInt16 = 1 << 0
        @usableFromInline static let fuel: UInt16 = 1 << 1
        @usableFromInline static let recorderSpeed: UInt16 = 1 << 2
        @usableFromInline static let alarmEventID: UInt16 = 1 << 3
        @usableFromInline static let carriageTemperature: UInt16 = 1 << 4
        @usableFromInline static let overspeed: UInt16 = 1 << 5
        @usableFromInline static let areaAlarm: UInt16 = 1 << 6
        @usableFromInline static let routeTime: UInt16 = 1 << 7
        @usableFromInline static let vehicleSignals: UInt16 = 1 << 8
        @usableFromInline static let ioStatus: UInt16 = 1 << 9
        @usableFromInline static let analog: UInt16 = 1 << 10
        @usableFromInline static let signalStrength: UInt16 = 1 << 11
        @usableFromInline static let satellites: UInt16 = 1 << 12
    }

    /// Reads or writes one field behind its presence bit; absent fields are stored as zero so
    /// that equal extras are equal bit for bit.
    @inlinable
    mutating func set<T>(_ bit: UInt16, _ field: WritableKeyPath<LocationExtras, T>, _ value: T?, zero: T) {
        if let value {
            self[keyPath: field] = value
            present |= bit
        } else {
            self[keyPath: field] = zero
            present &= ~bit
        }
    }

    /// 0x01, 0.1 km.
    public var mileage: UInt32? {
        get { present & Bit.mileage != 0 ? mileageValue : nil }
        set { set(Bit.mileage, \.mileageValue, newValue, zero: 0) }
    }
    /// 0x02, 0.1 L.
    public var fuel: UInt16? {
        get { present & Bit.fuel != 0 ? fuelValue : nil }
        set { set(Bit.fuel, \.fuelValue, newValue, zero: 0) }
    }
    /// 0x03, speed from the driving recorder, 0.1 km/h.
    public var recorderSpeed: UInt16? {
        get { present & Bit.recorderSpeed != 0 ? recorderSpeedValue : nil }
        set { set(Bit.recorderSpeed, \.recorderSpeedValue, newValue, zero: 0) }
    }
    /// 0x04, id of an alarm event that needs manual confirmation.
    public var alarmEventID: UInt16? {
        get { present & Bit.alarmEventID != 0 ? alarmEventIDValue : nil }
        set { set(Bit.alarmEventID, \.alarmEventIDValue, newValue, zero: 0) }
    }
    /// 0x06, carriage temperature in °C (2019).
    public var carriageTemperature: Int16? {
        get { present & Bit.carriageTemperature != 0 ? carriageTemperatureValue : nil }
        set { set(Bit.carriageTemperature, \.carriageTemperatureValue, newValue, zero: 0) }
    }
    /// 0x11, over-speed alarm details.
    public var overspeed: OverspeedExtra? {
        get { present & Bit.overspeed != 0 ? overspeedValue : nil }
        set { set(Bit.overspeed, \.overspeedValue, newValue, zero: OverspeedExtra(locationType: 0, areaID: nil)) }
    }
    /// 0x12, area or route entered or left.
    public var areaAlarm: AreaAlarmExtra? {
        get { present & Bit.areaAlarm != 0 ? areaAlarmValue : nil }
        set { set(Bit.areaAlarm, \.areaAlarmValue, newValue, zero: AreaAlarmExtra(locationType: 0, areaID: 0, direction: 0)) }
    }
    /// 0x13, route section driving time.
    public var routeTime: RouteTimeExtra? {
        get { present & Bit.routeTime != 0 ? routeTimeValue : nil }
        set { set(Bit.routeTime, \.routeTimeValue, newValue, zero: RouteTimeExtra(sectionID: 0, drivingSeconds: 0, result: 0)) }
    }
    /// 0x25, extended vehicle signal bits.
    public var vehicleSignals: UInt32? {
        get { present & Bit.vehicleSignals != 0 ? vehicleSignalsValue : nil }
        set { set(Bit.vehicleSignals, \.vehicleSignalsValue, newValue, zero: 0) }
    }
    /// 0x2A, IO status bits.
    public var ioStatus: UInt16? {
        get { present & Bit.ioStatus != 0 ? ioStatusValue : nil }
        set { set(Bit.ioStatus, \.ioStatusValue, newValue, zero: 0) }
    }
    /// 0x2B, analog values (AD0 low word, AD1 high word).
    public var analog: UInt32? {
        get { present & Bit.analog != 0 ? analogValue : nil }
        set { set(Bit.analog, \.analogValue, newValue, zero: 0) }
    }
    /// 0x30, wireless signal strength.
    public var signalStrength: UInt8? {
        get { present & Bit.signalStrength != 0 ? signalStrengthValue : nil }
        set { set(Bit.signalStrength, \.signalStrengthValue, newValue, zero: 0) }
    }
    /// 0x31, GNSS satellites in view.
    public var satellites: UInt8? {
        get { present & Bit.satellites != 0 ? satellitesValue : nil }
        set { set(Bit.satellites, \.satellitesValue, newValue, zero: 0) }
    }
    /// Everything else, in wire order.
    public var others: [RawExtra]

    public init() { others = [] }

    /// Whether the report carried no additional item at all.
    public var isEmpty: Bool { present == 0 && others.isEmpty }

    /// Items that were malformed: a standard item of the wrong length, or an item that overran the body.
    public var malformedCount: Int { others.lazy.filter(\.isMalformed).count }

    /// The first malformed item, which the strict profile refuses the report for.
    public var firstMalformed: RawExtra? { others.first(where: \.isMalformed) }

    static func isStandard(_ id: UInt8) -> Bool {
        switch id {
        case 0x01, 0x02, 0x03, 0x04, 0x06, 0x11, 0x12, 0x13, 0x25, 0x2A, 0x2B, 0x30, 0x31: return true
        default: return false
        }
    }

    /// Reads items to the end of `r`. Never fails: an unknown item is kept raw, one of an
    /// unexpected length is kept raw (and counted as malformed), and one that overruns ends the list.
    @inlinable
    static func read(_ r: inout ByteReader) -> LocationExtras {
        var extras = LocationExtras()
        var position: UInt8 = 0
        while r.remaining >= 2 {
            let id = r.bytes[r.position]
            let length = Int(r.bytes[r.position + 1])
            r.position += 2
            guard length <= r.remaining else {
                extras.others.append(RawExtra(id: id, bytes: [UInt8](r.rest()), overran: true, position: position))
                return extras
            }
            let p = r.position
            r.position += length
            if !extras.decodeStandard(id: id, length: length, at: p, in: r.bytes) {
                extras.others.append(RawExtra(id: id, bytes: [UInt8](UnsafeRawBufferPointer(rebasing: r.bytes[p..<p + length])), position: position))
            }
            position &+= 1
        }
        if r.remaining == 1 {
            extras.others.append(RawExtra(id: r.bytes[r.position], bytes: [], overran: true, position: position))
            r.position += 1
        }
        return extras
    }

    @inlinable
    mutating func decodeStandard(id: UInt8, length: Int, at p: Int, in b: UnsafeRawBufferPointer) -> Bool {
        @inline(__always) func u16(_ o: Int) -> UInt16 { UInt16(bigEndian: b.loadUnaligned(fromByteOffset: p + o, as: UInt16.self)) }
        @inline(__always) func u32(_ o: Int) -> UInt32 { UInt32(bigEndian: b.loadUnaligned(fromByteOffset: p + o, as: UInt32.self)) }
        switch (id, length) {
        case (0x01, 4): mileageValue = u32(0); present |= Bit.mileage
        case (0x02, 2): fuelValue = u16(0); present |= Bit.fuel
        case (0x03, 2): recorderSpeedValue = u16(0); present |= Bit.recorderSpeed
        case (0x04, 2): alarmEventIDValue = u16(0); present |= Bit.alarmEventID
        case (0x06, 2): carriageTemperatureValue = Int16(bitPattern: u16(0)); present |= Bit.carriageTemperature
        case (0x11, 1): overspeedValue = OverspeedExtra(locationType: b[p], areaID: nil); present |= Bit.overspeed
        case (0x11, 5):
            overspeedValue = OverspeedExtra(locationType: b[p], areaID: UInt32(bigEndian: b.loadUnaligned(fromByteOffset: p + 1, as: UInt32.self)));
            present |= Bit.overspeed
        case (0x12, 6):
            areaAlarmValue = AreaAlarmExtra(
                locationType: b[p], areaID: UInt32(bigEndian: b.loadUnaligned(fromByteOffset: p + 1, as: UInt32.self)), direction: b[p + 5]);
            present |= Bit.areaAlarm
        case (0x13, 7): routeTimeValue = RouteTimeExtra(sectionID: u32(0), drivingSeconds: u16(4), result: b[p + 6]); present |= Bit.routeTime
        case (0x25, 4): vehicleSignalsValue = u32(0); present |= Bit.vehicleSignals
        case (0x2A, 2): ioStatusValue = u16(0); present |= Bit.ioStatus
        case (0x2B, 4): analogValue = u32(0); present |= Bit.analog
        case (0x30, 1): signalStrengthValue = b[p]; present |= Bit.signalStrength
        case (0x31, 1): satellitesValue = b[p]; present |= Bit.satellites
        default: return false
        }
        return true
    }

    /// Standard items in id order, the others at the wire positions they were read from (so a
    /// decoded report encodes to the same bytes), or after the standard ones when built in code.
    func write(into w: inout ByteWriter) {
        var standard = ByteWriter()
        var starts: [Int] = []
        func item(_ id: UInt8, _ body: (inout ByteWriter) -> Void) {
            starts.append(standard.bytes.count)
            standard.u8(id)
            standard.u8(0)
            let lengthAt = standard.bytes.count - 1
            body(&standard)
            standard.bytes[lengthAt] = UInt8(standard.bytes.count - lengthAt - 1)
        }
        if let mileage { item(0x01) { $0.u32(mileage) } }
        if let fuel { item(0x02) { $0.u16(fuel) } }
        if let recorderSpeed { item(0x03) { $0.u16(recorderSpeed) } }
        if let alarmEventID { item(0x04) { $0.u16(alarmEventID) } }
        if let carriageTemperature { item(0x06) { $0.u16(UInt16(bitPattern: carriageTemperature)) } }
        if let overspeed {
            item(0x11) { w in
                w.u8(overspeed.locationType)
                if let area = overspeed.areaID { w.u32(area) }
            }
        }
        if let a = areaAlarm {
            item(0x12) {
                $0.u8(a.locationType); $0.u32(a.areaID); $0.u8(a.direction)
            }
        }
        if let t = routeTime {
            item(0x13) {
                $0.u32(t.sectionID); $0.u16(t.drivingSeconds); $0.u8(t.result)
            }
        }
        if let vehicleSignals { item(0x25) { $0.u32(vehicleSignals) } }
        if let ioStatus { item(0x2A) { $0.u16(ioStatus) } }
        if let analog { item(0x2B) { $0.u32(analog) } }
        if let signalStrength { item(0x30) { $0.u8(signalStrength) } }
        if let satellites { item(0x31) { $0.u8(satellites) } }
        starts.append(standard.bytes.count)

        var written = 0
        var nextStandard = 0
        func flushStandard(upTo position: Int) {
            while nextStandard < starts.count - 1, written < position {
                w.append(standard.bytes[starts[nextStandard]..<starts[nextStandard + 1]])
                nextStandard += 1
                written += 1
            }
        }
        for other in others {
            flushStandard(upTo: Int(other.position))
            w.u8(other.id)
            w.u8(UInt8(clamping: other.bytes.count))
            w.append(other.bytes.prefix(255))
            written += 1
        }
        flushStandard(upTo: .max)
    }
}

/// A position as a terminal reports it (0x0200, and each item of 0x0704 and 0x0201).
public struct LocationReport: Hashable, Sendable {
    public var alarm: AlarmFlags
    public var status: StatusFlags
    /// Unsigned degrees x 10^6 as sent; the hemisphere is in `status`.
    public var latitudeMicrodegrees: UInt32
    public var longitudeMicrodegrees: UInt32
    /// Metres above sea level (the WORD read as signed: a few devices send negative altitudes).
    public var altitude: Int16
    /// 0.1 km/h.
    public var speed: UInt16
    /// Degrees clockwise from north, 0-359.
    public var course: UInt16
    public var time: DeviceTime
    public var extras: LocationExtras

    public init(
        alarm: AlarmFlags = [], status: StatusFlags = [], latitudeMicrodegrees: UInt32, longitudeMicrodegrees: UInt32,
        altitude: Int16 = 0, speed: UInt16 = 0, course: UInt16 = 0, time: DeviceTime, extras: LocationExtras = LocationExtras()
    ) {
        self.alarm = alarm
        self.status = status
        self.latitudeMicrodegrees = latitudeMicrodegrees
        self.longitudeMicrodegrees = longitudeMicrodegrees
        self.altitude = altitude
        self.speed = speed
        self.course = course
        self.time = time
        self.extras = extras
    }

    /// Signed latitude x 10^6 (south negative).
    public var latitudeE6: Int64 {
        status.contains(.southLatitude) ? -Int64(latitudeMicrodegrees) : Int64(latitudeMicrodegrees)
    }
    /// Signed longitude x 10^6 (west negative).
    public var longitudeE6: Int64 {
        status.contains(.westLongitude) ? -Int64(longitudeMicrodegrees) : Int64(longitudeMicrodegrees)
    }

    /// The fixed part is 28 bytes; items follow.
    public static let fixedLength = 28

    @inlinable
    static func read(_ r: inout ByteReader, utcOffsetMinutes: Int16, strict: Bool) throws(JT808Error) -> LocationReport {
        try r.need(fixedLength, "location")
        let alarm = try r.u32()
        let status = try r.u32()
        let lat = try r.u32()
        let lon = try r.u32()
        let altitude = try r.u16()
        let speed = try r.u16()
        let course = try r.u16()
        let time = try DeviceTime.read(&r, utcOffsetMinutes: utcOffsetMinutes)
        let extrasAt = r.offsetInFrame
        let extras = LocationExtras.read(&r)
        if strict, let bad = extras.firstMalformed { throw bad.error(at: extrasAt) }
        return LocationReport(
            alarm: AlarmFlags(rawValue: alarm), status: StatusFlags(rawValue: status),
            latitudeMicrodegrees: lat, longitudeMicrodegrees: lon, altitude: Int16(bitPattern: altitude),
            speed: speed, course: course, time: time, extras: extras
        )
    }

    func write(into w: inout ByteWriter) {
        w.u32(alarm.rawValue)
        w.u32(status.rawValue)
        w.u32(latitudeMicrodegrees)
        w.u32(longitudeMicrodegrees)
        w.u16(UInt16(bitPattern: altitude))
        w.u16(speed)
        w.u16(course)
        time.write(into: &w)
        extras.write(into: &w)
    }
}
