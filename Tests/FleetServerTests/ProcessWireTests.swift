import Domain
import Foundation
import Store
import Testing

@testable import FleetServer

/// What crosses from one fleetd process to another in a notification's payload (issue 19):
/// every field at its extremes comes back as it went, every payload fits PostgreSQL's limit,
/// and anything else reads back as "missed" (the records are read from the database), never as
/// wrong records and never as a trap.
@Suite struct ProcessWireTests {
    static let extremes = [
        PositionRecord(
            terminalID: .max, gnssTime: .max, latitudeE6: .max, longitudeE6: .min, altitude: .min, speed: .max, course: .max, alarm: .max, status: .max,
            mileage: .max, backfill: true),
        PositionRecord(
            terminalID: .min, gnssTime: .min, latitudeE6: .min, longitudeE6: .max, altitude: .max, speed: 0, course: 0, alarm: 0, status: 0, mileage: nil,
            backfill: false),
    ]

    @Test func positionsAndEventsComeBackAsTheyWent() {
        let positions = IngestWire.payloads(Self.extremes)
        #expect(positions.count == 1)
        #expect(positions.map(IngestWire.delivery) == [.positions(Self.extremes)])
        let events = [
            VehicleEvent(
                terminalID: .max, kind: "collisionWarning", occurredAt: .min, latitudeE6: .min, longitudeE6: .max, speed: .max, cleared: true,
                reportSerial: .max),
            VehicleEvent(
                terminalID: 7, kind: "emergency", occurredAt: 1_700_000_000, latitudeE6: 29_868_300, longitudeE6: 121_544_000, speed: 0, cleared: false,
                reportSerial: nil),
        ]
        #expect(IngestWire.payloads(events).map(IngestWire.delivery) == [.events(events)])
    }

    @Test func aLongBatchIsCutToFitInOrder() {
        let batch = (0..<2_000).map { (i: Int) -> PositionRecord in
            let time: Int64 = 1_700_000_000 + Int64(i)
            return PositionRecord(
                terminalID: Int32(i), gnssTime: time, latitudeE6: 29_868_300, longitudeE6: 121_544_000, altitude: 12, speed: 600, course: 90, alarm: 0,
                status: 3, mileage: UInt32(i), backfill: i.isMultiple(of: 2))
        }
        let payloads = IngestWire.payloads(batch)
        #expect(payloads.count > 1)
        #expect(payloads.allSatisfy { $0.utf8.count <= ProcessSignals.payloadLimit })
        let back = payloads.flatMap { payload -> [PositionRecord] in
            guard case .positions(let records) = IngestWire.delivery(payload) else { return [] }
            return records
        }
        #expect(back == batch)
        #expect(IngestWire.payloads([PositionRecord]()).isEmpty)
    }

    @Test func anythingElseReadsBackAsMissed() {
        let good = IngestWire.payloads(Self.extremes)[0]
        let bad = [
            "", "m", "x1,2", "p", "e", "p;", String(good.dropLast()) + "2",  // backfill neither 0 nor 1
            good.replacingOccurrences(of: "\(Int32.max)", with: "2147483648"),  // one past a field's range
            good + ";1,2,3", "p" + String(repeating: "9", count: 10_000), "e1,,0,0,0,0,0,", "e1,k,0,0,0,70000,0,",
        ]
        for payload in bad { #expect(IngestWire.delivery(payload) == .missed, "\(payload.prefix(80))") }
    }

    @Test func liveEventsCrossAsTheyWentAndOthersAreDropped() {
        let event = FeedEvent(kind: .booking, agencyID: .max, json: #"{"plate":"浙B80817D","note":"<script>"}"#)
        let payload = LiveWire.payload(event)
        #expect(LiveWire.event(payload) == event)
        #expect(LiveWire.event(#"{"kind":"nonsense","json":"{}"}"#) == nil)
        #expect(LiveWire.event("not json") == nil)
    }
}

/// A word on `fleet_wake` carries its sender: the process that said it acted on it then and
/// skips it when it comes back; the others hear it, and a word without a sender is heard too.
@Suite struct WakeWordTests {
    @Test func aProcessSkipsItsOwnWordsAndHearsTheOthers() {
        #expect(ProcessBridge.word(of: ProcessBridge.said(ProcessBridge.roundDue)) == nil)
        #expect(ProcessBridge.word(of: ProcessBridge.said(ProcessBridge.zonesChanged)) == nil)
        #expect(ProcessBridge.word(of: "round otherhost/\(ProcessInfo.processInfo.processIdentifier)") == "round")
        #expect(ProcessBridge.word(of: "zones \(FleetServer.processName)0") == "zones")
        #expect(ProcessBridge.word(of: "round") == "round")
    }
}
