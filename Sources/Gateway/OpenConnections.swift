import NIOCore
import Synchronization

/// Open connections, for the per-address limit and for closing them all on shutdown.
final class OpenConnections: Sendable {
    private struct State {
        var perAddress: [String: Int] = [:]
        var channels: [ObjectIdentifier: any Channel] = [:]
    }

    private let state = Mutex(State())
    let limitPerAddress: Int

    init(limitPerAddress: Int) { self.limitPerAddress = limitPerAddress }

    /// Counts a new connection; false (and not counted) when its address is at the limit.
    func open(_ channel: any Channel, from address: String) -> Bool {
        state.withLock { s in
            guard s.perAddress[address, default: 0] < limitPerAddress else { return false }
            s.perAddress[address, default: 0] += 1
            s.channels[ObjectIdentifier(channel)] = channel
            return true
        }
    }

    func close(_ channel: any Channel, from address: String) {
        state.withLock { s in
            let left = s.perAddress[address, default: 1] - 1
            s.perAddress[address] = left > 0 ? left : nil
            s.channels[ObjectIdentifier(channel)] = nil
        }
    }

    /// Closes every open connection; the futures complete when they are closed.
    func closeAll() -> [EventLoopFuture<Void>] {
        state.withLock { Array($0.channels.values) }.map { channel in
            channel.close().recover { _ in }
        }
    }
}
