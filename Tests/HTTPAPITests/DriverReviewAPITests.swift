import Domain
import Foundation
import PostgresNIO
import PostgresTestSupport
import Store
import Testing

/// Complaints against a driver: the dispatcher judges each resolved complaint substantiated or
/// not; two substantiated within 90 days hold the trip's driver out of matching for review until
/// a dispatcher clears them, audited.
@Suite struct DriverReviewAPITests {
    typealias API = FleetAPITests

    @Test func twoSubstantiatedComplaintsHoldTheDriverForReviewUntilCleared() async throws {
        try await API.withAPI { base, _, client, _ in
            let logger = TestPostgres.logger
            let crews = try await TestFleet.fleet(client)
            var agencyID: Int64 = 0
            for try await id in try await client.query("SELECT agency_id FROM users WHERE username = 'agency'", logger: logger).decode(Int64.self) {
                agencyID = id
            }
            // Two trips the first crew served.
            let bookings = Bookings(client: client, logger: logger)
            var trips: [Int64] = []
            for hours in [2.0, 6.0] {
                let now = Date()
                let request = BookingRequest(
                    channel: .phone, agencyID: agencyID, contactName: "李主任", contactPhone: "057487000000", passengers: 2, vehicleClass: .sedan,
                    pickupTime: now.addingTimeInterval(hours * 3600), pickup: TestFleet.pickup,
                    destination: Place(latitude: 29.8750, longitude: 121.5520, address: "宁波市政府"), serviceEnd: now.addingTimeInterval(hours * 3600 + 3600))
                let booking = try await bookings.create(request, agencyID: agencyID, receivedAt: now, by: .engine)
                _ = try await bookings.move(booking.id, to: .confirmed, at: now, by: .engine)
                _ = try await bookings.move(booking.id, to: .matched, at: now, by: .engine, crew: (crews[0].vehicleID, crews[0].driverID))
                trips.append(booking.id)
            }
            let (agency, dispatcher) = (try await API.signIn(base, "agency"), try await API.signIn(base, "dispatcher"))
            func complain(_ trip: Int64) async throws -> Int {
                let filed = try await API.call(base, "POST", "/api/v1/complaints", token: agency, body: #"{"bookingID": \#(trip), "text": "司机态度差"}"#)
                return try #require(filed.json["id"] as? Int, "\(filed.json)")
            }
            func resolve(_ complaint: Int, substantiated: Bool) async throws -> Int {
                try await API.call(
                    base, "POST", "/api/v1/complaints/\(complaint)/resolve", token: dispatcher,
                    body: #"{"result": "已核实并处理", "substantiated": \#(substantiated)}"#
                ).status
            }
            func reasons() async throws -> [String] {
                try await API.call(base, "GET", "/api/v1/drivers/\(crews[0].driverID)", token: dispatcher).json["reasons"] as? [String] ?? ["unread"]
            }
            // Only a driver who served the trip can be named.
            let first = try await complain(trips[0])
            let stranger = try await API.call(
                base, "POST", "/api/v1/complaints/\(first)/resolve", token: dispatcher,
                body: #"{"result": "已核实", "substantiated": true, "driverID": \#(crews[1].driverID)}"#)
            #expect(stranger.status == 400 && stranger.json["field"] as? String == "driverID", "\(stranger.json)")
            // One substantiated, one not: not yet.
            #expect(try await resolve(first, substantiated: true) == 200)
            #expect(try await resolve(try await complain(trips[1]), substantiated: false) == 200)
            #expect(try await reasons().allSatisfy { !$0.hasPrefix("held for review") })
            // The second substantiated one within 90 days holds the driver.
            #expect(try await resolve(try await complain(trips[1]), substantiated: true) == 200)
            let held = try await reasons()
            #expect(held.contains { $0.hasPrefix("held for review: 2 complaints substantiated since ") }, "\(held)")
            let listed = try await API.call(base, "GET", "/api/v1/complaints", token: agency).array.compactMap { $0 as? [String: Any] }
            #expect(listed.filter { $0["substantiated"] as? Bool == true && $0["driverID"] as? Int == Int(crews[0].driverID) }.count == 2)

            // Cleared by a dispatcher with what was done; not by the agency, not without a note.
            let path = "/api/v1/drivers/\(crews[0].driverID)/review/clear"
            #expect(try await API.call(base, "POST", path, token: agency, body: #"{"note": "培训"}"#).status == 403)
            let blank = try await API.call(base, "POST", path, token: dispatcher, body: #"{"note": ""}"#)
            #expect(blank.status == 400 && blank.json["field"] as? String == "note")
            #expect(try await API.call(base, "POST", path, token: dispatcher, body: #"{"note": "服务规范再培训 1 天"}"#).status == 200)
            #expect(try await API.call(base, "POST", path, token: dispatcher, body: #"{"note": "again"}"#).status == 404)
            #expect(try await reasons().allSatisfy { !$0.hasPrefix("held for review") })
            var audited: [String] = []
            for try await action in try await client.query(
                "SELECT action FROM audit_log WHERE action IN ('complaint-resolve', 'driver-review-clear') ORDER BY id", logger: logger
            ).decode(String.self) {
                audited.append(action)
            }
            #expect(audited == ["complaint-resolve", "complaint-resolve", "complaint-resolve", "driver-review-clear"])
            // The resolution that held the driver says so in its audit line.
            var heldInAudit: [String?] = []
            for try await driver in try await client.query(
                "SELECT detail->>'heldForReview' FROM audit_log WHERE action = 'complaint-resolve' ORDER BY id", logger: logger
            ).decode(String?.self) {
                heldInAudit.append(driver)
            }
            #expect(heldInAudit == [nil, nil, "driver:\(crews[0].driverID)"])
        }
    }
}
