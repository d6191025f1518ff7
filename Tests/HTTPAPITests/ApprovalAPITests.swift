import Dispatching
import Domain
import DomainTestSupport
import Foundation
import PostgresTestSupport
import Store
import Testing

@testable import HTTPAPI

/// The agency's approval step (issue 16) through real HTTP on real PostgreSQL, with an injected
/// clock: an agency that approves its bookings, its own approver and another agency's.
@Suite struct ApprovalAPITests {
    typealias API = FleetAPITests

    @Test func anAgencysBookingsWaitForItsOwnApprover() async throws {
        let clock = ManualClock(Date())
        try await API.withAPI(clock: clock) { base, accounts, client, api in
            let crews = try await TestFleet.fleet(client)
            let agencyID = try #require(try await accounts.agencies().first?.id)
            let otherAgency = try await accounts.createAgency(name: "市教育局")
            let (admin, dispatcher, agency) = (
                try await API.signIn(base, "admin"), try await API.signIn(base, "dispatcher"), try await API.signIn(base, "agency")
            )
            for (name, agency) in [("approver", agencyID), ("stranger", otherAgency)] {
                let user = #"{"username": "\#(name)", "password": "correct horse battery", "role": "approver", "agencyID": \#(agency)}"#
                #expect(try await API.call(base, "POST", "/api/v1/users", token: admin, body: user).status == 201)
            }
            let noAgency = #"{"username": "loose", "password": "correct horse battery", "role": "approver"}"#
            let loose = try await API.call(base, "POST", "/api/v1/users", token: admin, body: noAgency)
            #expect(loose.status == 400 && loose.json["field"] as? String == "agencyID", "an approver belongs to an agency: \(loose.json)")
            let (approver, stranger) = (
                try await API.signIn(base, "approver", "correct horse battery"), try await API.signIn(base, "stranger", "correct horse battery")
            )

            // The setting is the administrator's, and audited.
            let required = #"{"required": true}"#
            #expect(try await API.call(base, "PUT", "/api/v1/agencies/\(agencyID)/approval", token: dispatcher, body: required).status == 403)
            #expect(try await API.call(base, "PUT", "/api/v1/agencies/\(agencyID)/approval", token: agency, body: required).status == 403)
            #expect(try await API.call(base, "PUT", "/api/v1/agencies/999/approval", token: admin, body: required).status == 404)
            let set = try await API.call(base, "PUT", "/api/v1/agencies/\(agencyID)/approval", token: admin, body: required)
            #expect(set.status == 200 && set.json["requiresApproval"] as? Bool == true, "\(set.json)")

            // The agency's user books: awaiting approval, no clock running. The dispatcher's booking
            // on its behalf (the phone) skips the step.
            func book(_ token: String, agencyID: Int64? = nil) async throws -> (id: Int, json: [String: Any]) {
                let created = try await API.call(
                    base, "POST", "/api/v1/bookings", token: token, body: BookingAPITests.bookingJSON(pickupIn: 180, agencyID: agencyID))
                #expect(created.status == 201, "\(created.json)")
                let booking = try #require(created.json["booking"] as? [String: Any])
                return (try #require(booking["id"] as? Int), created.json)
            }
            let refusedOne = try await book(agency)
            #expect((refusedOne.json["booking"] as? [String: Any])?["state"] as? String == "awaitingApproval")
            #expect((refusedOne.json["clocks"] as? [Any])?.isEmpty == true, "no confirm clock before approval")
            let byPhone = try await book(dispatcher, agencyID: agencyID)
            #expect((byPhone.json["booking"] as? [String: Any])?["state"] as? String == "received")
            let conflict = try await API.call(base, "POST", "/api/v1/bookings/\(refusedOne.id)/confirm", token: dispatcher)
            #expect(conflict.status == 409, "the operator has not received it: \(conflict.json)")

            // The engine ignores it: the phone booking, confirmed, is matched in the same round.
            #expect(try await API.call(base, "POST", "/api/v1/bookings/\(byPhone.id)/confirm", token: dispatcher).status == 200)
            let round = try await api.dispatch.rounds.run()
            #expect(round.matched.contains(Int64(byPhone.id)) && !round.matched.contains(Int64(refusedOne.id)) && crews.count == 3)

            // Another agency's approver: not found, nothing changed; the agency's user may not approve.
            for action in ["approve", "refuse"] {
                let body = action == "refuse" ? #"{"reason": "not ours"}"# : nil
                let other = try await API.call(base, "POST", "/api/v1/bookings/\(refusedOne.id)/\(action)", token: stranger, body: body)
                #expect(other.status == 404, "\(action) by another agency's approver: \(other.status)")
                #expect(try await API.call(base, "POST", "/api/v1/bookings/\(refusedOne.id)/\(action)", token: agency, body: body).status == 403)
            }
            #expect(try await API.call(base, "GET", "/api/v1/bookings/\(refusedOne.id)", token: stranger).status == 404)
            let strangersList = try await API.call(base, "GET", "/api/v1/bookings", token: stranger)
            #expect(strangersList.status == 200 && (strangersList.json["items"] as? [Any])?.isEmpty == true)
            let ownList = try await API.call(base, "GET", "/api/v1/bookings?state=awaitingApproval", token: approver)
            #expect((ownList.json["items"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [refusedOne.id])

            // The own approver refuses with the reason: ended, the reason in its transitions and audit.
            let empty = try await API.call(base, "POST", "/api/v1/bookings/\(refusedOne.id)/refuse", token: approver, body: #"{"reason": ""}"#)
            #expect(empty.status == 400 && empty.json["field"] as? String == "reason", "\(empty.json)")
            let reason = "超出本月公务用车预算"
            let refused = try await API.call(base, "POST", "/api/v1/bookings/\(refusedOne.id)/refuse", token: approver, body: #"{"reason": "\#(reason)"}"#)
            let refusedBooking = try #require(refused.json["booking"] as? [String: Any], "\(refused.json)")
            let last = try #require((refusedBooking["transitions"] as? [[String: Any]])?.last)
            #expect(refusedBooking["state"] as? String == "refused" && last["note"] as? String == reason && last["by"] as? String == "approver")
            #expect(try await API.call(base, "POST", "/api/v1/bookings/\(refusedOne.id)/approve", token: approver).status == 409, "refused is final")
            let trail = try await accounts.auditTrail()
            let refusal = try #require(trail.first { $0.action == "booking-refuse" && $0.resource == "booking:\(refusedOne.id)" })
            #expect(refusal.username == "approver" && refusal.detail?.contains(reason) == true)
            #expect(trail.contains { $0.action == "agency-approval-set" && $0.resource == "agency:\(agencyID)" })

            // Another, approved ten minutes on: received then, the confirm clock from the approval.
            let approvedOne = try await book(agency)
            clock.advance(by: 600)
            let approved = try await API.call(base, "POST", "/api/v1/bookings/\(approvedOne.id)/approve", token: approver)
            let approvedBooking = try #require(approved.json["booking"] as? [String: Any], "\(approved.json)")
            #expect(approvedBooking["state"] as? String == "received")
            #expect((approvedBooking["transitions"] as? [[String: Any]])?.map { $0["state"] as? String } == ["awaitingApproval", "received"])
            let confirm = try #require((approved.json["clocks"] as? [[String: Any]])?.first)
            let formatter = ISO8601DateFormatter()
            let started = try #require((confirm["startedAt"] as? String).flatMap(formatter.date))
            let due = try #require((confirm["dueAt"] as? String).flatMap(formatter.date))
            #expect(confirm["clock"] as? String == "confirm" && confirm["state"] as? String == "running")
            #expect(abs(started.timeIntervalSince(clock.now)) < 1 && abs(due.timeIntervalSince(clock.now) - 300) < 1, "\(confirm)")
            #expect(try await accounts.auditTrail().contains { $0.action == "booking-approve" && $0.resource == "booking:\(approvedOne.id)" })
        }
    }
}
