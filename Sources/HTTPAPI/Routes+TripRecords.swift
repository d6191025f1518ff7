import Domain
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Store

/// What a trip leaves besides its transitions: the driver's photos of its receipts, and the
/// agency's rating.
extension FleetAPI {
    static let receiptImageTypes = ["image/jpeg", "image/png"]
    /// A phone's photo, downscaled or not, fits; a larger body is refused before it is read whole.
    static let receiptPhotoLimit = 5 * 1_048_576

    struct ReceiptPhotoBody: ResponseEncodable {
        var id: Int64
        /// What the completion's `receipts` names it by.
        var reference: String
        var contentType: String
        var bytes: Int
        var uploadedAt: Date

        init(_ photo: ReceiptPhotos.Photo) {
            (id, reference, contentType, bytes, uploadedAt) = (photo.id, photo.reference, photo.contentType, photo.bytes, photo.uploadedAt)
        }
    }

    struct TripRating: Decodable {
        var stars: Int
        var comment: String?
    }

    struct TripRatingBody: ResponseEncodable {
        var bookingID: Int64
        var stars: Int
        var comment: String?
        var ratedAt: Date

        init(bookingID: Int64, _ rating: TripRatings.Rating) {
            (self.bookingID, stars, comment, ratedAt) = (bookingID, rating.stars, rating.comment, rating.ratedAt)
        }
    }

    func addTripRecordRoutes(_ list: inout EndpointList) {
        list.add(
            .post, "/api/v1/bookings/{id}/receipts", [.driver],
            "The driver's photo of a toll or parking receipt (JPEG or PNG, at most 5 MB), named in the completion's receipts by its reference (photo:ID)",
            body: "ReceiptImage", returns: "ReceiptPhoto", status: .created, refusals: [.contentTooLarge, .unsupportedMediaType]
        ) { request, context, user in
            let record = try await booking(context, user)
            let type = request.headers[.contentType]?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            guard Self.receiptImageTypes.contains(type) else {
                throw Problem(.unsupportedMediaType, "Not a photo", detail: "send the receipt's photo as image/jpeg or image/png")
            }
            let data: ByteBuffer
            do {
                data = try await request.body.collect(upTo: Self.receiptPhotoLimit)
            } catch {
                throw Problem(.contentTooLarge, "Photo too large", detail: "at most 5 MB: take it again at a lower resolution")
            }
            // The bytes must be what the type says: a page or a script uploaded as a photo is not served back.
            let magic: [UInt8] = type == "image/png" ? [0x89, 0x50, 0x4E, 0x47] : [0xFF, 0xD8, 0xFF]
            guard data.readableBytes > magic.count, data.getBytes(at: data.readerIndex, length: magic.count) == magic else {
                throw Problem.invalid("", "the body is not a \(type == "image/png" ? "PNG" : "JPEG") image")
            }
            let photo = try await receipts.add(bookingID: record.id, by: user.id, contentType: type, data: data) { [self] id in
                entry(user, "receipt-upload", "booking:\(record.id)", ["photo": "\(id)", "bytes": "\(data.readableBytes)"])
            }
            return EditedResponse(status: .created, response: ReceiptPhotoBody(photo))
        }
        list.add(
            .get, "/api/v1/bookings/{id}/receipts", Self.readers + [.agency, .approver, .driver], "The photos of a trip's receipts", returns: "[ReceiptPhoto]"
        ) { _, context, user in
            try await receipts.list(bookingID: try await booking(context, user).id).map(ReceiptPhotoBody.init)
        }
        list.add(
            .get, "/api/v1/bookings/{id}/receipts/{photo}", Self.readers + [.agency, .approver, .driver], "One receipt's photo as it was taken",
            returns: "ReceiptBytes"
        ) { _, context, user in
            let record = try await booking(context, user)
            guard let (photo, data) = try await receipts.photo(try id("photo", context), bookingID: record.id) else {
                throw Self.notFound("no such photo of booking \(record.id)")
            }
            return Response(status: .ok, headers: [.contentType: photo.contentType], body: ResponseBody(byteBuffer: data))
        }
        list.add(
            .put, "/api/v1/bookings/{id}/rating", [.agency, .approver], "Rate a finished trip: 1 to 5 stars and a comment; a second rating replaces the first",
            body: "TripRating", returns: "TripRatingBody"
        ) { request, context, user in
            let record = try await booking(context, user)
            let body = try await decode(TripRating.self, request, context)
            guard [.completed, .settled].contains(record.state) else {
                throw Problem(.conflict, "Not finished", detail: "a trip is rated once it is completed; booking \(record.id) is \(record.state.rawValue)")
            }
            let audit = entry(user, "trip-rate", "booking:\(record.id)", ["stars": "\(body.stars)"])
            let rating = try await ratings.rate(bookingID: record.id, stars: body.stars, comment: body.comment, by: user.id, audit: audit)
            return TripRatingBody(bookingID: record.id, rating)
        }
        list.add(
            .get, "/api/v1/bookings/{id}/rating", Self.readers + [.agency, .approver], "The agency's rating of a trip (404 while it has none)",
            returns: "TripRatingBody"
        ) { _, context, user in
            let record = try await booking(context, user)
            guard let rating = try await ratings.rating(bookingID: record.id) else { throw Self.notFound("booking \(record.id) is not rated") }
            return TripRatingBody(bookingID: record.id, rating)
        }
    }
}
