import Domain
import Foundation

/// What a JSON value may be, read from the OpenAPI document's shorthand. The same value writes
/// the document's schema and checks what a client sends (bodies, query and path parameters)
/// before any handler runs, so the document cannot accept what the server refuses, and no
/// number reaches the domain outside the bounds a real fleet needs.
///
/// Shorthand: `string`, `string(200)` (at most 200 characters), `string(1...200)`, `integer(a...b)`,
/// `number(a...b)`, `boolean`, `date-time`, `date`, `object` (anything), `a|b|c` (one of),
/// `[T]` (an array), `{T}` (an object whose every value is a T), a schema's name, or one of the
/// aliases below; a trailing `?` makes a property optional.
indirect enum FieldType: Equatable, Sendable {
    case string(length: ClosedRange<Int>, pattern: String?)
    /// `nil`: unbounded (what the server sends; a request's integers always have bounds).
    case integer(ClosedRange<Int64>?)
    case number(ClosedRange<Double>)
    case boolean
    case dateTime
    case date
    case oneOf([String])
    case anyObject
    case array(FieldType, count: ClosedRange<Int>)
    /// An object of named values: its names one of `keys` when given.
    case map(FieldType, keys: [String]?, maxEntries: Int)
    case reference(String)

    /// Bounds a real fleet needs, by what a number counts.
    static let aliases: [String: FieldType] = [
        // Ids are positive and exact in a JavaScript number.
        "id": .integer(1...9_007_199_254_740_991),
        // A fare line or an adjustment: within 10^8 yuan either way.
        "fen": .integer(-10_000_000_000...10_000_000_000),
        "price": .integer(0...10_000_000_000),
        "metres": .integer(0...10_000_000),
        "seconds": .integer(0...10_000_000),
        "count": .integer(0...1_000_000),
        "percent": .integer(0...100),
        "basisPoints": .integer(0...10_000),
        "latitude": .number(-90...90),
        "longitude": .number(-180...180),
        "name": .string(length: 1...200, pattern: nil),
        "text": .string(length: 1...2000, pattern: nil),
        // 5 to 20 digits as people write them: a leading +, single spaces or dashes between.
        "phone": .string(length: 5...40, pattern: #"^\+?[0-9]([ -]?[0-9]){4,19}$"#),
        // EmailAddress.isPlausible's address: printable ASCII without delimiters, one @, a dotted domain.
        "email": .string(length: 5...254, pattern: #"^[!#-'*+\-./0-9=?A-Z^-~]+@[!#-'*+\-/0-9=?A-Z^-~]+(\.[!#-'*+\-/0-9=?A-Z^-~]+)+$"#),
        // Within the calendar's years, 1900 to 2199.
        "month": .string(length: 7...7, pattern: #"^(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])$"#),
    ]

    static let defaultMaxItems = 1000
    /// PostgreSQL's text cannot hold NUL: a request's text never carries one.
    static let noNUL = #"^[^\u0000]*$"#
    /// The calendar's days run from 1900 to 2199.
    static let calendarYears = #"^(19|20|21)[0-9]{2}-"#

    init(_ shorthand: String) {
        let type = shorthand.hasSuffix("?") ? String(shorthand.dropLast()) : shorthand
        if type.hasPrefix("["), let close = type.lastIndex(of: "]") {
            // `[T]`, or `[T](a...b)` with the number of items.
            let items = FieldType(String(type[type.index(after: type.startIndex)..<close]))
            let bounds = type[type.index(after: close)...].dropFirst().dropLast().components(separatedBy: "...")
            self = .array(items, count: bounds.count == 2 ? Int(bounds[0])!...Int(bounds[1])! : 0...Self.defaultMaxItems)
        } else if type.hasPrefix("{") {
            // `{T}`, or `{a|b: T}` with the names it may have.
            let inner = type.dropFirst().dropLast().components(separatedBy: ": ")
            let keys = inner.count == 2 ? inner[0].components(separatedBy: "|") : nil
            self = .map(FieldType(inner[inner.count - 1]), keys: keys, maxEntries: keys?.count ?? Self.defaultMaxItems)
        } else if let alias = Self.aliases[type] {
            self = alias
        } else if let open = type.firstIndex(of: "("), type.hasSuffix(")") {
            let bounds = type[type.index(after: open)..<type.index(before: type.endIndex)]
            let parts = bounds.components(separatedBy: "...")
            switch type[..<open] {
            case "string" where parts.count == 1: self = .string(length: 0...Int(parts[0])!, pattern: nil)
            case "string": self = .string(length: Int(parts[0])!...Int(parts[1])!, pattern: nil)
            case "integer": self = .integer(Int64(parts[0])!...Int64(parts[1])!)
            case "number": self = .number(Double(parts[0])!...Double(parts[1])!)
            default: preconditionFailure("no bounded type \(type) in the shorthand")
            }
        } else {
            switch type {
            // Unbounded: what the server writes; a request's texts always have a length.
            case "string": self = .string(length: 0...Int.max, pattern: nil)
            case "integer": self = .integer(nil)
            case "number": self = .number(-Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude)
            case "boolean": self = .boolean
            case "object": self = .anyObject
            case "date-time": self = .dateTime
            case "date": self = .date
            case _ where type.contains("|"): self = .oneOf(type.split(separator: "|").map(String.init))
            default: self = .reference(type)
            }
        }
    }

    /// The shorthand of one of a type's cases, e.g. `sedan|suv|van`.
    static func oneOf<Case: CaseIterable & RawRepresentable>(_: Case.Type) -> String where Case.RawValue == String {
        Case.allCases.map(\.rawValue).joined(separator: "|")
    }

    /// The shorthand of a list of 1 to `maxItems` of a type's cases, e.g. `[confirmed|matched](1...20)`.
    static func list<Case: CaseIterable & RawRepresentable>(of type: Case.Type, maxItems: Int) -> String where Case.RawValue == String {
        "[" + oneOf(type) + "](1...\(maxItems))"
    }

    /// The JSON schema of this type.
    var jsonSchema: [String: Any] {
        switch self {
        case .string(let length, let pattern):
            var schema: [String: Any] = ["type": "string"]
            guard length.upperBound < Int.max else { return schema }
            schema["maxLength"] = length.upperBound
            if length.lowerBound > 0 { schema["minLength"] = length.lowerBound }
            schema["pattern"] = pattern ?? Self.noNUL
            return schema
        case .integer(let range):
            guard let range else { return ["type": "integer"] }
            return ["type": "integer", "minimum": range.lowerBound, "maximum": range.upperBound]
        case .number(let range):
            if range.upperBound == .greatestFiniteMagnitude { return ["type": "number"] }
            return ["type": "number", "minimum": range.lowerBound, "maximum": range.upperBound]
        case .boolean: return ["type": "boolean"]
        case .dateTime: return ["type": "string", "format": "date-time"]
        case .date: return ["type": "string", "format": "date", "pattern": Self.calendarYears]
        case .oneOf(let values): return ["type": "string", "enum": values]
        case .anyObject: return ["type": "object"]
        case .array(let items, let count):
            var schema: [String: Any] = ["type": "array", "items": items.jsonSchema, "maxItems": count.upperBound]
            if count.lowerBound > 0 { schema["minItems"] = count.lowerBound }
            return schema
        case .map(let values, let keys, let maxEntries):
            var schema: [String: Any] = ["type": "object", "additionalProperties": values.jsonSchema, "maxProperties": maxEntries]
            if let keys { schema["propertyNames"] = ["enum": keys] }
            return schema
        case .reference(let name): return ["$ref": "#/components/schemas/\(name)"]
        }
    }

    /// Whether a request may carry this type: every number and every text in it bounded.
    func isBounded(in schemas: [String: [String: String]], seen: Set<String> = []) -> Bool {
        switch self {
        case .integer(let range): return range != nil
        case .number(let range): return range.upperBound < .greatestFiniteMagnitude
        case .anyObject: return false
        case .array(let items, _): return items.isBounded(in: schemas, seen: seen)
        case .map(let values, _, _): return values.isBounded(in: schemas, seen: seen)
        case .reference(let name):
            guard !seen.contains(name), let properties = schemas[name] else { return seen.contains(name) }
            return properties.values.allSatisfy { FieldType($0).isBounded(in: schemas, seen: seen.union([name])) }
        case .string(let length, _): return length.upperBound < Int.max
        case .boolean, .dateTime, .date, .oneOf: return true
        }
    }
}

/// A value that is not what its field's type allows: which field, and what it must be.
struct FieldError: Error, Equatable {
    var field: String
    var expected: String
}

extension FieldType {
    /// A schema's properties as the checks read them: parsed once, in name order.
    typealias Properties = [(name: String, type: FieldType, optional: Bool)]

    /// The properties of each schema in `shorthand`'s notation.
    static func parse(_ shorthand: [String: [String: String]]) -> [String: Properties] {
        shorthand.mapValues { properties in properties.sorted { $0.key < $1.key }.map { ($0.key, FieldType($0.value), $0.value.hasSuffix("?")) } }
    }

    /// Checks `value` against this type; `schemas` resolves references.
    func check(_ value: JSONValue, at field: String, in schemas: [String: Properties]) throws {
        func fail(_ expected: String) -> FieldError { FieldError(field: field, expected: expected) }
        switch (self, value) {
        case (.string(let length, let pattern), .string(let text)):
            // JSON Schema counts code points, as Swift's unicodeScalars do.
            let count = text.unicodeScalars.count
            guard length.contains(count) else { throw fail("\(length.lowerBound) to \(length.upperBound) characters") }
            guard length.upperBound == Int.max || !text.unicodeScalars.contains("\0") else { throw fail("text without NUL characters") }
            if let pattern, text.range(of: pattern, options: .regularExpression) == nil { throw fail("text matching \(pattern)") }
        case (.integer(let range), .integer(let n)):
            if let range, !range.contains(n) { throw fail("an integer from \(range.lowerBound) to \(range.upperBound)") }
        case (.integer(let range), .number):
            throw fail(range.map { "an integer from \($0.lowerBound) to \($0.upperBound)" } ?? "an integer")
        case (.number(let range), .integer(let n)):
            guard range.contains(Double(n)) else { throw fail("a number from \(range.lowerBound) to \(range.upperBound)") }
        case (.number(let range), .number(let x)):
            guard x.isFinite, range.contains(x) else { throw fail("a number from \(range.lowerBound) to \(range.upperBound)") }
        case (.boolean, .bool): break
        case (.dateTime, .string(let text)):
            guard RFC3339.date(text) != nil else { throw fail("a time as RFC 3339 with its offset, e.g. 2026-11-22T08:00:00+08:00") }
        case (.date, .string(let text)):
            guard RFC3339.isFullDate(text), text.range(of: Self.calendarYears, options: .regularExpression) != nil else {
                throw fail("a day as YYYY-MM-DD, 1900 to 2199")
            }
        case (.oneOf(let values), .string(let text)):
            guard values.contains(text) else { throw fail("one of \(values.joined(separator: ", "))") }
        case (.anyObject, .object): break
        case (.array(let items, let count), .array(let elements)):
            guard count.contains(elements.count) else { throw fail("\(count.lowerBound) to \(count.upperBound) items") }
            for (index, element) in elements.enumerated() { try items.check(element, at: Self.join(field, "\(index)"), in: schemas) }
        case (.map(let values, let keys, let maxEntries), .object(let members)):
            guard members.count <= maxEntries else { throw fail("at most \(maxEntries) entries") }
            for (key, member) in members.sorted(by: { $0.key < $1.key }) {
                if let keys, !keys.contains(key) { throw FieldError(field: Self.join(field, key), expected: "named one of \(keys.joined(separator: ", "))") }
                try values.check(member, at: Self.join(field, key), in: schemas)
            }
        case (.reference(let name), _):
            guard let properties = schemas[name] else { preconditionFailure("no schema \(name)") }
            guard case .object(let members) = value else { throw fail("an object") }
            for property in properties {
                let path = Self.join(field, property.name)
                guard let member = members[property.name] else {
                    if property.optional { continue }
                    throw FieldError(field: path, expected: "present (it is required)")
                }
                try property.type.check(member, at: path, in: schemas)
            }
        default:
            throw fail(description)
        }
    }

    /// What a value of this type is, for an error.
    var description: String {
        switch self {
        case .string: "text"
        case .integer: "an integer"
        case .number: "a number"
        case .boolean: "true or false"
        case .dateTime: "a time as RFC 3339"
        case .date: "a day as YYYY-MM-DD"
        case .oneOf(let values): "one of \(values.joined(separator: ", "))"
        case .anyObject, .map, .reference: "an object"
        case .array: "an array"
        }
    }

    static func join(_ path: String, _ member: String) -> String { path.isEmpty ? member : path + "." + member }
}

/// A parsed JSON value, as the checks see it: integers apart from other numbers, as JSON
/// Schema tells them apart.
enum JSONValue: Decodable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }
}

/// Times and days as RFC 3339 writes them (what JSON Schema's `date-time` and `date` mean):
/// fractions of a second allowed, the offset required.
enum RFC3339 {
    static func date(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }

    static func isFullDate(_ text: String) -> Bool { CivilDate(text) != nil }
}
