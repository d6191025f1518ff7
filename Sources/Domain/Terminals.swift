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
    /// The alarm bits of its newest stored report: an alarm still on when it reconnects is not
    /// a new event.
    public var alarm: UInt32

    public init(id: Int32, phone: String, deviceProfile: String? = nil, alarm: UInt32 = 0) {
        self.id = id
        self.phone = phone
        self.deviceProfile = deviceProfile
        self.alarm = alarm
    }
}

/// Which terminals may connect: the vehicle registry as the gateway sees it.
public protocol TerminalRegistry: Sendable {
    /// Registers a terminal that is bound to a vehicle, issuing its auth code.
    func register(_ identity: TerminalIdentity) async throws -> RegistrationDecision
    /// The terminal, if `authCode` is the one it was issued.
    func authenticate(phone: String, authCode: String) async throws -> AuthenticatedTerminal?
}
