import Dispatching
import Domain
import Foundation
import Hummingbird
import PostgresNIO
import PostgresTestSupport
import Store
import Testing

@testable import HTTPAPI

#if canImport(Glibc)
import Glibc
#endif

/// Bookings through real HTTP on a real database: the whole trip, tenancy, the driver's steps,
/// the live stream.
@Suite struct BookingAPITests {
    typealias API = FleetAPITests
    static func bookingJSON(pickupIn minutes: Int, agencyID: Int64? = nil, passengers: Int = 2) -> String {
        let formatter = ISO8601DateFormatter()
        let pickupTime = Date().addingTimeInterval(TimeInterval(minutes * 60))
        return """
            {"channel": "phone", \(agencyID.map { #""agencyID": \#($0),"# } ?? "") "contactName": "李主任", "contactPhone": "0574-87000000", "passengers": \(passengers),
             "vehicleClass": "sedan", "pickupTime": "\(formatter.string(from: pickupTime))",
             "pickup": {"latitude": \(TestFleet.pickup.latitude), "longitude": \(TestFleet.pickup.longitude), "address": "天一广场"},
             "destination": {"latitude": 29.8260, "longitude": 121.4610, "address": "栎社机场"},
             "serviceEnd": "\(formatter.string(from: pickupTime.addingTimeInterval(3 * 3600)))", "specialNeeds": "a child seat"}
            """
    }

    /// A booking's JSON with the contact's e-mail address `email` (as JSON text: escapes stay escapes).
    static func withEmail(_ json: String, _ email: String) -> String {
        json.replacingOccurrences(of: #""contactPhone": "0574-87000000","#, with: #""contactPhone": "0574-87000000", "contactEmail": "\#(email)","#)
    }

    @Test func theContactsEmailIsKeptWithTheBooking() async throws {
        try await API.withAPI { base, _, _, _ in
            let agency = try await API.signIn(base, "agency")
            let created = try await API.call(
                base, "POST", "/api/v1/bookings", token: agency, body: Self.withEmail(Self.bookingJSON(pickupIn: 120), "li.zhuren+car@nbfgw.gov.cn"))
            #expect(created.status == 201, "\(created.json)")
            let id = try #require((created.json["booking"] as? [String: Any])?["id"] as? Int)
            let read = try await API.call(base, "GET", "/api/v1/bookings/\(id)", token: agency)
            let request = (read.json["booking"] as? [String: Any])?["request"] as? [String: Any]
            #expect(request?["contactEmail"] as? String == "li.zhuren+car@nbfgw.gov.cn", "\(read.json)")
        }
    }

    @Test func aTripFromRequestToCompletion() async throws {
        try await API.withAPI { base, accounts, client, api in
            let crews = try await TestFleet.fleet(client)
            let otherAgency = try await accounts.createAgency(name: "市教育局")
            let hash = await PasswordHash.hash("correct horse")
            _ = try await accounts.createUser(username: "other", passwordHash: hash, role: "agency", agencyID: otherAgency)
            let (agency, other, dispatcher, auditor) = (
                try await API.signIn(base, "agency"), try await API.signIn(base, "other"), try await API.signIn(base, "dispatcher"),
                try await API.signIn(base, "auditor")
            )

            // The agency books: urgent (pick-up in 40 minutes), on the platform channel whatever it said.
            let created = try await API.call(base, "POST", "/api/v1/bookings", token: agency, body: Self.bookingJSON(pickupIn: 40))
            #expect(created.status == 201, "\(created.json)")
            let record = try #require(created.json["booking"] as? [String: Any])
            let id = try #require(record["id"] as? Int)
            #expect(
                record["urgent"] as? Bool == true && record["state"] as? String == "received"
                    && (record["request"] as? [String: Any])?["channel"] as? String == "platform")
            #expect((created.json["clocks"] as? [[String: Any]])?.first?["clock"] as? String == "confirm")
            // The board's list: each item's clocks by its id, in the one request.
            let board = try await API.call(base, "GET", "/api/v1/bookings?state=received&clocks=true", token: dispatcher)
            let boardClocks = (board.json["clocks"] as? [String: Any])?["\(id)"] as? [[String: Any]]
            #expect(boardClocks?.first?["clock"] as? String == "confirm", "\(board.json)")
            #expect(try await API.call(base, "GET", "/api/v1/bookings?state=received", token: dispatcher).json["clocks"] == nil)

            // Another agency can neither read nor change it, on every route that names it: 404
            // where an agency may call the route, 403 where it may not.
            for route in api.endpoints where route.path.hasPrefix("/api/v1/bookings/{id}") {
                let path = route.path.replacingOccurrences(of: "{id}", with: "\(id)").replacingOccurrences(of: "{photo}", with: "1")
                // A body the route takes: the refusal is for the booking, not for the body.
                let body = ["NewRoute": RouteChangeAPITests.body, "TripRating": #"{"stars": 3}"#][route.body ?? ""] ?? #"{"reason": "mine now"}"#
                let refused = try await API.call(base, route.method.rawValue, path, token: other, body: route.body != nil ? body : nil)
                #expect(refused.status == (route.roles.contains(.agency) ? 404 : 403), "\(route.method) \(route.path) by another agency: \(refused.status)")
            }
            let track = try await API.call(
                base, "GET", "/api/v1/vehicles/\(crews[0].plate.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed)!)/track", token: other)
            #expect(track.status == 403)
            let othersList = try await API.call(base, "GET", "/api/v1/bookings", token: other)
            #expect(othersList.status == 200 && (othersList.json["items"] as? [Any])?.isEmpty == true)
            let naming = try await API.call(base, "POST", "/api/v1/bookings", token: other, body: Self.bookingJSON(pickupIn: 120, agencyID: 1))
            #expect(naming.status == 403, "an agency booking for another: \(naming.status)")
            // Only the operator confirms.
            #expect(try await API.call(base, "POST", "/api/v1/bookings/\(id)/confirm", token: agency).status == 403)
            let confirmed = try await API.call(base, "POST", "/api/v1/bookings/\(id)/confirm", token: dispatcher)
            #expect(confirmed.status == 200 && (confirmed.json["booking"] as? [String: Any])?["state"] as? String == "confirmed")
            #expect(try await API.call(base, "POST", "/api/v1/bookings/\(id)/confirm", token: dispatcher).status == 409)

            // The engine matches the nearest eligible saloon (the SUV is nearer but of the wrong class) and notifies.
            let matched = try await API.call(base, "POST", "/api/v1/bookings/\(id)/match", token: dispatcher)
            let matchedBooking = try #require(matched.json["booking"] as? [String: Any], "\(matched.json)")
            #expect(matchedBooking["state"] as? String == "matched" && matchedBooking["vehicleID"] as? Int == Int(crews[0].vehicleID))
            // Notified when its notice is delivered (by the live stream: no SMS provider here).
            #expect(try await api.dispatch.notifier.deliverDue() == 1)
            let notified = try await API.call(base, "GET", "/api/v1/bookings/\(id)", token: dispatcher)
            let transitions = ((notified.json["booking"] as? [String: Any])?["transitions"] as? [[String: Any]])?.map { "\($0["state"]!) by \($0["by"]!)" }
            #expect(transitions == ["received by agency", "confirmed by dispatcher", "matched by dispatch-engine", "notified by notifier"])

            // Polling with the ETag: 304 until it changes.
            let polled = try await API.call(base, "GET", "/api/v1/bookings/\(id)", token: agency)
            let etag = try #require(polled.etag)
            #expect(try await API.call(base, "GET", "/api/v1/bookings/\(id)", token: agency, headers: ["If-None-Match": etag]).status == 304)

            // Why this crew, and why not the others.
            let explanation = try await API.call(base, "GET", "/api/v1/bookings/\(id)/explanation", token: auditor)
            let verdicts = try #require(explanation.json["crews"] as? [[String: Any]])
            #expect(verdicts.count == 3 && explanation.json["assignedVehicleID"] as? Int == Int(crews[0].vehicleID))
            let suv = try #require(verdicts.first { $0["vehicleID"] as? Int == Int(crews[2].vehicleID) })
            #expect(suv["verdict"] as? String == "ineligible" && (suv["reasons"] as? [String])?.contains("a suv, not the class booked") == true, "\(suv)")
            #expect(try await API.call(base, "GET", "/api/v1/bookings/\(id)/explanation", token: agency).status == 403)

            // An override to an ineligible pair is refused with the reasons; to an eligible one it stands.
            let wrong = try await API.call(
                base, "PUT", "/api/v1/bookings/\(id)/assignment", token: dispatcher,
                body: #"{"vehicleID": \#(crews[2].vehicleID), "driverID": \#(crews[2].driverID), "reason": "nearest"}"#)
            #expect(wrong.status == 409 && (wrong.json["detail"] as? String)?.contains("not the class booked") == true, "\(wrong.json)")
            let overridden = try await API.call(
                base, "PUT", "/api/v1/bookings/\(id)/assignment", token: dispatcher,
                body: #"{"vehicleID": \#(crews[1].vehicleID), "driverID": \#(crews[1].driverID), "reason": "the agency asked for 王师傅"}"#)
            #expect((overridden.json["booking"] as? [String: Any])?["vehicleID"] as? Int == Int(crews[1].vehicleID), "\(overridden.json)")
            // The agency told of the new crew: notified again.
            #expect(try await api.dispatch.notifier.deliverDue() == 1)

            // The crew's driver signs in and works the job; the first crew's driver does not see it.
            let files = FleetFiles(client: client, logger: TestPostgres.logger)
            for (name, crew) in [("driver1", crews[1]), ("driver0", crews[0])] {
                let user = try await accounts.createUser(username: name, passwordHash: hash, role: "driver", agencyID: nil)
                var file = try #require(try await files.driver(id: crew.driverID))
                file.userID = user.id
                _ = try await files.saveDriver(file)
            }
            let (driver, stranger) = (try await API.signIn(base, "driver1"), try await API.signIn(base, "driver0"))
            let jobs = try await API.call(base, "GET", "/api/v1/jobs", token: driver)
            #expect(jobs.array.count == 1, "\(jobs.array)")
            #expect(try await API.call(base, "GET", "/api/v1/jobs", token: stranger).array.isEmpty)
            #expect(try await API.call(base, "POST", "/api/v1/bookings/\(id)/progress", token: stranger, body: #"{"state": "enRoute"}"#).status == 404)

            let noCheck = try await API.call(base, "POST", "/api/v1/bookings/\(id)/progress", token: driver, body: #"{"state": "enRoute"}"#)
            #expect(noCheck.status == 400 && noCheck.json["field"] as? String == "preTripCheck")
            let check = #""brakes": true, "steering": true, "tyres": true, "charge": true, "kit": true, "cleanliness": true"#
            let failed = try await API.call(
                base, "POST", "/api/v1/bookings/\(id)/progress", token: driver, body: #"{"state": "enRoute", "preTripCheck": {\#(check), "lights": false}}"#)
            #expect(failed.status == 409 && (failed.json["detail"] as? String)?.contains("lights") == true)
            let enRoute = try await API.call(
                base, "POST", "/api/v1/bookings/\(id)/progress", token: driver, body: #"{"state": "enRoute", "preTripCheck": {\#(check), "lights": true}}"#)
            #expect((enRoute.json["booking"] as? [String: Any])?["state"] as? String == "enRoute")
            // On site is the track's word, not the driver's: 4 km away is not there.
            let early = try await API.call(base, "POST", "/api/v1/bookings/\(id)/progress", token: driver, body: #"{"state": "onSite"}"#)
            #expect(early.status == 409, "\(early.json)")
            try await TestFleet.place(client, terminal: crews[1].terminal, eastMetres: 60, at: Date().addingTimeInterval(1))
            let onSite = try await API.call(base, "POST", "/api/v1/bookings/\(id)/progress", token: driver, body: #"{"state": "onSite"}"#)
            let arrived = try #require(onSite.json["booking"] as? [String: Any], "\(onSite.json)")
            #expect(arrived["state"] as? String == "onSite" && (arrived["transitions"] as? [[String: Any]])?.last?["by"] as? String == "gnss")
            let onSiteClock = (onSite.json["clocks"] as? [[String: Any]])?.first { $0["clock"] as? String == "onSite" }
            #expect(onSiteClock?["state"] as? String == "met", "\(String(describing: onSiteClock))")

            #expect(try await API.call(base, "POST", "/api/v1/bookings/\(id)/progress", token: driver, body: #"{"state": "inService"}"#).status == 200)
            #expect(try await API.call(base, "PUT", "/api/v1/bookings/\(id)/rating", token: agency, body: #"{"stars": 5}"#).status == 409)
            // The receipt's photo from the driver's phone: a JPEG is kept as sent; what is not one is refused.
            let jpeg = Data([0xFF, 0xD8, 0xFF, 0xE0] + (0..<2_000).map { UInt8($0 % 251) })
            let uploaded = try await API.call(
                base, "POST", "/api/v1/bookings/\(id)/receipts", token: driver, bytes: jpeg, headers: ["Content-Type": "image/jpeg"])
            #expect(uploaded.status == 201 && uploaded.json["bytes"] as? Int == jpeg.count, "\(uploaded.json)")
            let reference = try #require(uploaded.json["reference"] as? String)
            let disguised = try await API.call(
                base, "POST", "/api/v1/bookings/\(id)/receipts", token: driver, bytes: Data("<script>alert(1)</script>".utf8),
                headers: ["Content-Type": "image/jpeg"])
            #expect(disguised.status == 400, "\(disguised.json)")
            let page = try await API.call(
                base, "POST", "/api/v1/bookings/\(id)/receipts", token: driver, bytes: Data("<html>".utf8), headers: ["Content-Type": "text/html"])
            #expect(page.status == 415)
            let huge = try await API.call(
                base, "POST", "/api/v1/bookings/\(id)/receipts", token: driver, bytes: Data([0xFF, 0xD8, 0xFF] + [UInt8](repeating: 0, count: 6_000_000)),
                headers: ["Content-Type": "image/jpeg"])
            #expect(huge.status == 413, "\(huge.json)")
            #expect(
                try await API.call(
                    base, "POST", "/api/v1/bookings/\(id)/receipts", token: stranger, bytes: jpeg, headers: ["Content-Type": "image/jpeg"]
                ).status == 404)
            let photoID = try #require(uploaded.json["id"] as? Int)
            let fetched = try await API.call(base, "GET", "/api/v1/bookings/\(id)/receipts/\(photoID)", token: agency)
            #expect(fetched.status == 200 && fetched.contentType == "image/jpeg" && fetched.body == jpeg)
            #expect(try await API.call(base, "GET", "/api/v1/bookings/\(id)/receipts/\(photoID)", token: other).status == 404)
            #expect(try await API.call(base, "GET", "/api/v1/bookings/\(id)/receipts", token: dispatcher).array.count == 1)
            let noReceipt = try await API.call(
                base, "POST", "/api/v1/bookings/\(id)/progress", token: driver,
                body: #"{"state": "completed", "completion": {"tollsFen": 1500, "parkingFen": 0, "receipts": []}}"#)
            #expect(noReceipt.status == 400 && noReceipt.json["field"] as? String == "completion.receipts")
            let completed = try await API.call(
                base, "POST", "/api/v1/bookings/\(id)/progress", token: driver,
                body: #"{"state": "completed", "completion": {"tollsFen": 1500, "parkingFen": 800, "receipts": ["ETC-0001", "\#(reference)"]}}"#)
            let done = try #require(completed.json["booking"] as? [String: Any])
            #expect(done["state"] as? String == "completed" && done["tollsFen"] as? Int == 1500 && done["parkingFen"] as? Int == 800)
            // The agency rates the finished trip, once (a second rating replaces it); another agency cannot.
            #expect(try await API.call(base, "PUT", "/api/v1/bookings/\(id)/rating", token: other, body: #"{"stars": 1}"#).status == 404)
            #expect(try await API.call(base, "PUT", "/api/v1/bookings/\(id)/rating", token: agency, body: #"{"stars": 6}"#).status == 400)
            _ = try await API.call(base, "PUT", "/api/v1/bookings/\(id)/rating", token: agency, body: #"{"stars": 3}"#)
            let rated = try await API.call(base, "PUT", "/api/v1/bookings/\(id)/rating", token: agency, body: #"{"stars": 5, "comment": "准时，车内整洁"}"#)
            #expect(rated.status == 200 && rated.json["stars"] as? Int == 5, "\(rated.json)")
            let rating = try await API.call(base, "GET", "/api/v1/bookings/\(id)/rating", token: dispatcher)
            #expect(rating.json["stars"] as? Int == 5 && rating.json["comment"] as? String == "准时，车内整洁")

            // Customer care: the callback once; a complaint seen by its agency only.
            #expect(try await API.call(base, "POST", "/api/v1/bookings/\(id)/callback", token: dispatcher, body: #"{"satisfaction": 5}"#).status == 201)
            #expect(try await API.call(base, "POST", "/api/v1/bookings/\(id)/callback", token: dispatcher, body: #"{"satisfaction": 4}"#).status == 409)
            let complaint = try await API.call(base, "POST", "/api/v1/complaints", token: agency, body: #"{"bookingID": \#(id), "text": "车内有异味"}"#)
            #expect(complaint.status == 201, "\(complaint.json)")
            #expect(try await API.call(base, "GET", "/api/v1/complaints", token: agency).array.count == 1)
            #expect(try await API.call(base, "GET", "/api/v1/complaints", token: other).array.isEmpty)
            #expect(try await API.call(base, "POST", "/api/v1/complaints", token: other, body: #"{"bookingID": \#(id), "text": "not ours"}"#).status == 400)

            // The month's assessment counts this trip: every clock met, nothing off.
            let today = CivilDate(chinaDayOf: Int64(Date().timeIntervalSince1970))
            let month = "\(today.year)-\(today.month < 10 ? "0" : "")\(today.month)"
            let admin = try await API.signIn(base, "admin")
            let assessed = try await API.call(base, "GET", "/api/v1/assessments/\(month)", token: admin)
            let assessment = try #require(assessed.json["assessment"] as? [String: Any], "\(assessed.json)")
            let items = (assessment["sections"] as? [[String: Any]])?.flatMap { $0["items"] as? [[String: Any]] ?? [] } ?? []
            func measured(_ id: String) -> [String: Int]? { items.first { $0["id"] as? String == id }?["measured"] as? [String: Int] }
            #expect(measured("confirmedInTime") == ["rate": 10_000] && measured("matchedInTime") == ["rate": 10_000] && measured("onTime") == ["rate": 10_000])
            #expect(
                measured("callbackInTime") == ["rate": 10_000] && measured("satisfaction") == ["rate": 10_000]
                    && measured("complaintContactLate") == ["incidents": 0])
            #expect(assessment["score"] as? Int == 100 && assessment["coefficientPermille"] as? Int == 1000, "\(assessment)")
            #expect((assessed.json["unmeasured"] as? [String])?.contains("terminalOnline") == true)
            #expect(try await API.call(base, "GET", "/api/v1/assessments/\(month)", token: agency).status == 403)
            #expect(try await API.call(base, "GET", "/api/v1/assessments/2026-13", token: admin).json["field"] as? String == "month")
            // An assessor's commendations are added, with their reason; an item the system measures cannot be entered.
            let entered = try await API.call(
                base, "POST", "/api/v1/assessments/\(month)/incidents", token: admin, body: #"{"itemID": "commendation", "count": 2, "reason": "市局表扬信"}"#)
            #expect(entered.status == 201, "\(entered.json)")
            let withBonus = try await API.call(base, "GET", "/api/v1/assessments/\(month)", token: admin)
            #expect((withBonus.json["assessment"] as? [String: Any])?["score"] as? Int == 102 && (withBonus.json["manual"] as? [Any])?.count == 1)
            let measuredItem = try await API.call(
                base, "POST", "/api/v1/assessments/\(month)/incidents", token: admin, body: #"{"itemID": "onTime", "count": 1, "reason": "x"}"#)
            #expect(measuredItem.status == 400 && measuredItem.json["field"] as? String == "itemID")

            // Every write is on the audit trail, by whom.
            let actions = Set(try await accounts.auditTrail(limit: 200).map(\.action))
            #expect(
                actions.isSuperset(of: [
                    "booking-create", "booking-confirmed", "booking-match", "booking-override", "booking-enRoute", "booking-completed", "callback",
                    "complaint-file", "assessment-incident",
                ]))
        }
    }

    @Test func invalidBodiesNameTheFieldAndNothingIsStored() async throws {
        try await API.withAPI { base, _, client, api in
            let (agency, dispatcher) = (try await API.signIn(base, "agency"), try await API.signIn(base, "dispatcher"))
            let good = Self.bookingJSON(pickupIn: 120)
            let cases: [(body: String, field: String, token: String)] = [
                (good.replacingOccurrences(of: #""passengers": 2"#, with: #""passengers": 0"#), "passengers", agency),
                (good.replacingOccurrences(of: #""passengers": 2"#, with: #""passengers": 9"#), "passengers", agency),
                (good.replacingOccurrences(of: #""latitude": 29.8683, "#, with: ""), "pickup.latitude", agency),
                (good.replacingOccurrences(of: #""vehicleClass": "sedan""#, with: #""vehicleClass": "limousine""#), "vehicleClass", agency),
                (good.replacingOccurrences(of: #""contactPhone": "0574-87000000""#, with: #""contactPhone": "call me""#), "contactPhone", agency),
                // A line break in the address would be a line of its own in SMTP (another RCPT TO,
                // a Bcc header): refused at the door, wherever it stands; so are a space and two @.
                (Self.withEmail(good, #"li@nbfgw.gov.cn\r\nRCPT TO:<spy@evil.cn>"#), "contactEmail", agency),
                (Self.withEmail(good, #"li@nbfgw.gov.cn\r\n"#), "contactEmail", agency),
                (Self.withEmail(good, #"li@nbfgw.gov.cn\n"#), "contactEmail", agency),
                (Self.withEmail(good, #"li@nbfgw.gov.cn\rBcc: spy@evil.cn"#), "contactEmail", agency),
                (Self.withEmail(good, "li zhu@nbfgw.gov.cn"), "contactEmail", agency),
                (Self.withEmail(good, "li@zhu@nbfgw.gov.cn"), "contactEmail", agency),
                (Self.withEmail(good, String(repeating: "l", count: 250) + "@nb.cn"), "contactEmail", agency),
                (Self.bookingJSON(pickupIn: -60), "pickupTime", agency),
                (good, "agencyID", dispatcher),
                (Self.bookingJSON(pickupIn: 120, agencyID: 999), "agencyID", dispatcher),
                ("[1, 2]", "", agency),
            ]
            for c in cases {
                let reply = try await API.call(base, "POST", "/api/v1/bookings", token: c.token, body: c.body)
                #expect(
                    reply.status == 400 && reply.json["field"] as? String == c.field && reply.contentType == "application/problem+json",
                    "\(c.field): \(reply.status) \(reply.json)")
            }
            var count = 0
            for try await n in try await client.query("SELECT count(*)::int8 FROM bookings", logger: TestPostgres.logger).decode(Int64.self) { count = Int(n) }
            #expect(count == 0)

            let vehicle = try await API.call(
                base, "POST", "/api/v1/vehicles", token: dispatcher, body: #"{"plate": "浙B1", "vehicleClass": "sedan", "seats": "five"}"#)
            #expect(vehicle.status == 400 && vehicle.json["field"] as? String == "seats")
            let driver = try await API.call(
                base, "POST", "/api/v1/drivers", token: dispatcher,
                body: """
                    {"name": "王", "phone": "13900000000", "birthDate": "1980-13-01", "serviceSince": "2010-01-01", "licenceNumber": "X", "licenceClasses": ["C1"], "licenceExpiry": "2030-01-01"}
                    """)
            #expect(driver.status == 400 && driver.json["field"] as? String == "birthDate", "\(driver.json)")
            #expect(try await API.call(base, "GET", "/api/v1/bookings/abc", token: dispatcher).json["field"] as? String == "id")
            #expect(try await API.call(base, "GET", "/api/v1/bookings?state=lost", token: dispatcher).json["field"] as? String == "state")
        }
    }

    @Test func filesThroughTheAPIShowTheirStanding() async throws {
        try await API.withAPI { base, _, client, api in
            let (admin, dispatcher, agency) = (
                try await API.signIn(base, "admin"), try await API.signIn(base, "dispatcher"), try await API.signIn(base, "agency")
            )
            let plate = "浙B7777D".addingPercentEncoding(withAllowedCharacters: .urlPathAllowed)!
            let created = try await API.call(
                base, "POST", "/api/v1/vehicles", token: dispatcher,
                body: #"{"plate": "浙B7777D", "vehicleClass": "van", "seats": 9, "brand": "上汽大通", "registrationDate": "2025-05-20"}"#)
            #expect(
                created.status == 201 && created.json["rangeKm"] as? Int == 400 && created.json["registrationDate"] as? String == "2025-05-20",
                "\(created.json)")
            let bare = try await API.call(base, "GET", "/api/v1/vehicles/\(plate)", token: admin)
            let reasons = try #require(bare.json["reasons"] as? [String])
            #expect(
                bare.json["dispatchable"] as? Bool == false && reasons.contains("no seat insurance") && reasons.contains("monthly inspection overdue")
                    && reasons.contains("no position from its terminal"), "\(reasons)")
            // Filed without a charge: unknown, not full. Read off the display by the dispatcher, it
            // is a reading with its time and who entered it.
            #expect(created.json["stateOfCharge"] == nil && reasons.contains("state of charge never reported"), "\(created.json)")
            #expect(
                try await API.call(base, "PUT", "/api/v1/vehicles/\(plate)/charge", token: dispatcher, body: #"{"stateOfCharge": 15}"#).status == 200)
            let charged = try await API.call(base, "GET", "/api/v1/vehicles/\(plate)", token: admin)
            let chargedReasons = try #require(charged.json["reasons"] as? [String])
            #expect(
                (charged.json["file"] as? [String: Any])?["stateOfCharge"] as? Int == 15 && chargedReasons.contains("charge 15% below the 20% the trip needs")
                    && !chargedReasons.contains("state of charge never reported"), "\(charged.json)")
            let entered = try await client.query(
                """
                SELECT c.source, u.username FROM vehicle_charge c JOIN vehicles v ON v.id = c.vehicle_id JOIN users u ON u.id = c.entered_by
                WHERE v.plate = '浙B7777D'
                """, logger: TestPostgres.logger)
            var readings: [String] = []
            for try await (source, username) in entered.decode((String, String).self) { readings.append("\(source) by \(username)") }
            #expect(readings == ["hand by dispatcher"])
            let lowCover = try await API.call(
                base, "POST", "/api/v1/vehicles/\(plate)/policies", token: dispatcher,
                body:
                    #"{"kind": "seat", "insurer": "人保", "amountFen": 10000000, "startsAt": "2026-01-01T00:00:00+08:00", "expiresAt": "2027-01-01T00:00:00+08:00"}"#
            )
            #expect(lowCover.status == 201)
            let after = try #require(try await API.call(base, "GET", "/api/v1/vehicles/\(plate)", token: admin).json["reasons"] as? [String])
            #expect(after.contains("seat cover of 100000 CNY is below the minimum") && !after.contains("no seat insurance"), "\(after)")
            let backwards = try await API.call(
                base, "POST", "/api/v1/vehicles/\(plate)/policies", token: dispatcher,
                body:
                    #"{"kind": "seat", "insurer": "人保", "amountFen": 50000000, "startsAt": "2027-01-01T00:00:00+08:00", "expiresAt": "2026-01-01T00:00:00+08:00"}"#
            )
            #expect(backwards.status == 400 && backwards.json["field"] as? String == "expiresAt")
            #expect(try await API.call(base, "GET", "/api/v1/vehicles", token: agency).status == 403)
            #expect(try await API.call(base, "GET", "/api/v1/vehicles/%E6%B5%99X", token: admin).status == 404)

            // A driver too old and untrained is filed, and says why they may not drive.
            let driver = try await API.call(
                base, "POST", "/api/v1/drivers", token: dispatcher,
                body: """
                    {"name": "老赵", "phone": "13900000001", "birthDate": "1950-01-01", "serviceSince": "1975-01-01", "licenceNumber": "330200195001010011", "licenceClasses": ["C1"], "licenceExpiry": "2030-01-01", "certificateNumber": " QC3302001 "}
                    """)
            let driverID = try #require(driver.json["id"] as? Int, "\(driver.json)")
            // The qualification certificate's number, which IC cards are matched by: kept trimmed, shown, one file each.
            #expect(driver.json["certificateNumber"] as? String == "QC3302001")
            for (certificate, status) in [("QC3302001", 409), ("QC\\n1", 400), (String(repeating: "9", count: 41), 400)] {
                let other = try await API.call(
                    base, "POST", "/api/v1/drivers", token: dispatcher,
                    body: """
                        {"name": "小钱", "phone": "13900000003", "birthDate": "1990-01-01", "serviceSince": "2012-01-01", "licenceNumber": "3302\(status)\(certificate.count)", "licenceClasses": ["C1"], "licenceExpiry": "2030-01-01", "certificateNumber": "\(certificate)"}
                        """)
                #expect(other.status == status && (status == 409 || other.json["field"] as? String == "certificateNumber"), "\(other.json)")
            }
            let detail = try await API.call(base, "GET", "/api/v1/drivers/\(driverID)", token: admin)
            let why = try #require(detail.json["reasons"] as? [String])
            #expect(
                detail.json["eligible"] as? Bool == false && why.contains { $0.hasPrefix("driver aged 76") }
                    && why.contains("0 days of pre-duty training: 3 needed"), "\(why)")
            let duplicate = try await API.call(
                base, "POST", "/api/v1/drivers", token: dispatcher,
                body: """
                    {"name": "小赵", "phone": "13900000002", "birthDate": "1990-01-01", "serviceSince": "2012-01-01", "licenceNumber": "330200195001010011", "licenceClasses": ["C1"], "licenceExpiry": "2030-01-01"}
                    """)
            #expect(duplicate.status == 409 && duplicate.json["field"] as? String == "licenceNumber")
            #expect(try await API.call(base, "PUT", "/api/v1/drivers/\(driverID)/vehicle", token: dispatcher, body: #"{"plate": "浙B7777D"}"#).status == 200)
            #expect(try await FleetFiles(client: client, logger: TestPostgres.logger).driver(id: Int64(driverID))?.vehicleID != nil)
            // The reminders name what is due: the van has no inspections at all.
            let reminders = try await API.call(base, "GET", "/api/v1/reminders", token: admin)
            let items = reminders.array.compactMap { $0 as? [String: Any] }
            #expect(items.contains { $0["kind"] as? String == "inspectionDue" && $0["subject"] as? String == "浙B7777D" })
            // One van and one driver on duty on it, neither a spare: both reserves are short, the
            // vehicles' counted in the van's class.
            #expect(
                items.contains {
                    $0["kind"] as? String == "reserveShort" && $0["subject"] as? String == "vehicles (van)"
                        && $0["detail"] as? String == "0 of 1 in reserve: 10% is 1"
                })
            #expect(items.contains { $0["kind"] as? String == "reserveShort" && $0["subject"] as? String == "drivers on duty" })
            let users = try await API.call(base, "GET", "/api/v1/users", token: admin)
            #expect(Set(users.array.compactMap { ($0 as? [String: Any])?["username"] as? String }) == ["admin", "dispatcher", "auditor", "agency"])
        }
    }

    /// The live stream over a real socket: an agency user gets its own bookings' events and
    /// never another agency's.
    @Test func theLiveStreamShowsAnAgencyOnlyItsOwn() async throws {
        try await API.withAPI { base, accounts, _, api in
            let otherAgency = try await accounts.createAgency(name: "市卫健委")
            let hash = await PasswordHash.hash("correct horse")
            _ = try await accounts.createUser(username: "other", passwordHash: hash, role: "agency", agencyID: otherAgency)
            let (agency, other, dispatcher) = (
                try await API.signIn(base, "agency"), try await API.signIn(base, "other"), try await API.signIn(base, "dispatcher")
            )
            let agencyStream = try EventStreamReader(port: base.port!, token: agency)
            let operatorStream = try EventStreamReader(port: base.port!, token: dispatcher)
            #expect(try agencyStream.read(until: "fleet live feed").contains("text/event-stream"))
            _ = try operatorStream.read(until: "fleet live feed")
            let theirs = try await API.call(base, "POST", "/api/v1/bookings", token: other, body: Self.bookingJSON(pickupIn: 180))
            let ours = try await API.call(base, "POST", "/api/v1/bookings", token: agency, body: Self.bookingJSON(pickupIn: 180))
            let (theirID, ourID) = (
                try #require((theirs.json["booking"] as? [String: Any])?["id"] as? Int), try #require((ours.json["booking"] as? [String: Any])?["id"] as? Int)
            )
            let seen = try agencyStream.read(until: #""id":\#(ourID)"#)
            #expect(seen.contains("event: booking") && !seen.contains(#""id":\#(theirID)"#), "\(seen)")
            // The operator sees both.
            let all = try operatorStream.read(until: #""id":\#(ourID)"#)
            #expect(all.contains(#""id":\#(theirID)"#))
        }
    }
}

/// A plain socket reading `text/event-stream`: URLSession on Linux cannot stream a body.
final class EventStreamReader {
    let socket: Int32
    var received = ""

    init(port: Int, token: String) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        let request = "GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\nAccept: text/event-stream\r\n\r\n"
        _ = request.withCString { send(socket, $0, strlen($0), 0) }
    }

    deinit { close(socket) }

    /// Everything received until `needle` appears (at most 10 s); throws on timeout.
    func read(until needle: String) throws -> String {
        let deadline = Date().addingTimeInterval(10)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while !received.contains(needle) {
            guard Date() < deadline else { throw POSIXError(.ETIMEDOUT) }
            var poller = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            let n = recv(socket, &buffer, buffer.count, 0)
            guard n > 0 else { throw POSIXError(.ECONNRESET) }
            received += String(decoding: buffer[..<n], as: UTF8.self)
        }
        let all = received
        received = ""
        return all
    }
}
