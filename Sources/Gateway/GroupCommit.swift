import CoreMetrics
import Domain
import ServiceLifecycle
import Synchronization

/// Batches positions from every connection into few, large transactions (group commit): a
/// caller's `store` returns when the batch holding its positions is durable, so acknowledgements
/// still follow durability, while the database sees one commit per batch instead of one per
/// report. A batch is written when it reaches `maximumBatch` positions or `maximumDelay` after
/// its first position. Past `maximumPending` positions queued, callers wait their turn in order,
/// parked without a task or a timer: when ingest is offered more than the database takes, the
/// waiting costs nothing (callers that polled for room took Swift's thread pool from every other
/// task of the process; BENCHMARKS.md, "2026-12-05"). What waits stays bounded by its callers: a
/// terminal's session offers one report at a time and waits for its answer.
public final class GroupCommit: PositionSink, Service {
    private struct Waiting {
        var positions: [PositionRecord]
        var whenDurable: @Sendable (Result<Void, any Error>) -> Void
    }

    private struct State {
        var queue: [Waiting] = []
        var queued = 0
        /// Callers that found the queue full, in the order they came; `parkedPositions` in all.
        var parked: [Waiting] = []
        var parkedPositions = 0
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
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            enqueue(positions) { continuation.resume(with: $0) }
        }
    }

    /// Queues the positions without a task or a continuation: how the gateway's sessions store
    /// (BENCHMARKS.md, "Load").
    public func store(_ positions: [PositionRecord], whenDurable: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        guard !positions.isEmpty else { return whenDurable(.success(())) }
        enqueue(positions, whenDurable)
    }

    private func enqueue(_ positions: [PositionRecord], _ whenDurable: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        let started = ContinuousClock.now
        let done: @Sendable (Result<Void, any Error>) -> Void = { result in
            IngestMetrics.durableLatency.recordNanoseconds(Int64((ContinuousClock.now - started) / .nanoseconds(1)))
            whenDurable(result)
        }
        let (accepted, wake) = state.withLock { s -> (Bool, CheckedContinuation<Void, Never>?) in
            guard !s.stopped else { return (false, nil) }
            let waiting = Waiting(positions: positions, whenDurable: done)
            // Behind those parked already, whatever room there is: callers keep their order.
            if s.queued >= maximumPending || !s.parked.isEmpty {
                s.parked.append(waiting)
                s.parkedPositions += positions.count
            } else {
                s.queue.append(waiting)
                s.queued += positions.count
            }
            IngestMetrics.queueDepth.record(s.queued + s.parkedPositions)
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
                // `removeFirst` a caller would move the whole backlog each time. Parked callers
                // move up only as batches leave, so this is where the queue makes room for them.
                let (taken, count) = Self.prefix(of: s.queue, fitting: maximumBatch, atLeastOne: true)
                let batch = Array(s.queue.prefix(taken))
                s.queue.removeFirst(taken)
                s.queued -= count
                Self.unpark(&s, maximumPending: maximumPending)
                IngestMetrics.queueDepth.record(s.queued + s.parkedPositions)
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

    /// Moves parked callers to the queue, first come first, while it has room (at least one when
    /// it is empty, however many positions that one brings).
    private static func unpark(_ s: inout State, maximumPending: Int) {
        let (moved, count) = prefix(of: s.parked, fitting: maximumPending - s.queued, atLeastOne: s.queued == 0)
        guard moved > 0 else { return }
        s.queue += s.parked.prefix(moved)
        s.parked.removeFirst(moved)
        s.queued += count
        s.parkedPositions -= count
    }

    /// How many callers from the front of `callers` bring at most `room` positions together,
    /// and how many positions they bring; the first one whatever it brings when `atLeastOne`.
    private static func prefix(of callers: [Waiting], fitting room: Int, atLeastOne: Bool) -> (callers: Int, positions: Int) {
        var taken = 0
        var count = 0
        while taken < callers.count, (atLeastOne && taken == 0) || count + callers[taken].positions.count <= room {
            count += callers[taken].positions.count
            taken += 1
        }
        return (taken, count)
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
