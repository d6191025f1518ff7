/// The monthly assessment as data: sections with a weight, items that deduct per incident or
/// measure an indicator against a target, bonus items, and bands mapping the score to the
/// share of the payment. Points are whole; rates are in basis points (9500 = 95.00%).
public struct AssessmentScheme: Sendable, Hashable, Codable {
    public struct Section: Sendable, Hashable, Codable {
        public var name: String
        /// Deductions never exceed it; for a bonus section, the bonus never exceeds it.
        public var weight: Int
        public var bonus: Bool
        public var items: [Item]
        public init(name: String, weight: Int, bonus: Bool = false, items: [Item]) {
            (self.name, self.weight, self.bonus, self.items) = (name, weight, bonus, items)
        }
    }

    public struct Item: Sendable, Hashable, Codable {
        public var id: String
        public var name: String
        public var rule: Rule
        public init(id: String, name: String, rule: Rule) { (self.id, self.name, self.rule) = (id, name, rule) }
    }

    public enum Rule: Sendable, Hashable, Codable {
        /// Each incident deducts (or, in a bonus section, adds) these points.
        case perIncident(points: Int)
        /// A rate that must be at least `target`: `points` off for every started `step` below.
        case atLeast(target: Int, step: Int, points: Int)
        /// A rate that must be at most `target`: `points` off for every started `step` above.
        case atMost(target: Int, step: Int, points: Int)
    }

    /// The score from which a band applies, and its payment coefficient in per mille.
    public struct Band: Sendable, Hashable, Codable {
        public var minimumScore: Int
        public var coefficientPermille: Int
        public init(minimumScore: Int, coefficientPermille: Int) { (self.minimumScore, self.coefficientPermille) = (minimumScore, coefficientPermille) }
    }

    /// What the coefficient pays: a monthly fee of the contract total over its months, or a
    /// performance share of the contract price.
    public enum Payment: Sendable, Hashable, Codable {
        case monthlyFee(contractTotalFen: Int64, months: Int)
        case performance(contractPriceFen: Int64, sharePercent: Int)
    }

    public var name: String
    public var sections: [Section]
    /// Highest band first; a score below every band gets `floorPermille`.
    public var bands: [Band]
    public var floorPermille: Int
    public var payment: Payment

    public init(name: String, sections: [Section], bands: [Band], floorPermille: Int, payment: Payment) {
        (self.name, self.sections, self.bands, self.floorPermille, self.payment) = (name, sections, bands, floorPermille, payment)
    }
}

/// What was observed for an item over the month; in JSON `{"incidents": 3}` or `{"rate": 9650}`.
public enum Observation: Sendable, Hashable, Codable {
    case incidents(Int)
    /// A rate in basis points.
    case rate(Int)

    enum CodingKeys: String, CodingKey { case incidents, rate }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let n = try c.decodeIfPresent(Int.self, forKey: .incidents) {
            self = .incidents(n)
        } else {
            self = .rate(try c.decode(Int.self, forKey: .rate))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .incidents(let n): try c.encode(n, forKey: .incidents)
        case .rate(let r): try c.encode(r, forKey: .rate)
        }
    }
}

public struct Assessment: Sendable, Hashable, Codable {
    public struct ItemResult: Sendable, Hashable, Codable {
        public var id: String
        public var name: String
        public var measured: Observation?
        /// Points off (negative) or bonus (positive) before the section's cap.
        public var points: Int
    }
    public struct SectionResult: Sendable, Hashable, Codable {
        public var name: String
        public var weight: Int
        public var items: [ItemResult]
        /// The section's points after its cap: weight less capped deductions, or the capped bonus.
        public var score: Int
    }
    public var scheme: String
    public var sections: [SectionResult]
    public var score: Int
    public var coefficientPermille: Int
    public var paymentFen: Int64
}

public enum Assessor {
    /// Scores `scheme` on the month's `measurements` (by item id; an item not measured scores
    /// nothing off).
    public static func assess(_ scheme: AssessmentScheme, _ measurements: [String: Observation]) -> Assessment {
        var sections: [Assessment.SectionResult] = []
        for section in scheme.sections {
            let items = section.items.map { item in
                Assessment.ItemResult(
                    id: item.id, name: item.name, measured: measurements[item.id], points: points(item.rule, measurements[item.id], bonus: section.bonus))
            }
            let sum = items.reduce(0) { $0 + $1.points }
            let score = section.bonus ? min(section.weight, max(0, sum)) : section.weight - min(section.weight, max(0, -sum))
            sections.append(Assessment.SectionResult(name: section.name, weight: section.weight, items: items, score: score))
        }
        let score = sections.reduce(0) { $0 + $1.score }
        let coefficient = scheme.bands.first { score >= $0.minimumScore }?.coefficientPermille ?? scheme.floorPermille
        let payment: Int64 =
            switch scheme.payment {
            case .monthlyFee(let total, let months): Rounding.halfUp(total * Int64(coefficient), over: Int64(months) * 1000)
            case .performance(let price, let share): Rounding.halfUp(price * Int64(share) * Int64(coefficient), over: 100 * 1000)
            }
        return Assessment(scheme: scheme.name, sections: sections, score: score, coefficientPermille: coefficient, paymentFen: payment)
    }

    static func points(_ rule: AssessmentScheme.Rule, _ measured: Observation?, bonus: Bool) -> Int {
        switch (rule, measured) {
        case (.perIncident(let points), .incidents(let count)): (bonus ? 1 : -1) * points * count
        case (.atLeast(let target, let step, let points), .rate(let rate)) where rate < target: -points * startedSteps(target - rate, step)
        case (.atMost(let target, let step, let points), .rate(let rate)) where rate > target: -points * startedSteps(rate - target, step)
        default: 0
        }
    }

    /// Every started step counts: 0.15% below with a step of 0.1% is two steps.
    static func startedSteps(_ gap: Int, _ step: Int) -> Int { (gap + step - 1) / step }
}

extension AssessmentScheme {
    /// The service-hall contract of docs/DOMAIN.md ("Monthly assessment and payment"): six sections
    /// of 10, 10, 50, 10, 10 and 10 points with fixed deductions per incident, a bonus of up to 5;
    /// the share of the performance amount (10% of the contract price) by band.
    public static func deductionPreset(contractPriceFen: Int64) -> AssessmentScheme {
        func section(_ name: String, _ weight: Int, _ items: [(String, String, Int)]) -> Section {
            Section(name: name, weight: weight, items: items.map { Item(id: $0.0, name: $0.1, rule: .perIncident(points: $0.2)) })
        }
        return AssessmentScheme(
            name: "deduction",
            sections: [
                section("attendance and discipline", 10, [("late", "late or absent, each time", 1), ("uniform", "out of uniform, each time", 1)]),
                section("conduct", 10, [("manners", "discourteous to a passenger, each time", 2)]),
                section("service", 50, [("lateArrival", "not on site in time, each time", 2), ("refused", "request refused or not served, each time", 10)]),
                section("safety", 10, [("violation", "traffic violation, each time", 2), ("accident", "accident with responsibility, each time", 10)]),
                section("complaints", 10, [("complaint", "justified complaint, each time", 2)]),
                section("records and reporting", 10, [("records", "missing or late record, each time", 1)]),
                Section(
                    name: "bonus", weight: 5, bonus: true, items: [Item(id: "commendation", name: "written commendation, each", rule: .perIncident(points: 1))]),
            ],
            bands: [
                Band(minimumScore: 90, coefficientPermille: 1000), Band(minimumScore: 80, coefficientPermille: 850),
                Band(minimumScore: 70, coefficientPermille: 700),
                Band(minimumScore: 60, coefficientPermille: 500),
            ],
            floorPermille: 0,
            payment: .performance(contractPriceFen: contractPriceFen, sharePercent: 10)
        )
    }

    /// The hotline contract of docs/DOMAIN.md ("Monthly assessment and payment"): measured
    /// indicators with targets and slopes (the 50 points it leaves unnamed deducted per incident by
    /// the assessor), a bonus of up to 5, and grade coefficients on the monthly fee (the contract
    /// total over 36 months). "60 and below" pays 0.75, so 61 is the lowest score of the 0.80 band.
    public static func kpiPreset(contractTotalFen: Int64) -> AssessmentScheme {
        AssessmentScheme(
            name: "kpi",
            sections: [
                Section(
                    name: "system availability", weight: 10,
                    items: [Item(id: "availability", name: ">= 95%, -1 per 0.1% below", rule: .atLeast(target: 9500, step: 10, points: 1))]),
                Section(
                    name: "SMS delivery", weight: 5,
                    items: [Item(id: "sms", name: ">= 95%, -1 per 1% below", rule: .atLeast(target: 9500, step: 100, points: 1))]),
                Section(
                    name: "answer rate", weight: 10,
                    items: [Item(id: "answer", name: ">= 90%, -1 per 0.5% below", rule: .atLeast(target: 9000, step: 50, points: 1))]),
                Section(
                    name: "satisfaction", weight: 15,
                    items: [Item(id: "satisfaction", name: ">= 90%, -1 per 1% below", rule: .atLeast(target: 9000, step: 100, points: 1))]),
                Section(
                    name: "staff turnover", weight: 10,
                    items: [Item(id: "turnover", name: "<= 4%, -1 per 3% above", rule: .atMost(target: 400, step: 300, points: 1))]),
                Section(name: "other duties", weight: 50, items: [Item(id: "duty", name: "assessor's deduction, per incident", rule: .perIncident(points: 1))]),
                Section(name: "bonus", weight: 5, bonus: true, items: [Item(id: "bonus", name: "assessor's bonus", rule: .perIncident(points: 1))]),
            ],
            bands: [
                Band(minimumScore: 90, coefficientPermille: 1000), Band(minimumScore: 80, coefficientPermille: 950),
                Band(minimumScore: 70, coefficientPermille: 900),
                Band(minimumScore: 61, coefficientPermille: 800),
            ],
            floorPermille: 750,
            payment: .monthlyFee(contractTotalFen: contractTotalFen, months: 36)
        )
    }

    /// The fleet's own scheme: every indicator is measured by the system from its records (the
    /// item ids name the measurements: the share of bookings whose clock was met, in basis
    /// points, or the count of breaches), 100 points and a bonus of up to 5, paid as a monthly
    /// fee on the KPI scheme's grades.
    public static func fleetPreset(contractTotalFen: Int64, months: Int = 36) -> AssessmentScheme {
        func rate(_ id: String, _ name: String, atLeast target: Int, step: Int) -> Item {
            Item(id: id, name: name, rule: .atLeast(target: target, step: step, points: 1))
        }
        return AssessmentScheme(
            name: "fleet",
            sections: [
                Section(
                    name: "response", weight: 30,
                    items: [
                        rate("confirmedInTime", "requests confirmed within 5 min: >= 98%, -1 per 1% below", atLeast: 9800, step: 100),
                        rate("matchedInTime", "matched within 10 min of confirmation: >= 98%, -1 per 1% below", atLeast: 9800, step: 100),
                        rate("notifiedInTime", "agency notified within 5 min of the match: >= 98%, -1 per 1% below", atLeast: 9800, step: 100),
                    ]),
                Section(name: "punctuality", weight: 20, items: [rate("onTime", "on site 10 min early: >= 98%, -1 per 0.5% below", atLeast: 9800, step: 50)]),
                Section(
                    name: "incidents", weight: 15,
                    items: [
                        Item(id: "replacementStartLate", name: "replacement started after 15 min, each", rule: .perIncident(points: 3)),
                        Item(id: "replacementArrivalLate", name: "replacement arrived late (30 min city, 60 suburbs), each", rule: .perIncident(points: 3)),
                    ]),
                Section(
                    name: "customer care", weight: 15,
                    items: [
                        Item(id: "complaintContactLate", name: "complaint not contacted within 12 h, each", rule: .perIncident(points: 2)),
                        Item(id: "complaintResultLate", name: "complaint result after 3 working days, each", rule: .perIncident(points: 2)),
                        rate("callbackInTime", "trips called back within 24 h: >= 95%, -1 per 1% below", atLeast: 9500, step: 100),
                    ]),
                Section(
                    name: "satisfaction", weight: 10, items: [rate("satisfaction", "satisfied callbacks: >= 95%, -1 per 1% below", atLeast: 9500, step: 100)]),
                Section(
                    name: "telematics and platform", weight: 10,
                    items: [
                        rate("terminalOnline", "terminals online: >= 95%, -1 per 1% below", atLeast: 9500, step: 100),
                        rate("positionCompleteness", "positions received of expected: >= 98%, -1 per 1% below", atLeast: 9800, step: 100),
                        rate("platformAvailability", "platform availability: >= 99.5%, -1 per 0.1% below", atLeast: 9950, step: 10),
                    ]),
                Section(
                    name: "bonus", weight: 5, bonus: true, items: [Item(id: "commendation", name: "written commendation, each", rule: .perIncident(points: 1))]),
            ],
            bands: [
                Band(minimumScore: 90, coefficientPermille: 1000), Band(minimumScore: 80, coefficientPermille: 950),
                Band(minimumScore: 70, coefficientPermille: 900),
                Band(minimumScore: 61, coefficientPermille: 800),
            ],
            floorPermille: 750,
            payment: .monthlyFee(contractTotalFen: contractTotalFen, months: months)
        )
    }
}
