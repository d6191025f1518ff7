import NIOCore
import Testing

@testable import HTTPAPI

/// Behind HAProxy every request comes from 127.0.0.1: with FLEET_TRUST_PROXY the client is the
/// address the proxy appended to X-Forwarded-For, believed only from loopback and only as an
/// IP address, so that one client's failed sign-ins do not lock out everyone else.
@Suite struct ForwardedClientTests {
    let proxy = try! SocketAddress(ipAddress: "127.0.0.1", port: 40000)

    @Test func theProxysLastValueNamesTheClient() throws {
        #expect(ForwardedClient.client(peer: proxy, forwardedFor: ["203.0.113.7"]) == "203.0.113.7")
        // What a client wrote itself comes first; the proxy's is the last.
        #expect(ForwardedClient.client(peer: proxy, forwardedFor: ["10.9.9.9, 198.51.100.2"]) == "198.51.100.2")
        #expect(ForwardedClient.client(peer: proxy, forwardedFor: ["1.1.1.1", "2001:db8::1"]) == "2001:db8::1")
        #expect(ForwardedClient.client(peer: try SocketAddress(ipAddress: "::1", port: 1), forwardedFor: ["203.0.113.7"]) == "203.0.113.7")
    }

    @Test func onlyLoopbackIsBelievedAndOnlyAnAddress() throws {
        let stranger = try SocketAddress(ipAddress: "203.0.113.9", port: 40000)
        #expect(ForwardedClient.client(peer: stranger, forwardedFor: ["127.0.0.1"]) == nil)
        #expect(ForwardedClient.client(peer: nil, forwardedFor: ["203.0.113.7"]) == nil)
        for bad in ["", "unknown", "203.0.113.7:80", "<script>", "999.1.1.1", String(repeating: "1", count: 100_000)] {
            #expect(ForwardedClient.client(peer: proxy, forwardedFor: [bad]) == nil, "\(bad.prefix(20))")
        }
        #expect(ForwardedClient.client(peer: proxy, forwardedFor: []) == nil)
    }
}
