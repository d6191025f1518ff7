import Foundation
import JT808

/// Who the terminal is: what it registers with (0x0100).
public struct TerminalIdentity: Sendable {
    public var phone: TerminalPhone
    public var plate: String
    /// JT/T 808 plate colour: 1 blue, 2 yellow, 3 black, 4 white, 5 green (new-energy), 9 other.
    public var plateColor: UInt8
    public var province: UInt16
    public var city: UInt16
    public var manufacturer: String
    public var model: String
    public var terminalID: String

    public init(
        phone: TerminalPhone, plate: String, plateColor: UInt8 = 5, province: UInt16 = 0, city: UInt16 = 0,
        manufacturer: String = "FLEET", model: String = "GPS808", terminalID: String? = nil
    ) {
        self.phone = phone
        self.plate = plate
        self.plateColor = plateColor
        self.province = province
        self.city = city
        self.manufacturer = manufacturer
        self.model = model
        self.terminalID = terminalID ?? String(phone.description.suffix(7))
    }

    var registration: Registration {
        Registration(
            province: province, city: city, manufacturer: manufacturer, model: model, terminalID: terminalID, plateColor: plateColor,
            plate: plate
        )
    }
}

/// The parameters the platform may read (0x8104) and set (0x8103), with their JT/T 808 ids.
public struct TerminalSettings: Sendable, Equatable, Codable {
    public var serverHost: String
    public var serverPort: Int
    /// 0x0029: seconds between reports while driving.
    public var reportInterval: Int
    /// 0x0001: seconds of silence before a heartbeat.
    public var heartbeatInterval: Int
    /// 0x0030: degrees of heading change reported at once.
    public var cornerAngle: Int
    /// 0x0002: seconds to wait for an answer before the first retransmission.
    public var answerTimeout: Int
    /// 0x0003: retransmissions before the connection is given up.
    public var retries: Int

    public init(
        serverHost: String, serverPort: Int = 6808, reportInterval: Int = 30, heartbeatInterval: Int = 60, cornerAngle: Int = 30,
        answerTimeout: Int = 10, retries: Int = 3
    ) {
        self.serverHost = serverHost
        self.serverPort = serverPort
        self.reportInterval = reportInterval
        self.heartbeatInterval = heartbeatInterval
        self.cornerAngle = cornerAngle
        self.answerTimeout = answerTimeout
        self.retries = retries
    }

    typealias ID = TerminalParameter.ID

    /// Every parameter, as 0x0104 answers a query.
    var parameters: [TerminalParameter] {
        [
            TerminalParameter(id: ID.heartbeatInterval, value: .dword(UInt32(clamping: heartbeatInterval))),
            TerminalParameter(id: ID.tcpTimeout, value: .dword(UInt32(clamping: answerTimeout))),
            TerminalParameter(id: ID.tcpRetransmissions, value: .dword(UInt32(clamping: retries))),
            TerminalParameter(id: ID.mainServerAddress, value: .string(serverHost)),
            TerminalParameter(id: ID.serverTCPPort, value: .dword(UInt32(clamping: serverPort))),
            TerminalParameter(id: ID.defaultReportInterval, value: .dword(UInt32(clamping: reportInterval))),
            TerminalParameter(id: ID.cornerAngle, value: .dword(UInt32(clamping: cornerAngle))),
        ]
    }

    /// Applies what 0x8103 sets. Unknown ids, wrong types and absurd values (a zero interval,
    /// a port out of range) are refused as a whole: the settings stay as they were.
    mutating func apply(_ list: [TerminalParameter]) -> Bool {
        var next = self
        for parameter in list {
            let n = parameter.value.integer.map(Int.init)
            switch (parameter.id, n, parameter.value) {
            case (ID.heartbeatInterval, let v?, _) where v > 0: next.heartbeatInterval = v
            case (ID.tcpTimeout, let v?, _) where v > 0: next.answerTimeout = v
            case (ID.tcpRetransmissions, let v?, _): next.retries = v
            case (ID.defaultReportInterval, let v?, _) where v > 0: next.reportInterval = v
            case (ID.cornerAngle, let v?, _) where v > 0 && v < 180: next.cornerAngle = v
            case (ID.serverTCPPort, let v?, _) where (1...65535).contains(v): next.serverPort = v
            case (ID.mainServerAddress, _, .string(let host)) where !host.isEmpty: next.serverHost = host
            default: return false
            }
        }
        self = next
        return true
    }
}

/// What gps808 keeps besides its journal: the authentication code it was given, and the settings
/// the platform changed (they win over the configuration's until the platform changes them back).
public struct TerminalState: Sendable, Equatable, Codable {
    public var authCode: String?
    public var settings: TerminalSettings?

    public init(authCode: String? = nil, settings: TerminalSettings? = nil) {
        self.authCode = authCode
        self.settings = settings
    }

    public static func load(from url: URL) throws -> TerminalState {
        guard FileManager.default.fileExists(atPath: url.path) else { return TerminalState() }
        return try JSONDecoder().decode(TerminalState.self, from: Data(contentsOf: url))
    }

    /// Written aside and renamed over: a crash leaves the old state or the new, never half.
    public func save(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: url, options: .atomic)
    }
}
