import Foundation

/// A driver's IC card (the qualification certificate) going into or out of a vehicle's terminal
/// (0x0702): who signed in on the vehicle and when. Kept per vehicle; the driver is the one whose
/// file holds the card's certificate number, when one does.
public struct DriverCardRecord: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable {
        /// The driver signs in (上班).
        case inserted
        /// The driver signs out (下班).
        case removed
    }

    public var terminalID: Int32
    public var status: Status
    /// Epoch seconds of the card going in or out, by the terminal's clock; by the server's when
    /// `timedByServer` (the 2011 layout carries no time).
    public var occurredAt: Int64
    public var timedByServer = false
    /// 0 read; otherwise why the card could not be read. nil when removed.
    public var readResult: UInt8?
    public var name: String?
    public var certificate: String?
    public var authority: String?
    public var validUntil: CivilDate?
    public var idNumber: String?

    public init(
        terminalID: Int32, status: Status, occurredAt: Int64, readResult: UInt8? = nil, name: String? = nil, certificate: String? = nil,
        authority: String? = nil, validUntil: CivilDate? = nil, idNumber: String? = nil
    ) {
        self.terminalID = terminalID
        self.status = status
        self.occurredAt = occurredAt
        self.readResult = readResult
        self.name = name
        self.certificate = certificate
        self.authority = authority
        self.validUntil = validUntil
        self.idNumber = idNumber
    }
}

/// Where the gateway puts card reports; a report is answered only once `record` returned.
public protocol DriverCardSink: Sendable {
    func record(_ card: DriverCardRecord) async throws
}

/// Who was signed in on a vehicle from when to when (a stretch between a card going in and going
/// out, or the next card), for crediting driving time.
public struct SignInStretch: Sendable, Hashable {
    public var vehicleID: Int64
    /// nil when the card matched no driver's file.
    public var driverID: Int64?
    public var from: Int64
    /// nil while still signed in.
    public var until: Int64?

    public init(vehicleID: Int64, driverID: Int64?, from: Int64, until: Int64?) {
        self.vehicleID = vehicleID
        self.driverID = driverID
        self.from = from
        self.until = until
    }
}

extension DrivingTime {
    /// Each driver's driving from the vehicles' tracks (`tracks` by vehicle, each in time order):
    /// a fix is credited to whoever was signed in on its vehicle then, or to the vehicle's paired
    /// driver when no card was in or the card matched no file (the unknown card raises its own
    /// alert; its driving still counts against someone's limits). A driver who drove
    /// several vehicles has their fixes measured together, in time order. Every paired driver has
    /// an entry, zero when they did not drive.
    public static func credited(
        tracks: [Int64: [(time: Int64, speedDkmh: Int)]], signIns: [SignInStretch], pairedDriver: [Int64: Int64], now: Int64
    ) -> [Int64: DrivingTime] {
        let stretches = Dictionary(grouping: signIns, by: \.vehicleID).mapValues { $0.sorted { $0.from < $1.from } }
        var fixes: [Int64: [(time: Int64, speedDkmh: Int)]] = [:]
        for (vehicle, track) in tracks {
            let signedIn = stretches[vehicle] ?? []
            for fix in track {
                // The latest card in at the fix's time, if it was still in.
                let driver: Int64?
                if let stretch = signedIn.last(where: { $0.from <= fix.time }), fix.time < stretch.until ?? .max {
                    driver = stretch.driverID ?? pairedDriver[vehicle]
                } else {
                    driver = pairedDriver[vehicle]
                }
                guard let driver else { continue }
                fixes[driver, default: []].append(fix)
            }
        }
        var measured = pairedDriver.values.reduce(into: [Int64: DrivingTime]()) { $0[$1] = DrivingTime(continuous: 0, last24h: 0) }
        for (driver, track) in fixes { measured[driver] = measure(track.sorted { $0.time < $1.time }, now: now) }
        return measured
    }
}

/// A card report the dispatchers must look at, raised once.
public struct DriverCardAlert: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// No driver's file holds the card's certificate number.
        case unknownCard
        /// The certificate's validity ended before the day it was read.
        case expiredCard
        /// The driver signed in is not the crew of the booking the vehicle is serving.
        case notTheCrew
    }
    public var kind: Kind
    public var plate: String?
    public var driverName: String?
    public var certificate: String?
    public var validUntil: String?
    public var bookingID: Int64?
    /// When the card went in.
    public var signedInAt: Date
    /// When the alert was raised.
    public var raisedAt: Date

    public init(
        kind: Kind, plate: String?, driverName: String?, certificate: String?, validUntil: String?, bookingID: Int64?, signedInAt: Date, raisedAt: Date
    ) {
        (self.kind, self.plate, self.driverName, self.certificate, self.validUntil) = (kind, plate, driverName, certificate, validUntil)
        (self.bookingID, self.signedInAt, self.raisedAt) = (bookingID, signedInAt, raisedAt)
    }
}
