import Foundation

extension Date {
    /// Whole seconds since 1970 (rounded down), as the engine and the positions count time.
    public var epochSeconds: Int64 { Int64(timeIntervalSince1970.rounded(.down)) }
}
