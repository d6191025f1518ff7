import Synchronization

/// Something one service did that another acts on, published once its transaction committed.
public enum ServiceEvent: Sendable, Hashable {
    /// The agency signed the booking's settlement sheet: the booking is settled.
    case sheetConfirmed(bookingID: Int64)
    /// A booking now waits for a crew (confirmed, or replaced after a breakdown).
    case crewWanted(bookingID: Int64)
    /// A crew finished or was released from a booking: it may serve another.
    case crewFreed(bookingID: Int64)
    /// A vehicle's or driver's file changed (a repair finished, a charge, a pairing, training):
    /// a crew may now serve, or no longer.
    case fleetChanged
    /// The service zones, the calendar or the named zones were edited: whoever holds a copy
    /// reads them again.
    case zonesChanged
}

/// Hands each event to every handler registered when the services were wired, in order, before
/// `publish` returns: a reaction as prompt as a direct call, without the publisher knowing who
/// reacts. Each reaction also has a sweep that catches up after a crash between the two.
public final class ServiceEvents: Sendable {
    public typealias Handler = @Sendable (ServiceEvent) async throws -> Void
    private let handlers = Mutex<[Handler]>([])

    public init() {}

    public func on(_ handler: @escaping Handler) { handlers.withLock { $0.append(handler) } }

    public func publish(_ event: ServiceEvent) async throws {
        for handler in handlers.withLock({ $0 }) { try await handler(event) }
    }
}
