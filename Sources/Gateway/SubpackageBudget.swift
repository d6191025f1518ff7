import Synchronization

/// The bytes of sub-packaged messages in progress in all the gateway's connections together,
/// against one budget: each connection's assembler has its own (the per-terminal budget), and a
/// part that would take the gateway past this one first evicts its own terminal's oldest
/// messages; when that terminal has none, the part is refused. Connections check and then add,
/// so concurrent parts may pass the budget by a part each, no more.
public final class SubpackageBudget: Sendable {
    public let maximumBytes: Int
    private let used = Mutex(0)

    public init(maximumBytes: Int) { self.maximumBytes = maximumBytes }

    func hasRoom(for bytes: Int) -> Bool {
        used.withLock { $0 + bytes <= maximumBytes }
    }

    /// A connection's buffered bytes changed by `delta` (negative when messages completed or
    /// were dropped).
    func add(_ delta: Int) {
        used.withLock { $0 += delta }
    }
}
