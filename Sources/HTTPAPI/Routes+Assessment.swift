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

    func addAssessmentRoutes(_ list: inout EndpointList) {
        list.add(.get, "/api/v1/assessments/{month}", [.administrator, .auditor, .dispatcher],
                 "The fleet scheme's assessment of a month (YYYY-MM, China time): every item's measured value and points, the evidence, the assessor's entries, the score, band and payment",
                 returns: "AssessmentReport") { _, context, _ in
            let first = try self.month(context)
            return try await assessments.report(month: first, now: Date())
        }
        list.add(.post, "/api/v1/assessments/{month}/incidents", [.administrator], "Enter incidents by hand for an item counted per incident (a deduction or a bonus), with the reason",
                 body: "NewIncident", returns: "Created", status: .created) { request, context, user in
            let first = try self.month(context)
            let body = try await decode(NewIncident.self, request, context)
            let countable = assessments.scheme.sections.flatMap(\.items).filter { if case .perIncident = $0.rule { true } else { false } }.map(\.id)
            try Self.require(countable.contains(body.itemID), "itemID", "one of \(countable.joined(separator: ", "))")
            try Self.require(body.count != 0 && abs(body.count) <= 100, "count", "-100 to 100, not 0 (a negative count corrects an earlier entry)")
            try Self.require(!body.reason.isEmpty && body.reason.count <= 1000, "reason", "why, 1 to 1000 characters")
            let id = try await incidents.enter(month: first, itemID: body.itemID, count: body.count, reason: body.reason, by: user.id)
            try await audit(user, "assessment-incident", "assessment:\(first)", ["item": body.itemID, "count": "\(body.count)"])
            return Created(id: id)
        }
    }

    /// The month of the path (YYYY-MM): its first day.
    func month(_ context: APIContext) throws -> CivilDate {
        guard let first = CivilDate(month: try self.text("month", context)) else { throw Problem.invalid("month", "a month as YYYY-MM") }
        return first
    }
}
