import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A change of a booking's route its agency agreed to (docs/DOMAIN.md, "A trip", step 7: route
/// changes need the agency contact's consent): the new stops and destination, the pick-up
/// staying where it was.
public struct RouteChange: Sendable, Hashable, Codable {
    public var at: Date
    public var by: String
    public var note: String
    public var stops: [Place]
    public var destination: Place

    public init(at: Date, by: String, note: String, stops: [Place], destination: Place) {
        (self.at, self.by, self.note, self.stops, self.destination) = (at, by, note, stops, destination)
    }

    /// A route may change until the trip is over.
    public static func allowed(in state: BookingState) -> Bool { ![.completed, .settled, .cancelled].contains(state) }
}

extension BookingRecord {
    /// The route in force: pick-up, stops, destination, as booked or as last changed with the
    /// agency's consent.
    public var route: [Place] {
        [request.pickup] + (routeChanges.last.map { $0.stops + [$0.destination] } ?? (request.stops ?? []) + [request.destination])
    }

    /// Where each replacement's crew is sent, replacement by replacement: where the car stopped
    /// if it broke down with the passengers aboard (in service since its crew came), else where
    /// the passengers wait (the pick-up, or where an earlier car stopped).
    public var replacementSites: [Place] {
        var site = request.pickup, aboard = false, sites: [Place] = []
        for transition in transitions {
            switch transition.state {
            case .inService: aboard = true
            case .replaced:
                if aboard, let stop = transition.stop { site = stop }
                aboard = false
                sites.append(site)
            default: break
            }
        }
        return sites
    }

    /// Where the current crew is to be on site: the pick-up, or its replacement's site.
    public var site: Place { replacementSites.last ?? request.pickup }
}

/// The corridor around a route: the polyline pick-up, stops, destination, and the distance from
/// it a track may stray (default 2 km) before the agency and the dispatcher are told.
public struct RouteCorridor: Sendable, Hashable {
    public static let maximumStops = 10
    public static let defaultWidthMetres = 2_000

    public var route: [GeoPoint]
    public var widthMetres: Double

    public init(route: [GeoPoint], widthMetres: Double) { (self.route, self.widthMetres) = (route, widthMetres) }

    /// Metres from `point` to the nearest point of the route's polyline.
    public func distance(from point: GeoPoint) -> Double {
        guard let first = route.first else { return 0 }
        guard route.count > 1 else { return Self.metres(point, first) }
        return zip(route, route.dropFirst()).reduce(Double.infinity) { min($0, Self.distance(from: point, toSegment: $1.0, $1.1)) }
    }

    /// Plane geometry around `p` (metres east and north of it): within a few hundred kilometres
    /// the error is far below a corridor's width.
    static func distance(from p: GeoPoint, toSegment a: GeoPoint, _ b: GeoPoint) -> Double {
        let metresPerDegree = 111_320.0, east = cos(Double(p.latitudeE6) / 1e6 * .pi / 180) * metresPerDegree
        func local(_ q: GeoPoint) -> (x: Double, y: Double) {
            (Double(q.longitudeE6 - p.longitudeE6) / 1e6 * east, Double(q.latitudeE6 - p.latitudeE6) / 1e6 * metresPerDegree)
        }
        let (a, b) = (local(a), local(b))
        let (dx, dy) = (b.x - a.x, b.y - a.y), length = dx * dx + dy * dy
        // The nearest point of the segment to the origin (p), clamped to its ends.
        let t = length == 0 ? 0 : min(1, max(0, -(a.x * dx + a.y * dy) / length))
        let (x, y) = (a.x + t * dx, a.y + t * dy)
        return (x * x + y * y).squareRoot()
    }

    static func metres(_ a: GeoPoint, _ b: GeoPoint) -> Double {
        TrackDistance.meters(fromLatitudeE6: a.latitudeE6, longitudeE6: a.longitudeE6, toLatitudeE6: b.latitudeE6, longitudeE6: b.longitudeE6)
    }
}

/// The trips in service whose tracks dispatch holds to their agreed route, in memory: a fix
/// further from the route than the corridor's width starts an excursion, told once; the
/// excursion ends when the track comes back well inside (three quarters of the width, so that
/// a road running along the corridor's edge is not told again at every fix).
///
/// Pure: the caller groups the stored fixes by vehicle, reads tracks back and raises the alerts.
/// A trip is judged from the start of its crew's service or the route's latest change, whichever
/// is later; read back from then (`readBack`), its excursions are found again at the same times,
/// so an alert recorded once per excursion start is not told twice.
public struct CorridorWatch: Sendable {
    /// A booking in service on its agreed route. A new crew or a new route is another trip.
    public struct Trip: Sendable, Hashable {
        public var bookingID: Int64
        public var vehicleID: Int64
        public var route: [GeoPoint]
        /// Seconds since 1970: fixes count from then.
        public var since: Int64

        public init?(_ record: BookingRecord) {
            guard record.state == .inService, let vehicle = record.vehicleID, let started = record.transitions.last(where: { $0.state == .inService })?.at
            else { return nil }
            let since = max(started, record.routeChanges.last?.at ?? started).epochSeconds
            self.init(bookingID: record.id, vehicleID: vehicle, route: record.route.map(\.point), since: since)
        }

        public init(bookingID: Int64, vehicleID: Int64, route: [GeoPoint], since: Int64) {
            (self.bookingID, self.vehicleID, self.route, self.since) = (bookingID, vehicleID, route, since)
        }
    }

    /// The track left the corridor at `at` (seconds since 1970), `metres` from the route.
    public struct Excursion: Sendable, Hashable {
        public var trip: Trip
        public var at: Int64
        public var metres: Int
    }

    public let widthMetres: Double
    private var watched: [Int64: (trip: Trip, outside: Bool)] = [:]

    public init(widthMetres: Double = Double(RouteCorridor.defaultWidthMetres)) { self.widthMetres = widthMetres }

    /// The trips watched now, by booking.
    public var trips: [Int64: Trip] { watched.mapValues(\.trip) }

    /// The list set from the open bookings: the trips new to it, to be read back.
    public mutating func refresh(open: [BookingRecord]) -> [Trip] {
        var next: [Int64: (trip: Trip, outside: Bool)] = [:]
        var new: [Trip] = []
        for record in open {
            guard let trip = Trip(record) else { continue }
            if let entry = watched[trip.bookingID], entry.trip == trip {
                next[trip.bookingID] = entry
            } else {
                next[trip.bookingID] = (trip, false)
                new.append(trip)
            }
        }
        watched = next
        return new.sorted { $0.bookingID < $1.bookingID }
    }

    /// Fixes just stored, by vehicle and oldest first: the excursions they start.
    public mutating func stored(_ tracks: [Int64: [PositionRecord]]) -> [Excursion] {
        watched.keys.sorted().flatMap { id in watched[id].flatMap { tracks[$0.trip.vehicleID] }.map { judge(id, $0) } ?? [] }
    }

    /// The trip's track since `since`, read back (oldest first): judged afresh.
    public mutating func readBack(_ trip: Trip, track: [PositionRecord]) -> [Excursion] {
        guard watched[trip.bookingID]?.trip == trip else { return [] }
        watched[trip.bookingID]?.outside = false
        return judge(trip.bookingID, track)
    }

    /// A trip whose alert could not be recorded: watched afresh (and read back) at the next refresh.
    public mutating func forget(_ bookingID: Int64) { watched[bookingID] = nil }

    private mutating func judge(_ id: Int64, _ track: [PositionRecord]) -> [Excursion] {
        guard var entry = watched[id] else { return [] }
        let corridor = RouteCorridor(route: entry.trip.route, widthMetres: widthMetres)
        var excursions: [Excursion] = []
        for fix in track where fix.gnssTime >= entry.trip.since {
            let metres = corridor.distance(from: GeoPoint(latitudeE6: fix.latitudeE6, longitudeE6: fix.longitudeE6))
            if !entry.outside, metres > widthMetres {
                entry.outside = true
                excursions.append(Excursion(trip: entry.trip, at: fix.gnssTime, metres: Int(metres.rounded())))
            } else if entry.outside, metres <= widthMetres * 3 / 4 {
                entry.outside = false
            }
        }
        watched[id] = entry
        return excursions
    }
}
