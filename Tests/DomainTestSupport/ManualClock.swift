import Domain
import Foundation
import Synchronization

/// A wall clock that stands still until the test moves it.
public final class ManualClock: WallClock {
    private let instant: Mutex<Date>

    public init(_ start: Date) { instant = Mutex(start) }

    public var now: Date { instant.withLock { $0 } }

    public func set(_ date: Date) { instant.withLock { $0 = date } }

    public func advance(by seconds: TimeInterval) { instant.withLock { $0 = $0.addingTimeInterval(seconds) } }
}
