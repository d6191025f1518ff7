import Foundation
import Synchronization

/// What the dispatchers' live stream carries: booking transitions, SLA alerts, positions and notices,
/// each as a JSON object, and the agency it concerns (an agency user sees only its own).
public struct FeedEvent: Sendable, Hashable {
    public enum Kind: String, Sendable { case booking, alert, positions, settlement, notice }
    public var kind: Kind
    /// nil: only the operator's users see it.
    public var agencyID: Int64?
    public var json: String

    public init(kind: Kind, agencyID: Int64?, json: String) {
        (self.kind, self.agencyID, self.json) = (kind, agencyID, json)
    }

    /// A value as the feed's JSON (ISO 8601 times, sorted keys: the same bytes for the same value).
    public init(kind: Kind, agencyID: Int64?, _ value: some Encodable) {
        self.init(kind: kind, agencyID: agencyID, json: (try? String(decoding: Self.encoder.encode(value), as: UTF8.self)) ?? "{}")
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}

/// Fans events out to every subscriber. A slow subscriber loses its oldest events beyond
/// `buffer` rather than holding up the others or growing without bound.
///
/// With an `outlet`, what is published goes there instead (to every Fleet process, through the
/// database), and comes back to this process's subscribers by `deliver`.
public final class LiveFeed: Sendable {
    let subscribers = Mutex<[Int: AsyncStream<FeedEvent>.Continuation]>([:])
    let nextID = Atomic<Int>(0)
    let buffer: Int
    let outlet: (@Sendable (FeedEvent) -> Void)?

    public init(buffer: Int = 1_000, outlet: (@Sendable (FeedEvent) -> Void)? = nil) { (self.buffer, self.outlet) = (buffer, outlet) }

    /// To every subscriber of the fleet: through the outlet when there is one, else here.
    public func publish(_ event: FeedEvent) {
        guard let outlet else { return deliver(event) }
        outlet(event)
    }

    /// To this process's subscribers only.
    public func deliver(_ event: FeedEvent) {
        subscribers.withLock { for continuation in $0.values { continuation.yield(event) } }
    }

    /// Events from now on, until the stream is dropped.
    public func subscribe() -> AsyncStream<FeedEvent> {
        let id = nextID.add(1, ordering: .relaxed).newValue
        let (stream, continuation) = AsyncStream.makeStream(of: FeedEvent.self, bufferingPolicy: .bufferingNewest(buffer))
        continuation.onTermination = { [weak self] _ in _ = self?.subscribers.withLock { $0.removeValue(forKey: id) } }
        subscribers.withLock { $0[id] = continuation }
        return stream
    }

    public var subscriberCount: Int { subscribers.withLock { $0.count } }
}
