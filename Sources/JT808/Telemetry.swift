extension DeviceProfile {
    /// Which of the profile's named items carry the traction battery's state of charge (%), the
    /// remaining range (km) and whether it is charging (DeviceProfiles/README.md, "telemetry").
    /// Each is a path of names: an extra's name, then its fields' or nested items' (`ev.rangeKm`);
    /// its scale is the item's `decimals`.
    public struct Telemetry: Sendable, Hashable, Decodable {
        public var stateOfCharge: [String]?
        public var rangeKm: [String]?
        public var charging: Charging?

        /// The item saying whether the battery is charging, and which of its values mean so (a
        /// state code); without `values`, any value but 0 does.
        public struct Charging: Sendable, Hashable, Decodable {
            public var item: [String]
            public var values: [Int64]?

            public init(item: [String], values: [Int64]? = nil) { (self.item, self.values) = (item, values) }

            enum CodingKeys: String, CodingKey { case item, values }
            public init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: CodingKeys.self)
                item = try c.decode(String.self, forKey: .item).split(separator: ".").map(String.init)
                values = try c.decodeIfPresent([Int64].self, forKey: .values)
            }
        }

        public init(stateOfCharge: [String]? = nil, rangeKm: [String]? = nil, charging: Charging? = nil) {
            (self.stateOfCharge, self.rangeKm, self.charging) = (stateOfCharge, rangeKm, charging)
        }

        enum CodingKeys: String, CodingKey { case stateOfCharge, rangeKm, charging }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            func path(_ key: CodingKeys) throws -> [String]? {
                try c.decodeIfPresent(String.self, forKey: key).map { $0.split(separator: ".").map(String.init) }
            }
            stateOfCharge = try path(.stateOfCharge)
            rangeKm = try path(.rangeKm)
            charging = try c.decodeIfPresent(Charging.self, forKey: .charging)
        }
    }

    /// What a report says of the traction battery through this profile, or nil when the profile
    /// maps no such item or the report carries none. Values are whole units rounded down (never
    /// more charge than reported); a value out of its range (a state of charge above 100 %) is
    /// left out, as if not sent: the report itself is stored as it came.
    public func batteryState(_ extras: LocationExtras) -> BatteryState? {
        guard let telemetry, !extras.others.isEmpty else { return nil }
        // Only the items the paths start from are decoded: this runs for every report.
        let wanted = Set([telemetry.stateOfCharge?.first, telemetry.rangeKm?.first, telemetry.charging?.item.first].compactMap { $0 })
        let values = extras.others.filter { self.extras[$0.id].map { wanted.contains($0.name) } ?? false }.compactMap { decode($0) }
        func number(_ path: [String]?) -> (value: Int64, decimals: Int)? {
            guard let path, let first = path.first, var value = values.first(where: { $0.name == first })?.value else { return nil }
            for name in path.dropFirst() {
                guard case .fields(let fields) = value, let field = fields.first(where: { $0.name == name }) else { return nil }
                value = field.value
            }
            guard case .number(let n, let decimals) = value else { return nil }
            return (n, decimals)
        }
        func whole(_ path: [String]?, within range: ClosedRange<Int64>) -> Int? {
            guard let (n, decimals) = number(path), n >= 0 else { return nil }
            var divisor: Int64 = 1
            for _ in 0..<min(decimals, 18) { divisor *= 10 }
            let units = n / divisor
            return range.contains(units) ? Int(units) : nil
        }
        let charging = telemetry.charging.flatMap { charging in
            number(charging.item).map { charging.values?.contains($0.value) ?? ($0.value != 0) }
        }
        let state = BatteryState(
            stateOfChargePercent: whole(telemetry.stateOfCharge, within: 0...100), rangeKm: whole(telemetry.rangeKm, within: 0...BatteryState.maximumRangeKm),
            charging: charging)
        return state.stateOfChargePercent == nil && state.rangeKm == nil && state.charging == nil ? nil : state
    }
}

/// The traction battery as a terminal reports it (through its device profile).
public struct BatteryState: Sendable, Hashable {
    /// Whole percent, 0 to 100.
    public var stateOfChargePercent: Int?
    /// Whole kilometres the vehicle says it can still drive.
    public var rangeKm: Int?
    public var charging: Bool?

    /// Above any 9-seat EV's range: a larger value is a misread, not a range.
    public static let maximumRangeKm: Int64 = 2000

    public init(stateOfChargePercent: Int?, rangeKm: Int?, charging: Bool?) {
        (self.stateOfChargePercent, self.rangeKm, self.charging) = (stateOfChargePercent, rangeKm, charging)
    }
}
