import Logging
import PostgresNIO

/// Notifications between Fleet's processes through PostgreSQL's NOTIFY and LISTEN: the one
/// broker every process already has. A notification reaches the processes listening at the time;
/// one sent while a listener's connection is down is lost to it, so every listener has a way to
/// catch up (`listen`'s `started`).
public struct ProcessSignals: Sendable {
    /// The channels, by what travels on them.
    public enum Channel: String, Sendable, CaseIterable {
        /// The live stream's events (JSON), for every process serving the stream.
        case live = "fleet_live"
        /// What ingest made durable (`IngestWire`), for the dispatch leader's watch.
        case ingest = "fleet_ingest"
        /// A word that something changed (`round`, `zones`), for whoever keeps what it changes.
        case wake = "fleet_wake"
    }

    /// PostgreSQL's limit on a payload is 8,000 bytes (in the server's encoding): anything longer
    /// is refused, so senders cut their records to fit under this.
    public static let payloadLimit = 7_900

    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) { (self.client, self.logger) = (client, logger) }

    public struct PayloadTooLong: Error, CustomStringConvertible {
        public let bytes: Int
        public var description: String { "a notification of \(bytes) bytes is longer than \(ProcessSignals.payloadLimit)" }
    }

    /// Sends `payload` on `channel` now (outside any transaction: it goes at once).
    public func send(_ channel: Channel, _ payload: String) async throws {
        guard payload.utf8.count <= Self.payloadLimit else { throw PayloadTooLong(bytes: payload.utf8.count) }
        try await client.query("SELECT pg_notify(\(channel.rawValue), \(payload))", logger: logger)
    }

    /// Hears `channels` on one connection of the pool until cancelled or the connection fails
    /// (it throws then; listen again). `started` runs once every channel is listened to: what was
    /// sent before that must be caught up with there.
    public func listen(
        _ channels: [Channel], started: @escaping @Sendable () async -> Void, _ body: @escaping @Sendable (Channel, String) async -> Void
    ) async throws {
        enum Heard: Sendable {
            case listening
            case notification(Channel, String)
        }
        try await client.withConnection { connection in
            let (heard, continuation) = AsyncThrowingStream.makeStream(of: Heard.self)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for channel in channels {
                    group.addTask {
                        do {
                            try await connection.listen(on: channel.rawValue) { notifications in
                                continuation.yield(.listening)
                                for try await notification in notifications { continuation.yield(.notification(channel, notification.payload)) }
                            }
                            continuation.finish()
                        } catch {
                            continuation.finish(throwing: error)
                        }
                    }
                }
                var listening = 0
                for try await next in heard {
                    switch next {
                    case .listening:
                        listening += 1
                        if listening == channels.count { await started() }
                    case .notification(let channel, let payload): await body(channel, payload)
                    }
                }
                group.cancelAll()
            }
        }
    }
}
