import Billing
import Testing

/// Both presets of docs/DOMAIN.md ("Monthly assessment and payment") on its worked examples.
@Suite struct AssessmentTests {
    /// 3,600,000.00 CNY over 36 months; a contract price of 1,000,000.00 CNY.
    let kpi = AssessmentScheme.kpiPreset(contractTotalFen: 360_000_000)
    let deduction = AssessmentScheme.deductionPreset(contractPriceFen: 100_000_000)

    func points(_ a: Assessment, _ id: String) -> Int? { a.sections.flatMap(\.items).first { $0.id == id }?.points }

    @Test func availabilityOf94Point8PercentCostsTwoPoints() {
        // 95.00% - 94.80% = 0.20% = two steps of 0.1%: -2; nothing else off: 98, coefficient 1.00.
        let a = Assessor.assess(kpi, ["availability": .rate(9480)])
        #expect(points(a, "availability") == -2 && a.score == 98 && a.coefficientPermille == 1000)
        // 94.85%: 0.15% below, a second step started: -2 as well. 95.00% exactly: nothing.
        #expect(points(Assessor.assess(kpi, ["availability": .rate(9485)]), "availability") == -2)
        #expect(points(Assessor.assess(kpi, ["availability": .rate(9500)]), "availability") == 0)
        // Turnover, -1 per 3% above 4% (the hotline contract): 5.5% is one started step, -1;
        // 7.5% two, -2; 4% exactly nothing.
        #expect(points(Assessor.assess(kpi, ["turnover": .rate(550)]), "turnover") == -1)
        #expect(points(Assessor.assess(kpi, ["turnover": .rate(750)]), "turnover") == -2)
        #expect(points(Assessor.assess(kpi, ["turnover": .rate(400)]), "turnover") == 0)
    }

    @Test func eightyFiveUnderTheKPISchemePays95Percent() {
        // Satisfaction 88%: 2 steps of 1% below 90%: -2; 13 duty incidents: -13. 100 - 15 = 85,
        // band 80-90: 0.95. Monthly fee 360,000,000 / 36 x 0.95 = 9,500,000 fen.
        let a = Assessor.assess(kpi, ["satisfaction": .rate(8800), "duty": .incidents(13)])
        #expect(a.score == 85 && a.coefficientPermille == 950 && a.paymentFen == 9_500_000)
    }

    @Test func eightyFiveUnderTheDeductionSchemePays85PercentOfThePerformanceAmount() {
        // 5 late arrivals x -2 = -10, 5 late records x -1 = -5: 100 - 15 = 85, band 80-90: 85%.
        // Performance amount 100,000,000 x 10% x 0.85 = 8,500,000 fen.
        let a = Assessor.assess(deduction, ["lateArrival": .incidents(5), "records": .incidents(5)])
        #expect(a.score == 85 && a.coefficientPermille == 850 && a.paymentFen == 8_500_000)
    }

    @Test func deductionsAndBonusesAreCappedAtTheirSectionsWeight() {
        // 12 x -1 in a 10-point section: the section scores 0, not -2. 7 commendations: +5 of 5.
        let a = Assessor.assess(deduction, ["late": .incidents(12), "commendation": .incidents(7)])
        #expect(a.sections.first { $0.name == "attendance and discipline" }?.score == 0)
        #expect(a.sections.first { $0.name == "bonus" }?.score == 5 && a.score == 95)
        // The highest possible: 105.
        #expect(Assessor.assess(deduction, ["commendation": .incidents(5)]).score == 105)
    }

    @Test func bandsAtTheirEdges() {
        // KPI: 61 pays 0.80, 60 and below 0.75. Deduction: 60 pays 50%, 59 nothing.
        #expect(Assessor.assess(kpi, ["duty": .incidents(39)]).coefficientPermille == 800)
        #expect(Assessor.assess(kpi, ["duty": .incidents(40)]).coefficientPermille == 750)
        #expect(Assessor.assess(kpi, ["duty": .incidents(40)]).paymentFen == 7_500_000)
        #expect(Assessor.assess(deduction, ["refused": .incidents(4)]).score == 60)
        #expect(Assessor.assess(deduction, ["refused": .incidents(4)]).coefficientPermille == 500)
        let failed = Assessor.assess(deduction, ["refused": .incidents(4), "records": .incidents(1)])
        #expect(failed.score == 59 && failed.coefficientPermille == 0 && failed.paymentFen == 0)
    }

    /// The fleet scheme on a month: matched in time 96.5% (1.5% below 98%, two started steps:
    /// -2), on time 97.2% (0.8% below, two steps of 0.5%: -2), one late replacement arrival
    /// (-3), callbacks 93% (-2), platform availability 99.4% (-1). 100 - 10 = 90: coefficient
    /// 1.00; the monthly fee 360,000,000 / 36 = 10,000,000 fen. Six late complaint results
    /// (-12) would still leave the 15-point section at 15 - 12 - 2 = 1.
    @Test func theFleetSchemeOnAMonth() {
        let scheme = AssessmentScheme.fleetPreset(contractTotalFen: 360_000_000)
        #expect(scheme.sections.filter { !$0.bonus }.reduce(0) { $0 + $1.weight } == 100)
        let month: [String: Observation] = [
            "confirmedInTime": .rate(9900), "matchedInTime": .rate(9650), "notifiedInTime": .rate(10_000), "onTime": .rate(9720),
            "replacementArrivalLate": .incidents(1), "callbackInTime": .rate(9300), "platformAvailability": .rate(9940),
        ]
        let a = Assessor.assess(scheme, month)
        #expect(
            [
                points(a, "matchedInTime"), points(a, "onTime"), points(a, "replacementArrivalLate"), points(a, "callbackInTime"),
                points(a, "platformAvailability"),
            ]
                == [-2, -2, -3, -2, -1])
        #expect(a.score == 90 && a.coefficientPermille == 1000 && a.paymentFen == 10_000_000)
        var worse = month
        worse["complaintResultLate"] = .incidents(6)
        #expect(Assessor.assess(scheme, worse).sections.first { $0.name == "customer care" }?.score == 1)
    }
}
