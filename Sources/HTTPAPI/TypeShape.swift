import Domain
import Foundation

/// What a `Decodable` type reads, found by decoding it from nothing: the keys it asks for, which
/// of them it may go without, and what each holds (an enumeration's cases from the Swift enum).
/// The OpenAPI document's schemas are checked against it, so a property the type reads cannot be
/// missing from the document, and an enumeration cannot drift from its Swift cases.
indirect enum TypeShape: Equatable, CustomStringConvertible {
    case object([String: Property])
    case array(TypeShape)
    /// An object whose every value is one shape (a dictionary).
    case map(TypeShape)
    case string
    case integer
    case number
    case boolean
    case dateTime
    case date
    case oneOf([String])

    struct Property: Equatable {
        var shape: TypeShape
        var optional: Bool
    }

    /// The shape of `type`, or the type in it that this reflection cannot read. It is read twice,
    /// once with every optional key present and once with each absent, so that a key read only
    /// when another is absent (one of two ways to say a thing) is found, as optional.
    static func reading<T: Decodable>(_ type: T.Type) -> Result<TypeShape, ShapeReader.Unknown> {
        do {
            let present = try ShapeReader.value(of: type, absent: false).1
            guard let absent = try? ShapeReader.value(of: type, absent: true).1 else { return .success(present) }
            return .success(present.merged(with: absent))
        } catch let unknown as ShapeReader.Unknown { return .failure(unknown) } catch { return .failure(.init(type: "\(type)")) }
    }

    /// Both readings in one: a key only one of them read is optional.
    func merged(with other: TypeShape) -> TypeShape {
        switch (self, other) {
        case (.object(let mine), .object(let theirs)):
            var merged: [String: Property] = [:]
            for key in Set(mine.keys).union(theirs.keys) {
                switch (mine[key], theirs[key]) {
                case (let a?, let b?): merged[key] = Property(shape: a.shape.merged(with: b.shape), optional: a.optional || b.optional)
                case (let one?, nil), (nil, let one?): merged[key] = Property(shape: one.shape, optional: true)
                case (nil, nil): break
                }
            }
            return .object(merged)
        case (.array(let a), .array(let b)): return .array(a.merged(with: b))
        case (.map(let a), .map(let b)): return .map(a.merged(with: b))
        default: return self
        }
    }

    var description: String {
        switch self {
        case .object(let properties):
            "{" + properties.sorted { $0.key < $1.key }.map { "\($0.key)\($0.value.optional ? "?" : ""): \($0.value.shape)" }.joined(separator: ", ") + "}"
        case .array(let items): "[\(items)]"
        case .map(let values): "{*: \(values)}"
        case .string: "string"
        case .integer: "integer"
        case .number: "number"
        case .boolean: "boolean"
        case .dateTime: "date-time"
        case .date: "date"
        case .oneOf(let cases): cases.joined(separator: "|")
        }
    }
}

/// An enumeration's cases as their raw texts, and one of them.
private func cases<E: CaseIterable & RawRepresentable>(of _: E.Type) -> (first: Any, names: [String])? {
    let names = E.allCases.compactMap { $0.rawValue as? String }
    guard let first = E.allCases.first, names.count == E.allCases.count else { return nil }
    return (first, names)
}

/// A dictionary of a shape, read by key.
private protocol MapOfValues {
    static func valueShape(absent: Bool) throws -> TypeShape
    static var empty: Any { get }
}

extension Dictionary: MapOfValues where Value: Decodable {
    static func valueShape(absent: Bool) throws -> TypeShape { try ShapeReader.value(of: Value.self, absent: absent).1 }
    static var empty: Any { [Key: Value]() }
}

/// Leaf types that decode from a single text with a format of their own.
private protocol FormattedText {
    static var shape: TypeShape { get }
    static var sample: Any { get }
}

extension CivilDate: FormattedText {
    static var shape: TypeShape { .date }
    static var sample: Any { CivilDate(daysSince1970: 0) }
}

extension Date: FormattedText {
    static var shape: TypeShape { .dateTime }
    static var sample: Any { Date(timeIntervalSince1970: 0) }
}

/// Decodes a type from nothing, noting what it asks for.
enum ShapeReader {

    /// A type the reflection cannot read, named for the check's message.
    struct Unknown: Error { var type = "" }

    /// A value of `type` and its shape.
    static func value<T: Decodable>(of type: T.Type, absent: Bool) throws -> (T, TypeShape) {
        if let formatted = type as? any FormattedText.Type { return (formatted.sample as! T, formatted.shape) }
        if let enumeration = type as? any (CaseIterable & RawRepresentable).Type, let found = cases(of: enumeration) {
            return (found.first as! T, .oneOf(found.names))
        }
        if let map = type as? any MapOfValues.Type { return (map.empty as! T, .map(try map.valueShape(absent: absent))) }
        switch type {
        case is String.Type: return ("" as! T, .string)
        case is Bool.Type: return (false as! T, .boolean)
        case is Double.Type: return (0.0 as! T, .number)
        case is Int.Type: return (0 as! T, .integer)
        case is Int64.Type: return (Int64(0) as! T, .integer)
        case is Int32.Type: return (Int32(0) as! T, .integer)
        default:
            let decoder = ShapeDecoder(absent: absent)
            do {
                let value = try T(from: decoder)
                guard let shape = decoder.shape else { throw Unknown() }
                return (value, shape)
            } catch let unknown as Unknown where unknown.type.isEmpty {
                throw Unknown(type: "\(T.self)")
            }
        }
    }
}

/// The decoder a type reads itself from: keyed (an object), unkeyed (an array, one element read)
/// or a single value it never asks for here (primitives are answered above).
private final class ShapeDecoder: Decoder {
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]
    var shape: TypeShape?
    /// Keys the type asked whether they are null: the ones it may go without.
    var optional: Set<String> = []
    /// Whether such keys are answered absent (null) in this reading.
    let absent: Bool

    init(absent: Bool) { self.absent = absent }

    func container<Key: CodingKey>(keyedBy _: Key.Type) throws -> KeyedDecodingContainer<Key> {
        let container = ShapeKeyedContainer<Key>(self)
        shape = .object([:])
        return KeyedDecodingContainer(container)
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { ShapeUnkeyedContainer(self) }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { throw ShapeReader.Unknown() }

    func note(_ key: String, _ shape: TypeShape, optional: Bool) {
        guard case .object(var properties) = self.shape else { return }
        properties[key] = .init(shape: shape, optional: optional || self.optional.contains(key))
        self.shape = .object(properties)
    }
}

private struct ShapeKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: ShapeDecoder
    init(_ decoder: ShapeDecoder) { self.decoder = decoder }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var allKeys: [Key] { [] }
    func contains(_: Key) -> Bool { true }
    /// `decodeIfPresent` asks this first, for every type.
    func decodeNil(forKey key: Key) throws -> Bool {
        decoder.optional.insert(key.stringValue)
        return decoder.absent
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let (value, shape) = try ShapeReader.value(of: type, absent: decoder.absent)
        decoder.note(key.stringValue, shape, optional: false)
        return value
    }

    // Dictionaries with string keys decode through their own keyed container: not reflected here.
    func nestedContainer<NestedKey: CodingKey>(keyedBy _: NestedKey.Type, forKey _: Key) throws -> KeyedDecodingContainer<NestedKey> {
        throw ShapeReader.Unknown()
    }
    func nestedUnkeyedContainer(forKey _: Key) throws -> any UnkeyedDecodingContainer { throw ShapeReader.Unknown() }
    func superDecoder() throws -> any Decoder { throw ShapeReader.Unknown() }
    func superDecoder(forKey _: Key) throws -> any Decoder { throw ShapeReader.Unknown() }
}

/// An array's container: one element read for its shape, then at its end.
private struct ShapeUnkeyedContainer: UnkeyedDecodingContainer {
    let decoder: ShapeDecoder
    var currentIndex = 0
    init(_ decoder: ShapeDecoder) { self.decoder = decoder }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { 1 }
    var isAtEnd: Bool { currentIndex > 0 }
    mutating func decodeNil() throws -> Bool { false }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (value, shape) = try ShapeReader.value(of: type, absent: decoder.absent)
        decoder.shape = .array(shape)
        currentIndex += 1
        return value
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy _: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> { throw ShapeReader.Unknown() }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { throw ShapeReader.Unknown() }
    mutating func superDecoder() throws -> any Decoder { throw ShapeReader.Unknown() }
}
