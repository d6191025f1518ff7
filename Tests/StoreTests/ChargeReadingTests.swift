import Domain
import Foundation
import PostgresNIO
import PostgresTestSupport
import Store
import Testing

/// Issue 17: each vehicle's newest state of charge, from its terminal's reports (written with the
/// latest positions, off the acknowledged path) or entered by hand with who entered it.
extension PositionSinkTests {
    @Test func theNewestChargeReadingWinsWhoeverWroteItAndSaysWho() async throws {
        try await TestPostgres.withDatabase { client, url in
            let (car, terminal) = try await vehicle(client, plate: "浙BD00009", phone: "013900000009")
            let sink = try await sink(client, url)
            let files = FleetFiles(client: client, logger: logger), facts = DispatchFacts(client: client, logger: logger)
            let dispatcher = try await Accounts(client: client, logger: logger).createUser(
                username: "调度员", passwordHash: "not a login", role: "dispatcher", agencyID: nil)
            func charge() async throws -> ChargeReading? { try await facts.vehicles(ids: [car])[car]?.charge }
            func report(_ time: Int64, _ charge: ChargeReading?) async throws {
                var fix = self.record(terminal, time)
                fix.charge = charge
                try await sink.store([fix])
                try await sink.flushLatest()
            }

            // A report of the terminal: 40 %, 120 km left, not charging, at its GNSS time.
            let t0 = Self.morning + 3600
            try await report(t0, ChargeReading(percent: 40, at: t0, rangeKm: 120, charging: false))
            #expect(try await charge() == ChargeReading(percent: 40, at: t0, rangeKm: 120, charging: false, source: .terminal))
            // Entered by hand a minute later, by the dispatcher.
            try await files.recordCharge(vehicleID: car, ChargeReading(percent: 55, at: t0 + 60, source: .hand, enteredBy: dispatcher.id))
            let entered = ChargeReading(percent: 55, at: t0 + 60, source: .hand, enteredBy: dispatcher.id)
            #expect(try await charge() == entered)
            // An older report sent late (the blind-zone store) does not replace it; a report with
            // no battery items leaves it as it is.
            try await report(t0 + 30, ChargeReading(percent: 41, at: t0 + 30))
            try await report(t0 + 90, nil)
            #expect(try await charge() == entered)
            // A newer report does, and the reading is the terminal's again.
            try await report(t0 + 120, ChargeReading(percent: 62, at: t0 + 120, charging: true))
            #expect(try await charge() == ChargeReading(percent: 62, at: t0 + 120, charging: true, source: .terminal))
            // Nor does an older entry by hand replace the terminal's newer reading.
            try await files.recordCharge(vehicleID: car, ChargeReading(percent: 10, at: t0 + 100, source: .hand, enteredBy: dispatcher.id))
            #expect(try await charge()?.percent == 62)
            // The positions themselves were stored as ever.
            #expect(try await count(client, "SELECT count(*) FROM positions WHERE terminal_id = \(terminal)") == 4)
        }
    }
}
