import Billing
import Dispatching
import Domain
import DomainTestSupport
import Foundation
import PostgresNIO
import PostgresTestSupport
import Store
import Testing

/// The dispatch services on a real database, with the clock given: SLA alerts, replacements.
@Suite struct DispatchServicesTests {
    let logger = TestPostgres.logger

    /// What the dispatch service does every few seconds, at `instant`: arrivals and accidents,
    /// then every clock.
    static func sweep(_ dispatch: DispatchServices, _ clock: ManualClock, at instant: Date) async throws {
        clock.set(instant)
        try await dispatch.arrivals.watch()
        try await dispatch.sweeper.sweep()
    }

    static func request(_ agency: Int64, pickupIn seconds: TimeInterval, from now: Date) -> BookingRequest {
        BookingRequest(
            channel: .phone, agencyID: agency, contactName: "李主任", contactPhone: "057487000000", passengers: 2, vehicleClass: .sedan,
            pickupTime: now.addingTimeInterval(seconds), pickup: TestFleet.pickup,
            destination: Place(latitude: 29.8750, longitude: 121.5520, address: "宁波市政府"), serviceEnd: now.addingTimeInterval(seconds + 7200)
        )
    }

    @Test func clocksAtRiskAndBreachedAreRaisedOnceAndPublished() async throws {
        try await TestPostgres.withDatabase { client, url in
            let feed = LiveFeed()
            let received = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            let clock = ManualClock(received)
            let dispatch = DispatchServices(client: client, database: url, feed: feed, clock: clock, logger: logger)
            let agency = try await Accounts(client: client, logger: logger).createAgency(name: "市审计局")
            let booking = try await Bookings(client: client, logger: logger).create(
                Self.request(agency, pickupIn: 7200, from: received), agencyID: agency, receivedAt: received, by: .engine)
            var events = feed.subscribe().makeAsyncIterator()

            // Four minutes and a half without confirmation: 90% of the 5 minutes, at risk.
            try await Self.sweep(dispatch, clock, at: received.addingTimeInterval(270))
            try await Self.sweep(dispatch, clock, at: received.addingTimeInterval(280))
            let first = try #require(await events.next())
            #expect(
                first.kind == .alert && first.agencyID == agency && first.json.contains(#""clock":"confirm""#) && first.json.contains(#""state":"atRisk""#),
                "\(first.json)")
            // Past the 5 minutes: breached, once however many sweeps see it.
            try await Self.sweep(dispatch, clock, at: received.addingTimeInterval(301))
            try await Self.sweep(dispatch, clock, at: received.addingTimeInterval(400))
            let second = try #require(await events.next())
            #expect(second.json.contains(#""state":"breached""#))
            let alerts = try await dispatch.alerts.slaAlerts(agencyID: agency, since: received.addingTimeInterval(-60), limit: 10)
            #expect(alerts.map(\.state) == [.breached, .atRisk] && alerts.allSatisfy { $0.bookingID == booking.id && $0.clock == .confirm })
        }
    }

    @Test func aBreakdownIsReplacedFromTheReserveAndTheBrokenCrewIsNotSentAgain() async throws {
        try await TestPostgres.withDatabase { client, url in
            let now = Date()
            let clock = ManualClock(now)
            let dispatch = DispatchServices(client: client, database: url, clock: clock, logger: logger)
            let files = FleetFiles(client: client, logger: logger), registry = PostgresTerminalRegistry(client: client, logger: logger)
            let agency = try await Accounts(client: client, logger: logger).createAgency(name: "市统计局")
            var crews: [(vehicleID: Int64, driverID: Int64)] = []
            for (index, east) in [(0, 800.0), (1, 300.0)] {
                let plate = "浙B1000\(index)D", phone = "01391000000\(index)"
                crews.append(try await SampleFiles.provision(plate: plate, index: index, files: files, now: Date()))
                try await registry.bind(phone: phone, plate: plate, terminalID: String(phone.suffix(7)))
                try await TestFleet.place(client, terminal: try await TestFleet.terminalID(client, phone), eastMetres: east)
            }
            // The nearer crew is the spare one.
            var spare = try #require(try await files.vehicle(id: crews[1].vehicleID))
            spare.reserve = true
            _ = try await files.saveVehicle(spare)

            let booking = try await dispatch.bookings.book(Self.request(agency, pickupIn: 3 * 3600, from: now), agencyID: agency, by: .engine, audit: nil)
            try await dispatch.bookings.move(booking.id, to: .confirmed, by: .engine)
            // Not urgent: the reserve is kept back although it is nearer.
            let round = try await dispatch.rounds.run()
            #expect(round.matched == [booking.id])
            #expect(try await dispatch.bookings.booking(id: booking.id)?.vehicleID == crews[0].vehicleID)
            // Notified once its notice is delivered (on the live stream: no SMS provider here).
            #expect(try await dispatch.notifier.deliverDue() == 1)
            let why = try #require(try await dispatch.rounds.explain(booking.id))
            #expect(why.crews.first { $0.vehicleID == crews[1].vehicleID }?.verdict == "keptInReserve", "\(why.crews)")

            // The car breaks down: replaced at once, by the spare crew, and the clocks say so.
            clock.set(now.addingTimeInterval(60))
            let replaced = try await dispatch.rounds.replace(booking.id, by: Actor(userID: nil, name: "driver"), reason: "breakdown: battery fault")
            #expect(replaced.state == .matched && replaced.vehicleID == crews[1].vehicleID && replaced.driverID == crews[1].driverID)
            #expect(try await dispatch.notifier.deliverDue() == 1)
            let renotified = try #require(try await dispatch.bookings.booking(id: booking.id))
            #expect(renotified.transitions.map(\.state).suffix(3) == [.replaced, .matched, .notified] && renotified.transitions.last?.by == "notifier")
            clock.set(now.addingTimeInterval(120))
            let clocks = dispatch.bookings.clocks(replaced)
            #expect(clocks.first { $0.clock == .replacementStart }?.state == .met)
            #expect(clocks.first { $0.clock == .replacementArrival }?.state == .running)

            // The spare's terminal raises a collision alarm: the sweep replaces it on its own,
            // and with no crew left but the broken ones, the booking waits for one.
            let terminal = try await TestFleet.terminalID(client, "013910000001")
            try await client.query(
                """
                INSERT INTO events (terminal_id, kind, occurred_at, lat_e6, lon_e6, speed_dkmh) VALUES (\(terminal), 'collisionWarning', \(now.addingTimeInterval(90)), 0, 0, 0)
                """, logger: logger)
            try await Self.sweep(dispatch, clock, at: now.addingTimeInterval(300))
            // The round the replacement wakes the dispatch loop for.
            try await dispatch.rounds.run()
            let again = try #require(try await dispatch.bookings.booking(id: booking.id))
            #expect(again.state == .replaced && again.transitions.last?.by == "gnss" && again.transitions.last?.note == "terminal alarm collisionWarning")
        }
    }

    /// A fix stored through the sinks ingest uses moves the watched crew on site from the feed
    /// alone (the fix is gone from the track by the time the watch hears of it: nothing read it),
    /// and an accident alarm recorded the same way replaces the crew.
    @Test func arrivalsAndAccidentsComeFromWhatIngestStores() async throws {
        try await TestPostgres.withDatabase { client, url in
            let start = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            let clock = ManualClock(start)
            let dispatch = DispatchServices(client: client, database: url, clock: clock, logger: logger)
            let crews = try await TestFleet.fleet(client)
            let agency = try await Accounts(client: client, logger: logger).createAgency(name: "市交通局")
            let booking = try await dispatch.bookings.book(Self.request(agency, pickupIn: 3 * 3600, from: start), agencyID: agency, by: .engine, audit: nil)
            try await dispatch.bookings.move(booking.id, to: .confirmed, by: .engine)
            try await dispatch.rounds.run()
            try await dispatch.notifier.deliverDue()
            let notified = try #require(try await dispatch.bookings.booking(id: booking.id))
            let crew = try #require(crews.first { $0.vehicleID == notified.vehicleID })
            #expect(notified.state == .notified)
            // The tick watches the job; its track since notified has the crew 500 m or more away.
            try await Self.sweep(dispatch, clock, at: start.addingTimeInterval(60))
            #expect(dispatch.arrivals.jobs[booking.id]?.vehicleID == crew.vehicleID)
            #expect(try await dispatch.bookings.booking(id: booking.id)?.state == .notified)

            let ingested = IngestFeed()
            var deliveries = ingested.makeAsyncIterator()
            let positions = FeedingPositionSink(
                inner: PostgresPositionSink(client: client, database: url, retention: PositionRetention(), logger: logger), feed: ingested)
            let arrival = start.addingTimeInterval(90), pickup = TestFleet.pickup.point
            let fix = PositionRecord(
                terminalID: crew.terminal, gnssTime: arrival.epochSeconds, latitudeE6: pickup.latitudeE6, longitudeE6: pickup.longitudeE6 + 500,
                altitude: 5, speed: 0, course: 90, alarm: 0, status: 3, mileage: nil, backfill: false)
            try await positions.store([fix])
            let delivery = try #require(await deliveries.next())
            #expect(delivery == .positions([fix]))
            try await client.query("DELETE FROM positions WHERE terminal_id = \(crew.terminal) AND gnss_time = \(arrival)", logger: logger)
            clock.set(start.addingTimeInterval(120))
            try await dispatch.arrivals.heard(delivery)
            let onSite = try #require(try await dispatch.bookings.booking(id: booking.id))
            #expect(onSite.state == .onSite && onSite.transitions.suffix(2).map(\.state) == [.enRoute, .onSite])
            #expect(onSite.transitions.last?.at == arrival && onSite.transitions.last?.by == "gnss")

            // The vehicle rolls over: recorded as ingest records it, the crew is replaced.
            let events = FeedingEventSink(inner: PostgresEventSink(client: client, logger: logger), feed: ingested)
            try await events.record([
                VehicleEvent(
                    terminalID: crew.terminal, kind: "rolloverWarning", occurredAt: arrival.epochSeconds + 30, latitudeE6: pickup.latitudeE6,
                    longitudeE6: pickup.longitudeE6, speed: 0)
            ])
            try await dispatch.arrivals.heard(try #require(await deliveries.next()))
            let replaced = try #require(try await dispatch.bookings.booking(id: booking.id))
            #expect(
                replaced.state == .replaced && replaced.transitions.last?.by == "gnss" && replaced.transitions.last?.note == "terminal alarm rolloverWarning")
            // The loop's next round (the move woke it) never sends the crew in the accident again.
            try await dispatch.rounds.run()
            let after = try #require(try await dispatch.bookings.booking(id: booking.id))
            #expect(after.state == .replaced || (after.state == .matched && after.vehicleID != crew.vehicleID), "\(after.state)")
        }
    }

    @Test func careClocksCallbackAndComplaintContactRaiseAlerts() async throws {
        try await TestPostgres.withDatabase { client, url in
            let start = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down) - 3600)
            let clock = ManualClock(start)
            let dispatch = DispatchServices(client: client, database: url, clock: clock, logger: logger)
            let care = CustomerCare(client: client, logger: logger), store = Bookings(client: client, logger: logger)
            let agency = try await Accounts(client: client, logger: logger).createAgency(name: "市民政局")
            let booking = try await store.create(Self.request(agency, pickupIn: 600, from: start), agencyID: agency, receivedAt: start, by: .engine)
            // The crew ids are not checked by the lifecycle; the trip's steps are what count here.
            for (step, state) in [BookingState.confirmed, .matched, .notified, .enRoute, .onSite, .inService, .completed].enumerated() {
                try await store.move(booking.id, to: state, at: start.addingTimeInterval(TimeInterval(60 * (step + 1))), by: .engine)
            }
            let completed = start.addingTimeInterval(420)
            let complaint = try await care.file(agencyID: agency, bookingID: booking.id, text: "迟到了", at: completed)

            // 20 hours on: the callback (24 h) is at risk; 13 hours on, the complaint's contact (12 h) was breached.
            try await Self.sweep(dispatch, clock, at: completed.addingTimeInterval(20 * 3600))
            let alerts = try await dispatch.alerts.slaAlerts(agencyID: agency, since: start, limit: 50)
            let callback = alerts.first { $0.clock == .callback }
            #expect(callback?.state == .atRisk && callback?.bookingID == booking.id && callback?.dueAt == completed.addingTimeInterval(24 * 3600))
            let contact = alerts.first { $0.clock == .complaintContact }
            #expect(contact?.state == .breached && contact?.complaintID == complaint.id && contact?.bookingID == nil)

            // Once called back and contacted, no clock runs: nothing new however late the sweep.
            #expect(try await care.callback(bookingID: booking.id, at: completed.addingTimeInterval(21 * 3600), satisfaction: 4, note: "", by: nil))
            #expect(try await care.contacted(complaint.id, at: completed.addingTimeInterval(21 * 3600)))
            try await Self.sweep(dispatch, clock, at: completed.addingTimeInterval(30 * 3600))
            #expect(try await dispatch.alerts.slaAlerts(agencyID: agency, since: start, limit: 50).count == alerts.count)
        }
    }

    /// Two bookings, one confirmed in a minute and one after 400 s: half confirmed in time,
    /// the late one as the evidence; the match clocks still run and do not count yet.
    @Test func indicatorsCountMetAndBreachedClocksWithTheirEvidence() async throws {
        try await TestPostgres.withDatabase { client, url in
            let store = Bookings(client: client, logger: logger)
            let agency = try await Accounts(client: client, logger: logger).createAgency(name: "市水利局")
            let start = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down) - 1800)
            let quick = try await store.create(Self.request(agency, pickupIn: 7200, from: start), agencyID: agency, receivedAt: start, by: .engine)
            let slow = try await store.create(Self.request(agency, pickupIn: 7200, from: start), agencyID: agency, receivedAt: start, by: .engine)
            try await store.move(quick.id, to: .confirmed, at: start.addingTimeInterval(60), by: .engine)
            try await store.move(slow.id, to: .confirmed, at: start.addingTimeInterval(400), by: .engine)
            let records = try await store.active(from: start.addingTimeInterval(-60), to: start.addingTimeInterval(60))
            let indicators = FleetIndicators(
                bookings: records, complaints: [], callbacks: [:], from: start.addingTimeInterval(-60), to: start.addingTimeInterval(3600),
                now: start.addingTimeInterval(500), terms: ZonesAndCalendar(zones: .ningbo, calendar: .china)
            )
            #expect(indicators.measurements["confirmedInTime"] == .rate(5000) && indicators.evidence["confirmedInTime"] == [slow.id])
            #expect(indicators.measurements["matchedInTime"] == nil && indicators.measurements["callbackInTime"] == nil)
            #expect(indicators.measurements["replacementStartLate"] == .incidents(0))
            // Outside the period, nothing counts.
            let later = FleetIndicators(
                bookings: records, complaints: [], callbacks: [:], from: start.addingTimeInterval(60), to: start.addingTimeInterval(3600),
                now: start.addingTimeInterval(500), terms: ZonesAndCalendar(zones: .ningbo, calendar: .china))
            #expect(later.measurements["confirmedInTime"] == nil)
        }
    }
}
