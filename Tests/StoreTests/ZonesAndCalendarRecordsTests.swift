import Domain
import Foundation
import PostgresNIO
import PostgresTestSupport
import Store
import Testing

/// The zones and the calendar in PostgreSQL (migration 0018): seeded with exactly the tables
/// compiled before, edited whole with the audit line in the edit's transaction, and held by the
/// schema too (a day cannot be both off and worked, an approver belongs to an agency).
@Suite struct ZonesAndCalendarRecordsTests {
    let logger = TestPostgres.logger

    @Test func theSeedIsTheCompiledTables() async throws {
        try await TestPostgres.withDatabase { client, _ in
            let records = ZonesAndCalendarRecords(client: client, logger: logger)
            let (zones, calendar) = (try await records.zones(), try await records.calendar())
            #expect(zones == ServiceZones.ningbo && calendar == WorkingCalendar.china)
        }
    }

    @Test func anEditReplacesTheWholeAndIsAuditedWithIt() async throws {
        try await TestPostgres.withDatabase { owner, url in
            try await TestPostgres.withClient(try TestPostgres.app(url)) { client in
                let records = ZonesAndCalendarRecords(client: client, logger: logger)
                let square = [(29_800_000, 121_500_000), (29_900_000, 121_500_000), (29_900_000, 121_600_000)].map {
                    GeoPoint(latitudeE6: Int32($0.0), longitudeE6: Int32($0.1))
                }
                let zones = ServiceZones(city: [.init(name: "江北", boundary: square), .init(name: "海曙", boundary: square.reversed())])
                try await records.setZones(zones, by: nil, audit: AuditLine(userID: nil, action: "zones-set", resource: "zones"))
                #expect(try await records.zones() == zones)

                let year = WorkingCalendar.Year(
                    source: "通知", holidays: [CivilDate("2027-01-01")!], workingWeekends: [CivilDate("2027-09-26")!, CivilDate("2027-10-09")!])
                try await records.setYear(2027, year, by: nil, audit: AuditLine(userID: nil, action: "calendar-set", resource: "calendar:2027"))
                var again = year
                again.holidays = [CivilDate("2027-02-08")!]
                try await records.setYear(2027, again, by: nil, audit: AuditLine(userID: nil, action: "calendar-set", resource: "calendar:2027"))
                let calendar = try await records.calendar()
                #expect(calendar.years[2027] == again && calendar.years[2026] == WorkingCalendar.china.years[2026], "the year replaced, the others kept")
                let trail = try await Accounts(client: client, logger: logger).auditTrail()
                #expect(trail.filter { $0.action == "calendar-set" }.count == 2 && trail.contains { $0.action == "zones-set" })

                // The schema holds the rules too: one kind a day, within its year; an approver's agency.
                let both = try? await owner.query("INSERT INTO calendar_days (day, year, kind) VALUES ('2027-02-08', 2027, 'workingWeekend')", logger: logger)
                #expect(both == nil)
                let stray = try? await owner.query("INSERT INTO calendar_days (day, year, kind) VALUES ('2028-02-08', 2027, 'holiday')", logger: logger)
                #expect(stray == nil)
                let loose = try? await owner.query(
                    "INSERT INTO users (username, password_hash, role) VALUES ('loose', 'x', 'approver')", logger: logger)
                #expect(loose == nil)
            }
        }
    }
}
