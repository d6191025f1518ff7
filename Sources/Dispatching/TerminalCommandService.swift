import Domain
import JT808
import Logging
import PostgresNIO
import Store

/// Operators' commands to the cars' terminals (issue 17), for the API and `fleetd terminal
/// send` alike: checked, queued with the caller's audit line, and awaited while the gateway the
/// terminal is connected to (in this process or another) sends it and records the answer.
public struct TerminalCommandService: Sendable {
    let store: PostgresTerminalCommands
    /// How often the caller looks at its command while it waits (the gateway's NOTIFY is for
    /// the gateways; a caller waits seconds at most, and a query every 100 ms costs little).
    let pollInterval: Duration

    public init(client: PostgresClient, pollInterval: Duration = .milliseconds(100), logger: Logger) {
        store = PostgresTerminalCommands(client: client, logger: logger)
        self.pollInterval = pollInterval
    }

    /// What came of a command, as the caller sees it.
    public enum Outcome: Sendable, Hashable {
        /// The terminal answered (whatever its result code says).
        case answered(TerminalCommandRecord)
        /// The terminal is offline: queued for its time to live.
        case queued(TerminalCommandRecord)
        /// Not answered in time, or the connection closed first.
        case unanswered(TerminalCommandRecord)
    }

    /// Sends `request` to the terminal of `plate` and waits for the answer up to its timeout.
    /// `audit` is the caller's line for the command's id, written with it.
    public func send(
        _ request: TerminalCommandRequest, plate: String, userID: Int64?, requestedBy: String, audit: Audit<Int64>? = nil
    ) async throws -> Outcome {
        let request = try request.validated { GBK.encode($0).count }
        let queued = try await store.queue(request, plate: plate, userID: userID, requestedBy: requestedBy, audit: audit)
        guard queued.online else { return .queued(try await record(queued.id)) }
        let deadline = ContinuousClock.now + .seconds(request.wait)
        var told = ContinuousClock.now
        while ContinuousClock.now < deadline {
            let command = try await record(queued.id)
            if command.state == .answered { return .answered(command) }
            if command.state.isFinal { return .unanswered(command) }
            // Still not taken after a second: the gateway may have missed the notification.
            if command.state == .queued, ContinuousClock.now - told >= .seconds(1) {
                try await store.renotify(queued.id)
                told = ContinuousClock.now
            }
            try await Task.sleep(for: pollInterval)
        }
        // A command with a time to live not yet sent (the terminal's presence was stale, or it
        // is busy with earlier commands) stays queued for it.
        _ = try await store.giveUp(queued.id, keepingQueued: request.ttl > 0)
        let command = try await record(queued.id)
        return command.state == .queued ? .queued(command) : .unanswered(command)
    }

    public func command(_ id: Int64) async throws -> TerminalCommandRecord? { try await store.command(id) }

    /// The vehicle's commands, newest first; `NoSuchRecord` without such a vehicle.
    public func commands(plate: String, limit: Int) async throws -> [TerminalCommandRecord] {
        guard let commands = try await store.commands(plate: plate, limit: limit) else { throw NoSuchRecord() }
        return commands
    }

    private func record(_ id: Int64) async throws -> TerminalCommandRecord {
        guard let command = try await store.command(id) else { throw NoSuchRecord() }
        return command
    }
}
