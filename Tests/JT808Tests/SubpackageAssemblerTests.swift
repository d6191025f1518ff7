import JT808
import Testing

/// The assembler's bounds: past them the oldest message in progress is evicted for the newest.
@Suite struct SubpackageAssemblerTests {
    let phone = TerminalPhone(digits: "13912345678", version: .v2013)!
    let t0 = ContinuousClock.now

    /// Part `index` of a message of `total` parts with id `id`.
    func part(_ id: UInt16, _ index: UInt16, of total: UInt16) -> MessageHeader {
        var header = MessageHeader(messageID: id, version: .v2013, phone: phone, serial: index)
        header.packet = PacketInfo(total: total, index: index)
        return header
    }

    func incomplete(_ outcome: SubpackageAssembler<ContinuousClock.Instant>.Outcome) -> Bool {
        if case .incomplete = outcome { return true }
        return false
    }

    @Test func pastTheByteBoundTheOldestMessageIsEvicted() {
        var assembler = SubpackageAssembler<ContinuousClock.Instant>(limits: .init(maximumTotalBytes: 250))
        #expect(incomplete(assembler.add(header: part(0x0801, 1, of: 2), part: [UInt8](repeating: 1, count: 100), now: t0)))
        #expect(incomplete(assembler.add(header: part(0x0704, 1, of: 2), part: [UInt8](repeating: 2, count: 100), now: t0)))
        // A third message's part does not fit: the first message (the oldest) goes.
        #expect(incomplete(assembler.add(header: part(0x0104, 1, of: 2), part: [UInt8](repeating: 3, count: 100), now: t0)))
        #expect(assembler.evictedMessages == 1 && assembler.messagesInProgress == 2 && assembler.bufferedBytes == 200)
        // The second completes; the first's last part starts it afresh, incomplete.
        guard case .complete(let header, let body) = assembler.add(header: part(0x0704, 2, of: 2), part: [9], now: t0) else {
            Issue.record("the second message did not complete")
            return
        }
        #expect(header.messageID == 0x0704 && body.count == 101)
        #expect(incomplete(assembler.add(header: part(0x0801, 2, of: 2), part: [9], now: t0)))
    }

    @Test func pastTheMessageBoundTheOldestMessageIsEvicted() {
        var assembler = SubpackageAssembler<ContinuousClock.Instant>(limits: .init(maximumMessages: 2))
        for id: UInt16 in [0x0801, 0x0704, 0x0104] { _ = assembler.add(header: part(id, 1, of: 2), part: [1], now: t0) }
        #expect(assembler.evictedMessages == 1 && assembler.messagesInProgress == 2)
        #expect(assembler.evictOldest() && assembler.evictOldest() && !assembler.evictOldest())
        #expect(assembler.bufferedBytes == 0 && assembler.evictedMessages == 3)
    }

    @Test func aMessageLargerThanTheWholeBudgetIsRejectedWithoutEvictingOthers() {
        var assembler = SubpackageAssembler<ContinuousClock.Instant>(limits: .init(maximumTotalBytes: 150))
        _ = assembler.add(header: part(0x0704, 1, of: 2), part: [UInt8](repeating: 2, count: 100), now: t0)
        guard case .rejected = assembler.add(header: part(0x0801, 1, of: 2), part: [UInt8](repeating: 1, count: 200), now: t0) else {
            Issue.record("not rejected")
            return
        }
        #expect(assembler.evictedMessages == 0 && assembler.bufferedBytes == 100)
    }
}
