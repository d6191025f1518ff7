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
    }

    func addAssessmentRoutes(_ list: inout EndpointList) {
        list.add(.get, "/api/v1/assessments/{month}", [.administrator, .auditor, .dispatcher],
                 "The fleet scheme's assessment of a month (YYYY-MM, China time): every item's measured value and points, the evidence, the score, band and payment",
                 returns: "AssessmentReport") { _, context, _ in
            let text = try self.text("month", context)
            guard let first = CivilDate(text + "-01") else { throw Problem.invalid("month", "a month as YYYY-MM") }
            let next = first.month == 12 ? CivilDate(year: first.year + 1, month: 1, day: 1)! : CivilDate(year: first.year, month: first.month + 1, day: 1)!
            let from = Date(timeIntervalSince1970: TimeInterval(first.chinaMidnight)), to = Date(timeIntervalSince1970: TimeInterval(next.chinaMidnight))
            // Clocks that start in the month may belong to bookings and complaints of the week before.
            let bookings = try await desk.bookings.received(from: from.addingTimeInterval(-7 * 86_400), to: to)
            let complaints = try await care.complaints(from: from.addingTimeInterval(-7 * 86_400), to: to)
            let callbacks = try await care.callbacks(bookingIDs: bookings.map(\.id))
            let indicators = FleetIndicators(bookings: bookings, complaints: complaints, callbacks: callbacks, from: from, to: to, now: Date())
            let scheme = AssessmentScheme.fleetPreset(contractTotalFen: contractTotalFen)
            let unmeasured = scheme.sections.flatMap(\.items).map(\.id).filter { indicators.measurements[$0] == nil }
            return AssessmentBody(
                month: text, from: from, to: to, assessment: Assessor.assess(scheme, indicators.measurements), evidence: indicators.evidence, unmeasured: unmeasured
            )
        }
    }
}
