import Foundation

/// The device profiles of a folder (`DeviceProfiles/*.json`), by name.
public struct DeviceProfileCatalog: Sendable {
    public let profiles: [String: DeviceProfile]

    public init(profiles: [DeviceProfile]) {
        self.profiles = Dictionary(profiles.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Loads every `*.json` of `directory`; a file that does not parse is an error naming it.
    public init(directory: URL) throws {
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        var loaded: [DeviceProfile] = []
        for file in files {
            do {
                loaded.append(try JSONDecoder().decode(DeviceProfile.self, from: Data(contentsOf: file)))
            } catch {
                throw ProfileError(file: file.path, reason: String(describing: error))
            }
        }
        self.init(profiles: loaded)
    }

    public subscript(name: String) -> DeviceProfile? { profiles[name] }

    public struct ProfileError: Error, CustomStringConvertible {
        public var file: String
        public var reason: String
        public var description: String { "device profile \(file) is not valid: \(reason)" }
    }
}
