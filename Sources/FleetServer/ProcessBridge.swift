import Dispatching
import Domain
import Foundation
import Logging
import ServiceLifecycle
import Store
import Synchronization

/// Notifications for the other processes, sent in order by one task so that no publisher waits
/// on the database. At most `capacity` wait; past that they are dropped and counted, and an
/// ingest notification lost makes the next one go after a word that records were missed.
final class SignalQueue: Service {
    private let signals: ProcessSignals
    private let stream: AsyncStream<(ProcessSignals.Channel, String)>
    private let continuation: AsyncStream<(ProcessSignals.Channel, String)>.Continuation
    /// An ingest notification was lost: the dispatch leader must read back.
    private let ingestLost = Atomic<Bool>(false)
    private let logger: Logger

    init(signals: ProcessSignals, capacity: Int = 10_000, logger: Logger) {
        (self.signals, self.logger) = (signals, logger)
        (stream, continuation) = AsyncStream.makeStream(of: (ProcessSignals.Channel, String).self, bufferingPolicy: .bufferingOldest(capacity))
    }

    func send(_ channel: ProcessSignals.Channel, _ payload: String) {
        if case .dropped = continuation.yield((channel, payload)) {
            if channel == .ingest { ingestLost.store(true, ordering: .relaxed) }
            logger.warning("notification to the other processes dropped: too many waiting", metadata: ["channel": "\(channel.rawValue)"])
        }
    }

    func run() async throws {
        for await (channel, payload) in stream.cancelOnGracefulShutdown() {
            do {
                if channel == .ingest, ingestLost.exchange(false, ordering: .relaxed) { try await signals.send(.ingest, IngestWire.missed) }
                try await signals.send(channel, payload)
            } catch {
                if channel == .ingest { ingestLost.store(true, ordering: .relaxed) }
                logger.warning(
                    "notification to the other processes not sent", metadata: ["channel": "\(channel.rawValue)", "error": "\(String(reflecting: error))"])
            }
        }
    }
}

/// Where this process's gateway hands what it made durable: to the dispatch watch's feed when
/// this process leads dispatch, else to the leader wherever it is, through the database.
final class IngestRouter: IngestListener {
    /// The feed of this process's term as dispatch leader; nil while another process leads.
    private let local = Mutex<IngestFeed?>(nil)
    /// Nil in a process without a gateway: nothing to send.
    private let queue: SignalQueue?

    init(queue: SignalQueue?) { self.queue = queue }

    /// This process leads dispatch from now on, its watch listening to `feed`.
    func lead(_ feed: IngestFeed) { local.withLock { $0 = feed } }

    /// Another process leads from now on (or will).
    func resign() { local.withLock { $0 = nil } }

    func stored(_ positions: [PositionRecord]) {
        if let feed = local.withLock({ $0 }) { return feed.stored(positions) }
        for payload in IngestWire.payloads(positions) { queue?.send(.ingest, payload) }
    }

    func recorded(_ events: [VehicleEvent]) {
        if let feed = local.withLock({ $0 }) { return feed.recorded(events) }
        for payload in IngestWire.payloads(events) { queue?.send(.ingest, payload) }
    }

    /// What another process's gateway sent, for this process's watch if it leads.
    func heard(_ payload: String) {
        guard let feed = local.withLock({ $0 }) else { return }
        switch IngestWire.delivery(payload) {
        case .positions(let positions): feed.stored(positions)
        case .events(let events): feed.recorded(events)
        case .missed: feed.lost()
        }
    }

    /// Notifications may have gone unheard (the listening connection was down).
    func lost() { local.withLock { $0 }?.lost() }
}

/// This process's ears on the other processes (`ProcessSignals`): the live stream's events for
/// its subscribers, the gateways' ingest for its dispatch watch, and words that the zones
/// changed or a round is due. Listens again a second after its connection failed, and catches
/// up with what it may have missed meanwhile.
struct ProcessBridge: Service {
    let signals: ProcessSignals
    let channels: [ProcessSignals.Channel]
    let feed: LiveFeed
    let ingest: IngestRouter
    let dispatch: DispatchServices
    let readiness: Readiness
    let logger: Logger

    /// The words on `.wake`.
    static let roundDue = "round", zonesChanged = "zones"

    /// `word` as sent on `.wake`, followed by this process's name: the sender acted on it when it
    /// said it, and skips it when it comes back.
    static func said(_ word: String) -> String { "\(word) \(FleetServer.processName)" }

    /// The word of a `.wake` payload; nil when this process said it.
    static func word(of payload: String) -> Substring? {
        let (word, sender) = payload.firstIndex(of: " ").map { (payload[..<$0], payload[payload.index(after: $0)...]) } ?? (payload[...], "")
        return sender == FleetServer.processName ? nil : word
    }

    func run() async throws {
        guard !channels.isEmpty else { return try await gracefulShutdown() }
        try await cancelWhenGracefulShutdown { try await readiness.wait() }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await signals.listen(channels, started: caughtUp) { channel, payload in await heard(channel, payload) }
                } catch {
                    logger.warning("not hearing the other processes; listening again in 1 s", metadata: ["error": "\(String(reflecting: error))"])
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    private func heard(_ channel: ProcessSignals.Channel, _ payload: String) async {
        switch channel {
        case .live:
            guard let event = LiveWire.event(payload) else {
                return logger.warning("a live event from another process could not be read", metadata: ["bytes": "\(payload.utf8.count)"])
            }
            feed.deliver(event)
        case .ingest: ingest.heard(payload)
        case .wake:
            guard let word = Self.word(of: payload) else { return }
            switch word {
            case Self.roundDue: dispatch.roundDue.signal()
            case Self.zonesChanged: await refreshZones()
            default: logger.warning("unknown word from another process", metadata: ["word": "\(payload.prefix(40))"])
            }
        }
    }

    /// Listening again: whatever was sent meanwhile is read back.
    private func caughtUp() async {
        ingest.lost()
        dispatch.roundDue.signal()
        await refreshZones()
    }

    private func refreshZones() async {
        dispatch.zones.missed()
        do {
            try await dispatch.zonesAndCalendar.refresh()
        } catch {
            logger.warning(
                "zones and calendar not read again; the next change or reconnection tries again", metadata: ["error": "\(String(reflecting: error))"])
        }
    }
}

/// A live event as a notification's payload (JSON), and back.
enum LiveWire {
    struct Envelope: Codable {
        var kind: String
        var agencyID: Int64?
        var json: String
    }

    static func payload(_ event: FeedEvent) -> String {
        let envelope = Envelope(kind: event.kind.rawValue, agencyID: event.agencyID, json: event.json)
        return String(decoding: (try? JSONEncoder().encode(envelope)) ?? Data(), as: UTF8.self)
    }

    static func event(_ payload: String) -> FeedEvent? {
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(payload.utf8)), let kind = FeedEvent.Kind(rawValue: envelope.kind)
        else { return nil }
        return FeedEvent(kind: kind, agencyID: envelope.agencyID, json: envelope.json)
    }
}
