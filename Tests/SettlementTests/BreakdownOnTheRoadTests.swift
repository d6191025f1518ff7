import Billing
import Dispatching
import Domain
import DomainTestSupport
import Foundation
import PostgresNIO
import PostgresTestSupport
import Settlement
import Store
import Testing

/// A breakdown on the road, end to end on a real database with the clock given: the trip goes
/// from the city into the suburbs, the car breaks down 20 minutes into it, the replacement is
/// sent to where it stopped, judged there (its zone, its arrival from its own track) and the
/// trip goes on to completion; the sheet charges the service without the gap.
@Suite struct BreakdownOnTheRoadTests {
    let logger = TestPostgres.logger

    /// `metres` south of the pick-up (in Ningbo's city; the city ends 9.8 km south of it).
    static func south(_ metres: Double) -> GeoPoint {
        let pickup = TestFleet.pickup.point
        return GeoPoint(latitudeE6: pickup.latitudeE6 - Int32((metres / 111_320 * 1e6).rounded()), longitudeE6: pickup.longitudeE6)
    }

    @Test func aReplacementAfterABreakdownInTheSuburbsIsJudgedWhereTheCarStoppedAndTheTripIsCompletedWithoutTheGap() async throws {
        try await TestPostgres.withDatabase { client, url in
            let t0 = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down) - 4 * 3600)
            func at(_ minutes: Double) -> Date { t0.addingTimeInterval(minutes * 60) }
            let clock = ManualClock(t0)
            let dispatch = DispatchServices(client: client, database: url, clock: clock, logger: logger)
            let crews = try await TestFleet.fleet(client)
            let agency = try await Accounts(client: client, logger: logger).createAgency(name: "市林业局")
            let zones = ServiceZones.ningbo
            let stop = Self.south(11_000)
            #expect(zones.kind(of: TestFleet.pickup.point) == .city && zones.kind(of: stop) == .suburb)

            // Picked up in the city at t0 + 30 min, to the suburbs 20 km south.
            let destination = Self.south(20_000)
            let request = BookingRequest(
                channel: .phone, agencyID: agency, contactName: "李主任", contactPhone: "057487000000", passengers: 2, vehicleClass: .sedan,
                pickupTime: at(30), pickup: TestFleet.pickup,
                destination: Place(latitudeE6: destination.latitudeE6, longitudeE6: destination.longitudeE6, address: "奉化区政府"), serviceEnd: at(270))
            let booking = try await dispatch.bookings.book(request, agencyID: agency, by: .engine, audit: nil)
            try await dispatch.bookings.move(booking.id, to: .confirmed, by: .engine)
            try await dispatch.rounds.run()
            // The agency told (the live stream delivers without an SMS provider): notified.
            try await dispatch.notifier.deliverDue()
            let first = try #require(try await dispatch.bookings.booking(id: booking.id))
            let crewA = try #require(crews.first { $0.vehicleID == first.vehicleID })
            #expect(first.state == .notified)

            // The first crew on site at the pick-up (its track), in service at the pick-up time.
            try await TestFleet.place(client, terminal: crewA.terminal, at: TestFleet.pickup.point, time: at(15))
            clock.set(at(16))
            try await dispatch.arrivals.watch()
            #expect(try await dispatch.bookings.booking(id: booking.id)?.state == .onSite)
            try await dispatch.bookings.move(booking.id, to: .inService, at: at(30), by: Actor(userID: nil, name: "driver A"))

            // Twenty minutes south at 33 km/h, a fix a minute, then the car stops 11 km south.
            for minute in 1...20 {
                try await TestFleet.place(client, terminal: crewA.terminal, at: Self.south(Double(minute) * 550), time: at(30 + Double(minute)))
            }
            // The tick holds the trip to its route: straight south, inside the corridor.
            clock.set(at(51))
            try await dispatch.arrivals.watch()
            #expect(dispatch.arrivals.trips[booking.id]?.vehicleID == crewA.vehicleID)
            // The other crews wait 3 km north of the stop (one would be sent).
            for crew in crews where crew.vehicleID != crewA.vehicleID {
                try await TestFleet.place(client, terminal: crew.terminal, at: Self.south(8_000), time: at(49))
            }
            clock.set(at(52))
            try await dispatch.rounds.replace(booking.id, by: Actor(userID: nil, name: "driver A"), reason: "breakdown: motor fault")
            try await dispatch.notifier.deliverDue()
            let replaced = try #require(try await dispatch.bookings.booking(id: booking.id))
            let replacement = try #require(replaced.transitions.last { $0.state == .replaced })
            #expect(replacement.stop?.point == stop && replacement.stop?.address == "where \(crewA.plate) stopped")
            #expect(replaced.state == .notified && replaced.vehicleID != crewA.vehicleID, "\(replaced.transitions.map(\.note))")
            let crewB = try #require(crews.first { $0.vehicleID == replaced.vehicleID })
            #expect(replaced.site.point == stop)

            // The tick watches the replacement at the stop, not at the pick-up.
            clock.set(at(53))
            try await dispatch.arrivals.watch()
            #expect(dispatch.arrivals.jobs[booking.id]?.pickup == stop && dispatch.arrivals.jobs[booking.id]?.vehicleID == crewB.vehicleID)

            // Its track as ingest stores it: 45 minutes after the breakdown it is at the stop.
            let ingested = IngestFeed()
            var deliveries = ingested.makeAsyncIterator()
            let sink = FeedingPositionSink(
                inner: PostgresPositionSink(client: client, database: url, retention: PositionRetention(), logger: logger), feed: ingested)
            func fix(_ point: GeoPoint, _ time: Date) -> PositionRecord {
                PositionRecord(
                    terminalID: crewB.terminal, gnssTime: time.epochSeconds, latitudeE6: point.latitudeE6, longitudeE6: point.longitudeE6, altitude: 5,
                    speed: 200, course: 180, alarm: 0, status: 3, mileage: nil, backfill: false)
            }
            try await sink.store([fix(Self.south(9_000), at(80)), fix(Self.south(10_000), at(90))])
            clock.set(at(91))
            try await dispatch.arrivals.heard(try #require(await deliveries.next()))
            #expect(try await dispatch.bookings.booking(id: booking.id)?.state == .notified, "a kilometre short is not there")
            try await sink.store([fix(Self.south(10_950), at(97))])
            clock.set(at(98))
            try await dispatch.arrivals.heard(try #require(await deliveries.next()))
            let onSite = try #require(try await dispatch.bookings.booking(id: booking.id))
            #expect(onSite.state == .onSite && onSite.transitions.last?.at == at(97) && onSite.transitions.last?.by == "gnss")
            #expect(onSite.transitions.last?.note == "within 150 m of where \(crewA.plate) stopped")

            // 45 minutes: within the suburbs' hour, though the city's 30 minutes are long gone;
            // the first crew's on-site clock is not run again.
            let clocks = dispatch.bookings.clocks(onSite)
            let arrival = try #require(clocks.first { $0.clock == .replacementArrival })
            #expect(arrival.state == .met && arrival.dueAt == at(52 + 60) && arrival.stoppedAt == at(97))
            #expect(clocks.first { $0.clock == .replacementStart }?.state == .met)
            #expect(clocks.filter { $0.clock == .onSite }.map(\.state) == [.met] && clocks.first { $0.clock == .onSite }?.stoppedAt == at(15))
            try await dispatch.sweeper.sweep()
            #expect(try await dispatch.alerts.slaAlerts(agencyID: agency, since: t0, limit: 50).isEmpty, "no clock breached, the route kept")

            // The trip goes on: in service again at once, completed 40 minutes later.
            try await dispatch.bookings.move(booking.id, to: .inService, at: at(97), by: Actor(userID: nil, name: "driver B"))
            for minute in 1...4 {
                try await TestFleet.place(client, terminal: crewB.terminal, at: Self.south(11_000 + Double(minute) * 2_000), time: at(97 + Double(minute) * 10))
            }
            let done = try await dispatch.bookings.move(
                booking.id, to: .completed, at: at(137), by: Actor(userID: nil, name: "driver B"),
                completion: Completion(tollsFen: 0, parkingFen: 0, receipts: []))
            #expect(
                done.transitions.map(\.state) == [
                    .received, .confirmed, .matched, .notified, .enRoute, .onSite, .inService, .replaced, .matched, .notified, .enRoute, .onSite, .inService,
                    .completed,
                ])

            // The sheet: two segments, the 45 minutes between them not charged.
            clock.set(at(140))
            let settlement = SettlementService(
                client: client, positions: PositionQueries(client: client, database: url, logger: logger), feed: LiveFeed(), events: ServiceEvents(),
                clock: clock, calendar: ZonesAndCalendar(zones: .ningbo, calendar: .china), logger: logger)
            _ = try await settlement.set(try #require(TariffBook.standard.tariffs.first { $0.vehicleClass == .sedan }), by: nil)
            let sheetID = try #require(try await settlement.drawUpSheets().first)
            let sheet = try await settlement.sheet(sheetID)
            let window = sheet.facts.window
            #expect(
                window.segments == [
                    .init(vehicleID: crewA.vehicleID, start: ChinaTime(at(30).epochSeconds), end: ChinaTime(at(52).epochSeconds)),
                    .init(vehicleID: crewB.vehicleID, start: ChinaTime(at(97).epochSeconds), end: ChinaTime(at(137).epochSeconds)),
                ])
            #expect(window.gapSeconds == 45 * 60 && window.chargedSeconds == 62 * 60)
            #expect(sheet.facts.usage.end - sheet.facts.usage.start == 62 * 60 && sheet.facts.plates == [crewA.plate, crewB.plate])
            #expect(sheet.lines.contains { $0.evidence.contains("of replacement not charged") }, "\(sheet.lines.map(\.evidence))")
        }
    }
}
