/// A date as 4 BCD bytes `YYYY MM DD` (the validity of a driver's qualification certificate).
public struct CardDate: Hashable, Sendable, CustomStringConvertible {
    public var year: UInt16
    public var month: UInt8
    public var day: UInt8

    public init(year: Int, month: Int, day: Int) {
        self.year = UInt16(clamping: year)
        self.month = UInt8(clamping: month)
        self.day = UInt8(clamping: day)
    }

    static func read(_ r: inout ByteReader, _ field: StaticString) throws(JT808Error) -> CardDate {
        let start = r.offsetInFrame
        let raw = try r.slice(4, field)
        var digits: [Int] = []
        for b in raw {
            guard b >> 4 <= 9, b & 0x0f <= 9 else { throw JT808Error(.badField, at: start, "\(field) is not BCD") }
            digits.append(Int(b >> 4) * 10 + Int(b & 0x0f))
        }
        let date = CardDate(year: digits[0] * 100 + digits[1], month: digits[2], day: digits[3])
        guard (1...12).contains(date.month), date.day >= 1, Int(date.day) <= daysInMonth(Int(date.year), Int(date.month)) else {
            throw JT808Error(.badField, at: start, "\(field) \(date) is not a date")
        }
        return date
    }

    func write(into w: inout ByteWriter) {
        for v in [Int(year) / 100, Int(year) % 100, Int(month), Int(day)] { w.u8(UInt8(v / 10 % 10) << 4 | UInt8(v % 10)) }
    }

    /// `2018-08-16`.
    public var description: String {
        func pad(_ v: Int, _ n: Int) -> String { String(repeating: "0", count: max(0, n - String(v).count)) + String(v) }
        return "\(pad(Int(year), 4))-\(pad(Int(month), 2))-\(pad(Int(day), 2))"
    }
}

/// 0x0702 driver identity: the driver's IC card (qualification certificate) read by the terminal.
///
/// Three layouts. 2011: name, ID number (20), certificate (40), issuing authority, sent when a
/// card is read. 2013: the card inserted (1) or removed (2) with its time; when inserted, the read
/// result, and when that is 0 (read), name, certificate (20), authority and validity. 2019 adds
/// the driver's ID card number (20) after the validity.
public struct DriverIdentity: Hashable, Sendable {
    public enum CardStatus: UInt8, Sendable {
        /// The driver signs in (上班).
        case inserted = 1
        /// The driver signs out (下班).
        case removed = 2
    }

    /// nil in the 2011 layout, which only reports a card read (the driver signing in).
    public var cardStatus: UInt8?
    /// When the card went in or out; nil in 2011.
    public var time: DeviceTime?
    /// 0 read, 1 key not accepted, 2 card locked, 3 card pulled out, 4 checksum error; nil when
    /// removed and in 2011.
    public var readResult: UInt8?
    public var name: String
    /// The qualification certificate number (从业资格证编码), matched against the drivers' files.
    public var certificate: String
    public var authority: String
    /// nil in 2011.
    public var validity: CardDate?
    /// The driver's ID card number: 2011 and 2019 only.
    public var idNumber: String?

    public init(
        cardStatus: CardStatus?, time: DeviceTime?, readResult: UInt8? = nil, name: String = "", certificate: String = "",
        authority: String = "", validity: CardDate? = nil, idNumber: String? = nil
    ) {
        self.cardStatus = cardStatus?.rawValue
        self.time = time
        self.readResult = readResult
        self.name = name
        self.certificate = certificate
        self.authority = authority
        self.validity = validity
        self.idNumber = idNumber
    }

    /// Whether the card was read and identifies a driver signing in.
    public var signsIn: Bool { cardStatus == nil || (cardStatus == CardStatus.inserted.rawValue && readResult == 0) }

    /// 2011 and 2013 share a header: a 2013 body starts with its status (1 or 2) and a BCD date
    /// and time, a 2011 body with the name's length, then the name (a Chinese name's bytes are
    /// no BCD; a one- or two-letter ASCII one and the ID number's digits make no date).
    static func layout(body: UnsafeRawBufferPointer, headerVersion: ProtocolVersion) -> ProtocolVersion {
        if headerVersion == .v2019 { return .v2019 }
        guard body.count >= 7, body[0] == 1 || body[0] == 2 else { return .v2011 }
        var fields: [Int] = []
        for b in body[1..<7] {
            guard b >> 4 <= 9, b & 0x0f <= 9 else { return .v2011 }
            fields.append(Int(b >> 4) * 10 + Int(b & 0x0f))
        }
        let isTime = (1...12).contains(fields[1]) && (1...31).contains(fields[2]) && fields[3] < 24 && fields[4] < 60 && fields[5] < 60
        return isTime ? .v2013 : .v2011
    }

    static func read(_ r: inout ByteReader, version: ProtocolVersion, utcOffsetMinutes: Int16) throws(JT808Error) -> DriverIdentity {
        if version == .v2011 {
            var m = DriverIdentity(cardStatus: nil, time: nil)
            m.name = try r.byteLengthString("driver name")
            m.idNumber = try r.fixedString(20, "ID number", version: version)
            m.certificate = try r.fixedString(40, "certificate", version: version)
            m.authority = try r.byteLengthString("issuing authority")
            return m
        }
        let statusAt = r.offsetInFrame
        let raw = try r.u8("card status")
        guard let status = CardStatus(rawValue: raw) else {
            throw JT808Error(.badField, at: statusAt, "card status \(raw) is neither 1 (inserted) nor 2 (removed)")
        }
        var m = DriverIdentity(cardStatus: status, time: try DeviceTime.read(&r, utcOffsetMinutes: utcOffsetMinutes))
        guard status == .inserted else { return m }
        let result = try r.u8("read result")
        m.readResult = result
        guard result == 0 else { return m }
        m.name = try r.byteLengthString("driver name")
        m.certificate = try r.fixedString(20, "certificate", version: version)
        m.authority = try r.byteLengthString("issuing authority")
        m.validity = try CardDate.read(&r, "certificate validity")
        if version == .v2019 { m.idNumber = try r.fixedString(20, "ID card number", version: version) }
        return m
    }

    func write(into w: inout ByteWriter, version: ProtocolVersion) {
        if version == .v2011 {
            w.byteLengthString(name)
            w.fixedString(idNumber ?? "", width: 20)
            w.fixedString(certificate, width: 40)
            w.byteLengthString(authority)
            return
        }
        w.u8(cardStatus ?? CardStatus.inserted.rawValue)
        (time ?? DeviceTime(year: 2000, month: 1, day: 1, hour: 0, minute: 0, second: 0)).write(into: &w)
        guard cardStatus != CardStatus.removed.rawValue else { return }
        w.u8(readResult ?? 0)
        guard readResult ?? 0 == 0 else { return }
        w.byteLengthString(name)
        w.fixedString(certificate, width: 20)
        w.byteLengthString(authority)
        (validity ?? CardDate(year: 2000, month: 1, day: 1)).write(into: &w)
        if version == .v2019 { w.fixedString(idNumber ?? "", width: 20) }
    }
}

/// 0x0705 CAN bus data: the receive time of the first item, then items of a CAN id and 8 bytes.
public struct CANBusData: Hashable, Sendable {
    public struct Item: Hashable, Sendable {
        /// Bit 31 channel (0 CAN1, 1 CAN2), bit 30 frame type (1 extended), bit 29 collection
        /// (0 raw, 1 average), bits 28-0 the bus id.
        public var canID: UInt32
        public var data: [UInt8]
        public init(canID: UInt32, data: [UInt8]) {
            self.canID = canID
            self.data = data
        }
    }

    public var hour: UInt8
    public var minute: UInt8
    public var second: UInt8
    /// The standard says BCD `msms`; SmallChi/JT808's test (JT808_0x0705Test.cs) asserts 350 ms
    /// as the word 0x015E, and terminals follow that library: read and written as a binary word.
    public var millisecond: UInt16
    public var items: [Item]

    public init(hour: UInt8, minute: UInt8, second: UInt8, millisecond: UInt16, items: [Item]) {
        self.hour = hour
        self.minute = minute
        self.second = second
        self.millisecond = millisecond
        self.items = items
    }

    /// `20:00:05.350`.
    public var receiveTime: String {
        func two(_ v: UInt8) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let ms = String(millisecond)
        return "\(two(hour)):\(two(minute)):\(two(second))." + String(repeating: "0", count: max(0, 3 - ms.count)) + ms
    }

    static func read(_ r: inout ByteReader) throws(JT808Error) -> CANBusData {
        let count = Int(try r.u16("item count"))
        let timeAt = r.offsetInFrame
        let hms = try r.slice(3, "receive time")
        func bcd(_ b: UInt8) -> UInt8? { b >> 4 <= 9 && b & 0x0f <= 9 ? (b >> 4) * 10 + b & 0x0f : nil }
        let millisecond = try r.u16("receive time milliseconds")
        guard let h = bcd(hms[0]), let m = bcd(hms[1]), let s = bcd(hms[2]), h < 24, m < 60, s < 60, millisecond < 1000 else {
            throw JT808Error(.badField, at: timeAt, "receive time is not hh mm ss (BCD) and milliseconds below 1000")
        }
        guard r.remaining == count * 12 else {
            throw JT808Error(.lengthMismatch, at: r.offsetInFrame, "\(count) CAN items declared: \(count * 12) bytes, \(r.remaining) present")
        }
        var items: [Item] = []
        items.reserveCapacity(count)
        for _ in 0..<count { items.append(Item(canID: try r.u32("CAN id"), data: try r.array(8, "CAN data"))) }
        return CANBusData(hour: h, minute: m, second: s, millisecond: millisecond, items: items)
    }

    func write(into w: inout ByteWriter) {
        w.u16(UInt16(clamping: items.count))
        for v in [hour, minute, second] { w.u8((v / 10 % 10) << 4 | v % 10) }
        w.u16(millisecond)
        for item in items.prefix(Int(UInt16.max)) {
            w.u32(item.canID)
            w.fixed(item.data, width: 8)
        }
    }
}

/// 0x0108 the outcome of an upgrade (answer to 0x8108).
public struct UpgradeResult: Hashable, Sendable {
    /// 0 terminal, 12 IC card reader, 52 GNSS module.
    public var kind: UInt8
    /// 0 success, 1 failure, 2 cancelled.
    public var result: UInt8
    public init(kind: UInt8, result: UInt8) {
        self.kind = kind
        self.result = result
    }
}

/// 0x8108 an upgrade package for the terminal. The manufacturer id is 5 bytes, 11 in 2019.
public struct UpgradePackage: Hashable, Sendable {
    public var kind: UInt8
    public var manufacturer: String
    public var version: String
    public var package: [UInt8]

    public init(kind: UInt8, manufacturer: String, version: String, package: [UInt8]) {
        self.kind = kind
        self.manufacturer = manufacturer
        self.version = version
        self.package = package
    }

    static func read(_ r: inout ByteReader, version v: ProtocolVersion) throws(JT808Error) -> UpgradePackage {
        let kind = try r.u8("upgrade type")
        let manufacturer = try r.fixedString(IdentityWidths.of(v).manufacturer, "manufacturer", version: v)
        let version = try r.byteLengthString("version")
        let lengthAt = r.offsetInFrame
        let length = Int(try r.u32("package length"))
        guard length == r.remaining else {
            throw JT808Error(.lengthMismatch, at: lengthAt, "package length \(length), \(r.remaining) bytes present")
        }
        return UpgradePackage(kind: kind, manufacturer: manufacturer, version: version, package: [UInt8](r.rest()))
    }

    func write(into w: inout ByteWriter, version v: ProtocolVersion) {
        w.u8(kind)
        w.fixedString(manufacturer, width: IdentityWidths.of(v).manufacturer)
        w.byteLengthString(version)
        w.u32(UInt32(clamping: package.count))
        w.append(package)
    }
}
