import Domain

extension FareLine.Kind {
    /// The line's name on printed sheets: Chinese first, for the agency's accounts.
    public var label: String {
        switch self {
        case .package: "套餐 Package"
        case .discount: "折扣 Discount"
        case .overtime: "超时费 Over-time"
        case .overDistance: "超里程费 Over-distance"
        case .tolls: "过路费 Tolls"
        case .parking: "停车费 Parking"
        case .meals: "驾驶员餐费 Driver's meals"
        case .lodging: "驾驶员住宿费 Driver's lodging"
        case .cancellation: "取消费 Cancellation"
        case .adjustment: "调整 Adjustment"
        }
    }
}

/// Fen as yuan with two decimals, exactly (no floating point): `-1234.50`, or `¥1,234.50` grouped.
public enum Money {
    public static func yuan(_ fen: Int64, grouped: Bool = false) -> String {
        let magnitude = fen.magnitude
        var whole = String(magnitude / 100)
        if grouped {
            var groups: [Substring] = []
            var rest = Substring(whole)
            while rest.count > 3 {
                groups.insert(rest.suffix(3), at: 0)
                rest = rest.dropLast(3)
            }
            groups.insert(rest, at: 0)
            whole = groups.joined(separator: ",")
        }
        let cents = magnitude % 100
        return (fen < 0 ? "-" : "") + (grouped ? "¥" : "") + whole + "." + (cents < 10 ? "0" : "") + String(cents)
    }
}

/// The statement as CSV that Excel opens with its Chinese text intact: UTF-8 with a byte order
/// mark, CRLF line ends, RFC 4180 quoting. One row per line of every sheet, then the totals.
public enum StatementCSV {
    public static func render(_ s: Statement) -> [UInt8] {
        var out: [UInt8] = [0xEF, 0xBB, 0xBF]
        out.reserveCapacity(s.sheets.count * 2_000 + 4_096)
        func row(_ fields: [String]) {
            out.append(contentsOf: fields.map(cell).joined(separator: ",").utf8)
            out.append(contentsOf: [0x0D, 0x0A])
        }
        row(["对账单 Statement", s.agency.name, "\(s.from)", "\(s.through)"])
        row([
            "结算单 Sheet", "订单 Booking", "上车时间 Pick-up", "车牌 Plate", "驾驶员 Driver", "上车地点 From", "目的地 To", "项目 Line", "明细 Detail",
            "依据 Evidence", "金额(元) Amount (CNY)", "调整原因 Adjustment reason", "签认 Confirmed", "发票 Invoice",
        ])
        for sheet in s.sheets {
            // What every line of the sheet repeats, quoted once.
            let f = sheet.facts
            let head = [
                "\(sheet.id)", "\(f.bookingID)", "\(f.pickupTime)", f.plates.joined(separator: " / "), f.drivers.joined(separator: " / "), f.pickupAddress,
                f.destinationAddress,
            ].map(cell).joined(separator: ",")
            let tail = [sheet.confirmedAt.map { "\($0) \(sheet.confirmedBy ?? "")" } ?? "", sheet.invoice?.number ?? ""].map(cell).joined(separator: ",")
            for line in sheet.lines {
                let fields = [line.kind.label, line.detail, line.evidence, Money.yuan(line.amountFen), line.reason ?? ""].map(cell).joined(separator: ",")
                out.append(contentsOf: "\(head),\(fields),\(tail)\r\n".utf8)
            }
        }
        for late in s.lateAdjustments {
            row([
                "\(late.sheetID)", "\(late.bookingID)", "", "", "", "", "", late.line.kind.label, late.line.detail, late.line.evidence,
                Money.yuan(late.line.amountFen), late.line.reason ?? "", "", "",
            ])
        }
        for total in s.totals { row(["合计 Total", "", "", "", "", "", "", total.kind.label, "", "", Money.yuan(total.amountFen), "", "", ""]) }
        row(["总计 Grand total", "\(s.trips) trips", "", "", "", "", "", "", "", "", Money.yuan(s.totalFen), "", "", ""])
        return out
    }

    /// A cell: what people typed (a detail, a reason, an address) that begins with `=`, `+`,
    /// `-`, `@`, a tab or a CR would be run by Excel as a formula (CSV injection), so it gets a
    /// leading apostrophe and shows as the text it is; a plain number such as `-12.50` stays one.
    static func cell(_ field: String) -> String {
        guard let first = field.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first), !isPlainNumber(field) else {
            return quoted(field)
        }
        return quoted("'" + field)
    }

    /// `-?[0-9]+(\.[0-9]+)?`, checked by hand: a regex literal was built again for every cell and
    /// made statements' CSV 1.7 times slower (BENCHMARKS.md, "Billing").
    static func isPlainNumber(_ field: String) -> Bool {
        var bytes = Substring(field).utf8[...]
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        let isDigit = { (byte: UInt8) in (0x30...0x39).contains(byte) }
        let whole = bytes.prefix(while: isDigit)
        guard !whole.isEmpty else { return false }
        let rest = bytes.dropFirst(whole.count)
        if rest.isEmpty { return true }
        let fraction = rest.dropFirst()
        return rest.first == UInt8(ascii: ".") && !fraction.isEmpty && fraction.allSatisfy(isDigit)
    }

    static func quoted(_ field: String) -> String {
        // Checked on the bytes: every character that needs quoting is ASCII.
        guard field.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0D || $0 == 0x0A }) else { return field }
        var out = "\""
        for c in field.unicodeScalars {
            if c == "\"" { out += "\"\"" } else { out.unicodeScalars.append(c) }
        }
        return out + "\""
    }
}

/// The statement as a printable page: a summary, then one A4 page per trip sheet.
public enum StatementHTML {
    public static func render(_ s: Statement) -> String {
        var html = """
            <!DOCTYPE html>
            <html lang="zh-CN"><head><meta charset="utf-8">
            <title>对账单 Statement \(HTMLText.escape(s.agency.name)) \(s.from) – \(s.through)</title>
            <style>
            @page { size: A4; margin: 15mm; }
            body { font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; font-size: 10pt; color: #111; }
            section { page-break-after: always; break-after: page; }
            section:last-child { page-break-after: auto; break-after: auto; }
            table { border-collapse: collapse; width: 100%; margin: 4mm 0; }
            th, td { border: 0.3mm solid #888; padding: 1mm 2mm; text-align: left; vertical-align: top; }
            td.amount, th.amount { text-align: right; white-space: nowrap; }
            .evidence { color: #555; font-size: 8.5pt; }
            .signature { margin-top: 10mm; }
            </style></head><body>
            <section>
            <h1>对账单 Statement</h1>
            <p>\(HTMLText.escape(s.agency.name)) · \(s.from) – \(s.through) · \(s.trips) trips</p>
            <table><thead><tr><th>结算单 Sheet</th><th>订单 Booking</th><th>上车时间 Pick-up</th><th>车牌 Plate</th><th class="amount">金额 Amount</th><th>发票 Invoice</th></tr></thead><tbody>

            """
        for sheet in s.sheets {
            html +=
                "<tr><td>\(sheet.id)</td><td>\(sheet.facts.bookingID)</td><td>\(sheet.facts.pickupTime)</td><td>\(HTMLText.escape(sheet.facts.plates.joined(separator: " / ")))</td>"
            html +=
                "<td class=\"amount\">\(Money.yuan(sheet.totalFen, grouped: true))</td><td>\(HTMLText.escape(sheet.invoice?.number ?? "due \(sheet.invoiceDue.map(\.description) ?? "-")"))</td></tr>\n"
        }
        html += "</tbody></table>\n"
        if !s.lateAdjustments.isEmpty {
            html += "<h2>对以前期间的调整 Adjustments to earlier periods</h2><table><tbody>\n"
            for late in s.lateAdjustments {
                html +=
                    "<tr><td>\(late.sheetID)</td><td>\(late.bookingID)</td><td>\(HTMLText.escape(late.line.detail))<div class=\"evidence\">\(HTMLText.escape(late.line.reason ?? ""))</div></td>"
                html += "<td class=\"amount\">\(Money.yuan(late.line.amountFen, grouped: true))</td></tr>\n"
            }
            html += "</tbody></table>\n"
        }
        html += "<h2>合计 Totals</h2><table><tbody>\n"
        for total in s.totals {
            html += "<tr><td>\(HTMLText.escape(total.kind.label))</td><td class=\"amount\">\(Money.yuan(total.amountFen, grouped: true))</td></tr>\n"
        }
        html += "<tr><th>总计 Grand total</th><th class=\"amount\">\(Money.yuan(s.totalFen, grouped: true))</th></tr>\n"
        html += "<tr><td>已开票 Invoiced</td><td class=\"amount\">\(Money.yuan(s.invoicedFen, grouped: true))</td></tr>\n</tbody></table>\n</section>\n"
        for sheet in s.sheets { html += page(sheet) }
        return html + "</body></html>\n"
    }

    static func page(_ sheet: SettlementSheet) -> String {
        let f = sheet.facts
        var html = """
            <section>
            <h2>结算单 Settlement sheet \(sheet.id) · 订单 Booking \(f.bookingID)</h2>
            <table><tbody>
            <tr><th>车型 Class</th><td>\(f.vehicleClass.rawValue)</td><th>车牌 Plate</th><td>\(HTMLText.escape(f.plates.joined(separator: " / ")))</td></tr>
            <tr><th>驾驶员 Driver</th><td>\(HTMLText.escape(f.drivers.joined(separator: " / ")))</td><th>上车时间 Pick-up</th><td>\(f.pickupTime)</td></tr>
            <tr><th>上车地点 From</th><td>\(HTMLText.escape(f.pickupAddress))</td><th>目的地 To</th><td>\(HTMLText.escape(f.destinationAddress))</td></tr>
            </tbody></table>
            <table><thead><tr><th>项目 Line</th><th>明细 Detail</th><th class="amount">金额 Amount</th></tr></thead><tbody>

            """
        for line in sheet.lines {
            var detail = HTMLText.escape(line.detail)
            if let reason = line.reason { detail += " — " + HTMLText.escape(reason) }
            html += "<tr><td>\(HTMLText.escape(line.kind.label))</td><td>\(detail)<div class=\"evidence\">\(HTMLText.escape(line.evidence))</div></td>"
            html += "<td class=\"amount\">\(Money.yuan(line.amountFen, grouped: true))</td></tr>\n"
        }
        html += "<tr><th colspan=\"2\">合计 Total</th><th class=\"amount\">\(Money.yuan(sheet.totalFen, grouped: true))</th></tr>\n</tbody></table>\n"
        let signed = sheet.confirmedAt.map { "\(HTMLText.escape(sheet.confirmedBy ?? "")), \($0)" } ?? "—"
        html += "<p class=\"signature\">用车单位签认 Confirmed by the agency: \(signed)</p>\n"
        html +=
            "<p>发票 Invoice: \(HTMLText.escape(sheet.invoice.map { "\($0.number), \($0.issuedAt)" } ?? "due \(sheet.invoiceDue.map(\.description) ?? "-")"))</p>\n</section>\n"
        return html
    }
}
