import Dispatching
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Store
import Synchronization

/// Live positions, tracks, alarms and alerts, and the server-sent event stream.
extension FleetAPI {
    struct PositionBody: Encodable, ResponseEncodable {
        var plate: String?
        var vehicleID: Int64?
        var time: Date
        var latitude: Double
        var longitude: Double
        var speedKmh: Double
        var course: Int
        var altitudeM: Int

        init(plate: String?, vehicleID: Int64?, _ p: PositionRecord) {
            self.plate = plate
            self.vehicleID = vehicleID
            time = Date(timeIntervalSince1970: TimeInterval(p.gnssTime))
            latitude = Double(p.latitudeE6) / 1e6
            longitude = Double(p.longitudeE6) / 1e6
            speedKmh = Double(p.speed) / 10
            course = Int(p.course)
            altitudeM = Int(p.altitude)
        }
    }

    struct TrackBody: ResponseEncodable {
        var plate: String
        var from: Date
        var to: Date
        var points: [PositionBody]
    }

    struct Handling: Decodable { var note: String }

    /// An alarm handled, and what came of the confirmation that clears it on the terminal.
    struct AlarmHandled: ResponseEncodable {
        enum Confirmation: String, Encodable, CaseIterable {
            /// 0x8203 sent, and the terminal acknowledged it.
            case sent
            /// The terminal is offline: the confirmation waits for it (a day).
            case queued
            /// The alarm goes off by itself when its condition ends (table 24).
            case notRequired
            /// Due, but the terminal did not take it (no answer, a refusal, or no terminal bound).
            case notSent
        }
        var done: Bool
        var confirmation: Confirmation
        /// The confirmation's command (`GET /api/v1/commands/{id}`), when one was sent or queued.
        var command: Int64?
    }

    /// How long a confirmation waits for a terminal offline: the terminal keeps the alarm on
    /// until it comes, and a day covers a car parked overnight.
    static let alarmConfirmationLifetime = 86_400

    func addLiveRoutes(_ list: inout EndpointList) {
        list.add(
            .get, "/api/v1/positions/latest", Self.readers, "Every vehicle's newest position, at most a second old; ETag (If-None-Match gives 304)",
            returns: "[Position]"
        ) { request, _, user in
            try await auditRead(user, "positions-read", "positions")
            let snapshot = try await latest.snapshot {
                try await positions.latest().map { PositionBody(plate: $0.plate, vehicleID: $0.vehicleID, $0.position) }
            }
            if request.headers[.ifNoneMatch] == snapshot.etag { return Response(status: .notModified, headers: [.eTag: snapshot.etag]) }
            return Response(status: .ok, headers: [.contentType: "application/json", .eTag: snapshot.etag], body: ResponseBody(byteBuffer: snapshot.body))
        }
        list.add(
            .get, "/api/v1/vehicles/{plate}/track", Self.readers, "A vehicle's track; every read is audited", returns: "Track",
            query: [
                ("from", "date-time", "ISO 8601, default 24 h before to"), ("to", "date-time", "ISO 8601, default now; at most 7 days after from"),
                ("thin", "integer(1...86400)", "at most one point per this many seconds, up to a day"),
            ]
        ) {
            request, context, user in try await track(request, context, user)
        }
        list.add(
            .get, "/api/v1/events", Self.readers,
            "Terminal alarms (SOS, over-speed, fatigue, power cut, ...), newest first: where they went on and off, and how they were handled",
            returns: "[VehicleAlarm]",
            query: [
                ("open", "boolean", "true: only those not handled yet (open or cleared)"),
                (
                    "state", FieldType.list(of: VehicleAlarm.State.self, maxItems: 3),
                    "open (still on), cleared (went off, not handled), handled; comma-separated"
                ),
                ("limit", "integer(1...500)", "1 to 500, default 100"),
            ]
        ) { request, _, _ in
            let states: [VehicleAlarm.State]? = try cases("state", request)
            let unhandled: Set<VehicleAlarm.State> = request.uri.queryParameters.get("open") == "true" ? [.open, .cleared] : Set(VehicleAlarm.State.allCases)
            return try await dispatch.alerts.alarms(
                in: unhandled.intersection(states ?? Array(unhandled)), limit: try count("limit", request, default: 100, maximum: 500))
        }
        list.add(
            .post, "/api/v1/events/{id}/handle", Self.operators,
            "Record how an alarm was handled (kept 3 years); an alarm the terminal holds until the platform confirms it (JT/T 808 table 24) is confirmed to the terminal (0x8203)",
            body: "Handling", returns: "AlarmHandled"
        ) {
            request, context, user in
            let event = try id("id", context)
            let body = try await decode(Handling.self, request, context)
            let due = try await dispatch.alerts.handle(alarm: event, by: user.username, note: body.note, audit: entry(user, "alarm-handle", "event:\(event)"))
            guard let due else { return AlarmHandled(done: true, confirmation: .notRequired) }
            guard let plate = due.plate else { return AlarmHandled(done: true, confirmation: .notSent) }
            do {
                // The handling stands whether or not the terminal is reached: the answer says which.
                let outcome = try await commands.send(
                    due.command(ttlSeconds: Self.alarmConfirmationLifetime), plate: plate, userID: user.id, requestedBy: user.username
                ) { id in
                    entry(
                        user, "terminal-command", "command:\(id)", ["plate": plate, "command": TerminalCommandKind.confirmAlarm.rawValue, "event": "\(event)"])
                }
                switch outcome {
                case .answered(let record): return AlarmHandled(done: true, confirmation: record.resultCode == 0 ? .sent : .notSent, command: record.id)
                case .queued(let record): return AlarmHandled(done: true, confirmation: .queued, command: record.id)
                case .unanswered(let record): return AlarmHandled(done: true, confirmation: .notSent, command: record.id)
                }
            } catch {
                logger.warning("alarm confirmation not sent", metadata: ["event": "\(event)", "error": "\(error)"])
                return AlarmHandled(done: true, confirmation: .notSent)
            }
        }
        list.add(
            .get, "/api/v1/driver-card-alerts", Self.readers,
            "Drivers' IC card alerts, newest first: a card no driver's file holds, a certificate expired, a driver signed in on a car serving another crew's booking",
            returns: "[DriverCardAlert]", query: [("since", "date-time", "ISO 8601, default 24 h ago"), ("limit", "integer(1...500)", "1 to 500, default 100")]
        ) { request, _, _ in
            try await dispatch.alerts.driverCardAlerts(since: try time("since", request), limit: try count("limit", request, default: 100, maximum: 500))
        }
        list.add(
            .get, "/api/v1/alerts", [.administrator, .dispatcher, .auditor, .agency], "SLA clocks at risk or breached, newest first: an agency user's own only",
            returns: "[SLAAlert]", query: [("since", "date-time", "ISO 8601, default 24 h ago"), ("limit", "integer(1...500)", "1 to 500, default 100")]
        ) { request, _, user in
            try await dispatch.alerts.slaAlerts(
                agencyID: user.role == .agency ? user.agencyID : nil, since: try time("since", request),
                limit: try count("limit", request, default: 100, maximum: 500))
        }
        list.add(
            .get, "/api/v1/stream", [.administrator, .dispatcher, .agency, .approver],
            "Server-sent events: booking transitions and SLA alerts (an agency's users and approver: their own only), and for the operator every vehicle's position each second",
            returns: "EventStream"
        ) { request, _, user in stream(for: user, session: BearerToken.sha256(of: request) ?? []) }
    }

    func track(_ request: Request, _ context: APIContext, _ user: APIUser) async throws -> TrackBody {
        let plate = try text("plate", context)
        let to = try time("to", request) ?? clock.now
        let from = try time("from", request) ?? to.addingTimeInterval(-86_400)
        try Self.require(from <= to && to.timeIntervalSince(from) <= 7 * 86_400, "from", "from must be before to, at most 7 days apart")
        // Checked at the door against its type (1 s to a day).
        let thin = request.uri.queryParameters.get("thin").flatMap { Int($0) }
        guard let vehicle = try await positions.vehicleID(plate: plate) else { throw Self.notFound("no vehicle has the plate \(plate)") }
        // Trajectories are confidential: every read is on record, by whom and of what.
        try await audit(user, "track-read", "vehicle:\(vehicle)", ["from": "\(from.epochSeconds)", "to": "\(to.epochSeconds)"])
        let points = try await positions.track(vehicleID: vehicle, from: from.epochSeconds, to: to.epochSeconds, thinnedTo: thin)
        return TrackBody(plate: plate, from: from, to: to, points: points.map { PositionBody(plate: nil, vehicleID: nil, $0) })
    }

    /// How often a live stream asks whether its session still holds.
    static let streamSessionCheck: Duration = .seconds(2)

    /// The live feed as `text/event-stream`, filtered for the user; a comment every 15 s keeps
    /// proxies from closing an idle stream. It lasts as long as its session: it ends when the
    /// token expires or is signed out, or the user is disabled.
    func stream(for user: APIUser, session: [UInt8]) -> Response {
        let events = dispatch.feed.subscribe()
        let agency = user.role.belongsToAgency ? user.agencyID : nil
        let body = ResponseBody { [sessions, openStreams] writer in
            openStreams.withLock { $0 += 1 }
            defer { openStreams.withLock { $0 -= 1 } }
            try await writer.write(ByteBuffer(string: ": fleet live feed\n\n"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                let (lines, linesIn) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(1_000))
                group.addTask {
                    while try await sessions.user(session) != nil { try await Task.sleep(for: Self.streamSessionCheck) }
                    linesIn.yield(": session ended\n\n")
                    linesIn.finish()
                }
                group.addTask {
                    for await event in events where !user.role.belongsToAgency || (event.agencyID != nil && event.agencyID == agency) {
                        linesIn.yield("event: \(event.kind.rawValue)\ndata: \(event.json)\n\n")
                    }
                    linesIn.finish()
                }
                group.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(for: .seconds(15))
                        linesIn.yield(": keep-alive\n\n")
                    }
                }
                for await line in lines { try await writer.write(ByteBuffer(string: line)) }
                group.cancelAll()
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }
}

/// Every vehicle's newest position as JSON, encoded at most once a second however many ask:
/// the dispatchers' maps poll it, and a thousand polls cost one query.
public final class LatestPositionsJSON: Sendable {
    public struct Snapshot: Sendable {
        var body: ByteBuffer
        var etag: String
        var taken: ContinuousClock.Instant
    }

    let current = Mutex<Snapshot?>(nil)
    let maximumAge: Duration

    public init(maximumAge: Duration = .seconds(1)) { self.maximumAge = maximumAge }

    /// The snapshot, fetched again by `fetch` if older than `maximumAge`.
    func snapshot(fetch: () async throws -> [some Encodable]) async throws -> Snapshot {
        let now = ContinuousClock.now
        if let snapshot = current.withLock({ $0 }), now - snapshot.taken < maximumAge { return snapshot }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(try await fetch())
        // The ETag is the content's: a poll that brings nothing new gets a 304.
        var hasher = Hasher()
        hasher.combine(data)
        let snapshot = Snapshot(body: ByteBuffer(bytes: data), etag: "\"\(UInt(bitPattern: hasher.finalize()))\"", taken: now)
        current.withLock { $0 = snapshot }
        return snapshot
    }
}
