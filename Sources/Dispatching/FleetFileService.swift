import Domain
import Foundation
import Matching
import Store

/// Vehicles' and drivers' files: each change checked, written with its audit line in one
/// transaction, and announced (`fleetChanged`) so that a crew it makes dispatchable is matched at
/// once; and each file's standing, judged by the dispatch rules as a matching round judges it.
public struct FleetFileService: Sendable {
    let files: FleetFiles
    let facts: DispatchFacts
    let rounds: MatchingRounds
    let learning: TrackLearning
    let events: ServiceEvents
    let clock: any WallClock

    /// A file and why it may not serve now (none: it may).
    public struct Standing<File: Sendable>: Sendable {
        public var file: File
        public var reasons: [String]
        public var fit: Bool { reasons.isEmpty }
    }

    /// A vehicle's whole file.
    public struct VehicleDossier: Sendable {
        public var standing: Standing<VehicleFile>
        public var policies: [InsuranceRecord]
        public var inspections: [InspectionRecord]
        public var maintenance: [MaintenanceRecord]
    }

    /// A driver's whole file, with the driving time the tracks show.
    public struct DriverDossier: Sendable {
        public var standing: Standing<DriverFile>
        public var training: [TrainingRecord]
        public var driving: DrivingTime?
    }

    // MARK: vehicles

    public func vehicles() async throws -> [Standing<VehicleFile>] {
        let reasons = try await vehicleStanding(ids: nil)
        return try await files.vehicles().map { Standing(file: $0, reasons: $0.id.flatMap { reasons[$0] } ?? []) }
    }

    /// The vehicle with this plate, or `NoSuchRecord` naming it.
    public func vehicle(plate: String) async throws -> (file: VehicleFile, id: Int64) {
        guard let file = try await files.vehicle(plate: plate), let id = file.id else { throw NoSuchRecord("no vehicle has the plate \(plate)") }
        return (file, id)
    }

    public func dossier(plate: String) async throws -> VehicleDossier {
        let (file, id) = try await vehicle(plate: plate)
        return VehicleDossier(
            standing: Standing(file: file, reasons: try await vehicleStanding(ids: [id])[id] ?? []), policies: try await files.policies(vehicleID: id),
            inspections: try await files.inspections(vehicleID: id), maintenance: try await files.maintenance(vehicleID: id)
        )
    }

    /// Files a vehicle, or updates the file with the same plate. A state of charge given with a
    /// new file is a reading `enteredBy` a user now; a file's own reading changes only by
    /// `setStateOfCharge` or its terminal.
    public func save(_ file: VehicleFile, enteredBy userID: Int64? = nil, audit: Audit<Int64>?) async throws -> VehicleFile {
        guard !file.plate.trimmingCharacters(in: .whitespaces).isEmpty else { throw Refused(field: "plate", expected: "not blank") }
        if let percent = file.stateOfCharge, !(0...100).contains(percent) { throw Refused(field: "stateOfCharge", expected: "0 to 100") }
        let saved: VehicleFile
        do { saved = try await files.saveVehicle(file, enteredBy: userID, at: clock.now, audit: audit) } catch is DuplicateRecord {
            throw Conflict("another vehicle has this VIN", field: "vin")
        }
        try await events.publish(.fleetChanged)
        return saved
    }

    public func addPolicy(vehicleID: Int64, _ policy: InsuranceRecord, audit: Audit<Int64>?) async throws -> Int64 {
        guard policy.expiresAt > policy.startsAt else { throw Refused(field: "expiresAt", expected: "after startsAt") }
        guard !policy.insurer.trimmingCharacters(in: .whitespaces).isEmpty else { throw Refused(field: "insurer", expected: "the insurer's name") }
        return try await changed { try await files.addPolicy(vehicleID: vehicleID, policy, audit: audit) }
    }

    /// A failed inspection takes the vehicle out of service until one passes.
    public func addInspection(vehicleID: Int64, _ inspection: InspectionRecord, audit: Audit<Int64>?) async throws -> Int64 {
        // Five minutes' grace for the inspector's watch.
        guard inspection.inspectedAt <= clock.now.addingTimeInterval(300) else { throw Refused(field: "inspectedAt", expected: "not in the future") }
        return try await changed { try await files.addInspection(vehicleID: vehicleID, inspection, audit: audit) }
    }

    /// An unfinished repair takes the vehicle out of service.
    public func addMaintenance(vehicleID: Int64, _ record: MaintenanceRecord, audit: Audit<Int64>?) async throws -> Int64 {
        guard record.finishedAt.map({ $0 >= record.startedAt }) ?? true else { throw Refused(field: "finishedAt", expected: "not before startedAt") }
        return try await changed { try await files.addMaintenance(vehicleID: vehicleID, record, audit: audit) }
    }

    /// Finishes a repair (now, or at `at`): the vehicle is back in service.
    public func finishMaintenance(_ id: Int64, vehicleID: Int64, at: Date?, audit: AuditLine?) async throws {
        let finished: Bool
        do {
            finished = try await files.finishMaintenance(id: id, vehicleID: vehicleID, at: at ?? clock.now, audit: audit)
        } catch is FleetFiles.FinishedBeforeStart {
            throw Refused(field: "finishedAt", expected: "not before the record's start")
        }
        guard finished else { throw NoSuchRecord("no unfinished maintenance record \(id) on this vehicle") }
        try await events.publish(.fleetChanged)
    }

    /// The state of charge as the car's display shows it, a reading entered by hand now by
    /// `enteredBy`; a driver sets only their own crew's.
    public func setStateOfCharge(
        vehicleID: Int64, percent: Int, byDriverUser userID: Int64?, enteredBy: Int64? = nil, audit: AuditLine?
    ) async throws {
        guard (0...100).contains(percent) else { throw Refused(field: "stateOfCharge", expected: "0 to 100") }
        if let userID, try await files.driver(userID: userID)?.vehicleID != vehicleID { throw NotYourVehicle() }
        let reading = ChargeReading(percent: percent, at: clock.now.epochSeconds, source: .hand, enteredBy: enteredBy ?? userID)
        try await files.recordCharge(vehicleID: vehicleID, reading, audit: audit)
        try await events.publish(.fleetChanged)
    }

    /// A driver asked about a vehicle that is not their crew's.
    public struct NotYourVehicle: Error, Hashable {}

    // MARK: drivers

    public func drivers() async throws -> [Standing<DriverFile>] {
        let reasons = try await driverStanding(ids: nil)
        return try await files.drivers().map { Standing(file: $0, reasons: $0.id.flatMap { reasons[$0] } ?? []) }
    }

    public func dossier(driverID: Int64) async throws -> DriverDossier {
        guard let file = try await files.driver(id: driverID) else { throw NoSuchRecord("no driver \(driverID)") }
        return DriverDossier(
            standing: Standing(file: file, reasons: try await driverStanding(ids: [driverID])[driverID] ?? []),
            training: try await files.training(driverID: driverID), driving: learning.drivingTimes[driverID]
        )
    }

    /// The driver whose login this is, if the user drives.
    public func driver(userID: Int64) async throws -> DriverFile? { try await files.driver(userID: userID) }

    /// Files a driver (no id) or updates their file.
    public func save(_ file: DriverFile, audit: Audit<Int64>?) async throws -> DriverFile {
        guard !file.name.trimmingCharacters(in: .whitespaces).isEmpty else { throw Refused(field: "name", expected: "not blank") }
        guard file.birthDate < file.serviceSince else { throw Refused(field: "serviceSince", expected: "after the birth date") }
        // Matched exactly against what cards carry: no blanks around it, no control characters.
        var file = file
        file.certificateNumber = file.certificateNumber?.trimmingCharacters(in: .whitespaces)
        if let number = file.certificateNumber, number.isEmpty || number.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw Refused(field: "certificateNumber", expected: "the certificate's number, without control characters")
        }
        let saved: DriverFile
        do { saved = try await files.saveDriver(file, audit: audit) } catch is DuplicateRecord {
            throw Conflict("another driver has this licence number, certificate number or login", field: "licenceNumber")
        } catch is NoSuchRecord {
            throw NoSuchRecord("no such driver or user")
        }
        try await events.publish(.fleetChanged)
        return saved
    }

    /// Pre-duty training (3 days) is what makes a new driver eligible.
    public func addTraining(driverID: Int64, _ training: TrainingRecord, audit: Audit<Int64>?) async throws -> Int64 {
        do { return try await changed { try await files.addTraining(driverID: driverID, training, audit: audit) } } catch is NoSuchRecord {
            throw NoSuchRecord("no driver \(driverID)")
        }
    }

    /// Pairs the driver with the vehicle of this plate (a crew), ending both's other pairings.
    public func pair(driverID: Int64, plate: String, audit: Audit<Int64>?) async throws {
        guard let vehicleID = try await files.vehicle(plate: plate)?.id else { throw Refused(field: "plate", expected: "the plate of a vehicle on file") }
        do { try await files.pair(vehicleID: vehicleID, driverID: driverID, audit: audit?(vehicleID)) } catch is NoSuchRecord {
            throw NoSuchRecord("no driver \(driverID)")
        }
        try await events.publish(.fleetChanged)
    }

    /// Ends a driver's review after repeated complaints: they may be matched again.
    public func clearReview(driverID: Int64, audit: AuditLine?) async throws {
        guard try await files.clearReview(driverID: driverID, audit: audit) else { throw NoSuchRecord("no driver \(driverID) held for review") }
        try await events.publish(.fleetChanged)
    }

    /// What the files need soon: policies, inspections, licences, spares.
    public func reminders() async throws -> [Reminder] { try await files.reminders(now: clock.now, rules: rounds.rules) }

    // MARK: standing

    /// A write that may change who can serve, announced once stored.
    private func changed<R>(_ write: () async throws -> R) async throws -> R {
        let result = try await write()
        try await events.publish(.fleetChanged)
        return result
    }

    func vehicleStanding(ids: [Int64]?) async throws -> [Int64: [String]] {
        let matcher = rounds.matcher, now = clock.now.epochSeconds
        return try await facts.vehicles(ids: ids).mapValues { matcher.standing(of: $0, now: now).map(\.description) }
    }

    /// A driver is judged for the class of their crew's vehicle (a saloon if unpaired).
    func driverStanding(ids: [Int64]?) async throws -> [Int64: [String]] {
        let matcher = rounds.matcher, now = clock.now.epochSeconds
        let classOf = Dictionary(try await facts.pairs().map { ($0.driver, $0.vehicleClass) }, uniquingKeysWith: { a, _ in a })
        return try await facts.drivers(ids: ids, driving: learning.drivingTimes).mapValues {
            matcher.standing(of: $0, for: classOf[$0.id] ?? .sedan, now: now).map(\.description)
        }
    }
}
