import Billing
import Domain
import Foundation
import Store

/// The fleet assessment's indicators for a period, measured from the system's own records:
/// every booking's clocks as its signed transitions give them, complaints' clocks, callbacks.
/// Each measurement comes with its evidence: the bookings or complaints that breached.
public struct FleetIndicators: Sendable {
    public var measurements: [String: Observation] = [:]
    /// Item id -> the bookings (or complaints) that cost points.
    public var evidence: [String: [Int64]] = [:]

    /// The rate items (share met, basis points) and the count items of the fleet preset.
    static let rates: [(item: String, clock: ServiceLevels.Clock)] = [
        ("confirmedInTime", .confirm), ("matchedInTime", .match), ("notifiedInTime", .notify), ("onTime", .onSite),
    ]
    static let counts: [(item: String, clock: ServiceLevels.Clock)] = [
        ("replacementStartLate", .replacementStart), ("replacementArrivalLate", .replacementArrival),
    ]

    /// Clocks that belong to [from, to) and have an outcome by `now` (met, or breached) count;
    /// those still running do not. A clock belongs to the period it started in, but the on-site
    /// clock to the period of its pick-up: a booking made 60 days ahead is on time
    /// (or not) in the month it is served.
    public init(
        bookings: [BookingRecord], complaints: [Complaint], callbacks: [Int64: (calledAt: Date, satisfaction: Int)],
        from: Date, to: Date, now: Date, terms: ZonesAndCalendar, levels: ServiceLevels = ServiceLevels()
    ) {
        let (start, end, epoch) = (from.epochSeconds, to.epochSeconds, now.epochSeconds)
        // The zones and calendar in force, as the services judge the clocks.
        let (levels, zones) = (terms.levels(levels), terms.zones)
        var met: [ServiceLevels.Clock: Int] = [:], breached: [ServiceLevels.Clock: [Int64]] = [:]
        func count(_ status: ServiceLevels.Status, _ id: Int64) {
            guard (start..<end).contains(status.clock == .onSite ? status.due + levels.onSiteLead : status.started) else { return }
            switch status.state {
            case .met: met[status.clock, default: 0] += 1
            case .breached: breached[status.clock, default: []].append(id)
            case .running, .atRisk: break
            }
        }
        var completed = 0, calledInTime = 0, lateCallbacks: [Int64] = []
        for booking in bookings {
            for status in levels.clocks(for: booking, zones: zones, now: epoch) { count(status, booking.id) }
            // The callback within 24 hours of each trip completed in the period.
            if let done = booking.transitions.first(where: { $0.state == .completed }).map({ $0.at.epochSeconds }), (start..<end).contains(done) {
                let status = levels.callbackClock(completedAt: done, calledAt: callbacks[booking.id]?.calledAt.epochSeconds, now: epoch)
                guard status.state != .running, status.state != .atRisk else { continue }
                completed += 1
                if status.state == .met { calledInTime += 1 } else { lateCallbacks.append(booking.id) }
            }
        }
        for complaint in complaints {
            let clocks = levels.complaintClocks(
                receivedAt: complaint.receivedAt.epochSeconds, contactedAt: complaint.contactedAt.map(\.epochSeconds),
                resolvedAt: complaint.resolvedAt.map(\.epochSeconds), now: epoch
            )
            for status in clocks { count(status, complaint.id) }
        }
        for (item, clock) in Self.rates {
            let late = breached[clock] ?? [], total = (met[clock] ?? 0) + late.count
            guard total > 0 else { continue }
            measurements[item] = .rate((met[clock] ?? 0) * 10_000 / total)
            evidence[item] = late
        }
        for (item, clock) in Self.counts + [("complaintContactLate", .complaintContact), ("complaintResultLate", .complaintResult)] {
            measurements[item] = .incidents(breached[clock]?.count ?? 0)
            evidence[item] = breached[clock] ?? []
        }
        if completed > 0 {
            measurements["callbackInTime"] = .rate(calledInTime * 10_000 / completed)
            evidence["callbackInTime"] = lateCallbacks
        }
        // Satisfied: a callback rating of 4 or 5, of the period's callbacks.
        let ratings = bookings.compactMap { callbacks[$0.id] }.filter { (start..<end).contains($0.calledAt.epochSeconds) }
        if !ratings.isEmpty {
            measurements["satisfaction"] = .rate(ratings.filter { $0.satisfaction >= 4 }.count * 10_000 / ratings.count)
        }
    }

}
