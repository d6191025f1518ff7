import Domain
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The media terminals uploaded (`media`, written by `PostgresMediaSink`), by vehicle, for the
/// operators to list and fetch.
public struct MediaLibrary: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The vehicle's media, newest first; nil when there is no such vehicle.
    public func list(plate: String, limit: Int) async throws -> [StoredMedia]? {
        var vehicle = false
        for try await _ in try await client.query("SELECT id FROM vehicles WHERE plate = \(plate)", logger: logger).decode(Int64.self) { vehicle = true }
        guard vehicle else { return nil }
        return try await items(id: nil, plate: plate, limit: limit)
    }

    /// One item and its bytes; nil when there is none.
    public func item(_ id: Int64) async throws -> (StoredMedia, ByteBuffer)? {
        guard let item = try await items(id: id, plate: nil, limit: 1).first else { return nil }
        let rows = try await client.query("SELECT data FROM media WHERE id = \(id)", logger: logger)
        for try await data in rows.decode(ByteBuffer.self) { return (item, data) }
        return nil
    }

    private func items(id: Int64?, plate: String?, limit: Int) async throws -> [StoredMedia] {
        let rows = try await client.query(
            """
            SELECT m.id, v.plate, m.media_id, m.kind, m.format, m.event, m.channel, m.taken_at, m.received_at, length(m.data)
            FROM media m JOIN terminals t ON t.id = m.terminal_id JOIN vehicles v ON v.id = t.vehicle_id
            WHERE (\(id)::bigint IS NULL OR m.id = \(id)) AND (\(plate)::text IS NULL OR v.plate = \(plate))
            ORDER BY m.id DESC LIMIT \(limit)
            """, logger: logger)
        var out: [StoredMedia] = []
        for try await (id, plate, mediaID, kind, format, event, channel, takenAt, receivedAt, bytes) in rows.decode(
            (Int64, String, Int64, Int16, Int16, Int16, Int16, Date?, Date, Int32).self)
        {
            out.append(
                StoredMedia(
                    id: id, plate: plate, mediaID: mediaID, kind: MediaFormat.kind(Int(kind)), contentType: MediaFormat.contentType(Int(format)),
                    event: Int(event), channel: Int(channel), takenAt: takenAt, receivedAt: receivedAt, bytes: Int(bytes)))
        }
        return out
    }
}
