import Domain
import Foundation
import Logging
import PostgresNIO

/// The fleet's files in PostgreSQL: vehicles with their policies, inspections and repairs,
/// drivers with their training, and the crews pairing them. Records are added, never deleted.
public struct FleetFiles: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    // MARK: vehicles

    /// Creates the file, or updates the one with the same plate (a terminal binding may have
    /// created a bare one first). `audit` names its line by the file's id, here and in the
    /// other writes: written in the write's transaction. A state of charge in the file is
    /// recorded as a reading entered by hand (`enteredBy`, at `at`) only while the vehicle has
    /// none: a file read and saved back must not pass an old reading off as a new one
    /// (`recordCharge` is how it changes).
    public func saveVehicle(_ v: VehicleFile, enteredBy: Int64? = nil, at: Date? = nil, audit: Audit<Int64>? = nil) async throws -> VehicleFile {
        let registration = v.registrationDate?.description
        let id = try await client.audited(audit, logger: logger) { connection in
            let id = try await connection.returningID(
                """
                INSERT INTO vehicles (plate, brand, model, vin, engine_number, registration_date, rental_use, vehicle_class, seats, energy,
                    driving_licence_number, registration_certificate, range_km, reserve)
                VALUES (\(v.plate), \(v.brand), \(v.model), \(v.vin), \(v.engineNumber), \(registration)::date, \(v.rentalUse), \(v.vehicleClass.rawValue),
                    \(Int16(v.seats)), \(v.energy.rawValue), \(v.drivingLicenceNumber), \(v.registrationCertificate), \(Int32(v.rangeKm)), \(v.reserve))
                ON CONFLICT (plate) DO UPDATE SET brand = EXCLUDED.brand, model = EXCLUDED.model, vin = EXCLUDED.vin,
                    engine_number = EXCLUDED.engine_number, registration_date = EXCLUDED.registration_date, rental_use = EXCLUDED.rental_use,
                    vehicle_class = EXCLUDED.vehicle_class, seats = EXCLUDED.seats, energy = EXCLUDED.energy,
                    driving_licence_number = EXCLUDED.driving_licence_number, registration_certificate = EXCLUDED.registration_certificate,
                    range_km = EXCLUDED.range_km, reserve = EXCLUDED.reserve, updated_at = now()
                RETURNING id
                """, logger: logger)
            if let percent = v.stateOfCharge {
                _ = try await connection.query(
                    """
                    INSERT INTO vehicle_charge (vehicle_id, percent, reported_at, source, entered_by)
                    VALUES (\(id), \(Int16(clamping: percent)), coalesce(\(at), now()), 'hand', \(enteredBy))
                    ON CONFLICT (vehicle_id) DO NOTHING
                    """, logger: logger)
            }
            return id
        }
        guard let saved = try await vehicle(id: id) else { throw NoSuchRecord() }
        return saved
    }

    static let vehicleColumns = """
        v.id, v.plate, v.brand, v.model, v.vin, v.engine_number, v.registration_date::text, v.rental_use, v.vehicle_class, v.seats, v.energy,
        v.driving_licence_number, v.registration_certificate, v.range_km, c.percent, v.reserve, t.phone
        FROM vehicles v LEFT JOIN terminals t ON t.vehicle_id = v.id LEFT JOIN vehicle_charge c ON c.vehicle_id = v.id
        """

    func vehicles(_ query: PostgresQuery) async throws -> [VehicleFile] {
        let rows = try await client.query(query, logger: logger)
        var files: [VehicleFile] = []
        for try await row in rows {
            let (id, plate, brand, model, vin, engine, registered, rental, vehicleClass, seats, energy, licence, certificate, range, charge, reserve, phone) =
                try row.decode(
                    (Int64, String, String?, String?, String?, String?, String?, Bool, String, Int16, String, String?, String?, Int32, Int16?, Bool, String?)
                        .self)
            var file = VehicleFile(
                plate: plate, vehicleClass: VehicleClass(rawValue: vehicleClass) ?? .sedan, seats: Int(seats), energy: EnergyType(rawValue: energy) ?? .petrol)
            (file.id, file.brand, file.model, file.vin, file.engineNumber, file.registrationDate) = (
                id, brand, model, vin, engine, registered.flatMap { CivilDate($0) }
            )
            (file.rentalUse, file.drivingLicenceNumber, file.registrationCertificate) = (rental, licence, certificate)
            (file.rangeKm, file.stateOfCharge, file.reserve, file.terminalPhone) = (Int(range), charge.map(Int.init), reserve, phone)
            files.append(file)
        }
        return files
    }

    public func vehicles() async throws -> [VehicleFile] {
        try await vehicles("SELECT \(unescaped: Self.vehicleColumns) ORDER BY v.plate")
    }

    public func vehicle(plate: String) async throws -> VehicleFile? {
        try await vehicles("SELECT \(unescaped: Self.vehicleColumns) WHERE v.plate = \(plate)").first
    }

    public func vehicle(id: Int64) async throws -> VehicleFile? {
        try await vehicles("SELECT \(unescaped: Self.vehicleColumns) WHERE v.id = \(id)").first
    }

    /// Records a reading as the vehicle's newest unless a newer one is kept (a terminal's report
    /// and a hand's entry race: the later reading wins, whoever wrote it first).
    public func recordCharge(vehicleID: Int64, _ reading: ChargeReading, audit: AuditLine? = nil) async throws {
        try await client.audited({ _ in audit }, logger: logger) { connection in
            _ = try await connection.query(
                """
                INSERT INTO vehicle_charge (vehicle_id, percent, range_km, charging, reported_at, source, entered_by)
                VALUES (\(vehicleID), \(Int16(clamping: reading.percent)), \(reading.rangeKm.map { Int32(clamping: $0) }), \(reading.charging),
                    to_timestamp(\(reading.at)), \(reading.source.rawValue), \(reading.enteredBy))
                ON CONFLICT (vehicle_id) DO UPDATE SET percent = EXCLUDED.percent, range_km = EXCLUDED.range_km, charging = EXCLUDED.charging,
                    reported_at = EXCLUDED.reported_at, source = EXCLUDED.source, entered_by = EXCLUDED.entered_by, received_at = now()
                WHERE vehicle_charge.reported_at <= EXCLUDED.reported_at
                """, logger: logger)
        }
    }

    /// Clears a driver's review (they may be matched again); false if none was held.
    public func clearReview(driverID: Int64, audit: AuditLine? = nil) async throws -> Bool {
        try await client.audited({ $0 ? audit : nil }, logger: logger) { connection in
            try await connection.touchedRow(
                "UPDATE drivers SET review_reason = NULL, review_since = NULL, updated_at = now() WHERE id = \(driverID) AND review_reason IS NOT NULL RETURNING id",
                logger: logger)
        }
    }

    public func addPolicy(vehicleID: Int64, _ p: InsuranceRecord, audit: Audit<Int64>? = nil) async throws -> Int64 {
        try await client.audited(audit, logger: logger) {
            try await $0.returningID(
                "INSERT INTO insurance_policies (vehicle_id, kind, insurer, amount_fen, starts_at, expires_at) VALUES (\(vehicleID), \(p.kind.rawValue), \(p.insurer), \(p.amountFen), \(p.startsAt), \(p.expiresAt)) RETURNING id",
                logger: logger
            )
        }
    }

    public func policies(vehicleID: Int64) async throws -> [InsuranceRecord] {
        let rows = try await client.query(
            "SELECT id, kind, insurer, amount_fen, starts_at, expires_at FROM insurance_policies WHERE vehicle_id = \(vehicleID) ORDER BY starts_at, id",
            logger: logger
        )
        var out: [InsuranceRecord] = []
        for try await (id, kind, insurer, amount, start, expiry) in rows.decode((Int64, String, String, Int64, Date, Date).self) {
            guard let kind = InsurancePolicy.Kind(rawValue: kind) else { continue }
            var record = InsuranceRecord(kind: kind, insurer: insurer, amountFen: amount, startsAt: start, expiresAt: expiry)
            record.id = id
            out.append(record)
        }
        return out
    }

    public func addInspection(vehicleID: Int64, _ i: InspectionRecord, audit: Audit<Int64>? = nil) async throws -> Int64 {
        try await client.audited(audit, logger: logger) {
            try await $0.returningID(
                "INSERT INTO inspections (vehicle_id, kind, inspected_at, passed, findings, inspector) VALUES (\(vehicleID), \(i.kind.rawValue), \(i.inspectedAt), \(i.passed), \(i.findings ?? ""), \(i.inspector)) RETURNING id",
                logger: logger
            )
        }
    }

    public func inspections(vehicleID: Int64) async throws -> [InspectionRecord] {
        let rows = try await client.query(
            "SELECT id, kind, inspected_at, passed, findings, inspector FROM inspections WHERE vehicle_id = \(vehicleID) ORDER BY inspected_at, id",
            logger: logger
        )
        var out: [InspectionRecord] = []
        for try await (id, kind, at, passed, findings, inspector) in rows.decode((Int64, String, Date, Bool, String, String?).self) {
            guard let kind = Inspection.Kind(rawValue: kind) else { continue }
            var record = InspectionRecord(kind: kind, inspectedAt: at, passed: passed, findings: findings, inspector: inspector)
            record.id = id
            out.append(record)
        }
        return out
    }

    public func addMaintenance(vehicleID: Int64, _ m: MaintenanceRecord, audit: Audit<Int64>? = nil) async throws -> Int64 {
        try await client.audited(audit, logger: logger) {
            try await $0.returningID(
                "INSERT INTO maintenance_records (vehicle_id, kind, started_at, finished_at, description, cost_fen) VALUES (\(vehicleID), \(m.kind.rawValue), \(m.startedAt), \(m.finishedAt), \(m.description), \(m.costFen ?? 0)) RETURNING id",
                logger: logger
            )
        }
    }

    /// Closes an open repair: the vehicle is back in service (if nothing else keeps it out).
    /// `audit` is written only when there was one to close.
    /// Throws `FinishedBeforeStart` for a time before the record's start (its CHECK refuses it).
    public func finishMaintenance(id: Int64, vehicleID: Int64, at: Date, audit: AuditLine? = nil) async throws -> Bool {
        do {
            return try await client.audited({ $0 ? audit : nil }, logger: logger) {
                try await $0.touchedRow(
                    "UPDATE maintenance_records SET finished_at = \(at) WHERE id = \(id) AND vehicle_id = \(vehicleID) AND finished_at IS NULL RETURNING id",
                    logger: logger
                )
            }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23514" {
            throw FinishedBeforeStart()
        }
    }

    /// A maintenance record cannot finish before it started.
    public struct FinishedBeforeStart: Error, Hashable {}

    public func maintenance(vehicleID: Int64) async throws -> [MaintenanceRecord] {
        let rows = try await client.query(
            "SELECT id, kind, started_at, finished_at, description, cost_fen FROM maintenance_records WHERE vehicle_id = \(vehicleID) ORDER BY started_at, id",
            logger: logger
        )
        var out: [MaintenanceRecord] = []
        for try await (id, kind, start, finish, description, cost) in rows.decode((Int64, String, Date, Date?, String, Int64).self) {
            var record = MaintenanceRecord(
                kind: MaintenanceRecord.Kind(rawValue: kind) ?? .repair, startedAt: start, finishedAt: finish, description: description, costFen: cost)
            record.id = id
            out.append(record)
        }
        return out
    }

    // MARK: drivers

    /// Creates a driver's file, or updates the one with `file.id`.
    public func saveDriver(_ d: DriverFile, audit: Audit<Int64>? = nil) async throws -> DriverFile {
        let (birth, since, expiry) = (d.birthDate.description, d.serviceSince.description, d.licenceExpiry.description)
        let (accident, checked) = (d.lastMajorAccident?.description, d.backgroundCheckedAt?.description)
        let query: PostgresQuery
        if let id = d.id {
            query = """
                UPDATE drivers SET name = \(d.name), phone = \(d.phone), birth_date = \(birth)::date, service_since = \(since)::date,
                    licence_number = \(d.licenceNumber), licence_classes = \(d.licenceClasses), licence_expiry = \(expiry)::date, points = \(Int16(d.points)),
                    last_major_accident = \(accident)::date, criminal_record = \(d.criminalRecord), background_checked_at = \(checked)::date,
                    reserve = \(d.reserve), user_id = \(d.userID), certificate_number = \(d.certificateNumber), updated_at = now()
                WHERE id = \(id) RETURNING id
                """
        } else {
            query = """
                INSERT INTO drivers (name, phone, birth_date, service_since, licence_number, licence_classes, licence_expiry, points,
                    last_major_accident, criminal_record, background_checked_at, reserve, user_id, certificate_number)
                VALUES (\(d.name), \(d.phone), \(birth)::date, \(since)::date, \(d.licenceNumber), \(d.licenceClasses), \(expiry)::date, \(Int16(d.points)),
                    \(accident)::date, \(d.criminalRecord), \(checked)::date, \(d.reserve), \(d.userID), \(d.certificateNumber))
                RETURNING id
                """
        }
        let id = try await client.audited(audit, logger: logger) { try await $0.returningID(query, logger: logger) }
        guard let saved = try await driver(id: id) else { throw NoSuchRecord() }
        return saved
    }

    static let driverColumns = """
        d.id, d.name, d.phone, d.birth_date::text, d.service_since::text, d.licence_number, d.licence_classes, d.licence_expiry::text, d.points,
        d.last_major_accident::text, d.criminal_record, d.background_checked_at::text, d.reserve, d.user_id, c.vehicle_id, d.certificate_number
        FROM drivers d LEFT JOIN crews c ON c.driver_id = d.id
        """

    func drivers(_ query: PostgresQuery) async throws -> [DriverFile] {
        let rows = try await client.query(query, logger: logger)
        var files: [DriverFile] = []
        for try await row in rows {
            let (id, name, phone, birth, since, licence, classes, expiry, points, accident, record, checked, reserve, user, vehicle, certificate) =
                try row.decode(
                    (Int64, String, String, String, String, String, [String], String, Int16, String?, Bool, String?, Bool, Int64?, Int64?, String?).self)
            guard let birth = CivilDate(birth), let since = CivilDate(since), let expiry = CivilDate(expiry) else { continue }
            var file = DriverFile(
                name: name, phone: phone, birthDate: birth, serviceSince: since, licenceNumber: licence, licenceClasses: classes, licenceExpiry: expiry)
            (file.id, file.points, file.lastMajorAccident, file.criminalRecord) = (id, Int(points), accident.flatMap { CivilDate($0) }, record)
            (file.backgroundCheckedAt, file.reserve, file.userID, file.vehicleID) = (checked.flatMap { CivilDate($0) }, reserve, user, vehicle)
            file.certificateNumber = certificate
            files.append(file)
        }
        return files
    }

    public func drivers() async throws -> [DriverFile] {
        try await drivers("SELECT \(unescaped: Self.driverColumns) ORDER BY d.id")
    }

    public func driver(id: Int64) async throws -> DriverFile? {
        try await drivers("SELECT \(unescaped: Self.driverColumns) WHERE d.id = \(id)").first
    }

    public func driver(userID: Int64) async throws -> DriverFile? {
        try await drivers("SELECT \(unescaped: Self.driverColumns) WHERE d.user_id = \(userID)").first
    }

    public func addTraining(driverID: Int64, _ t: TrainingRecord, audit: Audit<Int64>? = nil) async throws -> Int64 {
        try await client.audited(audit, logger: logger) {
            try await $0.returningID(
                "INSERT INTO driver_training (driver_id, kind, held_on, days, passed, note) VALUES (\(driverID), \(t.kind.rawValue), \(t.heldOn.description)::date, \(Int16(t.days)), \(t.passed), \(t.note ?? "")) RETURNING id",
                logger: logger
            )
        }
    }

    public func training(driverID: Int64) async throws -> [TrainingRecord] {
        let rows = try await client.query(
            "SELECT id, kind, held_on::text, days, passed, note FROM driver_training WHERE driver_id = \(driverID) ORDER BY held_on, id", logger: logger
        )
        var out: [TrainingRecord] = []
        for try await (id, kind, held, days, passed, note) in rows.decode((Int64, String, String, Int16, Bool, String).self) {
            guard let kind = TrainingRecord.Kind(rawValue: kind), let held = CivilDate(held) else { continue }
            var record = TrainingRecord(kind: kind, heldOn: held, days: Int(days), passed: passed)
            (record.id, record.note) = (id, note)
            out.append(record)
        }
        return out
    }

    /// Pairs a driver with a vehicle, ending any pairing either had.
    public func pair(vehicleID: Int64, driverID: Int64, audit: AuditLine? = nil) async throws {
        try await constrained {
            try await client.audited({ _ in audit }, logger: logger) { connection in
                try await connection.query("DELETE FROM crews WHERE vehicle_id = \(vehicleID) OR driver_id = \(driverID)", logger: logger)
                try await connection.query("INSERT INTO crews (vehicle_id, driver_id) VALUES (\(vehicleID), \(driverID))", logger: logger)
            }
        }
    }

    /// The spares of docs/DOMAIN.md ("Spares: the reserve"): 10% of the vehicles of every class
    /// and 15% of the drivers on duty held in reserve.
    public static let reservePercent = (vehicles: 10, drivers: 15)

    public func reminders(now: Date, rules: DispatchRules = DispatchRules()) async throws -> [Reminder] {
        let rows = try await client.query(
            """
            SELECT 'insuranceExpiring', v.plate, p.kind, p.expires_at FROM insurance_policies p JOIN vehicles v ON v.id = p.vehicle_id
            WHERE p.expires_at <= \(now) + interval '30 days' AND p.expires_at > \(now) - interval '30 days'
              AND NOT EXISTS (SELECT 1 FROM insurance_policies n WHERE n.vehicle_id = p.vehicle_id AND n.kind = p.kind AND n.expires_at > p.expires_at)
            UNION ALL
            SELECT 'inspectionDue', v.plate, k.kind, coalesce(i.last + make_interval(secs => k.validity), v.created_at)
            FROM vehicles v CROSS JOIN (VALUES ('monthly', \(rules.monthlyInspectionValidity)::float8), ('quarterly', \(rules.quarterlyInspectionValidity)::float8)) AS k (kind, validity)
            LEFT JOIN LATERAL (SELECT max(inspected_at) AS last FROM inspections WHERE vehicle_id = v.id AND kind = k.kind AND passed) i ON true
            WHERE coalesce(i.last + make_interval(secs => k.validity), v.created_at) <= \(now) + interval '7 days'
            UNION ALL
            SELECT 'licenceExpiring', d.name, d.licence_number, (d.licence_expiry + 1)::timestamp AT TIME ZONE INTERVAL '+08:00' FROM drivers d
            WHERE d.licence_expiry <= (\(now) + interval '30 days')::date
            ORDER BY 4
            """, logger: logger)
        var out: [Reminder] = []
        for try await (kind, subject, detail, due) in rows.decode((String, String, String, Date).self) {
            guard let kind = Reminder.Kind(rawValue: kind) else { continue }
            out.append(Reminder(kind: kind, subject: subject, detail: detail, due: due))
        }
        // Spares short of the share the contract asks for: of every vehicle class on file, and of
        // the drivers on duty (those paired with a vehicle).
        let counts = try await client.query(
            """
            SELECT 'vehicles (' || vehicle_class || ')', count(*), count(*) FILTER (WHERE reserve), \(Self.reservePercent.vehicles)::int8
            FROM vehicles GROUP BY vehicle_class
            UNION ALL
            SELECT 'drivers on duty', count(*), count(*) FILTER (WHERE d.reserve), \(Self.reservePercent.drivers)::int8
            FROM drivers d WHERE EXISTS (SELECT 1 FROM crews c WHERE c.driver_id = d.id)
            ORDER BY 1
            """, logger: logger)
        for try await (subject, total, spare, percent) in counts.decode((String, Int64, Int64, Int64).self) where spare * 100 < total * percent {
            let needed = (total * percent + 99) / 100
            out.append(Reminder(kind: .reserveShort, subject: subject, detail: "\(spare) of \(total) in reserve: \(percent)% is \(needed)", due: now))
        }
        return out
    }
}
