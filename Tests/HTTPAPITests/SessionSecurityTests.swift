import Foundation
import PostgresNIO
import PostgresTestSupport
import Store
import Testing

@testable import HTTPAPI

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Issue 14's doors of users and sessions, over real HTTP on real PostgreSQL: sign-in under
/// attack, sessions ending at once, the password policy, the audit trail and its refusals.
@Suite struct SessionSecurityTests {
    typealias API = FleetAPITests

    /// A session that really sends 40 requests at once (Foundation's default is a few per host).
    static let parallel: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 64
        configuration.timeoutIntervalForRequest = 120
        return URLSession(configuration: configuration)
    }()

    static func signIn(_ base: URL, _ username: String, _ password: String, session: URLSession = .shared) async throws -> FleetAPITests.Reply {
        try await API.call(base, "POST", "/api/v1/sessions", body: #"{"username": "\#(username)", "password": "\#(password)"}"#, session: session)
    }

    /// The live stream read to its end: it ends only when its session does.
    static func stream(_ base: URL, _ token: String) async throws -> (status: Int, body: String) {
        let reply = try await API.call(base, "GET", "/api/v1/stream", token: token, session: parallel)
        return (reply.status, String(decoding: reply.body, as: UTF8.self))
    }

    static func userID(_ base: URL, _ token: String) async throws -> Int {
        try #require(try await API.call(base, "GET", "/api/v1/me", token: token).json["id"] as? Int)
    }

    static func refusals(_ accounts: Accounts, _ action: String, _ resource: String) async throws -> [[String: String]] {
        try await accounts.auditTrail(Accounts.AuditFilter(action: action, resource: resource, limit: 100)).map { entry in
            (try? JSONDecoder().decode([String: String].self, from: Data((entry.detail ?? "{}").utf8))) ?? [:]
        }
    }

    /// Attack 4 of the issue: 40 parallel wrong passwords for one user. The attempt is counted
    /// before bcrypt, under one lock: exactly the limit of 5 are checked, the rest refused at
    /// once with Retry-After; then even the right password waits. On record: one line per
    /// burst and kind, and when each burst is over one with its count.
    @Test func fortyParallelWrongPasswordsReachBcryptOnlyFiveTimes() async throws {
        try await API.withAPI { base, accounts, _, api in
            let checksBefore = api.gate.checks.ran
            // (status, title, Retry-After) of each.
            let replies = try await withThrowingTaskGroup(of: (Int, String?, String?).self) { group in
                for n in 0..<40 {
                    group.addTask {
                        let reply = try await Self.signIn(base, "auditor", "wrong guess \(n)", session: Self.parallel)
                        return (reply.status, reply.json["title"] as? String, reply.retryAfter)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let checked = replies.filter { $0.0 == 401 }, throttled = replies.filter { $0.0 == 429 }
            #expect(checked.count == 5 && throttled.count == 35, "\(replies.map(\.0))")
            #expect(api.gate.checks.ran - checksBefore == 5)
            #expect(checked.allSatisfy { $0.1 == "Sign-in refused" })
            #expect(throttled.allSatisfy { $0.1 == "Too many failed sign-ins" && Int($0.2 ?? "") != nil })
            let right = try await Self.signIn(base, "auditor", "correct horse")
            #expect(right.status == 429 && api.gate.checks.ran - checksBefore == 5)

            let opened = try await Self.refusals(accounts, "sign-in-refused", "user:auditor")
            #expect(opened.map { $0["status"] ?? "" }.sorted() == ["401", "429"], "\(opened)")
            await api.refusals.writeEnded(now: .now + .seconds(61))
            let all = try await Self.refusals(accounts, "sign-in-refused", "user:auditor")
            let counts = Dictionary(uniqueKeysWithValues: all.filter { $0["refusals"] != nil }.map { ($0["status"] ?? "", $0["refusals"] ?? "") })
            #expect(counts == ["401": "5", "429": "36"], "\(all)")
        }
    }

    /// An unknown or disabled username is checked against a dummy hash: one bcrypt, like a
    /// known one, and the same answer.
    @Test func unknownAndDisabledUsernamesCostABcryptToo() async throws {
        try await API.withAPI { base, accounts, client, api in
            for username in ["nobody", "auditor"] {
                if username == "auditor" { try await client.query("UPDATE users SET disabled = true WHERE username = 'auditor'", logger: TestPostgres.logger) }
                let before = api.gate.checks.ran
                let reply = try await Self.signIn(base, username, "correct horse")
                #expect(reply.status == 401 && reply.json["detail"] as? String == "unknown user or wrong password", "\(username): \(reply.json)")
                #expect(api.gate.checks.ran - before == 1, "\(username)")
            }
            // The dummy is of the cost and kind of the real hashes.
            let real = await PasswordHash.hash("x")
            #expect(PasswordHash.dummy.count == real.count && real.prefix(7) == PasswordHash.dummy.prefix(7))
        }
    }

    @Test func signOutEndsTheTokenAtOnce() async throws {
        try await API.withAPI { base, accounts, _, _ in
            let token = try await API.signIn(base, "dispatcher")
            #expect(try await API.call(base, "GET", "/api/v1/me", token: token).status == 200)
            let out = try await API.call(base, "DELETE", "/api/v1/sessions/current", token: token)
            #expect(out.status == 200 && out.json["done"] as? Bool == true)
            // Not waited out of the token cache: refused on the very next request.
            #expect(try await API.call(base, "GET", "/api/v1/me", token: token).status == 401)
            #expect(try await accounts.auditTrail().contains { $0.action == "sign-out" && $0.resource == "user:dispatcher" })
        }
    }

    /// Disabling ends the user's sessions and live stream at once, and signing in; enabling
    /// lets them in again. An administrator cannot disable themselves.
    @Test func disablingAUserEndsTheirSessionsAndStreamAtOnce() async throws {
        try await API.withAPI { base, accounts, _, api in
            let admin = try await API.signIn(base, "admin"), dispatcher = try await API.signIn(base, "dispatcher")
            let id = try await Self.userID(base, dispatcher)
            let stream = Task { try await Self.stream(base, dispatcher) }
            while api.openStreams.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(20)) }

            let disabled = try await API.call(base, "POST", "/api/v1/users/\(id)/disable", token: admin)
            #expect(disabled.status == 200 && disabled.json["sessions"] as? Int == 1, "\(disabled.json)")
            #expect(try await API.call(base, "GET", "/api/v1/me", token: dispatcher).status == 401)
            let ended = try await stream.value
            #expect(ended.status == 200 && ended.body.hasSuffix(": session ended\n\n"), "\(ended)")
            #expect(api.openStreams.withLock { $0 } == 0)
            #expect(try await Self.signIn(base, "dispatcher", "correct horse").status == 401)

            #expect(try await API.call(base, "POST", "/api/v1/users/\(id)/enable", token: admin).status == 200)
            #expect(try await Self.signIn(base, "dispatcher", "correct horse").status == 201)
            let adminID = try await Self.userID(base, admin)
            #expect(try await API.call(base, "POST", "/api/v1/users/\(adminID)/disable", token: admin).status == 409)
            #expect(try await API.call(base, "POST", "/api/v1/users/99999/disable", token: admin).status == 404)
            let actions = try await accounts.auditTrail().map(\.action)
            #expect(actions.contains("user-disable") && actions.contains("user-enable"))
        }
    }

    /// An administrator revokes a user's sessions (a lost phone): every token of theirs ends,
    /// a signed-out stream closes; the user can sign in again.
    @Test func revokedSessionsAndTheirStreamEndAtOnce() async throws {
        try await API.withAPI { base, _, _, api in
            let admin = try await API.signIn(base, "admin")
            let first = try await API.signIn(base, "agency"), second = try await API.signIn(base, "agency")
            let id = try await Self.userID(base, first)
            let stream = Task { try await Self.stream(base, second) }
            while api.openStreams.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(20)) }
            let revoked = try await API.call(base, "DELETE", "/api/v1/users/\(id)/sessions", token: admin)
            #expect(revoked.status == 200 && revoked.json["sessions"] as? Int == 2, "\(revoked.json)")
            for token in [first, second] { #expect(try await API.call(base, "GET", "/api/v1/me", token: token).status == 401) }
            #expect(try await stream.value.body.hasSuffix(": session ended\n\n"))
            _ = try await API.signIn(base, "agency")
        }
    }

    /// A session unused for the idle timeout (30 min) ends, besides its absolute expiry; one
    /// in use goes on, and its use is recorded.
    @Test func idleAndExpiredSessionsEnd() async throws {
        try await API.withAPI { base, _, client, _ in
            let idle = try await API.signIn(base, "dispatcher"), busy = try await API.signIn(base, "auditor"), old = try await API.signIn(base, "agency")
            let logger = TestPostgres.logger
            try await client.query(
                """
                UPDATE api_tokens t SET
                    last_used_at = CASE u.username WHEN 'dispatcher' THEN now() - interval '31 minutes' ELSE now() - interval '29 minutes' END,
                    expires_at = CASE u.username WHEN 'agency' THEN now() - interval '1 second' ELSE t.expires_at END
                FROM users u WHERE u.id = t.user_id
                """,
                logger: logger
            )
            #expect(try await API.call(base, "GET", "/api/v1/me", token: idle).status == 401)
            #expect(try await API.call(base, "GET", "/api/v1/me", token: old).status == 401)
            #expect(try await API.call(base, "GET", "/api/v1/me", token: busy).status == 200)
            let rows = try await client.query(
                """
                SELECT count(*) FROM api_tokens t JOIN users u ON u.id = t.user_id
                WHERE u.username = 'auditor' AND t.last_used_at > now() - interval '1 minute'
                """,
                logger: logger
            )
            for try await count in rows.decode(Int64.self) { #expect(count == 1) }
        }
    }

    /// The password policy through the API: length, the username, common passwords; the
    /// current password is checked (and throttled) as a sign-in; every other session ends.
    @Test func aPasswordChangeFollowsThePolicyAndEndsOtherSessions() async throws {
        try await API.withAPI { base, _, _, _ in
            let mine = try await API.signIn(base, "agency"), elsewhere = try await API.signIn(base, "agency")
            func change(_ current: String, _ new: String) async throws -> FleetAPITests.Reply {
                try await API.call(base, "PUT", "/api/v1/me/password", token: mine, body: #"{"currentPassword": "\#(current)", "newPassword": "\#(new)"}"#)
            }
            for (weak, why) in [
                ("short one", "must be 12 to 72 characters"), ("my agency account", "not the username"), ("Password2026!", "not a common password"),
                ("1qaz2wsx3edc", "not a common password"), ("zzzzzzzzzzzzzz", "not a common password"),
            ] {
                let refused = try await change("correct horse", weak)
                #expect(refused.status == 400 && refused.json["field"] as? String == "newPassword", "\(weak): \(refused.json)")
                #expect(refused.json["detail"] as? String == why, "\(weak): \(refused.json)")
            }
            let wrong = try await change("not my password", "tidal basin ferry 42")
            #expect(wrong.status == 403 && wrong.json["field"] as? String == "currentPassword", "\(wrong.json)")
            let changed = try await change("correct horse", "tidal basin ferry 42")
            #expect(changed.status == 200, "\(changed.json)")
            #expect(try await API.call(base, "GET", "/api/v1/me", token: elsewhere).status == 401)
            #expect(try await API.call(base, "GET", "/api/v1/me", token: mine).status == 200)
            #expect(try await Self.signIn(base, "agency", "correct horse").status == 401)
            #expect(try await Self.signIn(base, "agency", "tidal basin ferry 42").status == 201)
        }
    }

    @Test func thePolicyRefusesWeakPasswords() {
        #expect(AccountRules.passwordProblem("correct horse battery", username: "chief") == nil)
        #expect(AccountRules.passwordProblem("eleven char", username: "chief") == "at least 12 characters")
        #expect(AccountRules.passwordProblem(String(repeating: "长", count: 25), username: "chief") == "at most 72 bytes")
        #expect(AccountRules.passwordProblem("Dispatcher-2026", username: "dispatcher") == "not the username")
        #expect(AccountRules.passwordProblem("2026!!Qwerty??", username: "kim") == "not a common password")
        #expect(AccountRules.passwordProblem("123456789012", username: "kim") == "not a common password")
        #expect(AccountRules.passwordProblem("ababababababab", username: "kim") == "not a common password")
        #expect(AccountRules.passwordProblem("woaini1314520", username: "kim") == "not a common password")
    }

    /// The throttle counts per address as well (a guesser spreading over usernames), forgets
    /// after its window, and keeps at most its capacity of names however many are tried.
    @Test func theThrottleLimitsAddressesForgetsAndStaysBounded() {
        let throttle = LoginThrottle(limit: 5, addressLimit: 30, window: .seconds(300), capacity: 100)
        let start = ContinuousClock.now
        for n in 0..<30 { #expect(throttle.admit(username: "user\(n)", address: "203.0.113.7", now: start) == nil) }
        #expect(throttle.admit(username: "fresh", address: "203.0.113.7", now: start) != nil)
        #expect(throttle.admit(username: "fresh", address: "198.51.100.1", now: start) == nil)
        // A success is withdrawn: an office behind one address signs in all day.
        for _ in 0..<100 {
            #expect(throttle.admit(username: "clerk", address: "192.0.2.1", now: start) == nil)
            throttle.withdraw(username: "clerk", address: "192.0.2.1")
        }
        #expect(throttle.admit(username: "fresh", address: "203.0.113.7", now: start + .seconds(301)) == nil)
        for n in 0..<10_000 { _ = throttle.admit(username: "spray\(n)", address: "10.0.\(n / 250).\(n % 250)", now: start + .seconds(302)) }
        #expect(throttle.tracked.usernames <= 100 && throttle.tracked.addresses <= 100, "\(throttle.tracked)")
    }

    /// bcrypt runs `workers` at a time with `queueLimit` waiting; the next is refused at once.
    @Test func passwordChecksQueueThenRefuse() async throws {
        let checks = PasswordChecks(workers: 1, queueLimit: 1)
        let (release, releaseIn) = AsyncStream.makeStream(of: Void.self)
        let held = Task { try await checks.run { for await _ in release { break } } }
        while checks.load.running == 0 { try await Task.sleep(for: .milliseconds(5)) }
        let queued = Task { try await checks.run { 2 } }
        while checks.load.waiting == 0 { try await Task.sleep(for: .milliseconds(5)) }
        await #expect(throws: PasswordChecks.Busy.self) { try await checks.run { 3 } }
        releaseIn.yield()
        try await held.value
        #expect(try await queued.value == 2 && checks.ran == 2 && checks.load.running == 0)
    }

    /// 401s of the Authentication middleware and 403s of the role checks are on record once per
    /// burst and actor, with the burst's count when it is over.
    @Test func refusalsOfTokensAndRolesAreAuditedOncePerBurst() async throws {
        try await API.withAPI { base, accounts, _, api in
            let agency = try await API.signIn(base, "agency")
            let agencyID = try await Self.userID(base, agency)
            for _ in 0..<10 {
                #expect(try await API.call(base, "GET", "/api/v1/users", token: agency).status == 403)
                #expect(try await API.call(base, "GET", "/api/v1/me", token: String(repeating: "f", count: 64)).status == 401)
            }
            #expect(try await Self.refusals(accounts, "access-refused", "user:\(agencyID)").count == 1)
            #expect(try await Self.refusals(accounts, "request-refused", "address:127.0.0.1").count == 1)
            await api.refusals.writeEnded(now: .now + .seconds(61))
            #expect(try await Self.refusals(accounts, "access-refused", "user:\(agencyID)").first?["refusals"] == "10")
            #expect(try await Self.refusals(accounts, "request-refused", "address:127.0.0.1").first?["refusals"] == "10")
        }
    }

    /// GET /api/v1/audit: auditors and administrators only; filters by actor, action, object
    /// and time; newest first, in pages joined by the cursor.
    @Test func theAuditTrailFiltersAndPages() async throws {
        try await API.withAPI { base, accounts, client, _ in
            let auditor = try await API.signIn(base, "auditor"), dispatcher = try await API.signIn(base, "dispatcher")
            let dispatcherID = Int64(try await Self.userID(base, dispatcher))
            for n in 1...5 { try await accounts.audit(userID: dispatcherID, action: "track-read", resource: "vehicle:\(n % 2)") }
            try await accounts.audit(userID: nil, action: "track-read", resource: "vehicle:1")
            try await client.query(
                "INSERT INTO audit_log (at, user_id, action, resource) VALUES ('2026-01-01T00:00:00Z', \(dispatcherID), 'track-read', 'vehicle:9')",
                logger: TestPostgres.logger
            )
            func page(_ query: String) async throws -> (items: [[String: Any]], next: Int?) {
                let reply = try await API.call(base, "GET", "/api/v1/audit?\(query)", token: auditor)
                #expect(reply.status == 200, "\(query): \(reply.json)")
                return (reply.json["items"] as? [[String: Any]] ?? [], reply.json["next"] as? Int)
            }
            let mine = try await page("actor=dispatcher&action=track-read")
            #expect(mine.items.count == 6 && mine.items.allSatisfy { $0["actor"] as? String == "dispatcher" } && mine.next == nil)
            let ids = mine.items.compactMap { $0["id"] as? Int }
            #expect(ids == ids.sorted(by: >))
            let first = try await page("actor=dispatcher&action=track-read&limit=4")
            let second = try await page("actor=dispatcher&action=track-read&limit=4&cursor=\(try #require(first.next))")
            #expect((first.items + second.items).compactMap { $0["id"] as? Int } == ids && second.next == nil)
            #expect(try await page("action=track-read&object=vehicle:1").items.count == 4)
            let recent = try await page("action=track-read&from=2026-06-01T00:00:00%2B08:00")
            #expect(recent.items.count == 6 && !recent.items.contains { $0["object"] as? String == "vehicle:9" })
            let january = try await page("action=track-read&from=2025-12-31T00:00:00Z&to=2026-01-02T00:00:00Z")
            #expect(january.items.map { $0["object"] as? String } == ["vehicle:9"])
            // Reading the trail is on record too.
            #expect(try await page("action=audit-read&actor=auditor").items.count == 6)

            #expect(try await API.call(base, "GET", "/api/v1/audit", token: dispatcher).status == 403)
            let badCursor = try await API.call(base, "GET", "/api/v1/audit?cursor=-3", token: auditor)
            #expect(badCursor.status == 400 && badCursor.json["field"] as? String == "cursor")
            let backwards = try await API.call(base, "GET", "/api/v1/audit?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", token: auditor)
            #expect(backwards.status == 400 && backwards.json["field"] as? String == "from")
        }
    }
}
