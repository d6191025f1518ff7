import Dispatching
import Domain
import DomainTestSupport
import Foundation
import Gateway
import JT808
import NIOCore
import PostgresNIO
import PostgresTestSupport
import ServiceLifecycle
import ServiceTestSupport
import Store
import TerminalSimulator
import TerminalTestSupport
import Testing

/// Issue 17: the state of charge a terminal reports through its device profile, over the real
/// gateway into real PostgreSQL, is what dispatch judges by, with its age: unknown, low, high,
/// stale; and a committed trip its projected charge cannot serve raises one low-charge alert.
@Suite struct ChargeFromTerminalTests {
    let logger = TestPostgres.logger

    static let profiles: DeviceProfileCatalog = {
        let folder = TestPostgres.repository.appendingPathComponent("DeviceProfiles")
        let files = try! FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil).filter { $0.pathExtension == "json" }
        return try! DeviceProfileCatalog(files: files.map { (path: $0.path, json: try! Data(contentsOf: $0)) })
    }()

    /// A trip from the pick-up to the airport, 9.3 km as the crow flies: 15 % of a 100 km battery
    /// with the detour and the margin.
    static func request(_ agency: Int64, pickupAt pickup: Date) -> BookingRequest {
        BookingRequest(
            channel: .phone, agencyID: agency, contactName: "李主任", contactPhone: "057487000000", passengers: 2, vehicleClass: .sedan,
            pickupTime: pickup, pickup: TestFleet.pickup, destination: Place(latitude: 29.8260, longitude: 121.4610, address: "栎社国际机场"),
            serviceEnd: pickup.addingTimeInterval(4 * 3600))
    }

    /// Runs a gateway on real PostgreSQL with the repository's device profiles, dated by `clock`.
    func withGateway(
        _ client: PostgresClient, _ positions: PostgresPositionSink, clock: ManualClock, _ body: @Sendable (_ port: Int) async throws -> Void
    ) async throws {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = GatewayServer(
            configuration: .init(host: "127.0.0.1", port: 0), registry: PostgresTerminalRegistry(client: client, logger: logger), sink: positions,
            events: PostgresEventSink(client: client, logger: logger), media: PostgresMediaSink(client: client, logger: logger), clock: clock,
            logger: logger, profiles: Self.profiles, onListening: { continuation.yield($0) })
        try await ServiceGroup(services: [server], logger: logger).whileRunning {
            var iterator = ports.makeAsyncIterator()
            try await body(try #require(await iterator.next()))
        }
    }

    @Test func theReportedChargeMovesTheVehicleInAndOutOfEligibilityAndAShortTripIsAlertedOnce() async throws {
        try await TestPostgres.withDatabase { client, url in
            let start = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            let clock = ManualClock(start)
            let dispatch = DispatchServices(client: client, database: url, clock: clock, logger: logger)
            let files = FleetFiles(client: client, logger: logger)
            let plate = "浙BD00001", phone = "013900000001", terminalID = "0000001"
            let (vehicleID, _) = try await SampleFiles.provision(plate: plate, index: 0, files: files, now: start)
            // A small battery, so that a short trip tells a low charge from a high one.
            var small = try #require(try await files.vehicle(id: vehicleID))
            small.rangeKm = 100
            _ = try await files.saveVehicle(small)
            try await PostgresTerminalRegistry(client: client, logger: logger).bind(
                phone: phone, plate: plate, terminalID: terminalID, deviceProfile: SimulatedBattery.deviceProfile)
            _ = try await PositionRetention().maintain(client: client, today: CivilDate(chinaDayOf: start.epochSeconds).description, logger: logger)
            let agency = try await Accounts(client: client, logger: logger).createAgency(name: "市发改委")
            let booking = try await dispatch.bookings.book(
                Self.request(agency, pickupAt: start.addingTimeInterval(40 * 60)), agencyID: agency, by: .engine, audit: nil)
            try await dispatch.bookings.move(booking.id, to: .confirmed, by: .engine)
            @Sendable func reasons(_ id: Int64) async throws -> (verdict: String, reasons: [String]) {
                let crew = try #require(try await dispatch.rounds.explain(id)?.crews.first { $0.vehicleID == vehicleID })
                return (crew.verdict, crew.reasons)
            }

            // Never reported: not full, unknown.
            let unknown = try await reasons(booking.id)
            #expect(unknown.verdict == "ineligible" && unknown.reasons.contains("state of charge never reported"), "\(unknown)")

            let positions = PostgresPositionSink(client: client, database: url, retention: PositionRetention(), logger: logger, now: { clock.now })
            try await withGateway(client, positions, clock: clock) { port in
                try await withTerminalConnection(port: port) { send, receive in
                    // The simulated car, by the pick-up, its battery as the profile lays it out.
                    var route = Route(homeLatitude: TestFleet.pickup.latitude, homeLongitude: TestFleet.pickup.longitude, radiusKm: 0.3, seed: 17)
                    var terminal = TestTerminal(phone)
                    let registration = Registration(
                        province: 33, city: 200, manufacturer: "FLEET", model: "SIM-808", terminalID: terminalID, plateColor: 5, plate: plate)
                    try await send(terminal.frame(.registration(registration)))
                    guard case .registrationResponse(let registered)? = try await receive(), let code = registered.authCode else {
                        Issue.record("not registered")
                        return
                    }
                    try await send(terminal.frame(.authentication(Authentication(authCode: code))))
                    #expect(try await receive() == .platformResponse(GeneralResponse(replySerial: 1, replyID: 0x0102, result: .success)))
                    /// Reports `percent` at the clock's time, acknowledged once stored; the
                    /// latest positions and charge written as the server does every second.
                    func report(_ percent: Double) async throws {
                        route.advance(seconds: 10)
                        let serial = terminal.serial
                        let items = SimulatedBattery(percent: percent).items
                        try await send(terminal.frame(.location(route.report(at: clock.now.epochSeconds, vendorItems: items))))
                        #expect(try await receive() == .platformResponse(GeneralResponse(replySerial: serial, replyID: 0x0200, result: .success)))
                        try await positions.flushLatest()
                    }

                    // 5 %: with the half hour parked before leaving, still short of the 15 % the trip needs.
                    try await report(5)
                    let low = try await reasons(booking.id)
                    #expect(
                        low.verdict == "ineligible" && low.reasons.contains { $0.hasPrefix("charge ") && $0.hasSuffix("% the trip needs") }
                            && !low.reasons.contains("state of charge never reported"), "\(low)")
                    let standing = try await dispatch.files.dossier(plate: plate).standing
                    #expect(standing.reasons.contains("charge 5% below the 20% the trip needs"), "\(standing.reasons)")

                    // Charged to 80 %, reported a minute later: the crew is chosen, and matched.
                    clock.set(start.addingTimeInterval(60))
                    try await report(80)
                    #expect(try await reasons(booking.id).verdict == "chosen")
                    try await dispatch.rounds.run()
                    #expect(try await dispatch.bookings.booking(id: booking.id)?.vehicleID == vehicleID)

                    // Down to 5 % again before setting off: the trip cannot be served on the
                    // projected charge, no other crew can take it, one alert however many rounds.
                    clock.set(start.addingTimeInterval(120))
                    try await report(5)
                    for _ in 0..<3 { try await dispatch.sweeper.alert(try await dispatch.rounds.run().stranded) }
                    let alerts = try await dispatch.alerts.slaAlerts(agencyID: agency, since: start.addingTimeInterval(-60), limit: 20)
                    #expect(alerts.filter { $0.clock == .lowCharge }.map(\.bookingID) == [booking.id], "\(alerts)")
                    #expect(!alerts.contains { $0.clock == .crewLost })
                    let kept = try #require(try await dispatch.bookings.booking(id: booking.id))
                    #expect(kept.vehicleID == vehicleID && (kept.state == .matched || kept.state == .notified))
                }
            }

            // Three hours without a report: what the battery holds is no longer known.
            clock.set(start.addingTimeInterval(3 * 3600))
            let later = try await dispatch.bookings.book(
                Self.request(agency, pickupAt: clock.now.addingTimeInterval(40 * 60)), agencyID: agency, by: .engine, audit: nil)
            try await dispatch.bookings.move(later.id, to: .confirmed, by: .engine)
            let stale = try await reasons(later.id)
            #expect(stale.reasons.contains("state of charge last reported \((3 * 3600 - 120) / 60) minutes ago"), "\(stale)")
        }
    }

    /// A committed crew whose charge no longer covers the trip is replaced by one whose does,
    /// with the reason in the note, and no alert: someone serves the booking.
    @Test func aTripShortOfChargeMovesToACrewThatCanServeIt() async throws {
        try await TestPostgres.withDatabase { client, url in
            let files = FleetFiles(client: client, logger: logger)
            // Three crews reporting 90 % now, on 100 km batteries.
            for crew in try await TestFleet.fleet(client) {
                var file = try #require(try await files.vehicle(id: crew.vehicleID))
                file.rangeKm = 100
                _ = try await files.saveVehicle(file)
            }
            // The test's time starts once the crews have reported (by the wall clock): on a loaded
            // machine that took over a minute, and their 90 % then outdated the driver's 3 % below.
            let start = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            let clock = ManualClock(start)
            let dispatch = DispatchServices(client: client, database: url, clock: clock, logger: logger)
            let agency = try await Accounts(client: client, logger: logger).createAgency(name: "市商务局")
            let booking = try await dispatch.bookings.book(
                Self.request(agency, pickupAt: start.addingTimeInterval(40 * 60)), agencyID: agency, by: .engine, audit: nil)
            try await dispatch.bookings.move(booking.id, to: .confirmed, by: .engine)
            try await dispatch.rounds.run()
            let first = try #require(try await dispatch.bookings.booking(id: booking.id)?.vehicleID)

            // Its driver reads 3 % off the display a minute later.
            clock.set(start.addingTimeInterval(60))
            try await dispatch.files.setStateOfCharge(vehicleID: first, percent: 3, byDriverUser: nil, audit: nil)
            let round = try await dispatch.rounds.run()
            #expect(round.replanned == [booking.id] && round.stranded.isEmpty, "\(round)")
            let moved = try #require(try await dispatch.bookings.booking(id: booking.id))
            #expect(moved.vehicleID != first && moved.vehicleID != nil)
            #expect(moved.transitions.last?.note.contains("cannot serve on its charge: charge") == true, "\(moved.transitions)")
            try await dispatch.sweeper.alert(round.stranded)
            #expect(try await dispatch.alerts.slaAlerts(agencyID: agency, since: start.addingTimeInterval(-60), limit: 20).isEmpty)
        }
    }
}
