import Domain
import Foundation

/// The system's time of day: the one place outside `fleetd` that reads it.
public struct SystemClock: WallClock {
    public init() {}
    public var now: Date { Date() }
}
