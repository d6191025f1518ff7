import Domain

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The time and place the pure modules' tests are set at: a morning in Ningbo, by its railway station.
public enum Fixture {
    public static let now: Int64 = 1_795_392_000  // 2026-11-23 08:00 China time
    public static let day: Int64 = 86_400
    public static let year: Int64 = 31_557_600
    public static let station = GeoPoint(latitudeE6: 29_868_336, longitudeE6: 121_543_990)

    /// A point `east` and `north` metres away from the station (on the sphere of the server's
    /// `TrackDistance`, radius 6,371,008.8 m).
    public static func near(east: Int32 = 0, north: Int32 = 0) -> GeoPoint {
        let metresPerDegree = 6_371_008.8 * Double.pi / 180
        let latitude = Double(station.latitudeE6) / 1e6
        return GeoPoint(
            latitudeE6: station.latitudeE6 + Int32((Double(north) / metresPerDegree * 1e6).rounded()),
            longitudeE6: station.longitudeE6 + Int32((Double(east) / (metresPerDegree * cos(latitude * .pi / 180)) * 1e6).rounded())
        )
    }
}
