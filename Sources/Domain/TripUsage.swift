/// A trip's use as the system recorded it: the service window from the dispatch timestamps,
/// the distance from the odometer or the track, the pass-throughs with their receipts.
public struct TripUsage: Sendable, Hashable, Codable {
    /// In service to completed, epoch seconds.
    public var start: Int64
    public var end: Int64
    public var metres: Int64
    public var tollsFen: Int64
    public var parkingFen: Int64
    /// The driver's meals (days) and lodging (nights) on a long trip, borne by the agency.
    public var mealDays: Int
    public var lodgingNights: Int
    /// Booked as a city transfer (priced per trip) rather than by time.
    public var transfer: Bool

    public init(
        start: Int64, end: Int64, metres: Int64, tollsFen: Int64 = 0, parkingFen: Int64 = 0, mealDays: Int = 0, lodgingNights: Int = 0, transfer: Bool = false
    ) {
        (self.start, self.end, self.metres, self.tollsFen, self.parkingFen) = (start, end, metres, tollsFen, parkingFen)
        (self.mealDays, self.lodgingNights, self.transfer) = (mealDays, lodgingNights, transfer)
    }
}

/// One line of a settlement sheet: what, how much of it, and its amount in fen.
public struct FareLine: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case package, discount, overtime, overDistance, tolls, parking, meals, lodging, cancellation
        /// A correction after the sheet was issued: the sheet's own lines are never changed.
        case adjustment
    }
    public var kind: Kind
    public var detail: String
    public var amountFen: Int64
    public init(kind: Kind, detail: String, amountFen: Int64) { (self.kind, self.detail, self.amountFen) = (kind, detail, amountFen) }
}

/// The driver's entered time and distance against the system's: a difference beyond the
/// tolerance is flagged for review, never silently accepted.
public struct UsageReview: Sendable, Hashable, Codable {
    public struct Difference: Sendable, Hashable, Codable {
        public var field: String
        public var system: Int64
        public var reported: Int64
        public init(field: String, system: Int64, reported: Int64) { (self.field, self.system, self.reported) = (field, system, reported) }
    }

    /// Distance: the larger of 2 km and 5% of the system's; time: 15 minutes.
    public var distanceToleranceMetres: Int64 = 2_000
    public var distanceTolerancePercent: Int64 = 5
    public var timeToleranceSeconds: Int64 = 15 * 60

    public init() {}

    public func differences(system: TripUsage, reportedMetres: Int64?, reportedSeconds: Int64?) -> [Difference] {
        var out: [Difference] = []
        if let reported = reportedMetres, abs(reported - system.metres) > max(distanceToleranceMetres, system.metres * distanceTolerancePercent / 100) {
            out.append(Difference(field: "metres", system: system.metres, reported: reported))
        }
        let seconds = system.end - system.start
        if let reported = reportedSeconds, abs(reported - seconds) > timeToleranceSeconds {
            out.append(Difference(field: "seconds", system: seconds, reported: reported))
        }
        return out
    }
}

/// The largest figures billing accepts. The doors refuse anything beyond them and the
/// calculator refuses them again (records stored before the doors checked, a tariff written
/// by hand): within them no sum or product of a fare can overflow, the largest being distance
/// times the per-km rate, under 10^14 fen.
public enum BillingLimits {
    /// A fare line, a toll, a package's price: 10^8 yuan.
    public static let lineFen: Int64 = 10_000_000_000
    public static let tripMetres: Int64 = 10_000_000
    /// A trip's service window: 90 days.
    public static let tripSeconds: Int64 = 90 * 86_400
    /// Epoch seconds of a trip: 2000 to 2100.
    public static let epochs: ClosedRange<Int64> = 946_684_800...4_102_444_800
    public static let ratePerUnitFen: Int64 = 10_000_000
    public static let packageHours = 1...24
    public static let packageKilometres = 1...10_000
    public static let daysOfAllowances = 0...366
    /// A sheet's total with all its corrections: its lines' sums, and a statement's over a
    /// million sheets, stay far inside Int64.
    public static let sheetTotalFen: Int64 = 1_000_000_000_000
}
