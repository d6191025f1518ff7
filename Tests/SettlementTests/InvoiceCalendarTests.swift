import Dispatching
import Domain
import Foundation
import PostgresTestSupport
import Settlement
import Store
import Testing

/// The invoice's due day counts the working days of the calendar in force: an administrator's
/// edit moves the due day of a sheet signed after it, not of one signed before.
@Suite struct InvoiceCalendarTests {
    let logger = TestPostgres.logger

    @Test func aCalendarEditMovesTheInvoiceDueDay() async throws {
        try await TestPostgres.withDatabase { client, url in
            let terms = ZonesAndCalendarService(records: ZonesAndCalendarRecords(client: client, logger: logger), current: ZonesAndCalendar())
            try await terms.refresh()
            let settlement = SettlementService(
                client: client, positions: PositionQueries(client: client, database: url, logger: logger), feed: LiveFeed(), events: ServiceEvents(),
                clock: SystemClock(), calendar: terms.current, logger: logger)
            _ = try await SettlementServiceTests().recordTrips(client, crews: 2)
            let sheets = try await settlement.drawUpSheets()
            try #require(sheets.count == 2)
            let contact = Actor(userID: nil, name: "李主任")
            let before = try #require(try await settlement.confirm(sheets[0], signedBy: "李主任", actor: contact).invoiceDue)
            let today = CivilDate(chinaDayOf: Date().epochSeconds)
            #expect(before == ServiceLevels().invoiceDue(confirmedAt: Date().epochSeconds) || !WorkingCalendar.china.isAnnounced(today.year), "the seed")

            // The administrator gives the week after today off (in each year it touches).
            let week = (1...7).map { CivilDate(daysSince1970: today.daysSince1970 + Int64($0)) }
            for (year, days) in Dictionary(grouping: week, by: \.year) {
                var arrangement = try await terms.year(year) ?? WorkingCalendar.Year(source: "test", holidays: [], workingWeekends: [])
                arrangement.holidays.formUnion(days)
                arrangement.workingWeekends.subtract(days)
                _ = try await terms.setYear(year, arrangement, by: nil, audit: AuditLine(userID: nil, action: "calendar-set", resource: "calendar:\(year)"))
            }
            let after = try #require(try await settlement.confirm(sheets[1], signedBy: "李主任", actor: contact).invoiceDue)
            #expect(after.daysSince1970 > today.daysSince1970 + 7 && after != before, "before \(before), after \(after)")
            #expect(after == terms.current.calendar.workingDay(3, after: today))
            #expect(try await settlement.sheet(sheets[0]).invoiceDue == before, "a sheet signed before keeps its day")
        }
    }
}
