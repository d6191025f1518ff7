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
    init(_ alarm: TerminalSessionStateMachine.RaisedAlarm, terminal: Int32) {
        self.init(
            terminalID: terminal, kind: alarm.kind, occurredAt: alarm.report.time.epochSeconds,
            latitudeE6: Int32(clamping: alarm.report.latitudeE6), longitudeE6: Int32(clamping: alarm.report.longitudeE6), speed: alarm.report.speed
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
