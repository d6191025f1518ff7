import Foundation
import Logging

/// Log lines as JSON objects, one a line on standard error (`FLEET_LOG_FORMAT=json`), for a
/// collector (journald's export, Loki, Elasticsearch) to read without parsing prose: time (UTC,
/// milliseconds), level, label, message, the metadata as strings, and where in the source.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { $1 } }
        if let given = event.metadata { fields.merge(given) { $1 } }
        let line = Self.line(
            time: Date(), level: event.level, label: label, message: event.message.description, metadata: fields, source: event.source,
            file: event.file, line: event.line)
        // One write per line: lines of concurrent tasks never interleave.
        FileHandle.standardError.write(Data(line.utf8))
    }

    static func line(
        time: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata, source: String, file: String, line: UInt
    ) -> String {
        var object: [String: String] = [
            "time": time.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted)),
            "level": level.rawValue, "label": label, "message": message, "source": source,
            "file": (file as NSString).lastPathComponent + ":\(line)",
        ]
        for (key, value) in metadata where object[key] == nil { object[key] = value.description }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
