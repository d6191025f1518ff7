import Dispatching
import Domain
import Foundation
import PostgresTestSupport
import Store
import Testing

@testable import HTTPAPI

/// The service zones and the working-day calendar through real HTTP on real PostgreSQL: the
/// seed served, an administrator's edits checked, audited and in force at once, anyone else
/// refused.
@Suite struct ZonesCalendarAPITests {
    typealias API = FleetAPITests

    @Test func theCityIsTheAdministratorsToRedraw() async throws {
        try await API.withAPI { base, accounts, _, api in
            let (admin, dispatcher, agency) = (
                try await API.signIn(base, "admin"), try await API.signIn(base, "dispatcher"), try await API.signIn(base, "agency")
            )
            try await api.dispatch.zonesAndCalendar.refresh()
            let pickup = TestFleet.pickup.point
            #expect(api.dispatch.zonesAndCalendar.current.zones.kind(of: pickup) == .city, "the seed: Tianyi Square is in the old districts")

            let seeded = try await API.call(base, "GET", "/api/v1/zones", token: dispatcher)
            let areas = try #require(seeded.json["city"] as? [[String: Any]], "\(seeded.json)")
            #expect(areas.count == 1 && (areas[0]["points"] as? [[String: Double]])?.first == ["latitude": 29.95, "longitude": 121.45])

            // A city drawn away from the pick-up: refused to all but the administrator.
            let north =
                #"{"city": [{"name": "北仑", "points": [{"latitude": 29.90, "longitude": 121.80}, {"latitude": 29.95, "longitude": 121.80}, {"latitude": 29.95, "longitude": 121.90}]}]}"#
            for token in [dispatcher, agency] { #expect(try await API.call(base, "PUT", "/api/v1/zones", token: token, body: north).status == 403) }
            let bad: [(String, String)] = [
                (#"{"city": [{"name": "a", "points": [{"latitude": 29.9, "longitude": 121.8}, {"latitude": 29.95, "longitude": 121.8}]}]}"#, "city.0.points"),
                (
                    #"{"city": [{"name": "a", "points": [{"latitude": 91, "longitude": 121.8}, {"latitude": 29.95, "longitude": 121.8}, {"latitude": 29.95, "longitude": 121.9}]}]}"#,
                    "city.0.points.0.latitude"
                ),
                (
                    #"{"city": [{"name": "a", "points": [{"latitude": 29.9, "longitude": 121.8}, {"latitude": 29.95, "longitude": 121.85}, {"latitude": 30.0, "longitude": 121.9}]}]}"#,
                    "city.0.points"
                ),
                (#"{"city": []}"#, "city"),
            ]
            for (body, field) in bad {
                let refused = try await API.call(base, "PUT", "/api/v1/zones", token: admin, body: body)
                #expect(
                    refused.status == 400 && refused.contentType == "application/problem+json" && refused.json["field"] as? String == field, "\(refused.json)")
            }
            #expect(api.dispatch.zonesAndCalendar.current.zones.kind(of: pickup) == .city, "nothing refused was kept")

            let set = try await API.call(base, "PUT", "/api/v1/zones", token: admin, body: north)
            #expect(set.status == 200 && (set.json["city"] as? [[String: Any]])?.first?["name"] as? String == "北仑", "\(set.json)")
            #expect(api.dispatch.zonesAndCalendar.current.zones.kind(of: pickup) == .suburb, "in force at once")
            #expect(api.dispatch.zonesAndCalendar.current.zones.kind(of: GeoPoint(latitudeE6: 29_930_000, longitudeE6: 121_820_000)) == .city)
            let read = try await API.call(base, "GET", "/api/v1/zones", token: admin)
            #expect((read.json["city"] as? [[String: Any]])?.first?["name"] as? String == "北仑")
            #expect(try await accounts.auditTrail().contains { $0.action == "zones-set" && $0.resource == "zones" && $0.username == "admin" })
        }
    }

    @Test func aYearUnsetCountsWeekendsOnlyUntilTheAdministratorSetsIt() async throws {
        try await API.withAPI { base, accounts, _, api in
            let (admin, dispatcher) = (try await API.signIn(base, "admin"), try await API.signIn(base, "dispatcher"))
            let seeded = try await API.call(base, "GET", "/api/v1/calendar/2026", token: dispatcher)
            #expect(seeded.json["announced"] as? Bool == true && (seeded.json["holidays"] as? [String])?.count == 19 && seeded.json["warning"] == nil)
            let unset = try await API.call(base, "GET", "/api/v1/calendar/2027", token: dispatcher)
            #expect(unset.status == 200 && unset.json["announced"] as? Bool == false, "\(unset.json)")
            #expect((unset.json["warning"] as? String)?.contains("PUT /api/v1/calendar/2027") == true)
            #expect(try await API.call(base, "GET", "/api/v1/calendar/1800", token: dispatcher).status == 400)

            let year = #"{"source": "国务院办公厅关于2027年部分节假日安排的通知", "holidays": ["2027-01-01", "2027-10-01", "2027-10-04"], "workingWeekends": ["2027-09-26"]}"#
            #expect(try await API.call(base, "PUT", "/api/v1/calendar/2027", token: dispatcher, body: year).status == 403)
            let bad: [(String, String)] = [
                (#"{"source": "x", "holidays": ["2026-12-31"], "workingWeekends": []}"#, "holidays"),
                (#"{"source": "x", "holidays": ["2027-09-26"], "workingWeekends": ["2027-09-26"]}"#, "workingWeekends"),
                (#"{"source": "x", "holidays": [], "workingWeekends": ["2027-09-27"]}"#, "workingWeekends"),
                (#"{"source": "", "holidays": [], "workingWeekends": []}"#, "source"),
            ]
            for (body, field) in bad {
                let refused = try await API.call(base, "PUT", "/api/v1/calendar/2027", token: admin, body: body)
                #expect(refused.status == 400 && refused.json["field"] as? String == field, "\(refused.json)")
            }
            let set = try await API.call(base, "PUT", "/api/v1/calendar/2027", token: admin, body: year)
            #expect(set.status == 200 && set.json["announced"] as? Bool == true && set.json["workingWeekends"] as? [String] == ["2027-09-26"], "\(set.json)")
            let read = try await API.call(base, "GET", "/api/v1/calendar/2027", token: dispatcher)
            #expect(read.json["holidays"] as? [String] == ["2027-01-01", "2027-10-01", "2027-10-04"])
            // In force for the services at once: the Friday after 30 September 2027 is now off.
            let calendar = api.dispatch.zonesAndCalendar.current.calendar
            #expect(calendar.isAnnounced(2027) && calendar.workingDay(1, after: CivilDate("2027-09-30")!) == CivilDate("2027-10-05")!)
            #expect(try await accounts.auditTrail().contains { $0.action == "calendar-set" && $0.resource == "calendar:2027" })
        }
    }
}
