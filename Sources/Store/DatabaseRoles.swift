import Crypto
import Domain
import Foundation
import Logging
import PostgresNIO

/// The two roles fleetd connects as (Sql/0015_records.sql): the owner of the schema
/// (`DATABASE_URL`), which migrates and maintains it, and `fleet_app`, which runs every other
/// query and can neither change nor remove the audit trail and the settlement lines.
///
/// The app role's connection is `FLEET_APP_DATABASE_URL` when the operator gives one (its
/// password is then the operator's business); otherwise the owner's URL as `fleet_app`, with a
/// password derived from the owner's, which fleetd sets at start. Derived, not random: servers
/// sharing a database (a rolling restart) agree on it without storing it anywhere.
public struct DatabaseRoles: Sendable {
    public static let appRole = "fleet_app"

    public let owner: DatabaseURL
    public let app: DatabaseURL
    /// Whether the app role's password is fleetd's to set.
    let derived: Bool

    public init(owner: DatabaseURL, app: DatabaseURL? = nil) throws {
        self.owner = owner
        if let app {
            self.app = app
            derived = false
            return
        }
        guard let password = owner.password, !password.isEmpty else {
            throw MigrationError(
                description: "DATABASE_URL has no password to derive the fleet_app role's from: set FLEET_APP_DATABASE_URL (README, the database's roles)"
            )
        }
        var url = owner
        url.user = Self.appRole
        url.password = Self.appPassword(ownerPassword: password)
        self.app = url
        derived = true
    }

    /// HMAC-SHA-256 of the role's name under the owner's password, in hex: only the owner's
    /// password tells it, and it changes with it.
    static func appPassword(ownerPassword: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data(appRole.utf8), using: SymmetricKey(data: Data(ownerPassword.utf8)))
        return code.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// After the migrations, as the owner (`client`): the app role logs in with its derived
    /// password. Set only when a login with it fails, so that servers starting together do not
    /// rewrite the role at once.
    public func enableAppLogin(owner client: PostgresClient, logger: Logger) async throws {
        guard derived, try await !appCanLogIn(logger: logger) else { return }
        do {
            try await client.transaction(logger: logger) { connection in
                // Bound, not spliced into the statement: ALTER ROLE takes no parameters, so the
                // password reaches it through a setting local to this transaction.
                try await connection.query("SELECT set_config('fleet.app_password', \(app.password), true)", logger: logger)
                try await connection.query(
                    """
                    DO $$ BEGIN EXECUTE format('ALTER ROLE fleet_app WITH LOGIN PASSWORD %L', current_setting('fleet.app_password')); END $$
                    """, logger: logger)
            }
        } catch {
            // Another server may have set it a moment ago.
            guard try await appCanLogIn(logger: logger) else {
                throw MigrationError(
                    description: """
                        the fleet_app role's password could not be set as \(owner.user) (\(String(describing: error))): \
                        give that role CREATEROLE, or set FLEET_APP_DATABASE_URL (README, the database's roles)
                        """)
            }
        }
        logger.info("the fleet_app role logs in with its password derived from the owner's")
    }

    /// Whether a connection as the app role is let in; false when refused for its login.
    private func appCanLogIn(logger: Logger) async throws -> Bool {
        do {
            let connection = try await PostgresConnection.connect(configuration: try app.connectionConfiguration(), id: 0, logger: logger)
            try await connection.close()
            return true
        } catch let error as PSQLError where error.serverInfo?[.sqlState]?.hasPrefix("28") == true {
            // 28P01: wrong password; 28000: the role may not log in (yet).
            return false
        }
    }
}
