import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Store
import Synchronization

/// Refusals on record once per burst, not once per attempt: the first refusal of an actor or
/// address (for one kind and status) is written at once; those that follow within `window`
/// are counted, and when the burst is over one more line says how many there were, since
/// when. A password guesser or a scanner fills the log with two lines a minute, not thousands.
final class RefusalAudit: Sendable {
    static let statuses: Set<HTTPResponse.Status> = [.unauthorized, .forbidden, .tooManyRequests]

    struct Line: Sendable, Equatable {
        var userID: Int64?
        var action: String
        var resource: String
        var detail: [String: String]
    }

    private struct Key: Hashable {
        var action: String
        var resource: String
        var status: Int
    }

    private struct Burst {
        var userID: Int64?
        var started: ContinuousClock.Instant
        var startedAt: Date
        var address: String
        var count: Int
    }

    let window: Duration
    let capacity: Int
    let accounts: Accounts
    let clock: any WallClock
    let logger: Logger
    private let state: Mutex<(bursts: [Key: Burst], nextSweep: ContinuousClock.Instant)>

    init(accounts: Accounts, clock: any WallClock, logger: Logger, window: Duration = .seconds(60), capacity: Int = 10_000) {
        (self.accounts, self.clock, self.logger, self.window, self.capacity) = (accounts, clock, logger, window, capacity)
        state = Mutex(([:], .now + window))
    }

    /// Puts a refusal of a request on record: what was refused, of whom, from where.
    func refused(_ error: any HTTPResponseError, user: APIUser?, address: String, route: String) async {
        let status = error.status
        let (action, resource): (String, String) =
            if let signIn = error as? SignInRefused { ("sign-in-refused", "user:\(signIn.username)") } else if let user {
                (status == .forbidden ? "access-refused" : "request-refused", "user:\(user.id)")
            } else { ("request-refused", "address:\(address)") }
        await write(note(action: action, resource: resource, status: status.code, userID: user?.id, address: address, route: route))
    }

    /// Writes the closing lines of bursts that are over; cheap when none can be.
    func writeEnded(now: ContinuousClock.Instant = .now) async {
        await write(ended(now: now))
    }

    /// The lines a refusal makes: its own if it opens a burst, and, when the table is full,
    /// the closing lines of every burst (memory stays bounded, nothing goes unrecorded).
    func note(action: String, resource: String, status: Int, userID: Int64?, address: String, route: String, now: ContinuousClock.Instant = .now) -> [Line] {
        state.withLock { state in
            let key = Key(action: action, resource: resource, status: status)
            if var burst = state.bursts[key], now - burst.started < window {
                burst.count += 1
                state.bursts[key] = burst
                return []
            }
            var lines = state.bursts[key].flatMap { closing(key, $0) }.map { [$0] } ?? []
            if state.bursts.count >= capacity {
                lines += state.bursts.compactMap { closing($0.key, $0.value) }
                state.bursts = [:]
            }
            state.bursts[key] = Burst(userID: userID, started: now, startedAt: clock.now, address: address, count: 1)
            let detail = ["status": "\(status)", "address": address, "route": String(route.prefix(200))]
            lines.append(Line(userID: userID, action: action, resource: resource, detail: detail))
            return lines
        }
    }

    /// The closing lines of the bursts over by `now`.
    func ended(now: ContinuousClock.Instant = .now) -> [Line] {
        state.withLock { state in
            guard now >= state.nextSweep else { return [] }
            state.nextSweep = now + window / 4
            let over = state.bursts.filter { now - $0.value.started >= window }
            for key in over.keys { state.bursts[key] = nil }
            return over.compactMap { closing($0.key, $0.value) }
        }
    }

    /// A burst of one was said by its first line.
    private func closing(_ key: Key, _ burst: Burst) -> Line? {
        guard burst.count > 1 else { return nil }
        return Line(
            userID: burst.userID, action: key.action, resource: key.resource,
            detail: [
                "status": "\(key.status)", "address": burst.address, "refusals": "\(burst.count)",
                "since": ISO8601DateFormatter().string(from: burst.startedAt),
            ])
    }

    private func write(_ lines: [Line]) async {
        for line in lines {
            do {
                let detail = String(decoding: try JSONSerialization.data(withJSONObject: line.detail, options: [.sortedKeys]), as: UTF8.self)
                try await accounts.audit(userID: line.userID, action: line.action, resource: line.resource, detail: detail)
            } catch {
                // The refusal stands; only its record is missing, and the log says so.
                logger.error("refusal not audited: \(String(reflecting: error))", metadata: ["action": "\(line.action)", "resource": "\(line.resource)"])
            }
        }
    }
}
