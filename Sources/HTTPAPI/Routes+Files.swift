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
    struct ReviewClearance: Decodable { var note: String }
    struct Charge: Decodable { var stateOfCharge: Int }

    func addFileRoutes(_ list: inout EndpointList) {
        list.add(.get, "/api/v1/vehicles", Self.readers, "Every vehicle's file and whether it is dispatchable now", returns: "[VehicleSummary]") { _, _, _ in
            try await dispatch.files.vehicles().map { VehicleSummary(file: $0.file, dispatchable: $0.fit, reasons: $0.reasons) }
        }
        list.add(
            .post, "/api/v1/vehicles", Self.operators, "File a vehicle, or update the file with the same plate", body: "VehicleFile", returns: "VehicleFile",
            status: .created
        ) {
            request, context, user in
            let file = try await decode(VehicleFile.self, request, context)
            return try await dispatch.files.save(
                file, enteredBy: user.id, audit: { [self] id in entry(user, "vehicle-save", "vehicle:\(id)", ["plate": file.plate]) })
        }
        list.add(
            .get, "/api/v1/vehicles/{plate}", Self.readers, "A vehicle's whole file: policies, inspections, maintenance, and its standing",
            returns: "VehicleDetail"
        ) {
            _, context, _ in
            let dossier = try await dispatch.files.dossier(plate: try text("plate", context))
            return VehicleDetail(
                file: dossier.standing.file, dispatchable: dossier.standing.fit, reasons: dossier.standing.reasons, policies: dossier.policies,
                inspections: dossier.inspections, maintenance: dossier.maintenance
            )
        }
        list.add(
            .post, "/api/v1/vehicles/{plate}/policies", Self.operators, "Add an insurance policy", body: "InsuranceRecord", returns: "Created", status: .created
        ) {
            request, context, user in
            let id = try await vehicleID(context)
            let policy = try await decode(InsuranceRecord.self, request, context)
            let audit: Audit<Int64> = { [self] created in entry(user, "policy-add", "vehicle:\(id)", ["kind": policy.kind.rawValue, "policy": "\(created)"]) }
            return Created(id: try await dispatch.files.addPolicy(vehicleID: id, policy, audit: audit))
        }
        list.add(
            .post, "/api/v1/vehicles/{plate}/inspections", Self.operators,
            "Record an inspection (a failed one takes the vehicle out of service until one passes)",
            body: "InspectionRecord", returns: "Created", status: .created
        ) { request, context, user in
            let id = try await vehicleID(context)
            let inspection = try await decode(InspectionRecord.self, request, context)
            let audit = entry(user, "inspection-add", "vehicle:\(id)", ["kind": inspection.kind.rawValue, "passed": "\(inspection.passed)"])
            return Created(id: try await dispatch.files.addInspection(vehicleID: id, inspection, audit: { _ in audit }))
        }
        list.add(
            .post, "/api/v1/vehicles/{plate}/maintenance", Self.operators,
            "Record maintenance or a repair (an unfinished repair takes the vehicle out of service)",
            body: "MaintenanceRecord", returns: "Created", status: .created
        ) { request, context, user in
            let id = try await vehicleID(context)
            let record = try await decode(MaintenanceRecord.self, request, context)
            let audit = entry(user, "maintenance-add", "vehicle:\(id)", ["kind": record.kind.rawValue])
            return Created(id: try await dispatch.files.addMaintenance(vehicleID: id, record, audit: { _ in audit }))
        }
        list.add(
            .post, "/api/v1/vehicles/{plate}/maintenance/{id}/finish", Self.operators, "Finish a repair: the vehicle is back in service", body: "Finish",
            returns: "Created"
        ) {
            request, context, user in
            let vehicle = try await vehicleID(context)
            let record = try id("id", context)
            let body = try await decode(Finish.self, request, context)
            let audit = entry(user, "maintenance-finish", "vehicle:\(vehicle)", ["record": "\(record)"])
            try await dispatch.files.finishMaintenance(record, vehicleID: vehicle, at: body.finishedAt, audit: audit)
            return Created(id: record)
        }
        list.add(
            .put, "/api/v1/vehicles/{plate}/charge", Self.operators + [.driver], "The state of charge now (0-100 %), as the car's display shows it",
            body: "Charge", returns: "Created"
        ) { request, context, user in
            let id = try await vehicleID(context)
            let body = try await decode(Charge.self, request, context)
            let audit = entry(user, "charge-set", "vehicle:\(id)", ["percent": "\(body.stateOfCharge)"])
            do {
                try await dispatch.files.setStateOfCharge(
                    vehicleID: id, percent: body.stateOfCharge, byDriverUser: user.role == .driver ? user.id : nil, enteredBy: user.id, audit: audit)
            } catch is FleetFileService.NotYourVehicle {
                throw Problem.forbidden(user.role)
            }
            return Created(id: id)
        }
        list.add(.get, "/api/v1/drivers", Self.readers, "Every driver's file and whether they may drive now", returns: "[DriverSummary]") { _, _, user in
            try await auditRead(user, "driver-read", "drivers")
            return try await dispatch.files.drivers().map { DriverSummary(file: $0.file, eligible: $0.fit, reasons: $0.reasons) }
        }
        list.add(.post, "/api/v1/drivers", Self.operators, "File a driver", body: "DriverFile", returns: "DriverFile", status: .created) {
            request, context, user in
            var file = try await decode(DriverFile.self, request, context)
            file.id = nil
            return try await dispatch.files.save(file, audit: { [self] id in entry(user, "driver-save", "driver:\(id)") })
        }
        list.add(.get, "/api/v1/drivers/{id}", Self.readers, "A driver's whole file: training, and whether they may drive now", returns: "DriverDetail") {
            _, context, user in
            let driverID = try id("id", context)
            try await auditRead(user, "driver-read", "driver:\(driverID)")
            let dossier = try await dispatch.files.dossier(driverID: driverID)
            return DriverDetail(
                file: dossier.standing.file, eligible: dossier.standing.fit, reasons: dossier.standing.reasons, training: dossier.training,
                continuousDrivingSeconds: dossier.driving?.continuous, drivingLast24hSeconds: dossier.driving?.last24h
            )
        }
        list.add(.put, "/api/v1/drivers/{id}", Self.operators, "Update a driver's file", body: "DriverFile", returns: "DriverFile") { request, context, user in
            let driverID = try id("id", context)
            var file = try await decode(DriverFile.self, request, context)
            file.id = driverID
            return try await dispatch.files.save(file, audit: { [self] id in entry(user, "driver-save", "driver:\(id)") })
        }
        list.add(
            .post, "/api/v1/drivers/{id}/training", Self.operators, "Record training: pre-duty (3 days needed), monthly, quarterly drills",
            body: "TrainingRecord", returns: "Created", status: .created
        ) { request, context, user in
            let driverID = try id("id", context)
            let training = try await decode(TrainingRecord.self, request, context)
            let audit = entry(user, "training-add", "driver:\(driverID)", ["kind": training.kind.rawValue])
            return Created(id: try await dispatch.files.addTraining(driverID: driverID, training, audit: { _ in audit }))
        }
        list.add(
            .put, "/api/v1/drivers/{id}/vehicle", Self.operators, "Pair the driver with a vehicle (a crew), ending both's other pairings", body: "Pairing",
            returns: "Created"
        ) {
            request, context, user in
            let driverID = try id("id", context)
            let body = try await decode(Pairing.self, request, context)
            try await dispatch.files.pair(
                driverID: driverID, plate: body.plate,
                audit: { [self] vehicleID in entry(user, "crew-pair", "driver:\(driverID)", ["vehicle": "\(vehicleID)"]) })
            return Created(id: driverID)
        }
        list.add(
            .post, "/api/v1/drivers/{id}/review/clear", Self.operators,
            "End a driver's review after repeated substantiated complaints, with what was done: they may be matched again", body: "ReviewClearance",
            returns: "Done"
        ) {
            request, context, user in
            let driverID = try id("id", context)
            let body = try await decode(ReviewClearance.self, request, context)
            guard (1...2000).contains(body.note.count) else { throw Refused(field: "note", expected: "what was done, 1 to 2000 characters") }
            try await dispatch.files.clearReview(driverID: driverID, audit: entry(user, "driver-review-clear", "driver:\(driverID)", ["note": body.note]))
            return Done(done: true)
        }
        list.add(
            .get, "/api/v1/reminders", Self.readers,
            "What the files need soon: policies to renew (30 days), inspections due (7 days), licences to renew (30 days), spares below 10% of the vehicles or 15% of the drivers",
            returns: "[Reminder]"
        ) { _, _, _ in try await dispatch.files.reminders() }
    }

    /// The id of the vehicle the path's plate names.
    func vehicleID(_ context: APIContext) async throws -> Int64 { try await dispatch.files.vehicle(plate: try text("plate", context)).id }
}
