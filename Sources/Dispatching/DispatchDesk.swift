import DispatchEngine
import Domain
import Foundation
import Logging
import PostgresNIO
import Store
import Synchronization

/// The dispatch engine at work on the stored fleet: matches open bookings and signs the
/// matches, explains them, takes a dispatcher's override, runs the SLA clocks, sees the crew
/// arrive from its GNSS track, and dispatches replacements. Every change is published on the
/// live feed. The pure rules are `DispatchEngine`'s; this wires them to PostgreSQL.
public final class DispatchDesk: Sendable {
    public let bookings: Bookings
    let facts: DispatchFacts
    public let positions: PositionQueries
    let care: CustomerCare
    let client: PostgresClient
    public let feed: LiveFeed
    let rules: DispatchRules
    let levels: ServiceLevels
    let zones: ServiceZones
    let logger: Logger
    /// Learnt from the fleet's tracks (`refreshSpeeds`), and drivers' driving time from their
    /// vehicles' tracks (`refreshDrivingTimes`): both refreshed by the dispatch service.
    let speeds = Mutex(SpeedProfile())
    let driving = Mutex<[Int64: DrivingTime]>([:])
    /// Bookings whose pick-up lies further ahead wait for a later round.
    let horizon: TimeInterval = 24 * 3600
    /// Terminal alarms that mean an accident: the crew is replaced.
    static let accidentAlarms = ["collisionWarning", "rolloverWarning"]

    public init(
        client: PostgresClient, database: DatabaseURL, feed: LiveFeed, rules: DispatchRules = DispatchRules(), zones: ServiceZones = .ningbo, levels: ServiceLevels = ServiceLevels(),
        logger: Logger
    ) {
        self.rules = rules
        self.client = client
        bookings = Bookings(client: client, logger: logger)
        facts = DispatchFacts(client: client, logger: logger)
        positions = PositionQueries(client: client, database: database, logger: logger)
        care = CustomerCare(client: client, logger: logger)
        self.feed = feed
        self.zones = zones
        self.levels = levels
        self.logger = logger
    }

    public var matcher: Matcher { Matcher(rules: rules, speeds: speeds.withLock { $0 }) }

    /// A driver's driving as last measured from their vehicle's track (nil before the first
    /// measurement, or for a driver without a crew).
    public func drivingTime(of driverID: Int64) -> DrivingTime? { driving.withLock { $0[driverID] } }
    public var drivingTimes: [Int64: DrivingTime] { driving.withLock { $0 } }

    // MARK: matching

    public struct Round: Sendable, Hashable {
        public var matched: [Int64] = []
        public var unmatched: [Int64] = []
    }

    /// One round: every confirmed or replaced booking with its pick-up within the horizon (or
    /// only those of `ids`) matched optimally against the crews, then the agency notified. Each
    /// match is signed with the audit line `audit` names for its booking, in its transaction.
    @discardableResult
    public func dispatch(now: Date, only ids: Set<Int64>? = nil, audit: Audit<Int64>? = nil) async throws -> Round {
        let waiting = try await bookings.open().filter {
            ($0.state == .confirmed || $0.state == .replaced) && $0.request.pickupTime.timeIntervalSince(now) <= horizon && ids?.contains($0.id) ?? true
        }
        guard !waiting.isEmpty else { return Round() }
        var crews = try await facts.crews(driving: drivingTimes)
        var batch: [Booking] = []
        for record in waiting {
            let booking = try await engineView(record, now: now)
            batch.append(booking)
            // Crews that broke down on a booking are out of service for the rest of it.
            for broken in Self.brokenVehicles(record) {
                for c in crews.indices where crews[c].vehicle.id == broken {
                    crews[c].commitments.append(TimeWindow(start: booking.pickupTime - 1, end: booking.serviceEnd))
                }
            }
        }
        let plan = matcher.match(batch, crews: crews, now: now.epochSeconds)
        var round = Round(unmatched: plan.unmatched)
        for assignment in plan.assignments {
            let c = assignment.candidate
            let note = "engine: \(c.emptyMetres / 100 / 10).\(c.emptyMetres / 100 % 10) km empty, on site \(c.lateSeconds == 0 ? "in time" : "\(c.lateSeconds / 60) min late")"
                + (c.reserve ? ", from the reserve" : "")
            do {
                try await matchAndNotify(
                    assignment.bookingID, crew: (assignment.vehicleID, assignment.driverID), by: .engine, note: note, now: now, audit: audit?(assignment.bookingID)
                )
                round.matched.append(assignment.bookingID)
            } catch is BookingHistory.InvalidTransition {
                // Cancelled or overridden by a dispatcher since the round began: theirs stands.
                round.unmatched.append(assignment.bookingID)
            }
        }
        if !round.matched.isEmpty || !round.unmatched.isEmpty {
            logger.info("dispatch round", metadata: ["matched": "\(round.matched.count)", "unmatched": "\(round.unmatched.count)", "crews": "\(crews.count)"])
        }
        return round
    }

    /// The vehicles a booking was replaced from: each one matched before a `replaced`.
    static func brokenVehicles(_ record: BookingRecord) -> Set<Int64> {
        var broken: Set<Int64> = [], current: Int64?
        for transition in record.transitions {
            if transition.state == .matched { current = transition.vehicleID }
            if transition.state == .replaced, let current { broken.insert(current) }
        }
        return broken
    }

    /// The booking as the engine judges it. A replacement is wanted now, where the crew broke
    /// down (its vehicle's newest position), and may take the reserve like an urgent request.
    func engineView(_ record: BookingRecord, now: Date) async throws -> Booking {
        var booking = record.booking
        guard record.state == .replaced else { return booking }
        let epoch = now.epochSeconds
        booking.receivedAt = epoch
        booking.pickupTime = max(booking.pickupTime, epoch)
        if let broken = record.vehicleID, let position = try await facts.vehicles(ids: [broken])[broken]?.position { booking.pickup = position }
        return booking
    }

    /// Signs a match, then notifies the agency (the live feed) and the driver (their jobs).
    func matchAndNotify(_ id: Int64, crew: (vehicleID: Int64, driverID: Int64), by actor: Actor, note: String, now: Date, audit: AuditLine?) async throws {
        publish(try await bookings.move(id, to: .matched, at: now, by: actor, crew: crew, note: note, audit: audit))
        publish(try await bookings.move(id, to: .notified, at: Date(), by: .engine, note: "agency notified on the live feed; job sent to the driver"))
    }

    /// A dispatcher's choice of crew for a booking: accepted only if the pair is eligible for
    /// it; `Refused` lists why not.
    public struct Refused: Error, Sendable, Hashable { public var problems: [Ineligibility] }

    public func override(_ id: Int64, vehicleID: Int64, driverID: Int64, by actor: Actor, reason: String, now: Date, audit: AuditLine?) async throws -> BookingRecord {
        guard let record = try await bookings.booking(id: id) else { throw NoSuchRecord() }
        guard [.confirmed, .matched, .notified, .replaced].contains(record.state) else { throw BookingHistory.InvalidTransition(from: record.state, to: .matched) }
        let crews = try await facts.crews(driving: drivingTimes, excluding: id)
        guard let vehicle = try await facts.vehicles(ids: [vehicleID])[vehicleID], let driver = try await facts.drivers(ids: [driverID], driving: drivingTimes)[driverID] else {
            throw NoSuchRecord()
        }
        // The pair's jobs are those of the vehicle's crew and of the driver's crew.
        let jobs = crews.filter { $0.vehicle.id == vehicleID || $0.driver.id == driverID }.flatMap(\.commitments)
        let booking = try await engineView(record, now: now)
        if case .failure(let judgement) = matcher.judge(booking, Crew(vehicle: vehicle, driver: driver, commitments: jobs), crewIndex: 0, now: now.epochSeconds) {
            throw Refused(problems: judgement.problems)
        }
        try await matchAndNotify(id, crew: (vehicleID, driverID), by: actor, note: "override: \(reason)", now: now, audit: audit)
        guard let updated = try await bookings.booking(id: id) else { throw NoSuchRecord() }
        return updated
    }

    /// A crew that broke down or had an accident: the booking is replaced and a new crew matched
    /// at once (the replacement clocks run from now).
    @discardableResult
    public func replace(_ id: Int64, by actor: Actor, reason: String, now: Date, audit: AuditLine? = nil) async throws -> BookingRecord {
        publish(try await bookings.move(id, to: .replaced, at: now, by: actor, note: reason, audit: audit))
        try await dispatch(now: now, only: [id])
        guard let updated = try await bookings.booking(id: id) else { throw NoSuchRecord() }
        return updated
    }

    // MARK: explanations

    public struct CrewVerdict: Sendable, Hashable, Codable {
        public var vehicleID: Int64
        public var plate: String
        public var driverID: Int64
        public var driverName: String
        /// chosen, ineligible, servesAnother, keptInReserve, costlier.
        public var verdict: String
        public var reasons: [String]
        public var cost: Int64?
    }

    public struct Explanation: Sendable, Hashable, Codable {
        public var bookingID: Int64
        public var assignedVehicleID: Int64?
        public var assignedDriverID: Int64?
        public var crews: [CrewVerdict]
    }

    /// Why the engine would choose its crew for a booking now, and why not every other crew:
    /// the booking judged against every crew as they stand (its own job set aside).
    public func explain(_ id: Int64, now: Date) async throws -> Explanation? {
        guard let record = try await bookings.booking(id: id) else { return nil }
        let crews = try await facts.crews(driving: drivingTimes, excluding: id)
        let booking = try await engineView(record, now: now)
        let matcher = matcher, epoch = now.epochSeconds
        let plan = matcher.match([booking], crews: crews, now: epoch)
        let explanation = matcher.explain(booking, in: plan, crews: crews, now: epoch)
        let verdicts = zip(crews, explanation.crews).map { crew, verdict in
            var v = CrewVerdict(vehicleID: crew.vehicle.id, plate: crew.vehicle.plate, driverID: crew.driver.id, driverName: crew.driver.name, verdict: "", reasons: [])
            switch verdict.verdict {
            case .chosen: v.verdict = "chosen"
            case .ineligible(let problems): (v.verdict, v.reasons) = ("ineligible", problems.map(\.description))
            case .servesAnother(let other): (v.verdict, v.reasons) = ("servesAnother", ["serves booking \(other)"])
            case .keptInReserve: (v.verdict, v.reasons) = ("keptInReserve", ["a spare crew, kept for urgent requests and replacements"])
            case .costlier: v.verdict = "costlier"
            }
            v.cost = verdict.cost
            return v
        }
        return Explanation(bookingID: id, assignedVehicleID: record.vehicleID, assignedDriverID: record.driverID, crews: verdicts)
    }

    // MARK: clocks and arrivals

    public struct ClockBody: Sendable, Hashable, Codable {
        public var clock: ServiceLevels.Clock
        public var state: ServiceLevels.Status.State
        public var startedAt: Date
        public var dueAt: Date
        public var stoppedAt: Date?

        init(_ status: ServiceLevels.Status) {
            func date(_ epoch: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(epoch)) }
            (clock, state, startedAt, dueAt, stoppedAt) = (status.clock, status.state, date(status.started), date(status.due), status.stopped.map(date))
        }
    }

    /// The booking's SLA clocks as of `now`.
    public func clocks(_ record: BookingRecord, now: Date) -> [ClockBody] { statuses(record, now: now).map(ClockBody.init) }

    func statuses(_ record: BookingRecord, now: Date) -> [ServiceLevels.Status] { levels.clocks(for: record, zones: zones, now: now.epochSeconds) }

    /// Every open booking once: crews seen arriving on their track, accidents from the
    /// terminals' alarms replaced, clocks at risk or breached raised (once each) and published.
    public func sweep(now: Date) async throws {
        for record in try await bookings.open() {
            var record = try await lookForArrival(record)
            if let vehicle = record.vehicleID, [.notified, .enRoute, .onSite, .inService].contains(record.state),
                let since = record.transitions.last(where: { $0.state == .notified })?.at,
                let accident = try await accident(vehicleID: vehicle, since: since)
            {
                record = try await replace(record.id, by: .gnss, reason: "terminal alarm \(accident)", now: now)
            }
            for status in statuses(record, now: now) { try await alert(.booking(record.id), agencyID: record.agencyID, status) }
        }
        // Customer care: the callback within 24 hours of a trip; a complaint's contact within 12
        // hours, its result within 3 working days.
        let epoch = now.epochSeconds
        for trip in try await bookings.awaitingCallback(since: now.addingTimeInterval(-3 * 86_400)) {
            try await alert(.booking(trip.bookingID), agencyID: trip.agencyID, levels.callbackClock(completedAt: trip.completedAt.epochSeconds, calledAt: nil, now: epoch))
        }
        for complaint in try await care.unresolved() {
            let clocks = levels.complaintClocks(
                receivedAt: complaint.receivedAt.epochSeconds, contactedAt: complaint.contactedAt.map(\.epochSeconds), resolvedAt: nil, now: epoch
            )
            for status in clocks { try await alert(.complaint(complaint.id), agencyID: complaint.agencyID, status) }
        }
    }

    /// A clock at risk or breached: recorded once, and published the first time.
    public func alert(_ owner: Bookings.ClockOwner, agencyID: Int64, _ status: ServiceLevels.Status) async throws {
        guard status.state == .atRisk || status.state == .breached, status.stopped == nil, try await bookings.raise(owner, status) else { return }
        let (booking, complaint): (Int64?, Int64?) = switch owner {
        case .booking(let id): (id, nil)
        case .complaint(let id): (nil, id)
        }
        feed.publish(FeedEvent(kind: .alert, agencyID: agencyID, AlertBody(bookingID: booking, complaintID: complaint, clock: ClockBody(status))))
    }

    struct AlertBody: Encodable {
        var bookingID: Int64?
        var complaintID: Int64?
        var clock: ClockBody
    }

    /// The booking after looking at its crew's track for the arrival (the driver says they are
    /// there: the track decides).
    public func checkArrival(_ id: Int64) async throws -> BookingRecord {
        guard let record = try await bookings.booking(id: id) else { throw NoSuchRecord() }
        return try await lookForArrival(record)
    }

    /// The booking, moved on site if its crew is on the way and its track has arrived.
    func lookForArrival(_ record: BookingRecord) async throws -> BookingRecord {
        guard let vehicle = record.vehicleID, [.notified, .enRoute].contains(record.state),
            let notified = record.transitions.last(where: { $0.state == .notified })?.at
        else { return record }
        return try await arrival(of: record, vehicleID: vehicle, since: notified) ?? record
    }

    /// On site is the first fix within 150 m of the pick-up after the driver was notified.
    func arrival(of record: BookingRecord, vehicleID: Int64, since: Date) async throws -> BookingRecord? {
        let track = try await positions.track(vehicleID: vehicleID, from: since.epochSeconds, to: Date().epochSeconds + 60)
        let fixes = track.map { (time: $0.gnssTime, point: GeoPoint(latitudeE6: $0.latitudeE6, longitudeE6: $0.longitudeE6)) }
        guard let arrived = OnSiteDetector.arrival(track: fixes, pickup: record.request.pickup.point, after: since.epochSeconds) else { return nil }
        let at = Date(timeIntervalSince1970: TimeInterval(arrived))
        if record.state == .notified {
            // The driver did not say they set off; the track says they did.
            publish(try await bookings.move(record.id, to: .enRoute, at: at, by: .gnss, note: "seen driving to the pick-up"))
        }
        let updated = try await bookings.move(record.id, to: .onSite, at: at, by: .gnss, note: "within 150 m of the pick-up")
        publish(updated)
        return updated
    }

    /// The first accident alarm of the vehicle's terminal since `since`.
    func accident(vehicleID: Int64, since: Date) async throws -> String? {
        let rows = try await client.query("""
            SELECT e.kind FROM events e JOIN terminals t ON t.id = e.terminal_id
            WHERE t.vehicle_id = \(vehicleID) AND e.occurred_at >= \(since) AND e.kind = ANY(\(Self.accidentAlarms)) ORDER BY e.occurred_at LIMIT 1
            """, logger: logger)
        for try await kind in rows.decode(String.self) { return kind }
        return nil
    }

    // MARK: learning from the tracks

    /// Hourly speeds from the last two weeks of the fleet's tracks.
    public func refreshSpeeds() async throws {
        let profile = try await facts.speedProfile()
        speeds.withLock { $0 = profile }
    }

    /// Each crew's driver's driving in the last 24 hours, from their vehicle's track.
    public func refreshDrivingTimes(now: Date) async throws {
        var measured: [Int64: DrivingTime] = [:]
        let epoch = now.epochSeconds
        for pair in try await facts.pairs() {
            let track = try await positions.track(vehicleID: pair.vehicle, from: epoch - 86_400, to: epoch, thinnedTo: 30)
            measured[pair.driver] = DrivingTime.measure(track.map { ($0.gnssTime, Int($0.speed)) }, now: epoch)
        }
        driving.withLock { $0 = measured }
    }

    /// Every vehicle's newest position on the feed, for the operator's map (only when someone
    /// listens).
    public func publishPositions() async throws {
        guard feed.subscriberCount > 0 else { return }
        let latest = try await positions.latest()
        feed.publish(FeedEvent(kind: .positions, agencyID: nil, latest.map {
            LivePosition(vehicleID: $0.vehicleID, plate: $0.plate, time: Date(timeIntervalSince1970: TimeInterval($0.position.gnssTime)),
                         latitude: Double($0.position.latitudeE6) / 1e6, longitude: Double($0.position.longitudeE6) / 1e6, speedKmh: Double($0.position.speed) / 10)
        }))
    }

    struct LivePosition: Encodable {
        var vehicleID: Int64
        var plate: String
        var time: Date
        var latitude: Double
        var longitude: Double
        var speedKmh: Double
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
            (id, agencyID, state, vehicleID, driverID, pickupTime, version) = (r.id, r.agencyID, r.state, r.vehicleID, r.driverID, r.request.pickupTime, r.version)
            by = r.transitions.last?.by
        }
    }
}

extension ServiceLevels {
    /// A stored booking's clocks as of `now`, its pick-up judged city or suburb by `zones`.
    func clocks(for record: BookingRecord, zones: ServiceZones, now: Int64) -> [Status] {
        clocks(for: record.history, pickupTime: record.request.pickupTime.epochSeconds, pickupZone: zones.kind(of: record.request.pickup.point), now: now)
    }
}

extension ServiceZones {
    /// Ningbo's city: the ring of the three old districts (Haishu, Jiangbei, Yinzhou's centre);
    /// the rest of the municipality is suburb. A deployment sets its own polygons.
    public static let ningbo = ServiceZones(city: [[
        GeoPoint(latitudeE6: 29_950_000, longitudeE6: 121_450_000), GeoPoint(latitudeE6: 29_950_000, longitudeE6: 121_650_000),
        GeoPoint(latitudeE6: 29_780_000, longitudeE6: 121_650_000), GeoPoint(latitudeE6: 29_780_000, longitudeE6: 121_450_000),
    ]])
}
