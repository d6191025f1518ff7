import Dispatching
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Matching
import Store

/// Bookings from request to completion, the driver's jobs, complaints and callbacks. An agency
/// user sees and books only for its own agency: another agency's booking is "not found".
extension FleetAPI {
    struct BookingBody: ResponseEncodable {
        var booking: BookingRecord
        var clocks: [ClockBody]
    }

    struct BookingPage: ResponseEncodable {
        var items: [BookingRecord]
        /// Pass as `before` for the next page; absent on the last.
        var next: Int64?
        /// Each item's SLA clocks by its id, when asked (`clocks=true`): a board of hundreds
        /// draws in one request.
        var clocks: [String: [ClockBody]]?
    }

    struct Reason: Decodable { var reason: String }

    struct Override: Decodable {
        var vehicleID: Int64
        var driverID: Int64
        var reason: String
    }

    struct Incident: Decodable {
        enum Kind: String, Decodable, CaseIterable { case breakdown, accident }
        var kind: Kind
        var note: String
    }

    /// The driver's checks before setting off (docs/DOMAIN.md, "A trip, from request to
    /// settlement", step 5): all must pass.
    struct PreTripCheck: Decodable {
        var brakes: Bool
        var steering: Bool
        var lights: Bool
        var tyres: Bool
        var charge: Bool
        var kit: Bool
        var cleanliness: Bool

        var failed: [String] {
            [("brakes", brakes), ("steering", steering), ("lights", lights), ("tyres", tyres), ("charge", charge), ("kit", kit), ("cleanliness", cleanliness)]
                .filter { !$0.1 }.map(\.0)
        }
    }

    struct Progress: Decodable {
        enum Step: String, Decodable, CaseIterable { case enRoute, onSite, inService, completed }
        var state: Step
        var preTripCheck: PreTripCheck?
        var completion: Completion?
    }

    struct NewComplaint: Decodable {
        var agencyID: Int64?
        var bookingID: Int64?
        var text: String
    }

    struct Resolution: Decodable {
        var result: String
        /// Whether the complaint held: a substantiated one counts against the trip's driver.
        var substantiated: Bool?
        /// Which of the trip's drivers it was about, when a replacement served it too (the last
        /// by default).
        var driverID: Int64?
    }

    /// A change of route the agency agreed to: the new stops and destination, and what was agreed.
    struct NewRoute: Decodable {
        var stops: [Place]
        var destination: Place
        var note: String
    }

    struct Callback: Decodable {
        var satisfaction: Int
        var note: String?
    }

    struct Done: ResponseEncodable { var done: Bool }

    func addBookingRoutes(_ list: inout EndpointList) {
        let everyone: [Role] = [.administrator, .dispatcher, .auditor, .agency]
        list.add(
            .post, "/api/v1/bookings", Self.operators + [.agency], "Book a car with driver (urgent if the pick-up is within an hour)",
            body: "BookingRequest", returns: "Booking", status: .created
        ) { request, context, user in
            try await book(request, context, user)
        }
        list.add(
            .get, "/api/v1/bookings", everyone + [.approver], "Bookings, newest first: an agency user's or approver's own agency's only",
            returns: "BookingPage",
            query: [
                ("state", FieldType.list(of: BookingState.self, maxItems: 20), "comma-separated states"),
                ("updatedSince", "date-time", "ISO 8601: only bookings changed after it (for polling)"),
                ("before", "id", "the `next` of the previous page"), ("limit", "integer(1...500)", "1 to 500, default 100"),
                ("clocks", "boolean", "true: each item's SLA clocks too, by its id"),
            ]
        ) { request, _, user in
            let states: [BookingState]? = try cases("state", request)
            let before = try request.uri.queryParameters.get("before").map { text -> Int64 in
                guard let id = Int64(text) else { throw Problem.invalid("before", "a booking id") }
                return id
            }
            let limit = try count("limit", request, default: 100, maximum: 500)
            let items = try await dispatch.bookings.list(
                agencyID: user.role.belongsToAgency ? user.agencyID : nil, states: states, updatedSince: try time("updatedSince", request), before: before,
                limit: limit
            )
            let clocks = request.uri.queryParameters.get("clocks") == "true"
            return BookingPage(
                items: items, next: items.count == limit ? items.last?.id : nil,
                clocks: clocks ? Dictionary(uniqueKeysWithValues: items.map { ("\($0.id)", dispatch.bookings.clocks($0)) }) : nil)
        }
        list.add(
            .get, "/api/v1/bookings/{id}", everyone + [.approver],
            "A booking with its transitions and SLA clocks; ETag = its version (If-None-Match gives 304)",
            returns: "Booking"
        ) {
            request, context, user in
            let record = try await booking(context, user)
            let etag = "\"\(record.version)\""
            if request.headers[.ifNoneMatch] == etag { return Response(status: .notModified, headers: [.eTag: etag]) }
            var response = try bookingBody(record).response(from: request, context: context)
            response.headers[.eTag] = etag
            return response
        }
        list.add(
            .post, "/api/v1/bookings/{id}/confirm", Self.operators, "Confirm a booking (within 5 minutes of receipt); the engine then matches it",
            returns: "Booking"
        ) {
            _, context, user in
            try await move(context, user, to: .confirmed, note: "")
        }
        list.add(
            .post, "/api/v1/bookings/{id}/approve", [.approver],
            "The agency's approver approves its user's booking: the operator receives it now (its 5-minute confirm clock starts)", returns: "Booking"
        ) { _, context, user in
            let record = try await booking(context, user)
            let audit = entry(user, "booking-approve", "booking:\(record.id)")
            return bookingBody(try await dispatch.bookings.approve(record.id, by: actor(user), audit: audit))
        }
        list.add(
            .post, "/api/v1/bookings/{id}/refuse", [.approver], "The agency's approver refuses its user's booking, with the reason: the booking ends",
            body: "Reason", returns: "Booking"
        ) { request, context, user in
            let record = try await booking(context, user)
            let body = try await decode(Reason.self, request, context)
            let audit = entry(user, "booking-refuse", "booking:\(record.id)", ["reason": body.reason])
            return bookingBody(try await dispatch.bookings.refuse(record.id, reason: body.reason, by: actor(user), audit: audit))
        }
        list.add(.post, "/api/v1/bookings/{id}/cancel", Self.operators + [.agency], "Cancel a booking, with the reason", body: "Reason", returns: "Booking") {
            request, context, user in
            let body = try await decode(Reason.self, request, context)
            try Self.require(!body.reason.isEmpty, "reason", "why the booking is cancelled")
            return try await move(context, user, to: .cancelled, note: body.reason)
        }
        list.add(
            .post, "/api/v1/bookings/{id}/match", Self.operators, "Match a confirmed booking now (the engine also does so every few seconds)",
            returns: "Booking"
        ) {
            _, context, user in
            let record = try await booking(context, user)
            guard [.confirmed, .replaced].contains(record.state) else {
                throw Problem(
                    .conflict, "Not waiting for a crew", detail: "the booking is \(record.state.rawValue); only a confirmed or replaced booking is matched")
            }
            let round = try await dispatch.rounds.run(only: [record.id]) { [self] in entry(user, "booking-match", "booking:\($0)") }
            guard round.matched.contains(record.id) else {
                throw Problem(
                    .conflict, "No eligible crew",
                    detail: "no crew can serve this booking now: GET /api/v1/bookings/\(record.id)/explanation says why each cannot")
            }
            return try await bookingBody(record.id)
        }
        list.add(
            .put, "/api/v1/bookings/{id}/assignment", Self.operators, "Override the match: the pair must be eligible (409 lists why not)", body: "Override",
            returns: "Booking"
        ) {
            request, context, user in
            let record = try await booking(context, user)
            let body = try await decode(Override.self, request, context)
            try Self.require(!body.reason.isEmpty, "reason", "why the engine's choice is overridden")
            do {
                let audit = entry(user, "booking-override", "booking:\(record.id)", ["vehicle": "\(body.vehicleID)", "driver": "\(body.driverID)"])
                _ = try await dispatch.rounds.override(
                    record.id, vehicleID: body.vehicleID, driverID: body.driverID, by: actor(user), reason: body.reason, audit: audit)
            } catch is NoSuchRecord {
                throw Problem.invalid("vehicleID", "no such vehicle or driver")
            }
            return try await bookingBody(record.id)
        }
        list.add(
            .get, "/api/v1/bookings/{id}/explanation", Self.readers, "Why the engine chooses its crew, and why not each other crew", returns: "Explanation"
        ) {
            _, context, user in
            let record = try await booking(context, user)
            guard let explanation = try await dispatch.rounds.explain(record.id) else { throw Self.notFound("no booking \(record.id)") }
            return explanation
        }
        list.add(
            .post, "/api/v1/bookings/{id}/incident", Self.operators + [.driver],
            "A breakdown or accident: the booking is replaced and a new crew dispatched at once",
            body: "Incident", returns: "Booking"
        ) { request, context, user in
            let record = try await booking(context, user)
            let body = try await decode(Incident.self, request, context)
            let audit = entry(user, "booking-incident", "booking:\(record.id)", ["kind": body.kind.rawValue])
            try await dispatch.rounds.replace(record.id, by: actor(user), reason: "\(body.kind.rawValue): \(body.note)", audit: audit)
            return try await bookingBody(record.id)
        }
        list.add(
            .post, "/api/v1/bookings/{id}/route-changes", Self.operators + [.agency],
            "Record a change of route the booking's agency agreed to (new stops and destination): the track is held to it from now on",
            body: "NewRoute", returns: "Booking", status: .created
        ) { request, context, user in
            let record = try await booking(context, user)
            let body = try await decode(NewRoute.self, request, context)
            let audit = entry(user, "booking-route-change", "booking:\(record.id)", ["stops": "\(body.stops.count)"])
            return bookingBody(
                try await dispatch.bookings.changeRoute(
                    record.id, stops: body.stops, destination: body.destination, note: body.note, by: actor(user), audit: audit))
        }
        list.add(.get, "/api/v1/jobs", [.driver], "The signed-in driver's jobs, upcoming and under way", returns: "[Booking]") { _, _, user in
            guard let driver = try await dispatch.files.driver(userID: user.id), let id = driver.id else {
                throw Self.notFound("no driver's file is linked to this login")
            }
            return try await dispatch.bookings.jobs(driverID: id).map { bookingBody($0) }
        }
        list.add(
            .post, "/api/v1/bookings/{id}/progress", [.driver],
            "The driver's steps: en route (with the pre-trip check), on site (confirmed by the GNSS track), in service, completed (tolls and parking with receipts)",
            body: "Progress", returns: "Booking"
        ) { request, context, user in
            try await progress(request, context, user)
        }
        list.add(
            .post, "/api/v1/bookings/{id}/callback", Self.operators, "The callback after the trip (within 24 hours), with the agency's satisfaction 1-5",
            body: "Callback", returns: "Done", status: .created
        ) { request, context, user in
            let record = try await booking(context, user)
            let body = try await decode(Callback.self, request, context)
            let audit = entry(user, "callback", "booking:\(record.id)", ["satisfaction": "\(body.satisfaction)"])
            try await dispatch.care.callback(bookingID: record.id, satisfaction: body.satisfaction, note: body.note ?? "", by: user.id, audit: audit)
            return Done(done: true)
        }
        list.add(
            .post, "/api/v1/complaints", Self.operators + [.agency], "File a complaint (contact within 12 hours, result within 3 working days)",
            body: "NewComplaint", returns: "Complaint", status: .created
        ) { request, context, user in
            let body = try await decode(NewComplaint.self, request, context)
            let audit: Audit<Int64> = { [self] id in entry(user, "complaint-file", "complaint:\(id)") }
            return try await dispatch.care.file(agencyID: try agencyOf(body.agencyID, user), bookingID: body.bookingID, text: body.text, audit: audit)
        }
        list.add(.get, "/api/v1/complaints", everyone, "Complaints, newest first: an agency user's own only", returns: "[Complaint]") { _, _, user in
            try await dispatch.care.complaints(agencyID: user.role == .agency ? user.agencyID : nil)
        }
        list.add(.post, "/api/v1/complaints/{id}/contact", Self.operators, "The agency was contacted about the complaint", returns: "Done") {
            _, context, user in
            let complaint = try id("id", context)
            try await dispatch.care.contacted(complaint, audit: entry(user, "complaint-contact", "complaint:\(complaint)"))
            return Done(done: true)
        }
        list.add(.post, "/api/v1/complaints/{id}/resolve", Self.operators, "The result given to the agency", body: "Resolution", returns: "Done") {
            request, context, user in
            let complaint = try id("id", context)
            let body = try await decode(Resolution.self, request, context)
            let substantiated = body.substantiated ?? false
            try await dispatch.care.resolve(complaint, result: body.result, substantiated: substantiated, driverID: body.driverID) { [self] held in
                entry(
                    user, "complaint-resolve", "complaint:\(complaint)",
                    ["substantiated": "\(substantiated)", "heldForReview": held.map { "driver:\($0)" }].compactMapValues { $0 })
            }
            return Done(done: true)
        }
    }

    func actor(_ user: APIUser) -> Actor { Actor(userID: user.id, name: user.username) }

    /// The agency a request is for: an agency user's own (naming another is forbidden); an
    /// operator must name one.
    func agencyOf(_ named: Int64?, _ user: APIUser) throws -> Int64 {
        if user.role == .agency {
            guard let own = user.agencyID, named == nil || named == own else {
                throw Problem(.forbidden, "Not allowed", detail: "an agency user acts only for its own agency")
            }
            return own
        }
        guard let named else { throw Problem.invalid("agencyID", "the agency the booking is for") }
        return named
    }

    func book(_ request: Request, _ context: APIContext, _ user: APIUser) async throws -> BookingBody {
        var body = try await decode(BookingRequest.self, request, context)
        let agency = try agencyOf(body.agencyID, user)
        if user.role == .agency { body.channel = .platform }
        // Lengths and bounds were checked at the door against the document's types; the
        // booking's own rules (when, how long) by the service.
        let urgent = body.isUrgent(receivedAt: clock.now)
        let audit: Audit<Int64> = { [self] id in entry(user, "booking-create", "booking:\(id)", ["agency": "\(agency)", "urgent": "\(urgent)"]) }
        do {
            return bookingBody(try await dispatch.bookings.book(body, agencyID: agency, byAgency: user.role == .agency, by: actor(user), audit: audit))
        } catch is NoSuchRecord {
            throw Problem.invalid("agencyID", "no such agency")
        }
    }

    /// The booking of the path, if the user may see it: an agency user or approver only its
    /// agency's, a driver
    /// only their jobs; anything else is "not found" (its existence is not revealed).
    func booking(_ context: APIContext, _ user: APIUser) async throws -> BookingRecord {
        let bookingID = try id("id", context)
        guard let record = try await dispatch.bookings.booking(id: bookingID) else { throw Self.notFound("no booking \(bookingID)") }
        switch user.role {
        case .agency, .approver: if record.agencyID != user.agencyID { throw Self.notFound("no booking \(bookingID)") }
        case .driver:
            guard let driver = try await dispatch.files.driver(userID: user.id), driver.id == record.driverID else {
                throw Self.notFound("no booking \(bookingID)")
            }
        default: break
        }
        return record
    }

    func bookingBody(_ id: Int64) async throws -> BookingBody {
        guard let record = try await dispatch.bookings.booking(id: id) else { throw Self.notFound("no booking \(id)") }
        return bookingBody(record)
    }

    /// A booking with its clocks as of now.
    func bookingBody(_ record: BookingRecord) -> BookingBody { BookingBody(booking: record, clocks: dispatch.bookings.clocks(record)) }

    /// A signed transition of the booking of the path, published and audited.
    func move(_ context: APIContext, _ user: APIUser, to state: BookingState, note: String, completion: Completion? = nil) async throws -> BookingBody {
        let record = try await booking(context, user)
        let audit = entry(user, "booking-\(state.rawValue)", "booking:\(record.id)")
        return bookingBody(try await dispatch.bookings.move(record.id, to: state, by: actor(user), completion: completion, note: note, audit: audit))
    }

    func progress(_ request: Request, _ context: APIContext, _ user: APIUser) async throws -> BookingBody {
        let record = try await booking(context, user)
        let body = try await decode(Progress.self, request, context)
        switch body.state {
        case .enRoute:
            guard let check = body.preTripCheck else { throw Problem.invalid("preTripCheck", "the pre-trip check comes before setting off") }
            guard check.failed.isEmpty else {
                throw Problem(
                    .conflict, "Pre-trip check failed",
                    detail: "failed: \(check.failed.joined(separator: ", ")); report a breakdown with POST /api/v1/bookings/\(record.id)/incident")
            }
            return try await move(context, user, to: .enRoute, note: "pre-trip check passed")
        case .onSite:
            // Judged from the track, not from the button: the sweep records it when the track
            // shows the vehicle within 150 m of the pick-up.
            let checked = try await dispatch.arrivals.checkArrival(record.id)
            guard checked.state == .onSite || checked.state == .inService else {
                throw Problem(
                    .conflict, "Not on site by the track",
                    detail: "the vehicle's track has not come within 150 m of the pick-up point since the job was notified")
            }
            return bookingBody(checked)
        case .inService:
            return try await move(context, user, to: .inService, note: "")
        case .completed:
            guard let completion = body.completion else { throw Problem.invalid("completion", "tolls and parking in fen, with receipt references") }
            // Not negative, each at most 10^10 fen: checked at the door.
            try Self.require(
                (completion.tollsFen == 0 && completion.parkingFen == 0) || !completion.receipts.isEmpty, "completion.receipts",
                "a receipt reference for every toll or parking fee")
            return try await move(context, user, to: .completed, note: "", completion: completion)
        }
    }
}
