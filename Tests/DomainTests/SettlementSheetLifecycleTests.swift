import Domain
import Testing

/// The settlement sheet's lifecycle, written once in Domain: every action from every state.
@Suite struct SettlementSheetLifecycleTests {
    typealias State = SettlementSheet.State

    @Test func everyActionLeadsWhereTheAgreementSaysOrIsRefusedNamingWhatWouldAllowIt() {
        let expected: [SettlementSheet.Action: [State: State]] = [
            .sign: [.issued: .confirmed],
            .dispute: [.issued: .disputed],
            .resolve: [.disputed: .issued, .review: .issued],
            .adjust: [.issued: .issued, .confirmed: .confirmed],
            .invoice: [.confirmed: .confirmed],
        ]
        for action in SettlementSheet.Action.allCases {
            for state in State.allCases {
                do {
                    let next = try state.after(action)
                    #expect(expected[action]?[state] == next, "\(action) from \(state) led to \(next)")
                } catch {
                    #expect(expected[action]?[state] == nil, "\(action) from \(state) was refused")
                    #expect(error.state == state && Set(error.allowed) == Set(expected[action]!.keys))
                }
            }
        }
    }

    @Test func aSignedSheetIsNeverSignedOrDisputedAgainAndAVoidOneTakesNothing() {
        #expect(throws: SettlementSheet.StateConflict.self) { try State.confirmed.after(.sign) }
        #expect(throws: SettlementSheet.StateConflict.self) { try State.confirmed.after(.dispute) }
        for action in SettlementSheet.Action.allCases { #expect(throws: SettlementSheet.StateConflict.self) { try State.void.after(action) } }
        do { _ = try State.disputed.after(.sign) } catch {
            #expect(error.description == "a sheet that is disputed cannot be signed; only one that is issued can")
        }
    }
}
