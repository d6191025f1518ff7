import Logging
import PostgresNIO

/// What a process says of itself to a load balancer (`GET /health/ready`): ready when the
/// database answers and every migration it knows is applied. Whether each duty has a leader is
/// told too, but does not make the process unready: a leader lost for the seconds a takeover
/// takes must not take every gateway and API process out of HAProxy at once; monitoring
/// alerts on `leaderless` instead.
public struct HealthReport: Sendable, Codable, Hashable {
    public var ready: Bool
    public var database: Bool
    /// Migrations applied of those this process knows (its `Sql/`).
    public var migrationsApplied: Int?
    public var migrationsKnown: Int?
    /// Each duty's leader (host/pid), of those known.
    public var leaders: [String: String]
    /// What stands in the way, in words an operator acts on; empty when ready.
    public var problems: [String]
    /// The duties no process leads now, with what to do about it.
    public var leaderless: [String]
}

public struct HealthCheck: Sendable {
    let client: PostgresClient
    /// The versions this process's `Sql/` holds; nil: whatever the database has.
    let knownMigrations: Set<Int>?
    /// How long the database may take to answer before it counts as unreachable.
    let timeout: Duration
    let logger: Logger

    public init(client: PostgresClient, knownMigrations: Set<Int>?, timeout: Duration = .seconds(2), logger: Logger) {
        (self.client, self.knownMigrations, self.timeout, self.logger) = (client, knownMigrations, timeout, logger)
    }

    public func report() async -> HealthReport {
        var report = HealthReport(ready: false, database: false, leaders: [:], problems: [], leaderless: [])
        do {
            let (applied, leaders) = try await withTimeout {
                (Set(try await Migrator(client: client, logger: logger).appliedVersions()), try await LeaderLock.leaders(client: client, logger: logger))
            }
            report.database = true
            report.migrationsApplied = applied.count
            report.migrationsKnown = knownMigrations?.count
            if let knownMigrations, !knownMigrations.isSubset(of: applied) {
                let missing = knownMigrations.subtracting(applied).sorted().map(String.init).joined(separator: ", ")
                report.problems.append("migrations \(missing) not applied yet: a process starting migrates; see its log")
            }
            report.leaders = Dictionary(uniqueKeysWithValues: leaders.map { ($0.key.rawValue, $0.value) })
            for duty in Duty.allCases where leaders[duty] == nil {
                report.leaderless.append("no \(duty.rawValue) leader: start a fleetd with --roles \(duty.rawValue) (one takes over within seconds)")
            }
        } catch {
            report.problems.append("database unreachable or too slow (\(String(describing: error))): check DATABASE_URL and PostgreSQL")
        }
        report.ready = report.problems.isEmpty
        return report
    }

    struct TimedOut: Error, CustomStringConvertible {
        let after: Duration
        var description: String { "no answer in \(after)" }
    }

    private func withTimeout<R: Sendable>(_ body: @escaping @Sendable () async throws -> R) async throws -> R {
        try await withThrowingTaskGroup(of: R?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else { throw TimedOut(after: timeout) }
            return result
        }
    }
}
