import Domain
import JT808

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A plausible drive: the vehicle moves at a speed that changes slowly, turns gently, and
/// stays within a radius of its home point (it turns back towards home when it strays). Speed,
/// course and time agree with the distance covered between two reports.
public struct Route: Sendable {
    public private(set) var latitude: Double
    public private(set) var longitude: Double
    /// km/h.
    public private(set) var speed: Double
    /// Degrees clockwise from north.
    public private(set) var course: Double
    /// Odometer in km.
    public private(set) var mileage: Double
    let home: (latitude: Double, longitude: Double)
    let radiusKm: Double
    var random: SplitMix64

    public init(homeLatitude: Double, homeLongitude: Double, radiusKm: Double = 15, seed: UInt64) {
        var random = SplitMix64(seed: seed)
        // Start somewhere within half the radius of home.
        let angle = Double.random(in: 0..<360, using: &random)
        let distance = Double.random(in: 0...(radiusKm / 2), using: &random)
        latitude = homeLatitude + distance / 111.0 * cos(angle * .pi / 180)
        longitude = homeLongitude + distance / (111.0 * cos(homeLatitude * .pi / 180)) * sin(angle * .pi / 180)
        speed = Double.random(in: 20...60, using: &random)
        course = Double.random(in: 0..<360, using: &random)
        mileage = Double.random(in: 1_000...50_000, using: &random)
        home = (homeLatitude, homeLongitude)
        self.radiusKm = radiusKm
        self.random = random
    }

    /// Advances the vehicle by `seconds` towards `target` at a city pace, stopping there (a
    /// dispatched crew driving to its pick-up or its destination).
    public mutating func advance(seconds: Double, toward target: (latitude: Double, longitude: Double)) {
        let kmNorth = (target.latitude - latitude) * 111.0
        let kmEast = (target.longitude - longitude) * 111.0 * cos(latitude * .pi / 180)
        let distance = (kmNorth * kmNorth + kmEast * kmEast).squareRoot()
        speed = min(60, max(25, speed + Double.random(in: -5...5, using: &random)))
        guard distance > speed * seconds / 3600 else {
            (latitude, longitude, speed) = (target.latitude, target.longitude, 0)
            mileage += distance
            return
        }
        course = (atan2(kmEast, kmNorth) * 180 / .pi + 360).truncatingRemainder(dividingBy: 360)
        let km = speed * seconds / 3600
        latitude += km / 111.0 * cos(course * .pi / 180)
        longitude += km / (111.0 * cos(latitude * .pi / 180)) * sin(course * .pi / 180)
        mileage += km
    }

    /// Advances the vehicle by `seconds`.
    public mutating func advance(seconds: Double) {
        speed = min(90, max(0, speed + Double.random(in: -8...8, using: &random)))
        let kmNorth = (latitude - home.latitude) * 111.0
        let kmEast = (longitude - home.longitude) * 111.0 * cos(home.latitude * .pi / 180)
        if (kmNorth * kmNorth + kmEast * kmEast).squareRoot() > radiusKm {
            // Head back towards home.
            let bearing = atan2(-kmEast, -kmNorth) * 180 / .pi
            course = (bearing + 360).truncatingRemainder(dividingBy: 360)
        } else {
            course = (course + Double.random(in: -15...15, using: &random) + 360).truncatingRemainder(dividingBy: 360)
        }
        let km = speed * seconds / 3600
        latitude += km / 111.0 * cos(course * .pi / 180)
        longitude += km / (111.0 * cos(latitude * .pi / 180)) * sin(course * .pi / 180)
        mileage += km
    }

    /// Whether the vehicle stands at its home point, the depot (within 100 m).
    public var parkedAtHome: Bool {
        let kmNorth = (latitude - home.latitude) * 111.0
        let kmEast = (longitude - home.longitude) * 111.0 * cos(home.latitude * .pi / 180)
        return speed == 0 && (kmNorth * kmNorth + kmEast * kmEast).squareRoot() < 0.1
    }

    /// The report a terminal would send now, with `vendorItems` after the standard ones.
    public func report(at epochSeconds: Int64, vendorItems: [RawExtra] = []) -> LocationReport {
        var extras = LocationExtras()
        extras.others = vendorItems
        extras.mileage = UInt32(mileage * 10)
        extras.satellites = 12
        extras.signalStrength = 25
        return LocationReport(
            status: [.accOn, .positioned, .usesGPS, .usesBeiDou],
            latitudeMicrodegrees: UInt32(abs(latitude) * 1_000_000), longitudeMicrodegrees: UInt32(abs(longitude) * 1_000_000),
            altitude: 8, speed: UInt16(speed * 10), course: UInt16(course) % 360,
            time: DeviceTime(epochSeconds: epochSeconds), extras: extras
        )
    }
}
