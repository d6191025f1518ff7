import ArgumentParser
import FleetServer
import Foundation
import JT808
import Logging

@main
struct Fleetd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleetd",
        abstract: "Fleet: an electric official-trip car fleet, from GNSS terminals to monthly statements.",
        subcommands: [Serve.self, Demo.self, Migrate.self, Decode.self]
    )
}

/// Where the database is: shared by the commands that need one.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "PostgreSQL URL (postgres://user:pass@host:port/db?sslmode=...). Default: $DATABASE_URL, else a private cluster in --data-dir.")
    var databaseURL: String?

    @Option(help: "Folder for the private PostgreSQL cluster and other state. Default: $FLEET_DATA_DIR or .fleet")
    var dataDir: String?

    var fleetConfiguration: FleetConfiguration { .fromEnvironment(databaseURL: databaseURL, dataDirectory: dataDir) }
}

func makeLogger() -> Logger {
    var logger = Logger(label: "fleetd")
    logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .info
    return logger
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the fleet server until SIGTERM or SIGINT.")
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        try await FleetServer.run(database.fleetConfiguration, logger: makeLogger())
    }
}

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server on its own private database, with nothing to configure.")
    @Option(help: "Folder for the demo's private database. Default: .fleet")
    var dataDir: String?

    func run() async throws {
        // The demo never touches a configured database: it always runs its own.
        var configuration = FleetConfiguration.fromEnvironment(databaseURL: nil, dataDirectory: dataDir)
        configuration.databaseURL = nil
        try await FleetServer.run(configuration, logger: makeLogger())
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply the Sql/ migrations that are missing, each once, in order.")
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        try await FleetServer.migrateOnly(database.fleetConfiguration, logger: makeLogger())
    }
}

struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode JT/T 808 frames given in hex into one JSON object per line.",
        discussion: "Frames starting with 7e are taken as sent on the wire (escaped); without delimiters, as unescaped content. Exits 1 if any frame failed."
    )

    @Option(help: "One frame in hex (spaces ignored).")
    var hex: String?

    @Option(help: "A file with one hex frame per line ('-' for standard input).")
    var file: String?

    @Option(help: "Device profile name (a file in DeviceProfiles/ without .json).")
    var profile: String?

    @Option(help: "Device profiles folder. Default: $FLEET_DEVICE_PROFILES, ./DeviceProfiles, or the installed share/fleet/DeviceProfiles.")
    var profiles: String?

    func validate() throws {
        guard (hex == nil) != (file == nil) else { throw ValidationError("give exactly one of --hex or --file") }
    }

    func run() throws {
        var deviceProfile: DeviceProfile?
        if let name = profile {
            guard let dir = profiles.map({ URL(fileURLWithPath: $0) }) ?? ResourceDirectory.deviceProfiles else {
                throw ValidationError("no DeviceProfiles folder found; pass --profiles DIR")
            }
            let catalog = try DeviceProfileCatalog(directory: dir)
            guard let found = catalog[name] else {
                throw ValidationError("no profile named \(name) in \(dir.path); known: \(catalog.profiles.keys.sorted().joined(separator: ", "))")
            }
            deviceProfile = found
        }
        var lines: [String] = []
        if let hex { lines = [hex] }
        if let file {
            let text = file == "-"
                ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                : try String(contentsOfFile: file, encoding: .utf8)
            lines = text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty && !$0.hasPrefix("#") }
        }
        var session = DecodeSession(profile: deviceProfile)
        var failed = false
        for line in lines {
            let result = session.decode(hex: line)
            print(result.json)
            failed = failed || !result.ok
        }
        if failed { throw ExitCode(1) }
    }
}
