import Domain
import Logging
import NIOCore
import PostgresNIO

/// Uploaded media in PostgreSQL, once each (terminal, media id and content).
public struct PostgresMediaSink: MediaSink {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func store(_ media: MediaRecord) async throws {
        try await client.query(
            """
            INSERT INTO media (terminal_id, media_id, kind, format, event, channel, taken_at, lat_e6, lon_e6, data)
            VALUES (\(media.terminalID), \(Int64(media.mediaID)), \(Int16(media.kind)), \(Int16(media.format)), \(Int16(media.event)),
                    \(Int16(media.channel)), to_timestamp(\(media.takenAt.map(Double.init))), \(media.latitudeE6), \(media.longitudeE6),
                    \(ByteBuffer(bytes: media.data)))
            ON CONFLICT (terminal_id, media_id, data_md5) DO NOTHING
            """, logger: logger)
    }

    /// Deletes media received more than `days` ago (3 years by default, as the events); returns
    /// how many went.
    @discardableResult
    public func purge(olderThanDays days: Int = 3 * 366) async throws -> Int {
        try await deleteOlder(than: days, from: "media", by: "received_at", client: client, logger: logger)
    }
}
