import Foundation
import Messaging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// The demo's SMS provider: a webhook on this machine that checks each request's signature,
/// prints the message it carries on one line and answers as a provider does (README,
/// "Notices"), so that `fleetd demo` shows its notices going out by text message through the
/// same client a real provider gets. Plain HTTP: it never leaves 127.0.0.1.
struct DemoSMSProvider: Service {
    let listener: any Channel
    /// The webhook fleetd sends to: this provider's address and its secret for the run.
    let webhook: SMSWebhook.Configuration

    static func start() async throws -> DemoSMSProvider {
        var random = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &random)) }.joined()
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(secret: secret))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let url = URL(string: "http://127.0.0.1:\(listener.localAddress?.port ?? 0)/sms")!
        return DemoSMSProvider(listener: listener, webhook: SMSWebhook.Configuration(url: url, secret: secret, signName: "宁波公务用车"))
    }

    func run() async throws {
        try? await gracefulShutdown()
        try? await listener.close()
    }

    /// One request per connection, as fleetd's client makes them.
    final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let secret: String
        var head: HTTPRequestHead?
        var body = ByteBuffer()

        init(secret: String) { self.secret = secret }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): (self.head, body) = (head, ByteBuffer())
            case .body(var chunk):
                guard body.readableBytes + chunk.readableBytes <= 64 * 1024 else { return context.close(promise: nil) }
                body.writeBuffer(&chunk)
            case .end: answer(context)
            }
        }

        func answer(_ context: ChannelHandlerContext) {
            let data = Data(body.readableBytesView), headers = head?.headers ?? [:]
            let signed = SMSWebhook.verify(
                secret: secret, timestamp: headers.first(name: "X-Timestamp") ?? "", nonce: headers.first(name: "X-Nonce") ?? "",
                signature: headers.first(name: "X-Signature") ?? "", body: data)
            let (status, json): (HTTPResponseStatus, String)
            if signed, let sent = try? JSONDecoder().decode([String: String].self, from: data) {
                let text = (sent["content"] ?? "").replacingOccurrences(of: "\n", with: " ")
                print("SMS to \(sent["phone"] ?? "?"): 【\(sent["sign"] ?? "")】\(text)")
                (status, json) = (.ok, #"{"code":"OK","bizId":"demo-\#(sent["outId"] ?? "")"}"#)
            } else {
                (status, json) = (.unauthorized, #"{"code":"isv.SIGNATURE_INVALID","message":"the signature does not match the body"}"#)
            }
            let answer = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", "\(json.utf8.count)"), ("Connection", "close")])
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: answer))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: json)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            context.close(promise: nil)
        }
    }
}
