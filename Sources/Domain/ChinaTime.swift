/// An instant as sheets and statements print it: China time to the second, ISO 8601 with its
/// offset (`2026-11-22T08:30:00+08:00`), in JSON too. Written by hand, not by a formatter, so a
/// statement's bytes depend on nothing but its data.
public struct ChinaTime: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var epochSeconds: Int64

    public init(_ epochSeconds: Int64) { self.epochSeconds = epochSeconds }

    public var day: CivilDate { CivilDate(chinaDayOf: epochSeconds) }

    /// Seconds since the China-time midnight that began the day.
    var secondOfDay: Int64 { epochSeconds - day.chinaMidnight }

    /// `HH:MM`, China time.
    public var clock: String {
        let s = secondOfDay
        return Self.two(s / 3600) + ":" + Self.two(s / 60 % 60)
    }

    public var description: String {
        let s = secondOfDay
        return "\(day)T\(Self.two(s / 3600)):\(Self.two(s / 60 % 60)):\(Self.two(s % 60))+08:00"
    }

    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "T")
        guard parts.count == 2, let day = CivilDate(parts[0]), parts[1].hasSuffix("+08:00") else { return nil }
        let clock = parts[1].dropLast(6).split(separator: ":")
        guard clock.count == 3, let h = Int64(clock[0]), let m = Int64(clock[1]), let s = Int64(clock[2]),
            (0..<24).contains(h), (0..<60).contains(m), (0..<60).contains(s)
        else { return nil }
        self.init(day.chinaMidnight + h * 3600 + m * 60 + s)
    }

    public static func < (a: ChinaTime, b: ChinaTime) -> Bool { a.epochSeconds < b.epochSeconds }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let time = ChinaTime(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(text) is not a China time as YYYY-MM-DDTHH:MM:SS+08:00")
        }
        self = time
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    static func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
}
