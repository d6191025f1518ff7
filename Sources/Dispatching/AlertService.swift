import Domain
import Foundation
import Store

/// What people must see and handle: the terminals' alarms (SOS, over-speed, fatigue, power cut,
/// ...) with how each was handled, and the SLA clocks at risk or breached.
public struct AlertService: Sendable {
    let alarms: VehicleAlarms
    let bookings: Bookings
    let clock: any WallClock

    /// Terminal alarms, newest first; `open`: only those not handled yet.
    public func alarms(open: Bool, limit: Int) async throws -> [VehicleAlarm] { try await alarms.list(open: open, limit: limit) }

    /// Records how an alarm was handled (kept 3 years), once.
    public func handle(alarm id: Int64, by name: String, note: String, audit: AuditLine?) async throws {
        guard !note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw Refused(field: "note", expected: "what was done") }
        guard try await alarms.handle(id, by: name, note: note, audit: { $0 ? audit : nil }) else { throw NoSuchRecord("no unhandled alarm \(id)") }
    }

    /// SLA alerts raised since `since` (default: the last 24 hours), newest first: one agency's,
    /// or every agency's.
    public func slaAlerts(agencyID: Int64?, since: Date?, limit: Int) async throws -> [SLAAlert] {
        try await bookings.alerts(agencyID: agencyID, since: since ?? clock.now.addingTimeInterval(-86_400), limit: limit)
    }
}
