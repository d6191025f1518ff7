import Crypto
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import Logging
import Store
import Synchronization

/// Bearer tokens: 32 random bytes, given once at sign-in, stored only as their SHA-256.
enum BearerToken {
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    static func sha256(_ token: String) -> [UInt8] { Array(SHA256.hash(data: Data(token.utf8))) }

    /// The hash of the request's token: its bearer token, else the console's session cookie.
    static func sha256(of request: Request) -> [UInt8]? {
        if let header = request.headers[.authorization] { return header.hasPrefix("Bearer ") ? sha256(String(header.dropFirst(7))) : nil }
        return ConsoleSession.token(of: request).map(sha256)
    }
}

/// The browser console's session: the same token as a bearer's, kept in an HttpOnly,
/// SameSite=Strict cookie so that no script (nor a script injected into the page) can read it.
/// A write signed in by the cookie must carry `X-Requested-With: fleet-console`, a header no
/// other site's form or image can send without the API's consent (it answers no CORS).
enum ConsoleSession {
    static let cookieName = "fleet_session"
    static let headerValue = "fleet-console"

    static func token(of request: Request) -> String? {
        guard let value = request.cookies[cookieName]?.value, value.count == 64, value.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) })
        else { return nil }
        return value
    }

    /// Whether the request says it comes from the console itself.
    static func fromConsole(_ request: Request) -> Bool { request.headers[.xRequestedWith] == headerValue }

    /// The cookie that signs the browser in for `lifetime` seconds; Secure behind TLS (the
    /// proxy terminating it says so).
    static func cookie(_ token: String, lifetime: TimeInterval, request: Request) -> Cookie {
        Cookie(
            name: cookieName, value: token, maxAge: Int(lifetime), path: "/", secure: request.headers[.xForwardedProto] == "https", httpOnly: true,
            sameSite: .strict)
    }

    /// The cookie's removal, on sign-out.
    static func ended(request: Request) -> Cookie { cookie("", lifetime: 0, request: request) }

    static let crossSite = Problem(
        .forbidden, "Cross-site request refused",
        detail: "a write signed in by the console's cookie must come from the console (header X-Requested-With: fleet-console); API clients send a bearer token"
    )
}

extension HTTPField.Name {
    static let xRequestedWith = Self("X-Requested-With")!
    static let xForwardedProto = Self("X-Forwarded-Proto")!
}

/// Sets `context.user` from the Authorization header (routes decide what needs a user), and
/// puts every refusal (401, 403, 429) of the request on record, once per burst.
struct Authentication: RouterMiddleware {
    typealias Context = APIContext
    let sessions: Sessions
    let refusals: RefusalAudit

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        var context = context
        await refusals.writeEnded()
        do {
            if request.headers[.authorization] != nil {
                guard let hash = BearerToken.sha256(of: request), let user = try await sessions.user(hash) else { throw Self.refused }
                context.user = user
            } else if let token = ConsoleSession.token(of: request), let user = try await sessions.user(BearerToken.sha256(token)) {
                // A stale cookie is no one: the sign-in form must still be reachable with it.
                if ![.get, .head].contains(request.method), !ConsoleSession.fromConsole(request) { throw ConsoleSession.crossSite }
                context.user = user
            }
            return try await next(request, context)
        } catch let error as any HTTPResponseError where RefusalAudit.statuses.contains(error.status) {
            await refusals.refused(error, user: context.user, address: context.address, route: "\(request.method.rawValue) \(request.uri.path)")
            throw error
        }
    }

    static let refused = Problem(.unauthorized, "Not signed in", detail: "the bearer token is unknown or expired: sign in again with POST /api/v1/sessions")
}

/// Who a bearer token is: its user while it has neither expired nor been idle for
/// `idleTimeout`, nor been ended, nor its user disabled. Lookups are remembered for a few
/// seconds; ending sessions forgets them at once.
struct Sessions: Sendable {
    let accounts: Accounts
    let idleTimeout: TimeInterval
    let recent = RecentTokens()

    func user(_ hash: [UInt8]) async throws -> APIUser? {
        if let user = recent.user(hash) { return user }
        let asked = recent.forgettings
        guard let stored = try await accounts.user(tokenSHA256: hash, idleTimeout: idleTimeout), let user = APIUser(stored) else { return nil }
        recent.remember(hash, user, unlessForgottenSince: asked)
        return user
    }

    /// Signs one token out.
    func end(_ hash: [UInt8], audit: AuditLine) async throws {
        recent.forget(hash)
        try await accounts.deleteToken(sha256: hash, audit: audit)
    }

    /// Ends every session of a user (but `keeping`, the one asking): how many there were.
    func endAll(of userID: Int64, keeping: [UInt8]? = nil, audit: @escaping Audit<Int>) async throws -> Int {
        let ended = try await accounts.deleteTokens(userID: userID, keeping: keeping, audit: audit)
        recent.forget(userID: userID, keeping: keeping)
        return ended
    }

    /// Forgets what the cache knows of a user whose sessions the database just ended.
    func forget(userID: Int64, keeping: [UInt8]? = nil) { recent.forget(userID: userID, keeping: keeping) }
}

/// Tokens checked in the last few seconds: a map polled many times a second costs one lookup
/// per `lifetime`, not one per request. Sign-out, revocation and disabling forget a user's
/// tokens here at once; an expired token is never served past its expiry by more than that.
final class RecentTokens: Sendable {
    let lifetime: Duration
    /// `forgettings` counts calls of `forget`: an answer read from the database before one
    /// may be stale, and is not remembered.
    private let state = Mutex<(entries: [[UInt8]: (user: APIUser, checked: ContinuousClock.Instant)], forgettings: Int)>(([:], 0))

    init(lifetime: Duration = .seconds(10)) { self.lifetime = lifetime }

    var forgettings: Int { state.withLock { $0.forgettings } }

    func user(_ hash: [UInt8], now: ContinuousClock.Instant = .now) -> APIUser? {
        state.withLock { state in
            guard let entry = state.entries[hash] else { return nil }
            guard now - entry.checked < lifetime else {
                state.entries[hash] = nil
                return nil
            }
            return entry.user
        }
    }

    func remember(_ hash: [UInt8], _ user: APIUser, unlessForgottenSince forgettings: Int, now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            guard state.forgettings == forgettings else { return }
            // Bounded: expired entries go whenever the map grows large.
            if state.entries.count > 10_000 { state.entries = state.entries.filter { now - $0.value.checked < lifetime } }
            state.entries[hash] = (user, now)
        }
    }

    func forget(_ hash: [UInt8]) {
        state.withLock { state in
            state.entries[hash] = nil
            state.forgettings += 1
        }
    }

    func forget(userID: Int64, keeping: [UInt8]? = nil) {
        state.withLock { state in
            state.entries = state.entries.filter { $0.value.user.id != userID || $0.key == keeping }
            state.forgettings += 1
        }
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

    /// A cost-12 hash of a random password nobody kept: an unknown username is checked against
    /// it, so that it takes as long to refuse as a known one.
    static let dummy = "$2b$12$7DCc7Pyl3yh6X6LwV9Zxguv0MeK0uNyrExlXunxvlgCF2DhkDzGDO"
}
