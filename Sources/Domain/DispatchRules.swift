/// The rules of docs/DOMAIN.md ("Vehicles: one car, one file", "Drivers: one person, one file"), as
/// numbers a deployment may change.
public struct DispatchRules: Sendable, Hashable {
    public var maximumSeats = 9
    /// Third-party liability cover (fen) and seat cover per seat (fen).
    public var minimumThirdPartyFen: Int64 = 100_000_000
    public var minimumSeatCoverFen: Int64 = 50_000_000
    /// An inspection is overdue this long after the last passed one of its kind.
    public var monthlyInspectionValidity: Int64 = 31 * 86_400
    public var quarterlyInspectionValidity: Int64 = 92 * 86_400
    /// A terminal silent for longer: the vehicle's position cannot be followed.
    public var maximumPositionAge: Int64 = 15 * 60
    /// Charge must cover the empty drive and the trip, plus this share.
    public var chargeMarginPercent = 20
    /// Below this charge a vehicle is not dispatchable at all: it goes to a charger first.
    public var minimumStateOfCharge = 20
    public var maximumDriverAge = 60
    public var minimumServiceYears = 3
    public var majorAccidentFreeYears = 3
    public var minimumTrainingDays = 3
    public var fullPoints = 12
    /// Art. 62: no more than 4 h driving without a rest of 20 minutes; platforms also cap 8 h in 24 h.
    public var maximumContinuousDriving: Int64 = 4 * 3600
    public var maximumDailyDriving: Int64 = 8 * 3600
    /// [PLATFORM]: no more than 2 h of continuous driving at night (22:00 to 06:00).
    public var maximumNightContinuousDriving: Int64 = 2 * 3600
    /// A departure further ahead than this (beyond the shift) is judged from where the crew will
    /// be then (the end of its previous job, or where it is parked), not from how fresh its fix
    /// is now: an advance booking does not wait for a terminal that sleeps in the depot tonight.
    public var livePositionHorizon: Int64 = 6 * 3600
    /// How far ahead a booking's files are judged before the day before its pick-up (then for
    /// its whole window): policies, inspections and licences are renewed as they run out.
    public var filesHorizon: Int64 = 86_400
    /// Charge a parked vehicle gains per hour between jobs (a 7 kW charger on a 50 kWh battery):
    /// an advance booking is judged on the charge the vehicle will have, not on today's.
    public var chargePercentPerHour = 14
    /// A reported state of charge older than this, for a departure within `livePositionHorizon`,
    /// no longer says what the battery holds: the vehicle is not sent on it. Terminals report it
    /// with every position (every 30 s moving, every few minutes parked, asleep at most hourly),
    /// so two hours is a terminal that missed its sleep reports twice, or a reading typed in by
    /// hand before the morning's drives; within it a car driving at 40 km/h unseen would have
    /// spent at most 80 km, which the trip's 20 % margin on a 300 km battery about covers.
    public var chargeReportHorizon: Int64 = 2 * 3600
    /// Substantiated complaints against one driver within `complaintWindow` that hold the driver
    /// out of matching for review.
    public var complaintsForReview = 2
    public var complaintWindow: Int64 = 90 * 86_400
    /// The driver is on site this long before pick-up.
    public var onSiteLead: Int64 = 10 * 60
    /// A crew needs this long between two jobs, on top of the drive between them.
    public var turnaround: Int64 = 15 * 60
    /// Roads are not straight: the great-circle distance times this, in percent.
    public var detourPercent = 130
    public var licenceClasses: [VehicleClass: Set<String>] = [
        .sedan: ["C1", "B1", "B2", "A1", "A2", "A3"], .suv: ["C1", "B1", "B2", "A1", "A2", "A3"], .van: ["C1", "B1", "B2", "A1", "A2", "A3"],
    ]
    public var seatsOfClass: [VehicleClass: ClosedRange<Int>] = [.sedan: 1...5, .suv: 1...7, .van: 1...9]

    public init() {}
}

/// Travel time from distance, with speeds the fleet's own history gives per hour of day.
public struct SpeedProfile: Sendable, Hashable {
    /// km/h for each hour of the day (China time); nil where history has too few trips.
    public var hourly: [Int?]
    /// Used for hours without history: a cautious city speed.
    public var fallbackKmh: Int
    public init(hourly: [Int?] = Array(repeating: nil, count: 24), fallbackKmh: Int = 25) {
        self.hourly = hourly
        self.fallbackKmh = fallbackKmh
    }

    /// Seconds to drive `metres` starting at `time`.
    public func seconds(metres: Int64, at time: Int64) -> Int64 {
        let hour = Int(((time + 8 * 3600) % 86_400 + 86_400) % 86_400 / 3600)
        let kmh = Int64(max(1, hourly[hour] ?? fallbackKmh))
        return (metres * 3600 + kmh * 1000 - 1) / (kmh * 1000)
    }
}
