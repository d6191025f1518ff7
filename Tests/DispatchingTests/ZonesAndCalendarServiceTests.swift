import Dispatching
import Domain
import DomainTestSupport
import Foundation
import PostgresTestSupport
import Store
import Testing

/// The zones and calendar the services read, on a real database: the database's from the
/// first refresh on, and an administrator's edit in force for the services at once.
@Suite struct ZonesAndCalendarServiceTests {
    let logger = TestPostgres.logger

    /// A replacement's arrival limit follows the city as redrawn: 30 minutes while the pick-up
    /// is in the city, 60 once the administrator draws the city elsewhere.
    @Test func aRedrawnCityChangesAReplacementsArrivalLimit() async throws {
        try await TestPostgres.withDatabase { client, url in
            let received = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            let clock = ManualClock(received)
            let dispatch = DispatchServices(client: client, database: url, clock: clock, logger: logger)
            #expect(dispatch.zonesAndCalendar.current.zones.city.isEmpty && !dispatch.zonesAndCalendar.current.calendar.isAnnounced(2026), "nothing until read")
            try await dispatch.zonesAndCalendar.refresh()
            #expect(dispatch.zonesAndCalendar.current.zones == .ningbo && dispatch.zonesAndCalendar.current.calendar == .china)

            let crew = try #require(try await TestFleet.fleet(client).first)
            let agency = try await Accounts(client: client, logger: logger).createAgency(name: "市审计局")
            let store = Bookings(client: client, logger: logger)
            let id = try await store.create(
                DispatchServicesTests.request(agency, pickupIn: 3600, from: received), agencyID: agency, receivedAt: received, by: .engine
            )
            .id
            for (state, at) in [(BookingState.confirmed, 60.0), (.matched, 120), (.notified, 180), (.enRoute, 600)] {
                try await store.move(
                    id, to: state, at: received.addingTimeInterval(at), by: .engine, crew: state == .matched ? (crew.vehicleID, crew.driverID) : nil)
            }
            let breakdown = received.addingTimeInterval(900)
            let replaced = try await store.move(id, to: .replaced, at: breakdown, by: .engine)
            func arrivalDue() -> Date? { dispatch.bookings.clocks(replaced).first { $0.clock == .replacementArrival }?.dueAt }
            #expect(arrivalDue() == breakdown.addingTimeInterval(30 * 60), "Tianyi Square is in the city")

            let elsewhere = ServiceZones(city: [
                .init(
                    name: "北仑",
                    boundary: [
                        GeoPoint(latitudeE6: 29_900_000, longitudeE6: 121_800_000), GeoPoint(latitudeE6: 29_950_000, longitudeE6: 121_800_000),
                        GeoPoint(latitudeE6: 29_950_000, longitudeE6: 121_900_000),
                    ])
            ])
            let audit = AuditLine(userID: nil, action: "zones-set", resource: "zones")
            _ = try await dispatch.zonesAndCalendar.setZones(elsewhere, by: nil, audit: audit)
            #expect(arrivalDue() == breakdown.addingTimeInterval(60 * 60), "now suburb: an hour")
            // A polygon refused leaves the zones in force as they were.
            await #expect(throws: Refused.self) { try await dispatch.zonesAndCalendar.setZones(ServiceZones(city: []), by: nil, audit: audit) }
            #expect(arrivalDue() == breakdown.addingTimeInterval(60 * 60))
            #expect(try await dispatch.zonesAndCalendar.zones() == elsewhere)
        }
    }
}
