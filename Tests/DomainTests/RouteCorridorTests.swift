import DomainTestSupport
import Foundation
import Testing

@testable import Domain

/// The route's corridor and the watch over trips in service, and where a replacement is sent
/// and judged, in memory.
@Suite struct RouteCorridorTests {
    static let received = Date(timeIntervalSince1970: TimeInterval(Fixture.now))
    static func place(east: Int32 = 0, north: Int32 = 0, _ address: String) -> Place {
        let point = Fixture.near(east: east, north: north)
        return Place(latitudeE6: point.latitudeE6, longitudeE6: point.longitudeE6, address: address)
    }

    /// A booking from the station east 5 km to a stop, then north 5 km to its destination,
    /// taken through `steps` a minute apart from `Fixture.now + 600`, crew 7 matched.
    static func booking(_ bookings: InMemoryBookings, steps: [BookingState], stops: [Place]? = [place(east: 5_000, "江北区政府")]) async throws
        -> BookingRecord
    {
        var request = BookingRequest(
            channel: .platform, agencyID: 3, contactName: "李主任", contactPhone: "057487000000", passengers: 2, vehicleClass: .sedan,
            pickupTime: received.addingTimeInterval(3600), pickup: place("宁波站"), destination: place(east: 5_000, north: 5_000, "镇海区政府"),
            serviceEnd: received.addingTimeInterval(4 * 3600))
        request.stops = stops
        var record = try await bookings.create(request, agencyID: 3, receivedAt: received, by: .engine, audit: nil)
        for (n, step) in steps.enumerated() {
            record = try await bookings.move(
                record.id, to: step, at: received.addingTimeInterval(600 + 60 * TimeInterval(n)), by: .engine,
                crew: step == .matched ? (7, 7) : nil, completion: nil, note: "", audit: nil)
        }
        return record
    }

    static let toService: [BookingState] = [.confirmed, .matched, .notified, .enRoute, .onSite, .inService]

    static func fix(at time: Int64, east: Int32, north: Int32 = 0) -> PositionRecord {
        let point = Fixture.near(east: east, north: north)
        return PositionRecord(
            terminalID: 70, gnssTime: time, latitudeE6: point.latitudeE6, longitudeE6: point.longitudeE6, altitude: 5, speed: 300, course: 90, alarm: 0,
            status: 3, mileage: nil, backfill: false)
    }

    @Test func theDistanceIsToTheNearestPointOfThePolyline() {
        let corridor = RouteCorridor(route: [Fixture.near(), Fixture.near(east: 5_000), Fixture.near(east: 5_000, north: 5_000)], widthMetres: 2_000)
        #expect(corridor.distance(from: Fixture.near(east: 2_500)) < 1)
        #expect(abs(corridor.distance(from: Fixture.near(east: 2_500, north: -3_000)) - 3_000) < 10)
        // Beyond the last point: the distance to it; beside the second leg: to that leg.
        #expect(abs(corridor.distance(from: Fixture.near(east: 5_000, north: 8_000)) - 3_000) < 10)
        #expect(abs(corridor.distance(from: Fixture.near(east: 6_000, north: 2_500)) - 1_000) < 10)
        #expect(abs(RouteCorridor(route: [Fixture.near()], widthMetres: 2_000).distance(from: Fixture.near(north: 1_000)) - 1_000) < 2)
    }

    @Test func aTrackLeavingTheCorridorIsToldOncePerExcursion() async throws {
        let bookings = InMemoryBookings()
        let record = try await Self.booking(bookings, steps: Self.toService)
        #expect(record.route.map(\.address) == ["宁波站", "江北区政府", "镇海区政府"])
        let trip = try #require(CorridorWatch.Trip(record))
        #expect(trip.since == Fixture.now + 600 + 5 * 60 && trip.vehicleID == 7)
        var watch = CorridorWatch()
        #expect(watch.refresh(open: try await bookings.open()) == [trip])
        #expect(watch.refresh(open: try await bookings.open()).isEmpty, "read back once")

        let t = trip.since
        #expect(watch.stored([7: [Self.fix(at: t - 60, east: 0, north: -5_000)]]).isEmpty, "before the service began")
        #expect(watch.stored([7: [Self.fix(at: t + 60, east: 1_000), Self.fix(at: t + 120, east: 2_000, north: -1_900)]]).isEmpty, "inside")
        #expect(watch.stored([8: [Self.fix(at: t + 150, east: 2_000, north: -9_000)]]).isEmpty, "another vehicle")
        let out = watch.stored([7: [Self.fix(at: t + 180, east: 2_000, north: -2_600), Self.fix(at: t + 240, east: 2_000, north: -3_000)]])
        #expect(out.map(\.at) == [t + 180] && out.first.map { abs($0.metres - 2_600) < 10 } == true)
        // Still out, and back near the edge: the same excursion.
        #expect(watch.stored([7: [Self.fix(at: t + 300, east: 2_000, north: -1_800), Self.fix(at: t + 360, east: 2_000, north: -2_200)]]).isEmpty)
        // Well inside, then out again: another.
        #expect(watch.stored([7: [Self.fix(at: t + 420, east: 3_000, north: -1_000)]]).isEmpty)
        #expect(watch.stored([7: [Self.fix(at: t + 480, east: 7_500, north: 3_000)]]).map(\.at) == [t + 480])

        // Read back, the same track finds the same excursions at the same times.
        let track = [
            Self.fix(at: t + 180, east: 2_000, north: -2_600), Self.fix(at: t + 300, east: 2_000, north: -1_800),
            Self.fix(at: t + 420, east: 3_000, north: -1_000), Self.fix(at: t + 480, east: 7_500, north: 3_000),
        ]
        #expect(watch.readBack(trip, track: track).map(\.at) == [t + 180, t + 480])
    }

    @Test func aRouteChangeIsANewTripJudgedFromTheConsent() async throws {
        let bookings = InMemoryBookings()
        let record = try await Self.booking(bookings, steps: Self.toService)
        var watch = CorridorWatch()
        _ = watch.refresh(open: try await bookings.open())
        let consent = Self.received.addingTimeInterval(1800)
        let detour = [Self.place(east: 2_000, north: -6_000, "鄞州区政府"), Self.place(east: 5_000, "江北区政府")]
        let changed = try await bookings.changeRoute(
            record.id, to: RouteChange(at: consent, by: "李主任", note: "先去鄞州", stops: detour, destination: record.request.destination), by: .engine,
            audit: nil)
        #expect(changed.route.map(\.address) == ["宁波站", "鄞州区政府", "江北区政府", "镇海区政府"] && changed.version == record.version + 1)
        let trip = try #require(CorridorWatch.Trip(changed))
        let open = try await bookings.open()
        #expect(trip.since == consent.epochSeconds && watch.refresh(open: open) == [trip])
        // The detour south is the route now; the old straight way is not before the consent.
        #expect(
            watch.readBack(trip, track: [Self.fix(at: trip.since - 60, east: 0, north: 5_000), Self.fix(at: trip.since + 60, east: 1_500, north: -4_500)])
                .isEmpty)
        // Over: no change is taken.
        _ = try await bookings.move(record.id, to: .completed, at: consent, by: .engine, crew: nil, completion: nil, note: "", audit: nil)
        await #expect(throws: Conflict.self) {
            try await bookings.changeRoute(
                record.id, to: RouteChange(at: consent, by: "x", note: "x", stops: [], destination: detour[0]), by: .engine, audit: nil)
        }
        let over = try await bookings.open()
        #expect(watch.refresh(open: over).isEmpty && watch.trips.isEmpty)
        #expect(RouteChange.allowed(in: .replaced) && !RouteChange.allowed(in: .settled))
    }

    /// A booking made before stops existed reads as none: its route is pick-up to destination.
    @Test func aBookingWithoutStopsGoesStraight() async throws {
        let record = try await Self.booking(InMemoryBookings(), steps: [], stops: nil)
        #expect(record.route.map(\.address) == ["宁波站", "镇海区政府"])
    }

    /// Where a replacement is sent: where the car stopped after a breakdown in service; the
    /// pick-up when it broke down on its way there (the passengers wait there).
    @Test func aReplacementIsSentWhereThePassengersAre() async throws {
        let bookings = InMemoryBookings()
        let stop = Self.place(east: 3_000, "where 浙B00001D stopped")
        var enRoute = try await Self.booking(bookings, steps: [.confirmed, .matched, .notified, .enRoute])
        enRoute = try await bookings.move(
            enRoute.id, to: .replaced, at: Self.received, by: .engine, crew: nil, completion: nil, note: "", stop: stop, audit: nil)
        #expect(enRoute.replacementSites.map(\.address) == ["宁波站"] && enRoute.site.address == "宁波站")

        var midTrip = try await Self.booking(bookings, steps: Self.toService)
        #expect(midTrip.replacementSites.isEmpty && midTrip.site.address == "宁波站")
        midTrip = try await bookings.move(
            midTrip.id, to: .replaced, at: Self.received, by: .engine, crew: nil, completion: nil, note: "", stop: stop, audit: nil)
        #expect(midTrip.site == stop)
        // The replacement breaks down on its way: the passengers still wait where the first car stopped.
        for step: BookingState in [.matched, .notified, .enRoute, .replaced] {
            midTrip = try await bookings.move(
                midTrip.id, to: step, at: Self.received, by: .engine, crew: step == .matched ? (8, 8) : nil, completion: nil, note: "",
                stop: step == .replaced ? Self.place(east: 9_000, "where 浙B00002D stopped") : nil, audit: nil)
        }
        #expect(midTrip.replacementSites == [stop, stop])
    }

    /// A replacement's arrival is judged by the zone it is sent to: an hour in the suburbs though
    /// the pick-up was in the city.
    @Test func aReplacementsArrivalClockIsJudgedByItsOwnZone() throws {
        let t0 = Fixture.now, levels = ServiceLevels()
        var history = BookingHistory(receivedAt: t0, by: "agency")
        for (n, state) in [BookingState.confirmed, .matched, .notified, .enRoute, .onSite, .inService, .replaced, .matched, .notified].enumerated() {
            try history.move(to: state, at: t0 + 60 * Int64(n + 1), by: "engine")
        }
        let replaced = t0 + 7 * 60
        let inCity = levels.clocks(for: history, pickupTime: t0 + 3600, pickupZone: .city, now: replaced + 40 * 60)
        let cityArrival = try #require(inCity.first { $0.clock == .replacementArrival })
        #expect(cityArrival.due == replaced + 30 * 60 && cityArrival.state == .breached)
        let inSuburbs = levels.clocks(for: history, pickupTime: t0 + 3600, pickupZone: .city, replacementZones: [.suburb], now: replaced + 40 * 60)
        let suburbArrival = try #require(inSuburbs.first { $0.clock == .replacementArrival })
        #expect(suburbArrival.due == replaced + 60 * 60 && suburbArrival.state == .running)
        // The first crew's on-site clock is one clock, met by its own arrival.
        let onSite = inSuburbs.filter { $0.clock == .onSite }
        #expect(onSite.count == 1 && onSite.first?.stopped == t0 + 5 * 60 && onSite.first?.state == .met)
    }
}
