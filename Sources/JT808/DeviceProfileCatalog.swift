import Foundation

/// The device profiles of a folder (`DeviceProfiles/*.json`), by name.
public struct DeviceProfileCatalog: Sendable {
    public let profiles: [String: DeviceProfile]

    public init(profiles: [DeviceProfile]) {
        self.profiles = Dictionary(profiles.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Parses each file's JSON (the caller reads the folder: the codec does no I/O); a file that
    /// does not parse is an error naming it.
    public init(files: [(path: String, json: Data)]) throws(ProfileError) {
        var loaded: [DeviceProfile] = []
        for file in files {
            do {
                loaded.append(try JSONDecoder().decode(DeviceProfile.self, from: file.json))
            } catch {
                throw ProfileError(file: file.path, reason: String(describing: error))
            }
        }
        self.init(profiles: loaded)
    }

    public subscript(name: String) -> DeviceProfile? { profiles[name] }

    public struct ProfileError: Error, CustomStringConvertible {
        public init(file: String, reason: String) { (self.file, self.reason) = (file, reason) }
        public var file: String
        public var reason: String
        public var description: String { "device profile \(file) is not valid: \(reason)" }
    }
}
