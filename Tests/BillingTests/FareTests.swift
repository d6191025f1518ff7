import Billing
import Domain
import Testing

/// Fares at every edge, each expected value worked by hand in its comment.
///
/// Sedan tariff from 2026-01-01: half day 4 h / 50 km 250.00, full day 8 h / 100 km 500.00,
/// transfer 2 h / 30 km 150.00; over-time 50.00 per started hour; over-distance 3.00 per km.
/// SUV tariff: half day 300.00, full day 600.00, transfer 180.00; over-time 60.00 an hour pro
/// rata; 5.00 per km. The agreement: 12.5% off the base; caps: full day 480.00, half day 260.00
/// (so a sedan pays 250.00 and 480.00, an SUV 260.00 and 480.00); cancellation free until an
/// hour before pick-up, 50% later, 100% with the crew on site; meals 100.00 a day, lodging
/// 350.00 a night.
@Suite struct FareTests {
    static let book = TariffBook(tariffs: [
        Tariff(
            vehicleClass: .sedan, validFrom: CivilDate(year: 2026, month: 1, day: 1)!,
            packages: [
                Package(kind: .halfDay, hours: 4, kilometres: 50, priceFen: 25_000), Package(kind: .fullDay, hours: 8, kilometres: 100, priceFen: 50_000),
                Package(kind: .transfer, hours: 2, kilometres: 30, priceFen: 15_000),
            ],
            overtimeFenPerHour: 5_000, overtimeBasis: .startedHour, overDistanceFenPerKm: 300
        ),
        Tariff(
            vehicleClass: .sedan, validFrom: CivilDate(year: 2026, month: 7, day: 1)!,
            packages: [
                Package(kind: .halfDay, hours: 4, kilometres: 50, priceFen: 24_000), Package(kind: .fullDay, hours: 8, kilometres: 100, priceFen: 47_000),
            ],
            overtimeFenPerHour: 5_000, overtimeBasis: .startedHour, overDistanceFenPerKm: 300
        ),
        Tariff(
            vehicleClass: .suv, validFrom: CivilDate(year: 2026, month: 1, day: 1)!,
            packages: [
                Package(kind: .halfDay, hours: 4, kilometres: 50, priceFen: 30_000), Package(kind: .fullDay, hours: 8, kilometres: 100, priceFen: 60_000),
                Package(kind: .transfer, hours: 2, kilometres: 30, priceFen: 18_000),
            ],
            overtimeFenPerHour: 6_000, overtimeBasis: .proRata, overDistanceFenPerKm: 500
        ),
    ])
    static let agreement = Agreement(
        discountBasisPoints: 1250, capFen: [.fullDay: 48_000, .halfDay: 26_000],
        cancellation: CancellationRules(freeNotice: 3600, latePercent: 50, onSitePercent: 100), mealsFenPerDay: 10_000, lodgingFenPerNight: 35_000
    )
    static let calculator = FareCalculator(book: book, agreement: agreement)
    /// 2026-03-10 09:00 in China.
    static let nine = CivilDate(year: 2026, month: 3, day: 10)!.chinaMidnight + 9 * 3600

    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var vehicleClass: VehicleClass = .sedan
        var usage: TripUsage
        var total: Int64
        var kinds: [FareLine.Kind]
        var description: String { name }
    }

    static func usage(hours: Double, km: Double, from start: Int64 = nine, transfer: Bool = false) -> TripUsage {
        TripUsage(start: start, end: start + Int64(hours * 3600), metres: Int64(km * 1000), transfer: transfer)
    }

    static let cases: [Case] = [
        // Half day 25000, 12.5% off: 25000 - 3125 = 21875.
        Case(name: "3 h, 40 km: a half day", usage: usage(hours: 3, km: 40), total: 21_875, kinds: [.package, .discount]),
        // Exactly 4 h and 50 km still fit the half day: 21875.
        Case(name: "4 h, 50 km: the half day's edge", usage: usage(hours: 4, km: 50), total: 21_875, kinds: [.package, .discount]),
        // One second more: a full day at the cap, 48000 - 6000 = 42000.
        Case(
            name: "4 h 1 s: a full day", usage: TripUsage(start: nine, end: nine + 4 * 3600 + 1, metres: 50_000), total: 42_000, kinds: [.package, .discount]),
        // Full day 42000 + 1.5 h over 8 h = 2 started hours x 5000 = 10000: 52000.
        Case(name: "9.5 h: two started hours over", usage: usage(hours: 9.5, km: 100), total: 52_000, kinds: [.package, .discount, .overtime]),
        // SUV full day 48000 - 6000 = 42000 + 5400 s x 6000 / 3600 = 9000 pro rata: 51000.
        Case(name: "9.5 h SUV: pro rata", vehicleClass: .suv, usage: usage(hours: 9.5, km: 100), total: 51_000, kinds: [.package, .discount, .overtime]),
        // SUV: 100 s over: 100 x 6000 / 3600 = 166.67 -> 167: 42000 + 167 = 42167.
        Case(
            name: "8 h 100 s SUV: a part-fen minute rounds half up", vehicleClass: .suv, usage: TripUsage(start: nine, end: nine + 8 * 3600 + 100, metres: 0),
            total: 42_167, kinds: [.package, .discount, .overtime]),
        // Half day 21875 + 30 km x 300 = 9000 (a full day would add 42000 - 21875 = 20125 to save it): 30875.
        Case(name: "3 h, 80 km: kilometres over the half day", usage: usage(hours: 3, km: 80), total: 30_875, kinds: [.package, .discount, .overDistance]),
        // 5 m over: 5 x 300 / 1000 = 1.5 fen -> 2: 21877; 1 m: 0.3 -> 0.
        Case(
            name: "50.005 km: 1.5 fen rounds up", usage: TripUsage(start: nine, end: nine + 3600, metres: 50_005), total: 21_877,
            kinds: [.package, .discount, .overDistance]),
        Case(
            name: "50.001 km: 0.3 fen rounds down", usage: TripUsage(start: nine, end: nine + 3600, metres: 50_001), total: 21_875,
            kinds: [.package, .discount, .overDistance]),
        // SUV half day 26000 (cap) - 3250 = 22750, 70 km over = 35000: 57750; as a full day
        // 42000 + 20 km x 500 = 10000 = 52000, cheaper: raised.
        Case(
            name: "3 h, 120 km SUV: raised to a full day", vehicleClass: .suv, usage: usage(hours: 3, km: 120), total: 52_000,
            kinds: [.package, .discount, .overDistance]),
        // 22:00 to 03:00: one day of 5 h, a full day: 42000.
        Case(name: "across midnight", usage: usage(hours: 5, km: 60, from: nine + 13 * 3600), total: 42_000, kinds: [.package, .discount]),
        // Transfer 15000 - 1875 = 13125.
        Case(name: "a transfer", usage: usage(hours: 1.5, km: 25, transfer: true), total: 13_125, kinds: [.package, .discount]),
        // 13125 + 10 min over 2 h = 1 started hour 5000 + 5 km x 300 = 1500: 19625.
        Case(
            name: "a transfer over its hours and km", usage: usage(hours: 2 + 1.0 / 6, km: 35, transfer: true), total: 19_625,
            kinds: [.package, .discount, .overtime, .overDistance]),
        // The old tariff until 30 June, the new one (half day 240.00) from 1 July: 24000 - 3000 = 21000.
        Case(
            name: "a new tariff version", usage: usage(hours: 3, km: 40, from: CivilDate(year: 2026, month: 7, day: 1)!.chinaMidnight + 9 * 3600),
            total: 21_000,
            kinds: [.package, .discount]),
    ]

    @Test(arguments: cases) func fares(_ c: Case) throws {
        let fare = try Self.calculator.fare(c.usage, vehicleClass: c.vehicleClass)
        #expect(fare.totalFen == c.total, "\(fare.lines)")
        #expect(fare.lines.map(\.kind) == c.kinds)
        #expect(fare.totalFen == fare.lines.reduce(0) { $0 + $1.amountFen })
    }

    /// 2026-03-10 09:00 to 03-12 12:00, 51 h, 300 km: two full days and a last day of 3 h, a
    /// half day: 48000 x 2 + 25000 = 121000, less 12.5% = 15125; 250 km included, 50 km over =
    /// 15000 (raising the half day would cost 20125 to save 15000); tolls 12345 and parking 2000
    /// at cost; meals 3 days x 10000 = 30000; lodging 2 nights x 35000 = 70000.
    /// Total 121000 - 15125 + 15000 + 12345 + 2000 + 30000 + 70000 = 235220.
    @Test func aMultiDayTripWithEverything() throws {
        let usage = TripUsage(start: Self.nine, end: Self.nine + 51 * 3600, metres: 300_000, tollsFen: 12_345, parkingFen: 2_000, mealDays: 3, lodgingNights: 2)
        let fare = try Self.calculator.fare(usage, vehicleClass: .sedan)
        #expect(fare.lines.map(\.kind) == [.package, .package, .discount, .overDistance, .tolls, .parking, .meals, .lodging])
        #expect(fare.lines.map(\.amountFen) == [25_000, 96_000, -15_125, 15_000, 12_345, 2_000, 30_000, 70_000])
        #expect(fare.totalFen == 235_220)
    }

    /// Cancelled 2 h before: free. 30 min before: 50% of the discounted half day 21875 =
    /// 10937.5 -> 10938. With the crew on site: 100% = 21875. A transfer late: 50% of 13125 =
    /// 6562.5 -> 6563.
    @Test func cancellations() throws {
        let pickup = Self.nine
        let c = Self.calculator
        #expect(try c.cancellation(vehicleClass: .sedan, pickupTime: pickup, cancelledAt: pickup - 7200, crewOnSite: false, transfer: false).totalFen == 0)
        #expect(try c.cancellation(vehicleClass: .sedan, pickupTime: pickup, cancelledAt: pickup - 3600, crewOnSite: false, transfer: false).lines.isEmpty)
        #expect(try c.cancellation(vehicleClass: .sedan, pickupTime: pickup, cancelledAt: pickup - 1800, crewOnSite: false, transfer: false).totalFen == 10_938)
        #expect(try c.cancellation(vehicleClass: .sedan, pickupTime: pickup, cancelledAt: pickup + 600, crewOnSite: true, transfer: false).totalFen == 21_875)
        #expect(try c.cancellation(vehicleClass: .sedan, pickupTime: pickup, cancelledAt: pickup - 60, crewOnSite: false, transfer: true).totalFen == 6_563)
    }

    @Test func roundingHalfUpAtItsEdges() {
        #expect(Rounding.halfUp(4, over: 10) == 0 && Rounding.halfUp(5, over: 10) == 1 && Rounding.halfUp(15, over: 10) == 2)
        #expect(Rounding.halfUp(14_999, over: 10_000) == 1 && Rounding.halfUp(15_000, over: 10_000) == 2 && Rounding.halfUp(0, over: 7) == 0)
        // A negative amount mirrors its positive (a discount of a base).
        #expect(Rounding.halfUp(-5, over: 10) == -1 && Rounding.halfUp(-4, over: 10) == 0)
    }

    @Test func errorsSayWhatIsMissing() {
        #expect(throws: FareError.noTariff(.sedan, CivilDate(year: 2025, month: 12, day: 31)!)) {
            try Self.calculator.fare(Self.usage(hours: 3, km: 10, from: CivilDate(year: 2025, month: 12, day: 31)!.chinaMidnight + 3600), vehicleClass: .sedan)
        }
        #expect(throws: FareError.noTariff(.van, CivilDate(year: 2026, month: 3, day: 10)!)) {
            try Self.calculator.fare(Self.usage(hours: 3, km: 10), vehicleClass: .van)
        }
        // The July version has no transfer package.
        #expect(throws: FareError.missingPackage(.transfer)) {
            try Self.calculator.fare(
                Self.usage(hours: 1, km: 10, from: CivilDate(year: 2026, month: 8, day: 3)!.chinaMidnight + 36_000, transfer: true), vehicleClass: .sedan)
        }
        #expect(throws: FareError.endsBeforeStart) {
            try Self.calculator.fare(TripUsage(start: Self.nine + 10, end: Self.nine + 9, metres: 0), vehicleClass: .sedan)
        }
    }

    /// 100 km by the system: 104.9 reported is within 5%, 105.1 is not; 10 km: 12.1 is beyond
    /// the 2 km floor. Time: 15 minutes either way passes, 16 does not.
    @Test func theDriversFiguresAreCheckedAgainstTheSystems() {
        let review = UsageReview()
        let system = TripUsage(start: 0, end: 3 * 3600, metres: 100_000)
        #expect(review.differences(system: system, reportedMetres: 104_900, reportedSeconds: 3 * 3600 + 900).isEmpty)
        #expect(review.differences(system: system, reportedMetres: 105_100, reportedSeconds: nil).map(\.field) == ["metres"])
        #expect(review.differences(system: system, reportedMetres: nil, reportedSeconds: 3 * 3600 - 960).map(\.field) == ["seconds"])
        let short = TripUsage(start: 0, end: 600, metres: 10_000)
        #expect(review.differences(system: short, reportedMetres: 12_100, reportedSeconds: 600).map(\.field) == ["metres"])
        #expect(review.differences(system: short, reportedMetres: 11_900, reportedSeconds: 600).isEmpty)
    }
}

/// Records beyond what a trip can be (stored before the doors checked, or written by hand) are
/// a typed error, never an overflow trap: the settlement sweep met one at every restart.
@Suite struct FareLimitTests {
    static let calculator = FareCalculator(book: .standard, agreement: .framework)
    static let start: Int64 = 1_772_323_200  // 2026-03-01

    @Test func extremeFiguresAreRefusedNotTrapped() {
        let extremes: [Int64] = [.min, .max, -1, BillingLimits.lineFen + 1]
        for value in extremes {
            for usage in [
                TripUsage(start: Self.start, end: Self.start + 3_600, metres: value),
                TripUsage(start: Self.start, end: Self.start + 3_600, metres: 1_000, tollsFen: value),
                TripUsage(start: Self.start, end: Self.start + 3_600, metres: 1_000, parkingFen: value),
                TripUsage(start: value, end: Self.start, metres: 1_000),
                TripUsage(start: Self.start, end: value, metres: 1_000),
            ] {
                #expect(throws: FareError.self) { try Self.calculator.fare(usage, vehicleClass: .sedan) }
            }
            #expect(throws: FareError.self) {
                try Self.calculator.cancellation(vehicleClass: .sedan, pickupTime: value, cancelledAt: Self.start, crewOnSite: false, transfer: false)
            }
        }
        let days = TripUsage(start: Self.start, end: Self.start + 3_600, metres: 1_000, mealDays: .max, lodgingNights: .max)
        #expect(throws: FareError.outOfRange("meals or lodging")) { try Self.calculator.fare(days, vehicleClass: .sedan) }
    }

    @Test func aTariffOrAgreementBeyondTheLimitsIsRefused() {
        var book = TariffBook.standard
        book.tariffs[0].overDistanceFenPerKm = .max
        let usage = TripUsage(start: Self.start, end: Self.start + 3_600, metres: 1_000)
        #expect(throws: FareError.outOfRange("the tariff's rates")) {
            try FareCalculator(book: book, agreement: .framework).fare(usage, vehicleClass: book.tariffs[0].vehicleClass)
        }
        var agreement = Agreement.framework
        agreement.mealsFenPerDay = .min
        #expect(throws: FareError.outOfRange("the agreement's terms")) {
            try FareCalculator(book: .standard, agreement: agreement).fare(usage, vehicleClass: .sedan)
        }
    }

    @Test func aSheetRefusesCorrectionsThatWouldTakeItsTotalOutOfRange() {
        let at = ChinaTime(Self.start)
        func line(_ fen: Int64) -> SheetLine {
            SheetLine(kind: .adjustment, detail: "x", amountFen: fen, evidence: "", adjusting: true, reason: "y", addedAt: at, by: "d")
        }
        let sheet = SettlementSheet(
            id: 1, facts: SettlementTests.facts(window: SettlementTests.window(hours: 2), metres: 10_000), state: .issued, flags: [],
            lines: [line(50_000)], issuedAt: at)
        #expect(sheet.accepts([line(-50_000), line(BillingLimits.lineFen)]))
        #expect(!sheet.accepts([line(.min)]) && !sheet.accepts([line(.max)]))
        #expect(!sheet.accepts(Array(repeating: line(BillingLimits.lineFen), count: 101)), "the total would pass 10^12 fen")
    }
}
