import Testing

@testable import TerminalSimulator

/// A terminal whose server went away waits before it tries again, longer each time, never in
/// step with the others (Traccar's users report fleets reconnecting all at once, #5233).
@Suite struct ReconnectBackOffTests {
    @Test func waitsDoubleUpToAMinuteWithJitterAndStartOverAfterAGoodConnection() {
        var backOff = ReconnectBackOff(seed: 13_900_000_001)
        let ceilings: [Duration] = [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(32), .seconds(60), .seconds(60)]
        for ceiling in ceilings {
            let wait = backOff.next(afterConnectionOf: .milliseconds(10))
            #expect(wait >= ceiling / 2 && wait <= ceiling, "\(wait) for a ceiling of \(ceiling)")
        }
        // A connection that lasted: the next wait is short again.
        #expect(backOff.next(afterConnectionOf: .seconds(31)) <= .seconds(1))
    }

    @Test func terminalsDoNotComeBackInStep() {
        let firstWaits = Set(
            (1...200).map { phone in
                var backOff = ReconnectBackOff(seed: UInt64(13_900_000_000 + phone))
                return backOff.next(afterConnectionOf: .zero)
            })
        #expect(firstWaits.count > 150, "only \(firstWaits.count) different waits among 200 terminals")
    }
}
