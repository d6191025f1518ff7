import Domain

extension TripUsage {
    func checkLimits() throws(FareError) {
        let fen = 0...BillingLimits.lineFen
        guard BillingLimits.epochs.contains(start), BillingLimits.epochs.contains(end) else { throw .outOfRange("the service window") }
        guard end - start <= BillingLimits.tripSeconds else { throw .outOfRange("a service of \((end - start) / 86_400) days") }
        guard (0...BillingLimits.tripMetres).contains(metres) else { throw .outOfRange("a distance of \(metres) m") }
        guard fen.contains(tollsFen), fen.contains(parkingFen) else { throw .outOfRange("tolls or parking") }
        let days = BillingLimits.daysOfAllowances
        guard days.contains(mealDays), days.contains(lodgingNights) else { throw .outOfRange("meals or lodging") }
    }
}

extension Tariff {
    func checkLimits() throws(FareError) {
        let rate = 0...BillingLimits.ratePerUnitFen
        guard rate.contains(overtimeFenPerHour), rate.contains(overDistanceFenPerKm) else { throw .outOfRange("the tariff's rates") }
        for package in packages {
            guard (1...BillingLimits.lineFen).contains(package.priceFen), BillingLimits.packageHours.contains(package.hours),
                BillingLimits.packageKilometres.contains(package.kilometres)
            else { throw .outOfRange("the tariff's \(package.kind.rawValue) package") }
        }
    }
}

extension Agreement {
    func checkLimits() throws(FareError) {
        let fen = 0...BillingLimits.ratePerUnitFen
        guard (0...10_000).contains(discountBasisPoints), fen.contains(mealsFenPerDay), fen.contains(lodgingFenPerNight),
            capFen.values.allSatisfy({ (0...BillingLimits.lineFen).contains($0) }), (0...100).contains(cancellation.latePercent),
            (0...100).contains(cancellation.onSitePercent), (0...BillingLimits.tripSeconds).contains(cancellation.freeNotice)
        else { throw .outOfRange("the agreement's terms") }
    }
}

/// The fare: its lines, and their sum. Nothing else is charged.
public struct Fare: Sendable, Hashable, Codable {
    public var lines: [FareLine]
    public var totalFen: Int64 { lines.reduce(0) { $0 + $1.amountFen } }
}

public enum FareError: Error, Sendable, Hashable, CustomStringConvertible {
    case noTariff(VehicleClass, CivilDate)
    case missingPackage(Package.Kind)
    case endsBeforeStart
    /// A figure beyond `BillingLimits`: the record is wrong, not the fare.
    case outOfRange(String)

    public var description: String {
        switch self {
        case .noTariff(let c, let d): "no \(c.rawValue) tariff in force on \(d)"
        case .missingPackage(let k): "the tariff has no \(k.rawValue) package"
        case .endsBeforeStart: "the service ends before it starts"
        case .outOfRange(let what): "\(what) is beyond what a trip can be: correct the record"
        }
    }
}

/// Fares by the agreement. Time is charged in days of 24 hours from the start of service (a
/// trip across midnight is one day; a trip of 30 hours is two): every day but the last is a
/// full day (the car and driver are the agency's), and the last a half day if its use fits a
/// half day's hours, else a full day with over-time beyond its hours. The packages' kilometres
/// add up, and distance beyond them is charged per km, pro rata; a half day is raised to a full
/// day where that costs the agency less than the kilometres it would otherwise pay for. A
/// transfer is one package with over-time and over-distance beyond it. The base is discounted;
/// over-time, over-distance and the pass-throughs are not.
public struct FareCalculator: Sendable {
    public var book: TariffBook
    public var agreement: Agreement

    public init(book: TariffBook, agreement: Agreement) {
        self.book = book
        self.agreement = agreement
    }

    public func fare(_ usage: TripUsage, vehicleClass: VehicleClass) throws(FareError) -> Fare {
        try usage.checkLimits()
        guard usage.end >= usage.start else { throw .endsBeforeStart }
        let tariff = try tariff(vehicleClass, at: usage.start)
        var packages: [Package] = [], overtimeSeconds: [Int64] = []
        if usage.transfer {
            guard let transfer = tariff.package(.transfer) else { throw .missingPackage(.transfer) }
            packages = [transfer]
            overtimeSeconds = [max(0, usage.end - usage.start - Int64(transfer.hours) * 3600)]
        } else {
            guard let half = tariff.package(.halfDay), let full = tariff.package(.fullDay) else {
                throw .missingPackage(tariff.package(.halfDay) == nil ? .halfDay : .fullDay)
            }
            let duration = usage.end - usage.start, days = max(1, (duration + 86_399) / 86_400)
            for day in 0..<days {
                let seconds = min(86_400, duration - day * 86_400), last = day == days - 1
                packages.append(!last || seconds > Int64(half.hours) * 3600 ? full : half)
                overtimeSeconds.append(last ? max(0, seconds - Int64(full.hours) * 3600) : 0)
            }
            // A full day instead of a half one where its kilometres save more than it costs.
            while let h = packages.firstIndex(of: half) {
                let over = overMetres(usage.metres, packages)
                let saved = Rounding.halfUp(min(over, Int64(full.kilometres - half.kilometres) * 1000) * tariff.overDistanceFenPerKm, over: 1000)
                guard saved > discounted(agreement.price(of: full)) - discounted(agreement.price(of: half)) else { break }
                packages[h] = full
            }
        }
        var lines: [FareLine] = []
        var base: Int64 = 0
        for kind in Package.Kind.allCases {
            let chosen = packages.filter { $0.kind == kind }
            guard let package = chosen.first else { continue }
            let amount = agreement.price(of: package) * Int64(chosen.count)
            base += amount
            lines.append(
                FareLine(kind: .package, detail: "\(kind.rawValue) x \(chosen.count) (\(package.hours) h / \(package.kilometres) km)", amountFen: amount))
        }
        let points = agreement.discountBasisPoints
        lines.append(
            FareLine(
                kind: .discount, detail: "\(points / 100).\(String(points % 100 + 100).dropFirst())% of \(base) fen",
                amountFen: -Rounding.halfUp(base * Int64(points), over: 10_000)))
        let overtime = overtimeSeconds.reduce(0, +)
        if overtime > 0 {
            switch tariff.overtimeBasis {
            case .startedHour:
                let hours = overtimeSeconds.reduce(0) { $0 + ($1 + 3599) / 3600 }
                lines.append(FareLine(kind: .overtime, detail: "\(hours) h started", amountFen: hours * tariff.overtimeFenPerHour))
            case .proRata:
                lines.append(
                    FareLine(kind: .overtime, detail: "\(overtime / 60) min", amountFen: Rounding.halfUp(overtime * tariff.overtimeFenPerHour, over: 3600)))
            }
        }
        let over = overMetres(usage.metres, packages)
        if over > 0 {
            lines.append(
                FareLine(
                    kind: .overDistance, detail: "\(over) m beyond \(packages.reduce(0) { $0 + $1.kilometres }) km",
                    amountFen: Rounding.halfUp(over * tariff.overDistanceFenPerKm, over: 1000)))
        }
        if usage.tollsFen > 0 { lines.append(FareLine(kind: .tolls, detail: "at cost", amountFen: usage.tollsFen)) }
        if usage.parkingFen > 0 { lines.append(FareLine(kind: .parking, detail: "at cost", amountFen: usage.parkingFen)) }
        if usage.mealDays > 0 {
            lines.append(
                FareLine(kind: .meals, detail: "\(usage.mealDays) day(s) at the official standard", amountFen: Int64(usage.mealDays) * agreement.mealsFenPerDay)
            )
        }
        if usage.lodgingNights > 0 {
            lines.append(
                FareLine(
                    kind: .lodging, detail: "\(usage.lodgingNights) night(s) at the official standard",
                    amountFen: Int64(usage.lodgingNights) * agreement.lodgingFenPerNight))
        }
        return Fare(lines: lines)
    }

    /// What a cancellation costs: nothing with `freeNotice` or more before pick-up; later, a
    /// share of the first package's discounted price (a half day, or the transfer booked); once
    /// the crew was on site, the no-show share.
    public func cancellation(vehicleClass: VehicleClass, pickupTime: Int64, cancelledAt: Int64, crewOnSite: Bool, transfer: Bool) throws(FareError) -> Fare {
        let epochs = BillingLimits.epochs
        guard epochs.contains(pickupTime), epochs.contains(cancelledAt) else { throw .outOfRange("the cancellation's times") }
        let rules = agreement.cancellation
        let percent = crewOnSite ? rules.onSitePercent : (pickupTime - cancelledAt >= rules.freeNotice ? 0 : rules.latePercent)
        guard percent > 0 else { return Fare(lines: []) }
        let kind: Package.Kind = transfer ? .transfer : .halfDay
        guard let package = try tariff(vehicleClass, at: pickupTime).package(kind) else { throw .missingPackage(kind) }
        let amount = Rounding.halfUp(discounted(agreement.price(of: package)) * Int64(percent), over: 100)
        let why = crewOnSite ? "cancelled with the crew on site" : "cancelled \((pickupTime - cancelledAt) / 60) min before pick-up"
        return Fare(lines: [FareLine(kind: .cancellation, detail: "\(why): \(percent)% of a \(kind.rawValue)", amountFen: amount)])
    }

    func tariff(_ vehicleClass: VehicleClass, at epoch: Int64) throws(FareError) -> Tariff {
        guard BillingLimits.epochs.contains(epoch) else { throw .outOfRange("the time \(epoch)") }
        let day = CivilDate(chinaDayOf: epoch)
        guard let tariff = book.tariff(for: vehicleClass, on: day) else { throw .noTariff(vehicleClass, day) }
        try tariff.checkLimits()
        try agreement.checkLimits()
        return tariff
    }

    func discounted(_ price: Int64) -> Int64 { price - Rounding.halfUp(price * Int64(agreement.discountBasisPoints), over: 10_000) }

    func overMetres(_ metres: Int64, _ packages: [Package]) -> Int64 {
        max(0, metres - Int64(packages.reduce(0) { $0 + $1.kilometres }) * 1000)
    }
}
