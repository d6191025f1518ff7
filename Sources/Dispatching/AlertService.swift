import Domain
import Foundation
import Store

/// The manual confirmation (0x8203) a handled alarm calls for: the vehicle whose terminal
/// raised it (nil: no longer bound to one), the serial of the report that raised it, the
/// alarm's bit.
public struct AlarmConfirmationDue: Sendable, Hashable {
    public var plate: String?
    public var reportSerial: UInt16
    public var alarms: UInt32

    /// The command that carries it, queued for `ttlSeconds` if the terminal is offline: the
    /// terminal holds the alarm until it comes. A terminal online answers at once; 10 s is
    /// what a dispatcher's handling waits for it (then it is `notSent`, and can be sent again
    /// as a `confirmAlarm` command).
    public func command(ttlSeconds: Int) -> TerminalCommandRequest {
        TerminalCommandRequest(command: .confirmAlarm, ttlSeconds: ttlSeconds, timeoutSeconds: 10, alarmSerial: Int(reportSerial), alarms: Int(alarms))
    }
}

/// What people must see and handle: the terminals' alarms (SOS, over-speed, fatigue, power cut,
/// ...) with how each was handled, and the SLA clocks at risk or breached.
public struct AlertService: Sendable {
    let alarms: VehicleAlarms
    let bookings: Bookings
    let clock: any WallClock

    /// Terminal alarms in `states`, newest first.
    public func alarms(in states: Set<VehicleAlarm.State>, limit: Int) async throws -> [VehicleAlarm] { try await alarms.list(states: states, limit: limit) }

    /// Records how an alarm was handled (kept 3 years), once; what the terminal must be sent to
    /// clear it, when the standard has the platform confirm it (0x8203).
    public func handle(alarm id: Int64, by name: String, note: String, audit: AuditLine?) async throws -> AlarmConfirmationDue? {
        guard !note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw Refused(field: "note", expected: "what was done") }
        guard let handled = try await alarms.handle(id, by: name, note: note, audit: { $0 != nil ? audit : nil }) else {
            throw NoSuchRecord("no unhandled alarm \(id)")
        }
        guard let kind = AlarmKind.named(handled.kind), kind.confirmedByPlatform else { return nil }
        // A report of a batch has no serial of its own: 0 confirms every report of the alarm.
        return AlarmConfirmationDue(plate: handled.plate, reportSerial: handled.reportSerial ?? 0, alarms: kind.mask)
    }

    /// The drivers' card alerts (unknown or expired cards, a driver not the crew) raised since
    /// `since` (default: the last 24 hours), newest first.
    public func driverCardAlerts(since: Date?, limit: Int) async throws -> [DriverCardAlert] {
        try await bookings.driverCardAlerts(since: since ?? clock.now.addingTimeInterval(-86_400), limit: limit)
    }

    /// SLA alerts raised since `since` (default: the last 24 hours), newest first: one agency's,
    /// or every agency's.
    public func slaAlerts(agencyID: Int64?, since: Date?, limit: Int) async throws -> [SLAAlert] {
        try await bookings.alerts(agencyID: agencyID, since: since ?? clock.now.addingTimeInterval(-86_400), limit: limit)
    }
}
