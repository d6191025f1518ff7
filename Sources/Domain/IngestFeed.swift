import Synchronization

/// Who hears what ingest has made durable, as it is: the dispatch watch's feed in this process, or
/// the way to it in another.
public protocol IngestListener: Sendable {
    /// Positions that are durable now.
    func stored(_ positions: [PositionRecord])
    /// Events that are durable now.
    func recorded(_ events: [VehicleEvent])
}

/// What ingest has made durable, handed to its one listener (dispatch: arrivals, accidents) as it
/// is stored, without ever making ingest wait: at most `capacity` records wait for the listener.
/// Past that, records are dropped and the listener hears `.missed` once in their place: it reads
/// back from the store what it may have missed, so nothing is lost, only later.
public final class IngestFeed: AsyncSequence, IngestListener {
    public enum Delivery: Sendable, Hashable {
        case positions([PositionRecord])
        case events([VehicleEvent])
        /// Records were dropped since the last delivery (the listener fell behind): all of them
        /// are durable, read them back.
        case missed
    }

    private struct Backlog {
        /// Records delivered but not yet taken by the listener.
        var waiting = 0
        /// `.missed` is on its way: nothing more is queued until the listener takes it.
        var dropping = false
    }

    private let capacity: Int
    private let backlog = Mutex(Backlog())
    private let stream: AsyncStream<Delivery>
    private let continuation: AsyncStream<Delivery>.Continuation

    public init(capacity: Int = 100_000) {
        self.capacity = capacity
        (stream, continuation) = AsyncStream.makeStream(of: Delivery.self)
    }

    /// Positions that are durable now.
    public func stored(_ positions: [PositionRecord]) { offer(.positions(positions), count: positions.count) }

    /// Events that are durable now.
    public func recorded(_ events: [VehicleEvent]) { offer(.events(events), count: events.count) }

    /// Records were stored that this feed will never be handed (they went to another process,
    /// or their way here broke): the listener hears `.missed` and reads back.
    public func lost() {
        backlog.withLock { backlog in
            guard !backlog.dropping else { return }
            backlog.dropping = true
            continuation.yield(.missed)
        }
    }

    private func offer(_ delivery: Delivery, count: Int) {
        guard count > 0 else { return }
        backlog.withLock { backlog in
            guard !backlog.dropping else { return }
            if backlog.waiting + count > capacity {
                backlog.dropping = true
                continuation.yield(.missed)
            } else {
                backlog.waiting += count
                continuation.yield(delivery)
            }
        }
    }

    /// What the listener has taken leaves the backlog; once it has taken `.missed`, what follows
    /// is queued again (what was stored in between it reads back, or hears twice).
    private func taken(_ delivery: Delivery) {
        backlog.withLock { backlog in
            switch delivery {
            case .positions(let positions): backlog.waiting -= positions.count
            case .events(let events): backlog.waiting -= events.count
            case .missed: backlog.dropping = false
            }
        }
    }

    /// The deliveries, for the one listener (a second would share them with the first).
    public func makeAsyncIterator() -> Iterator { Iterator(feed: self, base: stream.makeAsyncIterator()) }

    public struct Iterator: AsyncIteratorProtocol {
        let feed: IngestFeed
        var base: AsyncStream<Delivery>.Iterator

        public mutating func next() async -> Delivery? {
            guard let delivery = await base.next() else { return nil }
            feed.taken(delivery)
            return delivery
        }
    }
}

/// A position sink that hands what its inner sink stored to an `IngestFeed`, once it is durable
/// (the inner sink returned): ingest goes on as fast as the inner sink, whoever listens.
public struct FeedingPositionSink: PositionSink {
    let inner: any PositionSink
    let feed: any IngestListener

    public init(inner: any PositionSink, feed: any IngestListener) {
        self.inner = inner
        self.feed = feed
    }

    public func store(_ positions: [PositionRecord]) async throws {
        try await inner.store(positions)
        feed.stored(positions)
    }

    public func store(_ positions: [PositionRecord], whenDurable: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        inner.store(positions) { [feed] result in
            if case .success = result { feed.stored(positions) }
            whenDurable(result)
        }
    }
}

/// An event sink that hands what its inner sink recorded to an `IngestFeed`, once it is durable.
public struct FeedingEventSink: EventSink {
    let inner: any EventSink
    let feed: any IngestListener

    public init(inner: any EventSink, feed: any IngestListener) {
        self.inner = inner
        self.feed = feed
    }

    public func record(_ events: [VehicleEvent]) async throws {
        try await inner.record(events)
        feed.recorded(events)
    }
}
