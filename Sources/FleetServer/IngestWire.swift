import Domain
import Store

/// What ingest made durable, as the notifications that carry it from a gateway to the dispatch
/// leader in another process: each under PostgreSQL's payload limit, in text (a notification's
/// payload is text). Only what the watch reads travels: a position's extras and battery stay in
/// the database.
///
/// `p` then positions, `e` then events, one record after another, separated by `;`, fields by
/// `,`; `m` alone: records were stored that never came this way (read back).
enum IngestWire {
    static let missed = "m"

    /// The positions in as few payloads as fit.
    static func payloads(_ positions: [PositionRecord], limit: Int = ProcessSignals.payloadLimit) -> [String] {
        chunks(
            "p",
            positions.map { p in
                "\(p.terminalID),\(p.gnssTime),\(p.latitudeE6),\(p.longitudeE6),\(p.altitude),\(p.speed),\(p.course),\(p.alarm),\(p.status),"
                    + "\(p.mileage.map(String.init) ?? ""),\(p.backfill ? 1 : 0)"
            }, limit: limit)
    }

    /// The events in as few payloads as fit.
    static func payloads(_ events: [VehicleEvent], limit: Int = ProcessSignals.payloadLimit) -> [String] {
        // Alarm kinds are `AlarmKind` names: letters and digits, never a separator.
        chunks(
            "e",
            events.map { e in
                "\(e.terminalID),\(e.kind),\(e.occurredAt),\(e.latitudeE6),\(e.longitudeE6),\(e.speed),\(e.cleared ? 1 : 0),\(e.reportSerial.map(String.init) ?? "")"
            }, limit: limit)
    }

    private static func chunks(_ tag: String, _ records: [String], limit: Int) -> [String] {
        var payloads: [String] = [], current = tag
        for record in records {
            if current.utf8.count + 1 + record.utf8.count > limit, current != tag {
                payloads.append(current)
                current = tag
            }
            current += (current == tag ? "" : ";") + record
        }
        if current != tag { payloads.append(current) }
        return payloads
    }

    /// A payload read back: what it carries, or `.missed` for anything it cannot be (a
    /// notification cut or of another version reads back rather than being lost).
    static func delivery(_ payload: String) -> IngestFeed.Delivery {
        guard let tag = payload.first else { return .missed }
        let records = payload.dropFirst().split(separator: ";").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        switch tag {
        case "p":
            let positions = records.compactMap(position)
            return positions.count == records.count && !positions.isEmpty ? .positions(positions) : .missed
        case "e":
            let events = records.compactMap(event)
            return events.count == records.count && !events.isEmpty ? .events(events) : .missed
        default: return .missed
        }
    }

    private static func position(_ f: [Substring]) -> PositionRecord? {
        guard f.count == 11, let terminal = Int32(f[0]), let time = Int64(f[1]), let latitude = Int32(f[2]), let longitude = Int32(f[3]),
            let altitude = Int16(f[4]), let speed = UInt16(f[5]), let course = UInt16(f[6]), let alarm = UInt32(f[7]), let status = UInt32(f[8]),
            f[9].isEmpty || UInt32(f[9]) != nil, f[10] == "0" || f[10] == "1"
        else { return nil }
        return PositionRecord(
            terminalID: terminal, gnssTime: time, latitudeE6: latitude, longitudeE6: longitude, altitude: altitude, speed: speed, course: course,
            alarm: alarm, status: status, mileage: UInt32(f[9]), backfill: f[10] == "1")
    }

    private static func event(_ f: [Substring]) -> VehicleEvent? {
        guard f.count == 8, let terminal = Int32(f[0]), !f[1].isEmpty, let time = Int64(f[2]), let latitude = Int32(f[3]), let longitude = Int32(f[4]),
            let speed = UInt16(f[5]), f[6] == "0" || f[6] == "1", f[7].isEmpty || UInt16(f[7]) != nil
        else { return nil }
        return VehicleEvent(
            terminalID: terminal, kind: String(f[1]), occurredAt: time, latitudeE6: latitude, longitudeE6: longitude, speed: speed, cleared: f[6] == "1",
            reportSerial: UInt16(f[7]))
    }
}
