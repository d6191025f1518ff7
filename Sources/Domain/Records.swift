import Foundation

/// The record an id, a plate or a foreign key names does not exist.
public struct NoSuchRecord: Error, Hashable {
    public init() {}
}

/// A unique value (a plate, a VIN, a licence number, a username) is already taken.
public struct DuplicateRecord: Error, Hashable {
    public init() {}
}

/// One line of the audit trail (`audit_log`, append-only: Sql/0015_records.sql).
public struct AuditLine: Sendable, Hashable {
    public var userID: Int64?
    public var action: String
    public var resource: String
    /// A JSON object, or nil.
    public var detail: String?

    public init(userID: Int64?, action: String, resource: String, detail: String? = nil) {
        self.userID = userID
        self.action = action
        self.resource = resource
        self.detail = detail
    }

    /// With `detail` as a JSON object of strings (none when empty).
    public init(userID: Int64?, action: String, resource: String, fields: [String: String]) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding strings to strings cannot fail.
        let json = fields.isEmpty ? nil : (try? encoder.encode(fields)).map { String(decoding: $0, as: UTF8.self) }
        self.init(userID: userID, action: action, resource: resource, detail: json)
    }
}

/// The audit line of a write, named once the write's outcome is known (the id it created, or
/// whether it found its row); nil writes none.
public typealias Audit<Outcome> = @Sendable (Outcome) -> AuditLine?
