import Billing
import Domain
import Testing

@Suite struct VATInvoiceTests {
    static let at = ChinaTime(1_795_305_600)

    func line(_ kind: FareLine.Kind, _ fen: Int64) -> SheetLine {
        SheetLine(kind: kind, detail: kind.rawValue, amountFen: fen, evidence: "", addedAt: Self.at, by: "test")
    }

    func parts(_ split: VATInvoice.Split) -> [Int64] { [split.grossFen, split.netFen, split.taxFen] }

    /// A sedan's day at CNY 700 less 12.5 %, an hour over, a toll and a parking receipt.
    @Test func aDaysSheetSplitsIntoAmountAndTaxPerRate() throws {
        let invoice = VATInvoice(
            lines: [line(.package, 70_000), line(.discount, -8_750), line(.overtime, 5_000), line(.tolls, 1_500), line(.parking, 800)],
            rates: .transportService)
        // Not taxed here: tolls and parking at cost, 1,500 + 800 = 2,300 fen, no tax.
        // At 9 %: 70,000 - 8,750 + 5,000 = 66,250 gross; 66,250 / 1.09 = 60,779.82 -> 60,780
        // before tax, tax 66,250 - 60,780 = 5,470. 60,780 x 0.09 = 5,470.20: 0.20 fen off.
        #expect(invoice.lines.map(\.basisPoints) == [0, 900])
        #expect(parts(invoice.lines[0].split) == [2_300, 2_300, 0])
        #expect(parts(invoice.lines[1].split) == [66_250, 60_780, 5_470])
        #expect(invoice.lines[1].differenceCentiFen == 20)
        #expect((invoice.grossFen, invoice.netFen, invoice.taxFen) == (68_550, 63_080, 5_470))
        // The sheet's lines, split the same way for the reader: 70,000 / 1.09 = 64,220.18 ->
        // 64,220; -8,750 / 1.09 = -8,027.52 -> -8,028 (half away from zero, as the discount
        // mirrors its base); 5,000 / 1.09 = 4,587.16 -> 4,587. They sum to 60,779, not 60,780:
        // which is why the invoice's figures are the rate's line.
        #expect(invoice.lines[1].items.map(\.split.netFen) == [64_220, -8_028, 4_587])
        #expect(invoice.lines[1].items.map(\.split.taxFen) == [5_780, -722, 413])
        try invoice.check()
    }

    /// 2,000 lines of one fen: split line by line, each would be 1 fen before tax and 0 tax, 0.09
    /// fen off each, 180 fen in all, past the invoice's 127. One split per rate: 2,000 / 1.09 =
    /// 1,834.86 -> 1,835 before tax, tax 165; 1,835 x 0.09 = 165.15, 0.15 fen off.
    @Test func oneRoundingPerRateKeepsAnyInvoiceWithinTheTolerances() throws {
        let invoice = VATInvoice(lines: Array(repeating: line(.adjustment, 1), count: 2_000), rates: .transportService)
        #expect(invoice.lines.count == 1)
        #expect(parts(invoice.lines[0].split) == [2_000, 1_835, 165])
        #expect(invoice.lines[0].differenceCentiFen == 15)
        #expect(invoice.lines[0].items.reduce(0) { $0 + $1.split.netFen * 9 - $1.split.taxFen * 100 } == 18_000)
        try invoice.check()
        // Whatever the sheet, every rate line stays within half a fen times (1 + rate).
        var random = SplitMix64(seed: 808)
        for _ in 0..<500 {
            let lines = (0..<Int.random(in: 1...40, using: &random)).map { _ in
                line(FareLine.Kind.allCases.randomElement(using: &random)!, Int64.random(in: -50_000...500_000, using: &random))
            }
            let invoice = VATInvoice(lines: lines, rates: VATRates(basisPoints: [.package: 1_300, .overtime: 900, .meals: 600]))
            try invoice.check()
            #expect(invoice.grossFen == lines.reduce(0) { $0 + $1.amountFen })
            #expect(invoice.lines.allSatisfy { $0.split.netFen + $0.split.taxFen == $0.split.grossFen && abs($0.differenceCentiFen) <= 57 })
        }
    }

    @Test func ratesAreReadFromConfigurationOrRefusedWithTheReason() throws {
        let rates = try VATRates(parsing: "package=1300, overtime = 900,tolls=0")
        #expect(rates.basisPoints == [.package: 1_300, .overtime: 900, .tolls: 0])
        #expect(rates.rate(of: .parking) == 0)
        for bad in ["package", "packages=900", "package=9%", "package=10001", "package=900=1"] {
            #expect(throws: VATRates.InvalidRates.self) { try VATRates(parsing: bad) }
        }
        // The message names the entry and what is expected instead.
        let refused = #expect(throws: VATRates.InvalidRates.self) { try VATRates(parsing: "fuel=900") }
        #expect(refused?.description.contains("\"fuel=900\"") == true && refused?.description.contains("overDistance") == true)
    }
}
