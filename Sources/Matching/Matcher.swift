import Dispatch
import Domain

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
            /// Eligible, but the optimum was cheaper without it.
            case costlier
            /// A spare crew, kept for urgent requests and replacements.
            case keptInReserve
        }
        public struct CrewVerdict: Sendable, Hashable {
            public var vehicleID: Int64
            public var driverID: Int64
            public var verdict: Verdict
            /// The pair's cost when it is eligible: what the optimum weighed.
            public var cost: Int64?
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

    /// The pair's candidate, or nil: the hot path of a batch (it stops at the first rule that fails).
    public func candidate(_ booking: Booking, _ facts: CrewFacts, crewIndex: Int, now: Int64) -> Candidate? {
        var verdict = Verdict(collecting: false)
        return evaluate(booking, facts, crewIndex: crewIndex, now: now, &verdict)
    }

    /// Judges one pair: a candidate with its cost, or every reason it cannot serve.
    public func judge(_ booking: Booking, _ crew: Crew, crewIndex: Int, now: Int64) -> Result<Candidate, Judgement> {
        var verdict = Verdict(collecting: true)
        let candidate = evaluate(booking, CrewFacts(crew, rules: rules, now: now), crewIndex: crewIndex, now: now, &verdict)
        if let candidate, verdict.problems.isEmpty { return .success(candidate) }
        return .failure(Judgement(problems: verdict.problems))
    }

    // Once, not per pair: `allCases` builds a new array at every call.
    static let policyKinds = InsurancePolicy.Kind.allCases
    static let inspectionKinds = Inspection.Kind.allCases

    /// The rules of docs/DOMAIN.md for one pair, in one place for both the hot path and explanations:
    /// the vehicle's file and live state, the crew's day, the driver's file and fatigue.
    func evaluate(_ booking: Booking, _ facts: CrewFacts, crewIndex: Int, now: Int64, _ verdict: inout Verdict) -> Candidate? {
        let f = facts
        // The commonest failures first.
        if f.vehicleClass != booking.vehicleClass { guard verdict.fail(.wrongClass(f.vehicleClass)) else { return nil } }
        if f.seats - 1 < booking.passengers { guard verdict.fail(.tooFewSeats(seats: f.seats, passengers: booking.passengers)) else { return nil } }
        // Policies, inspections and licences are renewed as they run out: a booking days ahead is
        // judged on the files as they stand for the next day, and from a day before its pick-up
        // for its whole window (re-planned then if a renewal never came).
        let filesUntil = booking.pickupTime - now <= rules.filesHorizon ? booking.serviceEnd : min(booking.serviceEnd, now + rules.filesHorizon)
        guard vehicleFile(f, from: booking.pickupTime, until: filesUntil, &verdict) else { return nil }
        let onSite = booking.pickupTime - rules.onSiteLead
        // Where and when the crew sets off: from the end of its last job before this one, or from
        // where it is now. Its fix must be fresh only for a departure soon.
        var previous: Commitment?
        for job in f.commitments
        where job.window.end <= onSite && job.window.end > now && job.window.end > previous?.window.end ?? .min && job.bookingID != booking.id {
            previous = job
        }
        let position: GeoPoint, freeFrom: Int64
        if let previous {
            (position, freeFrom) = (previous.destination, previous.window.end + rules.turnaround)
        } else if let p = f.position, let fixed = f.positionTime {
            (position, freeFrom) = (p, now)
            if now - fixed > rules.maximumPositionAge && onSite - now <= rules.livePositionHorizon {
                guard verdict.fail(.terminalSilent(seconds: now - fixed)) else { return nil }
            }
        } else {
            guard verdict.fail(.noPosition) else { return nil }
            (position, freeFrom) = (booking.pickup, now)  // only to go on listing the other reasons
        }
        let emptyMetres = rules.roadMetres(position, booking.pickup), tripMetres = rules.roadMetres(booking.pickup, booking.destination)
        // The crew's day: can it be there, is it free.
        let emptyDrive = speeds.seconds(metres: emptyMetres, at: max(freeFrom, onSite))
        let departure = max(freeFrom, onSite - emptyDrive)
        let arrival = departure + emptyDrive
        if arrival > booking.pickupTime + maximumLateness { guard verdict.fail(.cannotArriveInTime(lateSeconds: arrival - onSite)) else { return nil } }
        let needed = TimeWindow(start: departure, end: booking.serviceEnd + rules.turnaround)
        // Its own job (a booking judged again for the crew it has) is no clash.
        for job in f.commitments where job.window.overlaps(needed) && job.bookingID != booking.id {
            guard verdict.fail(.busy(job.window)) else { return nil }
            break
        }
        // The charge it will have on leaving, from the newest reading: what it gains parked from
        // now (from the reading's time only if it said it was charging: the car may have been
        // driving since) and before each job, in start order, up to full, less what each job
        // spends; a job under way spends its whole drive still. Never reported, or reported too
        // long ago for a departure soon, the charge is a reason of its own, never full.
        if let reading = f.charge {
            if now - reading.at > rules.chargeReportHorizon && onSite - now <= rules.livePositionHorizon {
                guard verdict.fail(.chargeStale(seconds: now - reading.at)) else { return nil }
            }
            let rangeMetres = Int64(max(1, f.rangeKm)) * 1000, perHour = Int64(rules.chargePercentPerHour)
            var projectedCharge = Int64(reading.percent), parkedSince = reading.charging ? min(reading.at, now) : now
            for job in f.commitments where job.window.end > now && job.window.end <= departure && job.bookingID != booking.id {
                let start = max(job.window.start, parkedSince)
                projectedCharge = min(100, projectedCharge + perHour * (start - parkedSince) / 3600)
                projectedCharge -= rules.roadMetres(job.pickup, job.destination) * 100 / rangeMetres
                parkedSince = max(parkedSince, job.window.end)
            }
            let charge = Int(max(0, min(100, projectedCharge + perHour * (departure - parkedSince) / 3600)))
            let neededPercent = Int(((emptyMetres + tripMetres) * Int64(100 + rules.chargeMarginPercent) + rangeMetres - 1) / rangeMetres)
            if charge < neededPercent {
                guard verdict.fail(.chargeTooLow(stateOfCharge: charge, neededPercent: neededPercent)) else { return nil }
            }
        } else {
            guard verdict.fail(.chargeUnknown) else { return nil }
        }
        guard driverFile(f, vehicleClass: booking.vehicleClass, from: booking.pickupTime, until: filesUntil, &verdict) else { return nil }
        // Fatigue, projected to the trip: the driving since the last rest (today's track, or the
        // previous job's drive), the day's driving (today's if the trip is within 24 hours, plus
        // the jobs before it), and the continuous driving at night.
        let tripDrive = speeds.seconds(metres: tripMetres, at: booking.pickupTime)
        let tripEnd = booking.pickupTime + tripDrive
        // Idle for 20 minutes or more before leaving or on site is a rest.
        let rested = (departure - freeFrom) + (booking.pickupTime - arrival) >= 20 * 60
        let before: (drive: Int64, night: Int64)
        if let previous {
            let drive = drive(previous)
            before = (drive, Night.seconds(from: previous.pickupTime, to: previous.pickupTime + drive))
        } else {
            before = (f.continuousDriving, f.nightContinuousDriving)
        }
        let continuous = (rested ? 0 : before.drive + emptyDrive) + tripDrive
        if continuous > rules.maximumContinuousDriving { guard verdict.fail(.continuousDriving(seconds: continuous)) else { return nil } }
        var daily = emptyDrive + tripDrive + (tripEnd - 86_400 < now ? f.drivingLast24h : 0)
        for job in f.commitments
        where job.window.start >= now && job.window.start < booking.pickupTime && job.window.end > tripEnd - 86_400 && job.bookingID != booking.id {
            daily += drive(job)
        }
        if daily > rules.maximumDailyDriving { guard verdict.fail(.dailyDriving(seconds: daily)) else { return nil } }
        let night = (rested ? 0 : before.night + Night.seconds(from: departure, to: arrival)) + Night.seconds(from: booking.pickupTime, to: tripEnd)
        if night > rules.maximumNightContinuousDriving { guard verdict.fail(.nightDriving(seconds: night)) else { return nil } }
        let late = max(0, arrival - onSite)
        let cost = late * weights.perSecondLate + emptyMetres * weights.perEmptyKm / 1000
        return Candidate(
            crew: crewIndex, departure: departure, arrival: arrival, lateSeconds: late, emptyMetres: emptyMetres, cost: cost, reserve: facts.reserve)
    }

    /// The drive of a job the crew holds, from its pick-up to its destination.
    func drive(_ job: Commitment) -> Int64 {
        speeds.seconds(metres: rules.roadMetres(job.pickup, job.destination), at: job.window.start)
    }

    /// The vehicle's file over a service window: use, energy, seats, insurance in force and
    /// sufficient throughout, inspections passed and valid, not in repair. False: stop.
    @inline(__always)
    func vehicleFile(_ f: CrewFacts, from start: Int64, until end: Int64, _ verdict: inout Verdict) -> Bool {
        if !f.rentalUse { guard verdict.fail(.notRentalUse) else { return false } }
        if !f.newEnergy { guard verdict.fail(.notNewEnergy) else { return false } }
        if f.seats > rules.maximumSeats { guard verdict.fail(.tooManySeats(f.seats)) else { return false } }
        for (kind, policies) in zip(Self.policyKinds, f.policies) {
            // The policy in force at the start that runs longest.
            var best: (expiry: Int64, amountFen: Int64)?
            for policy in policies where policy.start <= start && policy.expiry > best?.expiry ?? .min {
                best = (policy.expiry, policy.amountFen)
            }
            guard let best else {
                guard verdict.fail(.insuranceMissing(kind)) else { return false }
                continue
            }
            if best.expiry < end { guard verdict.fail(.insuranceLapses(kind, expiry: best.expiry)) else { return false } }
            if best.amountFen < rules.minimumCover(kind) { guard verdict.fail(.insuranceInsufficient(kind, amountFen: best.amountFen)) else { return false } }
        }
        for (kind, latest) in zip(Self.inspectionKinds, f.inspections) {
            if let latest, !latest.passed {
                guard verdict.fail(.inspectionFailed(kind, date: latest.date)) else { return false }
            } else if latest.map({ $0.date + rules.inspectionValidity(kind) < end }) ?? true {
                guard verdict.fail(.inspectionOverdue(kind)) else { return false }
            }
        }
        if f.inRepair { guard verdict.fail(.inRepair) else { return false } }
        return true
    }

    /// The driver's file over a service window: age, experience, licence, points, accidents,
    /// record, training. False: stop.
    @inline(__always)
    func driverFile(_ f: CrewFacts, vehicleClass: VehicleClass, from start: Int64, until end: Int64, _ verdict: inout Verdict) -> Bool {
        let age = DispatchRules.years(from: f.birthDate, to: end)
        if age > rules.maximumDriverAge { guard verdict.fail(.tooOld(age: age)) else { return false } }
        let service = DispatchRules.years(from: f.serviceSince, to: start)
        if service < rules.minimumServiceYears { guard verdict.fail(.tooLittleExperience(years: service)) else { return false } }
        if !f.licensed[vehicleClass.index] { guard verdict.fail(.licenceClass(vehicleClass)) else { return false } }
        if f.licenceExpiry < end { guard verdict.fail(.licenceExpires(f.licenceExpiry)) else { return false } }
        if f.points >= rules.fullPoints { guard verdict.fail(.fullPoints(f.points)) else { return false } }
        if let accident = f.lastMajorAccident, DispatchRules.years(from: accident, to: start) < rules.majorAccidentFreeYears {
            guard verdict.fail(.recentMajorAccident(accident)) else { return false }
        }
        if f.criminalRecord { guard verdict.fail(.criminalRecord) else { return false } }
        if f.trainingDays < rules.minimumTrainingDays { guard verdict.fail(.untrained(days: f.trainingDays)) else { return false } }
        if f.underReview { guard verdict.fail(.underReview(f.crew.driver.review ?? "")) else { return false } }
        return true
    }

    /// Why a vehicle could not be sent out now, by its file and live state alone (no booking):
    /// its file, a silent terminal, and a charge unknown, stale or below
    /// `DispatchRules.minimumStateOfCharge`.
    public func standing(of vehicle: Vehicle, now: Int64) -> [Ineligibility] {
        var verdict = Verdict(collecting: true)
        let f = CrewFacts(Crew(vehicle: vehicle, driver: .standIn), rules: rules, now: now)
        _ = vehicleFile(f, from: now, until: now, &verdict)
        if let fixed = vehicle.positionTime {
            if now - fixed > rules.maximumPositionAge { _ = verdict.fail(.terminalSilent(seconds: now - fixed)) }
        } else {
            _ = verdict.fail(.noPosition)
        }
        if let charge = vehicle.charge {
            if now - charge.at > rules.chargeReportHorizon { _ = verdict.fail(.chargeStale(seconds: now - charge.at)) }
            if charge.percent < rules.minimumStateOfCharge {
                _ = verdict.fail(.chargeTooLow(stateOfCharge: charge.percent, neededPercent: rules.minimumStateOfCharge))
            }
        } else {
            _ = verdict.fail(.chargeUnknown)
        }
        return verdict.problems
    }

    /// Why a driver could not drive a vehicle of `vehicleClass` now, by their file alone.
    public func standing(of driver: Driver, for vehicleClass: VehicleClass, now: Int64) -> [Ineligibility] {
        var verdict = Verdict(collecting: true)
        let f = CrewFacts(Crew(vehicle: .standIn, driver: driver), rules: rules, now: now)
        _ = driverFile(f, vehicleClass: vehicleClass, from: now, until: now, &verdict)
        if driver.continuousDriving > rules.maximumContinuousDriving { _ = verdict.fail(.continuousDriving(seconds: driver.continuousDriving)) }
        if driver.drivingLast24h > rules.maximumDailyDriving { _ = verdict.fail(.dailyDriving(seconds: driver.drivingLast24h)) }
        if driver.nightContinuousDriving > rules.maximumNightContinuousDriving {
            _ = verdict.fail(.nightDriving(seconds: driver.nightContinuousDriving))
        }
        return verdict.problems
    }

    /// Reasons a pair was judged ineligible (an Error only to travel in a Result).
    public struct Judgement: Error, Sendable, Hashable {
        public var problems: [Ineligibility]
    }

    public func match(_ bookings: [Booking], crews: [Crew], now: Int64) -> Plan {
        let facts = crews.map { CrewFacts($0, rules: rules, now: now) }
        var taken: [Int: Int64] = [:]  // crew -> booking
        var chosen: [Int: Candidate] = [:]  // booking index -> candidate
        var keptBack: Set<Int> = []
        // A booking is only ever judged against crews of its class: the rest fail the first rule.
        let crewsOfClass = Dictionary(grouping: crews.indices, by: { crews[$0].vehicle.vehicleClass })
        func solve(_ rows: [Int], reserveAllowed: Bool) -> Int64 {
            let free = crews.indices.filter { taken[$0] == nil }
            guard !rows.isEmpty, !free.isEmpty else { return 0 }
            var matrix = AssignmentSolver.Matrix(rows: rows.count, columns: free.count)
            let regularMaximum = judge(rows.map { bookings[$0] }, against: free, crewsOfClass: crewsOfClass, facts: facts, now: now, into: &matrix)
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
                // Judged again for the chosen pairs only: keeping every candidate of a
                // million-pair batch costs more than this.
                guard let column, let candidate = candidate(bookings[rows[r]], facts[free[column]], crewIndex: free[column], now: now) else { continue }
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

    /// Fills `matrix` (a row per booking, a column per crew of `columns`) with the cost of every
    /// eligible pair, and returns the largest. Judging is most of a batch's time and every row is
    /// independent: the rows are shared out among the cores.
    func judge(
        _ rows: [Booking], against columns: [Int], crewsOfClass: [VehicleClass: [Int]], facts: [CrewFacts], now: Int64,
        into matrix: inout AssignmentSolver.Matrix
    ) -> Int64 {
        var column = [Int](repeating: -1, count: facts.count)
        for (c, crew) in columns.enumerated() { column[crew] = c }
        let columnOfCrew = column
        let workers = max(1, min(rows.count / 16, Self.processors))
        var maxima = [Int64](repeating: 0, count: workers)
        let width = matrix.columns
        matrix.cells.withUnsafeMutableBufferPointer { cells in
            maxima.withUnsafeMutableBufferPointer { maxima in
                // Shared without a lock because worker w writes only the rows r with
                // r % workers == w of `cells` and only maxima[w]; nothing reads them until
                // concurrentPerform has returned.
                nonisolated(unsafe) let cells = cells, maxima = maxima
                DispatchQueue.concurrentPerform(iterations: workers) { w in
                    for r in stride(from: w, to: rows.count, by: workers) {
                        for crew in crewsOfClass[rows[r].vehicleClass] ?? [] where columnOfCrew[crew] >= 0 {
                            guard let candidate = candidate(rows[r], facts[crew], crewIndex: crew, now: now) else { continue }
                            cells[r * width + columnOfCrew[crew]] = candidate.cost
                            maxima[w] = max(maxima[w], candidate.cost)
                        }
                    }
                }
            }
        }
        return maxima.max() ?? 0
    }

    static let processors = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))

    /// Why `booking` got its crew in `plan`, and why every other crew was not it (judged again,
    /// as of the same `now`, on the same crews).
    public func explain(_ booking: Booking, in plan: Plan, crews: [Crew], now: Int64) -> Explanation {
        let chosen = plan.assignments.first { $0.bookingID == booking.id }?.candidate.crew
        return Explanation(
            bookingID: booking.id,
            crews: crews.indices.map { c in
                let verdict: Explanation.Verdict
                let judged = judge(booking, crews[c], crewIndex: c, now: now)
                switch judged {
                case .failure(let judgement): verdict = .ineligible(judgement.problems)
                case .success where chosen == c: verdict = .chosen
                case .success where plan.taken[c] != nil: verdict = .servesAnother(bookingID: plan.taken[c]!)
                case .success where plan.keptBack.contains(c) && !booking.isUrgent: verdict = .keptInReserve
                case .success: verdict = .costlier
                }
                return Explanation.CrewVerdict(vehicleID: crews[c].vehicle.id, driverID: crews[c].driver.id, verdict: verdict, cost: try? judged.get().cost)
            })
    }
}
