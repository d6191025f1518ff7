import Dispatching
import Domain
import Foundation
import Hummingbird

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
