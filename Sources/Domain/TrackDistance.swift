#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Distance along a track, for mileage when a terminal sends no odometer.
public enum TrackDistance {
    /// Mean Earth radius (IUGG), metres.
    static let earthRadius = 6_371_008.8

    /// Great-circle (haversine) distance between two points given in degrees x 10^6, in metres.
    public static func meters(fromLatitudeE6 lat1: Int32, longitudeE6 lon1: Int32, toLatitudeE6 lat2: Int32, longitudeE6 lon2: Int32) -> Double {
        let φ1 = Double(lat1) / 1e6 * .pi / 180, φ2 = Double(lat2) / 1e6 * .pi / 180
        let Δφ = φ2 - φ1, Δλ = Double(lon2 - lon1) / 1e6 * .pi / 180
        let a = sin(Δφ / 2) * sin(Δφ / 2) + cos(φ1) * cos(φ2) * sin(Δλ / 2) * sin(Δλ / 2)
        return 2 * earthRadius * asin(min(1, a.squareRoot()))
    }

    /// Length of a track in time order, in metres. Jumps faster than `maximumSpeedKmh` between
    /// two fixes (a bad fix) are left out rather than counted.
    public static func meters(_ track: [PositionRecord], maximumSpeedKmh: Double = 200) -> Double {
        var total = 0.0
        var previous: PositionRecord?
        for point in track {
            defer { previous = point }
            guard let p = previous else { continue }
            let d = meters(fromLatitudeE6: p.latitudeE6, longitudeE6: p.longitudeE6, toLatitudeE6: point.latitudeE6, longitudeE6: point.longitudeE6)
            let seconds = Double(max(1, point.gnssTime - p.gnssTime))
            if d / seconds * 3.6 <= maximumSpeedKmh { total += d }
        }
        return total
    }
}
