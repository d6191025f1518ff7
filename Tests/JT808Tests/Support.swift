import Foundation
import JT808

/// The repository's DeviceProfiles folder.
let profiles: DeviceProfileCatalog = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let folder = root.appendingPathComponent("DeviceProfiles")
    let files = try! FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil).filter { $0.pathExtension == "json" }
    return try! DeviceProfileCatalog(files: files.map { (path: $0.path, json: try! Data(contentsOf: $0)) })
}()

func bytes(_ hex: String) -> [UInt8] { DecodeSession.bytes(hex: hex)! }

/// Decodes a wire frame with the strict default decoder.
func decodeWire(_ wire: [UInt8], _ decoder: FrameDecoder = FrameDecoder()) throws -> DecodedFrame {
    try Framing.unescape(wire: wire).withFrame { f throws(JT808Error) in try decoder.decode(f) }
}

/// The error a throwing call produced, typed.
func codecError(_ body: () throws -> Void) -> JT808Error? {
    do {
        try body()
        return nil
    } catch let error as JT808Error {
        return error
    } catch {
        return nil
    }
}

extension ExtraValue {
    subscript(_ name: String) -> ExtraValue? {
        if case .fields(let fields) = self { return fields.first { $0.name == name }?.value }
        return nil
    }
    var number: (Int64, Int)? { if case .number(let n, let d) = self { return (n, d) } else { return nil } }
    var text: String? { if case .text(let s) = self { return s } else { return nil } }
}
