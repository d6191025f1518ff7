import Dispatching
import Domain
import Foundation
import Hummingbird
import Store

/// The service zones (city or suburb: a replacement's arrival limit) and the working-day
/// calendar (invoices and complaint results are due in working days), as administrators set
/// them; every edit audited, in force from the next request on.
extension FleetAPI {
    struct Coordinate: Codable {
        var latitude: Double
        var longitude: Double
    }

    struct CityArea: Codable {
        var name: String
        var points: [Coordinate]
    }

    /// The city as named polygons; everything outside them is suburb.
    struct Zones: Codable, ResponseEncodable {
        var city: [CityArea]

        init(_ zones: ServiceZones) {
            city = zones.city.map { area in
                CityArea(
                    name: area.name,
                    points: area.boundary.map { Coordinate(latitude: Double($0.latitudeE6) / 1e6, longitude: Double($0.longitudeE6) / 1e6) })
            }
        }

        /// In E6 degrees, as positions are; the door bounded the degrees.
        var serviceZones: ServiceZones {
            ServiceZones(
                city: city.map { area in
                    ServiceZones.Area(
                        name: area.name,
                        boundary: area.points.map {
                            GeoPoint(latitudeE6: Int32(($0.latitude * 1e6).rounded()), longitudeE6: Int32(($0.longitude * 1e6).rounded()))
                        })
                })
        }
    }

    /// A named zone (a depot, a restricted area, ...) as the API reads and writes it.
    struct NamedZoneBody: Codable, ResponseEncodable {
        var id: Int64?
        var name: String
        var kind: NamedZone.Kind
        var points: [Coordinate]

        init(_ zone: NamedZone) {
            (id, name, kind) = (zone.id, zone.name, zone.kind)
            points = zone.boundary.map { Coordinate(latitude: Double($0.latitudeE6) / 1e6, longitude: Double($0.longitudeE6) / 1e6) }
        }

        /// In E6 degrees, as positions are; the door bounded the degrees.
        func zone(id: Int64) -> NamedZone {
            NamedZone(
                id: id, name: name, kind: kind,
                boundary: points.map { GeoPoint(latitudeE6: Int32(($0.latitude * 1e6).rounded()), longitudeE6: Int32(($0.longitude * 1e6).rounded())) })
        }
    }

    /// A vehicle entering or leaving a named zone.
    struct ZoneEventBody: ResponseEncodable {
        var zoneID: Int64
        var zone: String
        var kind: NamedZone.Kind
        var plate: String?
        var direction: ZoneCrossing.Direction
        var at: Date
        var latitude: Double
        var longitude: Double
    }

    /// A year's arrangement as an administrator sets it.
    struct CalendarYear: Decodable {
        var source: String
        var holidays: [CivilDate]
        var workingWeekends: [CivilDate]
    }

    /// A year's working-day calendar: as announced, or weekends only if nobody set it yet.
    struct CalendarYearBody: ResponseEncodable {
        var year: Int
        var announced: Bool
        var source: String?
        var holidays: [CivilDate]
        var workingWeekends: [CivilDate]
        /// Said when the year counts weekends only.
        var warning: String?

        init(year: Int, _ arrangement: WorkingCalendar.Year?) {
            (self.year, announced, source) = (year, arrangement != nil, arrangement?.source)
            holidays = arrangement?.holidays.sorted() ?? []
            workingWeekends = arrangement?.workingWeekends.sorted() ?? []
            if arrangement == nil {
                warning =
                    "no calendar set for \(year): Monday to Friday count as working days, holidays are not known; set it with PUT /api/v1/calendar/\(year)"
            }
        }
    }

    func addZoneRoutes(_ list: inout EndpointList) {
        list.add(.get, "/api/v1/zones", Self.readers, "The city's areas (named polygons); everything outside them is suburb", returns: "Zones") { _, _, _ in
            Zones(try await dispatch.zonesAndCalendar.zones())
        }
        list.add(
            .put, "/api/v1/zones", [.administrator],
            "Set the city's areas: 1 to \(ServiceZones.maximumAreas) named polygons of 3 to \(ServiceZones.maximumPoints) points enclosing an area; "
                + "in force at once (a replacement's 30 or 60 minutes)",
            body: "Zones", returns: "Zones"
        ) { request, context, user in
            let zones = try await decode(Zones.self, request, context).serviceZones
            let audit = entry(user, "zones-set", "zones", ["areas": zones.city.map(\.name).joined(separator: ", ")])
            return Zones(try await dispatch.zonesAndCalendar.setZones(zones, by: user.id, audit: audit))
        }
        list.add(.get, "/api/v1/named-zones", Self.readers, "The named zones: depots, restricted areas, others", returns: "[NamedZoneBody]") { _, _, _ in
            try await dispatch.zones.zones().map(NamedZoneBody.init)
        }
        list.add(
            .post, "/api/v1/named-zones", [.administrator],
            "Draw a named zone: a polygon of 3 to \(ServiceZones.maximumPoints) points; a vehicle's entries and exits are kept from the next position on, "
                + "and a trip entering a restricted one raises the route alert",
            body: "NamedZoneBody", returns: "NamedZoneBody", status: .created
        ) { request, context, user in
            let zone = try await decode(NamedZoneBody.self, request, context).zone(id: 0)
            let saved = try await dispatch.zones.save(zone, by: user.id) {
                entry(user, "zone-create", "zone:\($0)", ["name": zone.name, "kind": zone.kind.rawValue])
            }
            return NamedZoneBody(saved)
        }
        list.add(
            .put, "/api/v1/named-zones/{id}", [.administrator], "Redraw, rename or reclassify a named zone; its crossings so far are kept",
            body: "NamedZoneBody", returns: "NamedZoneBody"
        ) { request, context, user in
            let zone = try await decode(NamedZoneBody.self, request, context).zone(id: try id("id", context))
            let saved = try await dispatch.zones.save(zone, by: user.id) {
                entry(user, "zone-set", "zone:\($0)", ["name": zone.name, "kind": zone.kind.rawValue])
            }
            return NamedZoneBody(saved)
        }
        list.add(
            .get, "/api/v1/zone-events", Self.readers, "Vehicles entering and leaving the named zones, oldest first; every read is audited",
            returns: "[ZoneEventBody]",
            query: [
                ("plate", "string(1...16)", "one vehicle's only"), ("from", "date-time", "ISO 8601, default 24 h before to"),
                ("to", "date-time", "ISO 8601, default now; at most 31 days after from"), ("limit", "integer(1...5000)", "1 to 5000, default 1000"),
            ]
        ) { request, _, user in
            let to = try time("to", request) ?? clock.now
            let from = try time("from", request) ?? to.addingTimeInterval(-86_400)
            try Self.require(from <= to && to.timeIntervalSince(from) <= 31 * 86_400, "from", "from must be before to, at most 31 days apart")
            var vehicle: Int64?
            if let plate = request.uri.queryParameters.get("plate") {
                guard let found = try await positions.vehicleID(plate: plate) else { throw Self.notFound("no vehicle has the plate \(plate)") }
                vehicle = found
            }
            // Where the vehicles went is confidential, as their tracks are: every read is on record.
            try await audit(
                user, "zone-events-read", vehicle.map { "vehicle:\($0)" } ?? "vehicles", ["from": "\(from.epochSeconds)", "to": "\(to.epochSeconds)"])
            return try await dispatch.zones.crossings(vehicleID: vehicle, from: from, to: to, limit: try count("limit", request, default: 1000, maximum: 5000))
                .map {
                    ZoneEventBody(
                        zoneID: $0.zoneID, zone: $0.zone, kind: $0.kind, plate: $0.plate, direction: $0.direction, at: $0.at,
                        latitude: Double($0.point.latitudeE6) / 1e6, longitude: Double($0.point.longitudeE6) / 1e6)
                }
        }
        list.add(
            .get, "/api/v1/calendar/{year}", Self.readers + [.agency],
            "A year's working-day calendar: holidays and weekend days worked as announced, or weekends only (with a warning) if not set",
            returns: "CalendarYearBody"
        ) { _, context, _ in
            let year = try calendarYear(context)
            return CalendarYearBody(year: year, try await dispatch.zonesAndCalendar.year(year))
        }
        list.add(
            .put, "/api/v1/calendar/{year}", [.administrator],
            "Set a year's holidays (weekdays off) and working weekend days, with the announcement they follow; in force at once",
            body: "CalendarYear", returns: "CalendarYearBody"
        ) { request, context, user in
            let year = try calendarYear(context)
            let body = try await decode(CalendarYear.self, request, context)
            let arrangement = WorkingCalendar.Year(source: body.source, holidays: Set(body.holidays), workingWeekends: Set(body.workingWeekends))
            let audit = entry(
                user, "calendar-set", "calendar:\(year)",
                ["holidays": "\(arrangement.holidays.count)", "workingWeekends": "\(arrangement.workingWeekends.count)"])
            return CalendarYearBody(year: year, try await dispatch.zonesAndCalendar.setYear(year, arrangement, by: user.id, audit: audit))
        }
    }

    /// The path's year (bounded at the door).
    func calendarYear(_ context: APIContext) throws -> Int {
        guard let year = Int(try context.parameters.require("year")) else { throw Problem.invalid("year", "a year, 1900 to 2199") }
        return year
    }
}
