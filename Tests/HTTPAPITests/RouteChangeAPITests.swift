import Dispatching
import Domain
import Foundation
import PostgresNIO
import PostgresTestSupport
import Store
import Testing

@testable import HTTPAPI

/// A booking's route through real HTTP on real PostgreSQL: booked with its stops, changed with
/// the agency's consent by the agency or a dispatcher (audited, shown on the booking), refused
/// to another agency, to roles without business there, for bad input and once the trip is over.
@Suite struct RouteChangeAPITests {
    typealias API = FleetAPITests

    /// A valid change: one stop, a new destination, what was agreed.
    static let body = """
        {"stops": [{"latitude": 29.8600, "longitude": 121.5600, "address": "鄞州区政府"}],
         "destination": {"latitude": 29.8260, "longitude": 121.4610, "address": "栎社机场"}, "note": "李主任同意先去鄞州区政府"}
        """

    @Test func theAgencyOrADispatcherRecordsAChangeOfRouteAndNobodyElse() async throws {
        try await API.withAPI { base, accounts, client, _ in
            let otherAgency = try await accounts.createAgency(name: "市卫健委")
            let hash = await PasswordHash.hash("correct horse")
            _ = try await accounts.createUser(username: "other", passwordHash: hash, role: "agency", agencyID: otherAgency)
            let (agency, other, dispatcher, auditor) = (
                try await API.signIn(base, "agency"), try await API.signIn(base, "other"), try await API.signIn(base, "dispatcher"),
                try await API.signIn(base, "auditor")
            )

            // Booked with a stop on the way: stored, read back as the route.
            var booking = BookingAPITests.bookingJSON(pickupIn: 120)
            booking.removeLast()
            booking += #", "stops": [{"latitude": 29.8700, "longitude": 121.5200, "address": "宁波站"}]}"#
            let created = try await API.call(base, "POST", "/api/v1/bookings", token: agency, body: booking)
            #expect(created.status == 201, "\(created.json)")
            let id = try #require((created.json["booking"] as? [String: Any])?["id"] as? Int)
            let read = try await API.call(base, "GET", "/api/v1/bookings/\(id)", token: agency)
            let request = (read.json["booking"] as? [String: Any])?["request"] as? [String: Any]
            #expect((request?["stops"] as? [[String: Any]])?.first?["address"] as? String == "宁波站", "\(read.json)")

            let path = "/api/v1/bookings/\(id)/route-changes"
            #expect(try await API.call(base, "POST", path, token: other, body: Self.body).status == 404, "another agency's booking is not found")
            #expect(try await API.call(base, "POST", path, token: auditor, body: Self.body).status == 403)

            // Bad input: a 400 naming the field, nothing stored.
            let stop = #"{"latitude": 29.86, "longitude": 121.56, "address": "站"}"#
            let tooMany = #"{"stops": [\#(Array(repeating: stop, count: 11).joined(separator: ","))], "destination": \#(stop), "note": "x"}"#
            let offTheGlobe = #"{"stops": [{"latitude": 91, "longitude": 121.56, "address": "站"}], "destination": \#(stop), "note": "x"}"#
            let hugeLongitude = #"{"stops": [], "destination": {"latitude": 29.8, "longitude": 1e308, "address": "站"}, "note": "x"}"#
            let noNote = #"{"stops": [], "destination": \#(stop)}"#
            for (body, field) in [(tooMany, "stops"), (offTheGlobe, "stops.0.latitude"), (hugeLongitude, "destination.longitude"), (noNote, "note")] {
                let refused = try await API.call(base, "POST", path, token: agency, body: body)
                #expect(refused.status == 400 && refused.contentType == "application/problem+json", "\(refused.json)")
                #expect((refused.json["field"] as? String)?.hasPrefix(field.components(separatedBy: ".")[0]) == true, "\(field): \(refused.json)")
            }

            // The agency records its consent; a dispatcher another: both on the booking, each audited.
            let changed = try await API.call(base, "POST", path, token: agency, body: Self.body)
            #expect(changed.status == 201, "\(changed.json)")
            let changes = (changed.json["booking"] as? [String: Any])?["routeChanges"] as? [[String: Any]]
            #expect(changes?.count == 1 && changes?.first?["note"] as? String == "李主任同意先去鄞州区政府" && changes?.first?["by"] as? String == "agency")
            #expect((changes?.first?["destination"] as? [String: Any])?["address"] as? String == "栎社机场")
            let again = try await API.call(base, "POST", path, token: dispatcher, body: Self.body)
            #expect(again.status == 201 && ((again.json["booking"] as? [String: Any])?["routeChanges"] as? [Any])?.count == 2)
            var audited = 0
            for try await count in try await client.query(
                "SELECT count(*) FROM audit_log WHERE action = 'booking-route-change' AND resource = \("booking:\(id)")", logger: TestPostgres.logger
            ).decode(Int.self) {
                audited = count
            }
            #expect(audited == 2)

            // Over: the route is kept.
            let cancelled = try await API.call(base, "POST", "/api/v1/bookings/\(id)/cancel", token: agency, body: #"{"reason": "会议取消"}"#)
            #expect(cancelled.status == 200)
            let late = try await API.call(base, "POST", path, token: dispatcher, body: Self.body)
            #expect(late.status == 409 && late.contentType == "application/problem+json", "\(late.json)")
        }
    }
}
