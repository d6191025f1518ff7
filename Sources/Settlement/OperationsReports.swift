import Billing
import Dispatching
import Domain
import Drawing
import Foundation
import Logging
import PostgresNIO
import Store

/// The daily, weekly and monthly operations reports, from the records: trips completed and
/// cancelled (by their transitions), kilometres and revenue (by their settlement sheets),
/// service levels (as the assessment counts them), complaints.
public struct OperationsReports: Sendable {
    let bookings: Bookings
    let sheets: Settlements
    let care: CustomerCare
    let terms: ZonesAndCalendar

    public init(client: PostgresClient, terms: ZonesAndCalendar, logger: Logger) {
        self.terms = terms
        bookings = Bookings(client: client, logger: logger)
        sheets = Settlements(client: client, logger: logger)
        care = CustomerCare(client: client, logger: logger)
    }

    public func report(_ kind: OperationsReport.Kind, containing day: CivilDate, now: Date) async throws -> OperationsReport {
        var report = OperationsReport(kind, containing: day)
        let start = Date(timeIntervalSince1970: TimeInterval(report.from.chinaMidnight))
        let end = Date(timeIntervalSince1970: TimeInterval(report.through.chinaMidnight + 86_400))
        // Trips that end in the period, however early they were booked.
        let active = try await bookings.active(from: start, to: end)
        var finished: [Int64: Int] = [:]
        for booking in active {
            guard let last = booking.transitions.last(where: { $0.state == .completed || $0.state == .cancelled }),
                let bucket = report.bucket(of: last.at.epochSeconds)
            else { continue }
            finished[booking.id] = bucket
            if last.state == .completed {
                report.trips += 1
                report.buckets[bucket].trips += 1
            } else {
                report.cancelled += 1
            }
        }
        for sheet in try await sheets.sheets(bookingIDs: Array(finished.keys)) where sheet.state != .void {
            guard let bucket = finished[sheet.facts.bookingID] else { continue }
            report.metres += sheet.facts.metres
            report.revenueFen += sheet.totalFen
            report.buckets[bucket].metres += sheet.facts.metres
            report.buckets[bucket].revenueFen += sheet.totalFen
        }
        let complaints = try await care.complaints(from: start, to: end)
        for complaint in complaints {
            guard let bucket = report.bucket(of: complaint.receivedAt.epochSeconds) else { continue }
            report.complaints += 1
            report.buckets[bucket].complaints += 1
        }
        let callbacks = try await care.callbacks(bookingIDs: active.map(\.id))
        let indicators = FleetIndicators(bookings: active, complaints: complaints, callbacks: callbacks, from: start, to: end, now: now, terms: terms)
        for (item, observed) in indicators.measurements { if case .rate(let rate) = observed { report.serviceLevels[item] = rate } }
        return report
    }
}
