import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Store
import Synchronization

/// The sign-in door, for `POST /api/v1/sessions` and a password change alike: the attempt is
/// counted before its password is checked, bcrypt runs a few at a time, and an unknown or
/// disabled username costs the same bcrypt as a known one.
struct SignInGate: Sendable {
    let throttle = LoginThrottle()
    let checks = PasswordChecks()

    /// The user whose password `password` is; else a `SignInRefused` (401, or 429 throttled or busy).
    func verify(username: String, password: String, address: String, accounts: Accounts) async throws -> Accounts.User {
        if let wait = throttle.admit(username: username, address: address) { throw SignInRefused.throttled(username, retryAfter: wait) }
        let stored = try await accounts.credentials(username: username)
        let matches: Bool
        do {
            matches = try await checks.run { await PasswordHash.verify(password, hash: stored?.passwordHash ?? PasswordHash.dummy) }
        } catch is PasswordChecks.Busy {
            // Not checked, so not a failure: the caller is told to come back.
            throttle.withdraw(username: username, address: address)
            throw SignInRefused.busy(username)
        }
        guard matches, let stored else { throw SignInRefused.wrong(username) }
        throttle.withdraw(username: username, address: address)
        return stored.user
    }
}

/// A refused sign-in, naming the username for the audit; 429s say when to come back.
struct SignInRefused: HTTPResponseError {
    var problem: Problem
    var username: String
    var retryAfter: Int?

    var status: HTTPResponse.Status { problem.status }

    static func wrong(_ username: String) -> SignInRefused {
        SignInRefused(problem: Problem(.unauthorized, "Sign-in refused", detail: "unknown user or wrong password"), username: username)
    }

    static func throttled(_ username: String, retryAfter: Int) -> SignInRefused {
        let problem = Problem(.tooManyRequests, "Too many failed sign-ins", detail: "try again in \(retryAfter) s")
        return SignInRefused(problem: problem, username: username, retryAfter: retryAfter)
    }

    static func busy(_ username: String) -> SignInRefused {
        SignInRefused(problem: Problem(.tooManyRequests, "Too many sign-ins at once", detail: "try again in a second"), username: username, retryAfter: 1)
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try problem.response(from: request, context: context)
        if let retryAfter { response.headers[.retryAfter] = "\(retryAfter)" }
        return response
    }
}

/// Sign-in attempts per username and per source address: after `limit` (`addressLimit`) in
/// `window`, further ones are refused until the oldest has aged out, whatever the password.
/// An attempt is counted before its password is checked, under the same lock as the check of
/// the count, so parallel attempts cannot slip past; a successful one is withdrawn again (a
/// carrier NAT or a busy office is limited in failures, not in sign-ins). Memory is bounded:
/// a name holds at most its limit of instants, a table at most `capacity` names.
final class LoginThrottle: Sendable {
    let limit: Int
    let addressLimit: Int
    let window: Duration
    let capacity: Int
    private let tables = Mutex<(usernames: [String: [ContinuousClock.Instant]], addresses: [String: [ContinuousClock.Instant]])>(([:], [:]))

    init(limit: Int = 5, addressLimit: Int = 30, window: Duration = .seconds(300), capacity: Int = 20_000) {
        (self.limit, self.addressLimit, self.window, self.capacity) = (limit, addressLimit, window, capacity)
    }

    /// How many names each table holds.
    var tracked: (usernames: Int, addresses: Int) { tables.withLock { ($0.usernames.count, $0.addresses.count) } }

    /// Counts an attempt: nil lets it go ahead, else the seconds until one may try again.
    func admit(username: String, address: String, now: ContinuousClock.Instant = .now) -> Int? {
        tables.withLock { tables in
            let byName = recent(tables.usernames[username], now), byAddress = recent(tables.addresses[address], now)
            if let wait = wait(byName, limit, now) ?? wait(byAddress, addressLimit, now) {
                (tables.usernames[username], tables.addresses[address]) = (byName, byAddress)
                return wait
            }
            (tables.usernames[username], tables.addresses[address]) = (byName + [now], byAddress + [now])
            bound(&tables.usernames, now)
            bound(&tables.addresses, now)
            return nil
        }
    }

    /// The attempt was not a failure (the password was right, or it was never checked).
    func withdraw(username: String, address: String) {
        tables.withLock { tables in
            if tables.usernames[username]?.isEmpty == false { tables.usernames[username]?.removeLast() }
            if tables.addresses[address]?.isEmpty == false { tables.addresses[address]?.removeLast() }
        }
    }

    private func recent(_ attempts: [ContinuousClock.Instant]?, _ now: ContinuousClock.Instant) -> [ContinuousClock.Instant] {
        (attempts ?? []).filter { now - $0 < window }
    }

    private func wait(_ attempts: [ContinuousClock.Instant], _ limit: Int, _ now: ContinuousClock.Instant) -> Int? {
        guard attempts.count >= limit, let oldest = attempts.first else { return nil }
        return Int((window - (now - oldest)).components.seconds) + 1
    }

    /// Past `capacity`: the aged-out names go, then the longest quiet tenth. Evicting a locked
    /// name takes `capacity / addressLimit` addresses' worth of fresh failures.
    private func bound(_ table: inout [String: [ContinuousClock.Instant]], _ now: ContinuousClock.Instant) {
        guard table.count > capacity else { return }
        table = table.filter { $0.value.contains { now - $0 < window } }
        guard table.count > capacity else { return }
        let quiet = table.sorted { ($0.value.last ?? now) < ($1.value.last ?? now) }.prefix(table.count - capacity * 9 / 10)
        for (name, _) in quiet { table[name] = nil }
    }
}

/// bcrypt a few at a time: at most `workers` run, `queueLimit` more wait their turn, and
/// beyond that a caller is refused at once (429) rather than queued without end, so a flood
/// of sign-ins costs the server `workers` cores, not all of them and its memory.
final class PasswordChecks: Sendable {
    struct Busy: Error {}

    let workers: Int
    let queueLimit: Int
    private let state = Mutex<(running: Int, waiting: [CheckedContinuation<Void, any Error>], ran: Int)>((0, [], 0))

    init(workers: Int = max(1, ProcessInfo.processInfo.activeProcessorCount / 2), queueLimit: Int = 32) {
        (self.workers, self.queueLimit) = (workers, queueLimit)
    }

    /// How many checks have run: an unknown username's included.
    var ran: Int { state.withLock { $0.ran } }
    var load: (running: Int, waiting: Int) { state.withLock { ($0.running, $0.waiting.count) } }

    func run<T: Sendable>(_ work: () async -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (turn: CheckedContinuation<Void, any Error>) in
            let now: Bool? = state.withLock { state in
                if state.running < workers {
                    state.running += 1
                    return true
                }
                guard state.waiting.count < queueLimit else { return nil }
                state.waiting.append(turn)
                return false
            }
            switch now {
            case true?: turn.resume()
            case false?: break
            case nil: turn.resume(throwing: Busy())
            }
        }
        defer {
            // The slot passes to the next in line, if any (resumed outside the lock).
            let next = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                if state.waiting.isEmpty {
                    state.running -= 1
                    return nil
                }
                return state.waiting.removeFirst()
            }
            next?.resume()
        }
        state.withLock { $0.ran += 1 }
        return await work()
    }
}
