import Domain
import DomainTestSupport
import Synchronization
import Testing

/// The feed from ingest to dispatch: what is durable is delivered in order; a listener that
/// falls behind hears `.missed` once in place of what did not fit, then hears again; a sink that
/// failed hands nothing on.
@Suite struct IngestFeedTests {
    static func fix(_ terminal: Int32, at time: Int64 = Fixture.now) -> PositionRecord {
        PositionRecord(
            terminalID: terminal, gnssTime: time, latitudeE6: Fixture.station.latitudeE6, longitudeE6: Fixture.station.longitudeE6, altitude: 0, speed: 0,
            course: 0, alarm: 0, status: 0, mileage: nil, backfill: false)
    }

    @Test func aListenerThatFallsBehindHearsMissedOnceThenHearsAgain() async {
        let feed = IngestFeed(capacity: 3)
        var deliveries = feed.makeAsyncIterator()
        feed.stored([Self.fix(1), Self.fix(2)])
        // Four waiting would be more than three: dropped, and what follows too until `.missed` is taken.
        feed.stored([Self.fix(3), Self.fix(4)])
        feed.recorded([VehicleEvent(terminalID: 5, kind: "collisionWarning", occurredAt: Fixture.now, latitudeE6: 0, longitudeE6: 0, speed: 0)])
        #expect(await deliveries.next() == .positions([Self.fix(1), Self.fix(2)]))
        #expect(await deliveries.next() == .missed)
        // Taken: the backlog is empty again, and three fit.
        feed.stored([Self.fix(6), Self.fix(7), Self.fix(8)])
        #expect(await deliveries.next() == .positions([Self.fix(6), Self.fix(7), Self.fix(8)]))
    }

    /// An inner sink that stores what it is given, or fails.
    struct Inner: PositionSink, EventSink {
        struct Refused: Error {}
        let fails: Bool
        func store(_ positions: [PositionRecord]) async throws { if fails { throw Refused() } }
        func record(_ events: [VehicleEvent]) async throws { if fails { throw Refused() } }
    }

    @Test func onlyWhatTheInnerSinkMadeDurableIsFed() async throws {
        let feed = IngestFeed()
        var deliveries = feed.makeAsyncIterator()
        let failing = Inner(fails: true), storing = Inner(fails: false)
        let event = VehicleEvent(terminalID: 1, kind: "rolloverWarning", occurredAt: Fixture.now, latitudeE6: 0, longitudeE6: 0, speed: 0)
        await #expect(throws: Inner.Refused.self) { try await FeedingPositionSink(inner: failing, feed: feed).store([Self.fix(1)]) }
        await #expect(throws: Inner.Refused.self) { try await FeedingEventSink(inner: failing, feed: feed).record([event]) }
        // The non-waiting path (how the gateway stores): the caller hears the result after the feed has the positions.
        let results = Mutex<[Bool]>([])
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            FeedingPositionSink(inner: failing, feed: feed).store([Self.fix(2)]) { result in
                results.withLock { $0.append((try? result.get()) != nil) }
                done.resume()
            }
        }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            FeedingPositionSink(inner: storing, feed: feed).store([Self.fix(3)]) { result in
                results.withLock { $0.append((try? result.get()) != nil) }
                done.resume()
            }
        }
        try await FeedingEventSink(inner: storing, feed: feed).record([event])
        #expect(results.withLock { $0 } == [false, true])
        // Nothing of what failed: the first delivery is the first that was stored.
        #expect(await deliveries.next() == .positions([Self.fix(3)]))
        #expect(await deliveries.next() == .events([event]))
    }
}
