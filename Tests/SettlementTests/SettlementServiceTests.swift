import Billing
import Dispatching
import Domain
import DomainTestSupport
import Foundation
import PostgresNIO
import PostgresTestSupport
import Settlement
import Store
import Synchronization
import Testing

/// Billing's service on a real PostgreSQL database: sheets drawn up from recorded trips, each
/// step of a sheet's life audited with it and published, and a confirmed sheet said as an event
/// (dispatch settles the booking; billing never moves bookings itself).
@Suite struct SettlementServiceTests {
    let logger = TestPostgres.logger

    /// A recorded trip per crew given, yesterday from 09:00, one hour apart, for a new agency.
    func recordTrips(_ client: PostgresClient, crews: Int = 1) async throws -> (agencyID: Int64, trips: [Int64]) {
        let agencyID = try await Accounts(client: client, logger: logger).createAgency(name: "市机关事务管理局")
        let yesterday = CivilDate(daysSince1970: CivilDate(chinaDayOf: Date().epochSeconds).daysSince1970 - 1)
        var trips: [Int64] = []
        for (n, crew) in try await TestFleet.fleet(client).prefix(crews).enumerated() {
            trips.append(
                try await SampleTrips.record(
                    client: client, logger: logger, agencyID: agencyID, crew: (crew.vehicleID, crew.driverID, crew.terminal), from: TestFleet.pickup,
                    to: Place(latitude: 29.8640, longitude: 121.5960, address: "宁波东站"),
                    pickup: Date(timeIntervalSince1970: TimeInterval(yesterday.chinaMidnight + Int64(9 + n) * 3600)), contact: "李主任",
                    completion: Completion(tollsFen: 0, parkingFen: 0, receipts: [])
                ))
        }
        return (agencyID, trips)
    }

    func service(_ client: PostgresClient, _ url: DatabaseURL, events: ServiceEvents = ServiceEvents(), feed: LiveFeed = LiveFeed()) -> SettlementService {
        SettlementService(
            client: client, positions: PositionQueries(client: client, database: url, logger: logger), feed: feed, events: events, clock: SystemClock(),
            calendar: ZonesAndCalendar(zones: .ningbo, calendar: .china), logger: logger)
    }

    /// A trip that cannot be priced (no tariff for its class) is said once, holds up no newer
    /// trip, and gets its sheet once the tariffs change.
    @Test func aTripThatCannotBePricedHoldsUpNoOther() async throws {
        try await TestPostgres.withDatabase { client, url in
            let settlement = service(client, url)
            let (_, trips) = try await recordTrips(client, crews: 2)
            // The older trip asked for a van; only the sedan's tariff is set.
            try await client.query("UPDATE bookings SET vehicle_class = 'van' WHERE id = \(trips[0])", logger: logger)
            _ = try await settlement.set(try #require(TariffBook.standard.tariffs.first { $0.vehicleClass == .sedan }), by: nil)
            // One booking a sweep: the van's trip fails, then the sedan's is not held up by it.
            #expect(try await settlement.drawUpSheets(limit: 1).isEmpty)
            let second = try await settlement.drawUpSheets(limit: 1)
            #expect(try await Settlements(client: client, logger: logger).sheets(bookingIDs: [trips[1]]).count == 1 && second.count == 1)
            #expect(try await settlement.drawUpSheets(limit: 1).isEmpty)
            // The van's tariff set: the trip is priced at the next sweep.
            _ = try await settlement.set(try #require(TariffBook.standard.tariffs.first { $0.vehicleClass == .van }), by: nil)
            #expect(try await settlement.drawUpSheets(limit: 1).count == 1)
            #expect(try await Settlements(client: client, logger: logger).sheets(bookingIDs: [trips[0]]).count == 1)
        }
    }

    /// Issued, disputed, resolved with a correction, signed: each step audited in its own
    /// transaction and on the agency's feed; the signature said as `sheetConfirmed`; a step the
    /// state does not allow refused by the lifecycle, with nothing written.
    @Test func aSheetsLifeIsAuditedPublishedAndSaidOnceSigned() async throws {
        try await TestPostgres.withDatabase { client, url in
            let events = ServiceEvents(), feed = LiveFeed()
            let said = Mutex<[ServiceEvent]>([])
            events.on { event in said.withLock { $0.append(event) } }
            let settlement = service(client, url, events: events, feed: feed)
            let (agencyID, trips) = try await recordTrips(client)
            let stream = feed.subscribe()

            let id = try #require(try await settlement.drawUpSheets().first)
            let contact = Actor(userID: nil, name: "李主任"), dispatcher = Actor(userID: nil, name: "dispatcher")
            #expect(try await settlement.sheet(id).state == .issued)
            await #expect(throws: NoSuchRecord.self) { try await settlement.sheet(id, of: agencyID + 1) }

            let disputed = try await settlement.dispute(
                id, reason: "停车费不对", actor: contact, audit: AuditLine(userID: nil, action: "settlement-dispute", resource: "settlement:\(id)"))
            #expect(disputed.state == .disputed)
            await #expect(throws: SettlementSheet.StateConflict.self) { try await settlement.confirm(id, signedBy: "李主任", actor: contact) }
            let correction = SheetLine(
                kind: .adjustment, detail: "courtesy", amountFen: -500, evidence: "", adjusting: true, reason: "late by 5 minutes",
                addedAt: ChinaTime(Date().epochSeconds), by: "dispatcher")
            let resolved = try await settlement.resolve(id, note: "checked", adjustments: [correction], actor: dispatcher, audit: nil)
            #expect(resolved.state == .issued && resolved.totalFen == disputed.totalFen - 500)
            // A correction that would take the total past what billing adds up is a conflict, not a trap.
            let huge = SheetLine(
                kind: .adjustment, detail: "x", amountFen: BillingLimits.sheetTotalFen, evidence: "", adjusting: true, reason: "x",
                addedAt: ChinaTime(Date().epochSeconds), by: "dispatcher")
            await #expect(throws: Conflict.self) { try await settlement.adjust(id, line: huge, actor: dispatcher, audit: nil) }

            let signed = try await settlement.confirm(id, signedBy: "李主任", actor: contact)
            #expect(signed.state == .confirmed && signed.history.map(\.kind) == ["issued", "disputed", "resolved", "confirmed"])
            #expect(said.withLock { $0 } == [.sheetConfirmed(bookingID: trips[0])])
            let trail = try await Accounts(client: client, logger: logger).auditTrail()
            #expect(trail.filter { $0.action == "settlement-dispute" }.map(\.resource) == ["settlement:\(id)"])

            // The agency's feed saw every state, in order.
            var states: [String] = []
            for await event in stream {
                if event.kind == .settlement, event.agencyID == agencyID,
                    let state = (try? JSONSerialization.jsonObject(with: Data(event.json.utf8))) as? [String: Any]
                {
                    states.append(state["state"] as? String ?? "")
                }
                if states.count == 4 { break }
            }
            #expect(states == ["issued", "disputed", "issued", "confirmed"])
        }
    }
}
