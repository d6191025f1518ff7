import Crypto
import Domain
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The photos of a trip's toll and parking receipts, uploaded by its driver at completion and
/// named in the completion as `photo:ID`; kept with the booking for the settlement's checks.
public struct ReceiptPhotos: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) { (self.client, self.logger) = (client, logger) }

    public struct Photo: Sendable {
        public var id: Int64
        public var bookingID: Int64
        public var contentType: String
        public var bytes: Int
        public var uploadedAt: Date
        /// What the completion's `receipts` names it by.
        public var reference: String { "photo:\(id)" }
    }

    /// Stores a photo with its audit line; its id.
    public func add(bookingID: Int64, by userID: Int64, contentType: String, data: ByteBuffer, audit: @escaping Audit<Int64>) async throws -> Photo {
        let digest = ByteBuffer(bytes: Array(SHA256.hash(data: Data(data.readableBytesView))))
        let (id, at) = try await client.audited({ audit($0.0) }, logger: logger) { connection in
            try await constrained {
                let rows = try await connection.query(
                    """
                    INSERT INTO receipt_photos (booking_id, uploaded_by, content_type, data, sha256)
                    VALUES (\(bookingID), \(userID), \(contentType), \(data), \(digest)) RETURNING id, uploaded_at
                    """, logger: logger)
                for try await row in rows.decode((Int64, Date).self) { return row }
                throw NoSuchRecord()
            }
        }
        return Photo(id: id, bookingID: bookingID, contentType: contentType, bytes: data.readableBytes, uploadedAt: at)
    }

    /// A booking's photos, oldest first.
    public func list(bookingID: Int64) async throws -> [Photo] {
        let rows = try await client.query(
            "SELECT id, content_type, length(data), uploaded_at FROM receipt_photos WHERE booking_id = \(bookingID) ORDER BY id", logger: logger)
        var photos: [Photo] = []
        for try await (id, type, bytes, at) in rows.decode((Int64, String, Int32, Date).self) {
            photos.append(Photo(id: id, bookingID: bookingID, contentType: type, bytes: Int(bytes), uploadedAt: at))
        }
        return photos
    }

    /// One photo of a booking and its bytes; nil when the booking has no such photo.
    public func photo(_ id: Int64, bookingID: Int64) async throws -> (Photo, ByteBuffer)? {
        let rows = try await client.query(
            "SELECT content_type, data, uploaded_at FROM receipt_photos WHERE id = \(id) AND booking_id = \(bookingID)", logger: logger)
        for try await (type, data, at) in rows.decode((String, ByteBuffer, Date).self) {
            return (Photo(id: id, bookingID: bookingID, contentType: type, bytes: data.readableBytes, uploadedAt: at), data)
        }
        return nil
    }
}

/// The agency's rating of a finished trip: one per booking, the latest standing.
public struct TripRatings: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) { (self.client, self.logger) = (client, logger) }

    public struct Rating: Sendable, Hashable {
        public var stars: Int
        public var comment: String?
        public var ratedAt: Date
    }

    public func rate(bookingID: Int64, stars: Int, comment: String?, by userID: Int64, audit: AuditLine) async throws -> Rating {
        try await client.audited({ _ in audit }, logger: logger) { connection in
            let rows = try await connection.query(
                """
                INSERT INTO trip_ratings (booking_id, stars, comment, rated_by) VALUES (\(bookingID), \(Int16(stars)), \(comment), \(userID))
                ON CONFLICT (booking_id) DO UPDATE SET stars = excluded.stars, comment = excluded.comment, rated_by = excluded.rated_by, rated_at = now()
                RETURNING rated_at
                """, logger: logger)
            for try await at in rows.decode(Date.self) { return Rating(stars: stars, comment: comment, ratedAt: at) }
            throw NoSuchRecord()
        }
    }

    public func rating(bookingID: Int64) async throws -> Rating? {
        let rows = try await client.query("SELECT stars, comment, rated_at FROM trip_ratings WHERE booking_id = \(bookingID)", logger: logger)
        for try await (stars, comment, at) in rows.decode((Int16, String?, Date).self) { return Rating(stars: Int(stars), comment: comment, ratedAt: at) }
        return nil
    }
}
