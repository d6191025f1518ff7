import Crypto
import Domain
import Foundation
import NIOCore

/// Text messages through an SMS provider reached by an HTTPS webhook, in the JSON shape Chinese
/// SMS gateways share (README, "Notices"): `POST` of
/// `{"content": text, "outId": notice id, "phone": number, "sign": signature name}` (keys
/// sorted, UTF-8), signed with HMAC-SHA256 under the shared secret over
/// `timestamp + "\n" + nonce + "\n" + body`, sent as `X-Timestamp` (Unix seconds), `X-Nonce`
/// and `X-Signature` (lower-case hex). The provider answers `{"code": "OK", "bizId": id}`, or
/// another code with a `message`: `isp.*` (its own fault) and `*LIMIT_CONTROL` (throttled) may
/// pass later, as may a 408, 429 or 5xx or no answer; any other code or 4xx refuses the message
/// for good.
public struct SMSWebhook: NoticeSender {
    public struct Configuration: Sendable, Hashable {
        public var url: URL
        public var secret: String
        /// The signature name the provider prints in brackets before the text (签名).
        public var signName: String
        /// A PEM file of the CAs to trust instead of the system's; nil: the system's.
        public var trustRoots: String?
        public var timeout: Duration

        public init(url: URL, secret: String, signName: String, trustRoots: String? = nil, timeout: Duration = .seconds(10)) {
            (self.url, self.secret, self.signName, self.trustRoots, self.timeout) = (url, secret, signName, trustRoots, timeout)
        }
    }

    public var channel: Notice.Channel { .sms }
    let configuration: Configuration
    let post: HTTPPost
    /// What the requests are timestamped by.
    let clock: any WallClock

    public init(_ configuration: Configuration, clock: any WallClock) throws {
        self.configuration = configuration
        post = try HTTPPost(url: configuration.url, trustRoots: configuration.trustRoots, timeout: configuration.timeout)
        self.clock = clock
    }

    struct Request: Codable {
        var content: String
        var outId: String
        var phone: String
        var sign: String
    }

    struct Answer: Decodable {
        var code: String
        var bizId: String?
        var message: String?
    }

    /// A provider's answer that may be different later.
    struct NotYet: Error, CustomStringConvertible {
        var description: String
    }

    public func send(_ message: OutboxMessage) async throws -> String? {
        let body = try Self.encoder.encode(
            Request(content: message.notice.text, outId: "\(message.id)", phone: message.notice.recipient.phone, sign: configuration.signName))
        let timestamp = "\(clock.now.epochSeconds)"
        var random = SystemRandomNumberGenerator()
        let nonce = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &random)) }.joined()
        let answer = try await post.send(
            Array(body),
            headers: [
                ("Content-Type", "application/json; charset=utf-8"), ("X-Timestamp", timestamp), ("X-Nonce", nonce),
                ("X-Signature", Self.signature(secret: configuration.secret, timestamp: timestamp, nonce: nonce, body: body)),
            ])
        return try Self.outcome(status: answer.status, body: Data(answer.body.readableBytesView))
    }

    /// The provider's message id of an accepted message; throws `NoticeRefused` for a refusal for
    /// good, `NotYet` for one that may pass later.
    static func outcome(status: Int, body: Data) throws -> String? {
        let answer = try? JSONDecoder().decode(Answer.self, from: body)
        let said = answer.map { "\($0.code)\($0.message.map { ": \($0)" } ?? "")" } ?? String(decoding: body.prefix(200), as: UTF8.self)
        switch status {
        case 200..<300:
            guard let answer else { throw NotYet(description: "HTTP \(status) with an answer that is not the provider's JSON: \(said)") }
            if answer.code == "OK" { return answer.bizId }
            if answer.code.hasPrefix("isp.") || answer.code.hasSuffix("LIMIT_CONTROL") { throw NotYet(description: "provider: \(said)") }
            throw NoticeRefused("provider refused: \(said)")
        case 408, 429, 500..<600: throw NotYet(description: "HTTP \(status): \(said)")
        default: throw NoticeRefused("HTTP \(status): \(said)")
        }
    }

    /// The request's signature: HMAC-SHA256 under `secret` of timestamp, nonce and body, in hex.
    public static func signature(secret: String, timestamp: String, nonce: String, body: Data) -> String {
        var signed = Data("\(timestamp)\n\(nonce)\n".utf8)
        signed.append(body)
        let code = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Data(secret.utf8)))
        return code.map { String(format: "%02x", $0) }.joined()
    }

    /// Whether a request's headers sign its body under `secret` (compared in constant time): what
    /// a provider checks, and the demo's and the tests' providers do.
    public static func verify(secret: String, timestamp: String, nonce: String, signature: String, body: Data) -> Bool {
        let expected = Array(Self.signature(secret: secret, timestamp: timestamp, nonce: nonce, body: body).utf8), given = Array(signature.utf8)
        guard expected.count == given.count else { return false }
        return zip(expected, given).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
