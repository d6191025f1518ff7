import Gateway
import Testing

/// Failed registrations and authentications per phone and per address: time is an argument.
@Suite struct AttemptLimiterTests {
    let t0 = ContinuousClock.now
    let limits = AttemptLimits(failuresPerPhone: 3, failuresPerAddress: 5, window: .seconds(600), maximumKeys: 100)

    @Test func aPhoneIsBlockedForAddressesThatFailedButNotForAGenuineTerminalsCleanAddress() {
        let limiter = AttemptLimiter<ContinuousClock.Instant>(limits: limits)
        for _ in 0..<3 { limiter.recordFailure(phone: "013900000001", address: "203.0.113.9", now: t0) }
        #expect(limiter.isBlocked(phone: "013900000001", address: "203.0.113.9", now: t0))
        // The stranger's failures do not lock the genuine terminal out from its own address.
        #expect(!limiter.isBlocked(phone: "013900000001", address: "198.51.100.7", now: t0))
        // Other phones from the stranger's address are still allowed (below the address limit).
        #expect(!limiter.isBlocked(phone: "013900000002", address: "203.0.113.9", now: t0))
    }

    @Test func anAddressIsBlockedAfterItsFailuresWhateverThePhone() {
        let limiter = AttemptLimiter<ContinuousClock.Instant>(limits: limits)
        for i in 0..<5 { limiter.recordFailure(phone: "01390000000\(i)", address: "203.0.113.9", now: t0) }
        #expect(limiter.isBlocked(phone: "013912345678", address: "203.0.113.9", now: t0))
        #expect(limiter.isBlocked(phone: nil, address: "203.0.113.9", now: t0))
        #expect(!limiter.isBlocked(phone: "013912345678", address: "198.51.100.7", now: t0))
    }

    @Test func failuresAreForgottenAfterTheWindow() {
        let limiter = AttemptLimiter<ContinuousClock.Instant>(limits: limits)
        for _ in 0..<5 { limiter.recordFailure(phone: "013900000001", address: "203.0.113.9", now: t0) }
        #expect(limiter.isBlocked(phone: nil, address: "203.0.113.9", now: t0.advanced(by: .seconds(599))))
        #expect(!limiter.isBlocked(phone: "013900000001", address: "203.0.113.9", now: t0.advanced(by: .seconds(600))))
        // A failure after the window starts a new count.
        limiter.recordFailure(phone: "013900000001", address: "203.0.113.9", now: t0.advanced(by: .seconds(601)))
        #expect(!limiter.isBlocked(phone: "013900000001", address: "203.0.113.9", now: t0.advanced(by: .seconds(601))))
    }

    @Test func memoryIsBoundedWhateverTheNumberOfKeys() {
        let limiter = AttemptLimiter<ContinuousClock.Instant>(limits: limits)
        for i in 0..<10_000 { limiter.recordFailure(phone: String(i), address: "addr-\(i)", now: t0) }
        let remembered = limiter.rememberedKeys
        #expect(remembered.phones <= 100 && remembered.addresses <= 100)
        // The newest are the ones kept.
        for _ in 0..<4 { limiter.recordFailure(phone: "9999", address: "addr-9999", now: t0) }
        #expect(limiter.isBlocked(phone: nil, address: "addr-9999", now: t0))
    }
}
