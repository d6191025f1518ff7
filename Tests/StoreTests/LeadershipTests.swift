import Foundation
import PostgresNIO
import PostgresTestSupport
import Store
import Testing

/// Leader election, the processes' signals and the health report of issue 19 on real
/// PostgreSQL, as the app role the server runs as.
@Suite struct LeadershipTests {
    let logger = TestPostgres.logger
    /// The whole suite loads the machine: a database that answers at all counts here.
    static let patience: Duration = .seconds(60)

    @Test func oneConnectionLeadsADutyAndAnotherTakesOverWhenItEnds() async throws {
        try await TestPostgres.withDatabase { _, url in
            let app = try TestPostgres.app(url)
            let first = LeaderLock(duty: .dispatch, holder: "host-a/1"), second = LeaderLock(duty: .dispatch, holder: "host-b/2")
            let a = try await LeaderLock.connect(app, logger: logger)
            let b = try await LeaderLock.connect(app, logger: logger)
            #expect(try await first.tryAcquire(on: a, logger: logger))
            #expect(try await !second.tryAcquire(on: b, logger: logger))
            // The other duty is a lock of its own.
            #expect(try await LeaderLock(duty: .maintenance, holder: "host-b/2").tryAcquire(on: b, logger: logger))
            try await TestPostgres.withClient(app) { client in
                #expect(try await LeaderLock.leaders(client: client, logger: logger) == [.dispatch: "host-a/1", .maintenance: "host-b/2"])
                try await first.confirm(on: a, logger: logger)
                // The leader's connection ends (as it does when its process dies): the lock goes
                // with it, the row that named it no longer counts, and the other takes over.
                try await a.close()
                #expect(try await LeaderLock.leaders(client: client, logger: logger) == [.maintenance: "host-b/2"])
                #expect(try await second.tryAcquire(on: b, logger: logger))
                #expect(try await LeaderLock.leaders(client: client, logger: logger) == [.dispatch: "host-b/2", .maintenance: "host-b/2"])
            }
            try await b.close()
        }
    }

    @Test func theHealthReportNamesWhatIsMissing() async throws {
        try await TestPostgres.withDatabase { owner, url in
            let applied = try await Migrator(client: owner, logger: logger).appliedVersions()
            try await TestPostgres.withClient(try TestPostgres.app(url)) { client in
                let current = await HealthCheck(client: client, knownMigrations: Set(applied), timeout: Self.patience, logger: logger).report()
                #expect(current.ready && current.database && current.problems.isEmpty)
                #expect(current.migrationsApplied == applied.count && current.migrationsKnown == applied.count)
                // No leader yet: told, but the process still serves.
                #expect(current.leaderless.count == 2 && current.leaders.isEmpty)

                // A binary newer than its database: not ready until migrated.
                let newer = await HealthCheck(client: client, knownMigrations: Set(applied + [9_999]), timeout: Self.patience, logger: logger).report()
                #expect(!newer.ready && newer.database)
                #expect(newer.problems.count == 1 && newer.problems[0].contains("9999"))

                let connection = try await LeaderLock.connect(try TestPostgres.app(url), logger: logger)
                #expect(try await LeaderLock(duty: .dispatch, holder: "host-a/7").tryAcquire(on: connection, logger: logger))
                let led = await HealthCheck(client: client, knownMigrations: nil, timeout: Self.patience, logger: logger).report()
                #expect(led.ready && led.leaders == ["dispatch": "host-a/7"])
                #expect(led.leaderless.count == 1 && led.leaderless[0].contains("maintenance"))
                try await connection.close()
            }
        }
    }

    @Test func anUnreachableDatabaseIsAProblemNotAHang() async throws {
        // A port nothing listens on: the report comes back at once, not ready.
        try await TestPostgres.withClient(try DatabaseURL("postgres://nobody:x@127.0.0.1:1/none?sslmode=disable")) { client in
            let report = await HealthCheck(client: client, knownMigrations: nil, timeout: .seconds(2), logger: logger).report()
            #expect(!report.ready && !report.database)
            #expect(report.problems.count == 1 && report.problems[0].contains("DATABASE_URL"))
        }
    }

    @Test func signalsReachAListenerAndTooLongOnesAreRefused() async throws {
        try await TestPostgres.withDatabase { _, url in
            try await TestPostgres.withClient(try TestPostgres.app(url)) { client in
                let signals = ProcessSignals(client: client, logger: logger)
                let (heard, heardContinuation) = AsyncStream.makeStream(of: String.self)
                let (listening, listeningContinuation) = AsyncStream.makeStream(of: Void.self)
                let listener = Task {
                    try await signals.listen([.wake, .live], started: { listeningContinuation.yield() }) { channel, payload in
                        heardContinuation.yield("\(channel.rawValue):\(payload)")
                    }
                }
                var started = listening.makeAsyncIterator()
                _ = await started.next()
                try await signals.send(.wake, "round")
                try await signals.send(.live, "{\"kind\":\"位置\"}")
                var iterator = heard.makeAsyncIterator()
                #expect(await iterator.next() == "fleet_wake:round")
                #expect(await iterator.next() == "fleet_live:{\"kind\":\"位置\"}")
                // 7,900 bytes is the limit, counted in UTF-8 (each 位 is three).
                try await signals.send(.live, String(repeating: "a", count: ProcessSignals.payloadLimit))
                #expect(await iterator.next()?.utf8.count == "fleet_live:".utf8.count + ProcessSignals.payloadLimit)
                await #expect(throws: ProcessSignals.PayloadTooLong.self) {
                    try await signals.send(.live, String(repeating: "位", count: ProcessSignals.payloadLimit / 3 + 1))
                }
                listener.cancel()
            }
        }
    }
}
