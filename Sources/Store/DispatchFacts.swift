import Domain
import Foundation
import Logging
import PostgresNIO

/// The files and live state reduced to what the engine judges: `Vehicle`s with their policies,
/// inspections, open repairs and newest position; `Driver`s with their training; the crews with
/// the jobs they already have. A handful of set-based queries, whatever the size of the fleet.
public struct DispatchFacts: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Vehicles by id (all, or those of `ids`).
    public func vehicles(ids: [Int64]? = nil) async throws -> [Int64: Vehicle] {
        var vehicles: [Int64: Vehicle] = [:]
        let rows = try await client.query(
            """
            SELECT v.id, v.plate, v.vehicle_class, v.seats, v.energy, v.rental_use, v.range_km, v.reserve,
                EXISTS (SELECT 1 FROM maintenance_records m WHERE m.vehicle_id = v.id AND m.kind = 'repair' AND m.finished_at IS NULL),
                l.lat_e6, l.lon_e6, extract(epoch FROM l.gnss_time)::int8,
                c.percent, extract(epoch FROM c.reported_at)::int8, c.range_km, c.charging, c.source, c.entered_by
            FROM vehicles v LEFT JOIN terminals t ON t.vehicle_id = v.id LEFT JOIN latest_positions l ON l.terminal_id = t.id
                LEFT JOIN vehicle_charge c ON c.vehicle_id = v.id
            WHERE \(ids)::bigint[] IS NULL OR v.id = ANY(\(ids))
            """, logger: logger)
        for try await (id, plate, vehicleClass, seats, energy, rental, range, reserve, repair, lat, lon, fixed, percent, reported, left, charging, source, by)
            in rows.decode(
                (Int64, String, String, Int16, String, Bool, Int32, Bool, Bool, Int32?, Int32?, Int64?, Int16?, Int64?, Int32?, Bool?, String?, Int64?).self
            )
        {
            let charge = percent.flatMap { percent in
                reported.map {
                    ChargeReading(
                        percent: Int(percent), at: $0, rangeKm: left.map(Int.init), charging: charging,
                        source: source.flatMap(ChargeReading.Source.init(rawValue:)) ?? .terminal, enteredBy: by)
                }
            }
            vehicles[id] = Vehicle(
                id: id, plate: plate, vehicleClass: VehicleClass(rawValue: vehicleClass) ?? .sedan, seats: Int(seats),
                energy: EnergyType(rawValue: energy) ?? .petrol,
                rentalUse: rental, policies: [], inspections: [], inRepair: repair, rangeKm: Int(range), charge: charge,
                position: lat.flatMap { lat in lon.map { GeoPoint(latitudeE6: lat, longitudeE6: $0) } }, positionTime: fixed, reserve: reserve
            )
        }
        let found = Array(vehicles.keys)
        let policies = try await client.query(
            "SELECT vehicle_id, kind, insurer, amount_fen, starts_at, expires_at FROM insurance_policies WHERE vehicle_id = ANY(\(found))", logger: logger
        )
        for try await (vehicle, kind, insurer, amount, start, expiry) in policies.decode((Int64, String, String, Int64, Date, Date).self) {
            guard let kind = InsurancePolicy.Kind(rawValue: kind) else { continue }
            vehicles[vehicle]?.policies.append(
                InsurancePolicy(kind: kind, insurer: insurer, amountFen: amount, start: start.epochSeconds, expiry: expiry.epochSeconds))
        }
        // The newest inspection of each kind is all the rules read.
        let inspections = try await client.query(
            """
            SELECT DISTINCT ON (vehicle_id, kind) vehicle_id, kind, inspected_at, passed, findings FROM inspections
            WHERE vehicle_id = ANY(\(found)) AND inspected_at <= now() ORDER BY vehicle_id, kind, inspected_at DESC, id DESC
            """, logger: logger)
        for try await (vehicle, kind, at, passed, findings) in inspections.decode((Int64, String, Date, Bool, String).self) {
            guard let kind = Inspection.Kind(rawValue: kind) else { continue }
            vehicles[vehicle]?.inspections.append(Inspection(kind: kind, date: at.epochSeconds, passed: passed, findings: findings))
        }
        return vehicles
    }

    /// Drivers by id (all, or those of `ids`); driving time as `driving` gives it (from tracks).
    public func drivers(ids: [Int64]? = nil, driving: [Int64: DrivingTime] = [:]) async throws -> [Int64: Driver] {
        var drivers: [Int64: Driver] = [:]
        let rows = try await client.query(
            """
            SELECT d.id, d.name, d.birth_date::text, d.service_since::text, d.licence_classes, d.licence_expiry::text, d.points,
                d.last_major_accident::text, d.criminal_record, d.reserve,
                coalesce((SELECT sum(t.days) FROM driver_training t WHERE t.driver_id = d.id AND t.kind = 'preDuty' AND t.passed), 0)::int8,
                d.review_reason
            FROM drivers d WHERE \(ids)::bigint[] IS NULL OR d.id = ANY(\(ids))
            """, logger: logger)
        for try await (id, name, birth, since, classes, expiry, points, accident, record, reserve, training, review) in rows.decode(
            (Int64, String, String, String, [String], String, Int16, String?, Bool, Bool, Int64, String?).self
        ) {
            // Civil dates as the China midnights they begin at; a licence is valid to the end of its day.
            guard let birth = CivilDate(birth), let since = CivilDate(since), let expiry = CivilDate(expiry) else { continue }
            drivers[id] = Driver(
                id: id, name: name, birthDate: birth.chinaMidnight, serviceSince: since.chinaMidnight, licenceClasses: Set(classes),
                licenceExpiry: expiry.chinaMidnight + 86_399, points: Int(points), lastMajorAccident: accident.flatMap { CivilDate($0) }?.chinaMidnight,
                criminalRecord: record, preDutyTrainingDays: Int(training),
                continuousDriving: driving[id]?.continuous ?? 0, drivingLast24h: driving[id]?.last24h ?? 0,
                nightContinuousDriving: driving[id]?.nightContinuous ?? 0, reserve: reserve, review: review
            )
        }
        return drivers
    }

    /// Every crew, with the jobs its vehicle or driver already has (matched to in service), every
    /// day of each: each from 40 minutes before pick-up (the drive there and the 10 minutes'
    /// lead) to its end.
    /// `excluding` sets one booking's job aside (to judge that booking itself again).
    public func crews(driving: [Int64: DrivingTime] = [:], excluding: Int64? = nil) async throws -> [Crew] {
        let pairs = try await pairs()
        let vehicles = try await vehicles(ids: pairs.map(\.vehicle)), drivers = try await drivers(ids: pairs.map(\.driver), driving: driving)
        // Booking id -> window, per vehicle and per driver: a job of the crew's own pair counts once.
        var vehicleJobs: [Int64: [Int64: Commitment]] = [:], driverJobs: [Int64: [Int64: Commitment]] = [:]
        let jobs = try await client.query(
            """
            SELECT id, vehicle_id, driver_id, extract(epoch FROM pickup_time)::int8 - \(Commitment.leadBeforePickup), extract(epoch FROM service_end)::int8,
                pickup_lat_e6, pickup_lon_e6, destination_lat_e6, destination_lon_e6
            FROM bookings
            WHERE state IN ('matched', 'notified', 'enRoute', 'onSite', 'inService') AND (vehicle_id IS NOT NULL OR driver_id IS NOT NULL)
                AND id IS DISTINCT FROM \(excluding)
            """, logger: logger)
        for try await (booking, vehicle, driver, start, end, pickupLat, pickupLon, destinationLat, destinationLon) in jobs.decode(
            (Int64, Int64?, Int64?, Int64, Int64, Int32, Int32, Int32, Int32).self
        ) {
            let job = Commitment(
                window: TimeWindow(start: start, end: end), pickup: GeoPoint(latitudeE6: pickupLat, longitudeE6: pickupLon),
                destination: GeoPoint(latitudeE6: destinationLat, longitudeE6: destinationLon), bookingID: booking)
            if let vehicle { vehicleJobs[vehicle, default: [:]][booking] = job }
            if let driver { driverJobs[driver, default: [:]][booking] = job }
        }
        return pairs.compactMap { pair in
            guard let vehicle = vehicles[pair.vehicle], let driver = drivers[pair.driver] else { return nil }
            let jobs = (vehicleJobs[pair.vehicle] ?? [:]).merging(driverJobs[pair.driver] ?? [:]) { a, _ in a }
            // In start order, as the engine walks a crew's day.
            return Crew(
                vehicle: vehicle, driver: driver,
                commitments: jobs.values.sorted { ($0.window.start, $0.bookingID ?? 0) < ($1.window.start, $1.bookingID ?? 0) })
        }
    }

    /// The standing pairings, with the class of each vehicle: what a driver is judged for, and
    /// whose track their driving time is measured on, without loading the whole files.
    public func pairs() async throws -> [(vehicle: Int64, driver: Int64, vehicleClass: VehicleClass)] {
        var pairs: [(Int64, Int64, VehicleClass)] = []
        let rows = try await client.query(
            "SELECT c.vehicle_id, c.driver_id, v.vehicle_class FROM crews c JOIN vehicles v ON v.id = c.vehicle_id ORDER BY c.vehicle_id", logger: logger
        )
        for try await (vehicle, driver, vehicleClass) in rows.decode((Int64, Int64, String).self) {
            pairs.append((vehicle, driver, VehicleClass(rawValue: vehicleClass) ?? .sedan))
        }
        return pairs
    }

    /// The terminals these vehicles report through, each with its vehicle: what a stored
    /// position (which names its terminal) is matched to a crew by.
    public func terminals(ofVehicles ids: [Int64]) async throws -> [Int32: Int64] {
        var terminals: [Int32: Int64] = [:]
        let rows = try await client.query("SELECT id, vehicle_id FROM terminals WHERE vehicle_id = ANY(\(ids))", logger: logger)
        for try await (terminal, vehicle) in rows.decode((Int32, Int64).self) { terminals[terminal] = vehicle }
        return terminals
    }

    /// Mean moving speed per hour of day (China time) over the last `days` days of every
    /// vehicle's track: the engine's ETAs. Hours with fewer than `minimumFixes` moving fixes stay
    /// nil (the profile's fallback speed is used for them).
    public func speedProfile(days: Int = 14, minimumFixes: Int64 = 500) async throws -> SpeedProfile {
        var profile = SpeedProfile()
        let rows = try await client.query(
            """
            SELECT extract(hour FROM gnss_time AT TIME ZONE INTERVAL '+08:00')::int8, avg(speed_dkmh)::int8, count(*)
            FROM positions WHERE gnss_time > now() - make_interval(days => \(days)::int) AND speed_dkmh >= \(DrivingTime.movingDkmh)
            GROUP BY 1
            """, logger: logger)
        for try await (hour, speed, count) in rows.decode((Int64, Int64, Int64).self) where count >= minimumFixes && (0..<24).contains(hour) {
            profile.hourly[Int(hour)] = Int(speed / 10)
        }
        return profile
    }
}
