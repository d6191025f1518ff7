import Foundation

/// Something a vehicle's terminal signalled that people must see and handle: an alarm that
/// went on (SOS, over-speed, fatigue driving, power cut, ...), or, `cleared`, went off again.
public struct VehicleEvent: Sendable, Hashable {
    public var terminalID: Int32
    /// A stable name, e.g. `emergency`, `overspeed`, `fatigueDriving`, `mainPowerCut` (`AlarmKind`).
    public var kind: String
    /// GNSS time of the report that raised (or cleared) it, seconds since 1970 UTC.
    public var occurredAt: Int64
    public var latitudeE6: Int32
    public var longitudeE6: Int32
    /// 0.1 km/h.
    public var speed: UInt16
    /// The alarm went off in this report: its open event gets this time and place.
    public var cleared: Bool
    /// The serial of the 0x0200 that raised it: what a confirmation (0x8203) names; nil in a
    /// batch (0x0704), whose reports share one serial.
    public var reportSerial: UInt16?

    public init(
        terminalID: Int32, kind: String, occurredAt: Int64, latitudeE6: Int32, longitudeE6: Int32, speed: UInt16, cleared: Bool = false,
        reportSerial: UInt16? = nil
    ) {
        self.terminalID = terminalID
        self.kind = kind
        self.occurredAt = occurredAt
        self.latitudeE6 = latitudeE6
        self.longitudeE6 = longitudeE6
        self.speed = speed
        self.cleared = cleared
        self.reportSerial = reportSerial
    }
}

/// Where events go; `record` returns once they are durable (a report raising an event is
/// acknowledged only after that). Recording the same event twice keeps one.
public protocol EventSink: Sendable {
    func record(_ events: [VehicleEvent]) async throws
}

/// A photo, recording or video a terminal uploaded (0x0801), often the evidence of an alarm:
/// kept with the events, 3 years.
public struct MediaRecord: Sendable, Hashable {
    public var terminalID: Int32
    /// The terminal's own id for it (a retransmission carries the same id and bytes).
    public var mediaID: UInt32
    /// 0 image, 1 audio, 2 video.
    public var kind: UInt8
    /// 0 JPEG, 1 TIF, 2 MP3, 3 WAV, 4 WMV.
    public var format: UInt8
    /// Why it was taken: 0 a platform command, 1 a timer, 2 a robbery alarm, 3 a collision or
    /// rollover, 4 a door opening, ... (the standard's event codes).
    public var event: UInt8
    public var channel: UInt8
    /// GNSS time and place when it was taken (terminals of 2013 on send them).
    public var takenAt: Int64?
    public var latitudeE6: Int32?
    public var longitudeE6: Int32?
    public var data: [UInt8]

    public init(
        terminalID: Int32, mediaID: UInt32, kind: UInt8, format: UInt8, event: UInt8, channel: UInt8,
        takenAt: Int64?, latitudeE6: Int32?, longitudeE6: Int32?, data: [UInt8]
    ) {
        self.terminalID = terminalID
        self.mediaID = mediaID
        self.kind = kind
        self.format = format
        self.event = event
        self.channel = channel
        self.takenAt = takenAt
        self.latitudeE6 = latitudeE6
        self.longitudeE6 = longitudeE6
        self.data = data
    }
}

/// Where uploaded media go; `store` returns once it is durable (the terminal's 0x8800 answer
/// waits for that). Storing the same media twice keeps one.
public protocol MediaSink: Sendable {
    func store(_ media: MediaRecord) async throws
}

/// An alarm a terminal raised, as stored, with when and where it went off and how it was
/// handled (kept 3 years).
public struct VehicleAlarm: Sendable, Hashable, Codable {
    /// Handled by a dispatcher; else cleared by the terminal; else open.
    public enum State: String, Sendable, Codable, CaseIterable { case open, cleared, handled }

    public var id: Int64
    public var plate: String?
    public var kind: String
    /// The standard's name for display (`AlarmKind.chinese`).
    public var kindName: String?
    public var state: State
    public var occurredAt: Date
    public var latitude: Double
    public var longitude: Double
    public var speedKmh: Double
    public var clearedAt: Date?
    public var clearedLatitude: Double?
    public var clearedLongitude: Double?
    public var handledAt: Date?
    public var handledBy: String?
    public var handlingNote: String?

    public init(
        id: Int64, plate: String?, kind: String, occurredAt: Date, latitude: Double, longitude: Double, speedKmh: Double, clearedAt: Date? = nil,
        clearedLatitude: Double? = nil, clearedLongitude: Double? = nil, handledAt: Date?, handledBy: String?, handlingNote: String?
    ) {
        self.id = id
        self.plate = plate
        self.kind = kind
        self.kindName = AlarmKind.named(kind)?.chinese
        self.state = handledAt != nil ? .handled : clearedAt != nil ? .cleared : .open
        self.occurredAt = occurredAt
        self.latitude = latitude
        self.longitude = longitude
        self.speedKmh = speedKmh
        self.clearedAt = clearedAt
        self.clearedLatitude = clearedLatitude
        self.clearedLongitude = clearedLongitude
        self.handledAt = handledAt
        self.handledBy = handledBy
        self.handlingNote = handlingNote
    }
}
