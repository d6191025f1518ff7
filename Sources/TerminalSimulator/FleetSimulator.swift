import Domain
import JT808
import Logging
import Synchronization

/// A simulated fleet: `count` new-energy vehicles around a home point, each with its terminal.
public struct FleetSimulator: Sendable {
    public var terminals: [SimulatedTerminal]

    /// Ningbo's centre, where the demo fleet drives.
    public static let ningbo = (latitude: 29.8683, longitude: 121.5440)
    /// How often a simulated terminal reports, unless told otherwise.
    public static let reportInterval: Duration = .seconds(10)

    /// Terminal phones 0139 0000 0001, 0002, …; plates 浙BD00001, … (浙B is Ningbo, D a
    /// new-energy car). With `batteries`, each car reports its traction battery (from 40 % to
    /// 94 %, by its number) and charges at `home`, the depot.
    public init(
        count: Int, reportInterval: Duration = FleetSimulator.reportInterval, home: (latitude: Double, longitude: Double) = FleetSimulator.ningbo,
        destinations: Destinations? = nil, batteries: Bool = false
    ) {
        terminals = (1...max(1, count)).map { i in
            var terminal = SimulatedTerminal(
                phone: Self.phone(i), plate: Self.plate(i), terminalID: Self.terminalID(i),
                route: Route(homeLatitude: home.latitude, homeLongitude: home.longitude, seed: UInt64(i)),
                reportInterval: reportInterval
            )
            terminal.destinations = destinations
            if batteries { terminal.battery = SimulatedBattery(percent: Double(40 + i * 37 % 55)) }
            return terminal
        }
    }

    public static func phone(_ i: Int) -> TerminalPhone {
        let digits = String(i)
        return TerminalPhone(digits: "1390" + String(repeating: "0", count: max(0, 7 - digits.count)) + digits, version: .v2013)!
    }

    /// The terminal ID the `i`-th terminal registers with: its phone's last 7 digits.
    public static func terminalID(_ i: Int) -> String {
        String(phone(i).description.suffix(7))
    }

    public static func plate(_ i: Int) -> String {
        let digits = String(i % 100_000)
        return "浙BD" + String(repeating: "0", count: 5 - digits.count) + digits
    }

    /// Runs every terminal until the task is cancelled, their reports dated by `clock`.
    public func run(host: String, port: Int, clock: any WallClock, statistics: SimulationStatistics, logger: Logger) async {
        await withDiscardingTaskGroup { group in
            for terminal in terminals {
                group.addTask { await terminal.run(host: host, port: port, clock: clock, statistics: statistics, logger: logger) }
            }
        }
    }
}

/// Where each simulated vehicle is sent, by plate: set by whoever plays the crews (the demo),
/// read by the terminals at every report. A vehicle without a target wanders.
public final class Destinations: Sendable {
    private let targets = Mutex<[String: (latitude: Double, longitude: Double)]>([:])

    public init() {}

    public func send(_ plate: String, to target: (latitude: Double, longitude: Double)?) {
        targets.withLock { $0[plate] = target }
    }

    public func target(of plate: String) -> (latitude: Double, longitude: Double)? {
        targets.withLock { $0[plate] }
    }
}
