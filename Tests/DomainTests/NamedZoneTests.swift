import Domain
import Testing

/// Named zones: the polygons an administrator may draw, and the crossings a track makes.
@Suite struct NamedZoneTests {
    /// A square of 0.01 degree (about 1 km) whose south-west corner is at (29.86, 121.55).
    static let depot = NamedZone(
        id: 7, name: "东部车场", kind: .depot,
        boundary: [
            GeoPoint(latitudeE6: 29_860_000, longitudeE6: 121_550_000), GeoPoint(latitudeE6: 29_870_000, longitudeE6: 121_550_000),
            GeoPoint(latitudeE6: 29_870_000, longitudeE6: 121_560_000), GeoPoint(latitudeE6: 29_860_000, longitudeE6: 121_560_000),
        ])

    static func fix(_ terminal: Int32, _ time: Int64, east: Int32) -> PositionRecord {
        PositionRecord(
            terminalID: terminal, gnssTime: time, latitudeE6: 29_865_000, longitudeE6: 121_540_000 + east, altitude: 5, speed: 300, course: 90, alarm: 0,
            status: 3, mileage: nil, backfill: false)
    }

    @Test func aTrackThroughAZoneEntersOnceAndLeavesOnceWhateverTheDeliveries() {
        var occupancy = ZoneOccupancy(zones: [Self.depot])
        let track = [Self.fix(1, 100, east: 0), Self.fix(1, 110, east: 12_000), Self.fix(1, 120, east: 15_000), Self.fix(1, 130, east: 30_000)]
        // Delivered out of order: read in time order.
        let crossings = occupancy.stored([track[2], track[0], track[3], track[1]])
        #expect(crossings.map(\.direction) == [.entry, .exit])
        #expect(crossings.map(\.at) == [110, 130] && crossings.allSatisfy { $0.zoneID == 7 && $0.terminalID == 1 })
        #expect(crossings.first?.point == GeoPoint(latitudeE6: 29_865_000, longitudeE6: 121_552_000))
        // The same fixes again (a retransmission, a re-delivery): nothing more.
        #expect(occupancy.stored(track).isEmpty)
        // Another terminal's first fix inside is an entry; one whose crossings say it is inside is not.
        #expect(occupancy.stored([Self.fix(2, 100, east: 12_000)]).map(\.direction) == [.entry])
        var known = ZoneOccupancy(zones: [Self.depot], inside: [3: (zones: [7], at: 90)])
        // A fix older than the last crossing on record (a backfill after a restart) moves nothing.
        #expect(known.stored([Self.fix(3, 80, east: 0)]).isEmpty)
        #expect(known.stored([Self.fix(3, 100, east: 12_000)]).isEmpty)
        #expect(known.stored([Self.fix(3, 200, east: 0)]).map(\.direction) == [.exit])
    }

    @Test func aZoneIsANamedPolygonOnTheGlobe() {
        func refused(_ zone: NamedZone) -> String? {
            do {
                try zone.check()
                return nil
            } catch {
                return error.field
            }
        }
        var zone = Self.depot
        #expect(refused(zone) == nil)
        zone.name = String(repeating: "区", count: 101)
        #expect(refused(zone) == "name")
        zone = Self.depot
        zone.boundary[1].latitudeE6 = 90_000_001
        #expect(refused(zone) == "points.1")
        zone.boundary = Array(repeating: Self.depot.boundary[0], count: ServiceZones.maximumPoints + 1)
        #expect(refused(zone) == "points")
        zone.boundary = [Self.depot.boundary[0], Self.depot.boundary[1], Self.depot.boundary[0]]
        #expect(refused(zone) == "points")
    }
}
