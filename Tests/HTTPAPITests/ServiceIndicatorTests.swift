import Billing
import Dispatching
import Domain
import Foundation
import PostgresNIO
import PostgresTestSupport
import Store
import Testing

/// The assessment's telematics and platform indicators, measured from real positions and the
/// platform's minutes on a real database.
@Suite struct ServiceIndicatorTests {
    @Test func terminalsOnlineTrackCompletenessAndPlatformAvailability() async throws {
        try await TestPostgres.withDatabase { client, _ in
            let logger = TestPostgres.logger
            let crews = try await TestFleet.fleet(client)
            let records = ServiceRecords(client: client, logger: logger)
            let day = CivilDate(daysSince1970: CivilDate(chinaDayOf: Date().epochSeconds).daysSince1970 - 3)
            let midnight = day.chinaMidnight

            // Terminal A at 08:00: 11 fixes 30 s apart, ~290 m each; silent 5 minutes while it
            // drives 3 km (9 reports missing at a 30 s interval: 300 / 30 - 1); 10 fixes standing
            // still; silent 20 minutes without moving (asleep: nothing missing); one last fix.
            var fixes: [(Int64, Int32)] = []
            var t = midnight + 8 * 3600, lon: Int32 = 121_544_000
            for _ in 0..<11 { fixes.append((t, lon)); t += 30; lon += 3_000 }
            t += 270; lon += 30_000
            for _ in 0..<10 { fixes.append((t, lon)); t += 30 }
            t += 1_170
            fixes.append((t, lon))
            // Terminal C: one fix that day; terminal B none.
            for (terminal, points) in [(crews[0].terminal, fixes), (crews[2].terminal, [(midnight + 12 * 3600, lon)])] {
                try await client.query(
                    """
                    INSERT INTO positions (terminal_id, gnss_time, received_at, lat_e6, lon_e6, altitude_m, speed_dkmh, course, alarm, status)
                    SELECT \(terminal), to_timestamp(t), to_timestamp(t), 29868300, lon, 5, 300, 90, 0, 3 FROM unnest(\(points.map(\.0)), \(points.map(\.1))) AS u(t, lon)
                    """, logger: logger)
            }
            try await records.rollUp(day, interval: 30)
            try await records.rollUp(day, interval: 30)
            let measured = try await records.terminalDays(from: day, through: day)
            #expect(measured.online == 2 && measured.reports == 23 && measured.missing == 9 && measured.terminals == 3, "\(measured)")

            // The platform served the first 90 minutes of the day, and the minutes are marked once.
            for minute in 0..<90 { try await records.markMinute(Date(timeIntervalSince1970: TimeInterval(midnight + Int64(minute) * 60 + 5))) }
            try await records.markMinute(Date(timeIntervalSince1970: TimeInterval(midnight + 10)))
            #expect(try await records.minutesServed(from: .distantPast, to: .distantFuture).served == 90)

            // Assessed at 00:30 the next day: service since the first minute, 1470 minutes; 90 served
            // is 612 basis points (900000 / 1470); 2 of 3 terminals online is 6666; 23 of 32 reports 7187.
            let now = Date(timeIntervalSince1970: TimeInterval(midnight + 86_400 + 30 * 60))
            let month = CivilDate(year: day.year, month: day.month, day: 1)!
            let report = try await MonthlyAssessment(
                client: client, contractTotalFen: 0, terms: ZonesAndCalendar(zones: .ningbo, calendar: .china), logger: logger
            ).report(month: month, now: now)
            let service = report.service
            #expect(service.minutesServed == 90 && service.minutesOfService == min(1_470, Int((month.nextMonth.chinaMidnight - midnight) / 60)), "\(service)")
            #expect(service.terminalDaysOnline == 2 && service.terminalDays == 3 && service.reports == 23 && service.reportsMissing == 9, "\(service)")
            let items = report.assessment.sections.flatMap(\.items)
            func rate(_ id: String) -> Int? {
                guard case .rate(let r) = items.first(where: { $0.id == id })?.measured else { return nil }
                return r
            }
            #expect(rate("terminalOnline") == 6_666 && rate("positionCompleteness") == 7_187)
            #expect(rate("platformAvailability") == 90 * 10_000 / service.minutesOfService)
            #expect(!report.unmeasured.contains("terminalOnline") && !report.unmeasured.contains("platformAvailability"))
        }
    }
}
