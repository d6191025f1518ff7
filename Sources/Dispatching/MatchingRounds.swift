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
    /// Bookings whose pick-up lies further ahead wait for a later round.
    let horizon: TimeInterval = 24 * 3600
    /// Rounds and overrides decide one at a time (shared by the copies of this struct).
    let decisions = OneAtATime()

    init(bookings: BookingService, facts: DispatchFacts, learning: TrackLearning, rules: DispatchRules, clock: any WallClock, logger: Logger) {
        (self.bookings, self.facts, self.learning, self.rules, self.clock, self.logger) = (bookings, facts, learning, rules, clock, logger)
    }

    public var matcher: Matcher { Matcher(rules: rules, speeds: learning.speedProfile) }

    public struct Round: Sendable, Hashable {
        public var matched: [Int64] = []
        public var unmatched: [Int64] = []
    }

    /// One round: every confirmed or replaced booking with its pick-up within the horizon (or
    /// only those of `ids`) matched optimally against the crews, then the agency notified. Each
    /// match is signed with the audit line `audit` names for its booking, in its transaction.
    @discardableResult
    public func run(only ids: Set<Int64>? = nil, audit: Audit<Int64>? = nil) async throws -> Round {
        try await decisions.run { try await round(only: ids, audit: audit) }
    }

    private func round(only ids: Set<Int64>?, audit: Audit<Int64>?) async throws -> Round {
        let now = clock.now
        let waiting = try await bookings.open().filter {
            ($0.state == .confirmed || $0.state == .replaced) && $0.request.pickupTime.timeIntervalSince(now) <= horizon && ids?.contains($0.id) ?? true
        }
        guard !waiting.isEmpty else { return Round() }
        var crews = try await facts.crews(driving: learning.drivingTimes)
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
            let note =
                "engine: \(c.emptyMetres / 100 / 10).\(c.emptyMetres / 100 % 10) km empty, on site \(c.lateSeconds == 0 ? "in time" : "\(c.lateSeconds / 60) min late")"
                + (c.reserve ? ", from the reserve" : "")
            do {
                let crew = (assignment.vehicleID, assignment.driverID)
                try await matchAndNotify(assignment.bookingID, crew: crew, by: .engine, note: note, audit: audit?(assignment.bookingID))
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
        try await bookings.move(id, to: .replaced, by: actor, note: reason, audit: audit)
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
