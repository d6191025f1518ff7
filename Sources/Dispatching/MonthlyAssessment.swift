import Billing
import Domain
import Foundation
import Logging
import PostgresNIO
import Store

/// A month's fleet assessment from the system's own records: the indicators measured, the
/// assessor's entries added, scored by the fleet scheme.
public struct MonthlyAssessment: Sendable {
    let bookings: Bookings
    let care: CustomerCare
    let incidents: AssessmentIncidents
    /// The contract's total for the whole term, in fen: the monthly fee the assessment pays.
    let contractTotalFen: Int64

    public init(client: PostgresClient, contractTotalFen: Int64, logger: Logger) {
        bookings = Bookings(client: client, logger: logger)
        care = CustomerCare(client: client, logger: logger)
        incidents = AssessmentIncidents(client: client, logger: logger)
        self.contractTotalFen = contractTotalFen
    }

    public struct Report: Sendable, Encodable {
        public var month: String
        public var from: Date
        public var to: Date
        public var assessment: Assessment
        /// Item id -> the bookings (or complaints) that cost its points.
        public var evidence: [String: [Int64]]
        /// Items with nothing to measure in the month (or not measured by the system yet): no points off.
        public var unmeasured: [String]
        /// The assessor's entries, added to the counts measured.
        public var manual: [AssessmentIncidents.Entry]
    }

    public var scheme: AssessmentScheme { .fleetPreset(contractTotalFen: contractTotalFen) }

    /// The month beginning on `first` (China time), as of `now`.
    public func report(month first: CivilDate, now: Date) async throws -> Report {
        let next = first.nextMonth
        let from = Date(timeIntervalSince1970: TimeInterval(first.chinaMidnight)), to = Date(timeIntervalSince1970: TimeInterval(next.chinaMidnight))
        // Clocks that start in the month may belong to bookings and complaints of the week before.
        let received = try await bookings.received(from: from.addingTimeInterval(-7 * 86_400), to: to)
        let complaints = try await care.complaints(from: from.addingTimeInterval(-7 * 86_400), to: to)
        let callbacks = try await care.callbacks(bookingIDs: received.map(\.id))
        let indicators = FleetIndicators(bookings: received, complaints: complaints, callbacks: callbacks, from: from, to: to, now: now)
        var observed = indicators.measurements
        let manual = try await incidents.entries(month: first)
        for entry in manual {
            let counted = if case .incidents(let n) = observed[entry.itemID] { n } else { 0 }
            observed[entry.itemID] = .incidents(counted + entry.count)
        }
        let scheme = scheme
        let unmeasured = scheme.sections.flatMap(\.items).map(\.id).filter { observed[$0] == nil }
        return Report(
            month: String(first.description.prefix(7)), from: from, to: to, assessment: Assessor.assess(scheme, observed), evidence: indicators.evidence,
            unmeasured: unmeasured, manual: manual
        )
    }
}
