import JT808

/// One fix from a GNSS receiver, as gpsd reports it (units of gpsd: degrees, metres, m/s).
/// Values the receiver did not give are NaN, as in libgps.
public struct GNSSFix: Sendable, Equatable {
    public enum Mode: Int, Sendable, Comparable {
        case notSeen = 0, noFix = 1, twoDimensional = 2, threeDimensional = 3
        public static func < (a: Mode, b: Mode) -> Bool { a.rawValue < b.rawValue }
    }

    /// UTC seconds since 1970 of the fix (whole seconds are what JT/T 808 carries).
    public var time: Int64
    public var mode: Mode
    public var latitude: Double
    public var longitude: Double
    /// Metres above mean sea level.
    public var altitudeMSL: Double
    /// Speed over ground, m/s.
    public var speed: Double
    /// Course over ground, degrees from true north.
    public var track: Double
    public var satellitesUsed: Int

    public init(
        time: Int64, mode: Mode, latitude: Double, longitude: Double, altitudeMSL: Double = .nan, speed: Double = .nan,
        track: Double = .nan, satellitesUsed: Int = 0
    ) {
        self.time = time
        self.mode = mode
        self.latitude = latitude
        self.longitude = longitude
        self.altitudeMSL = altitudeMSL
        self.speed = speed
        self.track = track
        self.satellitesUsed = satellitesUsed
    }

    /// A position worth reporting: a 2D or 3D fix with finite coordinates on the globe.
    /// Anything else (no fix, mode < 2, NaN) never becomes a reported position.
    public var isPositioned: Bool {
        mode >= .twoDimensional && latitude.isFinite && longitude.isFinite && abs(latitude) <= 90 && abs(longitude) <= 180
    }

    /// Latitude and longitude x 10^6, rounded to nearest as the standard scales them.
    var latitudeE6: Int32 { Int32((latitude * 1e6).rounded()) }
    var longitudeE6: Int32 { Int32((longitude * 1e6).rounded()) }

    /// The 0x0200 body for this fix (only for a positioned fix): hemispheres in the status bits,
    /// NaN speed, course or altitude sent as 0, satellites (0x31) and `mileage` (0x01, 0.1 km).
    func report(mileageMeters: Double, alarm: AlarmFlags = [], utcOffsetMinutes: Int16 = DeviceTime.chinaOffsetMinutes) -> LocationReport {
        var status: StatusFlags = [.positioned, .usesGPS]
        if latitude < 0 { status.insert(.southLatitude) }
        if longitude < 0 { status.insert(.westLongitude) }
        var extras = LocationExtras()
        extras.mileage = UInt32(clamping: Int64(mileageMeters / 100))
        extras.satellites = UInt8(clamping: satellitesUsed)
        return LocationReport(
            alarm: alarm, status: status,
            latitudeMicrodegrees: latitudeE6.magnitude, longitudeMicrodegrees: longitudeE6.magnitude,
            altitude: altitudeMSL.isFinite ? Int16(clamping: Int64(altitudeMSL.rounded())) : 0,
            speed: speed.isFinite ? UInt16(clamping: Int64((speed * 36).rounded())) : 0,  // m/s -> 0.1 km/h
            course: track.isFinite ? UInt16(clamping: Int64(track.rounded()) % 360) : 0,
            time: DeviceTime(epochSeconds: time, utcOffsetMinutes: utcOffsetMinutes),
            extras: extras
        )
    }
}

/// Turns a receiver's fix time into the time a report carries.
///
/// gpsd 3.22 takes NMEA dates before 2017 for a GPS week-number rollover and adds 1024 weeks,
/// so a receiver (or a replayed log) from before then comes out about 19.6 years ahead. A fix more
/// than a day ahead of the wall clock is moved back by 1024 weeks; a terminal never reports a
/// time in the future. `shift` then moves every fix by a fixed number of seconds: replays of old
/// logs use it to land their drive in the retention window, a vehicle box leaves it at 0.
public struct FixClock: Sendable {
    public static let weekRollover: Int64 = 1024 * 7 * 86_400
    public var shift: Int64

    public init(shift: Int64 = 0) { self.shift = shift }

    public func reportTime(of fixTime: Int64, now: Int64) -> Int64 {
        var time = fixTime
        while time > now + 86_400 && time - Self.weekRollover > 0 { time -= Self.weekRollover }
        return time + shift
    }
}
