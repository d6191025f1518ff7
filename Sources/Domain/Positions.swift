/// One position as it is stored: a terminal's report in plain integers.
public struct PositionRecord: Sendable, Hashable {
    public var terminalID: Int32
    /// GNSS time, seconds since 1970 UTC.
    public var gnssTime: Int64
    /// Signed degrees x 10^6.
    public var latitudeE6: Int32
    public var longitudeE6: Int32
    public var altitude: Int16
    /// 0.1 km/h.
    public var speed: UInt16
    public var course: UInt16
    public var alarm: UInt32
    public var status: UInt32
    /// Odometer in 0.1 km (extra 0x01), when the terminal sends it.
    public var mileage: UInt32?
    /// Sent late from the terminal's blind-zone store.
    public var backfill: Bool
    /// The report's additional items as a JSON object (standard ones by name, vendor ones as the
    /// terminal's device profile decodes them), or nil when it had none.
    public var extras: String?
    /// The traction battery's state, when the terminal's device profile reads it from the extras:
    /// kept as the vehicle's newest reading (`vehicle_charge`), not in `positions`.
    public var charge: ChargeReading?

    public init(
        terminalID: Int32, gnssTime: Int64, latitudeE6: Int32, longitudeE6: Int32, altitude: Int16, speed: UInt16,
        course: UInt16, alarm: UInt32, status: UInt32, mileage: UInt32?, backfill: Bool, extras: String? = nil, charge: ChargeReading? = nil
    ) {
        self.terminalID = terminalID
        self.gnssTime = gnssTime
        self.latitudeE6 = latitudeE6
        self.longitudeE6 = longitudeE6
        self.altitude = altitude
        self.speed = speed
        self.course = course
        self.alarm = alarm
        self.status = status
        self.mileage = mileage
        self.backfill = backfill
        self.extras = extras
        self.charge = charge
    }

    /// Whether `other` is the same report (a retransmission), not only the same terminal and second.
    public func isSameReport(as other: PositionRecord) -> Bool {
        terminalID == other.terminalID && gnssTime == other.gnssTime && latitudeE6 == other.latitudeE6
            && longitudeE6 == other.longitudeE6 && altitude == other.altitude && speed == other.speed
            && course == other.course && alarm == other.alarm && status == other.status && mileage == other.mileage
    }
}

/// Where positions go. `store` returns only once they are durable: the gateway acknowledges a
/// report to its terminal after that, never before.
public protocol PositionSink: Sendable {
    func store(_ positions: [PositionRecord]) async throws
    /// The same for a caller that must not wait (a channel handler on its event loop):
    /// `whenDurable` runs once, on any thread, when the positions are durable or could not be
    /// stored.
    func store(_ positions: [PositionRecord], whenDurable: @escaping @Sendable (Result<Void, any Error>) -> Void)
}

extension PositionSink {
    /// By way of the waiting `store`, in a task of its own.
    public func store(_ positions: [PositionRecord], whenDurable: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        Task {
            do {
                try await store(positions)
                whenDurable(.success(()))
            } catch {
                whenDurable(.failure(error))
            }
        }
    }
}

/// GNSS times the server believes: a report dated more than `maximumLead` seconds ahead of the
/// server's clock (a terminal with a broken clock, or someone forging a 2099 collision) is
/// quarantined, never an event, never the vehicle's latest position.
public enum GNSSTimeSanity {
    /// Ten minutes: terminals' clocks drift by seconds, not minutes.
    public static let maximumLead: Int64 = 600

    /// Whether `gnssTime` is too far ahead of `now` (both seconds since 1970).
    public static func isAhead(_ gnssTime: Int64, now: Int64) -> Bool {
        gnssTime > now &+ maximumLead
    }
}
