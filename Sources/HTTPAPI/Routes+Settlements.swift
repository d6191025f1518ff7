import Billing
import Domain
import Drawing
import Foundation
import Hummingbird
import Settlement
import Store

/// Settlement sheets (signed or disputed by the agency, resolved and corrected by a
/// dispatcher, invoiced), agencies' statements, tariffs and agreements.
extension FleetAPI {
    struct Signature: Decodable { var signedBy: String }
    struct Dispute: Decodable { var reason: String }
    struct Adjustment: Decodable {
        /// Which total it corrects (a toll, a package...); `adjustment` if none in particular.
        var kind: FareLine.Kind?
        var detail: String
        var amountFen: Int64
        var reason: String
    }
    struct SheetResolution: Decodable {
        var note: String
        var adjustments: [Adjustment]?
    }
    struct InvoiceBody: Decodable {
        var number: String
        var issuedAt: Date
    }

    func addSettlementRoutes(_ list: inout EndpointList) {
        list.add(
            .get, "/api/v1/settlements", Self.readers + [.agency],
            "Settlement sheets, newest first: an agency's own; by state; paged by `before` (the last id seen)",
            returns: "[SettlementSheet]",
            query: [
                ("state", FieldType.list(of: SettlementSheet.State.self, maxItems: 10), "review, issued, disputed, confirmed or void, comma-separated"),
                ("agency", "id", "an agency's id (operators)"),
                ("before", "id", "the last id of the previous page"), ("limit", "integer(1...500)", "1 to 500, default 100"),
            ]
        ) { request, _, user in
            let agency: Int64? =
                user.role == .agency
                ? user.agencyID
                : try request.uri.queryParameters.get("agency").map { text in
                    guard let id = Int64(text) else { throw Problem.invalid("agency", "an agency's id") }
                    return id
                }
            let states: [SettlementSheet.State]? = try cases("state", request)
            let before = try request.uri.queryParameters.get("before").map { text in
                guard let id = Int64(text) else { throw Problem.invalid("before", "an id") }
                return id
            }
            return try await settlement.sheets(
                agencyID: agency, states: states, before: before, limit: try count("limit", request, default: 100, maximum: 500))
        }
        list.add(
            .get, "/api/v1/settlements/{id}", Self.readers + [.agency], "A sheet: its lines with their evidence, the driver's figures flagged, its history",
            returns: "SettlementSheet"
        ) { _, context, user in
            try await sheet(context, user)
        }
        list.add(
            .post, "/api/v1/settlements/{id}/confirm", [.agency],
            "The agency contact signs the sheet: confirmed (never changed again), the invoice due in 3 working days",
            body: "Signature", returns: "SettlementSheet"
        ) { request, context, user in
            let current = try await sheet(context, user)
            let body = try await decode(Signature.self, request, context)
            let audit = entry(user, "settlement-confirm", "settlement:\(current.id)", ["signedBy": body.signedBy])
            return try await settlement.confirm(current.id, signedBy: body.signedBy, actor: actor(user), audit: audit)
        }
        list.add(
            .post, "/api/v1/settlements/{id}/dispute", [.agency], "The agency contests the sheet, with its reason; a dispatcher resolves it",
            body: "Dispute", returns: "SettlementSheet"
        ) { request, context, user in
            let current = try await sheet(context, user)
            let body = try await decode(Dispute.self, request, context)
            let audit = entry(user, "settlement-dispute", "settlement:\(current.id)")
            return try await settlement.dispute(current.id, reason: body.reason, actor: actor(user), audit: audit)
        }
        list.add(
            .post, "/api/v1/settlements/{id}/resolve", Self.operators,
            "Resolve a dispute or a flagged difference, with adjusting lines if the sheet was wrong: back to the agency for signature",
            body: "SheetResolution", returns: "SettlementSheet"
        ) { request, context, user in
            let sheetID = try id("id", context)
            let body = try await decode(SheetResolution.self, request, context)
            let lines = try (body.adjustments ?? []).enumerated().map { try adjustingLine($1, field: "adjustments.\($0)", user) }
            let audit = entry(user, "settlement-resolve", "settlement:\(sheetID)", ["adjustments": "\(lines.count)"])
            return try await settlement.resolve(sheetID, note: body.note, adjustments: lines, actor: actor(user), audit: audit)
        }
        list.add(
            .post, "/api/v1/settlements/{id}/adjustments", Self.operators,
            "Correct a sheet by a new adjusting line with its reason (its own lines never change)",
            body: "Adjustment", returns: "SettlementSheet", status: .created
        ) { request, context, user in
            let sheetID = try id("id", context)
            let line = try adjustingLine(try await decode(Adjustment.self, request, context), field: "", user)
            let audit = entry(user, "settlement-adjust", "settlement:\(sheetID)", ["amountFen": "\(line.amountFen)"])
            return try await settlement.adjust(sheetID, line: line, actor: actor(user), audit: audit)
        }
        list.add(
            .get, "/api/v1/settlements/{id}/invoice", Self.readers + [.agency],
            "The VAT invoice's figures for a sheet: per rate, the amount before tax and the tax (prices include it), with the sheet's lines split alike",
            returns: "VATInvoice"
        ) { _, context, user in
            let current = try await sheet(context, user)
            let invoice = VATInvoice(lines: current.lines, rates: vatRates)
            // Never the case with one rounding per rate: said, should the rule change.
            do { try invoice.check() } catch {
                throw Problem(
                    .internalServerError, "Invoice out of tolerance",
                    detail: "the invoice breaks the tax authority's tolerance (\(error)); report it to the operator")
            }
            return invoice
        }
        list.add(
            .post, "/api/v1/settlements/{id}/invoice", Self.operators, "The VAT invoice of a confirmed sheet was issued: its number and time",
            body: "Invoice", returns: "SettlementSheet"
        ) { request, context, user in
            let sheetID = try id("id", context)
            let body = try await decode(InvoiceBody.self, request, context)
            let audit = entry(user, "settlement-invoice", "settlement:\(sheetID)", ["number": body.number])
            return try await settlement.recordInvoice(sheetID, number: body.number, issuedAt: body.issuedAt, actor: actor(user), audit: audit)
        }
        list.add(
            .get, "/api/v1/agencies/{id}/statements", Self.readers + [.agency],
            "An agency's statement of the sheets confirmed in a period (the same bytes every time): JSON, CSV for Excel (UTF-8 with BOM) or printable HTML (an A4 page per sheet)",
            returns: "Statement",
            query: [
                ("month", "month", "YYYY-MM, China time"), ("from", "date", "first day, YYYY-MM-DD (instead of month)"),
                ("through", "date", "last day, YYYY-MM-DD"),
                ("format", "json|csv|html", "json (default), csv or html"),
            ]
        ) { request, context, user in
            let agencyID = try id("id", context)
            if user.role == .agency, user.agencyID != agencyID { throw Self.notFound("no agency \(agencyID)") }
            guard let agency = try await accounts.agencies().first(where: { $0.id == agencyID }) else { throw Self.notFound("no agency \(agencyID)") }
            let (from, through) = try period(request)
            let statement = try await settlement.statement(agency: agency, from: from, through: through)
            try await audit(user, "statement-read", "agency:\(agencyID)", ["from": "\(from)", "through": "\(through)"])
            let name = "statement-\(agencyID)-\(from)-\(through)"
            switch request.uri.queryParameters.get("format") ?? "json" {
            case "json": return Self.download(StatementJSON.render(statement), type: "application/json", name: nil)
            case "csv": return Self.download(StatementCSV.render(statement), type: "text/csv; charset=utf-8", name: name + ".csv")
            case "html": return Self.download(Array(StatementHTML.render(statement).utf8), type: "text/html; charset=utf-8", name: nil)
            default: throw Problem.invalid("format", "json, csv or html")
            }
        }
        list.add(
            .get, "/api/v1/reports/{kind}", Self.readers,
            "The daily, weekly (Monday to Sunday) or monthly operations report holding a day: trips, kilometres, revenue, service levels, complaints, per hour or per day; as JSON or as a page with SVG charts",
            returns: "OperationsReport",
            query: [
                ("date", "date", "a day of the period, YYYY-MM-DD (China time); today by default"), ("format", "json|html", "json (default) or html"),
                ("download", "boolean", "true: as an attachment"),
            ]
        ) { request, context, user in
            let name = try text("kind", context)
            guard let kind = OperationsReport.Kind(rawValue: name) else { throw Problem.invalid("kind", "daily, weekly or monthly") }
            let day =
                try request.uri.queryParameters.get("date").map { text in
                    guard let day = CivilDate(text) else { throw Problem.invalid("date", "a day as YYYY-MM-DD") }
                    return day
                } ?? CivilDate(chinaDayOf: clock.now.epochSeconds)
            let report = try await reports.report(kind, containing: day, now: clock.now)
            let file = request.uri.queryParameters.get("download") == "true" ? "operations-\(kind.rawValue)-\(report.from)" : nil
            switch request.uri.queryParameters.get("format") ?? "json" {
            case "json":
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                return Self.download(Array(try encoder.encode(report)), type: "application/json", name: file.map { $0 + ".json" })
            case "html":
                return Self.download(Array(OperationsReportHTML.render(report).utf8), type: "text/html; charset=utf-8", name: file.map { $0 + ".html" })
            default: throw Problem.invalid("format", "json or html")
            }
        }
        list.add(
            .get, "/api/v1/tariffs", Self.readers + [.agency],
            "Every tariff version by vehicle class (the standard one until an administrator sets the contract's)",
            returns: "TariffBook"
        ) { _, _, _ in
            try await settlement.tariffs()
        }
        list.add(.put, "/api/v1/tariffs", [.administrator], "A new version of a vehicle class's tariff from its day on", body: "Tariff", returns: "TariffBook")
        { request, context, user in
            let tariff = try await decode(Tariff.self, request, context)
            return try await settlement.set(tariff, by: user.id, audit: entry(user, "tariff-set", "tariff:\(tariff.vehicleClass.rawValue):\(tariff.validFrom)"))
        }
        list.add(
            .get, "/api/v1/agencies/{id}/agreement", Self.readers + [.agency], "The agency's terms: discount, caps, cancellation, meals and lodging standards",
            returns: "Agreement"
        ) { _, context, user in
            let agencyID = try id("id", context)
            if user.role == .agency, user.agencyID != agencyID { throw Self.notFound("no agency \(agencyID)") }
            return try await settlement.agreement(agencyID: agencyID)
        }
        list.add(
            .put, "/api/v1/agencies/{id}/agreement", [.administrator],
            "Set the agency's terms (a discount negotiated from the committed rate, caps below the list prices)",
            body: "Agreement", returns: "Agreement"
        ) { request, context, user in
            let agencyID = try id("id", context)
            let agreement = try await decode(Agreement.self, request, context)
            let audit = entry(user, "agreement-set", "agency:\(agencyID)", ["discountBasisPoints": "\(agreement.discountBasisPoints)"])
            try await settlement.set(agreement, agencyID: agencyID, by: user.id, audit: audit)
            return agreement
        }
    }

    /// The sheet of the path; an agency's user sees only its own (404 for another's). Routes for
    /// operators alone pass the path's id to the service, which says when there is no such sheet.
    func sheet(_ context: APIContext, _ user: APIUser) async throws -> SettlementSheet {
        try await settlement.sheet(try id("id", context), of: user.role == .agency ? user.agencyID : nil)
    }

    func adjustingLine(_ a: Adjustment, field: String, _ user: APIUser) throws -> SheetLine {
        // Lengths and the amount's bounds (at most 1,000,000 yuan either way) were checked at the door.
        try Self.require(a.amountFen != 0, FieldType.join(field, "amountFen"), "fen, not 0")
        return SheetLine(
            kind: a.kind ?? .adjustment, detail: a.detail, amountFen: a.amountFen, evidence: "", adjusting: true, reason: a.reason,
            addedAt: ChinaTime(clock.now.epochSeconds), by: user.username)
    }

    /// The statement's period: `month`, or `from` and `through` (at most a year).
    func period(_ request: Request) throws -> (CivilDate, CivilDate) {
        let q = request.uri.queryParameters
        if let month = q.get("month") {
            guard let first = CivilDate(month: month) else { throw Problem.invalid("month", "a month as YYYY-MM") }
            return (first, CivilDate(daysSince1970: first.nextMonth.daysSince1970 - 1))
        }
        guard let fromText = q.get("from"), let from = CivilDate(fromText) else {
            throw Problem.invalid("month", "month=YYYY-MM, or from=YYYY-MM-DD and through=YYYY-MM-DD")
        }
        guard let throughText = q.get("through"), let through = CivilDate(throughText), through >= from,
            through.daysSince1970 - from.daysSince1970 < 366
        else { throw Problem.invalid("through", "the last day as YYYY-MM-DD, on or after from, within a year of it") }
        return (from, through)
    }

    static func download(_ bytes: [UInt8], type: String, name: String?) -> Response {
        var headers: HTTPFields = [.contentType: type]
        if let name { headers[.contentDisposition] = "attachment; filename=\"\(name)\"" }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
