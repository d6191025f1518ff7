import Domain
import Foundation

/// Bookings from intake to settlement: each change checked against the lifecycle, signed,
/// audited in its transaction (the repository's), and published on the live feed once stored.
public struct BookingService: Sendable {
    public let repository: any BookingRepository
    let feed: LiveFeed
    let events: ServiceEvents
    let clock: any WallClock
    let levels: ServiceLevels
    /// The zones and calendar in force (the database's, as administrators edit them).
    let terms: ZonesAndCalendar
    /// Composes the notices a step owes; nil: none.
    let composer: NoticeComposer?

    public init(
        repository: any BookingRepository, feed: LiveFeed, events: ServiceEvents = ServiceEvents(), clock: any WallClock,
        levels: ServiceLevels = ServiceLevels(),
        terms: ZonesAndCalendar = ZonesAndCalendar(), composer: NoticeComposer? = nil
    ) {
        (self.repository, self.feed, self.events, self.clock, self.levels, self.terms) = (repository, feed, events, clock, levels, terms)
        self.composer = composer
    }

    /// Takes an agency's request now (urgent if the pick-up is within the hour): received, or,
    /// made by one of the agency's own users (`byAgency`) when the agency approves its
    /// bookings, awaiting its approver. A dispatcher's booking on an agency's behalf (the phone)
    /// is received at once.
    public func book(_ request: BookingRequest, agencyID: Int64, byAgency: Bool = false, by actor: Actor, audit: Audit<Int64>?) async throws
        -> BookingRecord
    {
        let now = clock.now
        try Self.check(request, now: now)
        let approving = byAgency ? try await repository.requiresApproval(agencyID: agencyID) : false
        let state: BookingState = approving ? .awaitingApproval : .received
        let record = try await repository.create(request, agencyID: agencyID, receivedAt: now, state: state, by: actor, audit: audit)
        publish(record)
        return record
    }

    /// The agency's approver approves a booking awaiting approval: the operator receives it
    /// now, and its confirm clock starts.
    /// Too late once the pick-up has passed: no crew could serve it, and its clocks would run
    /// against the operator.
    public func approve(_ id: Int64, by actor: Actor, audit: AuditLine?) async throws -> BookingRecord {
        if try await repository.booking(id: id)?.approvalLapsed(at: clock.now) == true {
            throw Conflict("the pick-up time has passed: book again, or refuse it")
        }
        return try await move(id, to: .received, by: actor, note: "approved by the agency", audit: audit)
    }

    /// The agency's approver refuses a booking awaiting approval, with the reason: it ends.
    public func refuse(_ id: Int64, reason: String, by actor: Actor, audit: AuditLine?) async throws -> BookingRecord {
        try await move(id, to: .refused, by: actor, note: reason, audit: audit)
    }

    /// What a booking must be, at `now`: a pick-up not in the past and within 90 days (advance
    /// bookings), a service of at most 30 days after it, a plausible contact e-mail if any (it
    /// goes into SMTP commands and headers).
    static func check(_ request: BookingRequest, now: Date) throws(Refused) {
        if let email = request.contactEmail, !EmailAddress.isPlausible(email) {
            throw Refused(field: "contactEmail", expected: "an e-mail address: printable ASCII, one @, a dotted domain, no space or line break")
        }
        guard request.pickupTime > now.addingTimeInterval(-300) else { throw Refused(field: "pickupTime", expected: "not in the past") }
        guard request.pickupTime < now.addingTimeInterval(90 * 86_400) else { throw Refused(field: "pickupTime", expected: "within 90 days") }
        guard request.serviceEnd > request.pickupTime else { throw Refused(field: "serviceEnd", expected: "after pickupTime") }
        guard request.serviceEnd.timeIntervalSince(request.pickupTime) <= 30 * 86_400 else {
            throw Refused(field: "serviceEnd", expected: "at most 30 days after pickupTime")
        }
        try checkRoute(stops: request.stops ?? [], destination: request.destination)
    }

    /// A route's stops and destination: at most `RouteCorridor.maximumStops` stops, every place
    /// on the globe.
    static func checkRoute(stops: [Place], destination: Place) throws(Refused) {
        guard stops.count <= RouteCorridor.maximumStops else { throw Refused(field: "stops", expected: "at most \(RouteCorridor.maximumStops) stops") }
        for (field, place) in stops.map({ ("stops", $0) }) + [("destination", destination)]
        where !((-90...90).contains(place.latitude) && (-180...180).contains(place.longitude)) {
            throw Refused(field: field, expected: "a latitude of -90 to 90 and a longitude of -180 to 180")
        }
    }

    /// Records a change of route the booking's agency agreed to, now: the track is held to the
    /// new route from now on.
    public func changeRoute(_ id: Int64, stops: [Place], destination: Place, note: String, by actor: Actor, audit: AuditLine?) async throws -> BookingRecord {
        try Self.checkRoute(stops: stops, destination: destination)
        guard !note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw Refused(field: "note", expected: "what the agency agreed to") }
        let change = RouteChange(at: clock.now, by: actor.name, note: note, stops: stops, destination: destination)
        let changed = try await repository.changeRoute(id, to: change, by: actor, audit: audit)
        publish(changed)
        return changed
    }

    /// Moves a booking now (or at `time`, for a transition seen on a track), published, with the
    /// notices the step owes queued in its transaction.
    @discardableResult
    public func move(
        _ id: Int64, to state: BookingState, at time: Date? = nil, by actor: Actor, crew: (vehicleID: Int64, driverID: Int64)? = nil,
        completion: Completion? = nil,
        note: String = "", stop: Place? = nil, audit: AuditLine? = nil
    ) async throws -> BookingRecord {
        let owed = try await notices(owedReaching: state, id, crew: crew)
        let moved = try await repository.move(
            id, to: state, at: time ?? clock.now, by: actor, crew: crew, completion: completion, note: note, stop: stop, audit: audit, notices: owed)
        if !owed.isEmpty { composer?.due.signal() }
        publish(moved)
        for consequence in state.consequences(withCrew: moved.vehicleID != nil) {
            switch consequence {
            case .crewWanted: try await events.publish(.crewWanted(bookingID: id))
            case .crewFreed: try await events.publish(.crewFreed(bookingID: id))
            }
        }
        return moved
    }

    /// What reaching `state` owes whom: a crew (the first, or another one) to the agency and the
    /// job to the driver; the driver on site; the trip over, with its sheet to sign. None
    /// without a composer (the services' tests in memory).
    func notices(owedReaching state: BookingState, _ id: Int64, crew: (vehicleID: Int64, driverID: Int64)?) async throws -> [Notice] {
        guard let composer, [.matched, .onSite, .completed].contains(state), let record = try await repository.booking(id: id) else { return [] }
        let kind: Notice.Kind =
            switch state {
            case .onSite: .driverOnSite
            case .completed: .tripCompleted
            default: record.transitions.contains { $0.state == .matched } ? .crewChanged : .matched
            }
        return try await composer.owed(kind, record, crew: crew)
    }

    /// What a clock owes the agency: its crew may be late (on site, or a replacement's arrival,
    /// at risk).
    func notices(owedBy status: ServiceLevels.Status, _ record: BookingRecord) async throws -> [Notice] {
        guard let composer, status.state == .atRisk, status.stopped == nil, [.onSite, .replacementArrival].contains(status.clock) else { return [] }
        return try await composer.owed(.delayAtRisk, record, crew: nil)
    }

    /// A completed booking whose sheet the agency signed is settled (a cancelled one stays
    /// cancelled; one settled already stays as it is).
    public func settle(_ bookingID: Int64) async throws {
        guard let record = try await repository.booking(id: bookingID), record.state == .completed else { return }
        try await move(bookingID, to: .settled, by: Actor(userID: nil, name: "billing"), note: "settlement sheet confirmed")
    }

    public func booking(id: Int64) async throws -> BookingRecord? { try await repository.booking(id: id) }

    public func list(agencyID: Int64?, states: [BookingState]?, updatedSince: Date?, before: Int64?, limit: Int) async throws -> [BookingRecord] {
        try await repository.list(agencyID: agencyID, states: states, updatedSince: updatedSince, before: before, limit: limit)
    }

    public func jobs(driverID: Int64) async throws -> [BookingRecord] { try await repository.jobs(driverID: driverID) }

    public func open() async throws -> [BookingRecord] { try await repository.open() }

    /// The booking's SLA clocks, now.
    public func clocks(_ record: BookingRecord) -> [ClockBody] { statuses(record).map(ClockBody.init) }

    func statuses(_ record: BookingRecord) -> [ServiceLevels.Status] {
        terms.levels(levels).clocks(for: record, zones: terms.zones, now: clock.now.epochSeconds)
    }

    /// Publishes a booking's new state to the operator and to its agency.
    public func publish(_ record: BookingRecord) {
        feed.publish(FeedEvent(kind: .booking, agencyID: record.agencyID, BookingEvent(record)))
    }

    /// What the feed says of a booking: enough to update a dispatcher's board.
    struct BookingEvent: Encodable {
        var id: Int64
        var agencyID: Int64
        var state: BookingState
        var vehicleID: Int64?
        var driverID: Int64?
        var pickupTime: Date
        var version: Int
        var by: String?
        init(_ r: BookingRecord) {
            (id, agencyID, state, vehicleID, driverID, pickupTime, version) = (
                r.id, r.agencyID, r.state, r.vehicleID, r.driverID, r.request.pickupTime, r.version
            )
            by = r.transitions.last?.by
        }
    }
}

extension ServiceLevels {
    /// A stored booking's clocks as of `now`, its pick-up and where each replacement is sent
    /// judged city or suburb by `zones`.
    func clocks(for record: BookingRecord, zones: ServiceZones, now: Int64) -> [Status] {
        clocks(
            for: record.history, pickupTime: record.request.pickupTime.epochSeconds, pickupZone: zones.kind(of: record.request.pickup.point),
            replacementZones: record.replacementSites.map { zones.kind(of: $0.point) }, now: now)
    }
}
