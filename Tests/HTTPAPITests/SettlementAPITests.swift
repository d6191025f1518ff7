import Dispatching
import Domain
import DomainTestSupport
import Foundation
import HTTPTypes
import PostgresNIO
import PostgresTestSupport
import Settlement
import Store
import Testing

@testable import HTTPAPI

/// A trip's settlement through real HTTP on a real database: the sheet drawn up from the
/// recorded trip and its track, flagged, disputed, resolved, signed, corrected, invoiced; the
/// statement in its three formats, the same bytes each time, for its own agency only.
@Suite struct SettlementAPITests {
    typealias API = FleetAPITests

    /// A booking made as a city transfer is priced by the transfer package: the standard
    /// sedan's 150.00 for 2 h / 30 km, less 12.5 % (18.75): the 10-minute, 5 km trip fits in it.
    @Test func aTransferIsPricedPerTrip() async throws {
        try await API.withAPI { base, accounts, client, api in
            let logger = TestPostgres.logger
            let crew = try #require(try await TestFleet.fleet(client).first)
            let agencyID = try #require(try await accounts.agencies().first?.id)
            let yesterday = CivilDate(daysSince1970: CivilDate(chinaDayOf: Date().epochSeconds).daysSince1970 - 1)
            let trip = try await SampleTrips.record(
                client: client, logger: logger, agencyID: agencyID, crew: (crew.vehicleID, crew.driverID, crew.terminal), from: TestFleet.pickup,
                to: Place(latitude: 29.8640, longitude: 121.5960, address: "宁波东站"),
                pickup: Date(timeIntervalSince1970: TimeInterval(yesterday.chinaMidnight + 9 * 3600)),
                contact: "李主任", completion: Completion(tollsFen: 0, parkingFen: 0, receipts: [])
            )
            try await client.query("UPDATE bookings SET transfer = true WHERE id = \(trip)", logger: logger)
            #expect(try await Bookings(client: client, logger: logger).booking(id: trip)?.request.transfer == true)
            let id = try #require(try await api.settlement.drawUpSheets().first)
            let sheet = try await API.call(base, "GET", "/api/v1/settlements/\(id)", token: try await API.signIn(base, "agency"))
            let lines = try #require(sheet.json["lines"] as? [[String: Any]], "\(sheet.json)")
            #expect(lines.map { $0["kind"] as? String } == ["package", "discount"])
            #expect(lines.map { $0["amountFen"] as? Int } == [15_000, -1_875])
            #expect(sheet.json["totalFen"] as? Int == 13_125 && (sheet.json["facts"] as? [String: Any])?["transfer"] as? Bool == true)
        }
    }

    @Test func aTripsSheetFromDrawingUpToStatement() async throws {
        // The test's clock: now, until the invoice is 10 days late.
        let clock = ManualClock(Date())
        try await API.withAPI(clock: clock) { base, accounts, client, api in
            let logger = TestPostgres.logger
            let crews = try await TestFleet.fleet(client)
            let agencyID = try #require(try await accounts.agencies().first?.id)
            let otherAgency = try await accounts.createAgency(name: "市教育局")
            _ = try await accounts.createUser(username: "other", passwordHash: await PasswordHash.hash("correct horse"), role: "agency", agencyID: otherAgency)
            let (agency, other, dispatcher) = (
                try await API.signIn(base, "agency"), try await API.signIn(base, "other"), try await API.signIn(base, "dispatcher")
            )

            // Yesterday 10:00, 天一广场 to 宁波东站 (about 5 km, 10 minutes at 30 km/h), with its
            // track; the driver noted 30 km, which the odometer does not bear out.
            let yesterday = CivilDate(daysSince1970: CivilDate(chinaDayOf: Date().epochSeconds).daysSince1970 - 1)
            let pickup = Date(timeIntervalSince1970: TimeInterval(yesterday.chinaMidnight + 10 * 3600))
            let bookingID = try await SampleTrips.record(
                client: client, logger: logger, agencyID: agencyID, crew: (crews[0].vehicleID, crews[0].driverID, crews[0].terminal),
                from: TestFleet.pickup, to: Place(latitude: 29.8640, longitude: 121.5960, address: "宁波东站"), pickup: pickup, contact: "李主任",
                completion: Completion(tollsFen: 1_500, parkingFen: 800, receipts: ["ETC-0001", "P-77"], reportedMetres: 30_000)
            )
            let issued = try await api.settlement.drawUpSheets()
            #expect(issued.count == 1)
            #expect(try await api.settlement.drawUpSheets().isEmpty, "a trip has one sheet")
            let id = try #require(issued.first)

            // The sheet: a half day (standard sedan 350.00), 12.5% off, tolls and parking at cost:
            // 35000 - 4375 + 1500 + 800 = 32925; the distance from the odometer; the driver's 30 km flagged.
            let sheet = try await API.call(base, "GET", "/api/v1/settlements/\(id)", token: agency)
            #expect(sheet.status == 200 && sheet.json["totalFen"] as? Int == 32_925 && sheet.json["state"] as? String == "review", "\(sheet.json)")
            let facts = try #require(sheet.json["facts"] as? [String: Any])
            let metres = try #require(facts["metres"] as? Int)
            #expect(facts["distanceSource"] as? String == "odometer" && (4_500...5_500).contains(metres), "\(facts)")
            #expect((sheet.json["flags"] as? [[String: Any]])?.first?["field"] as? String == "metres")
            let evidence = (sheet.json["lines"] as? [[String: Any]])?.compactMap { $0["evidence"] as? String } ?? []
            #expect(evidence.contains { $0.contains("by odometer of 浙B00000D") } && evidence.contains { $0.contains("ETC-0001, P-77") }, "\(evidence)")

            // Another agency sees nothing of it, on every route that names it: 404 where an
            // agency may call the route, 403 where it may not.
            for route in api.endpoints where route.path.hasPrefix("/api/v1/settlements/{id}") {
                let path = route.path.replacingOccurrences(of: "{id}", with: "\(id)")
                let refused = try await API.call(
                    base, route.method.rawValue, path, token: other, body: route.body != nil ? #"{"signedBy": "x", "reason": "x"}"# : nil)
                #expect(refused.status == (route.roles.contains(.agency) ? 404 : 403), "\(route.method) \(route.path) by another agency: \(refused.status)")
            }
            #expect(try await API.call(base, "GET", "/api/v1/settlements/\(id)", token: other).status == 404)
            #expect(try await API.call(base, "POST", "/api/v1/settlements/\(id)/confirm", token: other, body: #"{"signedBy": "x"}"#).status == 404)
            #expect(try await API.call(base, "GET", "/api/v1/settlements", token: other).array.isEmpty)
            #expect(try await API.call(base, "GET", "/api/v1/settlements", token: agency).array.count == 1)

            // Flagged: not signable until a dispatcher looks; the agency cannot resolve it.
            let early = try await API.call(base, "POST", "/api/v1/settlements/\(id)/confirm", token: agency, body: #"{"signedBy": "李主任"}"#)
            #expect(early.status == 409 && (early.json["detail"] as? String)?.contains("review") == true, "\(early.json)")
            #expect(try await API.call(base, "POST", "/api/v1/settlements/\(id)/resolve", token: agency, body: #"{"note": "fine"}"#).status == 403)
            #expect(
                try await API.call(base, "POST", "/api/v1/settlements/\(id)/resolve", token: dispatcher, body: #"{"note": "the odometer is right: 5 km"}"#)
                    .status == 200)

            // The agency disputes the parking; the dispatcher corrects it by an adjusting line.
            let noReason = try await API.call(base, "POST", "/api/v1/settlements/\(id)/dispute", token: agency, body: #"{"reason": ""}"#)
            #expect(noReason.status == 400 && noReason.json["field"] as? String == "reason")
            #expect(
                try await API.call(base, "POST", "/api/v1/settlements/\(id)/dispute", token: agency, body: #"{"reason": "停车费只有5元"}"#).json["state"] as? String
                    == "disputed")
            let zero = try await API.call(
                base, "POST", "/api/v1/settlements/\(id)/resolve", token: dispatcher,
                body: #"{"note": "x", "adjustments": [{"kind": "parking", "detail": "d", "amountFen": 0, "reason": "r"}]}"#)
            #expect(zero.status == 400 && zero.json["field"] as? String == "adjustments.0.amountFen", "\(zero.json)")
            let resolved = try await API.call(
                base, "POST", "/api/v1/settlements/\(id)/resolve", token: dispatcher,
                body: """
                    {"note": "receipt P-77 checked", "adjustments": [{"kind": "parking", "detail": "P-77 was 5.00", "amountFen": -300, "reason": "the receipt says 5.00"}]}
                    """)
            #expect(resolved.json["state"] as? String == "issued" && resolved.json["totalFen"] as? Int == 32_625, "\(resolved.json)")

            // Signed: confirmed, the booking settled, the invoice due in 3 working days.
            let unsigned = try await API.call(base, "POST", "/api/v1/settlements/\(id)/confirm", token: agency, body: #"{"signedBy": ""}"#)
            #expect(unsigned.status == 400 && unsigned.json["field"] as? String == "signedBy")
            let signed = try await API.call(base, "POST", "/api/v1/settlements/\(id)/confirm", token: agency, body: #"{"signedBy": "李主任"}"#)
            #expect(signed.json["state"] as? String == "confirmed" && signed.json["confirmedBy"] as? String == "李主任", "\(signed.json)")
            #expect(signed.json["invoiceDue"] as? String == ServiceLevels().invoiceDue(confirmedAt: Date().epochSeconds).description)
            #expect(try await Bookings(client: client, logger: logger).booking(id: bookingID)?.state == .settled)
            #expect(try await API.call(base, "POST", "/api/v1/settlements/\(id)/dispute", token: agency, body: #"{"reason": "late"}"#).status == 409)
            let history = (signed.json["history"] as? [[String: Any]])?.compactMap { $0["kind"] as? String }
            #expect(history == ["flagged", "resolved", "disputed", "resolved", "confirmed"], "\(String(describing: history))")

            // A confirmed sheet's lines are never changed, whoever asks.
            await #expect(throws: (any Error).self) {
                try await client.query("UPDATE settlement_lines SET amount_fen = 1 WHERE sheet_id = \(Int64(id))", logger: logger)
            }
            await #expect(throws: (any Error).self) { try await client.query("DELETE FROM settlement_lines", logger: logger) }
            // Corrected only by a new line: a toll missed.
            let corrected = try await API.call(
                base, "POST", "/api/v1/settlements/\(id)/adjustments", token: dispatcher,
                body: #"{"kind": "tolls", "detail": "G15 toll missed", "amountFen": 1000, "reason": "ETC statement of the month"}"#)
            #expect(corrected.status == 201 && corrected.json["totalFen"] as? Int == 33_625, "\(corrected.json)")

            // The month's statement: its own agency only; the same bytes every time.
            let today = CivilDate(chinaDayOf: Date().epochSeconds)
            let month = "\(today.year)-\(today.month < 10 ? "0" : "")\(today.month)"
            let path = "/api/v1/agencies/\(agencyID)/statements?month=\(month)"
            let json = try await API.call(base, "GET", path, token: agency)
            #expect(json.status == 200 && json.json["totalFen"] as? Int == 33_625 && json.json["trips"] as? Int == 1, "\(json.json)")
            #expect(try await API.call(base, "GET", path, token: agency).body == json.body)
            #expect(try await API.call(base, "GET", path, token: other).status == 404)
            #expect(try await API.call(base, "GET", "/api/v1/agencies/\(otherAgency)/statements?month=\(month)", token: other).json["trips"] as? Int == 0)
            let csv = try await API.call(base, "GET", path + "&format=csv", token: agency)
            #expect(csv.contentType == "text/csv; charset=utf-8" && Array(csv.body.prefix(3)) == [0xEF, 0xBB, 0xBF])
            #expect(String(decoding: csv.body, as: UTF8.self).contains("天一广场") && String(decoding: csv.body, as: UTF8.self).contains(",336.25,"))
            #expect(try await API.call(base, "GET", path + "&format=csv", token: dispatcher).body == csv.body)
            let html = try await API.call(base, "GET", path + "&format=html", token: agency)
            #expect(html.contentType == "text/html; charset=utf-8" && String(decoding: html.body, as: UTF8.self).contains("¥336.25"))
            #expect(try await API.call(base, "GET", path + "&format=pdf", token: agency).json["field"] as? String == "format")
            #expect(try await API.call(base, "GET", "/api/v1/agencies/\(agencyID)/statements?from=2026-02-01&through=2026-01-01", token: agency).status == 400)

            // Not invoiced 10 days on: the invoice clock is breached and raised once.
            clock.set(Date().addingTimeInterval(10 * 86_400))
            try await api.dispatch.sweeper.sweep()
            try await api.dispatch.sweeper.sweep()
            let invoiceAlerts = try await Bookings(client: client, logger: logger).alerts(agencyID: agencyID, since: Date().addingTimeInterval(-60), limit: 50)
                .filter { $0.clock == .invoice }
            #expect(invoiceAlerts.map(\.state) == [.breached] && invoiceAlerts.first?.bookingID == bookingID, "\(invoiceAlerts)")

            // Invoiced once.
            let invoice = #"{"number": "3302261130-00012345", "issuedAt": "2026-11-23T10:00:00+08:00"}"#
            #expect(try await API.call(base, "POST", "/api/v1/settlements/\(id)/invoice", token: agency, body: invoice).status == 403)
            let invoiced = try await API.call(base, "POST", "/api/v1/settlements/\(id)/invoice", token: dispatcher, body: invoice)
            #expect((invoiced.json["invoice"] as? [String: Any])?["number"] as? String == "3302261130-00012345", "\(invoiced.json)")
            #expect(try await API.call(base, "POST", "/api/v1/settlements/\(id)/invoice", token: dispatcher, body: invoice).status == 409)
            // The invoice's figures, for its own agency only: tolls and parking (1,500 + 1,000 +
            // 800 - 300 = 3,000) untaxed; the rest, 30,625, at 9 %: 30,625 / 1.09 = 28,096.33 ->
            // 28,096 before tax, tax 2,529.
            let figures = try await API.call(base, "GET", "/api/v1/settlements/\(id)/invoice", token: agency)
            let rateLines = try #require(figures.json["lines"] as? [[String: Any]], "\(figures.json)")
            #expect(rateLines.map { $0["basisPoints"] as? Int } == [0, 900])
            #expect(rateLines.map { ($0["split"] as? [String: Any])?["grossFen"] as? Int } == [3_000, 30_625])
            #expect((rateLines[1]["split"] as? [String: Any])?["netFen"] as? Int == 28_096 && figures.json["taxFen"] as? Int == 2_529)
            #expect(figures.json["grossFen"] as? Int == 33_625)
            #expect(try await API.call(base, "GET", "/api/v1/settlements/\(id)/invoice", token: other).status == 404)

            // A correction written in a later period shows there, not in the sheet's own period.
            let nextDay = ChinaTime(CivilDate(daysSince1970: today.daysSince1970 + 1).chinaMidnight + 3600)
            let sheets = Settlements(client: client, logger: logger)
            try await sheets.adjust(
                Int64(id),
                line: SheetLine(
                    kind: .adjustment, detail: "goodwill", amountFen: -500, evidence: "", adjusting: true, reason: "late car",
                    addedAt: nextDay, by: "dispatcher"), actor: .init(userID: nil, name: "dispatcher"), at: Date())
            let agencyRecord = Agency(id: agencyID, name: "市机关事务管理局")
            let later = try await sheets.statement(agency: agencyRecord, from: nextDay.day, through: nextDay.day)
            #expect(later.sheets.isEmpty && later.lateAdjustments.map(\.line.amountFen) == [-500] && later.totalFen == -500)
            let own = try await sheets.statement(agency: agencyRecord, from: today, through: today)
            #expect(own.totalFen == 33_625 && own.invoicedFen == 33_625)

            // Yesterday's operations report counts the trip, its kilometres and what it earns
            // (33625 - 500 of goodwill), in the hour it ended.
            let report = try await API.call(base, "GET", "/api/v1/reports/daily?date=\(yesterday)", token: dispatcher)
            #expect(
                report.json["trips"] as? Int == 1 && report.json["revenueFen"] as? Int == 33_125 && report.json["metres"] as? Int == metres, "\(report.json)")
            #expect(((report.json["buckets"] as? [[String: Any]])?[10])?["trips"] as? Int == 1)
            let page = try await API.call(base, "GET", "/api/v1/reports/weekly?date=\(yesterday)&format=html&download=true", token: dispatcher)
            #expect(page.contentType == "text/html; charset=utf-8" && String(decoding: page.body, as: UTF8.self).contains("<svg "))
            #expect(try await API.call(base, "GET", "/api/v1/reports/daily", token: agency).status == 403)
            #expect(try await API.call(base, "GET", "/api/v1/reports/yearly", token: dispatcher).json["field"] as? String == "kind")
            #expect(try await API.call(base, "GET", "/api/v1/reports/daily?date=yesterday", token: dispatcher).json["field"] as? String == "date")

            let actions = Set(try await accounts.auditTrail(limit: 200).map(\.action))
            #expect(
                actions.isSuperset(of: [
                    "settlement-resolve", "settlement-dispute", "settlement-confirm", "settlement-adjust", "settlement-invoice", "statement-read",
                ]))
        }
    }

    @Test func tariffsAndAgreementsAreSetByAnAdministratorOnly() async throws {
        try await API.withAPI { base, accounts, _, api in
            let agencyID = try #require(try await accounts.agencies().first?.id)
            let (admin, dispatcher, agency) = (
                try await API.signIn(base, "admin"), try await API.signIn(base, "dispatcher"), try await API.signIn(base, "agency")
            )
            let standard = try await API.call(base, "GET", "/api/v1/tariffs", token: agency)
            #expect((standard.json["tariffs"] as? [Any])?.count == 3)
            let tariff = """
                {"vehicleClass": "sedan", "validFrom": "2027-01-01", "overtimeFenPerHour": 6000, "overtimeBasis": "proRata", "overDistanceFenPerKm": 280,
                 "packages": [{"kind": "halfDay", "hours": 4, "kilometres": 50, "priceFen": 33000}, {"kind": "fullDay", "hours": 8, "kilometres": 100, "priceFen": 66000}]}
                """
            #expect(try await API.call(base, "PUT", "/api/v1/tariffs", token: dispatcher, body: tariff).status == 403)
            let set = try await API.call(base, "PUT", "/api/v1/tariffs", token: admin, body: tariff)
            #expect(set.status == 200 && (set.json["tariffs"] as? [Any])?.count == 1, "the contract's book replaces the standard one: \(set.json)")
            let bad = try await API.call(base, "PUT", "/api/v1/tariffs", token: admin, body: tariff.replacingOccurrences(of: "33000", with: "-1"))
            #expect(bad.status == 400 && bad.json["field"] as? String == "packages.0.priceFen")

            let path = "/api/v1/agencies/\(agencyID)/agreement"
            #expect(try await API.call(base, "GET", path, token: agency).json["discountBasisPoints"] as? Int == 1250)
            let terms =
                #"{"discountBasisPoints": 1500, "capFen": {"fullDay": 60000}, "cancellation": {"freeNotice": 3600, "latePercent": 30, "onSitePercent": 100}, "mealsFenPerDay": 10000, "lodgingFenPerNight": 35000}"#
            #expect(try await API.call(base, "PUT", path, token: agency, body: terms).status == 403)
            let saved = try await API.call(base, "PUT", path, token: admin, body: terms)
            #expect(saved.status == 200 && (saved.json["capFen"] as? [String: Int]) == ["fullDay": 60_000], "\(saved.json)")
            #expect(try await API.call(base, "GET", path, token: agency).json["discountBasisPoints"] as? Int == 1500)
            #expect(
                try await API.call(base, "PUT", path, token: admin, body: terms.replacingOccurrences(of: "1500", with: "20000")).json["field"] as? String
                    == "discountBasisPoints")
            #expect(try await API.call(base, "PUT", "/api/v1/agencies/999/agreement", token: admin, body: terms).status == 404)
            #expect(try await API.call(base, "GET", "/api/v1/agencies/999/agreement", token: agency).status == 404)
        }
    }

    @Test func domainsSchemesAreServedAndScoreTheirWorkedExamples() async throws {
        try await API.withAPI { base, _, _, api in
            let (auditor, agency) = (try await API.signIn(base, "auditor"), try await API.signIn(base, "agency"))
            let schemes = try await API.call(base, "GET", "/api/v1/assessment-schemes", token: auditor)
            #expect(schemes.array.compactMap { ($0 as? [String: Any])?["name"] as? String } == ["fleet", "deduction", "kpi"])
            #expect(try await API.call(base, "GET", "/api/v1/assessment-schemes", token: agency).status == 403)
            // docs/DOMAIN.md, "Monthly assessment and payment": satisfaction 88% (-2) and 13 duty
            // incidents (-13) score 85 under the KPI scheme: coefficient 0.95.
            let kpi = try await API.call(
                base, "POST", "/api/v1/assessment-schemes/kpi/score", token: auditor,
                body: #"{"observations": {"satisfaction": {"rate": 8800}, "duty": {"incidents": 13}}}"#)
            #expect(kpi.json["score"] as? Int == 85 && kpi.json["coefficientPermille"] as? Int == 950, "\(kpi.json)")
            // Availability 94.8%: -2.
            let availability = try await API.call(
                base, "POST", "/api/v1/assessment-schemes/kpi/score", token: auditor,
                body: #"{"observations": {"availability": {"rate": 9480}}}"#)
            #expect(availability.json["score"] as? Int == 98)
            // Under the deduction scheme, 85 pays 85% of the performance amount.
            let deduction = try await API.call(
                base, "POST", "/api/v1/assessment-schemes/deduction/score", token: auditor,
                body: #"{"observations": {"lateArrival": {"incidents": 5}, "records": {"incidents": 5}}}"#)
            #expect(deduction.json["score"] as? Int == 85 && deduction.json["coefficientPermille"] as? Int == 850, "\(deduction.json)")
            // What is not an item, or not its kind of observation, is named.
            let unknown = try await API.call(
                base, "POST", "/api/v1/assessment-schemes/kpi/score", token: auditor, body: #"{"observations": {"speed": {"rate": 1}}}"#)
            #expect(unknown.status == 400 && unknown.json["field"] as? String == "observations.speed")
            let wrongKind = try await API.call(
                base, "POST", "/api/v1/assessment-schemes/kpi/score", token: auditor, body: #"{"observations": {"duty": {"rate": 1}}}"#)
            #expect(wrongKind.status == 400 && wrongKind.json["field"] as? String == "observations.duty")
            // The schemes are an enumeration in the document: another name is refused at the door.
            let hall = try await API.call(base, "POST", "/api/v1/assessment-schemes/hall/score", token: auditor, body: #"{"observations": {}}"#)
            #expect(hall.status == 400 && hall.json["field"] as? String == "name")
        }
    }
}
