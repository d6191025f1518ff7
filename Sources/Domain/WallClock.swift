import Foundation

/// Where everything but the composition root reads the time of day: the system's clock in
/// `fleetd` and `gps808` (`SystemClock`, below), a clock the test sets in tests. Libraries never call
/// `Date()`, so every rule that depends on "now" can be tested at any instant.
public protocol WallClock: Sendable {
    var now: Date { get }
}

/// The system's time of day: the one reading of it outside the executables, passed down from
/// the composition root.
public struct SystemClock: WallClock {
    public init() {}
    public var now: Date { Date() }
}
