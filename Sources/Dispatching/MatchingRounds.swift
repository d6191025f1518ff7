import Domain
import Foundation
import Logging
import Matching
import Store

/// The engine at work on the stored fleet: rounds of optimal matching over the bookings waiting
/// for a crew, a dispatcher's override (accepted only for an eligible pair), replacements after a
/// breakdown or an accident, and the explanation of every choice. Each match is signed, audited
/// and published through the booking service; the rules are `Matching`'s.
public struct MatchingRounds: Sendable {
    let bookings: BookingService
    let facts: DispatchFacts
    let learning: TrackLearning
    let rules: DispatchRules
    let clock: any WallClock
    let logger: Logger
    /// Rounds and overrides decide one at a time (shared by the copies of this struct).
    let decisions = OneAtATime()

    init(bookings: BookingService, facts: DispatchFacts, learning: TrackLearning, rules: DispatchRules, clock: any WallClock, logger: Logger) {
        (self.bookings, self.facts, self.learning, self.rules, self.clock, self.logger) = (bookings, facts, learning, rules, clock, logger)
    }

    public var matcher: Matcher { Matcher(rules: rules, speeds: learning.speedProfile) }

    public struct Round: Sendable, Hashable {
        public var matched: [Int64] = []
        public var unmatched: [Int64] = []
        /// Of `matched`, bookings moved to another crew because theirs can no longer serve them.
        public var replanned: [Int64] = []
        /// Bookings whose crew can no longer serve them, or not on the charge it is projected to
        /// have, and no other crew can yet: each keeps its crew meanwhile, and a dispatcher is
        /// alerted (`crewLost`, `lowCharge`).
        public var stranded: [Stranded] = []
    }

    public struct Stranded: Sendable, Hashable {
        public var bookingID: Int64
        public var agencyID: Int64
        public var reason: String
        /// When the crew it keeps was matched: the alert is raised once per crew.
        public var matchedAt: Date
        /// The alert it raises: `crewLost`, or `lowCharge` when the charge alone stands in the way.
        public var alert: ServiceLevels.Clock
    }

    /// Why a committed crew can no longer serve its booking, and the alert it raises if no other
    /// crew can take it.
    struct Lost {
        var reason: String
        var alert: ServiceLevels.Clock
    }

    /// One round: every confirmed or replaced booking (or only those of `ids`), however far ahead
    /// its pick-up (advance bookings are matched within the match clock, to a crew committed for
    /// their whole window), and every booking whose crew can no longer serve it before it sets
    /// off, matched optimally against the crews, then the agency notified. Each match is signed
    /// with the audit line `audit` names for its booking, in its transaction.
    @discardableResult
    public func run(only ids: Set<Int64>? = nil, audit: Audit<Int64>? = nil) async throws -> Round {
        try await decisions.run { try await round(only: ids, audit: audit) }
    }

    private func round(only ids: Set<Int64>?, audit: Audit<Int64>?) async throws -> Round {
        let now = clock.now
        let open = try await bookings.open()
        let waiting = open.filter { ($0.state == .confirmed || $0.state == .replaced) && ids?.contains($0.id) ?? true }
        let committed = ids == nil ? open.filter { ($0.state == .matched || $0.state == .notified) && $0.request.pickupTime > now } : []
        guard !waiting.isEmpty || !committed.isEmpty else { return Round() }
        var crews = try await facts.crews(driving: learning.drivingTimes)
        var round = Round()
        // Bookings whose crew can no longer serve them first, each judged without the jobs of
        // them all; one left without a crew keeps its own (and its window) until one is found.
        let lost = lostCrews(committed, crews: crews, now: now.epochSeconds)
        if !lost.isEmpty {
            let taken = Set(lost.keys)
            var freed = crews
            for c in freed.indices { freed[c].commitments.removeAll { $0.bookingID.map(taken.contains) ?? false } }
            let replans = committed.filter { lost[$0.id] != nil }.map { record in
                // Wanted again now: within the hour it may take the reserve, like a replacement.
                var booking = record.booking
                booking.receivedAt = now.epochSeconds
                return booking
            }
            let plan = matcher.match(replans, crews: freed, now: now.epochSeconds)
            for id in plan.unmatched {
                guard let record = committed.first(where: { $0.id == id }) else { continue }
                let matchedAt = record.transitions.last { $0.state == .matched }?.at ?? record.receivedAt
                round.stranded.append(
                    Stranded(
                        bookingID: id, agencyID: record.agencyID, reason: lost[id]?.reason ?? "", matchedAt: matchedAt, alert: lost[id]?.alert ?? .crewLost))
            }
            for assignment in plan.assignments {
                let booking = replans.first { $0.id == assignment.bookingID }!
                // The new crew holds the window; the old one no longer does.
                for c in crews.indices {
                    crews[c].commitments.removeAll { $0.bookingID == booking.id }
                    if crews[c].vehicle.id == assignment.vehicleID || crews[c].driver.id == assignment.driverID {
                        crews[c].commitments.append(Commitment(holding: booking))
                    }
                }
                let current = committed.first { $0.id == booking.id }
                guard current?.vehicleID != assignment.vehicleID || current?.driverID != assignment.driverID else { continue }
                if try await assign(assignment, note: "re-planned, the crew before \(lost[booking.id]?.reason ?? ""); ", audit: audit) {
                    round.matched.append(booking.id)
                    round.replanned.append(booking.id)
                }
            }
        }
        var batch: [Booking] = []
        for record in waiting {
            let booking = try await engineView(record, now: now)
            batch.append(booking)
            // Crews that broke down on a booking are out of service for the rest of it.
            for broken in Self.brokenVehicles(record) {
                for c in crews.indices where crews[c].vehicle.id == broken {
                    crews[c].commitments.append(
                        Commitment(
                            window: TimeWindow(start: booking.pickupTime - 1, end: booking.serviceEnd), pickup: booking.pickup, destination: booking.destination
                        ))
                }
            }
        }
        let plan = matcher.match(batch, crews: crews, now: now.epochSeconds)
        round.unmatched += plan.unmatched
        for assignment in plan.assignments {
            if try await assign(assignment, note: "", audit: audit) {
                round.matched.append(assignment.bookingID)
            } else {
                round.unmatched.append(assignment.bookingID)
            }
        }
        if !round.matched.isEmpty || !round.unmatched.isEmpty {
            logger.info(
                "dispatch round",
                metadata: [
                    "matched": "\(round.matched.count)", "replanned": "\(round.replanned.count)", "unmatched": "\(round.unmatched.count)",
                    "crews": "\(crews.count)",
                ])
        }
        return round
    }

    /// Signs the engine's match with its reasons after `note`; false if the booking moved since
    /// the round began (cancelled or overridden by a dispatcher: theirs stands).
    private func assign(_ assignment: Matcher.Assignment, note: String, audit: Audit<Int64>?) async throws -> Bool {
        let c = assignment.candidate
        let reasons =
            "engine: \(c.emptyMetres / 100 / 10).\(c.emptyMetres / 100 % 10) km empty, on site \(c.lateSeconds == 0 ? "in time" : "\(c.lateSeconds / 60) min late")"
            + (c.reserve ? ", from the reserve" : "")
        do {
            let crew = (assignment.vehicleID, assignment.driverID)
            try await matchAndNotify(assignment.bookingID, crew: crew, by: .engine, note: note + reasons, audit: audit?(assignment.bookingID))
            return true
        } catch is BookingHistory.InvalidTransition {
            return false
        }
    }

    /// The committed bookings whose crew can no longer serve them, each with why: the pair is no
    /// longer paired, or its files, a review or another job now stand in the way, or the charge
    /// it is projected to have on leaving, from its newest reading, does not cover the trip
    /// (projections of position and fatigue alone do not take a crew off a booking: they change
    /// as the day goes; a battery reported short fills no faster than the projection says).
    func lostCrews(_ committed: [BookingRecord], crews: [Crew], now: Int64) -> [Int64: Lost] {
        var lost: [Int64: Lost] = [:]
        let matcher = matcher
        for record in committed {
            guard let index = crews.firstIndex(where: { $0.vehicle.id == record.vehicleID && $0.driver.id == record.driverID }) else {
                lost[record.id] = Lost(reason: "is no longer paired", alert: .crewLost)
                continue
            }
            // Its own job is no clash (`Matcher.evaluate` sets it aside).
            if case .failure(let judgement) = matcher.judge(record.booking, crews[index], crewIndex: index, now: now) {
                let lasting = judgement.problems.filter(\.isLasting)
                if !lasting.isEmpty {
                    lost[record.id] = Lost(reason: "cannot serve: " + lasting.map(\.description).joined(separator: "; "), alert: .crewLost)
                } else if let short = judgement.problems.first(where: { if case .chargeTooLow = $0 { true } else { false } }) {
                    lost[record.id] = Lost(reason: "cannot serve on its charge: \(short)", alert: .lowCharge)
                }
            }
        }
        return lost
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

    /// The booking as the engine judges it. A replacement is wanted now, where the passengers
    /// wait (`BookingRecord.site`: where the car stopped if it broke down in service), and may
    /// take the reserve like an urgent request.
    func engineView(_ record: BookingRecord, now: Date) async throws -> Booking {
        var booking = record.booking
        guard record.state == .replaced else { return booking }
        let epoch = now.epochSeconds
        booking.receivedAt = epoch
        booking.pickupTime = max(booking.pickupTime, epoch)
        booking.pickup = record.site.point
        return booking
    }

    /// Signs a match, with the notices it owes queued in its transaction (the agency told of the
    /// crew, the driver sent the job): the booking is `notified` when a channel confirms the
    /// agency's notice delivered (`Notifier`), not here.
    func matchAndNotify(_ id: Int64, crew: (vehicleID: Int64, driverID: Int64), by actor: Actor, note: String, audit: AuditLine?) async throws {
        try await bookings.move(id, to: .matched, by: actor, crew: crew, note: note, audit: audit)
    }

    /// A dispatcher's choice of crew for a booking: accepted only if the pair is eligible for
    /// it; `Refused` lists why not.
    public struct Refused: Error, Sendable, Hashable { public var problems: [Ineligibility] }

    public func override(_ id: Int64, vehicleID: Int64, driverID: Int64, by actor: Actor, reason: String, audit: AuditLine?) async throws -> BookingRecord {
        try await decisions.run { try await overriding(id, vehicleID: vehicleID, driverID: driverID, by: actor, reason: reason, audit: audit) }
    }

    private func overriding(_ id: Int64, vehicleID: Int64, driverID: Int64, by actor: Actor, reason: String, audit: AuditLine?) async throws -> BookingRecord {
        let now = clock.now
        guard let record = try await bookings.booking(id: id) else { throw NoSuchRecord() }
        guard [.confirmed, .matched, .notified, .replaced].contains(record.state) else {
            throw BookingHistory.InvalidTransition(from: record.state, to: .matched)
        }
        let driving = learning.drivingTimes
        let crews = try await facts.crews(driving: driving, excluding: id)
        guard let vehicle = try await facts.vehicles(ids: [vehicleID])[vehicleID],
            let driver = try await facts.drivers(ids: [driverID], driving: driving)[driverID]
        else {
            throw NoSuchRecord()
        }
        // The pair's jobs are those of the vehicle's crew and of the driver's crew.
        let jobs = crews.filter { $0.vehicle.id == vehicleID || $0.driver.id == driverID }.flatMap(\.commitments)
        let booking = try await engineView(record, now: now)
        if case .failure(let judgement) = matcher.judge(booking, Crew(vehicle: vehicle, driver: driver, commitments: jobs), crewIndex: 0, now: now.epochSeconds)
        {
            throw Refused(problems: judgement.problems)
        }
        try await matchAndNotify(id, crew: (vehicleID, driverID), by: actor, note: "override: \(reason)", audit: audit)
        guard let updated = try await bookings.booking(id: id) else { throw NoSuchRecord() }
        return updated
    }

    /// A crew that broke down or had an accident: the booking is replaced and a new crew matched
    /// at once (the replacement clocks run from now).
    @discardableResult
    public func replace(_ id: Int64, by actor: Actor, reason: String, audit: AuditLine? = nil) async throws -> BookingRecord {
        guard let record = try await bookings.booking(id: id) else { throw NoSuchRecord() }
        try await bookings.move(id, to: .replaced, by: actor, note: reason, stop: try await facts.stop(of: record.vehicleID), audit: audit)
        try await run(only: [id])
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

    /// The engine's reasons for a booking, crew by crew, as the API shows them.
    public struct BookingExplanation: Sendable, Hashable, Codable {
        public var bookingID: Int64
        public var assignedVehicleID: Int64?
        public var assignedDriverID: Int64?
        public var crews: [CrewVerdict]
    }

    /// Why the engine would choose its crew for a booking now, and why not every other crew:
    /// the booking judged against every crew as they stand (its own job set aside).
    public func explain(_ id: Int64) async throws -> BookingExplanation? {
        let now = clock.now
        guard let record = try await bookings.booking(id: id) else { return nil }
        let crews = try await facts.crews(driving: learning.drivingTimes, excluding: id)
        let booking = try await engineView(record, now: now)
        let matcher = matcher, epoch = now.epochSeconds
        let plan = matcher.match([booking], crews: crews, now: epoch)
        let explanation = matcher.explain(booking, in: plan, crews: crews, now: epoch)
        let verdicts = zip(crews, explanation.crews).map { crew, verdict in
            var v = CrewVerdict(
                vehicleID: crew.vehicle.id, plate: crew.vehicle.plate, driverID: crew.driver.id, driverName: crew.driver.name, verdict: "", reasons: [])
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
        return BookingExplanation(bookingID: id, assignedVehicleID: record.vehicleID, assignedDriverID: record.driverID, crews: verdicts)
    }
}

extension DispatchFacts {
    /// Where a crew's car stopped: its vehicle's newest fix, recorded on the booking's `replaced`
    /// transition (nil without a vehicle or a fix).
    func stop(of vehicleID: Int64?) async throws -> Place? {
        guard let vehicleID, let vehicle = try await vehicles(ids: [vehicleID])[vehicleID], let position = vehicle.position else { return nil }
        return Place(latitudeE6: position.latitudeE6, longitudeE6: position.longitudeE6, address: "where \(vehicle.plate) stopped")
    }
}
