import Domain
import Gateway
import Logging
import ServiceLifecycle
import TerminalTestSupport
import Testing

@Suite struct GroupCommitTests {
    func record(_ i: Int) -> PositionRecord {
        PositionRecord(terminalID: Int32(i % 50), gnssTime: 1_795_305_600 + Int64(i), latitudeE6: 0, longitudeE6: 0, altitude: 0, speed: 0, course: 0,
                       alarm: 0, status: 0, mileage: nil, backfill: false)
    }

    /// Runs a group commit over `inner` while `body` runs, then shuts it down.
    func withGroupCommit(_ inner: RecordingSink, maximumBatch: Int, _ body: @Sendable (GroupCommit) async throws -> Void) async throws {
        let commit = GroupCommit(inner: inner, maximumBatch: maximumBatch, maximumDelay: .milliseconds(20))
        let group = ServiceGroup(services: [commit], logger: Logger(label: "group-commit-test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await body(commit)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test func manyCallersShareFewTransactionsAndEachReturnsOnlyWhenStored() async throws {
        let inner = RecordingSink()
        try await withGroupCommit(inner, maximumBatch: 500) { commit in
            try await withThrowingTaskGroup(of: Void.self) { callers in
                for i in 0..<1_000 {
                    callers.addTask {
                        try await commit.store([record(i)])
                        // Returned: so it is in the inner sink already.
                        let stored = await inner.stored
                        #expect(stored.contains(record(i)))
                    }
                }
                try await callers.waitForAll()
            }
            let sizes = commit.batchSizes
            #expect(sizes.reduce(0, +) == 1_000)
            #expect(sizes.allSatisfy { $0 <= 500 })
            // 1,000 callers within milliseconds: far fewer transactions than callers.
            #expect(sizes.count < 100, "\(sizes.count) batches")
        }
        #expect(await inner.stored.count == 1_000)
    }

    @Test func aFailedBatchFailsEveryCallerInIt() async throws {
        let inner = RecordingSink()
        await inner.setFailing(true)
        try await withGroupCommit(inner, maximumBatch: 100) { commit in
            await withTaskGroup(of: Bool.self) { callers in
                for i in 0..<10 {
                    callers.addTask { (try? await commit.store([record(i)])) == nil }
                }
                var failed = 0
                for await didFail in callers where didFail { failed += 1 }
                #expect(failed == 10)
            }
        }
        #expect(await inner.stored.isEmpty)
    }
}
