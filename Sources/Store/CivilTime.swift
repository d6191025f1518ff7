/// Calendar arithmetic on epoch seconds, without Foundation on the ingest path. China time is
/// UTC+8 all year (no daylight saving since 1991), so a day is plain integer arithmetic. Public
/// for the ingest benchmark, which writes the same timestamps as COPY text.
public enum CivilTime {
    static let chinaOffset: Int64 = 8 * 3600

    /// The epoch second at which the China-time day holding `epoch` begins.
    static func chinaDayStart(of epoch: Int64) -> Int64 {
        floorDivide(epoch + chinaOffset, 86_400) * 86_400 - chinaOffset
    }

    /// The China-time calendar day of `epoch`, as `YYYY-MM-DD`.
    static func chinaDay(of epoch: Int64) -> String {
        let (year, month, day) = civil(fromDays: floorDivide(epoch + chinaOffset, 86_400))
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(year)-\(two(month))-\(two(day))"
    }

    /// Year, month and day of the `days`-th day after 1970-01-01 in the proleptic Gregorian
    /// calendar (Howard Hinnant's `civil_from_days`).
    public static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    public static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }
}
