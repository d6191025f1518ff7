import Domain

/// The distance a vehicle has driven, from its fixes: what extra 0x01 (0.1 km) reports.
///
/// Standing still, a receiver's position wanders by metres; that is not driving, so a step only
/// counts when the fix says the vehicle moves (speed at least `minimumSpeed`, or no speed given).
/// A step faster than `maximumSpeed` is a bad fix and is left out, as in the server's
/// `TrackDistance`.
public struct Odometer: Sendable {
    public private(set) var meters: Double
    private var last: (time: Int64, latitudeE6: Int32, longitudeE6: Int32)?
    static let minimumSpeed = 0.5  // m/s
    static let maximumSpeed = 200 / 3.6  // m/s

    public init(meters: Double = 0) { self.meters = meters }

    public mutating func add(_ fix: GNSSFix) {
        guard fix.isPositioned else { return }
        defer { last = (fix.time, fix.latitudeE6, fix.longitudeE6) }
        guard let last, fix.time > last.time else { return }
        if fix.speed.isFinite && fix.speed < Self.minimumSpeed { return }
        let step = TrackDistance.meters(
            fromLatitudeE6: last.latitudeE6, longitudeE6: last.longitudeE6, toLatitudeE6: fix.latitudeE6, longitudeE6: fix.longitudeE6
        )
        if step / Double(fix.time - last.time) <= Self.maximumSpeed { meters += step }
    }
}
