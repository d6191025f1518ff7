/// What a terminal says about itself when it registers (0x0100), in plain values.
public struct TerminalIdentity: Sendable, Hashable {
    /// The header's terminal phone as BCD digits (12, or 20 for 2019), leading zeros kept.
    public var phone: String
    public var manufacturer: String
    public var model: String
    public var terminalID: String
    public var plate: String
    public var plateColor: Int

    public init(phone: String, manufacturer: String, model: String, terminalID: String, plate: String, plateColor: Int) {
        self.phone = phone
        self.manufacturer = manufacturer
        self.model = model
        self.terminalID = terminalID
        self.plate = plate
        self.plateColor = plateColor
    }
}

/// What the registry has on file for a terminal's phone: the terminal ID recorded when it was
/// bound (`fleetd terminal bind`), and its vehicle's plate and VIN. A registration (0x0100) must
/// match them: knowing a phone number (the demo's are sequential) is not enough to take a
/// vehicle over.
public struct TerminalOnFile: Sendable, Hashable {
    /// Nil for a terminal bound before identities were recorded: it cannot register until it is
    /// bound again with its terminal ID.
    public var terminalID: String?
    /// Nil when the terminal is not bound to a vehicle.
    public var plate: String?
    public var vin: String?

    public init(terminalID: String?, plate: String?, vin: String? = nil) {
        self.terminalID = terminalID
        self.plate = plate
        self.vin = vin
    }

    /// Why `identity` may not register as this terminal (the standard's 0x8100 codes: 4 no such
    /// terminal, 2 no such vehicle), or nil when it matches. The plate field carries the VIN
    /// for a vehicle without plates (2019), so either matches.
    public func refusal(of identity: TerminalIdentity) -> RegistrationDecision? {
        guard let expected = terminalID.map(Self.normalized), !expected.isEmpty, expected == Self.normalized(identity.terminalID) else {
            return .terminalUnknown
        }
        guard let plate else { return .vehicleUnknown }
        let claimed = Self.normalized(identity.plate)
        guard claimed == Self.normalized(plate) || (vin.map { claimed == Self.normalized($0) } ?? false) else { return .vehicleUnknown }
        return nil
    }

    /// Fixed-width fields arrive padded with NULs or spaces; letters are compared in capitals.
    static func normalized(_ text: String) -> String {
        let padding: (Character) -> Bool = { $0 == " " || $0 == "\u{0}" }
        let trimmed = text.drop(while: padding)
        return String(trimmed.prefix(trimmed.count - trimmed.reversed().prefix(while: padding).count)).uppercased()
    }
}

/// The registry's answer to a registration.
public enum RegistrationDecision: Sendable, Equatable {
    case accepted(authCode: String)
    case vehicleUnknown
    case terminalUnknown
    case vehicleAlreadyRegistered
    case terminalAlreadyRegistered
}

/// A terminal that proved who it is.
public struct AuthenticatedTerminal: Sendable, Hashable {
    /// The registry's key for the terminal (positions are stored under it).
    public var id: Int32
    public var phone: String
    /// The device profile its vehicle's terminal model uses, if any.
    public var deviceProfile: String?
    /// The alarm bits of its newest stored report, and that report's GNSS time (nil: none
    /// stored): an alarm still on when it reconnects is not a new event, and an older report is
    /// history that moves no alarm.
    public var alarm: UInt32
    public var alarmAt: Int64?

    public init(id: Int32, phone: String, deviceProfile: String? = nil, alarm: UInt32 = 0, alarmAt: Int64? = nil) {
        self.id = id
        self.phone = phone
        self.deviceProfile = deviceProfile
        (self.alarm, self.alarmAt) = (alarm, alarmAt)
    }
}

/// Which terminals may connect: the vehicle registry as the gateway sees it.
public protocol TerminalRegistry: Sendable {
    /// Registers a terminal that is bound to a vehicle, issuing its auth code.
    func register(_ identity: TerminalIdentity) async throws -> RegistrationDecision
    /// The terminal, if `authCode` is the one it was issued.
    func authenticate(phone: String, authCode: String) async throws -> AuthenticatedTerminal?
}
