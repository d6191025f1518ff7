import Dispatching
import Domain
import Foundation
import HTTPAPI
import Logging
import PostgresNIO
import ServiceLifecycle
import Settlement
import Store
import TerminalSimulator

/// The demo's people: three agencies booking cars through the day (some days ahead; the third
/// agency's bookings wait for its approver), a dispatcher confirming them, and the crews driving
/// to their jobs, one car a day breaking down on the road. The engine (`DispatchService`) does
/// the matching, replacements included, and the track decides when a crew is on site, as in
/// production; this plays only what people would do: book, approve, confirm, drive, start and
/// finish the service, report a breakdown, sign the settlement sheet. A few days of past trips
/// are recorded first, so that sheets and statements exist at once.
struct DemoOperations: Service {
    let client: PostgresClient
    let dispatch: DispatchServices
    let settlement: SettlementService
    let fleet: FleetSimulator
    let destinations: Destinations
    let readiness: Readiness
    /// Where the API listens, for the hint in the log.
    let httpPort: Int
    /// The demo's data directory: its users' password is kept there.
    let dataDirectory: URL
    /// How long the demo's dispatcher leaves a received booking to the console's.
    static let confirmAfter: TimeInterval = 90
    /// A new booking every this long.
    var bookingInterval: Duration = .seconds(45)
    let logger: Logger

    static let agencies = ["宁波市机关事务管理局", "宁波市财政局", "宁波市教育局"]
    /// The agency whose users' bookings wait for its approver (`approver3`).
    static let approvingAgency = 2
    /// Places around Ningbo the agencies go to and from.
    static let places: [Place] = [
        Place(latitude: 29.8683, longitude: 121.5440, address: "天一广场"), Place(latitude: 29.8750, longitude: 121.5520, address: "宁波市政府"),
        Place(latitude: 29.8260, longitude: 121.4610, address: "栎社国际机场"), Place(latitude: 29.8640, longitude: 121.5960, address: "宁波东站"),
        Place(latitude: 29.9030, longitude: 121.5610, address: "宁波大学"), Place(latitude: 29.8180, longitude: 121.5580, address: "鄞州区政府"),
        Place(latitude: 29.8920, longitude: 121.4860, address: "宁波国际会展中心"), Place(latitude: 29.8560, longitude: 121.5230, address: "宁波市第一医院"),
    ]

    func run() async throws {
        try await cancelWhenGracefulShutdown { try await readiness.wait() }
        let (agencyIDs, humanDriver) = try await provision()
        let dispatcher = Actor(userID: nil, name: "demo dispatcher")
        var random = SplitMix64(seed: 808)
        var nextBooking = ContinuousClock.now
        var history = try await SampleTrips.recorded(client: client, logger: logger)
        var breakdowns: Set<CivilDate> = []
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                if !history { history = try await recordHistory(agencyIDs) }
                try await signSheets(agencyIDs)
                if ContinuousClock.now >= nextBooking {
                    try await book(agencyIDs.randomElement(using: &random)!, random: &random)
                    nextBooking = .now + bookingInterval
                }
                for record in try await dispatch.bookings.open() {
                    if record.driverID != nil, record.driverID == humanDriver {
                        try await drive(record)
                    } else {
                        try await play(record, dispatcher: dispatcher, breakdowns: &breakdowns)
                    }
                }
            } catch {
                logger.warning("demo operations: \(String(reflecting: error)); going on")
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(3)) }
        }
    }

    /// Agencies, a user for each role, and complete files for every simulated vehicle; the
    /// driver whose login (`driver1`) is a person's, not the demo's.
    func provision() async throws -> (agencies: [Int64], humanDriver: Int64?) {
        let accounts = Accounts(client: client, logger: logger), files = FleetFiles(client: client, logger: logger)
        var agencyIDs: [Int64] = []
        for name in Self.agencies { agencyIDs.append(try await accounts.createAgency(name: name)) }
        let password = try DemoPassword.load(dataDirectory: dataDirectory, logger: logger)
        let hash = await PasswordHash.hash(password)
        let users: [(String, Role, Int64?)] =
            [("admin", .administrator, nil), ("dispatcher", .dispatcher, nil), ("auditor", .auditor, nil)]
            + agencyIDs.enumerated().map { ("agency\($0.offset + 1)", .agency, $0.element) }
            + [("approver\(Self.approvingAgency + 1)", .approver, agencyIDs[Self.approvingAgency])]
        for (name, role, agency) in users {
            do {
                _ = try await accounts.createUser(username: name, passwordHash: hash, role: role.rawValue, agencyID: agency)
            } catch is Accounts.UsernameTaken {
                // From an earlier run: the password is the file's, whatever it was then.
                _ = try await accounts.setPasswordHash(username: name, hash)
            }
        }
        try await accounts.setRequiresApproval(agencyID: agencyIDs[Self.approvingAgency], true, audit: nil)
        for (index, terminal) in fleet.terminals.enumerated() {
            // Filed on an earlier run of the demo (its database is kept): left as it is.
            if let id = try await files.vehicle(plate: terminal.plate)?.id, !(try await files.policies(vehicleID: id)).isEmpty { continue }
            try await SampleFiles.provision(plate: terminal.plate, index: index, files: files, now: dispatch.clock.now)
        }
        let humanDriver = try await driverLogin(hash: hash, files: files, accounts: accounts)
        let file = DemoPassword.file(dataDirectory).path
        logger.notice(
            "demo accounts",
            metadata: [
                "users": "\(users.map(\.0).joined(separator: ", "))", "password in": "\(file)",
                "try": #"curl -s -X POST http://127.0.0.1:\#(httpPort)/api/v1/sessions -d "{\"username\":\"dispatcher\",\"password\":\"$(cat \#(file))\"}""#,
            ])
        return (agencyIDs, humanDriver)
    }

    /// `driver1`, the login of the first car's driver, for the console's phone screen: the demo
    /// leaves that driver's steps to whoever signs in, and only drives the car (`drive`).
    func driverLogin(hash: String, files: FleetFiles, accounts: Accounts) async throws -> Int64? {
        guard let plate = fleet.terminals.first?.plate, let vehicleID = try await files.vehicle(plate: plate)?.id,
            var driver = try await files.drivers().first(where: { $0.vehicleID == vehicleID })
        else { return nil }
        if driver.userID == nil {
            let user: Accounts.User
            do {
                user = try await accounts.createUser(username: "driver1", passwordHash: hash, role: Role.driver.rawValue, agencyID: nil)
            } catch is Accounts.UsernameTaken {
                return driver.id
            }
            driver.userID = user.id
            driver = try await files.saveDriver(driver)
        }
        return driver.id
    }

    /// A person's job: the car goes where the driver's last step sends it (to the pick-up once
    /// en route, to the destination once in service); the steps are the person's.
    func drive(_ record: BookingRecord) async throws {
        guard let plate = try await plate(record.vehicleID) else { return }
        switch record.state {
        case .enRoute: destinations.send(plate, to: (record.site.latitude, record.site.longitude))
        case .inService: destinations.send(plate, to: (record.request.destination.latitude, record.request.destination.longitude))
        default: break
        }
    }

    /// A booking of an agency, from one place to another, made by its own user: one in four
    /// urgent (pick-up 20 to 55 minutes ahead), one in five 1 to 3 days ahead (a third of those
    /// for two days), the others 65 minutes to 3 hours ahead.
    func book(_ agency: Int64, random: inout SplitMix64) async throws {
        let from = Self.places.randomElement(using: &random)!
        var to = Self.places.randomElement(using: &random)!
        while to == from { to = Self.places.randomElement(using: &random)! }
        let minutes =
            switch Int.random(in: 0..<20, using: &random) {
            case 0..<5: Int.random(in: 20...55, using: &random)
            case 5..<9: Int.random(in: 1...3, using: &random) * 1440 + Int.random(in: -120...120, using: &random)
            default: Int.random(in: 65...180, using: &random)
            }
        let pickup = dispatch.clock.now.addingTimeInterval(TimeInterval(minutes * 60))
        let days = minutes > 1440 && Int.random(in: 0..<3, using: &random) == 0 ? 2 : 0
        var request = BookingRequest(
            channel: [.phone, .platform, .contact].randomElement(using: &random)!, agencyID: agency,
            contactName: ["李主任", "王处长", "陈科长"].randomElement(using: &random)!,
            contactPhone: "0574-8718\(Int.random(in: 1000...9999, using: &random))", passengers: Int.random(in: 1...4, using: &random), vehicleClass: .sedan,
            pickupTime: pickup, pickup: from, destination: to, serviceEnd: pickup.addingTimeInterval(TimeInterval(days * 86_400 + 3600))
        )
        // A city ride is often booked as a transfer, priced per trip.
        if Int.random(in: 0..<3, using: &random) == 0 { request.transfer = true }
        let record = try await dispatch.bookings.book(request, agencyID: agency, byAgency: true, by: Actor(userID: nil, name: "demo agency"), audit: nil)
        logger.info(
            "demo booking",
            metadata: [
                "booking": "\(record.id)", "from": "\(from.address)", "to": "\(to.address)", "pickup in minutes": "\(minutes)", "urgent": "\(record.urgent)",
                "state": "\(record.state.rawValue)",
            ])
    }

    /// What the people of a booking do next: the agency's approver approves (one in ten refused);
    /// the dispatcher confirms; the crew drives to the pick-up (or where the car it replaces
    /// stopped), starts the service at the pick-up time, drives to the destination and finishes.
    /// The first car each day that has been in service for 5 minutes breaks down on the road.
    func play(_ record: BookingRecord, dispatcher: Actor, breakdowns: inout Set<CivilDate>) async throws {
        if record.state == .awaitingApproval {
            let approver = Actor(userID: nil, name: "demo approver")
            if record.id % 10 == 0 {
                try await dispatch.bookings.refuse(record.id, reason: "会议取消，无需用车", by: approver, audit: nil)
            } else {
                try await dispatch.bookings.approve(record.id, by: approver, audit: nil)
            }
            return
        }
        guard let plate = try await plate(record.vehicleID) else {
            // At a person's pace (the clock allows 5 minutes): a dispatcher at the console confirms first.
            if record.state == .received, record.transitions.last.map({ dispatch.clock.now.timeIntervalSince($0.at) >= Self.confirmAfter }) ?? true {
                try await dispatch.bookings.move(record.id, to: .confirmed, by: dispatcher)
            }
            return
        }
        let crew = Actor(userID: nil, name: "demo driver \(plate)")
        let today = CivilDate(chinaDayOf: dispatch.clock.now.epochSeconds)
        switch record.state {
        case .notified where record.request.pickupTime.timeIntervalSince(dispatch.clock.now) < 3 * 3600:
            let site = record.site
            destinations.send(plate, to: (site.latitude, site.longitude))
            try await dispatch.bookings.move(record.id, to: .enRoute, by: crew, note: "pre-trip check passed")
        case .inService where !breakdowns.contains(today) && record.transitions.last.map({ dispatch.clock.now.timeIntervalSince($0.at) >= 300 }) ?? false:
            breakdowns.insert(today)
            destinations.send(plate, to: nil)
            try await dispatch.rounds.replace(record.id, by: crew, reason: "breakdown: battery fault warning on the road")
            logger.notice("demo breakdown on the road", metadata: ["booking": "\(record.id)", "plate": "\(plate)"])
        case .onSite where dispatch.clock.now >= record.request.pickupTime:
            destinations.send(plate, to: (record.request.destination.latitude, record.request.destination.longitude))
            try await dispatch.bookings.move(record.id, to: .inService, by: crew)
        case .inService:
            let destination = record.request.destination.point
            guard let position = try await DispatchFacts(client: client, logger: logger).vehicles(ids: [record.vehicleID!])[record.vehicleID!]?.position,
                TrackDistance.meters(
                    fromLatitudeE6: position.latitudeE6, longitudeE6: position.longitudeE6, toLatitudeE6: destination.latitudeE6,
                    longitudeE6: destination.longitudeE6) < 150
            else { return }
            destinations.send(plate, to: nil)
            let completion = Completion(tollsFen: 0, parkingFen: 500, receipts: ["P-\(record.id)"])
            try await dispatch.bookings.move(record.id, to: .completed, by: crew, completion: completion)
        default: break
        }
    }

    /// Three days of past trips, four a day, once the simulated terminals are bound to their
    /// vehicles (the tracks are theirs); false until then.
    func recordHistory(_ agencyIDs: [Int64]) async throws -> Bool {
        let crews = try await SampleTrips.crews(client: client, logger: logger)
        guard crews.count >= fleet.terminals.count / 2, !crews.isEmpty else { return false }
        var random = SplitMix64(seed: 2026)
        let today = CivilDate(chinaDayOf: dispatch.clock.now.epochSeconds)
        for daysAgo in 1...3 {
            let day = CivilDate(daysSince1970: today.daysSince1970 - Int64(daysAgo))
            for trip in 0..<4 {
                let from = Self.places.randomElement(using: &random)!
                var to = Self.places.randomElement(using: &random)!
                while to == from { to = Self.places.randomElement(using: &random)! }
                let pickup = Date(timeIntervalSince1970: TimeInterval(day.chinaMidnight + Int64(9 + 2 * trip) * 3600))
                let completion =
                    trip == 1
                    ? Completion(tollsFen: 1_500, parkingFen: 0, receipts: ["T-\(day)-\(trip)"])
                    : Completion(tollsFen: 0, parkingFen: 500, receipts: ["P-\(day)-\(trip)"])
                _ = try await SampleTrips.record(
                    client: client, logger: logger, agencyID: agencyIDs[(daysAgo + trip) % agencyIDs.count], crew: crews[(daysAgo * 4 + trip) % crews.count],
                    from: from, to: to, pickup: pickup, contact: "李主任", completion: completion
                )
            }
        }
        logger.notice("demo history: 12 past trips recorded")
        return true
    }

    /// The agencies' contacts sign the sheets drawn up for them; the dispatcher clears the
    /// flagged ones (in the demo the driver's figures are the system's).
    /// The agencies' contacts sign their sheets, but the first agency's: `agency1` signs or
    /// disputes its own at the console.
    func signSheets(_ agencyIDs: [Int64]) async throws {
        let contact = Actor(userID: nil, name: "demo agency contact"), dispatcher = Actor(userID: nil, name: "demo dispatcher")
        for sheet in try await settlement.sheets(agencyID: nil, states: [.review], before: nil, limit: 100) {
            _ = try await settlement.resolve(sheet.id, note: "checked against the track", adjustments: [], actor: dispatcher, audit: nil)
        }
        for sheet in try await settlement.sheets(agencyID: nil, states: [.issued], before: nil, limit: 100) where sheet.facts.agencyID != agencyIDs.first {
            _ = try await settlement.confirm(sheet.id, signedBy: "李主任", actor: contact)
        }
    }

    func plate(_ vehicleID: Int64?) async throws -> String? {
        guard let vehicleID else { return nil }
        return try await FleetFiles(client: client, logger: logger).vehicle(id: vehicleID)?.plate
    }
}

/// The demo users' password: generated for the data directory on its first run, printed once
/// then, and kept in `demo-password` there (mode 0600), never in the log.
enum DemoPassword {
    static func file(_ dataDirectory: URL) -> URL { dataDirectory.appendingPathComponent("demo-password") }

    static func load(dataDirectory: URL, logger: Logger) throws -> String {
        let file = file(dataDirectory)
        if let kept = try? String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !kept.isEmpty { return kept }
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        // 16 letters and digits, without the look-alikes: about 94 bits.
        let alphabet = Array("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        let password = String((0..<16).map { _ in alphabet.randomElement(using: &generator)! })
        // Created with its mode, never readable by others even for a moment.
        let descriptor = open(file.path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw DemoPasswordFileError(description: "cannot create \(file.path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let line = Array((password + "\n").utf8)
        guard write(descriptor, line, line.count) == line.count else { throw DemoPasswordFileError(description: "cannot write \(file.path)") }
        print("demo password (also in \(file.path)): \(password)")
        logger.notice("demo password generated", metadata: ["file": "\(file.path)"])
        return password
    }
}

/// The demo password's file could not be written; the description says which and why.
struct DemoPasswordFileError: Error, CustomStringConvertible {
    var description: String
}
