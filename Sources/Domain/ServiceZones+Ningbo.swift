extension ServiceZones {
    /// Ningbo's city: the ring of the three old districts (Haishu, Jiangbei, Yinzhou's centre);
    /// the rest of the municipality is suburb. Migration 0018 seeds the database with it; at run
    /// time the zones are the database's (`ZonesAndCalendar`), which administrators edit.
    public static let ningbo = ServiceZones(city: [
        Area(
            name: "老三区 Haishu, Jiangbei, Yinzhou centre",
            boundary: [
                GeoPoint(latitudeE6: 29_950_000, longitudeE6: 121_450_000), GeoPoint(latitudeE6: 29_950_000, longitudeE6: 121_650_000),
                GeoPoint(latitudeE6: 29_780_000, longitudeE6: 121_650_000), GeoPoint(latitudeE6: 29_780_000, longitudeE6: 121_450_000),
            ])
    ])

    public static let maximumAreas = 50
    public static let maximumPoints = 1000

    /// What an administrator may set: 1 to `maximumAreas` areas, each named (1 to 100
    /// characters, no two alike) with 3 to `maximumPoints` points on the globe that enclose
    /// an area (not all on one line). The refusal names the first fault as the API's body does.
    public func check() throws(Refused) {
        guard (1...Self.maximumAreas).contains(city.count) else { throw Refused(field: "city", expected: "1 to \(Self.maximumAreas) areas") }
        var names: Set<String> = []
        for (index, area) in city.enumerated() {
            let field = "city.\(index)"
            guard names.insert(area.name).inserted else { throw Refused(field: "\(field).name", expected: "unlike the other areas' names") }
            try Self.check(name: area.name, boundary: area.boundary, field: field)
        }
    }

    /// A named polygon an administrator draws (a city area, a named zone): named in 1 to 100
    /// characters, 3 to `maximumPoints` points on the globe enclosing an area. `field` prefixes
    /// the fields a refusal names.
    public static func check(name: String, boundary: [GeoPoint], field: String) throws(Refused) {
        let prefix = field.isEmpty ? "" : field + "."
        guard (1...100).contains(name.count) else { throw Refused(field: prefix + "name", expected: "1 to 100 characters") }
        guard (3...maximumPoints).contains(boundary.count) else { throw Refused(field: prefix + "points", expected: "3 to \(maximumPoints) points") }
        for (i, p) in boundary.enumerated() where !(-90_000_000...90_000_000).contains(p.latitudeE6) || !(-180_000_000...180_000_000).contains(p.longitudeE6) {
            throw Refused(field: prefix + "points.\(i)", expected: "latitude -90 to 90, longitude -180 to 180")
        }
        guard enclosesArea(boundary) else { throw Refused(field: prefix + "points", expected: "points enclosing an area, not all on one line") }
    }

    /// Whether the points are not all on one line: some point off the line through the first
    /// point and the first other one (cross products exact in Int64: each below 2^57).
    static func enclosesArea(_ points: [GeoPoint]) -> Bool {
        guard let origin = points.first, let other = points.first(where: { $0 != origin }) else { return false }
        let (dx, dy) = (Int64(other.longitudeE6) - Int64(origin.longitudeE6), Int64(other.latitudeE6) - Int64(origin.latitudeE6))
        return points.contains { p in
            dx * (Int64(p.latitudeE6) - Int64(origin.latitudeE6)) != dy * (Int64(p.longitudeE6) - Int64(origin.longitudeE6))
        }
    }
}
