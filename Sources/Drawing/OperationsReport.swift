import Billing
import Domain

/// The operations report of a day, a week (Monday to Sunday) or a month: trips, kilometres,
/// revenue, service levels and complaints, with the same figures per hour (a day) or per day.
public struct OperationsReport: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable { case daily, weekly, monthly }

    /// One hour or one day of the period.
    public struct Bucket: Sendable, Hashable, Codable {
        public var label: String
        public var trips = 0
        public var metres: Int64 = 0
        public var revenueFen: Int64 = 0
        public var complaints = 0
        public init(label: String) { self.label = label }
    }

    public var kind: Kind
    public var from: CivilDate
    /// The last day, included.
    public var through: CivilDate
    /// Trips completed in the period, bookings cancelled in it.
    public var trips = 0
    public var cancelled = 0
    /// In service, by the trips' settlement sheets.
    public var metres: Int64 = 0
    /// The trips' sheets (and cancellation charges), as drawn up.
    public var revenueFen: Int64 = 0
    public var complaints = 0
    /// Share of clocks met in the period, by the assessment's item, in basis points.
    public var serviceLevels: [String: Int] = [:]
    public var buckets: [Bucket]

    /// An empty report of the period of `kind` that holds `day`.
    public init(_ kind: Kind, containing day: CivilDate) {
        self.kind = kind
        switch kind {
        case .daily: (from, through) = (day, day)
        case .weekly:
            from = CivilDate(daysSince1970: day.daysSince1970 - Int64(day.isoWeekday - 1))
            through = CivilDate(daysSince1970: from.daysSince1970 + 6)
        case .monthly:
            from = CivilDate(year: day.year, month: day.month, day: 1)!
            through = CivilDate(daysSince1970: from.nextMonth.daysSince1970 - 1)
        }
        if kind == .daily {
            buckets = (0..<24).map { Bucket(label: ($0 < 10 ? "0" : "") + "\($0):00") }
        } else {
            buckets = (from.daysSince1970...through.daysSince1970).map { Bucket(label: String(CivilDate(daysSince1970: $0).description.dropFirst(5))) }
        }
    }

    /// The bucket holding an instant of the period (nil outside it).
    public func bucket(of epoch: Int64) -> Int? {
        let offset = epoch - from.chinaMidnight
        let index = Int(CivilDate.floorDivide(offset, kind == .daily ? 3600 : 86_400))
        return buckets.indices.contains(index) ? index : nil
    }
}

/// The report as a page to read, print or download: the figures, and bar charts drawn as SVG.
public enum OperationsReportHTML {
    public static func render(_ r: OperationsReport) -> String {
        let title = "运营报告 Operations report (\(r.kind.rawValue)) \(r.from)" + (r.from == r.through ? "" : " – \(r.through)")
        var html = """
            <!DOCTYPE html>
            <html lang="zh-CN"><head><meta charset="utf-8"><title>\(HTMLText.escape(title))</title>
            <style>
            @page { size: A4; margin: 15mm; }
            body { font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; font-size: 10pt; color: #111; }
            table { border-collapse: collapse; margin: 4mm 0; }
            th, td { border: 0.3mm solid #888; padding: 1mm 3mm; text-align: left; }
            td.n { text-align: right; }
            figure { margin: 4mm 0; page-break-inside: avoid; }
            </style></head><body>
            <h1>\(HTMLText.escape(title))</h1>
            <table><tbody>
            <tr><th>行程 Trips completed</th><td class="n">\(r.trips)</td></tr>
            <tr><th>取消 Cancelled</th><td class="n">\(r.cancelled)</td></tr>
            <tr><th>里程 Kilometres</th><td class="n">\(r.metres / 1000)</td></tr>
            <tr><th>收入 Revenue</th><td class="n">\(Money.yuan(r.revenueFen, grouped: true))</td></tr>
            <tr><th>投诉 Complaints</th><td class="n">\(r.complaints)</td></tr>
            </tbody></table>
            <h2>服务水平 Service levels (clocks met)</h2>
            <table><tbody>

            """
        for (item, rate) in r.serviceLevels.sorted(by: { $0.key < $1.key }) {
            html += "<tr><th>\(HTMLText.escape(item))</th><td class=\"n\">\(rate / 100).\(rate % 100 < 10 ? "0" : "")\(rate % 100)%</td></tr>\n"
        }
        if r.serviceLevels.isEmpty { html += "<tr><td>no clock ran its course in this period</td></tr>\n" }
        html += "</tbody></table>\n"
        let labels = r.buckets.map(\.label)
        let charts: [(String, [Int64], String)] = [
            ("行程 Trips", r.buckets.map { Int64($0.trips) }, "trips"), ("里程 Kilometres", r.buckets.map { $0.metres / 1000 }, "km"),
            ("收入 Revenue", r.buckets.map { $0.revenueFen / 100 }, "CNY"), ("投诉 Complaints", r.buckets.map { Int64($0.complaints) }, "complaints"),
        ]
        for (name, values, unit) in charts {
            html += "<figure>\n" + BarChartSVG.render(title: name, labels: labels, values: values, unit: unit) + "</figure>\n"
        }
        return html + "</body></html>\n"
    }
}

/// A bar chart as standalone SVG: one bar per label, the axis rounded up to a round figure,
/// each bar's value in its tooltip. Pure text, the same bytes for the same data.
public enum BarChartSVG {
    public static func render(title: String, labels: [String], values: [Int64], unit: String, width: Int = 720, height: Int = 240) -> String {
        let left = 56.0, right = 16.0, top = 36.0, bottom = 36.0
        let w = Double(width), h = Double(height), plotW = w - left - right, plotH = h - top - bottom
        let axisMaximum = niceCeiling(values.max() ?? 0)
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" font-family="sans-serif">
            <rect width="100%" height="100%" fill="#ffffff"/>
            <text x="\(Int(left))" y="22" font-size="14" fill="#212121">\(HTMLText.escape(title)) (\(HTMLText.escape(unit)))</text>

            """
        // Four grid lines with their values.
        for step in 0...4 {
            let y = top + plotH - plotH * Double(step) / 4
            svg +=
                "<line x1=\"\(Int(left))\" y1=\"\(SVGNumber.format(y))\" x2=\"\(SVGNumber.format(w - right))\" y2=\"\(SVGNumber.format(y))\" stroke=\"#e0e0e0\"/>"
            svg +=
                "<text x=\"\(Int(left) - 6)\" y=\"\(SVGNumber.format(y + 4))\" font-size=\"10\" text-anchor=\"end\" fill=\"#616161\">\(axisMaximum * Int64(step) / 4)</text>\n"
        }
        guard !values.isEmpty else { return svg + "</svg>\n" }
        let slot = plotW / Double(values.count), barW = max(1, slot * 0.7)
        // Labels thinned to about 16 along the axis.
        let every = max(1, (labels.count + 15) / 16)
        for (i, value) in values.enumerated() {
            let barH = axisMaximum > 0 ? plotH * Double(value) / Double(axisMaximum) : 0
            let x = left + slot * Double(i) + (slot - barW) / 2
            svg +=
                "<rect x=\"\(SVGNumber.format(x))\" y=\"\(SVGNumber.format(top + plotH - barH))\" width=\"\(SVGNumber.format(barW))\" height=\"\(SVGNumber.format(barH))\" fill=\"#1565c0\">"
            svg += "<title>\(HTMLText.escape(i < labels.count ? labels[i] : "")): \(value)</title></rect>\n"
            if i % every == 0, i < labels.count {
                svg +=
                    "<text x=\"\(SVGNumber.format(x + barW / 2))\" y=\"\(SVGNumber.format(h - bottom + 14))\" font-size=\"10\" text-anchor=\"middle\" fill=\"#424242\">\(HTMLText.escape(labels[i]))</text>\n"
            }
        }
        return svg + "</svg>\n"
    }

    /// The axis' top: the smallest of 4, 8 or 20 times a power of ten at least `value`, so that
    /// the grid's quarters are whole numbers.
    static func niceCeiling(_ value: Int64) -> Int64 {
        var power: Int64 = 1
        while true {
            for m: Int64 in [4, 8, 20] where m * power >= value { return m * power }
            power *= 10
        }
    }
}
