import Domain
import Foundation

/// An SLA clock as the API and the live feed show it: times as instants, not epoch seconds.
public struct ClockBody: Sendable, Hashable, Codable {
    public var clock: ServiceLevels.Clock
    public var state: ServiceLevels.Status.State
    public var startedAt: Date
    public var dueAt: Date
    public var stoppedAt: Date?

    init(_ status: ServiceLevels.Status) {
        func date(_ epoch: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(epoch)) }
        (clock, state, startedAt, dueAt, stoppedAt) = (status.clock, status.state, date(status.started), date(status.due), status.stopped.map(date))
    }
}
