extension ServiceZones {
    /// Ningbo's city: the ring of the three old districts (Haishu, Jiangbei, Yinzhou's centre);
    /// the rest of the municipality is suburb. A deployment sets its own polygons.
    public static let ningbo = ServiceZones(city: [
        [
            GeoPoint(latitudeE6: 29_950_000, longitudeE6: 121_450_000), GeoPoint(latitudeE6: 29_950_000, longitudeE6: 121_650_000),
            GeoPoint(latitudeE6: 29_780_000, longitudeE6: 121_650_000), GeoPoint(latitudeE6: 29_780_000, longitudeE6: 121_450_000),
        ]
    ])
}
