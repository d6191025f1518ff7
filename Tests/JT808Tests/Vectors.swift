import Foundation
import JT808
import Testing

/// A JSON value, for the anchors' free-form `expect` objects.
enum JSONValue: Decodable, Sendable, Equatable {
    case bool(Bool), int(Int), double(Double), string(String), array([JSONValue]), object([String: JSONValue]), null

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let v = try? c.decode(Bool.self) {
            self = .bool(v)
        } else if let v = try? c.decode(Int.self) {
            self = .int(v)
        } else if let v = try? c.decode(Double.self) {
            self = .double(v)
        } else if let v = try? c.decode(String.self) {
            self = .string(v)
        } else if let v = try? c.decode([JSONValue].self) {
            self = .array(v)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    subscript(key: String) -> JSONValue? { if case .object(let o) = self { return o[key] } else { return nil } }
    var int: Int? { if case .int(let v) = self { return v } else { return nil } }
    var string: String? { if case .string(let v) = self { return v } else { return nil } }
    var array: [JSONValue]? { if case .array(let v) = self { return v } else { return nil } }
}

/// One vector of Vectors/anchors.json.
struct Vector: Decodable, Sendable, CustomTestStringConvertible {
    let id: String
    let msgId: String
    let hex: String
    let frames: [String]?
    /// "wire" (escaped, as on TCP) or "unescaped" (after traccar's frame decoder).
    let form: String
    let version: String
    let checksumValid: Bool?
    /// What the anchor's own test asserts.
    let expect: JSONValue
    /// Computed by the vectors' validator, not asserted by the anchor.
    let derived: JSONValue?

    var testDescription: String { id }

    static let all: [Vector] = {
        struct File: Decodable { let vectors: [Vector] }
        let url = Bundle.module.url(forResource: "anchors", withExtension: "json", subdirectory: "Vectors")!
        return try! JSONDecoder().decode(File.self, from: Data(contentsOf: url)).vectors
    }()

    static func named(_ id: String) -> Vector { all.first { $0.id == id }! }

    var bytes: [UInt8] { DecodeSession.bytes(hex: hex)! }
    var allFrames: [String] { frames ?? [hex] }

    /// The frame as the codec's frame layer hands it on.
    func unescaped(_ hex: String? = nil) throws -> UnescapedFrame.Owned {
        let bytes = DecodeSession.bytes(hex: hex ?? self.hex)!
        return form == "unescaped" ? UnescapedFrame.Owned(unescapedWithDelimiters: bytes) : try Framing.unescape(wire: bytes)
    }

    /// Decoded with the strict default, or with a decoder that accepts bad check codes when the
    /// vector's own anchor only parsed it that way.
    func decode(_ decoder: FrameDecoder = FrameDecoder(), frame hex: String? = nil) throws -> DecodedFrame {
        var decoder = decoder
        if checksumValid == false { decoder.acceptsBadChecksum = true }
        return try unescaped(hex).withFrame { f throws(JT808Error) in try decoder.decode(f) }
    }

    func int(_ key: String) -> Int? { expect[key]?.int }
    func string(_ key: String) -> String? { expect[key]?.string }
}

extension DecodedFrame {
    var location: LocationReport? {
        switch message {
        case .location(let l): return l
        case .locationReply(let r): return r.location
        default: return nil
        }
    }
}

/// Decoded frames of one vector fed through the splitter as one stream.
func split(_ bytes: [UInt8], chunks: [Int]? = nil) -> [Result<UnescapedFrame.Owned, JT808Error>] {
    var splitter = FrameSplitter()
    var out: [Result<UnescapedFrame.Owned, JT808Error>] = []
    let sizes = chunks ?? [bytes.count]
    var start = 0
    for size in sizes where start < bytes.count {
        let end = min(bytes.count, start + size)
        bytes[start..<end].withUnsafeBytes { chunk in
            splitter.feed(chunk) { event in
                switch event {
                case .frame(let f): out.append(.success(f.owned()))
                case .error(let e): out.append(.failure(e))
                }
            }
        }
        start = end
    }
    return out
}
