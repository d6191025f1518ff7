import Foundation

/// The record an id, a plate or a foreign key names does not exist; `what` names it for the
/// person who asked (empty where the caller knows better).
public struct NoSuchRecord: Error, Hashable {
    public var what: String
    public init(_ what: String = "") { self.what = what }
}

/// A unique value (a plate, a VIN, a licence number, a username) is already taken.
public struct DuplicateRecord: Error, Hashable {
    public init() {}
}

/// Why a service will not do what it was asked with these values: the field at fault and what
/// it must be. The API answers 400 naming the field.
public struct Refused: Error, Sendable, Hashable {
    public var field: String
    public var expected: String
    public init(field: String, expected: String) { (self.field, self.expected) = (field, expected) }
}

/// The request is valid but clashes with what is on file (another vehicle has this VIN, the
/// sheet was already signed): the API answers 409.
public struct Conflict: Error, Sendable, Hashable {
    public var detail: String
    /// The field whose value clashes, when one does.
    public var field: String?
    public init(_ detail: String, field: String? = nil) { (self.detail, self.field) = (detail, field) }
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

/// An agency's complaint: contacted within 12 hours, its result within 3 working days.
public struct Complaint: Sendable, Hashable, Codable {
    public var id: Int64
    public var agencyID: Int64
    public var bookingID: Int64?
    public var receivedAt: Date
    public var text: String
    public var contactedAt: Date?
    public var resolvedAt: Date?
    public var result: String?
    /// Judged at resolution: whether the complaint held, and the trip's driver it counts against.
    public var substantiated: Bool?
    public var driverID: Int64?

    public init(
        id: Int64, agencyID: Int64, bookingID: Int64?, receivedAt: Date, text: String, contactedAt: Date?, resolvedAt: Date?, result: String?,
        substantiated: Bool? = nil, driverID: Int64? = nil
    ) {
        self.id = id
        self.agencyID = agencyID
        self.bookingID = bookingID
        self.receivedAt = receivedAt
        self.text = text
        self.contactedAt = contactedAt
        self.resolvedAt = resolvedAt
        self.result = result
        self.substantiated = substantiated
        self.driverID = driverID
    }
}

/// The assessor's entry for an item counted per incident: a count (negative corrects) and the reason.
public struct AssessmentEntry: Sendable, Hashable, Codable {
    public var id: Int64
    public var itemID: String
    public var count: Int
    public var reason: String
    public var enteredAt: Date

    public init(id: Int64, itemID: String, count: Int, reason: String, enteredAt: Date) {
        self.id = id
        self.itemID = itemID
        self.count = count
        self.reason = reason
        self.enteredAt = enteredAt
    }
}
