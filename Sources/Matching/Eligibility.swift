import Domain

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a vehicle, a driver or a crew cannot serve a booking.
public enum Ineligibility: Sendable, Hashable, CustomStringConvertible {
    // The vehicle's file.
    case notRentalUse
    case notNewEnergy
    case tooManySeats(Int)
    case wrongClass(VehicleClass)
    case tooFewSeats(seats: Int, passengers: Int)
    case insuranceMissing(InsurancePolicy.Kind)
    case insuranceLapses(InsurancePolicy.Kind, expiry: Int64)
    case insuranceInsufficient(InsurancePolicy.Kind, amountFen: Int64)
    case inspectionFailed(Inspection.Kind, date: Int64)
    case inspectionOverdue(Inspection.Kind)
    case inRepair
    case noPosition
    case terminalSilent(seconds: Int64)
    case chargeTooLow(stateOfCharge: Int, neededPercent: Int)
    /// No state of charge was ever reported, by its terminal or by hand.
    case chargeUnknown
    /// The newest state of charge is this old: what the battery holds now is not known.
    case chargeStale(seconds: Int64)
    // The driver's file.
    case tooOld(age: Int)
    case tooLittleExperience(years: Int)
    case licenceClass(VehicleClass)
    case licenceExpires(Int64)
    case fullPoints(Int)
    case recentMajorAccident(Int64)
    case criminalRecord
    case untrained(days: Int)
    case continuousDriving(seconds: Int64)
    case dailyDriving(seconds: Int64)
    case nightDriving(seconds: Int64)
    /// Held out of matching for review, with the reason (complaints substantiated repeatedly).
    case underReview(String)
    // The crew's day.
    case busy(TimeWindow)
    case cannotArriveInTime(lateSeconds: Int64)

    public var description: String {
        switch self {
        case .notRentalUse: "use nature is not rental"
        case .notNewEnergy: "not a new-energy vehicle"
        case .tooManySeats(let n): "\(n) seats: the lot is 9 and below"
        case .wrongClass(let c): "a \(c.rawValue), not the class booked"
        case .tooFewSeats(let s, let p): "\(s) seats for \(p) passengers"
        case .insuranceMissing(let k): "no \(k.rawValue) insurance"
        case .insuranceLapses(let k, let e): "\(k.rawValue) insurance lapses \(Self.time(e)), before the booking ends"
        case .insuranceInsufficient(let k, let a): "\(k.rawValue) cover of \(a / 100) CNY is below the minimum"
        case .inspectionFailed(let k, let d): "failed its \(k.rawValue) inspection of \(Self.time(d))"
        case .inspectionOverdue(let k): "\(k.rawValue) inspection overdue"
        case .inRepair: "in repair"
        case .noPosition: "no position from its terminal"
        case .terminalSilent(let s): "terminal silent for \(s / 60) minutes"
        case .chargeTooLow(let soc, let need): "charge \(soc)% below the \(need)% the trip needs"
        case .chargeUnknown: "state of charge never reported"
        case .chargeStale(let s): "state of charge last reported \(s / 60) minutes ago"
        case .tooOld(let age): "driver aged \(age): the limit is 60"
        case .tooLittleExperience(let y): "\(y) years of service: 3 needed"
        case .licenceClass(let c): "licence does not cover a \(c.rawValue)"
        case .licenceExpires(let e): "licence expires \(Self.time(e)), before the booking ends"
        case .fullPoints(let p): "\(p) points in the cycle"
        case .recentMajorAccident(let t): "major accident on \(CivilDate(chinaDayOf: t)), within 3 years"
        case .criminalRecord: "criminal record"
        case .untrained(let d): "\(d) days of pre-duty training: 3 needed"
        case .continuousDriving(let s): "would drive \(s / 60) minutes without a 20-minute rest"
        case .dailyDriving(let s): "would drive \(s / 60) minutes in 24 hours"
        case .nightDriving(let s): "would drive \(s / 60) minutes without a rest at night (22:00-06:00)"
        case .underReview(let reason): "held for review: \(reason)"
        case .busy(let w): "busy from \(Self.time(w.start)) to \(Self.time(w.end))"
        case .cannotArriveInTime(let late): "would be on site \(late / 60) minutes late"
        }
    }

    /// Whether the problem outlasts the hour: a file, a review, a clash with another job. The
    /// others (position, charge, arrival, fatigue) are projections that change as the day goes
    /// on, so a crew already committed to a booking is not taken off it for them.
    public var isLasting: Bool {
        switch self {
        case .noPosition, .terminalSilent, .chargeTooLow, .chargeUnknown, .chargeStale, .cannotArriveInTime, .continuousDriving, .dailyDriving, .nightDriving:
            false
        default: true
        }
    }

    /// China time to the minute, as dispatchers read it: `2026-11-22 08:30`.
    static func time(_ epoch: Int64) -> String {
        let minutes = CivilDate.floorDivide(epoch + 8 * 3600, 60) % (24 * 60)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(CivilDate(chinaDayOf: epoch)) \(two(minutes / 60)):\(two(minutes % 60))"
    }
}

extension DispatchRules {
    /// Road metres between two points: the straight line times the detour factor. The straight
    /// line is measured on a plane tangent at the points' mean latitude, which within a city's
    /// 100 km is the great circle to 0.1% at a tenth of its cost (a batch measures a million).
    func roadMetres(_ a: GeoPoint, _ b: GeoPoint) -> Int64 {
        let radiansPerE6 = Double.pi / 180 / 1e6
        let meanLatitude = Double(Int64(a.latitudeE6) + Int64(b.latitudeE6)) / 2 * radiansPerE6
        let x = Double(Int64(b.longitudeE6) - Int64(a.longitudeE6)) * radiansPerE6 * cos(meanLatitude)
        let y = Double(Int64(b.latitudeE6) - Int64(a.latitudeE6)) * radiansPerE6
        return Int64(((x * x + y * y).squareRoot() * 6_371_008.8 * Double(detourPercent) / 100).rounded())
    }

    func minimumCover(_ kind: InsurancePolicy.Kind) -> Int64 {
        switch kind {
        case .thirdPartyLiability: minimumThirdPartyFen
        case .seat: minimumSeatCoverFen
        case .compulsoryTraffic, .vehicleDamage, .carrierLiability: 0
        }
    }

    func inspectionValidity(_ kind: Inspection.Kind) -> Int64 {
        kind == .monthly ? monthlyInspectionValidity : quarterlyInspectionValidity
    }

    /// Whole years between two instants (365.25-day years: a birthday off by a day at most).
    static func years(from start: Int64, to end: Int64) -> Int { Int((end - start) / 31_557_600) }
}

/// A crew's files reduced, once per batch, to what each booking is judged against: the hot path
/// then compares numbers, and touches no strings (no reference counting) and no sets. A class:
/// handed to every pair by reference, its arrays and strings are not retained each time.
public final class CrewFacts: Sendable {
    public let crew: Crew
    /// The scalars of the files, copied out: reading them through `crew` would retain and release
    /// the strings and arrays of the whole file for every pair.
    let vehicleClass: VehicleClass, seats: Int, rentalUse: Bool, newEnergy: Bool, inRepair: Bool
    let position: GeoPoint?, positionTime: Int64?, rangeKm: Int, reserve: Bool
    /// The newest reported state of charge, when it held, and whether the car said it was
    /// charging (nil: never reported).
    let charge: (percent: Int, at: Int64, charging: Bool)?
    let birthDate: Int64, serviceSince: Int64, licenceExpiry: Int64, points: Int, lastMajorAccident: Int64?, criminalRecord: Bool
    let trainingDays: Int, continuousDriving: Int64, drivingLast24h: Int64, nightContinuousDriving: Int64, underReview: Bool
    let commitments: [Commitment]
    /// The policies of each kind (in `InsurancePolicy.Kind.allCases` order): start, expiry, cover.
    let policies: [[(start: Int64, expiry: Int64, amountFen: Int64)]]
    /// The newest inspection of each kind up to now (monthly, quarterly).
    let inspections: [(date: Int64, passed: Bool)?]
    /// The vehicle classes the driver's licence covers.
    let licensed: [Bool]

    public init(_ crew: Crew, rules: DispatchRules, now: Int64) {
        self.crew = crew
        let v = crew.vehicle, d = crew.driver
        (vehicleClass, seats, rentalUse, newEnergy, inRepair) = (v.vehicleClass, v.seats, v.rentalUse, v.energy.isNewEnergy, v.inRepair)
        (position, positionTime, rangeKm, reserve) = (v.position, v.positionTime, v.rangeKm, crew.isReserve)
        charge = v.charge.map { ($0.percent, $0.at, $0.charging == true) }
        (birthDate, serviceSince, licenceExpiry, points, lastMajorAccident, criminalRecord) = (
            d.birthDate, d.serviceSince, d.licenceExpiry, d.points, d.lastMajorAccident, d.criminalRecord
        )
        (trainingDays, continuousDriving, drivingLast24h) = (d.preDutyTrainingDays, d.continuousDriving, d.drivingLast24h)
        (nightContinuousDriving, underReview, commitments) = (d.nightContinuousDriving, d.review != nil, crew.commitments)
        policies = InsurancePolicy.Kind.allCases.map { kind in crew.vehicle.policies.filter { $0.kind == kind }.map { ($0.start, $0.expiry, $0.amountFen) } }
        inspections = Inspection.Kind.allCases.map { kind in
            crew.vehicle.inspections.filter { $0.kind == kind && $0.date <= now }.max { $0.date < $1.date }.map { ($0.date, $0.passed) }
        }
        licensed = VehicleClass.allCases.map { !crew.driver.licenceClasses.isDisjoint(with: rules.licenceClasses[$0] ?? []) }
    }
}

/// Collects the reasons a pair fails, or gives up at the first one when only the verdict counts.
struct Verdict {
    let collecting: Bool
    var problems: [Ineligibility] = []

    /// Records a problem; false when the caller should stop (not collecting).
    mutating func fail(_ problem: @autoclosure () -> Ineligibility) -> Bool {
        guard collecting else { return false }
        problems.append(problem())
        return true
    }
}
