import Domain

/// Calendar arithmetic on epoch seconds for the partitions, without Foundation on the ingest
/// path. Public for the ingest benchmark, which writes the same timestamps as COPY text.
public enum CivilTime {
    /// The epoch second at which the China-time day holding `epoch` begins.
    static func chinaDayStart(of epoch: Int64) -> Int64 { CivilDate(chinaDayOf: epoch).chinaMidnight }

    /// The China-time calendar day of `epoch`, as `YYYY-MM-DD`.
    static func chinaDay(of epoch: Int64) -> String { CivilDate(chinaDayOf: epoch).description }

    /// Year, month and day of the `days`-th day after 1970-01-01 in the proleptic Gregorian calendar.
    public static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let date = CivilDate(daysSince1970: days)
        return (Int64(date.year), Int64(date.month), Int64(date.day))
    }

    public static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 { CivilDate.floorDivide(a, b) }
}
