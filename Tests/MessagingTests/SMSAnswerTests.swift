import Domain
import Foundation
import Testing

@testable import Messaging

/// The provider's answers read as the README says: delivered, refused for good, or not yet.
struct SMSAnswerTests {
    func outcome(_ status: Int, _ body: String) -> Result<String?, any Error> {
        Result { try SMSWebhook.outcome(status: status, body: Data(body.utf8)) }
    }

    @Test func answers() throws {
        #expect(try outcome(200, #"{"code":"OK","bizId":"900619746936498440^0"}"#).get() == "900619746936498440^0")
        #expect(throws: NoticeRefused.self) { try outcome(200, #"{"code":"isv.MOBILE_NUMBER_ILLEGAL","message":"非法手机号"}"#).get() }
        #expect(throws: NoticeRefused.self) { try outcome(401, #"{"code":"isv.SIGNATURE_INVALID"}"#).get() }
        #expect(throws: NoticeRefused.self) { try outcome(404, "not found").get() }
        for (status, body) in [
            (200, #"{"code":"isp.SYSTEM_ERROR"}"#), (200, #"{"code":"isv.BUSINESS_LIMIT_CONTROL"}"#), (200, "<html>"), (429, ""), (503, "busy"), (408, ""),
        ] {
            #expect(throws: SMSWebhook.NotYet.self, "\(status) \(body)") { try outcome(status, body).get() }
        }
    }

    @Test func signatures() {
        let body = Data(#"{"content":"测试","outId":"1","phone":"13857400000","sign":"宁波公务用车"}"#.utf8)
        let signature = SMSWebhook.signature(secret: "secret", timestamp: "1795392000", nonce: "00ff", body: body)
        #expect(signature.count == 64 && signature == signature.lowercased())
        #expect(SMSWebhook.verify(secret: "secret", timestamp: "1795392000", nonce: "00ff", signature: signature, body: body))
        #expect(!SMSWebhook.verify(secret: "secret", timestamp: "1795392001", nonce: "00ff", signature: signature, body: body))
        #expect(!SMSWebhook.verify(secret: "other", timestamp: "1795392000", nonce: "00ff", signature: signature, body: body))
        var tampered = body
        tampered[tampered.startIndex + 3] ^= 1
        #expect(!SMSWebhook.verify(secret: "secret", timestamp: "1795392000", nonce: "00ff", signature: signature, body: tampered))
    }

    @Test func webhookURLs() {
        #expect(throws: (any Error).self) {
            try SMSWebhook(.init(url: URL(string: "ftp://sms.example.cn/send")!, secret: "s", signName: "n"), clock: SystemClock())
        }
        #expect(throws: Never.self) {
            try SMSWebhook(.init(url: URL(string: "https://sms.example.cn/send?v=2")!, secret: "s", signName: "n"), clock: SystemClock())
        }
    }
}
