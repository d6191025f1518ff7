import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One HTTP/1.1 POST on a connection of its own, over TLS for `https`: all a webhook needs, on
/// NIO directly. The answer is bounded (64 KiB) and the whole exchange by `timeout`.
struct HTTPPost: Sendable {
    let host: String
    let port: Int
    /// The path and query the request names.
    let target: String
    let tls: NIOSSLContext?
    let timeout: Duration

    struct Answer: Sendable {
        var status: Int
        var body: ByteBuffer
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static let maximumAnswer = 64 * 1024

    /// `url` must be http or https with a host; `trustRoots` a PEM file of the CAs to trust for
    /// https instead of the system's (a provider on a private CA, the tests' own).
    init(url: URL, trustRoots: String?, timeout: Duration) throws {
        guard let components = URLComponents(url: url, resolvingAgainstBaseURL: false), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else { throw Failure(description: "\(url) is not an http or https URL with a host") }
        self.host = host
        port = components.port ?? (scheme == "https" ? 443 : 80)
        target = (components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath) + (components.percentEncodedQuery.map { "?\($0)" } ?? "")
        if scheme == "https" {
            var configuration = TLSConfiguration.makeClientConfiguration()
            if let trustRoots { configuration.trustRoots = .file(trustRoots) }
            tls = try NIOSSLContext(configuration: configuration)
        } else {
            tls = nil
        }
        self.timeout = timeout
    }

    func send(_ body: [UInt8], headers: [(String, String)]) async throws -> Answer {
        try await within(timeout, "no answer from \(host):\(port)") { try await exchange(body, headers: headers) }
    }

    private func exchange(_ body: [UInt8], headers: [(String, String)]) async throws -> Answer {
        let (host, tls) = (host, tls)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connectTimeout(.seconds(5)).connect(host: host, port: port) {
            channel in
            channel.eventLoop.makeCompletedFuture {
                if let tls {
                    // An address is checked against the certificate's IP names; SNI takes host names only.
                    let name = (try? SocketAddress(ipAddress: host, port: 0)) == nil ? host : nil
                    try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: name))
                }
                try channel.pipeline.syncOperations.addHTTPClientHandlers()
                return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
            }
        }
        return try await channel.executeThenClose { inbound, outbound in
            var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: target)
            head.headers.add(name: "Host", value: port == (tls == nil ? 80 : 443) ? host : "\(host):\(port)")
            head.headers.add(name: "Content-Length", value: "\(body.count)")
            head.headers.add(name: "Connection", value: "close")
            for (name, value) in headers { head.headers.add(name: name, value: value) }
            try await outbound.write(.head(head))
            try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body))))
            try await outbound.write(.end(nil))
            var status: Int?
            var collected = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head(let answer): status = Int(answer.status.code)
                case .body(var chunk):
                    guard collected.readableBytes + chunk.readableBytes <= Self.maximumAnswer else {
                        throw Failure(description: "an answer longer than \(Self.maximumAnswer) bytes")
                    }
                    collected.writeBuffer(&chunk)
                case .end:
                    guard let status else { throw Failure(description: "an answer without a status") }
                    return Answer(status: status, body: collected)
                }
            }
            throw Failure(description: "\(host):\(port) closed the connection before answering")
        }
    }
}
