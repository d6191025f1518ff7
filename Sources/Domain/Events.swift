/// Something a vehicle's terminal signalled that people must see and handle: an alarm that
/// went on (SOS, over-speed, fatigue driving, power cut, ...).
public struct VehicleEvent: Sendable, Hashable {
    public var terminalID: Int32
    /// A stable name, e.g. `emergency`, `overspeed`, `fatigueDriving`, `mainPowerCut`.
    public var kind: String
    /// GNSS time of the report that raised it, seconds since 1970 UTC.
    public var occurredAt: Int64
    public var latitudeE6: Int32
    public var longitudeE6: Int32
    /// 0.1 km/h.
    public var speed: UInt16

    public init(terminalID: Int32, kind: String, occurredAt: Int64, latitudeE6: Int32, longitudeE6: Int32, speed: UInt16) {
        self.terminalID = terminalID
        self.kind = kind
        self.occurredAt = occurredAt
        self.latitudeE6 = latitudeE6
        self.longitudeE6 = longitudeE6
        self.speed = speed
    }
}

/// Where events go; `record` returns once they are durable (a report raising an event is
/// acknowledged only after that). Recording the same event twice keeps one.
public protocol EventSink: Sendable {
    func record(_ events: [VehicleEvent]) async throws
}
