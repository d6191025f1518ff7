import CoreMetrics
import Domain
import ServiceLifecycle
import Synchronization

/// Batches positions from every connection into few, large transactions (group commit): a
/// caller's `store` returns when the batch holding its positions is durable, so acknowledgements
/// still follow durability, while the database sees one commit per batch instead of one per
/// report. A batch is written when it reaches `maximumBatch` positions or `maximumDelay` after
/// its first position. Memory is bounded: past `maximumPending` positions waiting, callers wait.
public final class GroupCommit: PositionSink, Service {
    private struct Waiting {
        var positions: [PositionRecord]
        var whenDurable: @Sendable (Result<Void, any Error>) -> Void
    }

    private struct State {
        var queue: [Waiting] = []
        var queued = 0
        /// The flusher sleeping until there is work.
        var idle: CheckedContinuation<Void, Never>?
        var stopped = false
    }

    private let inner: any PositionSink
    private let maximumBatch: Int
    private let maximumDelay: Duration
    private let maximumPending: Int
    private let state = Mutex(State())
    /// Batch sizes written, for metrics and tests.
    private let sizes = Mutex<[Int]>([])

    public init(inner: any PositionSink, maximumBatch: Int = 5_000, maximumDelay: Duration = .milliseconds(5), maximumPending: Int = 100_000) {
        self.inner = inner
        self.maximumBatch = maximumBatch
        self.maximumDelay = maximumDelay
        self.maximumPending = maximumPending
    }

    /// Sizes of the batches written so far.
    public var batchSizes: [Int] { sizes.withLock { $0 } }

    public func store(_ positions: [PositionRecord]) async throws {
        guard !positions.isEmpty else { return }
        // Back-pressure: wait while the queue is full (the caller's connection reads nothing meanwhile).
        while isFull { try await Task.sleep(for: maximumDelay) }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            enqueue(positions) { continuation.resume(with: $0) }
        }
    }

    /// Queues the positions without a task or a continuation: how the gateway's sessions store
    /// (BENCHMARKS.md, "Load"). When the queue is full, the call waits its turn as `store` does.
    public func store(_ positions: [PositionRecord], whenDurable: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        guard !positions.isEmpty else { return whenDurable(.success(())) }
        guard !isFull else { return storeInTask(positions, whenDurable: whenDurable) }
        enqueue(positions, whenDurable)
    }

    private var isFull: Bool { state.withLock { $0.queued >= maximumPending && !$0.stopped } }

    private func enqueue(_ positions: [PositionRecord], _ whenDurable: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        let started = ContinuousClock.now
        let done: @Sendable (Result<Void, any Error>) -> Void = { result in
            IngestMetrics.durableLatency.recordNanoseconds(Int64((ContinuousClock.now - started) / .nanoseconds(1)))
            whenDurable(result)
        }
        let (accepted, wake) = state.withLock { s -> (Bool, CheckedContinuation<Void, Never>?) in
            guard !s.stopped else { return (false, nil) }
            s.queue.append(Waiting(positions: positions, whenDurable: done))
            s.queued += positions.count
            IngestMetrics.queueDepth.record(s.queued)
            let idle = s.idle
            s.idle = nil
            return (true, idle)
        }
        // Shutting down: not stored, so not acknowledged; the terminal sends it again.
        guard accepted else { return done(.failure(Stopped())) }
        wake?.resume()
    }

    /// The group commit has stopped: positions offered now are not stored.
    public struct Stopped: Error {}

    /// Writes batches until graceful shutdown, then writes what is left and stops.
    public func run() async throws {
        let clock = ContinuousClock()
        while true {
            // Sleep until there is work (or we are told to stop).
            await withTaskCancellationHandler {
                await withGracefulShutdownHandler {
                    await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                        let ready = state.withLock { s -> Bool in
                            if !s.queue.isEmpty || s.stopped { return true }
                            s.idle = c
                            return false
                        }
                        if ready { c.resume() }
                    }
                } onGracefulShutdown: {
                    self.stop()
                }
            } onCancel: {
                self.stop()
            }
            // Give the batch a moment to fill, unless it is full already.
            let deadline = clock.now.advanced(by: maximumDelay)
            while state.withLock({ $0.queued < maximumBatch && !$0.stopped }), clock.now < deadline {
                try? await Task.sleep(until: deadline, clock: clock)
            }
            let batch = state.withLock { s -> [Waiting] in
                // The callers up to a full batch (at least one), taken off the queue at once: one
                // `removeFirst` a caller would move the whole backlog each time.
                var taken = 0
                var count = 0
                while taken < s.queue.count, count == 0 || count + s.queue[taken].positions.count <= maximumBatch {
                    count += s.queue[taken].positions.count
                    taken += 1
                }
                let batch = Array(s.queue.prefix(taken))
                s.queue.removeFirst(taken)
                s.queued -= count
                IngestMetrics.queueDepth.record(s.queued)
                return batch
            }
            if batch.isEmpty {
                if state.withLock({ $0.stopped }) { return }
                continue
            }
            let positions = batch.flatMap(\.positions)
            do {
                try await inner.store(positions)
                sizes.withLock { $0.append(positions.count) }
                IngestMetrics.batchSize.record(positions.count)
                IngestMetrics.written.increment(by: positions.count)
                for waiting in batch { waiting.whenDurable(.success(())) }
            } catch {
                IngestMetrics.failedBatches.increment()
                for waiting in batch { waiting.whenDurable(.failure(error)) }
            }
        }
    }

    private func stop() {
        let idle = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.stopped = true
            defer { s.idle = nil }
            return s.idle
        }
        idle?.resume()
    }
}
