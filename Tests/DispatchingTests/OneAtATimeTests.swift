import Synchronization
import Testing

@testable import Dispatching

/// Matching decisions one at a time: others wait until the one deciding has written its matches.
@Suite struct OneAtATimeTests {
    final class Log: Sendable {
        private let lines = Mutex<[String]>([])
        func add(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    @Test func othersWaitWhileOneDecides() async throws {
        let gate = OneAtATime(), log = Log()
        let (firstInside, insideSignal) = AsyncStream.makeStream(of: Void.self)
        let (release, releaseSignal) = AsyncStream.makeStream(of: Void.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await gate.run {
                    log.add("first in")
                    insideSignal.yield()
                    for await _ in release { break }
                    log.add("first out")
                }
            }
            for await _ in firstInside { break }
            for name in ["second", "third"] { group.addTask { try await gate.run { log.add("\(name) in") } } }
            for _ in 0..<100 { await Task.yield() }
            #expect(log.all == ["first in"], "no one entered while the first decided")
            releaseSignal.yield()
            try await group.waitForAll()
        }
        #expect(log.all.prefix(2) == ["first in", "first out"] && Set(log.all.dropFirst(2)) == ["second in", "third in"])
    }

    @Test func aFailedDecisionLeavesTheGateFree() async throws {
        struct Failed: Error {}
        let gate = OneAtATime()
        await #expect(throws: Failed.self) { try await gate.run { throw Failed() } }
        #expect(try await gate.run { 42 } == 42)
    }
}
