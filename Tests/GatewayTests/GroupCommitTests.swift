import Domain
import Gateway
import Logging
import ServiceLifecycle
import TerminalTestSupport
import Testing

@Suite struct GroupCommitTests {
    func record(_ i: Int) -> PositionRecord {
        PositionRecord(
            terminalID: Int32(i % 50), gnssTime: 1_795_305_600 + Int64(i), latitudeE6: 0, longitudeE6: 0, altitude: 0, speed: 0, course: 0,
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

    /// The gateway's way in: no task per caller, each told once, after its batch is stored; a
    /// full queue makes callers wait their turn, and after shutdown nothing is accepted.
    @Test func callersToldByCallbackOnceStoredAndRefusedAfterShutdown() async throws {
        let inner = RecordingSink()
        let commit = GroupCommit(inner: inner, maximumBatch: 50, maximumDelay: .milliseconds(20), maximumPending: 100)
        let group = ServiceGroup(services: [commit], logger: Logger(label: "group-commit-test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let outcomes = await withTaskGroup(of: Bool.self) { callers in
                for i in 0..<300 {
                    callers.addTask {
                        await withCheckedContinuation { (told: CheckedContinuation<Bool, Never>) in
                            commit.store([record(i)]) { told.resume(returning: (try? $0.get()) != nil) }
                        }
                    }
                }
                return await callers.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.count == 300 && outcomes.allSatisfy { $0 })
            #expect(await inner.stored.count == 300)
            #expect(commit.batchSizes.allSatisfy { $0 <= 50 })
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        let refused = await withCheckedContinuation { (told: CheckedContinuation<Bool, Never>) in
            commit.store([record(1_000)]) { told.resume(returning: (try? $0.get()) == nil) }
        }
        #expect(refused)
        #expect(await inner.stored.count == 300)
    }

    /// Past `maximumPending` queued, callers are parked without a task each and served in the
    /// order they came (callers that polled for room came back in any order); a shutdown writes
    /// the parked ones before it stops.
    @Test func callersPastTheQueuesRoomAreServedInOrderAndWrittenAtShutdown() async throws {
        let inner = RecordingSink()
        let commit = GroupCommit(inner: inner, maximumBatch: 10, maximumDelay: .milliseconds(1), maximumPending: 20)
        let group = ServiceGroup(services: [commit], logger: Logger(label: "group-commit-test"))
        let (outcomes, outcome) = AsyncStream.makeStream(of: (Int, Bool).self)
        var told = outcomes.makeAsyncIterator()
        /// Offers reports `range`, one caller each, in order, while the inner sink holds the first
        /// batch: the rest fill the queue and park.
        func offer(_ range: Range<Int>) async throws {
            let before = await inner.offered
            await inner.hold()
            for i in range { commit.store([record(i)]) { outcome.yield((i, (try? $0.get()) != nil)) } }
            while await inner.offered == before { try await Task.sleep(for: .milliseconds(1)) }
        }
        func answers(_ count: Int) async -> [Int] {
            var answered: [Int] = []
            while answered.count < count, let (i, stored) = await told.next() {
                #expect(stored, "report \(i)")
                answered.append(i)
            }
            return answered
        }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await offer(0..<100)
            await inner.release()
            #expect(await answers(100) == Array(0..<100))
            #expect(await inner.stored.map(\.gnssTime) == (0..<100).map { record($0).gnssTime })
            #expect(commit.batchSizes.allSatisfy { $0 <= 10 })

            try await offer(100..<160)
            await group.triggerGracefulShutdown()
            await inner.release()
            #expect(await answers(60) == Array(100..<160))
            try await tasks.waitForAll()
        }
        #expect(await inner.stored.count == 160)
    }
}
