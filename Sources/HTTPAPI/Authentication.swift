import Crypto
import Foundation
import Hummingbird
import HummingbirdBcrypt
import Store
import Synchronization

/// Bearer tokens: 32 random bytes, given once at sign-in, stored only as their SHA-256.
enum BearerToken {
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    static func sha256(_ token: String) -> [UInt8] { Array(SHA256.hash(data: Data(token.utf8))) }
}

/// Sets `context.user` from the Authorization header. Routes decide what needs a user.
struct Authentication: RouterMiddleware {
    typealias Context = APIContext
    let accounts: Accounts
    let recent = RecentTokens()

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization] {
            guard header.hasPrefix("Bearer ") else { throw Self.refused }
            let hash = BearerToken.sha256(String(header.dropFirst(7)))
            if let user = recent.user(hash) {
                context.user = user
            } else {
                guard let stored = try await accounts.user(tokenSHA256: hash), let user = APIUser(stored) else { throw Self.refused }
                recent.remember(hash, user)
                context.user = user
            }
        }
        return try await next(request, context)
    }

    static let refused = Problem(.unauthorized, "Not signed in", detail: "the bearer token is unknown or expired: sign in again with POST /api/v1/sessions")
}

/// Tokens checked in the last few seconds: a map polled many times a second costs one lookup
/// per `lifetime`, not one per request. A token revoked or a user disabled is refused at most
/// `lifetime` later; an expired token is never served past its expiry by more than that.
final class RecentTokens: Sendable {
    let lifetime: Duration
    private let entries = Mutex<[[UInt8]: (user: APIUser, checked: ContinuousClock.Instant)]>([:])

    init(lifetime: Duration = .seconds(10)) { self.lifetime = lifetime }

    func user(_ hash: [UInt8], now: ContinuousClock.Instant = .now) -> APIUser? {
        entries.withLock { entries in
            guard let entry = entries[hash] else { return nil }
            guard now - entry.checked < lifetime else {
                entries[hash] = nil
                return nil
            }
            return entry.user
        }
    }

    func remember(_ hash: [UInt8], _ user: APIUser, now: ContinuousClock.Instant = .now) {
        entries.withLock { entries in
            // Bounded: expired entries go whenever the map grows large.
            if entries.count > 10_000 { entries = entries.filter { now - $0.value.checked < lifetime } }
            entries[hash] = (user, now)
        }
    }
}

/// Failed sign-ins per username: after `limit` in `window`, further tries are refused until the
/// window has passed, whatever the password (brute force gets nowhere).
final class LoginThrottle: Sendable {
    let limit: Int
    let window: Duration
    private let failures = Mutex<[String: [ContinuousClock.Instant]]>([:])

    init(limit: Int = 5, window: Duration = .seconds(300)) {
        self.limit = limit
        self.window = window
    }

    /// Seconds to wait, if `username` is locked out now.
    func lockedOut(_ username: String, now: ContinuousClock.Instant = .now) -> Int? {
        failures.withLock { all in
            let recent = (all[username] ?? []).filter { now - $0 < window }
            all[username] = recent
            guard recent.count >= limit, let oldest = recent.first else { return nil }
            return Int((window - (now - oldest)).components.seconds) + 1
        }
    }

    func failed(_ username: String, now: ContinuousClock.Instant = .now) {
        failures.withLock { $0[username, default: []].append(now) }
    }

    func succeeded(_ username: String) {
        failures.withLock { $0[username] = nil }
    }
}

/// Password hashing, bcrypt at cost 12 (about 0.2 s on this machine: slow for guessing, fine
/// for a sign-in), on a thread of the pool, not an event loop.
public enum PasswordHash {
    public static func hash(_ password: String) async -> String {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: Bcrypt.hash(password, cost: 12)) }
        }
    }

    public static func verify(_ password: String, hash: String) async -> Bool {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: Bcrypt.verify(password, hash: hash)) }
        }
    }
}
