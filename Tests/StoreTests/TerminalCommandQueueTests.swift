import Domain
import Foundation
import PostgresNIO
import PostgresTestSupport
import Store
import Testing

/// The commands queue of issue 17 on real PostgreSQL, as the app role: who is online by the
/// presence rows, what a caller may queue, and a command claimed by one gateway only.
@Suite struct TerminalCommandQueueTests {
    let logger = TestPostgres.logger
    let phone = "013912340817"

    /// A vehicle 浙B80817D with its terminal, and one without; the queue as `fleet_app`.
    func withQueue(_ body: @Sendable (PostgresTerminalCommands, PostgresClient) async throws -> Void) async throws {
        try await TestPostgres.withDatabase { owner, url in
            try await PostgresTerminalRegistry(client: owner, logger: logger).bind(phone: phone, plate: "浙B80817D", terminalID: "2340817")
            try await owner.query("INSERT INTO vehicles (plate) VALUES ('浙B00000D')", logger: logger)
            try await TestPostgres.withClient(try TestPostgres.app(url)) { app in
                try await body(PostgresTerminalCommands(client: app, logger: logger), owner)
            }
        }
    }

    @Test func onlineIsAFreshPresenceRowAndOfflineNeedsATimeToLive() async throws {
        try await withQueue { queue, owner in
            let locate = TerminalCommandRequest(command: .locate)
            await #expect(throws: NoSuchRecord.self) { try await queue.queue(locate, plate: "浙X", userID: nil, requestedBy: "test") }
            await #expect(throws: Conflict.self) { try await queue.queue(locate, plate: "浙B00000D", userID: nil, requestedBy: "test") }
            // Offline: refused without a time to live, and nothing queued.
            let refused = await #expect(throws: Conflict.self) { try await queue.queue(locate, plate: "浙B80817D", userID: nil, requestedBy: "test") }
            #expect(refused?.detail.contains("ttlSeconds") == true)
            #expect(try await queue.commands(plate: "浙B80817D", limit: 10)?.isEmpty == true)
            let queued = try await queue.queue(TerminalCommandRequest(command: .locate, ttlSeconds: 60), plate: "浙B80817D", userID: nil, requestedBy: "test")
            #expect(!queued.online)

            try await queue.connected(phone, gateway: "a")
            #expect(try await queue.queue(locate, plate: "浙B80817D", userID: nil, requestedBy: "test").online)
            // A gateway that stopped renewing (it died) vouches for nobody after 30 s.
            try await owner.query("UPDATE terminal_presence SET seen_at = now() - interval '31 seconds'", logger: logger)
            await #expect(throws: Conflict.self) { try await queue.queue(locate, plate: "浙B80817D", userID: nil, requestedBy: "test") }
            _ = try await queue.renew([phone], gateway: "a")
            #expect(try await queue.queue(locate, plate: "浙B80817D", userID: nil, requestedBy: "test").online)
            // Another gateway's disconnect does not take the terminal offline.
            try await queue.disconnected(phone, gateway: "b")
            #expect(try await queue.queue(locate, plate: "浙B80817D", userID: nil, requestedBy: "test").online)
            try await queue.disconnected(phone, gateway: "a")
            await #expect(throws: Conflict.self) { try await queue.queue(locate, plate: "浙B80817D", userID: nil, requestedBy: "test") }
            // A row lost while the terminal is still here (a failed write, another gateway's
            // late disconnect) comes back with the next renewal of the gateway that holds it.
            _ = try await queue.renew([phone], gateway: "a")
            #expect(try await queue.queue(locate, plate: "浙B80817D", userID: nil, requestedBy: "test").online)
        }
    }

    @Test func aCommandIsClaimedOnceInOrderAndExpiredOnesNever() async throws {
        try await withQueue { queue, owner in
            var ids: [Int64] = []
            for ttl in [60, 60, 60] {
                ids.append(
                    try await queue.queue(TerminalCommandRequest(command: .attributes, ttlSeconds: ttl), plate: "浙B80817D", userID: nil, requestedBy: "test").id
                )
            }
            // The first one's time ran out.
            try await owner.query("UPDATE terminal_commands SET expires_at = now() - interval '1 second' WHERE id = \(ids[0])", logger: logger)
            // Two gateways (a terminal's old and new one) claim at once, ten times each.
            let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        var mine: [Int64] = []
                        for _ in 0..<10 { if let command = try await queue.claimNext(for: phone) { mine.append(command.id) } }
                        return mine
                    }
                }
                return try await group.reduce(into: [[Int64]]()) { $0.append($1) }
            }
            #expect(claimed.flatMap { $0 }.sorted() == [ids[1], ids[2]], "each once: \(claimed)")
            #expect(claimed.allSatisfy { $0 == $0.sorted() }, "oldest first")
            let states = try await queue.commands(plate: "浙B80817D", limit: 10)?.map(\.state)
            #expect(states == [.sent, .sent, .expired])
            #expect(try await queue.command(ids[0])?.sentAt == nil)
            #expect(try await queue.renew([phone], gateway: "a").isEmpty, "nothing left queued")

            // The outcome with its audit line; a caller that gave up keeps its command timed out.
            try await queue.record(.answered(resultCode: 0, answer: #"{"msgId":"0x0107","body":{"model":"GPS808"}}"#), of: ids[1])
            #expect(try await queue.giveUp(ids[2], keepingQueued: true))
            try await queue.record(.answered(resultCode: 0, answer: #"{"msgId":"0x0107"}"#), of: ids[2])
            let answered = try #require(try await queue.command(ids[1]))
            #expect(answered.state == .answered && answered.resultCode == 0 && answered.answer?.contains("GPS808") == true && answered.answeredAt != nil)
            #expect(try await queue.command(ids[2])?.state == .timedOut)
            var trail: [(String, String)] = []
            for try await line in try await owner.query("SELECT action, resource FROM audit_log ORDER BY id", logger: logger).decode((String, String).self) {
                trail.append(line)
            }
            #expect(trail.map(\.0) == ["command-answered", "command-answered"] && trail.map(\.1) == ["command:\(ids[1])", "command:\(ids[2])"])

            // A command with a time to live that no gateway took yet stays queued when its
            // caller stops waiting; one without is timed out.
            let kept = try await queue.queue(TerminalCommandRequest(command: .locate, ttlSeconds: 600), plate: "浙B80817D", userID: nil, requestedBy: "test")
            #expect(try await !queue.giveUp(kept.id, keepingQueued: true))
            #expect(try await queue.command(kept.id)?.state == .queued)
            #expect(try await queue.giveUp(kept.id, keepingQueued: false))
            #expect(try await queue.command(kept.id)?.state == .timedOut)

            // Sent, and its gateway gone before recording an outcome: a minute past its answer
            // time, any gateway's renewal times it out on the audit trail.
            let lost = try await queue.queue(TerminalCommandRequest(command: .locate, ttlSeconds: 600), plate: "浙B80817D", userID: nil, requestedBy: "test")
            #expect(try await queue.claimNext(for: phone)?.id == lost.id)
            // Claimed but never written (the terminal went in between): back in the queue,
            // claimed again; past its time to live it is not.
            #expect(try await queue.requeue(lost.id))
            #expect(try await queue.command(lost.id)?.state == .queued)
            #expect(try await queue.claimNext(for: phone)?.id == lost.id)
            #expect(try await !queue.requeue(ids[1]), "answered: not queued again")
            try await owner.query("UPDATE terminal_commands SET sent_at = now() - interval '91 seconds' WHERE id = \(lost.id)", logger: logger)
            _ = try await queue.renew([], gateway: "b")
            let timedOut = try #require(try await queue.command(lost.id))
            #expect(timedOut.state == .timedOut && timedOut.failure == "no outcome from the gateway that sent it")
            let lines = try await owner.query(
                "SELECT count(*) FROM audit_log WHERE action = 'command-timedOut' AND resource = \("command:\(lost.id)")", logger: logger)
            for try await n in lines.decode(Int64.self) { #expect(n == 1) }
        }
    }

    /// A command still queued is told again to the gateways (a notification nobody was
    /// listening for is lost); one a gateway took is not.
    @Test func aQueuedCommandIsToldAgainAndATakenOneIsNot() async throws {
        try await withQueue { queue, _ in
            let command = try await queue.queue(TerminalCommandRequest(command: .locate, ttlSeconds: 60), plate: "浙B80817D", userID: nil, requestedBy: "test")
            #expect(try await queue.renotify(command.id))
            #expect(try await queue.claimNext(for: phone)?.id == command.id)
            #expect(try await !queue.renotify(command.id))
        }
    }
}
