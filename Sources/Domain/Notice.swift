import Foundation

/// A message a booking's change owes the people it concerns (docs/DOMAIN.md, "A trip", step 4:
/// the agency told the crew within 5 minutes of the match, the job sent to the driver): what
/// happened, to whom, by which channel, in Chinese with the plate, the driver's name and phone,
/// the pick-up time (China time) and place. Written to the outbox with the change that owes it.
public struct Notice: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// The booking's first crew: the agency's notice of it stops the notify clock.
        case matched
        /// Another crew than the one told before (an override, a replacement); its agency's
        /// notice notifies the booking again.
        case crewChanged
        case driverOnSite
        case delayAtRisk
        /// The trip is over: the agency checks and signs its settlement sheet.
        case tripCompleted

        /// Whether the agency's delivered notice of this kind is the booking's `notified`.
        public var notifiesMatch: Bool { self == .matched || self == .crewChanged }
    }

    /// Who is told: the contact the agency named in its booking, or the driver.
    public struct Recipient: Sendable, Hashable {
        public enum Role: String, Sendable, Hashable, Codable { case agency, driver }
        public var role: Role
        public var name: String
        public var phone: String
        /// The address an e-mail notice goes to: the booking's contact e-mail.
        public var email: String?
        public init(role: Role, name: String, phone: String, email: String? = nil) {
            (self.role, self.name, self.phone, self.email) = (role, name, phone, email)
        }
    }

    /// How it goes: a text message through the SMS provider, the live stream of the agency's
    /// users (the channel of a server with no provider configured), or an e-mail over SMTP to a
    /// contact who gave an address (beside the other, when SMTP is configured).
    public enum Channel: String, Sendable, Hashable, Codable, CaseIterable { case sms, live, email }

    public var kind: Kind
    public var recipient: Recipient
    public var channel: Channel
    public var text: String

    public init(kind: Kind, recipient: Recipient, channel: Channel, text: String) {
        (self.kind, self.recipient, self.channel, self.text) = (kind, recipient, channel, text)
    }
}

/// What the texts of a booking's notices say: its request and its crew as they stand.
public struct NoticeFacts: Sendable, Hashable {
    public var bookingID: Int64
    public var contactName: String
    public var contactPhone: String
    public var pickupTime: Int64
    public var pickupAddress: String
    public var destinationAddress: String
    public var plate: String
    public var driverName: String
    public var driverPhone: String

    public init(
        bookingID: Int64, contactName: String, contactPhone: String, pickupTime: Int64, pickupAddress: String, destinationAddress: String, plate: String,
        driverName: String, driverPhone: String
    ) {
        (self.bookingID, self.contactName, self.contactPhone, self.pickupTime, self.pickupAddress, self.destinationAddress) = (
            bookingID, contactName, contactPhone, pickupTime, pickupAddress, destinationAddress
        )
        (self.plate, self.driverName, self.driverPhone) = (plate, driverName, driverPhone)
    }

    /// The contact's e-mail address, if the booking gave one: the e-mail notices' recipient.
    public var contactEmail: String?

    /// The pick-up as people read it: `12月3日 14:30`, China time.
    public var pickup: String {
        let time = ChinaTime(pickupTime)
        return "\(time.day.month)月\(time.day.day)日 \(time.clock)"
    }
}

extension Notice {
    /// The notices a booking's `kind` of change owes, each on `channel`. The driver is told only
    /// of a job (matched, crew changed) and only by text message: the live stream reaches the
    /// agency's and the operator's users, and the driver sees the job in their list anyway.
    /// By e-mail, the agency alone, and only to a contact who gave an address.
    public static func owed(_ kind: Kind, _ facts: NoticeFacts, channel: Channel) -> [Notice] {
        guard channel != .email || facts.contactEmail != nil else { return [] }
        let agency = Recipient(role: .agency, name: facts.contactName, phone: facts.contactPhone, email: facts.contactEmail)
        let driver = Recipient(role: .driver, name: facts.driverName, phone: facts.driverPhone)
        let f = facts
        let crew = "车牌\(f.plate)，驾驶员\(f.driverName)，电话\(f.driverPhone)"
        let job = "\(f.pickup)在\(f.pickupAddress)接\(f.contactName)（电话\(f.contactPhone)），送往\(f.destinationAddress)"
        var notices: [Notice] = []
        func tell(_ recipient: Recipient, _ text: String) { notices.append(Notice(kind: kind, recipient: recipient, channel: channel, text: text)) }
        switch kind {
        case .matched:
            tell(agency, "您的用车（订单\(f.bookingID)）已派车：\(crew)，将于\(f.pickup)到\(f.pickupAddress)接您。")
            if channel == .sms { tell(driver, "新任务（订单\(f.bookingID)）：\(job)。请提前10分钟到达。") }
        case .crewChanged:
            tell(agency, "您的用车（订单\(f.bookingID)）已改派：\(crew)，将于\(f.pickup)到\(f.pickupAddress)接您。")
            if channel == .sms { tell(driver, "新任务（订单\(f.bookingID)，改派）：\(job)。请尽快出发。") }
        case .driverOnSite:
            tell(agency, "驾驶员\(f.driverName)（\(f.plate)，电话\(f.driverPhone)）已到达\(f.pickupAddress)，等候您上车（订单\(f.bookingID)）。")
        case .delayAtRisk:
            tell(agency, "您的用车（订单\(f.bookingID)，\(crew)）可能晚于\(f.pickup)到达\(f.pickupAddress)，调度正在处理，如有需要请联系驾驶员。")
        case .tripCompleted:
            tell(agency, "您的行程（订单\(f.bookingID)，\(f.plate)）已结束，请登录平台核对用车时间、里程及费用，并签署结算单。")
        }
        return notices
    }

    /// A title for the notice, as an e-mail's subject says it: `公务用车通知：已派车（订单12）`.
    public func subject(bookingID: Int64) -> String {
        let title =
            switch kind {
            case .matched: "已派车"
            case .crewChanged: "已改派"
            case .driverOnSite: "驾驶员已到达"
            case .delayAtRisk: "车辆可能晚到"
            case .tripCompleted: "行程结束，请签署结算单"
            }
        return "公务用车通知：\(title)（订单\(bookingID)）"
    }
}

/// E-mail addresses as the booking takes them and the SMTP channel sends to them.
public enum EmailAddress {
    /// The longest address SMTP carries (RFC 5321's path of 256 less its brackets).
    public static let maximumLength = 254

    /// Whether `text` is a plausible address: at most `maximumLength` characters, a local part of
    /// printable ASCII, one `@`, a domain of two labels or more. Never a space, CR, LF or other
    /// control character (an address is written into SMTP commands and headers: no line can be
    /// smuggled into them), nor a character that delimits addresses (`"(),:;<>@[\]`). The
    /// pattern `FieldType`'s `email` checks at the API's door says the same.
    public static func isPlausible(_ text: String) -> Bool {
        func atom(_ scalar: Unicode.Scalar) -> Bool { (0x21...0x7E).contains(scalar.value) && !#""(),:;<>@[\]"#.unicodeScalars.contains(scalar) }
        guard text.unicodeScalars.count <= maximumLength else { return false }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].unicodeScalars.allSatisfy(atom) else { return false }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        return labels.count >= 2 && labels.allSatisfy { !$0.isEmpty && $0.unicodeScalars.allSatisfy(atom) }
    }
}

/// A notice on its way, as the outbox hands it to a channel: `attempts` counts this one.
public struct OutboxMessage: Sendable, Hashable {
    public var id: Int64
    public var bookingID: Int64
    public var agencyID: Int64
    public var notice: Notice
    public var attempts: Int
    public var createdAt: Date

    public init(id: Int64, bookingID: Int64, agencyID: Int64, notice: Notice, attempts: Int, createdAt: Date) {
        (self.id, self.bookingID, self.agencyID, self.notice, self.attempts, self.createdAt) = (id, bookingID, agencyID, notice, attempts, createdAt)
    }
}

/// A channel that carries notices (the SMS provider's webhook, the live stream). `send` returns
/// the channel's confirmation of delivery (the provider's message id, if it gives one), or
/// throws: `NoticeRefused` when the channel refused the message for good, anything else when it
/// may go through later.
public protocol NoticeSender: Sendable {
    var channel: Notice.Channel { get }
    func send(_ message: OutboxMessage) async throws -> String?
}

/// A channel's refusal of a message that trying again will not change (an invalid number, a
/// signature the provider refuses): the message is undeliverable at once.
public struct NoticeRefused: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// When an undelivered message is tried again: after `firstDelay`, doubling, until `attempts`
/// attempts were made; then it is undeliverable.
public struct NoticeRetry: Sendable, Hashable {
    public var firstDelay: Int64
    public var attempts: Int

    public init(firstDelay: Int64 = 30, attempts: Int = 5) { (self.firstDelay, self.attempts) = (firstDelay, attempts) }

    /// Seconds to wait after the `attempt`-th failed attempt (1-based), or nil when none is left.
    /// The doubling stops at a day: no overflow however the attempts are configured.
    public func delay(after attempt: Int) -> Int64? {
        guard attempt < attempts else { return nil }
        let doublings = min(max(attempt - 1, 0), 32)
        let (delay, overflow) = firstDelay.multipliedReportingOverflow(by: Int64(1) << doublings)
        return overflow ? 86_400 : min(delay, 86_400)
    }
}
