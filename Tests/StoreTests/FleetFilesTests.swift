import Domain
import Foundation
import Matching
import PostgresNIO
import PostgresTestSupport
import Store
import Testing

@Suite struct FleetFilesTests {
    let logger = TestPostgres.logger

    @Test func filesRoundTripAndBecomeTheEnginesFacts() async throws {
        try await TestPostgres.withDatabase { client, _ in
            let files = FleetFiles(client: client, logger: logger), facts = DispatchFacts(client: client, logger: logger)
            let now = Date()
            let (vehicleID, driverID) = try await SampleFiles.provision(plate: "浙B00001D", index: 0, files: files, now: now)

            let vehicle = try #require(try await files.vehicle(plate: "浙B00001D"))
            #expect(
                vehicle.id == vehicleID && vehicle.vehicleClass == .sedan && vehicle.seats == 5 && vehicle.brand == "BYD"
                    && vehicle.registrationDate?.description == "2024-03-01")
            #expect(try await files.policies(vehicleID: vehicleID).count == 5)
            let driver = try #require(try await files.driver(id: driverID))
            #expect(driver.vehicleID == vehicleID && driver.licenceExpiry.description == "2032-12-31" && driver.name == "王师傅1")

            // Never reported: the charge is unknown, not full.
            #expect(vehicle.stateOfCharge == nil)
            // Saving by plate again updates the same file; its first charge is a reading by hand,
            // which a file saved back later does not replace.
            var edited = vehicle
            edited.stateOfCharge = 55
            #expect(try await files.saveVehicle(edited, at: now).id == vehicleID)
            edited.stateOfCharge = 70
            #expect(try await files.saveVehicle(edited, at: now.addingTimeInterval(60)).stateOfCharge == 55)
            // A licence number is unique.
            var twin = driver
            twin.id = nil
            await #expect(throws: DuplicateRecord.self) { try await files.saveDriver(twin) }
            await #expect(throws: NoSuchRecord.self) {
                try await files.addTraining(driverID: 999, TrainingRecord(kind: .monthly, heldOn: CivilDate("2026-01-01")!, days: 1, passed: true))
            }

            // What the engine sees: the same facts, in epoch seconds and China days.
            let crews = try await facts.crews()
            let crew = try #require(crews.first)
            #expect(crews.count == 1 && crew.vehicle.id == vehicleID && crew.driver.id == driverID)
            #expect(
                crew.vehicle.charge?.percent == 55 && crew.vehicle.charge?.source == .hand && crew.vehicle.policies.count == 5
                    && Set(crew.vehicle.inspections.map(\.kind)) == [.monthly, .quarterly])
            #expect(crew.driver.preDutyTrainingDays == 3 && crew.driver.birthDate == CivilDate("1975-01-01")!.chinaMidnight)
            // The licence is valid to the end of its last day.
            #expect(crew.driver.licenceExpiry == CivilDate("2033-01-01")!.chinaMidnight - 1)
            let matcher = Matcher()
            // No terminal, no position: the only thing keeping it from being dispatchable.
            #expect(matcher.standing(of: crew.vehicle, now: Int64(now.timeIntervalSince1970)) == [.noPosition])

            // An open repair takes it out of service until finished.
            let repair = try await files.addMaintenance(vehicleID: vehicleID, MaintenanceRecord(kind: .repair, startedAt: now, description: "brake pads"))
            #expect(try await facts.vehicles(ids: [vehicleID])[vehicleID]?.inRepair == true)
            // Not before it started (schemathesis found this a 500): a typed error, the repair still open.
            await #expect(throws: FleetFiles.FinishedBeforeStart.self) {
                try await files.finishMaintenance(id: repair, vehicleID: vehicleID, at: now.addingTimeInterval(-86_400))
            }
            #expect(try await facts.vehicles(ids: [vehicleID])[vehicleID]?.inRepair == true)
            #expect(try await files.finishMaintenance(id: repair, vehicleID: vehicleID, at: now.addingTimeInterval(3600)))
            #expect(try await files.finishMaintenance(id: repair, vehicleID: vehicleID, at: now) == false)
            #expect(try await facts.vehicles(ids: [vehicleID])[vehicleID]?.inRepair == false)
            // A failed inspection newer than the passed one counts.
            _ = try await files.addInspection(
                vehicleID: vehicleID, InspectionRecord(kind: .monthly, inspectedAt: now.addingTimeInterval(-60), passed: false, findings: "tyre tread"))
            let failed = try #require(try await facts.vehicles(ids: [vehicleID])[vehicleID])
            #expect(
                matcher.standing(of: failed, now: Int64(now.timeIntervalSince1970)).contains(
                    .inspectionFailed(.monthly, date: Int64(now.timeIntervalSince1970) - 60)))
        }
    }

    @Test func bookingsMoveOnlyAlongTheLifecycleAndBecomeCommitments() async throws {
        try await TestPostgres.withDatabase { client, _ in
            let files = FleetFiles(client: client, logger: logger), bookings = Bookings(client: client, logger: logger)
            let accounts = Accounts(client: client, logger: logger)
            let agency = try await accounts.createAgency(name: "市财政局")
            let now = Date(timeIntervalSince1970: (Date().timeIntervalSince1970).rounded(.down))
            let (vehicleID, driverID) = try await SampleFiles.provision(plate: "浙B00002D", index: 1, files: files, now: now)
            let request = BookingRequest(
                channel: .phone, agencyID: agency, contactName: "李主任", contactPhone: "057487000000", passengers: 3, vehicleClass: .sedan,
                pickupTime: now.addingTimeInterval(1800), pickup: Place(latitude: 29.8683, longitude: 121.5440, address: "天一广场"),
                destination: Place(latitude: 29.8260, longitude: 121.4610, address: "栎社机场"), serviceEnd: now.addingTimeInterval(3 * 3600)
            )
            let created = try await bookings.create(request, agencyID: agency, receivedAt: now, by: Actor(userID: nil, name: "dispatcher on the phone"))
            #expect(created.urgent && created.state == .received && created.transitions.map(\.state) == [.received] && created.version == 1)
            #expect(created.request.pickup.address == "天一广场" && created.request.pickup.point == GeoPoint(latitudeE6: 29_868_300, longitudeE6: 121_544_000))

            await #expect(throws: BookingHistory.InvalidTransition.self) { try await bookings.move(created.id, to: .matched, at: now, by: .engine) }
            await #expect(throws: NoSuchRecord.self) { try await bookings.move(424_242, to: .confirmed, at: now, by: .engine) }
            try await bookings.move(created.id, to: .confirmed, at: now.addingTimeInterval(60), by: Actor(userID: nil, name: "dispatcher"))
            let matched = try await bookings.move(created.id, to: .matched, at: now.addingTimeInterval(120), by: .engine, crew: (vehicleID, driverID))
            #expect(matched.vehicleID == vehicleID && matched.driverID == driverID && matched.version == 3)
            #expect(matched.transitions.map(\.state) == [.received, .confirmed, .matched] && matched.transitions[2].by == "dispatch-engine")
            // The clocks read from the stored history: both met.
            let clocks = ServiceLevels().clocks(
                for: matched.history, pickupTime: matched.booking.pickupTime, pickupZone: .city, now: matched.booking.receivedAt + 200)
            #expect(clocks.map(\.state) == [.met, .met, .running])

            // The crew is now busy for that window.
            let crew = try #require(try await DispatchFacts(client: client, logger: logger).crews().first)
            #expect(
                crew.commitments == [
                    Commitment(
                        window: TimeWindow(start: matched.booking.pickupTime - 2400, end: matched.booking.serviceEnd), pickup: matched.booking.pickup,
                        destination: matched.booking.destination, bookingID: created.id)
                ])
            #expect(try await bookings.jobs(driverID: driverID).map(\.id) == [created.id])

            let page = try await bookings.list(agencyID: agency, states: [.matched], updatedSince: nil, before: nil, limit: 10)
            #expect(page.map(\.id) == [created.id])
            #expect(try await bookings.list(agencyID: agency + 1, states: nil, updatedSince: nil, before: nil, limit: 10).isEmpty)
            #expect(try await bookings.list(agencyID: nil, states: [.received], updatedSince: nil, before: nil, limit: 10).isEmpty)

            // An alert is recorded once per clock and state.
            let late = ServiceLevels().clocks(
                for: matched.history, pickupTime: matched.booking.pickupTime, pickupZone: .city, now: matched.booking.receivedAt + 900)
            let status = try #require(late.last)
            #expect(status.clock == .notify && status.state == .breached)
            #expect(try await bookings.raise(.booking(created.id), status))
            #expect(try await bookings.raise(.booking(created.id), status) == false)
            #expect(try await bookings.alerts(agencyID: agency, since: now.addingTimeInterval(-60), limit: 10).map(\.clock) == [.notify])
            #expect(try await bookings.alerts(agencyID: agency + 1, since: now.addingTimeInterval(-60), limit: 10).isEmpty)
        }
    }

    @Test func speedsPerHourAreLearntFromTheTracks() async throws {
        try await TestPostgres.withDatabase { client, _ in
            let yesterday = CivilDate(chinaDayOf: Int64(Date().timeIntervalSince1970) - 86_400)
            _ = try await PositionRetention().maintain(
                client: client, today: CivilDate(chinaDayOf: Int64(Date().timeIntervalSince1970)).description, logger: logger)
            let eight = Date(timeIntervalSince1970: TimeInterval(yesterday.chinaMidnight + 8 * 3600))
            // 08:00-08:10 China time: 600 moving fixes at 36 and 44 km/h, and parked ones that do not count.
            try await client.query(
                """
                INSERT INTO positions (terminal_id, gnss_time, received_at, lat_e6, lon_e6, altitude_m, speed_dkmh, course, alarm, status)
                SELECT 1, \(eight) + make_interval(secs => s), now(), 0, 0, 0, CASE WHEN s % 2 = 0 THEN 360 ELSE 440 END, 0, 0, 0 FROM generate_series(0, 599) s
                UNION ALL SELECT 1, \(eight) + make_interval(secs => 600 + s), now(), 0, 0, 0, 0, 0, 0, 0 FROM generate_series(0, 999) s
                UNION ALL SELECT 1, \(eight) + make_interval(secs => 3600 + s), now(), 0, 0, 0, 900, 0, 0, 0 FROM generate_series(0, 99) s
                """, logger: logger)
            let profile = try await DispatchFacts(client: client, logger: logger).speedProfile()
            #expect(profile.hourly[8] == 40)
            // 09:00 has only 100 fixes: too few, the fallback speed is used.
            #expect(profile.hourly[9] == nil && profile.hourly.compactMap { $0 }.count == 1)
        }
    }
}
