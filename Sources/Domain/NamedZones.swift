/// A zone an administrator draws beside the city and suburb: a depot, a restricted area, or
/// another place whose entries and exits are kept (`ZoneCrossing`).
public struct NamedZone: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case depot
        /// A trip in service entering it raises the `route` alert.
        case restricted
        case other
    }

    /// The database's id; 0 before it is stored.
    public var id: Int64
    public var name: String
    public var kind: Kind
    public var boundary: [GeoPoint]

    public init(id: Int64 = 0, name: String, kind: Kind, boundary: [GeoPoint]) {
        (self.id, self.name, self.kind, self.boundary) = (id, name, kind, boundary)
    }

    /// Whether the point lies inside (even-odd rule, as the city's areas).
    public func contains(_ point: GeoPoint) -> Bool { ServiceZones.contains(boundary, point) }

    /// As a city area: named, 3 to `ServiceZones.maximumPoints` points on the globe enclosing an area.
    public func check() throws(Refused) { try ServiceZones.check(name: name, boundary: boundary, field: "") }

    /// Zones an administrator may keep.
    public static let maximumCount = 500
}

/// A vehicle entering or leaving a named zone: the first stored fix inside after one outside
/// (or none), or the first outside after one inside.
public struct ZoneCrossing: Sendable, Hashable {
    public enum Direction: String, Sendable, Hashable, Codable, CaseIterable { case entry, exit }

    public var zoneID: Int64
    public var terminalID: Int32
    public var direction: Direction
    /// GNSS time of the fix, seconds since 1970.
    public var at: Int64
    public var point: GeoPoint

    public init(zoneID: Int64, terminalID: Int32, direction: Direction, at: Int64, point: GeoPoint) {
        (self.zoneID, self.terminalID, self.direction, self.at, self.point) = (zoneID, terminalID, direction, at, point)
    }
}

/// Which watched vehicles are inside which zones, in memory, and the crossings each batch of
/// stored fixes makes. Pure: `ZoneWatch` stores the crossings. Fixes older than a terminal's
/// newest one seen (a blind zone's backfill arriving late) move nothing: crossings follow the
/// track as it was received, and storing them again changes nothing.
public struct ZoneOccupancy: Sendable {
    public private(set) var zones: [NamedZone]
    /// Each zone's bounding box (latitudes, longitudes): most fixes are far from most zones.
    private let boxes: [(ClosedRange<Int32>, ClosedRange<Int32>)]
    /// By terminal: the zones it is inside and its newest fix's time.
    private var inside: [Int32: (zones: Set<Int64>, at: Int64)] = [:]

    /// `inside`: each terminal's zones as its last stored crossings say (entered, not left),
    /// and its last crossing's time: a fix older than that (a backfill arriving after a
    /// restart) is history already told.
    public init(zones: [NamedZone], inside: [Int32: (zones: Set<Int64>, at: Int64)] = [:]) {
        self.zones = zones
        boxes = zones.map { zone in
            let (latitudes, longitudes) = (zone.boundary.map(\.latitudeE6), zone.boundary.map(\.longitudeE6))
            return ((latitudes.min() ?? 0)...(latitudes.max() ?? 0), (longitudes.min() ?? 0)...(longitudes.max() ?? 0))
        }
        self.inside = inside
    }

    /// The crossings of these fixes, in time order per terminal.
    public mutating func stored(_ positions: [PositionRecord]) -> [ZoneCrossing] {
        guard !zones.isEmpty else { return [] }
        var crossings: [ZoneCrossing] = []
        for position in positions.sorted(by: { ($0.terminalID, $0.gnssTime) < ($1.terminalID, $1.gnssTime) }) {
            let before = inside[position.terminalID] ?? (zones: [], at: Int64.min)
            guard position.gnssTime > before.at else { continue }
            let point = GeoPoint(latitudeE6: position.latitudeE6, longitudeE6: position.longitudeE6)
            let now = Set(
                zip(zones, boxes).filter { zone, box in
                    box.0.contains(point.latitudeE6) && box.1.contains(point.longitudeE6) && zone.contains(point)
                }.map(\.0.id))
            for zone in zones where now.contains(zone.id) != before.zones.contains(zone.id) {
                let direction: ZoneCrossing.Direction = now.contains(zone.id) ? .entry : .exit
                crossings.append(ZoneCrossing(zoneID: zone.id, terminalID: position.terminalID, direction: direction, at: position.gnssTime, point: point))
            }
            inside[position.terminalID] = (zones: now, at: position.gnssTime)
        }
        return crossings
    }
}
