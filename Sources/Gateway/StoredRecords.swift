import Domain
import JT808

// What the gateway hands its sinks, made from what the terminals sent.

extension PositionRecord {
    init(_ report: LocationReport, terminal: Int32, backfill: Bool, profile: DeviceProfile?) {
        self.init(
            terminalID: terminal, gnssTime: report.time.epochSeconds,
            latitudeE6: Int32(clamping: report.latitudeE6), longitudeE6: Int32(clamping: report.longitudeE6),
            altitude: report.altitude, speed: report.speed, course: report.course,
            alarm: report.alarm.rawValue, status: report.status.rawValue, mileage: report.extras.mileage, backfill: backfill,
            extras: report.extras.isEmpty ? nil : FrameJSON.extras(report.extras, profile: profile),
            charge: profile?.batteryState(report.extras).flatMap { battery in
                battery.stateOfChargePercent.map {
                    ChargeReading(percent: $0, at: report.time.epochSeconds, rangeKm: battery.rangeKm, charging: battery.charging)
                }
            }
        )
    }
}

extension VehicleEvent {
    init(_ alarm: TerminalSessionStateMachine.AlarmChange, terminal: Int32) {
        self.init(
            terminalID: terminal, kind: alarm.kind, occurredAt: alarm.report.time.epochSeconds,
            latitudeE6: Int32(clamping: alarm.report.latitudeE6), longitudeE6: Int32(clamping: alarm.report.longitudeE6), speed: alarm.report.speed,
            cleared: alarm.cleared, reportSerial: alarm.serial
        )
    }
}

extension MediaRecord {
    init(_ upload: MultimediaUpload, terminal: Int32) {
        self.init(
            terminalID: terminal, mediaID: upload.event.mediaID, kind: upload.event.mediaType, format: upload.event.format,
            event: upload.event.event, channel: upload.event.channel, takenAt: upload.location?.time.epochSeconds,
            latitudeE6: upload.location.map { Int32(clamping: $0.latitudeE6) }, longitudeE6: upload.location.map { Int32(clamping: $0.longitudeE6) },
            data: upload.data
        )
    }
}

extension DriverCardRecord {
    /// `received`: the server's time, for the 2011 layout, which carries none.
    init(_ card: DriverIdentity, terminal: Int32, received: Int64) {
        // PostgreSQL's text takes no NUL: a card's padding inside a field is dropped, not refused.
        func text(_ s: String) -> String? {
            let kept = String(s.unicodeScalars.filter { $0 != "\0" })
            return kept.isEmpty ? nil : kept
        }
        let removed = card.cardStatus == DriverIdentity.CardStatus.removed.rawValue
        self.init(
            terminalID: terminal, status: removed ? .removed : .inserted, occurredAt: card.time?.epochSeconds ?? received,
            readResult: removed ? nil : card.readResult ?? 0, name: text(card.name), certificate: text(card.certificate),
            authority: text(card.authority), validUntil: card.validity.flatMap { CivilDate(year: Int($0.year), month: Int($0.month), day: Int($0.day)) },
            idNumber: card.idNumber.flatMap(text)
        )
        timedByServer = card.time == nil
    }
}
