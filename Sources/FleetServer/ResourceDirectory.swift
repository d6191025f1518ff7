import Domain
import Foundation
import JT808

/// The project's data folders (Sql/, DeviceProfiles/) wherever fleetd runs from.
public enum ResourceDirectory {
    /// `$variable`, else `./name` (running from the checkout), else `share/fleet/name` beside
    /// the installed binary; nil when none exists.
    public static func find(_ name: String, environment variable: String) -> URL? {
        var candidates: [URL] = []
        if let path = ProcessInfo.processInfo.environment[variable], !path.isEmpty { candidates.append(URL(fileURLWithPath: path)) }
        candidates.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(name))
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        candidates.append(executable.deletingLastPathComponent().appendingPathComponent("../share/fleet").appendingPathComponent(name).standardized)
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) }
    }

    public static var sql: URL? { find("Sql", environment: "FLEET_SQL_DIR") }
    public static var deviceProfiles: URL? { find("DeviceProfiles", environment: "FLEET_DEVICE_PROFILES") }

    /// Every `*.json` of `directory`, in name order, as device profiles.
    public static func deviceProfileCatalog(at directory: URL) throws -> DeviceProfileCatalog {
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        return try DeviceProfileCatalog(files: files.map { (path: $0.path, json: try Data(contentsOf: $0)) })
    }
}
