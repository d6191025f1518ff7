import Dispatching
import Testing

/// The dispatch loop's wake-up: a signal ends the wait at once, however long it was to be; a
/// signal given while no one waits is kept (once) for the next wait.
@Suite(.timeLimit(.minutes(1))) struct RoundTriggerTests {
    @Test func aSignalWakesTheWaitingLoop() async {
        let trigger = RoundTrigger()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await trigger.wait(upTo: .seconds(3600)) }
            // Signalled until the waiter has taken it: before or during its wait, it wakes.
            group.addTask { trigger.signal() }
            await group.waitForAll()
        }
    }

    @Test func aSignalWithNoOneWaitingIsKeptOnce() async {
        let trigger = RoundTrigger()
        trigger.signal()
        trigger.signal()
        await trigger.wait(upTo: .seconds(3600))
        // Both signals were one: the next wait runs to its timeout.
        await trigger.wait(upTo: .milliseconds(10))
    }
}
