import Dispatching
import Domain
import DomainTestSupport
import Foundation
import PostgresTestSupport
import Store
import Testing

@testable import HTTPAPI

/// Issue 16's advance booking through real HTTP on a real database, the clock given: booked
/// three days ahead, matched within the match clock, notified, and served on the day.
@Suite struct AdvanceBookingAPITests {
    typealias API = FleetAPITests

    @Test func aBookingThreeDaysAheadIsMatchedWithinTheClockAndServedOnTheDay() async throws {
        let start = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let clock = ManualClock(start)
        try await API.withAPI(clock: clock) { base, accounts, client, api in
            let crews = try await TestFleet.fleet(client)
            let (agency, dispatcher) = (try await API.signIn(base, "agency"), try await API.signIn(base, "dispatcher"))
            let created = try await API.call(base, "POST", "/api/v1/bookings", token: agency, body: BookingAPITests.bookingJSON(pickupIn: 3 * 1440))
            let id = try #require((created.json["booking"] as? [String: Any])?["id"] as? Int, "\(created.json)")
            clock.set(start.addingTimeInterval(60))
            #expect(try await API.call(base, "POST", "/api/v1/bookings/\(id)/confirm", token: dispatcher).status == 200)
            // Matched at once, however far ahead: the 10-minute clock is met.
            clock.set(start.addingTimeInterval(180))
            let matched = try await API.call(base, "POST", "/api/v1/bookings/\(id)/match", token: dispatcher)
            #expect((matched.json["booking"] as? [String: Any])?["vehicleID"] as? Int == Int(crews[0].vehicleID), "\(matched.json)")
            clock.set(start.addingTimeInterval(200))
            #expect(try await api.dispatch.notifier.deliverDue() == 1)
            func read() async throws -> (state: String?, clocks: [String: String]) {
                let reply = try await API.call(base, "GET", "/api/v1/bookings/\(id)", token: agency)
                let clocks = (reply.json["clocks"] as? [[String: Any]] ?? []).reduce(into: [String: String]()) {
                    $0[$1["clock"] as? String ?? ""] = $1["state"] as? String
                }
                return ((reply.json["booking"] as? [String: Any])?["state"] as? String, clocks)
            }
            let told = try await read()
            #expect(told.state == "notified" && told.clocks["match"] == "met" && told.clocks["notify"] == "met", "\(told)")
            #expect(told.clocks["onSite"] == "running")

            // On the day: the crew's driver sets off, the track puts the car at the pick-up 15
            // minutes early, the service runs and ends.
            let pickup = start.addingTimeInterval(3 * 86_400)
            let hash = await PasswordHash.hash("correct horse")
            let user = try await accounts.createUser(username: "driver0", passwordHash: hash, role: "driver", agencyID: nil)
            let files = FleetFiles(client: client, logger: TestPostgres.logger)
            var file = try #require(try await files.driver(id: crews[0].driverID))
            file.userID = user.id
            _ = try await files.saveDriver(file)
            let driver = try await API.signIn(base, "driver0")
            clock.set(pickup.addingTimeInterval(-3600))
            let check = #""brakes": true, "steering": true, "tyres": true, "charge": true, "kit": true, "cleanliness": true, "lights": true"#
            let progress = "/api/v1/bookings/\(id)/progress"
            #expect(try await API.call(base, "POST", progress, token: driver, body: #"{"state": "enRoute", "preTripCheck": {\#(check)}}"#).status == 200)
            try await TestFleet.place(client, terminal: crews[0].terminal, eastMetres: 60, at: pickup.addingTimeInterval(-900))
            clock.set(pickup.addingTimeInterval(-890))
            #expect(try await API.call(base, "POST", progress, token: driver, body: #"{"state": "onSite"}"#).status == 200)
            clock.set(pickup)
            #expect(try await API.call(base, "POST", progress, token: driver, body: #"{"state": "inService"}"#).status == 200)
            clock.set(pickup.addingTimeInterval(5400))
            let done = try await API.call(
                base, "POST", progress, token: driver, body: #"{"state": "completed", "completion": {"tollsFen": 0, "parkingFen": 500, "receipts": ["P-1"]}}"#)
            #expect(done.status == 200, "\(done.json)")
            let served = try await read()
            #expect(served.state == "completed" && served.clocks["onSite"] == "met", "\(served)")
        }
    }
}
