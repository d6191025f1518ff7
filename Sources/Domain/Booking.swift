import Foundation

/// A place on a booking: coordinates (WGS-84 degrees, as the terminals report) and its text.
public struct Place: Sendable, Hashable, Codable {
    public var latitude: Double
    public var longitude: Double
    public var address: String

    public init(latitude: Double, longitude: Double, address: String) {
        (self.latitude, self.longitude, self.address) = (latitude, longitude, address)
    }

    public var point: GeoPoint { GeoPoint(latitudeE6: Int32((latitude * 1e6).rounded()), longitudeE6: Int32((longitude * 1e6).rounded())) }
    public init(latitudeE6: Int32, longitudeE6: Int32, address: String) {
        self.init(latitude: Double(latitudeE6) / 1e6, longitude: Double(longitudeE6) / 1e6, address: address)
    }
}

/// What an agency asks for (docs/DOMAIN.md, "A trip, from request to settlement", step 1).
public struct BookingRequest: Sendable, Hashable, Codable {
    public enum Channel: String, Sendable, Hashable, Codable, CaseIterable { case phone, platform, contact }
    public var channel: Channel
    /// Set by the API from the caller for an agency user; named by a dispatcher.
    public var agencyID: Int64?
    public var contactName: String
    public var contactPhone: String
    public var passengers: Int
    public var vehicleClass: VehicleClass
    public var pickupTime: Date
    public var pickup: Place
    public var destination: Place
    public var routeNotes: String?
    /// Where the trip goes between pick-up and destination, in order (at most
    /// `RouteCorridor.maximumStops`): the route agreed, with pick-up and destination.
    public var stops: [Place]?
    /// End of the booked service; several days after pick-up for a multi-day booking.
    public var serviceEnd: Date
    public var specialNeeds: String?
    /// A city transfer, priced per trip by the tariff's transfer package; by time if not.
    public var transfer: Bool?
    /// The contact's e-mail address, told the booking's notices by e-mail too where the server
    /// has SMTP configured; a plausible address (`EmailAddress.isPlausible`) or none.
    public var contactEmail: String?

    public init(
        channel: Channel, agencyID: Int64?, contactName: String, contactPhone: String, passengers: Int, vehicleClass: VehicleClass,
        pickupTime: Date, pickup: Place, destination: Place, serviceEnd: Date
    ) {
        (self.channel, self.agencyID, self.contactName, self.contactPhone, self.passengers) = (channel, agencyID, contactName, contactPhone, passengers)
        (self.vehicleClass, self.pickupTime, self.pickup, self.destination, self.serviceEnd) = (vehicleClass, pickupTime, pickup, destination, serviceEnd)
    }

    /// A booking for within the hour of its receipt is urgent (the same rule as `Booking.isUrgent`).
    public func isUrgent(receivedAt: Date) -> Bool { pickupTime.timeIntervalSince(receivedAt) <= 3600 }
}

/// Who did something: a user, or a part of the system ("dispatch-engine", "gnss").
public struct Actor: Sendable, Hashable {
    public var userID: Int64?
    public var name: String
    public init(userID: Int64?, name: String) {
        self.userID = userID
        self.name = name
    }
    public static let engine = Actor(userID: nil, name: "dispatch-engine")
    public static let gnss = Actor(userID: nil, name: "gnss")
}

/// A booking as stored, with its crew and its signed transitions.
public struct BookingRecord: Sendable, Hashable, Codable {
    public struct Transition: Sendable, Hashable, Codable {
        public var state: BookingState
        public var at: Date
        public var by: String
        public var vehicleID: Int64?
        public var driverID: Int64?
        public var note: String
        /// Replaced: where the broken-down vehicle stopped (its last fix then), if it had one.
        public var stop: Place?

        public init(state: BookingState, at: Date, by: String, vehicleID: Int64?, driverID: Int64?, note: String, stop: Place? = nil) {
            self.state = state
            self.at = at
            self.by = by
            self.vehicleID = vehicleID
            self.driverID = driverID
            self.note = note
            self.stop = stop
        }
    }
    public var id: Int64
    public var request: BookingRequest
    public var agencyID: Int64
    public var receivedAt: Date
    public var urgent: Bool
    public var state: BookingState
    public var vehicleID: Int64?
    public var driverID: Int64?
    public var tollsFen: Int64?
    public var parkingFen: Int64?
    public var receipts: [String]
    public var reportedMetres: Int64?
    public var reportedSeconds: Int64?
    /// Bumped by every change: the ETag.
    public var version: Int
    public var updatedAt: Date
    public var transitions: [Transition]
    /// The changes of route its agency agreed to, oldest first.
    public var routeChanges: [RouteChange] = []

    /// The engine's view of it.
    public var booking: Booking {
        Booking(
            id: id, agencyID: agencyID, vehicleClass: request.vehicleClass, passengers: request.passengers,
            pickupTime: request.pickupTime.epochSeconds, pickup: request.pickup.point, destination: request.destination.point,
            serviceEnd: request.serviceEnd.epochSeconds, receivedAt: receivedAt.epochSeconds
        )
    }

    /// Still awaiting its agency's approval at `now`, past its pick-up time: too late to approve
    /// (no crew could serve it), and ended by the sweep.
    public func approvalLapsed(at now: Date) -> Bool { state == .awaitingApproval && request.pickupTime <= now }

    /// The transitions as the SLA clocks read them.
    public var history: BookingHistory {
        var history = BookingHistory(
            startingIn: transitions.first?.state ?? .received, at: transitions.first?.at.epochSeconds ?? receivedAt.epochSeconds,
            by: transitions.first?.by ?? "")
        for t in transitions.dropFirst() { try? history.move(to: t.state, at: t.at.epochSeconds, by: t.by) }
        return history
    }

    public init(
        id: Int64, request: BookingRequest, agencyID: Int64, receivedAt: Date, urgent: Bool, state: BookingState, vehicleID: Int64?, driverID: Int64?,
        tollsFen: Int64?, parkingFen: Int64?, receipts: [String], reportedMetres: Int64?, reportedSeconds: Int64?, version: Int, updatedAt: Date,
        transitions: [Transition]
    ) {
        self.id = id
        self.request = request
        self.agencyID = agencyID
        self.receivedAt = receivedAt
        self.urgent = urgent
        self.state = state
        self.vehicleID = vehicleID
        self.driverID = driverID
        self.tollsFen = tollsFen
        self.parkingFen = parkingFen
        self.receipts = receipts
        self.reportedMetres = reportedMetres
        self.reportedSeconds = reportedSeconds
        self.version = version
        self.updatedAt = updatedAt
        self.transitions = transitions
    }
}

/// What the driver enters at completion: tolls and parking at cost, with receipt references,
/// and optionally the time and distance the driver and the agency contact noted (checked
/// against the system's on the settlement sheet).
public struct Completion: Sendable, Hashable, Codable {
    public var tollsFen: Int64
    public var parkingFen: Int64
    public var receipts: [String]
    public var reportedMetres: Int64?
    public var reportedSeconds: Int64?
    public init(tollsFen: Int64, parkingFen: Int64, receipts: [String], reportedMetres: Int64? = nil, reportedSeconds: Int64? = nil) {
        (self.tollsFen, self.parkingFen, self.receipts) = (tollsFen, parkingFen, receipts)
        (self.reportedMetres, self.reportedSeconds) = (reportedMetres, reportedSeconds)
    }
}
