import Dispatching
import Domain
import DomainTestSupport
import Foundation
import PostgresNIO
import PostgresTestSupport
import Store
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The agreed route on a real database, the positions coming as ingest stores them: a track
/// inside the corridor raises nothing, one leaving it raises one `route` alert per excursion
/// for the dispatcher and the booking's agency (and no other), and after the agency's consent
/// the corridor follows the new route.
@Suite struct RouteCorridorServiceTests {
    let logger = TestPostgres.logger

    /// `east` and `north` metres from the test fleet's pick-up.
    static func near(east: Double = 0, north: Double = 0, _ address: String = "") -> Place {
        let pickup = TestFleet.pickup
        return Place(
            latitude: pickup.latitude + north / 111_320, longitude: pickup.longitude + east / (111_320 * cos(pickup.latitude * .pi / 180)), address: address)
    }

    typealias Crew = (vehicleID: Int64, driverID: Int64, plate: String, terminal: Int32)

    /// `request` booked by `agency`, confirmed and matched, its crew on site and in service from `t0` + 10
    /// minutes, the clock then, and the arrival watch following it.
    static func inService(
        _ request: BookingRequest, of agency: Int64, _ dispatch: DispatchServices, _ crews: [Crew], clock: ManualClock, t0: Date
    ) async throws -> (BookingRecord, Crew) {
        func at(_ minutes: Double) -> Date { t0.addingTimeInterval(minutes * 60) }
        let booking = try await dispatch.bookings.book(request, agencyID: agency, by: .engine, audit: nil)
        try await dispatch.bookings.move(booking.id, to: .confirmed, by: .engine)
        try await dispatch.rounds.run()
        try await dispatch.notifier.deliverDue()
        let matched = try #require(try await dispatch.bookings.booking(id: booking.id))
        let crew = try #require(crews.first { $0.vehicleID == matched.vehicleID })
        for (n, state) in [BookingState.enRoute, .onSite, .inService].enumerated() {
            try await dispatch.bookings.move(booking.id, to: state, at: at(8 + Double(n)), by: .engine)
        }
        clock.set(at(11))
        try await dispatch.arrivals.watch()
        return (matched, crew)
    }

    @Test func aTrackLeavingTheAgreedRouteRaisesOneAlertPerExcursionUntilTheAgencyAgrees() async throws {
        try await TestPostgres.withDatabase { client, url in
            let t0 = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down) - 2 * 3600)
            func at(_ minutes: Double) -> Date { t0.addingTimeInterval(minutes * 60) }
            let clock = ManualClock(t0), feed = LiveFeed()
            let dispatch = DispatchServices(client: client, database: url, feed: feed, clock: clock, logger: logger)
            let crews = try await TestFleet.fleet(client)
            let accounts = Accounts(client: client, logger: logger)
            let agency = try await accounts.createAgency(name: "市文旅局"), other = try await accounts.createAgency(name: "市体育局")
            _ = try await PositionRetention().maintain(client: client, today: CivilDate(chinaDayOf: t0.epochSeconds).description, logger: logger)

            // Pick-up, a stop 5 km east, the destination 5 km north of it.
            var request = BookingRequest(
                channel: .platform, agencyID: agency, contactName: "王科长", contactPhone: "057487000001", passengers: 3, vehicleClass: .sedan,
                pickupTime: at(10), pickup: TestFleet.pickup, destination: Self.near(east: 5_000, north: 5_000, "镇海区政府"), serviceEnd: at(240))
            request.stops = [Self.near(east: 5_000, "江北区政府")]
            let (booking, crew) = try await Self.inService(request, of: agency, dispatch, crews, clock: clock, t0: t0)
            #expect(dispatch.arrivals.trips[booking.id]?.route.count == 3)

            let ingested = IngestFeed()
            var deliveries = ingested.makeAsyncIterator()
            let sink = FeedingPositionSink(
                inner: PostgresPositionSink(client: client, database: url, retention: PositionRetention(), logger: logger), feed: ingested)
            var alerts = feed.subscribe().makeAsyncIterator()
            /// The crew's fixes stored by ingest at `minutes`, heard by the watch a minute later.
            func drive(_ fixes: [(minutes: Double, place: Place)]) async throws {
                try await sink.store(
                    fixes.map { fix in
                        PositionRecord(
                            terminalID: crew.terminal, gnssTime: at(fix.minutes).epochSeconds, latitudeE6: fix.place.point.latitudeE6,
                            longitudeE6: fix.place.point.longitudeE6, altitude: 5, speed: 400, course: 90, alarm: 0, status: 3, mileage: nil, backfill: false)
                    })
                clock.set(at(fixes.last!.minutes + 1))
                try await dispatch.arrivals.heard(try #require(await deliveries.next()))
            }
            func routeAlerts(_ agencyID: Int64?) async throws -> [SLAAlert] {
                try await dispatch.alerts.slaAlerts(agencyID: agencyID, since: t0, limit: 50).filter { $0.clock == .route }
            }

            // Along the first leg, 1.5 km off it at most: inside.
            try await drive([(12, Self.near(east: 1_000)), (13, Self.near(east: 2_000, north: -1_500))])
            #expect(try await routeAlerts(nil).isEmpty)

            // 3 km south of it: one alert, to the dispatcher and to the agency, on the live feed.
            try await drive([(14, Self.near(east: 2_000, north: -3_000))])
            let raised = try await routeAlerts(nil)
            #expect(raised.count == 1 && raised.first?.bookingID == booking.id && raised.first?.state == .breached && raised.first?.startedAt == at(14))
            let (agencys, others) = (try await routeAlerts(agency), try await routeAlerts(other))
            #expect(agencys.count == 1 && others.isEmpty)
            let published = try #require(await alerts.next(where: { $0.kind == .alert }))
            #expect(published.agencyID == agency && published.json.contains(#""clock":"route""#), "\(published.json)")

            // Still off the route, and the track read back after the feed dropped records: the same excursion.
            try await drive([(15, Self.near(east: 2_000, north: -4_000))])
            try await dispatch.arrivals.heard(.missed)
            #expect(try await routeAlerts(nil).count == 1)

            // The agency agrees to go by way of Yinzhou: the corridor follows the new route from now.
            clock.set(at(16))
            let changed = try await dispatch.bookings.changeRoute(
                booking.id, stops: [Self.near(east: 2_000, north: -5_000, "鄞州区政府")] + request.stops!, destination: request.destination,
                note: "王科长同意先去鄞州区政府", by: Actor(userID: nil, name: "王科长"), audit: nil)
            #expect(changed.routeChanges.map(\.note) == ["王科长同意先去鄞州区政府"] && changed.route.count == 4)
            try await dispatch.arrivals.watch()
            #expect(dispatch.arrivals.trips[booking.id]?.since == at(16).epochSeconds)
            try await drive([(17, Self.near(east: 2_000, north: -4_500)), (18, Self.near(east: 2_000, north: -5_000))])
            #expect(try await routeAlerts(nil).count == 1, "the agreed detour is the route")

            // Leaving the new route is told again.
            try await drive([(20, Self.near(east: -3_000, north: -5_000))])
            #expect(try await routeAlerts(agency).map(\.startedAt) == [at(20), at(14)])
        }
    }

    /// Issue 17: a trip in service entering a restricted zone, though within its corridor,
    /// raises the `route` alert once per entry; the zone's crossings are kept whoever drives.
    @Test func aTripEnteringARestrictedZoneRaisesTheRouteAlert() async throws {
        try await TestPostgres.withDatabase { client, url in
            let t0 = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down) - 2 * 3600)
            func at(_ minutes: Double) -> Date { t0.addingTimeInterval(minutes * 60) }
            let clock = ManualClock(t0)
            let dispatch = DispatchServices(client: client, database: url, clock: clock, logger: logger)
            let crews = try await TestFleet.fleet(client)
            let agency = try await Accounts(client: client, logger: logger).createAgency(name: "市文旅局")
            _ = try await PositionRetention().maintain(client: client, today: CivilDate(chinaDayOf: t0.epochSeconds).description, logger: logger)
            // A restricted compound 300 m square, 2 km along the route (well inside its 2 km corridor).
            let corners = [(-150.0, -150.0), (-150, 150), (150, 150), (150, -150)].map { Self.near(east: 2_000 + $0.0, north: $0.1).point }
            let zone = try await dispatch.zones.save(NamedZone(name: "军事管理区", kind: .restricted, boundary: corners), by: nil, audit: nil)

            let request = BookingRequest(
                channel: .platform, agencyID: agency, contactName: "王科长", contactPhone: "057487000001", passengers: 3, vehicleClass: .sedan,
                pickupTime: at(10), pickup: TestFleet.pickup, destination: Self.near(east: 5_000, "江北区政府"), serviceEnd: at(240))
            let (_, crew) = try await Self.inService(request, of: agency, dispatch, crews, clock: clock, t0: t0)

            let ingested = IngestFeed()
            var deliveries = ingested.makeAsyncIterator()
            let sink = FeedingPositionSink(
                inner: PostgresPositionSink(client: client, database: url, retention: PositionRetention(), logger: logger), feed: ingested)
            func drive(_ fixes: [(minutes: Double, east: Double)]) async throws {
                try await sink.store(
                    fixes.map { fix in
                        let point = Self.near(east: fix.east).point
                        return PositionRecord(
                            terminalID: crew.terminal, gnssTime: at(fix.minutes).epochSeconds, latitudeE6: point.latitudeE6, longitudeE6: point.longitudeE6,
                            altitude: 5, speed: 400, course: 90, alarm: 0, status: 3, mileage: nil, backfill: false)
                    })
                clock.set(at(fixes.last!.minutes + 1))
                try await dispatch.arrivals.heard(try #require(await deliveries.next()))
            }
            func routeAlerts() async throws -> [Date] {
                try await dispatch.alerts.slaAlerts(agencyID: agency, since: t0, limit: 50).filter { $0.clock == .route }.map(\.startedAt)
            }

            try await drive([(12, 1_000)])
            #expect(try await routeAlerts().isEmpty)
            // Through the compound: one alert, at the entry.
            try await drive([(13, 1_950), (14, 2_100), (15, 3_000)])
            #expect(try await routeAlerts() == [at(13)])
            // The same fixes delivered again: nothing more; in again later: told again.
            try await drive([(13, 1_950), (14, 2_100), (15, 3_000)])
            try await drive([(16, 2_000)])
            #expect(try await routeAlerts() == [at(16), at(13)])
            let crossings = try await dispatch.zones.crossings(vehicleID: crew.vehicleID, from: t0, to: at(20), limit: 10)
            #expect(crossings.map(\.direction) == [.entry, .exit, .entry] && crossings.map(\.at) == [at(13), at(15), at(16)])
            #expect(crossings.allSatisfy { $0.zoneID == zone.id && $0.kind == .restricted && $0.plate == crew.plate })
        }
    }
}

extension AsyncStream<FeedEvent>.Iterator {
    /// The next event that `matches`.
    mutating func next(where matches: (FeedEvent) -> Bool) async -> FeedEvent? {
        while let event = await next() {
            if matches(event) { return event }
        }
        return nil
    }
}
