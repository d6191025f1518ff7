import DispatchEngine
import Dispatching
import Domain
import Foundation
import Hummingbird
import Store

/// Vehicles' and drivers' files, with their standing: dispatchable or eligible, or why not.
extension FleetAPI {
    struct VehicleSummary: ResponseEncodable {
        var file: VehicleFile
        var dispatchable: Bool
        var reasons: [String]
    }

    struct VehicleDetail: ResponseEncodable {
        var file: VehicleFile
        var dispatchable: Bool
        var reasons: [String]
        var policies: [InsuranceRecord]
        var inspections: [InspectionRecord]
        var maintenance: [MaintenanceRecord]
    }

    struct DriverSummary: ResponseEncodable {
        var file: DriverFile
        var eligible: Bool
        var reasons: [String]
    }

    struct DriverDetail: ResponseEncodable {
        var file: DriverFile
        var eligible: Bool
        var reasons: [String]
        var training: [TrainingRecord]
        /// Seconds driven since the last 20-minute rest, and in the last 24 hours, from the track.
        var continuousDrivingSeconds: Int64?
        var drivingLast24hSeconds: Int64?
    }

    struct Created: ResponseEncodable { var id: Int64 }

    struct Finish: Decodable { var finishedAt: Date? }
    struct Pairing: Decodable { var plate: String }
    struct Charge: Decodable { var stateOfCharge: Int }

    func addFileRoutes(_ list: inout EndpointList) {
        list.add(.get, "/api/v1/vehicles", Self.readers, "Every vehicle's file and whether it is dispatchable now", returns: "[VehicleSummary]") { _, _, _ in
            let standing = try await vehicleStanding(ids: nil)
            return try await files.vehicles().map { file in
                let reasons = file.id.flatMap { standing[$0] } ?? []
                return VehicleSummary(file: file, dispatchable: reasons.isEmpty, reasons: reasons)
            }
        }
        list.add(
            .post, "/api/v1/vehicles", Self.operators, "File a vehicle, or update the file with the same plate", body: "VehicleFile", returns: "VehicleFile",
            status: .created
        ) {
            request, context, user in
            let file = try await decode(VehicleFile.self, request, context)
            try Self.validate(file)
            let saved: VehicleFile
            let audit: Audit<Int64> = { [self] id in entry(user, "vehicle-save", "vehicle:\(id)", ["plate": file.plate]) }
            do { saved = try await files.saveVehicle(file, audit: audit) } catch is DuplicateRecord {
                throw Problem(.conflict, "Duplicate", detail: "another vehicle has this VIN", field: "vin")
            }
            return saved
        }
        list.add(
            .get, "/api/v1/vehicles/{plate}", Self.readers, "A vehicle's whole file: policies, inspections, maintenance, and its standing",
            returns: "VehicleDetail"
        ) {
            _, context, _ in
            let (file, id) = try await vehicle(context)
            let reasons = try await vehicleStanding(ids: [id])[id] ?? []
            return VehicleDetail(
                file: file, dispatchable: reasons.isEmpty, reasons: reasons, policies: try await files.policies(vehicleID: id),
                inspections: try await files.inspections(vehicleID: id), maintenance: try await files.maintenance(vehicleID: id)
            )
        }
        list.add(
            .post, "/api/v1/vehicles/{plate}/policies", Self.operators, "Add an insurance policy", body: "InsuranceRecord", returns: "Created", status: .created
        ) {
            request, context, user in
            let (_, id) = try await vehicle(context)
            let policy = try await decode(InsuranceRecord.self, request, context)
            try Self.require(policy.expiresAt > policy.startsAt, "expiresAt", "after startsAt")
            try Self.require(!policy.insurer.isEmpty, "insurer", "the insurer's name")
            let audit: Audit<Int64> = { [self] created in entry(user, "policy-add", "vehicle:\(id)", ["kind": policy.kind.rawValue, "policy": "\(created)"]) }
            return Created(id: try await files.addPolicy(vehicleID: id, policy, audit: audit))
        }
        list.add(
            .post, "/api/v1/vehicles/{plate}/inspections", Self.operators,
            "Record an inspection (a failed one takes the vehicle out of service until one passes)",
            body: "InspectionRecord", returns: "Created", status: .created
        ) { request, context, user in
            let (_, id) = try await vehicle(context)
            let inspection = try await decode(InspectionRecord.self, request, context)
            try Self.require(inspection.inspectedAt <= clock.now.addingTimeInterval(300), "inspectedAt", "not in the future")
            let audit = entry(user, "inspection-add", "vehicle:\(id)", ["kind": inspection.kind.rawValue, "passed": "\(inspection.passed)"])
            return Created(id: try await files.addInspection(vehicleID: id, inspection, audit: { _ in audit }))
        }
        list.add(
            .post, "/api/v1/vehicles/{plate}/maintenance", Self.operators,
            "Record maintenance or a repair (an unfinished repair takes the vehicle out of service)",
            body: "MaintenanceRecord", returns: "Created", status: .created
        ) { request, context, user in
            let (_, id) = try await vehicle(context)
            let record = try await decode(MaintenanceRecord.self, request, context)
            try Self.require(record.finishedAt.map { $0 >= record.startedAt } ?? true, "finishedAt", "not before startedAt")
            let audit = entry(user, "maintenance-add", "vehicle:\(id)", ["kind": record.kind.rawValue])
            return Created(id: try await files.addMaintenance(vehicleID: id, record, audit: { _ in audit }))
        }
        list.add(
            .post, "/api/v1/vehicles/{plate}/maintenance/{id}/finish", Self.operators, "Finish a repair: the vehicle is back in service", body: "Finish",
            returns: "Created"
        ) {
            request, context, user in
            let (_, vehicleID) = try await vehicle(context)
            let record = try id("id", context)
            let body = try await decode(Finish.self, request, context)
            let audit = entry(user, "maintenance-finish", "vehicle:\(vehicleID)", ["record": "\(record)"])
            let finished: Bool
            do {
                finished = try await files.finishMaintenance(id: record, vehicleID: vehicleID, at: body.finishedAt ?? clock.now, audit: audit)
            } catch is FleetFiles.FinishedBeforeStart {
                throw Problem.invalid("finishedAt", "not before the record's start")
            }
            guard finished else { throw Self.notFound("no unfinished maintenance record \(record) on this vehicle") }
            return Created(id: record)
        }
        list.add(
            .put, "/api/v1/vehicles/{plate}/charge", Self.operators + [.driver], "The state of charge now (0-100 %), as the car's display shows it",
            body: "Charge", returns: "Created"
        ) { request, context, user in
            let (_, id) = try await vehicle(context)
            if user.role == .driver, try await files.driver(userID: user.id)?.vehicleID != id { throw Problem.forbidden(user.role) }
            let body = try await decode(Charge.self, request, context)
            let audit = entry(user, "charge-set", "vehicle:\(id)", ["percent": "\(body.stateOfCharge)"])
            try await files.setStateOfCharge(vehicleID: id, percent: body.stateOfCharge, audit: audit)
            return Created(id: id)
        }
        list.add(.get, "/api/v1/drivers", Self.readers, "Every driver's file and whether they may drive now", returns: "[DriverSummary]") { _, _, user in
            try await auditRead(user, "driver-read", "drivers")
            let standing = try await driverStanding(ids: nil)
            return try await files.drivers().map { file in
                let reasons = file.id.flatMap { standing[$0] } ?? []
                return DriverSummary(file: file, eligible: reasons.isEmpty, reasons: reasons)
            }
        }
        list.add(.post, "/api/v1/drivers", Self.operators, "File a driver", body: "DriverFile", returns: "DriverFile", status: .created) {
            request, context, user in
            var file = try await decode(DriverFile.self, request, context)
            file.id = nil
            try Self.validate(file)
            return try await saveDriver(file, user)
        }
        list.add(.get, "/api/v1/drivers/{id}", Self.readers, "A driver's whole file: training, and whether they may drive now", returns: "DriverDetail") {
            _, context, user in
            let driverID = try id("id", context)
            try await auditRead(user, "driver-read", "driver:\(driverID)")
            guard let file = try await files.driver(id: driverID) else { throw Self.notFound("no driver \(driverID)") }
            let reasons = try await driverStanding(ids: [driverID])[driverID] ?? []
            let driving = dispatch.learning.drivingTimes[driverID]
            return DriverDetail(
                file: file, eligible: reasons.isEmpty, reasons: reasons, training: try await files.training(driverID: driverID),
                continuousDrivingSeconds: driving?.continuous, drivingLast24hSeconds: driving?.last24h
            )
        }
        list.add(.put, "/api/v1/drivers/{id}", Self.operators, "Update a driver's file", body: "DriverFile", returns: "DriverFile") { request, context, user in
            let driverID = try id("id", context)
            var file = try await decode(DriverFile.self, request, context)
            file.id = driverID
            try Self.validate(file)
            return try await saveDriver(file, user)
        }
        list.add(
            .post, "/api/v1/drivers/{id}/training", Self.operators, "Record training: pre-duty (3 days needed), monthly, quarterly drills",
            body: "TrainingRecord", returns: "Created", status: .created
        ) { request, context, user in
            let driverID = try id("id", context)
            let training = try await decode(TrainingRecord.self, request, context)
            let created: Int64
            let audit = entry(user, "training-add", "driver:\(driverID)", ["kind": training.kind.rawValue])
            do { created = try await files.addTraining(driverID: driverID, training, audit: { _ in audit }) } catch is NoSuchRecord {
                throw Self.notFound("no driver \(driverID)")
            }
            return Created(id: created)
        }
        list.add(
            .put, "/api/v1/drivers/{id}/vehicle", Self.operators, "Pair the driver with a vehicle (a crew), ending both's other pairings", body: "Pairing",
            returns: "Created"
        ) {
            request, context, user in
            let driverID = try id("id", context)
            let body = try await decode(Pairing.self, request, context)
            guard let vehicle = try await files.vehicle(plate: body.plate), let vehicleID = vehicle.id else {
                throw Problem.invalid("plate", "no vehicle has this plate")
            }
            let audit = entry(user, "crew-pair", "driver:\(driverID)", ["vehicle": "\(vehicleID)"])
            do { try await files.pair(vehicleID: vehicleID, driverID: driverID, audit: audit) } catch is NoSuchRecord {
                throw Self.notFound("no driver \(driverID)")
            }
            return Created(id: driverID)
        }
        list.add(
            .get, "/api/v1/reminders", Self.readers,
            "What the files need soon: policies to renew (30 days), inspections due (7 days), licences to renew (30 days), spares below 10% of the vehicles or 15% of the drivers",
            returns: "[Reminder]"
        ) { _, _, _ in try await files.reminders(now: clock.now) }
    }

    func vehicle(_ context: APIContext) async throws -> (VehicleFile, Int64) {
        let plate = try text("plate", context)
        guard let file = try await files.vehicle(plate: plate), let id = file.id else { throw Self.notFound("no vehicle has the plate \(plate)") }
        return (file, id)
    }

    /// Saves a driver's file, audited as `user`'s in the same transaction.
    func saveDriver(_ file: DriverFile, _ user: APIUser) async throws -> DriverFile {
        do {
            return try await files.saveDriver(file, audit: { [self] id in entry(user, "driver-save", "driver:\(id)") })
        } catch is DuplicateRecord {
            throw Problem(.conflict, "Duplicate", detail: "another driver has this licence number or login", field: "licenceNumber")
        } catch is NoSuchRecord {
            throw Self.notFound("no such driver or user")
        }
    }

    func vehicleStanding(ids: [Int64]?) async throws -> [Int64: [String]] {
        let matcher = dispatch.rounds.matcher, now = clock.now.epochSeconds
        return try await facts.vehicles(ids: ids).mapValues { matcher.standing(of: $0, now: now).map(\.description) }
    }

    /// A driver is judged for the class of their crew's vehicle (a saloon if unpaired).
    func driverStanding(ids: [Int64]?) async throws -> [Int64: [String]] {
        let matcher = dispatch.rounds.matcher, now = clock.now.epochSeconds
        let classOf = Dictionary(try await facts.pairs().map { ($0.driver, $0.vehicleClass) }, uniquingKeysWith: { a, _ in a })
        return try await facts.drivers(ids: ids, driving: dispatch.learning.drivingTimes).mapValues {
            matcher.standing(of: $0, for: classOf[$0.id] ?? .sedan, now: now).map(\.description)
        }
    }

    static func validate(_ file: VehicleFile) throws {
        // Lengths and bounds were checked at the door against the document's types.
        try require(!file.plate.trimmingCharacters(in: .whitespaces).isEmpty, "plate", "not blank")
    }

    static func validate(_ file: DriverFile) throws {
        try require(!file.name.trimmingCharacters(in: .whitespaces).isEmpty, "name", "not blank")
        try require(file.birthDate < file.serviceSince, "serviceSince", "after the birth date")
    }
}
