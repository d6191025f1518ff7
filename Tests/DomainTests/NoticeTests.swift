import Domain
import DomainTestSupport
import Foundation
import Testing

/// What a booking's changes tell whom, and how, in the words the agency and the driver read.
struct NoticeTests {
    static let facts = NoticeFacts(
        bookingID: 12, contactName: "李主任", contactPhone: "13857400000", pickupTime: Fixture.now + 30 * 60, pickupAddress: "天一广场",
        destinationAddress: "栎社国际机场", plate: "浙B12345D", driverName: "张建国", driverPhone: "13900000001")

    @Test func aMatchTellsTheAgencyTheCrewAndTheDriverTheJob() {
        let notices = Notice.owed(.matched, Self.facts, channel: .sms)
        #expect(notices.map(\.recipient.role) == [.agency, .driver])
        #expect(notices.map(\.recipient.phone) == ["13857400000", "13900000001"])
        #expect(notices.allSatisfy { $0.kind == .matched && $0.channel == .sms })
        // 2026-11-23 08:30 China time.
        #expect(notices[0].text == "您的用车（订单12）已派车：车牌浙B12345D，驾驶员张建国，电话13900000001，将于11月23日 08:30到天一广场接您。")
        #expect(notices[1].text == "新任务（订单12）：11月23日 08:30在天一广场接李主任（电话13857400000），送往栎社国际机场。请提前10分钟到达。")
    }

    @Test func theLiveStreamTellsTheAgencyOnly() {
        for kind in Notice.Kind.allCases {
            let notices = Notice.owed(kind, Self.facts, channel: .live)
            #expect(notices.map(\.recipient.role) == [.agency], "\(kind)")
            #expect(notices.allSatisfy { $0.text.contains("12") && $0.text.contains("浙B12345D") }, "\(kind)")
        }
    }

    @Test func eachKindSaysWhatHappened() {
        func agency(_ kind: Notice.Kind) -> String { Notice.owed(kind, Self.facts, channel: .sms)[0].text }
        #expect(agency(.crewChanged).contains("已改派") && agency(.crewChanged).contains("张建国"))
        #expect(agency(.driverOnSite).contains("已到达天一广场") && agency(.driverOnSite).contains("13900000001"))
        #expect(agency(.delayAtRisk).contains("可能晚于11月23日 08:30"))
        #expect(agency(.tripCompleted).contains("签署结算单"))
        #expect(Notice.owed(.driverOnSite, Self.facts, channel: .sms).count == 1)
        #expect(Notice.Kind.allCases.filter(\.notifiesMatch) == [.matched, .crewChanged])
    }

    @Test func byEmailTheContactWhoGaveAnAddressIsTold() {
        #expect(Notice.owed(.matched, Self.facts, channel: .email).isEmpty)
        var facts = Self.facts
        facts.contactEmail = "li@nbfgw.gov.cn"
        for kind in Notice.Kind.allCases {
            let notices = Notice.owed(kind, facts, channel: .email)
            #expect(notices.map(\.recipient.role) == [.agency] && notices.map(\.recipient.email) == ["li@nbfgw.gov.cn"], "\(kind)")
            #expect(notices.first?.subject(bookingID: 12).hasSuffix("（订单12）") == true)
        }
        #expect(Notice.owed(.matched, facts, channel: .email)[0].subject(bookingID: 12) == "公务用车通知：已派车（订单12）")
    }

    /// What SMTP may carry: no space or line break anywhere (a trailing one included), one @, a
    /// dotted domain, ASCII, at most 254 characters.
    @Test func plausibleEmailAddresses() {
        for good in ["li@nbfgw.gov.cn", "li.zhuren+car@nb.cn", "a@b.c", String(repeating: "l", count: 245) + "@nbfgw.cn"] {
            #expect(EmailAddress.isPlausible(good), "\(good)")
        }
        for bad in [
            "", "li", "li@", "@nb.cn", "li@nb", "li@.nb.cn", "li@nb.cn.", "li@nb..cn", "li@zhu@nb.cn", "li zhu@nb.cn", "li@nb.cn\r\n", "li@nb.cn\n",
            "li@nb.cn\r\nRCPT TO:<spy@evil.cn>", "li@nb.cn\tx", "李@nb.cn", "<li@nb.cn>", "li,wang@nb.cn", "li@nb.cn\u{0}",
            String(repeating: "l", count: 246) + "@nbfgw.cn",
        ] {
            #expect(!EmailAddress.isPlausible(bad), "\(bad.debugDescription)")
        }
    }

    @Test func retriesBackOffAndStop() {
        let retry = NoticeRetry(firstDelay: 30, attempts: 5)
        #expect((1...5).map { retry.delay(after: $0) } == [30, 60, 120, 240, nil])
        #expect(NoticeRetry(firstDelay: 30, attempts: 1).delay(after: 1) == nil)
        // However configured, never past a day and never an overflow.
        let wide = NoticeRetry(firstDelay: Int64.max / 2, attempts: 100)
        #expect(wide.delay(after: 1) == 86_400 && wide.delay(after: 99) == 86_400)
    }
}
