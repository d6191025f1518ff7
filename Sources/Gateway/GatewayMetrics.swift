import JT808
import Metrics
import Synchronization

/// The gateway's metrics, through swift-metrics (the server exports them for Prometheus).
enum GatewayMetrics {
    static let connections = Meter(label: "fleet_gateway_connections")
    static let refusedConnections = Counter(label: "fleet_gateway_refused_connections_total")
    static let positionsAcknowledged = Counter(label: "fleet_gateway_positions_acknowledged_total")
    /// Messages dropped unanswered because they came before authentication.
    static let droppedBeforeAuthentication = Counter(label: "fleet_gateway_dropped_unauthenticated_total")
    /// Sub-packaged messages in progress evicted for the per-terminal or the global byte budget.
    static let subpackagesEvicted = Counter(label: "fleet_gateway_subpackage_evictions_total")
    /// Parts refused because the global budget was full and their terminal had nothing to evict.
    static let subpackagePartsRefused = Counter(label: "fleet_gateway_subpackage_parts_refused_total")
    /// Reports dated more than the allowed lead ahead of the server's clock (quarantined by the
    /// store, never events).
    static let reportsAheadOfClock = Counter(label: "fleet_gateway_reports_ahead_of_clock_total")

    /// Counters of frames by message id, made once each: making a counter looks it up in the
    /// registry, too slow for every frame. At most 256 ids get their own (a terminal sending every
    /// id there is must not grow the metrics without bound); the others count as "other".
    private static let frames = Mutex<[UInt16: Counter]>([:])
    private static let otherFrames = Counter(label: "fleet_gateway_frames_total", dimensions: [("msg_id", "other")])

    static func frame(_ messageID: UInt16) {
        let counter = frames.withLock { counters -> Counter in
            if let counter = counters[messageID] { return counter }
            guard counters.count < 256 else { return otherFrames }
            let counter = Counter(label: "fleet_gateway_frames_total", dimensions: [("msg_id", FrameJSON.messageID(messageID))])
            counters[messageID] = counter
            return counter
        }
        counter.increment()
    }

    static func invalidFrame(_ error: JT808Error) {
        Counter(label: "fleet_gateway_decode_errors_total", dimensions: [("code", error.code.description)]).increment()
    }

    /// A refused registration or authentication, by reason (`registration_4`: no such terminal, …).
    static func refused(_ reason: String) {
        Counter(label: "fleet_gateway_refused_attempts_total", dimensions: [("reason", reason)]).increment()
    }

    static func closed(_ reason: String) {
        Counter(label: "fleet_gateway_closed_connections_total", dimensions: [("reason", reason)]).increment()
    }
}

/// Group commit's metrics.
enum IngestMetrics {
    static let batchSize = Recorder(label: "fleet_ingest_batch_positions")
    static let queueDepth = Gauge(label: "fleet_ingest_queue_positions")
    static let written = Counter(label: "fleet_ingest_positions_written_total")
    static let failedBatches = Counter(label: "fleet_ingest_failed_batches_total")
    /// From a report handed to the group commit to its batch committed: the wait before the ack.
    static let durableLatency = Timer(label: "fleet_ingest_durable_latency")
}
