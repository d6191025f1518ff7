/// Matches a batch of open bookings to crews, optimally, and says why.
///
/// 1. Every (booking, crew) pair is judged: the vehicle's and the driver's files for the whole
///    booking window, the crew's other jobs, the charge the drive needs, fatigue limits, and
///    whether the crew can be on site at all. A pair that fails keeps its reasons.
/// 2. Urgent bookings (pick-up within an hour of the request) are matched first, against every
///    eligible crew, reserve included: they are what the reserve is for.
/// 3. Then the others, against the crews left. Reserve crews (a spare vehicle or a spare driver)
///    cost more than any regular assignment could, so the solver uses them only when that
///    serves a booking nothing else can.
/// Within a phase the assignment is optimal (`AssignmentSolver`): the most bookings served, then
/// the least lateness (on site 10 minutes early) and empty driving from each vehicle's position.
public struct Matcher: Sendable {
    /// How lateness and empty kilometres trade against each other.
    public struct Weights: Sendable, Hashable {
        /// Per second late for the on-site time.
        public var perSecondLate: Int64 = 10
        /// Per kilometre driven empty to the pick-up.
        public var perEmptyKm: Int64 = 100
        public init() {}
    }

    /// A pair that could serve a booking, and at what cost.
    public struct Candidate: Sendable, Hashable {
        public var crew: Int
        public var departure: Int64
        public var arrival: Int64
        public var lateSeconds: Int64
        public var emptyMetres: Int64
        public var cost: Int64
        public var reserve: Bool
    }

    public struct Assignment: Sendable, Hashable {
        public var bookingID: Int64
        public var vehicleID: Int64
        public var driverID: Int64
        public var candidate: Candidate
    }

    /// Why a booking got its crew, and why every other crew was not it.
    public struct Explanation: Sendable, Hashable {
        public enum Verdict: Sendable, Hashable {
            case chosen
            case ineligible([Ineligibility])
            /// Eligible, but serving another booking of the batch.
            case servesAnother(bookingID: Int64)
            /// Eligible, but the optimum was cheaper without it (its cost given).
            case costlier(cost: Int64)
            /// A spare crew, kept for urgent requests and replacements.
            case keptInReserve
        }
        public struct CrewVerdict: Sendable, Hashable {
            public var vehicleID: Int64
            public var driverID: Int64
            public var verdict: Verdict
        }
        public var bookingID: Int64
        public var crews: [CrewVerdict]
    }

    public struct Plan: Sendable {
        public var assignments: [Assignment]
        /// Bookings left open, to try again in the next batch (or to escalate).
        public var unmatched: [Int64]
        /// The optimum's total cost per phase (urgent, then the others), for comparison.
        public var costs: (urgent: Int64, regular: Int64)
        /// Crew index -> the booking it serves; crews priced as reserve in the regular phase.
        var taken: [Int: Int64]
        var keptBack: Set<Int>
    }

    public var rules: DispatchRules
    public var speeds: SpeedProfile
    public var weights: Weights
    /// The latest arrival accepted, after the pick-up time itself.
    public var maximumLateness: Int64 = 30 * 60

    public init(rules: DispatchRules = DispatchRules(), speeds: SpeedProfile = SpeedProfile(), weights: Weights = Weights()) {
        self.rules = rules
        self.speeds = speeds
        self.weights = weights
    }

    /// The pair's candidate, or nil: the hot path of a batch. The cheapest rules that fail most
    /// often (class, seats) are asked first; what passes them is judged in full.
    func candidate(_ booking: Booking, _ crew: Crew, crewIndex: Int, now: Int64) -> Candidate? {
        guard crew.vehicle.vehicleClass == booking.vehicleClass, crew.vehicle.seats - 1 >= booking.passengers else { return nil }
        if case .success(let candidate) = judge(booking, crew, crewIndex: crewIndex, now: now) { return candidate }
        return nil
    }

    /// Judges one pair: a candidate with its cost, or the reasons it cannot serve.
    public func judge(_ booking: Booking, _ crew: Crew, crewIndex: Int, now: Int64) -> Result<Candidate, Judgement> {
        var problems = rules.vehicleProblems(crew.vehicle, for: booking, now: now)
        let emptyMetres = crew.vehicle.position.map { rules.roadMetres($0, booking.pickup) } ?? 0
        let emptyDrive = speeds.seconds(metres: emptyMetres, at: now)
        let onSite = booking.pickupTime - rules.onSiteLead
        let departure = max(now, onSite - emptyDrive)
        let arrival = departure + emptyDrive
        if arrival > booking.pickupTime + maximumLateness { problems.append(.cannotArriveInTime(lateSeconds: arrival - onSite)) }
        let needed = TimeWindow(start: departure, end: booking.serviceEnd + rules.turnaround)
        if let clash = crew.commitments.first(where: { $0.overlaps(needed) }) { problems.append(.busy(clash)) }
        let tripDrive = speeds.seconds(metres: rules.roadMetres(booking.pickup, booking.destination), at: booking.pickupTime)
        // Idle for 20 minutes or more before leaving or on site is a rest.
        let rested = (departure - now) + (booking.pickupTime - arrival) >= 20 * 60
        let continuous = (rested ? 0 : crew.driver.continuousDriving + emptyDrive) + tripDrive
        problems += rules.driverProblems(crew.driver, for: booking, continuousDriving: continuous, dailyDriving: crew.driver.drivingLast24h + emptyDrive + tripDrive)
        guard problems.isEmpty else { return .failure(Judgement(problems: problems)) }
        let late = max(0, arrival - onSite)
        let cost = late * weights.perSecondLate + emptyMetres * weights.perEmptyKm / 1000
        return .success(Candidate(crew: crewIndex, departure: departure, arrival: arrival, lateSeconds: late, emptyMetres: emptyMetres, cost: cost, reserve: crew.isReserve))
    }

    /// Reasons a pair was judged ineligible (an Error only to travel in a Result).
    public struct Judgement: Error, Sendable, Hashable {
        public var problems: [Ineligibility]
    }

    public func match(_ bookings: [Booking], crews: [Crew], now: Int64) -> Plan {
        var taken: [Int: Int64] = [:]  // crew -> booking
        var chosen: [Int: Candidate] = [:]  // booking index -> candidate
        var keptBack: Set<Int> = []
        func solve(_ rows: [Int], reserveAllowed: Bool) -> Int64 {
            let free = crews.indices.filter { taken[$0] == nil }
            guard !rows.isEmpty, !free.isEmpty else { return 0 }
            var matrix = AssignmentSolver.Matrix(rows: rows.count, columns: free.count)
            var candidates: [Int: Candidate] = [:]  // row * columns + column
            var regularMaximum: Int64 = 0
            for (r, b) in rows.enumerated() {
                for (c, crew) in free.enumerated() {
                    guard let candidate = candidate(bookings[b], crews[crew], crewIndex: crew, now: now) else { continue }
                    matrix[r, c] = candidate.cost
                    candidates[r * free.count + c] = candidate
                    regularMaximum = max(regularMaximum, candidate.cost)
                }
            }
            if !reserveAllowed {
                // Above every regular total: a spare crew only where nothing else serves.
                let reservePrice = (regularMaximum + 1) * Int64(rows.count + 1)
                for (c, crew) in free.enumerated() where crews[crew].isReserve {
                    keptBack.insert(crew)
                    for r in rows.indices { if let cost = matrix[r, c] { matrix[r, c] = cost + reservePrice } }
                }
            }
            let solution = AssignmentSolver.solve(matrix)
            var total: Int64 = 0
            for (r, column) in solution.columnOfRow.enumerated() {
                guard let column, let candidate = candidates[r * free.count + column] else { continue }
                taken[free[column]] = bookings[rows[r]].id
                chosen[rows[r]] = candidate
                total += candidate.cost
            }
            return total
        }
        let urgentCost = solve(bookings.indices.filter { bookings[$0].isUrgent }, reserveAllowed: true)
        let regularCost = solve(bookings.indices.filter { !bookings[$0].isUrgent }, reserveAllowed: false)

        var plan = Plan(assignments: [], unmatched: [], costs: (urgentCost, regularCost), taken: taken, keptBack: keptBack)
        for (b, booking) in bookings.enumerated() {
            if let candidate = chosen[b] {
                let crew = crews[candidate.crew]
                plan.assignments.append(Assignment(bookingID: booking.id, vehicleID: crew.vehicle.id, driverID: crew.driver.id, candidate: candidate))
            } else {
                plan.unmatched.append(booking.id)
            }
        }
        return plan
    }

    /// Why `booking` got its crew in `plan`, and why every other crew was not it (judged again,
    /// as of the same `now`, on the same crews).
    public func explain(_ booking: Booking, in plan: Plan, crews: [Crew], now: Int64) -> Explanation {
        let chosen = plan.assignments.first { $0.bookingID == booking.id }?.candidate.crew
        return Explanation(bookingID: booking.id, crews: crews.indices.map { c in
            let verdict: Explanation.Verdict
            switch judge(booking, crews[c], crewIndex: c, now: now) {
            case .failure(let judgement): verdict = .ineligible(judgement.problems)
            case .success where chosen == c: verdict = .chosen
            case .success where plan.taken[c] != nil: verdict = .servesAnother(bookingID: plan.taken[c]!)
            case .success where plan.keptBack.contains(c) && !booking.isUrgent: verdict = .keptInReserve
            case .success(let candidate): verdict = .costlier(cost: candidate.cost)
            }
            return Explanation.CrewVerdict(vehicleID: crews[c].vehicle.id, driverID: crews[c].driver.id, verdict: verdict)
        })
    }
}
