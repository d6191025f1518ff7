/// Puts sub-packaged messages back together.
///
/// Parts are keyed by terminal, message id and total: the parts of one real message carry
/// unrelated serial numbers, so the serial alone cannot key them. Memory is bounded (messages in
/// progress, bytes per message, bytes in all); a message whose parts stop arriving is first asked
/// for again with 0x8003, then dropped. Time comes in as an argument, so tests need no clock.
public struct SubpackageAssembler<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration, Instant: Sendable {
    public struct Key: Hashable, Sendable {
        public var phone: TerminalPhone
        public var messageID: UInt16
        public var total: UInt16
    }

    public struct Limits: Sendable {
        public var maximumMessages: Int
        public var maximumMessageBytes: Int
        public var maximumTotalBytes: Int
        /// How long after its latest part a message waits for the rest.
        public var timeout: Duration
        /// How many times missing parts are requested before the message is dropped.
        public var resendAttempts: Int

        public init(
            maximumMessages: Int = 64, maximumMessageBytes: Int = 4 << 20, maximumTotalBytes: Int = 16 << 20, timeout: Duration = .seconds(30),
            resendAttempts: Int = 1
        ) {
            self.maximumMessages = maximumMessages
            self.maximumMessageBytes = maximumMessageBytes
            self.maximumTotalBytes = maximumTotalBytes
            self.timeout = timeout
            self.resendAttempts = resendAttempts
        }
    }

    public enum Outcome: Sendable {
        case incomplete
        /// Every part arrived: the header of the first part (without packet info) and the whole body.
        case complete(MessageHeader, [UInt8])
        case rejected(JT808Error)
    }

    /// What `expire` decided for one message.
    public enum Expiry: Sendable {
        /// Ask the terminal for these parts (send 0x8003 with this body, to `phone`).
        case resend(Key, ResendRequest)
        /// Given up: the parts that never came.
        case dropped(Key, missing: [UInt16])
    }

    private struct Pending: Sendable {
        var header: MessageHeader
        var parts: [UInt16: [UInt8]]
        var bytes: Int
        var deadline: Instant
        var resends: Int
        var firstSerial: UInt16
        /// When its first part came, in arrival order: the oldest is evicted first.
        var sequence: Int
    }

    public let limits: Limits
    private var pending: [Key: Pending] = [:]
    public private(set) var bufferedBytes = 0
    /// Messages in progress evicted to make room for newer parts.
    public private(set) var evictedMessages = 0
    private var nextSequence = 0

    public init(limits: Limits = Limits()) { self.limits = limits }

    public var messagesInProgress: Int { pending.count }

    /// The message a part belongs to; nil for a frame that is not a part.
    public static func key(of header: MessageHeader) -> Key? {
        header.packet.map { Key(phone: header.phone, messageID: header.messageID, total: $0.total) }
    }

    public mutating func add(header: MessageHeader, part: [UInt8], now: Instant) -> Outcome {
        guard let packet = header.packet, packet.total > 0, packet.index >= 1, packet.index <= packet.total else {
            return .rejected(JT808Error(.badField, at: 12, "sub-package index \(header.packet?.index ?? 0) of \(header.packet?.total ?? 0)"))
        }
        let key = Key(phone: header.phone, messageID: header.messageID, total: packet.total)
        if packet.total == 1 {
            var whole = header
            whole.packet = nil
            return .complete(whole, part)
        }
        if pending[key] == nil { nextSequence += 1 }
        var entry =
            pending[key]
            ?? Pending(
                header: header, parts: [:], bytes: 0, deadline: now.advanced(by: limits.timeout), resends: 0, firstSerial: header.serial &- (packet.index &- 1),
                sequence: nextSequence
            )
        if entry.parts[packet.index] == nil {
            guard entry.bytes + part.count <= min(limits.maximumMessageBytes, limits.maximumTotalBytes) else {
                drop(key)
                return .rejected(JT808Error(.frameTooLong, "message 0x\(String(header.messageID, radix: 16)) exceeds \(limits.maximumMessageBytes) bytes"))
            }
            while bufferedBytes + part.count > limits.maximumTotalBytes || (pending[key] == nil && pending.count >= limits.maximumMessages) {
                guard evictOldest(sparing: key) else { break }
            }
            entry.parts[packet.index] = part
            entry.bytes += part.count
            bufferedBytes += part.count
        }
        if packet.index == 1 {
            entry.header = header
            entry.firstSerial = header.serial
        }
        entry.deadline = now.advanced(by: limits.timeout)
        guard entry.parts.count == Int(packet.total) else {
            pending[key] = entry
            return .incomplete
        }
        pending[key] = nil
        bufferedBytes -= entry.bytes
        var body: [UInt8] = []
        body.reserveCapacity(entry.bytes)
        for index in 1...packet.total { body.append(contentsOf: entry.parts[index]!) }
        var whole = entry.header
        whole.packet = nil
        whole.bodyLength = body.count
        return .complete(whole, body)
    }

    /// Messages whose time ran out: the first time, their missing parts are requested again;
    /// after `resendAttempts` requests they are dropped.
    public mutating func expire(now: Instant) -> [Expiry] {
        var out: [Expiry] = []
        for (key, entry) in pending where entry.deadline <= now {
            let missing = (1...key.total).filter { entry.parts[$0] == nil }
            if entry.resends < limits.resendAttempts {
                pending[key]?.resends += 1
                pending[key]?.deadline = now.advanced(by: limits.timeout)
                out.append(.resend(key, ResendRequest(originalSerial: entry.firstSerial, packetIndices: missing)))
            } else {
                drop(key)
                out.append(.dropped(key, missing: missing))
            }
        }
        return out
    }

    /// Drops the message in progress that started first (other than `sparing`, whose part is
    /// being added); false when there is none.
    @discardableResult
    public mutating func evictOldest(sparing: Key? = nil) -> Bool {
        guard let oldest = pending.filter({ $0.key != sparing }).min(by: { $0.value.sequence < $1.value.sequence })?.key else { return false }
        drop(oldest)
        evictedMessages += 1
        return true
    }

    private mutating func drop(_ key: Key) {
        if let entry = pending.removeValue(forKey: key) { bufferedBytes -= entry.bytes }
    }
}
