import Domain
import Foundation
import Testing

@testable import Billing

/// Settlement sheets, statements and their formats: the pure parts, on FareTests' tariffs.
@Suite struct SettlementTests {
    static let drafter = SheetDrafter(calculator: FareTests.calculator)
    static let nine = FareTests.nine
    static let at = ChinaTime(nine + 86_400)

    static func facts(window: ServiceWindow, metres: Int64, parkingFen: Int64 = 0, reportedMetres: Int64? = nil, cancellation: TripFacts.Cancellation? = nil)
        -> TripFacts
    {
        TripFacts(
            bookingID: 7, agencyID: 1, vehicleClass: .sedan, pickupTime: ChinaTime(nine), pickupAddress: "天一广场, 1号门", destinationAddress: "宁波东站 \"南广场\"",
            plates: ["浙B12345D"], drivers: ["王师傅"], window: window, metres: metres, distanceSource: "odometer", tollsFen: 0, parkingFen: parkingFen,
            receipts: parkingFen > 0 ? ["P-77"] : [], reportedMetres: reportedMetres, cancellation: cancellation
        )
    }

    static func window(hours: Double) -> ServiceWindow {
        ServiceWindow(marks: [(.crew(vehicleID: 3), nine - 3600), (.serviceStarts, nine), (.completed, nine + Int64(hours * 3600))])
    }

    @Test func aBreakdownsReplacementTimeIsNotCharged() {
        // Crew 3 serves 09:00-10:00, breaks down; crew 4 is matched and starts at 10:20, ends 12:00.
        let window = ServiceWindow(marks: [
            (.crew(vehicleID: 3), Self.nine - 3600), (.serviceStarts, Self.nine), (.interrupted, Self.nine + 3600), (.crew(vehicleID: 4), Self.nine + 3700),
            (.serviceStarts, Self.nine + 4800), (.completed, Self.nine + 10_800),
        ])
        #expect(window.segments.map(\.vehicleID) == [3, 4])
        // 1 h + 1 h 40 min = 9600 s charged; the 20 minutes between are not.
        #expect(window.chargedSeconds == 9_600 && window.gapSeconds == 1_200)
        #expect(window.start == ChinaTime(Self.nine) && window.end == ChinaTime(Self.nine + 10_800))
        // A window that never started (cancelled before service) is empty.
        #expect(ServiceWindow(marks: [(.crew(vehicleID: 3), Self.nine)]).segments.isEmpty)
    }

    @Test func aSheetsLinesCarryTheirEvidence() throws {
        // 8 h 30 min, 120.3 km, parking 10.00: full day at the cap 48000, 12.5% off -6000,
        // one started hour over 5000, 20.3 km over at 3.00 = 6090, parking 1000: 54090.
        let (lines, flags) = try Self.drafter.draft(
            Self.facts(window: Self.window(hours: 8.5), metres: 120_300, parkingFen: 1_000, reportedMetres: 121_000), at: Self.at)
        #expect(lines.reduce(0) { $0 + $1.amountFen } == 54_090)
        #expect(lines.map(\.kind) == [.package, .discount, .overtime, .overDistance, .parking])
        #expect(flags.isEmpty, "0.7 km apart is within the tolerance")
        let package = try #require(lines.first)
        #expect(package.evidence.contains("8 h 30 min charged") && package.evidence.contains("120.3 km by odometer of 浙B12345D"), "\(package.evidence)")
        #expect(lines.last?.evidence.contains("P-77") == true)
        #expect(lines.allSatisfy { !$0.adjusting && $0.addedAt == Self.at && $0.by == "billing" })
    }

    @Test func theDriversFiguresAreFlaggedWhenTheyDisagree() throws {
        // The driver says 30 km; the odometer 12 km: more than 2 km (and 5%) apart.
        let (_, flags) = try Self.drafter.draft(Self.facts(window: Self.window(hours: 2), metres: 12_000, reportedMetres: 30_000), at: Self.at)
        #expect(flags == [UsageReview.Difference(field: "metres", system: 12_000, reported: 30_000)])
    }

    @Test func aTripOverTwoDaysPaysTheDriversMealsAndLodging() throws {
        // 09:00 to 15:00 the next day (30 h), 150 km: two full days 96000, -12000; 200 km cover
        // the distance; meals 2 x 10000, lodging 1 x 35000: 139000.
        let (lines, _) = try Self.drafter.draft(Self.facts(window: Self.window(hours: 30), metres: 150_000), at: Self.at)
        #expect(lines.reduce(0) { $0 + $1.amountFen } == 139_000)
        #expect(lines.first { $0.kind == .meals }?.amountFen == 20_000 && lines.first { $0.kind == .lodging }?.amountFen == 35_000)
    }

    @Test func aLateCancellationIsChargedAndAnEarlyOneIsNot() throws {
        // 30 minutes before pick-up: 50% of the discounted half day, 21875 / 2 = 10937.5, half up 10938.
        let late = try Self.drafter.draft(
            Self.facts(window: ServiceWindow(segments: []), metres: 0, cancellation: .init(at: ChinaTime(Self.nine - 1800), crewOnSite: false)), at: Self.at)
        #expect(late.lines.map(\.amountFen) == [10_938] && late.lines.first?.kind == .cancellation)
        let early = try Self.drafter.draft(
            Self.facts(window: ServiceWindow(segments: []), metres: 0, cancellation: .init(at: ChinaTime(Self.nine - 7200), crewOnSite: false)), at: Self.at)
        #expect(early.lines.isEmpty)
    }

    @Test func moneyIsPrintedExactly() {
        #expect(Money.yuan(0) == "0.00" && Money.yuan(5) == "0.05" && Money.yuan(100) == "1.00" && Money.yuan(-1_234_567) == "-12345.67")
        #expect(
            Money.yuan(123_456_789, grouped: true) == "¥1,234,567.89" && Money.yuan(99_999, grouped: true) == "¥999.99"
                && Money.yuan(-100_000, grouped: true) == "-¥1,000.00")
    }

    @Test func chinaTimesArePrintedAndReadWithTheirOffset() throws {
        // 2026-11-22 08:30:05 in China is 00:30:05 UTC.
        let time = ChinaTime(CivilDate(year: 2026, month: 11, day: 22)!.chinaMidnight + 8 * 3600 + 30 * 60 + 5)
        #expect(time.description == "2026-11-22T08:30:05+08:00" && time.epochSeconds == 1_795_307_405 && time.clock == "08:30")
        #expect(ChinaTime("2026-11-22T08:30:05+08:00") == time)
        #expect(ChinaTime("2026-11-22T08:30:05Z") == nil && ChinaTime("2026-11-22T24:00:00+08:00") == nil)
    }

    static func statement() throws -> Statement {
        let (lines, _) = try drafter.draft(facts(window: window(hours: 8.5), metres: 120_300, parkingFen: 1_000), at: at)
        var sheet = SettlementSheet(
            id: 11, facts: facts(window: window(hours: 8.5), metres: 120_300, parkingFen: 1_000), state: .confirmed, flags: [],
            lines: lines + [
                SheetLine(
                    kind: .parking, detail: "receipt P-77 was 5.00", amountFen: -500, evidence: "", adjusting: true,
                    reason: "the agency's receipt <b>copy</b>", addedAt: at, by: "dispatcher")
            ],
            issuedAt: at, confirmedAt: at, confirmedBy: "李主任", invoiceDue: CivilDate(year: 2026, month: 3, day: 16))
        sheet.invoice = nil
        let late = Statement.LateAdjustment(
            sheetID: 3, bookingID: 2,
            line: SheetLine(
                kind: .tolls, detail: "toll missed", amountFen: 2_000, evidence: "", adjusting: true,
                reason: "ETC statement", addedAt: at, by: "dispatcher"))
        return Statement(
            agency: .init(id: 1, name: "市机关事务管理局"), from: CivilDate(year: 2026, month: 3, day: 1)!, through: CivilDate(year: 2026, month: 3, day: 31)!,
            sheets: [sheet], lateAdjustments: [late])
    }

    @Test func aStatementTotalsByKind() throws {
        let s = try Self.statement()
        // 54090 - 500 (the parking corrected) + 2000 (a toll of an earlier period) = 55590.
        #expect(s.totalFen == 55_590 && s.trips == 1 && s.invoicedFen == 0)
        #expect(s.totals.map(\.kind) == [.package, .discount, .overtime, .overDistance, .tolls, .parking])
        #expect(s.totals.first { $0.kind == .parking }?.amountFen == 500 && s.totals.first { $0.kind == .tolls }?.amountFen == 2_000)
    }

    @Test func theCSVOpensInExcelWithItsChineseText() throws {
        let bytes = StatementCSV.render(try Self.statement())
        #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF], "UTF-8 byte order mark")
        let text = String(decoding: bytes.dropFirst(3), as: UTF8.self)
        let rows = text.components(separatedBy: "\r\n")
        #expect(rows.last == "" && !text.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "CRLF line ends only")
        // The title row, the header, 6 lines of the sheet, the late adjustment, 6 totals, the grand total.
        let expectedRows = 1 + 1 + 6 + 1 + 6 + 1
        #expect(rows.count - 1 == expectedRows)
        // A field with a comma is quoted; a quote inside is doubled.
        #expect(rows[2].contains(#""天一广场, 1号门","宁波东站 ""南广场""""#), "\(rows[2])")
        let grand = rows.last { !$0.isEmpty } ?? ""
        #expect(rows[2].contains(",480.00,") && grand.hasPrefix("总计 Grand total,1 trips"))
        #expect(rows.contains { $0.contains(",555.90,") })
    }

    /// Attack 3 of 2026-12-02: an adjustment's detail `=1+1` and reason `@SUM(1)` came out as
    /// live formula cells.
    @Test func theCSVNeutralisesWhatExcelWouldRunAsAFormula() throws {
        var s = try Self.statement()
        let typed = ["=1+1", "@SUM(1)", "+cmd|' /C calc'!A0", "-2+3", "\tTAB", "\rCR"]
        let old = s.sheets[0]
        var facts = old.facts
        facts.pickupAddress = typed[2]
        let typedLine = SheetLine(
            kind: .adjustment, detail: typed[0], amountFen: -100, evidence: typed[3], adjusting: true, reason: typed[1], addedAt: Self.at, by: "x")
        s.sheets[0] = SettlementSheet(id: old.id, facts: facts, state: old.state, flags: [], lines: old.lines + [typedLine], issuedAt: old.issuedAt)
        s.lateAdjustments[0].line.detail = typed[4]
        s.lateAdjustments[0].line.reason = typed[5]
        let text = String(decoding: StatementCSV.render(s).dropFirst(3), as: UTF8.self)
        // Every cell as a spreadsheet splits it (RFC 4180): none begins with a formula's sign.
        let cells = Self.cells(text)
        for value in typed { #expect(cells.contains("'" + value), "\(value) neutralised") }
        let dangerous = cells.filter { $0.first.map { "=+-@\t\r".contains($0) } ?? false }
        #expect(dangerous.allSatisfy { Double($0) != nil }, "only plain numbers begin with a sign: \(dangerous)")
        #expect(dangerous.contains("-1.00"), "a negative amount stays a number")
    }

    @Test func onlyAPlainNumberKeepsItsSign() {
        for number in ["-12.50", "12", "-0", "3.14"] { #expect(StatementCSV.isPlainNumber(number), "\(number)") }
        for text in ["-", "-.5", "1.", "1.2.3", "-1e5", "+1", "-1 ", "", "-١٢"] { #expect(!StatementCSV.isPlainNumber(text), "\(text)") }
        #expect(StatementCSV.cell("-1e5") == "'-1e5" && StatementCSV.cell("-12.50") == "-12.50")
    }

    /// RFC 4180 fields, quotes undone.
    static func cells(_ csv: String) -> [String] {
        var cells: [String] = [], current = "", quoted = false, previous: Character = " "
        for c in csv {
            if quoted {
                if c == "\"" { quoted = false } else { current.append(c) }
            } else if c == "\"" {
                if previous == "\"" { current.append(c) }
                quoted = true
            } else if c == "," || c == "\r\n" || c == "\n" {
                cells.append(current.hasSuffix("\r") ? String(current.dropLast()) : current)
                current = ""
            } else {
                current.append(c)
            }
            previous = c
        }
        return cells
    }

    @Test func theHTMLHasASummaryAndAPagePerSheetAndEscapesWhatUsersTyped() throws {
        var s = try Self.statement()
        s.sheets[0].facts.pickupAddress = "<script>alert(1)</script>"
        let html = StatementHTML.render(s)
        #expect(html.components(separatedBy: "<section>").count - 1 == 2, "the summary and one sheet")
        #expect(html.contains("@page { size: A4;") && html.contains("¥555.90"))
        #expect(!html.contains("<script>") && html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!html.contains("<b>copy</b>") && html.contains("&lt;b&gt;copy&lt;/b&gt;"))
        #expect(html.contains("李主任"))
        #expect(StatementHTML.render(s) == html, "the same statement, the same bytes")
    }

    @Test func theJSONIsJSONEncodersByteForByte() throws {
        var s = try Self.statement()
        // Every optional present, and every kind of character a user may type.
        var sheet = s.sheets[0]
        sheet.facts.destinationAddress = "quote \" backslash \\ slash / tab \t newline \n cr \r bell \u{07} nul \u{00} 中文 é 🚗"
        sheet.facts.reportedMetres = 130_000
        sheet.facts.reportedSeconds = 30_000
        sheet.facts.cancellation = .init(at: ChinaTime(Self.nine - 60), crewOnSite: true)
        sheet.flags = [UsageReview.Difference(field: "metres", system: 120_300, reported: 130_000)]
        sheet.invoice = .init(number: "3302-0001", issuedAt: Self.at)
        sheet.history = [.init(at: Self.at, kind: "confirmed", by: "李主任", note: "signed by 李主任")]
        s.sheets.append(sheet)
        s = Statement(agency: s.agency, from: s.from, through: s.through, sheets: s.sheets, lateAdjustments: s.lateAdjustments)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let expected = try encoder.encode(s)
        let ours = StatementJSON.render(s)
        #expect(String(decoding: ours, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
        #expect(try JSONDecoder().decode(Statement.self, from: Data(ours)) == s)
    }
}
