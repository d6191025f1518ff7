/// A vehicle's state of charge as last reported, by its terminal (through its device profile) or
/// entered by hand, with when it held: dispatch projects the charge from it, at its time.
public struct ChargeReading: Sendable, Hashable {
    public enum Source: String, Sendable, Hashable, Codable {
        case terminal
        /// Typed in from the car's display (`PUT /api/v1/vehicles/{plate}/charge`, a file's value).
        case hand
    }

    /// 0 to 100.
    public var percent: Int
    /// The range the vehicle says it has left, when it says so.
    public var rangeKm: Int?
    public var charging: Bool?
    /// When the reading held: the report's GNSS time, or when it was entered.
    public var at: Int64
    public var source: Source
    /// Who entered a reading by hand (a user), nil for a terminal's.
    public var enteredBy: Int64?

    public init(percent: Int, at: Int64, rangeKm: Int? = nil, charging: Bool? = nil, source: Source = .terminal, enteredBy: Int64? = nil) {
        (self.percent, self.at, self.rangeKm, self.charging, self.source, self.enteredBy) = (percent, at, rangeKm, charging, source, enteredBy)
    }
}
