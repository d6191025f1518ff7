import Domain
import Foundation
import Synchronization

/// Bookings kept in memory, by the same lifecycle rule as Store's: the services' rules tested
/// without a database. The audit lines written with each change are kept, to be asserted.
public final class InMemoryBookings: BookingRepository {
    private let state = Mutex<(records: [Int64: BookingRecord], trail: [AuditLine])>(([:], []))

    public init(approvingAgencies: Set<Int64> = []) { self.approvingAgencies = approvingAgencies }

    public var trail: [AuditLine] { state.withLock { $0.trail } }

    /// Agencies whose users' bookings wait for their approver.
    public let approvingAgencies: Set<Int64>

    public func requiresApproval(agencyID: Int64) async throws -> Bool { approvingAgencies.contains(agencyID) }

    public func create(
        _ request: BookingRequest, agencyID: Int64, receivedAt: Date, state initial: BookingState = .received, by actor: Actor, audit: Audit<Int64>?
    ) async throws -> BookingRecord {
        state.withLock { state in
            let id = Int64(state.records.count + 1)
            let record = BookingRecord(
                id: id, request: request, agencyID: agencyID, receivedAt: receivedAt, urgent: request.isUrgent(receivedAt: receivedAt),
                state: initial, vehicleID: nil, driverID: nil, tollsFen: nil, parkingFen: nil, receipts: [], reportedMetres: nil, reportedSeconds: nil,
                version: 1, updatedAt: receivedAt,
                transitions: [.init(state: initial, at: receivedAt, by: actor.name, vehicleID: nil, driverID: nil, note: "")]
            )
            state.records[id] = record
            if let line = audit?(id) { state.trail.append(line) }
            return record
        }
    }

    public func move(
        _ id: Int64, to next: BookingState, at time: Date, by actor: Actor, crew: (vehicleID: Int64, driverID: Int64)?, completion: Completion?, note: String,
        stop: Place? = nil, audit: AuditLine?, notices: [Notice]
    ) async throws -> BookingRecord {
        // No notice is kept: the services' tests in memory run without an outbox or a notifier
        // (`BookingService` without a composer owes none); Store's outbox is tested on PostgreSQL.
        try state.withLock { state in
            guard var record = state.records[id] else { throw NoSuchRecord() }
            try record.state.check(stepTo: next)
            record.state = next
            record.vehicleID = crew?.vehicleID ?? record.vehicleID
            record.driverID = crew?.driverID ?? record.driverID
            if let completion { (record.tollsFen, record.parkingFen, record.receipts) = (completion.tollsFen, completion.parkingFen, completion.receipts) }
            record.version += 1
            record.updatedAt = time
            record.transitions.append(
                .init(state: next, at: time, by: actor.name, vehicleID: crew?.vehicleID, driverID: crew?.driverID, note: note, stop: stop))
            state.records[id] = record
            if let audit { state.trail.append(audit) }
            return record
        }
    }

    public func changeRoute(_ id: Int64, to change: RouteChange, by actor: Actor, audit: AuditLine?) async throws -> BookingRecord {
        try state.withLock { state in
            guard var record = state.records[id] else { throw NoSuchRecord() }
            guard RouteChange.allowed(in: record.state) else { throw Conflict("the booking is \(record.state.rawValue): its route is kept") }
            record.routeChanges.append(change)
            record.version += 1
            state.records[id] = record
            if let audit { state.trail.append(audit) }
            return record
        }
    }

    public func booking(id: Int64) async throws -> BookingRecord? { state.withLock { $0.records[id] } }

    public func list(agencyID: Int64?, states: [BookingState]?, updatedSince: Date?, before cursor: Int64?, limit: Int) async throws -> [BookingRecord] {
        state.withLock { state in
            Array(
                state.records.values.filter { record in
                    (agencyID == nil || record.agencyID == agencyID) && (states?.contains(record.state) ?? true)
                        && (updatedSince.map { record.updatedAt > $0 } ?? true) && (cursor.map { record.id < $0 } ?? true)
                }.sorted { $0.id > $1.id }.prefix(limit))
        }
    }

    public func open() async throws -> [BookingRecord] {
        state.withLock { $0.records.values.filter { ![.completed, .settled, .cancelled, .refused].contains($0.state) }.sorted { $0.id < $1.id } }
    }

    public func jobs(driverID: Int64) async throws -> [BookingRecord] {
        state.withLock {
            $0.records.values.filter { $0.driverID == driverID && ![.completed, .settled, .cancelled].contains($0.state) }.sorted { $0.id < $1.id }
        }
    }
}
