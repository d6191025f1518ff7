import Foundation

/// Where a booking is, from request to settlement.
public enum BookingState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Made by a user of an agency that approves its requests: waiting for that agency's
    /// approver. The operator has not received it yet, so no clock runs.
    case awaitingApproval
    case received, confirmed, matched, notified, enRoute, onSite, inService, completed, settled
    case cancelled
    /// The agency's approver turned it down, with the reason: it ends before the operator
    /// received it. Not `cancelled`, which is the operator's and may be charged (DOMAIN.md,
    /// cancellations) and is counted in the operations reports: nothing of that applies here.
    case refused
    /// The crew broke down or had an accident: a replacement is being dispatched.
    case replaced

    /// The states a booking may move to from this one.
    public var next: Set<BookingState> {
        switch self {
        case .awaitingApproval: [.received, .refused, .cancelled]
        case .received: [.confirmed, .cancelled]
        case .confirmed: [.matched, .cancelled]
        // A dispatcher may override a match until the crew sets off: matched again, with
        // another crew, and the agency notified again.
        case .matched: [.matched, .notified, .cancelled]
        case .notified: [.matched, .enRoute, .cancelled, .replaced]
        case .enRoute: [.onSite, .cancelled, .replaced]
        case .onSite: [.inService, .cancelled, .replaced]
        case .inService: [.completed, .replaced]
        case .replaced: [.matched, .cancelled]
        case .completed: [.settled]
        case .settled, .cancelled, .refused: []
        }
    }

    /// Whether the lifecycle allows the step to `next`: every store of bookings asks this, under
    /// its lock, before it writes the step.
    public func check(stepTo next: BookingState) throws(BookingHistory.InvalidTransition) {
        guard self.next.contains(next) else { throw BookingHistory.InvalidTransition(from: self, to: next) }
    }

    /// What a step sets off for the other services, once stored.
    public enum Consequence: Sendable, Hashable {
        /// A matching round is wanted for it.
        case crewWanted
        /// Its crew may serve another booking.
        case crewFreed
    }

    /// What reaching this state sets off: confirmed, or replaced after a breakdown, the booking
    /// wants a crew; completed, or cancelled with a crew, the crew is free.
    public func consequences(withCrew: Bool) -> [Consequence] {
        switch self {
        case .confirmed, .replaced: [.crewWanted]
        case .completed: [.crewFreed]
        case .cancelled where withCrew: [.crewFreed]
        default: []
        }
    }
}

/// A booking's transitions, each timestamped and signed: the audit trail the SLA clocks are
/// computed from.
public struct BookingHistory: Sendable, Hashable {
    public struct Transition: Sendable, Hashable {
        public var to: BookingState
        public var at: Int64
        /// Who did it: a user, or "engine", or "gnss" for on-site arrivals judged from the track.
        public var by: String
    }

    public struct InvalidTransition: Error, Sendable, Hashable, CustomStringConvertible {
        public var from: BookingState
        public var to: BookingState
        public init(from: BookingState, to: BookingState) { (self.from, self.to) = (from, to) }
        public var description: String {
            "a booking cannot go from \(from.rawValue) to \(to.rawValue); from \(from.rawValue) it may go to \(from.next.map(\.rawValue).sorted().joined(separator: ", "))"
        }
    }

    public private(set) var transitions: [Transition]

    public init(receivedAt: Int64, by: String) { self.init(startingIn: .received, at: receivedAt, by: by) }

    /// A history whose first step is `state`: `awaitingApproval` for a request its agency
    /// approves first (the operator receives it, and its confirm clock starts, on approval).
    public init(startingIn state: BookingState, at time: Int64, by: String) { transitions = [Transition(to: state, at: time, by: by)] }

    public var state: BookingState { transitions.last!.to }

    public mutating func move(to state: BookingState, at time: Int64, by actor: String) throws(InvalidTransition) {
        try self.state.check(stepTo: state)
        transitions.append(Transition(to: state, at: max(time, transitions.last!.at), by: actor))
    }

    /// The first time the booking reached `state` after `after` (inclusive).
    func first(_ state: BookingState, from after: Int64 = .min) -> Int64? {
        transitions.first { $0.to == state && $0.at >= after }?.at
    }
}

/// City and suburbs as polygons: a replacement must arrive within 30 minutes in the city, an
/// hour in the suburbs.
public struct ServiceZones: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, Codable { case city, suburb }

    /// A named polygon of the city (a district, a ring road's inside).
    public struct Area: Sendable, Hashable {
        public var name: String
        public var boundary: [GeoPoint]
        public init(name: String, boundary: [GeoPoint]) { (self.name, self.boundary) = (name, boundary) }
    }

    /// The city; everything outside it is suburb.
    public var city: [Area]

    public init(city: [Area]) { self.city = city }

    /// City if the point lies in one of the city polygons (even-odd rule), else suburb.
    public func kind(of point: GeoPoint) -> Kind {
        city.contains { Self.contains($0.boundary, point) } ? .city : .suburb
    }

    static func contains(_ polygon: [GeoPoint], _ p: GeoPoint) -> Bool {
        var inside = false
        var j = polygon.count - 1
        for i in polygon.indices {
            let a = polygon[i], b = polygon[j]
            if (a.latitudeE6 > p.latitudeE6) != (b.latitudeE6 > p.latitudeE6) {
                let x =
                    Double(b.longitudeE6 - a.longitudeE6) * Double(p.latitudeE6 - a.latitudeE6) / Double(b.latitudeE6 - a.latitudeE6) + Double(a.longitudeE6)
                if Double(p.longitudeE6) < x { inside.toggle() }
            }
            j = i
        }
        return inside
    }
}

/// The response promises of docs/DOMAIN.md ("SLA clocks"), as clocks over a booking's history.
public struct ServiceLevels: Sendable, Hashable {
    public var confirm: Int64 = 5 * 60
    public var match: Int64 = 10 * 60
    public var notify: Int64 = 5 * 60
    /// On site this long before pick-up.
    public var onSiteLead: Int64 = 10 * 60
    public var replacementStart: Int64 = 15 * 60
    public var replacementArrivalCity: Int64 = 30 * 60
    public var replacementArrivalSuburb: Int64 = 60 * 60
    /// A clock is at risk once this share of its time is gone (and it still runs).
    public var warningPercent: Int64 = 80
    /// A complaint's agency is contacted within 12 hours and given the result within 3
    /// working days; every trip is called back within 24 hours.
    public var complaintContact: Int64 = 12 * 3600
    public var complaintResultWorkingDays = 3
    public var callback: Int64 = 24 * 3600
    public var invoiceWorkingDays = 3
    public var calendar = WorkingCalendar.china

    public init() {}

    /// The day an invoice is due: the third working day after the day the sheet was confirmed.
    public func invoiceDue(confirmedAt: Int64) -> CivilDate {
        calendar.workingDay(invoiceWorkingDays, after: CivilDate(chinaDayOf: confirmedAt))
    }

    /// The invoice clock of a sheet confirmed at `confirmedAt`: it runs to the end of the due day.
    public func invoiceClock(confirmedAt: Int64, invoicedAt: Int64?, now: Int64) -> Status {
        status(.invoice, started: confirmedAt, due: invoiceDue(confirmedAt: confirmedAt).chinaMidnight + 86_400, stopped: invoicedAt, now: now)
    }

    public enum Clock: String, Sendable, Hashable, Codable, CaseIterable {
        case confirm, match, notify, onSite, replacementStart, replacementArrival
        /// Customer care: the agency contacted about a complaint and given its result, the
        /// callback after a trip.
        case complaintContact, complaintResult, callback
        /// Billing: the VAT invoice within 3 working days of the settlement sheet's confirmation.
        case invoice
        /// The route agreed (docs/DOMAIN.md, step 7): breached, with no time to run, when the
        /// track leaves its corridor without the agency's consent, once per excursion.
        case route
        /// Not a clock but an alert of the same feed: a notice of the booking that no channel
        /// delivered (from the change that owed it to the last attempt), for a dispatcher to phone.
        case undeliverable
        /// Not a clock but an alert of the same feed: the committed crew can no longer serve the
        /// booking and no other crew can yet, for a dispatcher to act on.
        case crewLost
        /// Not a clock but an alert of the same feed: the committed crew's projected charge does
        /// not cover the trip and no other crew can take it yet, once per booking and vehicle.
        case lowCharge
    }

    public struct Status: Sendable, Hashable {
        public enum State: String, Sendable, Hashable, Codable { case running, atRisk, met, breached }
        public var clock: Clock
        public var started: Int64
        public var due: Int64
        public var stopped: Int64?
        public var state: State
        public init(clock: Clock, started: Int64, due: Int64, stopped: Int64?, state: State) {
            (self.clock, self.started, self.due, self.stopped, self.state) = (clock, started, due, stopped, state)
        }
    }

    /// A complaint's clocks as of `now`: contact within 12 hours, the result by the end (China
    /// time) of the third working day after the day it came in.
    public func complaintClocks(receivedAt: Int64, contactedAt: Int64?, resolvedAt: Int64?, now: Int64) -> [Status] {
        let day = CivilDate(chinaDayOf: receivedAt)
        let resultDue = calendar.workingDay(complaintResultWorkingDays, after: day).chinaMidnight + 86_400
        return [
            status(.complaintContact, started: receivedAt, due: receivedAt + complaintContact, stopped: contactedAt ?? resolvedAt, now: now),
            status(.complaintResult, started: receivedAt, due: resultDue, stopped: resolvedAt, now: now),
        ]
    }

    /// The callback clock of a trip completed at `completedAt`, as of `now`.
    public func callbackClock(completedAt: Int64, calledAt: Int64?, now: Int64) -> Status {
        status(.callback, started: completedAt, due: completedAt + callback, stopped: calledAt, now: now)
    }

    /// A clock as of `now`: met or breached once stopped, else running, at risk or breached.
    public func status(_ kind: Clock, started: Int64, due: Int64, stopped: Int64?, now: Int64) -> Status {
        let state: Status.State
        if let stopped {
            state = stopped <= due ? .met : .breached
        } else if now > due {
            state = .breached
        } else {
            state = now >= started + (due - started) * warningPercent / 100 ? .atRisk : .running
        }
        return Status(clock: kind, started: started, due: due, stopped: stopped, state: state)
    }

    /// Every clock the history has started, as of `now`. `pickupTime` judges the on-site clock;
    /// each replacement's arrival is judged by the zone its crew is sent to, in order in
    /// `replacementZones` (where the car stopped, after a breakdown in service), or by
    /// `pickupZone` where none is given.
    public func clocks(
        for history: BookingHistory, pickupTime: Int64, pickupZone: ServiceZones.Kind, replacementZones: [ServiceZones.Kind] = [], now: Int64
    ) -> [Status] {
        var clocks: [Status] = []
        func clock(_ kind: Clock, started: Int64?, due: (Int64) -> Int64, stopped: Int64?) {
            guard let started else { return }
            clocks.append(status(kind, started: started, due: due(started), stopped: stopped, now: now))
        }
        let received = history.first(.received)
        let confirmed = history.first(.confirmed)
        let matched = history.first(.matched)
        clock(.confirm, started: received, due: { $0 + confirm }, stopped: confirmed)
        clock(.match, started: confirmed, due: { $0 + match }, stopped: matched)
        clock(.notify, started: matched, due: { $0 + notify }, stopped: history.first(.notified))
        if history.first(.notified) != nil {
            clock(.onSite, started: history.first(.notified), due: { _ in pickupTime - onSiteLead }, stopped: history.first(.onSite))
        }
        // Each replacement runs its own two clocks. The on-site clock stays the first crew's:
        // a replacement's arrival is its own clock.
        for (n, replacement) in history.transitions.filter({ $0.to == .replaced }).enumerated() {
            let zone = n < replacementZones.count ? replacementZones[n] : pickupZone
            let arrivalLimit = zone == .city ? replacementArrivalCity : replacementArrivalSuburb
            clock(.replacementStart, started: replacement.at, due: { $0 + replacementStart }, stopped: history.first(.matched, from: replacement.at))
            clock(.replacementArrival, started: replacement.at, due: { $0 + arrivalLimit }, stopped: history.first(.onSite, from: replacement.at))
        }
        return clocks
    }
}

/// On site is judged from the vehicle's GNSS track, not from a button: the first fix within
/// `radius` metres of the pick-up point.
public enum OnSiteDetector {
    public static func arrival(track: [(time: Int64, point: GeoPoint)], pickup: GeoPoint, radiusMetres: Double = 150, after: Int64) -> Int64? {
        track.first { fix in
            fix.time >= after
                && TrackDistance.meters(
                    fromLatitudeE6: fix.point.latitudeE6, longitudeE6: fix.point.longitudeE6, toLatitudeE6: pickup.latitudeE6, longitudeE6: pickup.longitudeE6)
                    <= radiusMetres
        }?.time
    }
}

/// An SLA clock found at risk or breached, raised once per clock and state.
public struct SLAAlert: Sendable, Hashable, Codable {
    /// The booking whose clock it is, or the complaint's.
    public var bookingID: Int64?
    public var complaintID: Int64?
    public var agencyID: Int64
    public var clock: ServiceLevels.Clock
    public var state: ServiceLevels.Status.State
    public var startedAt: Date
    public var dueAt: Date
    public var raisedAt: Date

    public init(
        bookingID: Int64?, complaintID: Int64?, agencyID: Int64, clock: ServiceLevels.Clock, state: ServiceLevels.Status.State, startedAt: Date, dueAt: Date,
        raisedAt: Date
    ) {
        self.bookingID = bookingID
        self.complaintID = complaintID
        self.agencyID = agencyID
        self.clock = clock
        self.state = state
        self.startedAt = startedAt
        self.dueAt = dueAt
        self.raisedAt = raisedAt
    }
}
