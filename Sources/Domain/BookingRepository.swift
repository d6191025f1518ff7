import Foundation

/// Where bookings are kept, as the booking services need them: Store's `Bookings` in
/// PostgreSQL, an in-memory one in the services' tests. Every change of state goes through
/// `move`, which refuses what the lifecycle (`BookingState.next`) does not allow with
/// `BookingHistory.InvalidTransition`, and writes the audit line with the change.
public protocol BookingRepository: Sendable {
    /// Stores a new booking in `state` (received, or awaiting its agency's approval), signed by
    /// `actor`; `NoSuchRecord` for an unknown agency.
    func create(_ request: BookingRequest, agencyID: Int64, receivedAt: Date, state: BookingState, by actor: Actor, audit: Audit<Int64>?) async throws
        -> BookingRecord
    /// Whether the agency approves its users' bookings before the operator receives them.
    func requiresApproval(agencyID: Int64) async throws -> Bool
    /// Moves a booking to `state`, with its crew when matched, its completion when completed and
    /// where the car stopped when replaced, and queues the `notices` the change owes in its
    /// transaction (the outbox).
    func move(
        _ id: Int64, to state: BookingState, at time: Date, by actor: Actor, crew: (vehicleID: Int64, driverID: Int64)?, completion: Completion?, note: String,
        stop: Place?, audit: AuditLine?, notices: [Notice]
    ) async throws -> BookingRecord
    /// Records a change of route its agency agreed to; `Conflict` once the trip is over
    /// (`RouteChange.allowed`), `NoSuchRecord`.
    func changeRoute(_ id: Int64, to change: RouteChange, by actor: Actor, audit: AuditLine?) async throws -> BookingRecord
    func booking(id: Int64) async throws -> BookingRecord?
    /// Newest first, an agency's only (or all for nil), in `states` (all for nil).
    func list(agencyID: Int64?, states: [BookingState]?, updatedSince: Date?, before cursor: Int64?, limit: Int) async throws -> [BookingRecord]
    /// Neither completed, settled, cancelled nor refused.
    func open() async throws -> [BookingRecord]
    /// A driver's jobs, upcoming and under way.
    func jobs(driverID: Int64) async throws -> [BookingRecord]
}

extension BookingRepository {
    /// A move that owes no notice.
    public func move(
        _ id: Int64, to state: BookingState, at time: Date, by actor: Actor, crew: (vehicleID: Int64, driverID: Int64)?, completion: Completion?, note: String,
        stop: Place? = nil, audit: AuditLine?
    ) async throws -> BookingRecord {
        try await move(id, to: state, at: time, by: actor, crew: crew, completion: completion, note: note, stop: stop, audit: audit, notices: [])
    }
}
