import Domain
import Foundation
import Testing

@testable import Drawing

/// The operations report's periods and buckets, and its page's charts.
@Suite struct OperationsReportTests {
    static let sunday = CivilDate(year: 2026, month: 11, day: 22)!

    @Test func periodsAreADayAWeekFromMondayAndAMonth() {
        let day = OperationsReport(.daily, containing: Self.sunday)
        #expect(day.from == Self.sunday && day.through == Self.sunday && day.buckets.count == 24 && day.buckets[8].label == "08:00")
        let week = OperationsReport(.weekly, containing: Self.sunday)
        #expect(week.from == CivilDate(year: 2026, month: 11, day: 16) && week.through == Self.sunday && week.buckets.map(\.label).first == "11-16")
        let month = OperationsReport(.monthly, containing: CivilDate(year: 2028, month: 2, day: 10)!)
        #expect(month.from == CivilDate(year: 2028, month: 2, day: 1) && month.through == CivilDate(year: 2028, month: 2, day: 29) && month.buckets.count == 29)
    }

    @Test func anInstantFallsInItsHourOrDay() {
        let day = OperationsReport(.daily, containing: Self.sunday), week = OperationsReport(.weekly, containing: Self.sunday)
        let tenPast8 = Self.sunday.chinaMidnight + 8 * 3600 + 600
        #expect(day.bucket(of: tenPast8) == 8 && week.bucket(of: tenPast8) == 6)
        #expect(day.bucket(of: Self.sunday.chinaMidnight - 1) == nil && day.bucket(of: Self.sunday.chinaMidnight + 86_400) == nil)
    }

    @Test func thePageHasItsFiguresAndFourChartsAndEscapesLabels() {
        var report = OperationsReport(.daily, containing: Self.sunday)
        report.trips = 3
        report.revenueFen = 123_456
        report.buckets[9].trips = 3
        report.serviceLevels = ["onTime": 9_750]
        let html = OperationsReportHTML.render(report)
        #expect(html.components(separatedBy: "<svg ").count - 1 == 4)
        #expect(html.contains("¥1,234.56") && html.contains("97.50%"))
        // 24 bars in each chart; the trips chart's tallest bar is 09:00's.
        #expect(html.components(separatedBy: "<rect x=").count - 1 == 4 * 24)
        #expect(html.contains("<title>09:00: 3</title>"))
        let chart = BarChartSVG.render(title: "<b>", labels: ["a&b"], values: [5], unit: "km")
        #expect(!chart.contains("<b>") && chart.contains("&lt;b&gt;") && chart.contains("a&amp;b"))
    }

    @Test func theAxisTopsAreRoundAndDivideIntoQuarters() {
        #expect([0, 1, 4, 5, 9, 21, 150, 7_999, 8_001].map(BarChartSVG.niceCeiling) == [4, 4, 4, 8, 20, 40, 200, 8_000, 20_000])
    }
}
