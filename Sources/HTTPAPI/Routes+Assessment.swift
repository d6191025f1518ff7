import Billing
import Dispatching
import Domain
import Foundation
import Hummingbird
import Store

/// The monthly assessment of the fleet, from the system's own records.
extension FleetAPI {
    struct AssessmentBody: ResponseEncodable {
        var month: String
        var from: Date
        var to: Date
        var assessment: Assessment
        /// Item id -> the bookings (or complaints) that cost its points.
        var evidence: [String: [Int64]]
        /// Items with nothing to measure in the month (or not measured by the system yet): no points off.
        var unmeasured: [String]
        /// The assessor's entries, added to the counts measured.
        var manual: [AssessmentIncidents.Entry]
    }

    struct NewIncident: Decodable {
        var itemID: String
        var count: Int
        var reason: String
    }

    func addAssessmentRoutes(_ list: inout EndpointList) {
        list.add(.get, "/api/v1/assessments/{month}", [.administrator, .auditor, .dispatcher],
                 "The fleet scheme's assessment of a month (YYYY-MM, China time): every item's measured value and points, the evidence, the assessor's entries, the score, band and payment",
                 returns: "AssessmentReport") { _, context, _ in
            let (month, first, next) = try self.month(context)
            let from = Date(timeIntervalSince1970: TimeInterval(first.chinaMidnight)), to = Date(timeIntervalSince1970: TimeInterval(next.chinaMidnight))
            // Clocks that start in the month may belong to bookings and complaints of the week before.
            let bookings = try await desk.bookings.received(from: from.addingTimeInterval(-7 * 86_400), to: to)
            let complaints = try await care.complaints(from: from.addingTimeInterval(-7 * 86_400), to: to)
            let callbacks = try await care.callbacks(bookingIDs: bookings.map(\.id))
            let indicators = FleetIndicators(bookings: bookings, complaints: complaints, callbacks: callbacks, from: from, to: to, now: Date())
            var observed = indicators.measurements
            let manual = try await incidents.entries(month: first)
            for entry in manual {
                let counted = if case .incidents(let n) = observed[entry.itemID] { n } else { 0 }
                observed[entry.itemID] = .incidents(counted + entry.count)
            }
            let scheme = AssessmentScheme.fleetPreset(contractTotalFen: contractTotalFen)
            let unmeasured = scheme.sections.flatMap(\.items).map(\.id).filter { observed[$0] == nil }
            return AssessmentBody(
                month: month, from: from, to: to, assessment: Assessor.assess(scheme, observed), evidence: indicators.evidence, unmeasured: unmeasured, manual: manual
            )
        }
        list.add(.post, "/api/v1/assessments/{month}/incidents", [.administrator], "Enter incidents by hand for an item counted per incident (a deduction or a bonus), with the reason",
                 body: "NewIncident", returns: "Created", status: .created) { request, context, user in
            let (_, first, _) = try self.month(context)
            let body = try await decode(NewIncident.self, request, context)
            let countable = AssessmentScheme.fleetPreset(contractTotalFen: 0).sections.flatMap(\.items).filter { if case .perIncident = $0.rule { true } else { false } }.map(\.id)
            try Self.require(countable.contains(body.itemID), "itemID", "one of \(countable.joined(separator: ", "))")
            try Self.require(body.count != 0 && abs(body.count) <= 100, "count", "-100 to 100, not 0 (a negative count corrects an earlier entry)")
            try Self.require(!body.reason.isEmpty && body.reason.count <= 1000, "reason", "why, 1 to 1000 characters")
            let id = try await incidents.enter(month: first, itemID: body.itemID, count: body.count, reason: body.reason, by: user.id)
            try await audit(user, "assessment-incident", "assessment:\(first)", ["item": body.itemID, "count": "\(body.count)"])
            return Created(id: id)
        }
    }

    /// The month of the path: its text, its first day and the next month's.
    func month(_ context: APIContext) throws -> (String, CivilDate, CivilDate) {
        let text = try self.text("month", context)
        guard text.count == 7, let first = CivilDate(text + "-01") else { throw Problem.invalid("month", "a month as YYYY-MM") }
        let next = first.month == 12 ? CivilDate(year: first.year + 1, month: 1, day: 1)! : CivilDate(year: first.year, month: first.month + 1, day: 1)!
        return (text, first, next)
    }
}
