import Foundation

/// A vehicle's file ("one car, one file"): the registry fields of docs/DOMAIN.md ("Vehicles: one
/// car, one file") and what dispatch needs. Missing optional fields decode to the lot's defaults.
public struct VehicleFile: Sendable, Hashable, Codable {
    public var id: Int64?
    public var plate: String
    public var brand: String?
    public var model: String?
    public var vin: String?
    public var engineNumber: String?
    public var registrationDate: CivilDate?
    /// Use nature: must be rental for this lot.
    public var rentalUse: Bool
    public var vehicleClass: VehicleClass
    public var seats: Int
    public var energy: EnergyType
    /// 行驶证 and 机动车登记证书 numbers.
    public var drivingLicenceNumber: String?
    public var registrationCertificate: String?
    public var rangeKm: Int
    /// The newest reading's, nil when none was ever reported; given when the file is created, it
    /// is recorded as entered by hand (changed afterwards by the charge route or the terminal).
    public var stateOfCharge: Int?
    public var reserve: Bool
    /// The bound terminal's phone (read only: bound with `fleetd terminal bind`).
    public var terminalPhone: String?

    public init(plate: String, vehicleClass: VehicleClass, seats: Int, energy: EnergyType = .batteryElectric) {
        (self.plate, self.vehicleClass, self.seats, self.energy) = (plate, vehicleClass, seats, energy)
        (rentalUse, rangeKm, stateOfCharge, reserve) = (true, 400, nil, false)
    }

    enum CodingKeys: String, CodingKey {
        case id, plate, brand, model, vin, engineNumber, registrationDate, rentalUse, vehicleClass, seats, energy
        case drivingLicenceNumber, registrationCertificate, rangeKm, stateOfCharge, reserve, terminalPhone
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            plate: try c.decode(String.self, forKey: .plate), vehicleClass: try c.decode(VehicleClass.self, forKey: .vehicleClass),
            seats: try c.decode(Int.self, forKey: .seats), energy: try c.decodeIfPresent(EnergyType.self, forKey: .energy) ?? .batteryElectric
        )
        brand = try c.decodeIfPresent(String.self, forKey: .brand)
        model = try c.decodeIfPresent(String.self, forKey: .model)
        vin = try c.decodeIfPresent(String.self, forKey: .vin)
        engineNumber = try c.decodeIfPresent(String.self, forKey: .engineNumber)
        registrationDate = try c.decodeIfPresent(CivilDate.self, forKey: .registrationDate)
        rentalUse = try c.decodeIfPresent(Bool.self, forKey: .rentalUse) ?? true
        drivingLicenceNumber = try c.decodeIfPresent(String.self, forKey: .drivingLicenceNumber)
        registrationCertificate = try c.decodeIfPresent(String.self, forKey: .registrationCertificate)
        rangeKm = try c.decodeIfPresent(Int.self, forKey: .rangeKm) ?? 400
        stateOfCharge = try c.decodeIfPresent(Int.self, forKey: .stateOfCharge)
        reserve = try c.decodeIfPresent(Bool.self, forKey: .reserve) ?? false
    }
}

public struct InsuranceRecord: Sendable, Hashable, Codable {
    public var id: Int64?
    public var kind: InsurancePolicy.Kind
    public var insurer: String
    /// Cover in fen; for seat insurance, per seat.
    public var amountFen: Int64
    public var startsAt: Date
    public var expiresAt: Date

    public init(kind: InsurancePolicy.Kind, insurer: String, amountFen: Int64, startsAt: Date, expiresAt: Date) {
        (self.kind, self.insurer, self.amountFen, self.startsAt, self.expiresAt) = (kind, insurer, amountFen, startsAt, expiresAt)
    }
}

public struct InspectionRecord: Sendable, Hashable, Codable {
    public var id: Int64?
    public var kind: Inspection.Kind
    public var inspectedAt: Date
    public var passed: Bool
    public var findings: String?
    public var inspector: String?

    public init(kind: Inspection.Kind, inspectedAt: Date, passed: Bool, findings: String? = nil, inspector: String? = nil) {
        (self.kind, self.inspectedAt, self.passed, self.findings, self.inspector) = (kind, inspectedAt, passed, findings, inspector)
    }
}

public struct MaintenanceRecord: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable { case maintenance, repair }
    public var id: Int64?
    public var kind: Kind
    public var startedAt: Date
    /// An unfinished repair takes the vehicle out of service.
    public var finishedAt: Date?
    public var description: String
    public var costFen: Int64?

    public init(kind: Kind, startedAt: Date, finishedAt: Date? = nil, description: String, costFen: Int64? = nil) {
        (self.kind, self.startedAt, self.finishedAt, self.description, self.costFen) = (kind, startedAt, finishedAt, description, costFen)
    }
}

/// A driver's file ("one person, one file").
public struct DriverFile: Sendable, Hashable, Codable {
    public var id: Int64?
    public var name: String
    public var phone: String
    public var birthDate: CivilDate
    public var serviceSince: CivilDate
    public var licenceNumber: String
    public var licenceClasses: [String]
    public var licenceExpiry: CivilDate
    public var points: Int
    public var lastMajorAccident: CivilDate?
    public var criminalRecord: Bool
    public var backgroundCheckedAt: CivilDate?
    public var reserve: Bool
    /// The driver's own login (role driver), if any.
    public var userID: Int64?
    /// The vehicle the driver is paired with (read only: set by pairing).
    public var vehicleID: Int64?
    /// The qualification certificate's number (从业资格证), as on the driver's IC card: a card
    /// read in a vehicle is matched to this file by it.
    public var certificateNumber: String?

    public init(
        name: String, phone: String, birthDate: CivilDate, serviceSince: CivilDate, licenceNumber: String, licenceClasses: [String], licenceExpiry: CivilDate
    ) {
        (self.name, self.phone, self.birthDate, self.serviceSince) = (name, phone, birthDate, serviceSince)
        (self.licenceNumber, self.licenceClasses, self.licenceExpiry) = (licenceNumber, licenceClasses, licenceExpiry)
        (points, criminalRecord, reserve) = (0, false, false)
    }

    enum CodingKeys: String, CodingKey {
        case id, name, phone, birthDate, serviceSince, licenceNumber, licenceClasses, licenceExpiry, points, lastMajorAccident
        case criminalRecord, backgroundCheckedAt, reserve, userID, vehicleID, certificateNumber
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            name: try c.decode(String.self, forKey: .name), phone: try c.decode(String.self, forKey: .phone),
            birthDate: try c.decode(CivilDate.self, forKey: .birthDate), serviceSince: try c.decode(CivilDate.self, forKey: .serviceSince),
            licenceNumber: try c.decode(String.self, forKey: .licenceNumber), licenceClasses: try c.decode([String].self, forKey: .licenceClasses),
            licenceExpiry: try c.decode(CivilDate.self, forKey: .licenceExpiry)
        )
        points = try c.decodeIfPresent(Int.self, forKey: .points) ?? 0
        lastMajorAccident = try c.decodeIfPresent(CivilDate.self, forKey: .lastMajorAccident)
        criminalRecord = try c.decodeIfPresent(Bool.self, forKey: .criminalRecord) ?? false
        backgroundCheckedAt = try c.decodeIfPresent(CivilDate.self, forKey: .backgroundCheckedAt)
        reserve = try c.decodeIfPresent(Bool.self, forKey: .reserve) ?? false
        userID = try c.decodeIfPresent(Int64.self, forKey: .userID)
        certificateNumber = try c.decodeIfPresent(String.self, forKey: .certificateNumber)
    }
}

public struct TrainingRecord: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable { case preDuty, monthly, quarterlyDrill }
    public var id: Int64?
    public var kind: Kind
    public var heldOn: CivilDate
    public var days: Int
    public var passed: Bool
    public var note: String?

    public init(kind: Kind, heldOn: CivilDate, days: Int, passed: Bool) {
        (self.kind, self.heldOn, self.days, self.passed) = (kind, heldOn, days, passed)
    }
}

/// What the files need soon: a policy to renew, an inspection due, a licence to renew, spares short.
public struct Reminder: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable { case insuranceExpiring, inspectionDue, licenceExpiring, reserveShort }
    public var kind: Kind
    /// The plate, or the driver's name.
    public var subject: String
    public var detail: String
    public var due: Date

    public init(kind: Kind, subject: String, detail: String, due: Date) {
        self.kind = kind
        self.subject = subject
        self.detail = detail
        self.due = due
    }
}
