import JT808

/// The traction battery of a simulated 9-seat electric van, reported as the `huabao-ev` device
/// profile lays it out (DeviceProfiles/huabao-ev.json: 0xFE state of charge, 0xE3 range and
/// charging state). It discharges by the kilometre driven and recharges parked at the depot.
///
/// The figures are those of a 9-seat battery-electric MPV of the lot (a Maxus MIFA 9 class
/// van): 90 kWh usable, about 20 kWh per 100 km in city traffic with the air conditioning on,
/// so 0.22 % a kilometre and 450 km on a full battery; the depot's 11 kW three-phase wallbox
/// gives it about 12 % an hour (dispatch projects 14 %, `DispatchRules.chargePercentPerHour`,
/// for its smaller saloons).
public struct SimulatedBattery: Sendable, Hashable {
    /// Percent, 0 to 100 (the simulation's own physics; the report carries whole percent).
    public private(set) var percent: Double
    public private(set) var charging: Bool = false

    public static let usableKWh = 90.0
    public static let kWhPerKm = 0.20
    public static let chargerKW = 11.0
    /// Below this a car without a job drives back to the depot to charge, and stays there
    /// until it is nearly full: a fleet manager's habit, not a rule of dispatch.
    public static let returnBelowPercent = 30.0
    public static let chargedAtPercent = 95.0

    public init(percent: Double) { self.percent = min(100, max(0, percent)) }

    /// Whether the car should be at the depot charging rather than wandering.
    public var wantsCharger: Bool { percent < Self.returnBelowPercent || (charging && percent < Self.chargedAtPercent) }

    /// `km` driven and `seconds` passed, parked at the depot or not.
    public mutating func advance(km: Double, seconds: Double, parkedAtDepot: Bool) {
        percent = max(0, percent - km * Self.kWhPerKm / Self.usableKWh * 100)
        charging = parkedAtDepot && percent < 100
        if charging { percent = min(100, percent + Self.chargerKW * seconds / 3600 / Self.usableKWh * 100) }
    }

    /// The profile's items: 0xFE whole percent; 0xE3 range in whole km, then the GB/T 32960.3
    /// charging state (1 charging parked, 3 not charging, 4 charge complete).
    public var items: [RawExtra] {
        let whole = UInt8(percent.rounded(.down))
        let range = UInt16(percent / 100 * Self.usableKWh / Self.kWhPerKm)
        let state: UInt8 = charging ? 1 : percent >= 100 ? 4 : 3
        return [RawExtra(id: 0xFE, bytes: [whole]), RawExtra(id: 0xE3, bytes: [UInt8(range >> 8), UInt8(range & 0xff), state])]
    }

    /// The device profile the items are laid out for.
    public static let deviceProfile = "huabao-ev"
}
