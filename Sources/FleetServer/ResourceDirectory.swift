import Domain
import Foundation
import JT808

/// The project's data folders (Sql/, DeviceProfiles/) wherever fleetd runs from.
public enum ResourceDirectory {
    /// `./name` (running from the checkout), else `share/fleet/name` beside the installed
    /// binary; nil when neither exists. A folder configured instead is FleetConfiguration's.
    public static func find(_ name: String) -> URL? {
        // The running binary itself: argv[0] is only a name when fleetd was found through PATH.
        let executable = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
            .resolvingSymlinksInPath()
        let candidates = [
            URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(name),
            executable.deletingLastPathComponent().appendingPathComponent("../share/fleet").appendingPathComponent(name).standardized,
        ]
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// Every `*.json` of `directory`, in name order, as device profiles.
    public static func deviceProfileCatalog(at directory: URL) throws -> DeviceProfileCatalog {
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        return try DeviceProfileCatalog(files: files.map { (path: $0.path, json: try Data(contentsOf: $0)) })
    }
}
