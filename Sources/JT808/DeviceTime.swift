/// A BCD time as a terminal sends it (`YY MM DD hh mm ss`, local time of the device), with the
/// UTC offset the device is known to use: China time (+08:00) unless its profile says otherwise.
///
/// Plain integers, no Foundation: decoding a position must not touch a calendar.
public struct DeviceTime: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var year: UInt16
    public var month: UInt8
    public var day: UInt8
    public var hour: UInt8
    public var minute: UInt8
    public var second: UInt8
    public var utcOffsetMinutes: Int16

    public static let chinaOffsetMinutes: Int16 = 480

    public init(
        year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int,
        utcOffsetMinutes: Int16 = DeviceTime.chinaOffsetMinutes
    ) {
        self.year = UInt16(clamping: year)
        self.month = UInt8(clamping: month)
        self.day = UInt8(clamping: day)
        self.hour = UInt8(clamping: hour)
        self.minute = UInt8(clamping: minute)
        self.second = UInt8(clamping: second)
        self.utcOffsetMinutes = utcOffsetMinutes
    }

    /// The local wall-clock time of `epochSeconds` at `utcOffsetMinutes`.
    public init(epochSeconds: Int64, utcOffsetMinutes: Int16 = DeviceTime.chinaOffsetMinutes) {
        let local = epochSeconds + Int64(utcOffsetMinutes) * 60
        let days = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        let secs = Int(local - days * 86_400)
        let (y, m, d) = civilFromDays(days)
        self.init(year: y, month: m, day: d, hour: secs / 3600, minute: secs / 60 % 60, second: secs % 60, utcOffsetMinutes: utcOffsetMinutes)
    }

    /// Reads 6 BCD bytes. Every nibble must be a decimal digit and the fields a real date and time.
    @inlinable
    static func read(_ r: inout ByteReader, utcOffsetMinutes: Int16) throws(JT808Error) -> DeviceTime {
        let start = r.offsetInFrame
        let raw = try r.slice(6, "BCD time")
        var ok = true
        @inline(__always) func bcd(_ i: Int) -> Int {
            let b = raw[i]
            let hi = b >> 4
            let lo = b & 0x0f
            if hi > 9 || lo > 9 { ok = false }
            return Int(hi) * 10 + Int(lo)
        }
        let v = (bcd(0), bcd(1), bcd(2), bcd(3), bcd(4), bcd(5))
        let time = DeviceTime(year: 2000 + v.0, month: v.1, day: v.2, hour: v.3, minute: v.4, second: v.5, utcOffsetMinutes: utcOffsetMinutes)
        guard ok, time.isValid else {
            throw JT808Error(.badField, at: start, "BCD time \(raw.map { String($0, radix: 16) }) is not a valid date and time")
        }
        return time
    }

    func write(into w: inout ByteWriter) {
        for v in [Int(year) % 100, Int(month), Int(day), Int(hour), Int(minute), Int(second)] {
            w.u8(UInt8(v / 10) << 4 | UInt8(v % 10))
        }
    }

    public var isValid: Bool {
        guard (1...12).contains(month), day >= 1, hour < 24, minute < 60, second < 60 else { return false }
        return day <= daysInMonth(Int(year), Int(month))
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    public var epochSeconds: Int64 {
        let days = daysFromCivil(Int(year), Int(month), Int(day))
        return days * 86_400 + Int64(hour) * 3600 + Int64(minute) * 60 + Int64(second) - Int64(utcOffsetMinutes) * 60
    }

    /// ISO 8601 with the offset, e.g. `2023-01-25T14:51:58+08:00`.
    public var description: String {
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let sign = utcOffsetMinutes < 0 ? "-" : "+"
        let off = Int(utcOffsetMinutes.magnitude)
        return "\(year)-\(two(Int(month)))-\(two(Int(day)))T\(two(Int(hour))):\(two(Int(minute))):\(two(Int(second)))\(sign)\(two(off / 60)):\(two(off % 60))"
    }

    public static func < (a: DeviceTime, b: DeviceTime) -> Bool { a.epochSeconds < b.epochSeconds }
}

func daysInMonth(_ y: Int, _ m: Int) -> Int {
    switch m {
    case 2: return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
@usableFromInline
func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int64 {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = (month + 9) % 12
    let doy = (153 * mp + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return Int64(era * 146_097 + doe - 719_468)
}

func civilFromDays(_ days: Int64) -> (Int, Int, Int) {
    let z = Int(days) + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
}
