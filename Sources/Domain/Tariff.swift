/// What a trip costs, by the framework agreement: packages per vehicle class, over-time and
/// over-distance rates, the agreement's cap and discount, pass-throughs at cost. Money is
/// integer fen throughout.
public struct Package: Sendable, Hashable, Codable {
    /// A key in JSON objects (an agreement's caps: `{"halfDay": 35000}`).
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable, CodingKeyRepresentable {
        /// 4 h / 50 km.
        case halfDay
        /// 8 h / 100 km.
        case fullDay
        /// A city transfer, priced per trip.
        case transfer
    }
    public var kind: Kind
    public var hours: Int
    public var kilometres: Int
    /// List price (the bid), before the agreement's cap and discount.
    public var priceFen: Int64

    public init(kind: Kind, hours: Int, kilometres: Int, priceFen: Int64) {
        (self.kind, self.hours, self.kilometres, self.priceFen) = (kind, hours, kilometres, priceFen)
    }
}

/// One vehicle class's prices from a date on (a new version supersedes it from its own date).
public struct Tariff: Sendable, Hashable, Codable {
    /// Over-time by each started hour, or pro rata to the minute.
    public enum OvertimeBasis: String, Sendable, Hashable, Codable, CaseIterable { case startedHour, proRata }

    public var vehicleClass: VehicleClass
    public var validFrom: CivilDate
    public var packages: [Package]
    public var overtimeFenPerHour: Int64
    public var overtimeBasis: OvertimeBasis
    public var overDistanceFenPerKm: Int64

    public init(
        vehicleClass: VehicleClass, validFrom: CivilDate, packages: [Package], overtimeFenPerHour: Int64, overtimeBasis: OvertimeBasis,
        overDistanceFenPerKm: Int64
    ) {
        (self.vehicleClass, self.validFrom, self.packages) = (vehicleClass, validFrom, packages)
        (self.overtimeFenPerHour, self.overtimeBasis, self.overDistanceFenPerKm) = (overtimeFenPerHour, overtimeBasis, overDistanceFenPerKm)
    }

    public func package(_ kind: Package.Kind) -> Package? { packages.first { $0.kind == kind } }
}

/// The tariffs of every class through time.
public struct TariffBook: Sendable, Hashable, Codable {
    public var tariffs: [Tariff]
    public init(tariffs: [Tariff]) { self.tariffs = tariffs }

    /// The version of `vehicleClass`'s tariff in force on `day`.
    public func tariff(for vehicleClass: VehicleClass, on day: CivilDate) -> Tariff? {
        tariffs.filter { $0.vehicleClass == vehicleClass && $0.validFrom <= day }.max { $0.validFrom < $1.validFrom }
    }
}

/// The framework agreement, as it applies to one agency: the committed discount (basis points:
/// 1250 = 12.5%), the cap on each package's price (an agency may negotiate a lower one), what
/// a cancellation costs, and the official standard for the driver's meals and lodging.
public struct Agreement: Sendable, Hashable, Codable {
    public var discountBasisPoints: Int
    public var capFen: [Package.Kind: Int64]
    public var cancellation: CancellationRules
    public var mealsFenPerDay: Int64
    public var lodgingFenPerNight: Int64

    public init(discountBasisPoints: Int, capFen: [Package.Kind: Int64], cancellation: CancellationRules, mealsFenPerDay: Int64, lodgingFenPerNight: Int64) {
        (self.discountBasisPoints, self.capFen, self.cancellation) = (discountBasisPoints, capFen, cancellation)
        (self.mealsFenPerDay, self.lodgingFenPerNight) = (mealsFenPerDay, lodgingFenPerNight)
    }

    /// The package's price under the agreement: the list price, never above the cap.
    public func price(of package: Package) -> Int64 { min(package.priceFen, capFen[package.kind] ?? package.priceFen) }
}

/// What cancelling costs the agency, by how late it comes: free until `freeNotice` seconds
/// before pick-up; after that a share of the first package's discounted price; once the crew
/// is on site (a no-show), another share.
public struct CancellationRules: Sendable, Hashable, Codable {
    public var freeNotice: Int64
    public var latePercent: Int
    public var onSitePercent: Int

    public init(freeNotice: Int64, latePercent: Int, onSitePercent: Int) {
        (self.freeNotice, self.latePercent, self.onSitePercent) = (freeNotice, latePercent, onSitePercent)
    }
}

extension TariffBook {
    /// Prices until an administrator sets the contract's own (`PUT /api/v1/tariffs`), in the shape
    /// of the packages of docs/DOMAIN.md ("Prices and invoices"): half day 4 h / 50 km, full day
    /// 8 h / 100 km, a city transfer 2 h / 30 km; the driver's fee is included in each package. A
    /// sedan's day at CNY 700 is that section's CNY 500 for the car plus CNY 200 for the driver.
    public static let standard = TariffBook(tariffs: [
        tariff(.sedan, half: 350_00, full: 700_00, transfer: 150_00, overtime: 60_00, perKm: 3_00),
        tariff(.suv, half: 450_00, full: 900_00, transfer: 200_00, overtime: 80_00, perKm: 4_00),
        tariff(.van, half: 500_00, full: 1000_00, transfer: 250_00, overtime: 90_00, perKm: 4_50),
    ])

    static func tariff(_ c: VehicleClass, half: Int64, full: Int64, transfer: Int64, overtime: Int64, perKm: Int64) -> Tariff {
        Tariff(
            vehicleClass: c, validFrom: CivilDate(year: 2025, month: 1, day: 1)!,
            packages: [
                Package(kind: .halfDay, hours: 4, kilometres: 50, priceFen: half), Package(kind: .fullDay, hours: 8, kilometres: 100, priceFen: full),
                Package(kind: .transfer, hours: 2, kilometres: 30, priceFen: transfer),
            ],
            overtimeFenPerHour: overtime, overtimeBasis: .startedHour, overDistanceFenPerKm: perKm
        )
    }
}

extension Agreement {
    /// The framework agreement's terms for an agency without its own: the committed 12.5%
    /// discount, no cap below the list prices, cancellation free until 2 hours before pick-up,
    /// 50% of a half day after that and 100% once the crew is on site, and the official travel
    /// standard for the driver's meals (CNY 100 a day) and lodging (CNY 400 a night).
    public static let framework = Agreement(
        discountBasisPoints: 1250, capFen: [:], cancellation: CancellationRules(freeNotice: 2 * 3600, latePercent: 50, onSitePercent: 100),
        mealsFenPerDay: 100_00, lodgingFenPerNight: 400_00
    )
}
