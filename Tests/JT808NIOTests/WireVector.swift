import Foundation
import JT808

/// A vector of the shared anchors (Tests/JT808Tests/Vectors/anchors.json, read where it is: the
/// repository keeps one copy), as far as the frame layer needs it.
struct WireVector: Decodable {
    let id: String
    let msgId: String
    let hex: String
    let frames: [String]?
    /// "wire" (escaped, as on TCP) or "unescaped" (after traccar's frame decoder).
    let form: String
    let checksumValid: Bool?
    let expect: Expectations

    struct Expectations: Decodable {
        let serial: Int?
    }

    /// Every vector in wire form: the bytes of its frames.
    static let all: [WireVector] = {
        struct File: Decodable { let vectors: [WireVector] }
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../JT808Tests/Vectors/anchors.json").standardized
        return try! JSONDecoder().decode(File.self, from: Data(contentsOf: url)).vectors.filter { $0.form == "wire" }
    }()

    var wireFrames: [[UInt8]] { (frames ?? [hex]).map { DecodeSession.bytes(hex: $0)! } }
}
