import Billing
import Dispatching
import Domain
import Foundation
import Hummingbird
import Store

/// The monthly assessment of the fleet, from the system's own records.
extension FleetAPI {
    struct NewIncident: Decodable {
        var itemID: String
        var count: Int
        var reason: String
    }

    struct SchemePreset: ResponseEncodable {
        var name: String
        var scheme: AssessmentScheme
    }

    struct Observations: Decodable {
        /// Item id -> `{"incidents": n}` or `{"rate": basis points}`.
        var observations: [String: Observation]
    }

    /// The schemes shipped: the fleet's own, and the deduction and KPI schemes of docs/DOMAIN.md.
    var presets: [SchemePreset] {
        MonthlyAssessment.SchemeName.allCases.map { SchemePreset(name: $0.rawValue, scheme: assessments.scheme($0)) }
    }

    func addAssessmentRoutes(_ list: inout EndpointList) {
        list.add(
            .get, "/api/v1/assessment-schemes", [.administrator, .auditor, .dispatcher],
            "The assessment schemes shipped as data: the fleet's (measured by the system), the deduction and KPI schemes of docs/DOMAIN.md",
            returns: "[SchemePreset]"
        ) { _, _, _ in
            presets
        }
        list.add(
            .post, "/api/v1/assessment-schemes/{name}/score", [.administrator, .auditor],
            "Score observations (incidents, or rates in basis points) by a scheme: each item's points, the sections' caps, the band, coefficient and payment",
            body: "Observations", returns: "Assessment"
        ) { request, context, _ in
            let name = try self.text("name", context)
            guard let preset = presets.first(where: { $0.name == name }) else { throw Self.notFound("no scheme \(name): fleet, deduction or kpi") }
            let body = try await decode(Observations.self, request, context)
            let items = Dictionary(uniqueKeysWithValues: preset.scheme.sections.flatMap(\.items).map { ($0.id, $0) })
            for (id, observed) in body.observations.sorted(by: { $0.key < $1.key }) {
                guard let item = items[id] else {
                    throw Problem.invalid("observations.\(id)", "not an item of \(name): \(items.keys.sorted().joined(separator: ", "))")
                }
                switch (item.rule, observed) {
                // The numbers' bounds were checked at the door.
                case (.perIncident, .incidents), (.atLeast, .rate), (.atMost, .rate): break
                case (.perIncident, _): throw Problem.invalid("observations.\(id)", "counted per incident: {\"incidents\": n}")
                default: throw Problem.invalid("observations.\(id)", "a measured rate: {\"rate\": basis points}")
                }
            }
            return Assessor.assess(preset.scheme, body.observations)
        }
        list.add(
            .get, "/api/v1/assessments/{month}", [.administrator, .auditor, .dispatcher],
            "A month's assessment (YYYY-MM, China time) by the fleet's scheme, or by a contract's preset fed with what the fleet measures of its items: every item's measured value and points, the evidence, the assessor's entries, the score, band and payment",
            returns: "AssessmentReport", query: [("scheme", "fleet|deduction|kpi", "fleet (default), deduction or kpi")]
        ) { request, context, _ in
            let first = try self.month(context)
            let text = request.uri.queryParameters.get("scheme") ?? "fleet"
            guard let name = MonthlyAssessment.SchemeName(rawValue: text) else { throw Problem.invalid("scheme", "fleet, deduction or kpi") }
            return try await assessments.report(month: first, scheme: name, now: clock.now)
        }
        list.add(
            .post, "/api/v1/assessments/{month}/incidents", [.administrator],
            "Enter incidents by hand for an item counted per incident (a deduction or a bonus), with the reason",
            body: "NewIncident", returns: "Created", status: .created
        ) { request, context, user in
            let first = try self.month(context)
            let body = try await decode(NewIncident.self, request, context)
            let audit = entry(user, "assessment-incident", "assessment:\(first)", ["item": body.itemID, "count": "\(body.count)"])
            let id = try await assessments.enter(month: first, itemID: body.itemID, count: body.count, reason: body.reason, by: user.id, audit: audit)
            return Created(id: id)
        }
    }

    /// The month of the path (YYYY-MM): its first day.
    func month(_ context: APIContext) throws -> CivilDate {
        guard let first = CivilDate(month: try self.text("month", context)) else { throw Problem.invalid("month", "a month as YYYY-MM") }
        return first
    }
}
