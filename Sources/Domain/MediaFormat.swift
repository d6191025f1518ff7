import Foundation

/// What a terminal's media is, by the codes of 0x0800/0x0801 (JT/T 808-2019 8.5x): its kind and
/// the content type it is served as.
public enum MediaFormat {
    /// 0 image, 1 audio, 2 video.
    public static func kind(_ code: Int) -> String {
        switch code {
        case 0: "image"
        case 1: "audio"
        case 2: "video"
        default: "other"
        }
    }

    /// 0 JPEG, 1 TIF, 2 MP3, 3 WAV, 4 WMV; anything else as bytes.
    public static func contentType(_ code: Int) -> String {
        code >= 0 && code < contentTypes.count - 1 ? contentTypes[code] : contentTypes[contentTypes.count - 1]
    }

    public static let contentTypes = ["image/jpeg", "image/tiff", "audio/mpeg", "audio/wav", "video/x-ms-wmv", "application/octet-stream"]
}

/// A photo, recording or video a terminal uploaded, as it is listed.
public struct StoredMedia: Codable, Sendable, Hashable {
    public var id: Int64
    public var plate: String
    /// The terminal's id for it (0x0805 names it in a photo command's answer).
    public var mediaID: Int64
    public var kind: String
    public var contentType: String
    /// Why it was taken (0 the platform asked, 1 timed, 2 robbery alarm, 3 collision, ...).
    public var event: Int
    public var channel: Int
    public var takenAt: Date?
    public var receivedAt: Date
    public var bytes: Int

    public init(
        id: Int64, plate: String, mediaID: Int64, kind: String, contentType: String, event: Int, channel: Int, takenAt: Date?, receivedAt: Date, bytes: Int
    ) {
        (self.id, self.plate, self.mediaID, self.kind, self.contentType) = (id, plate, mediaID, kind, contentType)
        (self.event, self.channel, self.takenAt, self.receivedAt, self.bytes) = (event, channel, takenAt, receivedAt, bytes)
    }
}
