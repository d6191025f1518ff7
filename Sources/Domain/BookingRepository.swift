import Foundation

/// Where bookings are kept, as the booking services need them: Store's `Bookings` in
/// PostgreSQL, an in-memory one in the services' tests. Every change of state goes through
/// `move`, which refuses what the lifecycle (`BookingState.next`) does not allow with
/// `BookingHistory.InvalidTransition`, and writes the audit line with the change.
public protocol BookingRepository: Sendable {
    /// Stores a new booking (received, signed by `actor`); `NoSuchRecord` for an unknown agency.
    func create(_ request: BookingRequest, agencyID: Int64, receivedAt: Date, by actor: Actor, audit: Audit<Int64>?) async throws -> BookingRecord
    /// Moves a booking to `state`, with its crew when matched and its completion when completed,
    /// and queues the `notices` the change owes in its transaction (the outbox).
    func move(
        _ id: Int64, to state: BookingState, at time: Date, by actor: Actor, crew: (vehicleID: Int64, driverID: Int64)?, completion: Completion?, note: String,
        audit: AuditLine?, notices: [Notice]
    ) async throws -> BookingRecord
    func booking(id: Int64) async throws -> BookingRecord?
    /// Newest first, an agency's only (or all for nil), in `states` (all for nil).
    func list(agencyID: Int64?, states: [BookingState]?, updatedSince: Date?, before cursor: Int64?, limit: Int) async throws -> [BookingRecord]
    /// Neither completed, settled nor cancelled.
    func open() async throws -> [BookingRecord]
    /// A driver's jobs, upcoming and under way.
    func jobs(driverID: Int64) async throws -> [BookingRecord]
}

extension BookingRepository {
    /// A move that owes no notice.
    public func move(
        _ id: Int64, to state: BookingState, at time: Date, by actor: Actor, crew: (vehicleID: Int64, driverID: Int64)?, completion: Completion?, note: String,
        audit: AuditLine?
    ) async throws -> BookingRecord {
        try await move(id, to: state, at: time, by: actor, crew: crew, completion: completion, note: note, audit: audit, notices: [])
    }
}
