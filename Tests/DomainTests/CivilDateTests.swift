import Domain
import Foundation
import Testing

@Suite struct CivilDateTests {
    @Test func daysRoundTripAndAgreeWithFoundation() throws {
        var calendar = Calendar(identifier: .gregorian)
        // UTC+8 fixed: the tz database's Asia/Shanghai also knows the summer times of 1986-1991,
        // which civil dates (birth dates, expiries) do not care about.
        calendar.timeZone = try #require(TimeZone(secondsFromGMT: 8 * 3600))
        // Every 7th day from 1900 to 2200, against Foundation's calendar.
        for days in stride(from: Int64(-25_567), through: 84_000, by: 7) {
            let date = CivilDate(daysSince1970: days)
            #expect(date.daysSince1970 == days)
            let midnight = Date(timeIntervalSince1970: TimeInterval(date.chinaMidnight))
            let parts = calendar.dateComponents([.year, .month, .day, .hour], from: midnight)
            #expect(parts.year == date.year && parts.month == date.month && parts.day == date.day && parts.hour == 0, "\(date)")
        }
    }

    @Test func textIsStrict() throws {
        #expect(CivilDate("2024-02-29")?.description == "2024-02-29")
        for bad in ["2023-02-29", "1900-02-29", "2024-2-29", "2024-13-01", "2024-00-10", "20240229", "", "2024-02-29T00:00:00Z", "1899-12-31"] {
            #expect(CivilDate(bad) == nil, "\(bad)")
        }
        #expect(CivilDate("2000-02-29") != nil)
        let decoded = try JSONDecoder().decode([CivilDate].self, from: Data(#"["1986-07-01"]"#.utf8))
        #expect(decoded == [CivilDate(year: 1986, month: 7, day: 1)])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([CivilDate].self, from: Data(#"["1986-07-32"]"#.utf8)) }
        // The epoch second 16:00 UTC is midnight the next day in China.
        #expect(CivilDate(chinaDayOf: 57_600).description == "1970-01-02")
        #expect(CivilDate(chinaDayOf: 57_599).description == "1970-01-01")
    }
}
