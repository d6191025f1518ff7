import Foundation

/// What an operator can ask of a vehicle's terminal (issue 17). Each kind is one platform
/// message of JT/T 808.
public enum TerminalCommandKind: String, Codable, Sendable, CaseIterable {
    /// 0x8201 → 0x0201, the position now (stored like any report).
    case locate
    /// 0x8104 (all) or 0x8106 (`parameterIDs`) → 0x0104.
    case queryParameters
    /// 0x8103 with `settings` → 0x0001.
    case setParameters
    /// 0x8202: report every `intervalSeconds` for `validitySeconds` → 0x0001.
    case tracking
    /// 0x8300 to the driver's display or voice → 0x0001.
    case text
    /// 0x8107 → 0x0107, what the terminal is (maker, model, firmware, SIM).
    case attributes
    /// 0x8801, one photo on camera `channel` → 0x0805 with its media id; the photo follows
    /// (0x0801) into the vehicle's media.
    case photo
    /// 0x8203: alarms the terminal holds until the platform confirms them (`alarms`, table 24's
    /// confirmable bits) raised by the report numbered `alarmSerial` (0: every report) → 0x0001.
    /// Handling such an alarm sends it; an operator may too.
    case confirmAlarm
}

/// The terminal parameters an operator sets by name (JT/T 808-2019 table 14), each optional:
/// what is not named is left as it is.
public struct TerminalSettingsRequest: Codable, Sendable, Hashable {
    /// 0x0029, the default report interval: the car moving (ACC on).
    public var reportIntervalSeconds: Int?
    /// 0x0027, the report interval asleep: the car parked, ACC off.
    public var sleepReportIntervalSeconds: Int?
    /// 0x0022, the report interval while no driver is signed in.
    public var driverAbsentReportIntervalSeconds: Int?
    /// 0x0001.
    public var heartbeatSeconds: Int?
    /// 0x0013 and 0x0018: where the terminal connects (it reconnects there).
    public var serverAddress: String?
    public var serverTCPPort: Int?
    /// 0x0055, km/h.
    public var speedLimitKmh: Int?
    /// 0x0057, 0x0058, 0x0059: continuous and daily driving limits and the minimum rest.
    public var continuousDrivingLimitSeconds: Int?
    public var dailyDrivingLimitSeconds: Int?
    public var minimumRestSeconds: Int?

    public init(
        reportIntervalSeconds: Int? = nil, sleepReportIntervalSeconds: Int? = nil, driverAbsentReportIntervalSeconds: Int? = nil,
        heartbeatSeconds: Int? = nil, serverAddress: String? = nil, serverTCPPort: Int? = nil, speedLimitKmh: Int? = nil,
        continuousDrivingLimitSeconds: Int? = nil, dailyDrivingLimitSeconds: Int? = nil, minimumRestSeconds: Int? = nil
    ) {
        (self.reportIntervalSeconds, self.sleepReportIntervalSeconds, self.driverAbsentReportIntervalSeconds) =
            (reportIntervalSeconds, sleepReportIntervalSeconds, driverAbsentReportIntervalSeconds)
        (self.heartbeatSeconds, self.serverAddress, self.serverTCPPort, self.speedLimitKmh) = (heartbeatSeconds, serverAddress, serverTCPPort, speedLimitKmh)
        (self.continuousDrivingLimitSeconds, self.dailyDrivingLimitSeconds, self.minimumRestSeconds) =
            (continuousDrivingLimitSeconds, dailyDrivingLimitSeconds, minimumRestSeconds)
    }

    /// Each setting: its name here, its parameter id, and its bounds (the values a terminal
    /// can take and a fleet can mean).
    public static let integers: [(name: String, id: UInt32, bounds: ClosedRange<Int>, value: @Sendable (Self) -> Int?)] = [
        ("reportIntervalSeconds", 0x0029, 1...86_400, { $0.reportIntervalSeconds }),
        ("sleepReportIntervalSeconds", 0x0027, 1...86_400, { $0.sleepReportIntervalSeconds }),
        ("driverAbsentReportIntervalSeconds", 0x0022, 1...86_400, { $0.driverAbsentReportIntervalSeconds }),
        ("heartbeatSeconds", 0x0001, 1...3_600, { $0.heartbeatSeconds }),
        ("serverTCPPort", 0x0018, 1...65_535, { $0.serverTCPPort }),
        ("speedLimitKmh", 0x0055, 1...250, { $0.speedLimitKmh }),
        ("continuousDrivingLimitSeconds", 0x0057, 60...86_400, { $0.continuousDrivingLimitSeconds }),
        ("dailyDrivingLimitSeconds", 0x0058, 60...86_400, { $0.dailyDrivingLimitSeconds }),
        ("minimumRestSeconds", 0x0059, 60...86_400, { $0.minimumRestSeconds }),
    ]
    public static let serverAddressID: UInt32 = 0x0013
    public static let serverAddressLength = 1...64

    /// The name of a parameter id this type sets, for answers read back with names.
    public static func name(of id: UInt32) -> String? {
        id == serverAddressID ? "serverAddress" : integers.first { $0.id == id }?.name
    }

    var isEmpty: Bool { serverAddress == nil && Self.integers.allSatisfy { $0.value(self) == nil } }
}

/// An operator's command as the API and `fleetd terminal send` take it, and as it is queued
/// (`terminal_commands.request`). What a kind needs beside `command` is checked by `validated`.
public struct TerminalCommandRequest: Codable, Sendable, Hashable {
    public var command: TerminalCommandKind
    /// 0 (the default): the terminal must be connected now, else the command is refused. More:
    /// queued that long for a terminal offline, delivered when it authenticates.
    public var ttlSeconds: Int?
    /// How long the terminal has to answer once the command is sent (default 30 s).
    public var timeoutSeconds: Int?
    /// queryParameters: only these ids (0x8106); none: all of them (0x8104).
    public var parameterIDs: [Int]?
    /// setParameters.
    public var settings: TerminalSettingsRequest?
    /// tracking: report every `intervalSeconds` for `validitySeconds`.
    public var intervalSeconds: Int?
    public var validitySeconds: Int?
    /// text, and where it goes: the display (the default), the voice (TTS), marked urgent.
    public var text: String?
    public var display: Bool?
    public var tts: Bool?
    public var urgent: Bool?
    /// photo: the camera (1 by default).
    public var channel: Int?
    /// confirmAlarm: the serial of the report that raised the alarms (0, the default: all),
    /// and their bits.
    public var alarmSerial: Int?
    public var alarms: Int?

    public init(
        command: TerminalCommandKind, ttlSeconds: Int? = nil, timeoutSeconds: Int? = nil, parameterIDs: [Int]? = nil,
        settings: TerminalSettingsRequest? = nil, intervalSeconds: Int? = nil, validitySeconds: Int? = nil, text: String? = nil,
        display: Bool? = nil, tts: Bool? = nil, urgent: Bool? = nil, channel: Int? = nil, alarmSerial: Int? = nil, alarms: Int? = nil
    ) {
        (self.channel, self.alarmSerial, self.alarms) = (channel, alarmSerial, alarms)
        (self.command, self.ttlSeconds, self.timeoutSeconds, self.parameterIDs, self.settings) = (command, ttlSeconds, timeoutSeconds, parameterIDs, settings)
        (self.intervalSeconds, self.validitySeconds, self.text, self.display, self.tts, self.urgent) =
            (intervalSeconds, validitySeconds, text, display, tts, urgent)
    }

    public static let ttlBounds = 0...604_800
    public static let timeoutBounds = 1...120
    public static let defaultTimeoutSeconds = 30
    public static let parameterIDBounds = 0...0xFFFF_FFFF
    public static let maximumParameterIDs = 100
    public static let intervalBounds = 1...3_600
    public static let validityBounds = 1...86_400
    /// 0x8300's text, in GBK bytes: within one frame's body (1023 bytes less the flag).
    public static let textBytes = 1...1_000
    public static let channelBounds = 1...255
    public static let alarmSerialBounds = 0...0xFFFF
    public static let alarmsBounds = 1...0xFFFF_FFFF

    public var ttl: Int { ttlSeconds ?? 0 }
    public var timeout: Int { timeoutSeconds ?? Self.defaultTimeoutSeconds }
    /// How long a caller waits for the answer: the terminal's time, and a moment more for the
    /// gateway to record what came of it (its outcome, not the caller's, is then on record).
    public var wait: Int { timeout + 2 }

    /// The request, or why not (the field at fault): every number within its bounds whatever
    /// the door let through, and what the kind needs present. `encodedLength` counts a text's
    /// bytes as the terminal receives it (GBK: the codec knows it, Domain does not).
    public func validated(encodedLength: (String) -> Int) throws(Refused) -> Self {
        func within(_ value: Int?, _ bounds: ClosedRange<Int>, _ field: String) throws(Refused) {
            if let value, !bounds.contains(value) { throw Refused(field: field, expected: "from \(bounds.lowerBound) to \(bounds.upperBound)") }
        }
        try within(ttlSeconds, Self.ttlBounds, "ttlSeconds")
        try within(timeoutSeconds, Self.timeoutBounds, "timeoutSeconds")
        switch command {
        case .locate, .attributes: break
        case .photo: try within(channel, Self.channelBounds, "channel")
        case .queryParameters:
            if let ids = parameterIDs {
                guard (1...Self.maximumParameterIDs).contains(ids.count) else {
                    throw Refused(field: "parameterIDs", expected: "1 to \(Self.maximumParameterIDs) ids, or none for all")
                }
                for id in ids { try within(id, Self.parameterIDBounds, "parameterIDs") }
            }
        case .setParameters:
            guard let settings, !settings.isEmpty else { throw Refused(field: "settings", expected: "at least one setting to change") }
            for setting in TerminalSettingsRequest.integers { try within(setting.value(settings), setting.bounds, "settings.\(setting.name)") }
            if let address = settings.serverAddress, !TerminalSettingsRequest.serverAddressLength.contains(encodedLength(address)) {
                throw Refused(field: "settings.serverAddress", expected: "a host name or address of 1 to 64 bytes")
            }
        case .tracking:
            guard let intervalSeconds else { throw Refused(field: "intervalSeconds", expected: "the tracking interval in seconds") }
            guard let validitySeconds else { throw Refused(field: "validitySeconds", expected: "how long to track, in seconds") }
            try within(intervalSeconds, Self.intervalBounds, "intervalSeconds")
            try within(validitySeconds, Self.validityBounds, "validitySeconds")
        case .confirmAlarm:
            try within(alarmSerial, Self.alarmSerialBounds, "alarmSerial")
            guard let alarms else { throw Refused(field: "alarms", expected: "the alarm bits to confirm") }
            try within(alarms, Self.alarmsBounds, "alarms")
            guard UInt32(alarms) & ~AlarmKind.confirmable == 0 else {
                throw Refused(field: "alarms", expected: "only bits the platform confirms (JT/T 808 table 24: 0, 3, 20, 21, 22, 27, 28)")
            }
        case .text:
            guard let text, Self.textBytes.contains(encodedLength(text)) else {
                throw Refused(field: "text", expected: "a text of 1 to \(Self.textBytes.upperBound) bytes in GBK (500 Chinese characters)")
            }
        }
        return self
    }
}

/// Where a command stands.
public enum TerminalCommandState: String, Codable, Sendable, CaseIterable {
    /// Waiting for its terminal (or for a gateway to claim it).
    case queued
    /// Written to the terminal; its answer awaited.
    case sent
    case answered
    /// The connection closed before the command was sent or answered.
    case failed
    /// No answer within the time given.
    case timedOut
    /// Its time to live passed before the terminal came: never sent.
    case expired

    public var isFinal: Bool { self != .queued && self != .sent }
}

/// A command as it is recorded: what was asked, by whom, and what came of it.
public struct TerminalCommandRecord: Codable, Sendable, Hashable {
    public var id: Int64
    public var plate: String
    public var command: TerminalCommandKind
    public var request: TerminalCommandRequest
    public var requestedBy: String
    public var requestedAt: Date
    public var expiresAt: Date
    public var state: TerminalCommandState
    public var sentAt: Date?
    public var answeredAt: Date?
    public var resultCode: Int?
    /// The answer as JSON (docs/JT808-JSON.md), with parameters also by name.
    public var answer: String?
    public var failure: String?

    public init(
        id: Int64, plate: String, command: TerminalCommandKind, request: TerminalCommandRequest, requestedBy: String, requestedAt: Date,
        expiresAt: Date, state: TerminalCommandState, sentAt: Date? = nil, answeredAt: Date? = nil, resultCode: Int? = nil, answer: String? = nil,
        failure: String? = nil
    ) {
        (self.id, self.plate, self.command, self.request, self.requestedBy, self.requestedAt) = (id, plate, command, request, requestedBy, requestedAt)
        (self.expiresAt, self.state, self.sentAt, self.answeredAt, self.resultCode, self.answer, self.failure) =
            (expiresAt, state, sentAt, answeredAt, resultCode, answer, failure)
    }
}

/// A command a gateway claimed for a terminal connected to it.
public struct ClaimedTerminalCommand: Sendable, Hashable {
    public var id: Int64
    /// What was asked; its `timeout` is how long the terminal has to answer once it is sent.
    public var request: TerminalCommandRequest

    public init(id: Int64, request: TerminalCommandRequest) {
        (self.id, self.request) = (id, request)
    }
}

/// What came of a command the gateway sent.
public enum TerminalCommandOutcome: Sendable, Hashable {
    /// The terminal answered: its result code and the answer as JSON.
    case answered(resultCode: Int, answer: String)
    case timedOut
    case failed(String)
}

/// The gateways' side of the commands queue (Store: `terminal_commands`, `terminal_presence`).
public protocol TerminalCommandQueue: Sendable {
    /// The terminal authenticated on this gateway (`gateway` names the process).
    func connected(_ phone: String, gateway: String) async throws
    /// Its connection closed: no longer online through this gateway.
    func disconnected(_ phone: String, gateway: String) async throws
    /// The terminals still connected to this gateway: their presence renewed, and queued
    /// commands whose time to live passed, wherever their terminals are, marked expired.
    /// Returns those of `phones` with commands still queued (a notification was missed).
    func renew(_ phones: [String], gateway: String) async throws -> [String]
    /// The terminal's oldest queued command still within its time to live, marked sent; those
    /// past it marked expired first. Nil when none is left.
    func claimNext(for phone: String) async throws -> ClaimedTerminalCommand?
    /// The outcome of a command sent, with its audit line, in one transaction.
    func record(_ outcome: TerminalCommandOutcome, of id: Int64) async throws
    /// A command claimed but never written (its terminal went between the claim and the
    /// write) back in the queue, if its time to live lasts; false if it does not.
    func requeue(_ id: Int64) async throws -> Bool
    /// Calls `body` with the phone of each terminal a command was queued for, until cancelled.
    func watch(_ body: @escaping @Sendable (String) async -> Void) async throws
}
