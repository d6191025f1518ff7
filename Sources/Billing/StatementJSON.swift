import Domain

/// The statement as JSON, written straight into bytes: the same bytes as `JSONEncoder` with
/// sorted keys and unescaped slashes gives for `Statement` (a test holds the two together),
/// several times faster, for a month of thousands of trips.
public enum StatementJSON {
    public static func render(_ s: Statement) -> [UInt8] {
        var w = JSONWriter()
        w.bytes.reserveCapacity(s.sheets.count * 2_200 + 1_024)
        w.beginObject()
        w.key("agency"); w.beginObject(); w.field("id", s.agency.id); w.field("name", s.agency.name)
        w.field("requiresApproval", s.agency.requiresApproval); w.endObject()
        w.field("from", s.from.description)
        w.field("invoicedFen", s.invoicedFen)
        w.key("lateAdjustments"); w.beginArray()
        for late in s.lateAdjustments {
            w.beginObject(); w.field("bookingID", late.bookingID); w.key("line"); write(late.line, &w); w.field("sheetID", late.sheetID); w.endObject()
        }
        w.endArray()
        w.key("sheets"); w.beginArray()
        for sheet in s.sheets { write(sheet, &w) }
        w.endArray()
        w.field("through", s.through.description)
        w.field("totalFen", s.totalFen)
        w.key("totals"); w.beginArray()
        for total in s.totals { w.beginObject(); w.field("amountFen", total.amountFen); w.field("kind", total.kind.rawValue); w.endObject() }
        w.endArray()
        w.field("trips", s.trips)
        w.endObject()
        return w.bytes
    }

    static func write(_ sheet: SettlementSheet, _ w: inout JSONWriter) {
        w.beginObject()
        if let at = sheet.confirmedAt { w.field("confirmedAt", at.description) }
        if let by = sheet.confirmedBy { w.field("confirmedBy", by) }
        w.key("facts"); write(sheet.facts, &w)
        w.key("flags"); w.beginArray()
        for flag in sheet.flags {
            w.beginObject(); w.field("field", flag.field); w.field("reported", flag.reported); w.field("system", flag.system); w.endObject()
        }
        w.endArray()
        w.key("history"); w.beginArray()
        for event in sheet.history {
            w.beginObject(); w.field("at", event.at.description); w.field("by", event.by); w.field("kind", event.kind); w.field("note", event.note);
            w.endObject()
        }
        w.endArray()
        w.field("id", sheet.id)
        if let invoice = sheet.invoice {
            w.key("invoice"); w.beginObject(); w.field("issuedAt", invoice.issuedAt.description); w.field("number", invoice.number); w.endObject()
        }
        if let due = sheet.invoiceDue { w.field("invoiceDue", due.description) }
        w.field("issuedAt", sheet.issuedAt.description)
        w.key("lines"); w.beginArray()
        for line in sheet.lines { write(line, &w) }
        w.endArray()
        w.field("state", sheet.state.rawValue)
        w.field("totalFen", sheet.totalFen)
        w.endObject()
    }

    static func write(_ f: TripFacts, _ w: inout JSONWriter) {
        w.beginObject()
        w.field("agencyID", f.agencyID)
        w.field("bookingID", f.bookingID)
        if let c = f.cancellation {
            w.key("cancellation"); w.beginObject(); w.field("at", c.at.description); w.field("crewOnSite", c.crewOnSite); w.endObject()
        }
        w.field("destinationAddress", f.destinationAddress)
        w.field("distanceSource", f.distanceSource)
        w.field("drivers", f.drivers)
        w.field("metres", f.metres)
        w.field("parkingFen", f.parkingFen)
        w.field("pickupAddress", f.pickupAddress)
        w.field("pickupTime", f.pickupTime.description)
        w.field("plates", f.plates)
        w.field("receipts", f.receipts)
        if let m = f.reportedMetres { w.field("reportedMetres", m) }
        if let s = f.reportedSeconds { w.field("reportedSeconds", s) }
        w.field("tollsFen", f.tollsFen)
        w.field("transfer", f.transfer)
        w.field("vehicleClass", f.vehicleClass.rawValue)
        w.key("window"); w.beginObject(); w.key("segments"); w.beginArray()
        for s in f.window.segments {
            w.beginObject(); w.field("end", s.end.description); w.field("start", s.start.description); w.field("vehicleID", s.vehicleID); w.endObject()
        }
        w.endArray(); w.endObject()
        w.endObject()
    }

    static func write(_ line: SheetLine, _ w: inout JSONWriter) {
        w.beginObject()
        w.field("addedAt", line.addedAt.description)
        w.field("adjusting", line.adjusting)
        w.field("amountFen", line.amountFen)
        w.field("by", line.by)
        w.field("detail", line.detail)
        w.field("evidence", line.evidence)
        w.field("kind", line.kind.rawValue)
        if let reason = line.reason { w.field("reason", reason) }
        w.endObject()
    }
}

/// Compact JSON into bytes; the caller writes an object's keys in sorted order.
struct JSONWriter {
    var bytes: [UInt8] = []
    /// Per open container: whether it has an element yet (a comma goes before the next).
    var started: [Bool] = []
    /// A key was just written: its value follows without a comma.
    var afterKey = false

    mutating func beginValue() {
        if afterKey {
            afterKey = false
        } else if let last = started.last {
            if last { bytes.append(UInt8(ascii: ",")) }
            started[started.count - 1] = true
        }
    }

    mutating func beginObject() { open(UInt8(ascii: "{")) }
    mutating func endObject() { close(UInt8(ascii: "}")) }
    mutating func beginArray() { open(UInt8(ascii: "[")) }
    mutating func endArray() { close(UInt8(ascii: "]")) }

    mutating func open(_ bracket: UInt8) {
        beginValue()
        bytes.append(bracket)
        started.append(false)
    }

    mutating func close(_ bracket: UInt8) {
        started.removeLast()
        bytes.append(bracket)
    }

    mutating func key(_ name: StaticString) {
        beginValue()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        afterKey = true
    }

    mutating func field(_ name: StaticString, _ value: String) { key(name); string(value) }
    mutating func field(_ name: StaticString, _ value: some BinaryInteger) { key(name); beginValue(); bytes.append(contentsOf: "\(value)".utf8) }
    mutating func field(_ name: StaticString, _ value: Bool) { key(name); beginValue(); bytes.append(contentsOf: (value ? "true" : "false").utf8) }
    mutating func field(_ name: StaticString, _ values: [String]) {
        key(name)
        beginArray()
        for value in values { string(value) }
        endArray()
    }

    static let hex = Array("0123456789abcdef".utf8)

    /// A string, escaped as JSONEncoder escapes it: quote, backslash and control characters.
    mutating func string(_ value: String) {
        beginValue()
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), byte])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0..<0x20: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), 0x30, 0x30, Self.hex[Int(byte >> 4)], Self.hex[Int(byte & 0xF)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
