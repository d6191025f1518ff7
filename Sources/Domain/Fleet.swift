/// The facts dispatch decides on: vehicles and drivers as their files describe them, crews
/// (a driver on a vehicle for a shift), bookings. Times are UTC seconds since 1970; money and
/// distances are integers.

/// A point on the map, degrees x 10^6 as the terminals report them.
public struct GeoPoint: Sendable, Hashable {
    public var latitudeE6: Int32
    public var longitudeE6: Int32
    public init(latitudeE6: Int32, longitudeE6: Int32) {
        self.latitudeE6 = latitudeE6
        self.longitudeE6 = longitudeE6
    }
}

/// A time window [start, end) in UTC seconds.
public struct TimeWindow: Sendable, Hashable {
    public var start: Int64
    public var end: Int64
    public init(start: Int64, end: Int64) {
        self.start = start
        self.end = end
    }
    public func overlaps(_ other: TimeWindow) -> Bool { start < other.end && other.start < end }
}

/// A job a crew already holds: its window (the drive there included), and where it picks up and
/// ends. The crew sets off for a later job from that job's destination, and the job's drive
/// counts towards the driver's day.
public struct Commitment: Sendable, Hashable {
    public var window: TimeWindow
    public var pickup: GeoPoint
    public var destination: GeoPoint
    /// The booking it is, where it is one on file.
    public var bookingID: Int64?
    public init(window: TimeWindow, pickup: GeoPoint, destination: GeoPoint, bookingID: Int64? = nil) {
        (self.window, self.pickup, self.destination, self.bookingID) = (window, pickup, destination, bookingID)
    }

    /// A booking's job holds its crew from this long before the pick-up (the drive there and the
    /// 10 minutes' lead) to the end of its service.
    public static let leadBeforePickup: Int64 = 40 * 60

    /// The job of `booking`, held from `leadBeforePickup` before its pick-up to its end.
    public init(holding booking: Booking) {
        self.init(
            window: TimeWindow(start: booking.pickupTime - Self.leadBeforePickup, end: booking.serviceEnd), pickup: booking.pickup,
            destination: booking.destination, bookingID: booking.id)
    }

    /// When its passengers are picked up, where its drive starts.
    public var pickupTime: Int64 { window.start + Self.leadBeforePickup }
}

public enum EnergyType: String, Sendable, Hashable, Codable, CaseIterable {
    case batteryElectric, plugInHybrid, fuelCell, gas, petrol, diesel
    /// The lot is 100% new-energy (battery electric or gas; plug-in hybrids and fuel cells count).
    public var isNewEnergy: Bool { self != .petrol && self != .diesel }
}

public struct InsurancePolicy: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case compulsoryTraffic, thirdPartyLiability, vehicleDamage, seat, carrierLiability
    }
    public var kind: Kind
    public var insurer: String
    /// Cover in fen (third-party liability: per accident; seat: per seat).
    public var amountFen: Int64
    public var start: Int64
    public var expiry: Int64
    public init(kind: Kind, insurer: String, amountFen: Int64, start: Int64, expiry: Int64) {
        self.kind = kind
        self.insurer = insurer
        self.amountFen = amountFen
        self.start = start
        self.expiry = expiry
    }
}

public struct Inspection: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// The operator's full safety check, every month.
        case monthly
        /// The outside agency's deep inspection, every quarter.
        case quarterly
    }
    public var kind: Kind
    public var date: Int64
    public var passed: Bool
    public var findings: String
    public init(kind: Kind, date: Int64, passed: Bool, findings: String = "") {
        self.kind = kind
        self.date = date
        self.passed = passed
        self.findings = findings
    }
}

/// What dispatch needs of a vehicle's file, and of its live state.
public struct Vehicle: Sendable, Hashable {
    public var id: Int64
    public var plate: String
    public var vehicleClass: VehicleClass
    public var seats: Int
    public var energy: EnergyType
    /// Use nature must be rental (营运/租赁) for this lot.
    public var rentalUse: Bool
    public var policies: [InsurancePolicy]
    public var inspections: [Inspection]
    public var inRepair: Bool
    /// Kilometres a full battery drives (or tank, for gas).
    public var rangeKm: Int
    /// The newest state of charge reported, nil when none ever was: unknown, never full.
    public var charge: ChargeReading?
    /// The newest position from its terminal, and when it was fixed.
    public var position: GeoPoint?
    public var positionTime: Int64?
    /// Held back for urgent requests and replacements (the 10% spare vehicles).
    public var reserve: Bool

    public init(
        id: Int64, plate: String, vehicleClass: VehicleClass, seats: Int, energy: EnergyType = .batteryElectric, rentalUse: Bool = true,
        policies: [InsurancePolicy], inspections: [Inspection], inRepair: Bool = false, rangeKm: Int = 400, charge: ChargeReading? = nil,
        position: GeoPoint? = nil, positionTime: Int64? = nil, reserve: Bool = false
    ) {
        self.id = id
        self.plate = plate
        self.vehicleClass = vehicleClass
        self.seats = seats
        self.energy = energy
        self.rentalUse = rentalUse
        self.policies = policies
        self.inspections = inspections
        self.inRepair = inRepair
        self.rangeKm = rangeKm
        self.charge = charge
        self.position = position
        self.positionTime = positionTime
        self.reserve = reserve
    }
}

/// What dispatch needs of a driver's file, and of their day so far.
public struct Driver: Sendable, Hashable {
    public var id: Int64
    public var name: String
    public var birthDate: Int64
    /// When the driver started professional driving service.
    public var serviceSince: Int64
    /// Licence classes held (e.g. "C1", "B1", "A1") and the licence's expiry.
    public var licenceClasses: Set<String>
    public var licenceExpiry: Int64
    /// Points in the current scoring cycle (12 = full record).
    public var points: Int
    public var lastMajorAccident: Int64?
    public var criminalRecord: Bool
    /// Days of pre-duty training passed.
    public var preDutyTrainingDays: Int
    /// Seconds driven since the last rest of at least 20 minutes, and in the last 24 hours,
    /// as of `drivingAsOf` (from trips and the vehicle's track).
    public var continuousDriving: Int64
    public var drivingLast24h: Int64
    /// Of `continuousDriving`, the seconds driven at night (22:00 to 06:00).
    public var nightContinuousDriving: Int64
    /// Held back for urgent requests and replacements (the 15% spare drivers).
    public var reserve: Bool
    /// Why the driver is held out of matching until cleared (complaints substantiated
    /// repeatedly), or nil.
    public var review: String?

    public init(
        id: Int64, name: String, birthDate: Int64, serviceSince: Int64, licenceClasses: Set<String> = ["C1"], licenceExpiry: Int64, points: Int = 0,
        lastMajorAccident: Int64? = nil, criminalRecord: Bool = false, preDutyTrainingDays: Int = 3, continuousDriving: Int64 = 0,
        drivingLast24h: Int64 = 0, nightContinuousDriving: Int64 = 0, reserve: Bool = false, review: String? = nil
    ) {
        self.id = id
        self.name = name
        self.birthDate = birthDate
        self.serviceSince = serviceSince
        self.licenceClasses = licenceClasses
        self.licenceExpiry = licenceExpiry
        self.points = points
        self.lastMajorAccident = lastMajorAccident
        self.criminalRecord = criminalRecord
        self.preDutyTrainingDays = preDutyTrainingDays
        self.continuousDriving = continuousDriving
        self.drivingLast24h = drivingLast24h
        self.nightContinuousDriving = nightContinuousDriving
        self.reserve = reserve
        self.review = review
    }
}

/// A driver on a vehicle for a shift, and the jobs it already has.
public struct Crew: Sendable, Hashable {
    public var vehicle: Vehicle
    public var driver: Driver
    /// Bookings already assigned, every day of each (travel to them included).
    public var commitments: [Commitment]
    public init(vehicle: Vehicle, driver: Driver, commitments: [Commitment] = []) {
        self.vehicle = vehicle
        self.driver = driver
        self.commitments = commitments
    }
    public var isReserve: Bool { vehicle.reserve || driver.reserve }
}

/// An agency's request for a car with driver.
public struct Booking: Sendable, Hashable {
    public var id: Int64
    public var agencyID: Int64
    public var vehicleClass: VehicleClass
    public var passengers: Int
    /// When and where the passengers are picked up; the driver must be there 10 minutes before.
    public var pickupTime: Int64
    public var pickup: GeoPoint
    /// Where the trip ends (the crew is free again there), and its estimated length.
    public var destination: GeoPoint
    /// The booked service window, from pick-up; several days for a multi-day booking.
    public var serviceEnd: Int64
    /// Received at; urgent = pick-up within an hour of it.
    public var receivedAt: Int64

    public init(
        id: Int64, agencyID: Int64, vehicleClass: VehicleClass, passengers: Int, pickupTime: Int64, pickup: GeoPoint, destination: GeoPoint,
        serviceEnd: Int64, receivedAt: Int64
    ) {
        self.id = id
        self.agencyID = agencyID
        self.vehicleClass = vehicleClass
        self.passengers = passengers
        self.pickupTime = pickupTime
        self.pickup = pickup
        self.destination = destination
        self.serviceEnd = serviceEnd
        self.receivedAt = receivedAt
    }

    public var isUrgent: Bool { pickupTime - receivedAt <= 3600 }
    public var window: TimeWindow { TimeWindow(start: pickupTime, end: serviceEnd) }
}

/// A government agency the fleet serves under the framework agreement: a tenant of the system
/// (its users see only its own bookings, sheets and statements) and the party a statement is
/// addressed to.
public struct Agency: Sendable, Hashable, Codable {
    public var id: Int64
    public var name: String
    /// Who the operator calls about its trips.
    public var contactName: String?
    public var contactPhone: String?
    /// Its users' bookings wait for its approver before the operator receives them.
    public var requiresApproval: Bool

    public init(id: Int64, name: String, contactName: String? = nil, contactPhone: String? = nil, requiresApproval: Bool = false) {
        (self.id, self.name, self.contactName, self.contactPhone, self.requiresApproval) = (id, name, contactName, contactPhone, requiresApproval)
    }
}
