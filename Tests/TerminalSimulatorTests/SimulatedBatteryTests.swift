import Domain
import DomainTestSupport
import Foundation
import JT808
import Logging
import TerminalSimulator
import TerminalTestSupport
import Testing

/// Issue 17: the demo's cars carry a traction battery, reported through the `huabao-ev` profile:
/// it discharges by the kilometre and recharges parked at the depot.
@Suite struct SimulatedBatteryTests {
    let logger = Logger(label: "simulator-test")

    static let profiles: DeviceProfileCatalog = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let json = try! Data(contentsOf: root.appendingPathComponent("DeviceProfiles/\(SimulatedBattery.deviceProfile).json"))
        return try! DeviceProfileCatalog(files: [(path: SimulatedBattery.deviceProfile, json: json)])
    }()

    @Test func itDischargesByTheKilometreAndChargesOnlyAtTheDepot() {
        var battery = SimulatedBattery(percent: 80)
        // 45 km at 0.2 kWh each: 9 of 90 kWh, 10 %.
        battery.advance(km: 45, seconds: 3600, parkedAtDepot: false)
        #expect(abs(battery.percent - 70) < 1e-9 && !battery.charging)
        // Parked in the street an hour: nothing gained.
        battery.advance(km: 0, seconds: 3600, parkedAtDepot: false)
        #expect(abs(battery.percent - 70) < 1e-9)
        // An hour on the depot's 11 kW wallbox: 11 of 90 kWh.
        battery.advance(km: 0, seconds: 3600, parkedAtDepot: true)
        #expect(abs(battery.percent - (70 + 1100.0 / 90)) < 1e-9 && battery.charging)
        // Never above full, never below empty.
        battery.advance(km: 0, seconds: 10 * 3600, parkedAtDepot: true)
        #expect(battery.percent == 100 && !battery.wantsCharger)
        battery.advance(km: 1000, seconds: 3600, parkedAtDepot: false)
        #expect(battery.percent == 0 && battery.wantsCharger)
    }

    @Test func itsItemsAreWhatTheProfileReads() throws {
        // 57.9 %: whole 57 (0x39); 57.9 % of 450 km is 260 km (0x0104); not charging (3).
        let items = SimulatedBattery(percent: 57.9).items
        #expect(items == [RawExtra(id: 0xFE, bytes: [0x39]), RawExtra(id: 0xE3, bytes: [0x01, 0x04, 0x03])])
        var extras = LocationExtras()
        extras.others = items
        let profile = try #require(Self.profiles[SimulatedBattery.deviceProfile])
        #expect(profile.batteryState(extras) == BatteryState(stateOfChargePercent: 57, rangeKm: 260, charging: false))
    }

    /// A car at 20 % with no job drives back to the depot and reports charging there, read through
    /// its profile by the real gateway over TCP.
    @Test func aLowCarGoesBackToTheDepotAndReportsChargingThroughItsProfile() async throws {
        let phone = TerminalPhone(digits: "013900000042", version: .v2013)!
        var car = SimulatedTerminal(
            phone: phone, plate: KnownTerminals.plate, route: Route(homeLatitude: 29.8683, homeLongitude: 121.5440, radiusKm: 0.02, seed: 42),
            reportInterval: .seconds(1))
        car.battery = SimulatedBattery(percent: 20)
        let lowCar = car
        let registry = KnownTerminals(
            [phone.description: (id: 42, code: "AC-42")], onFile: [phone.description: TerminalOnFile(terminalID: car.terminalID, plate: car.plate)],
            profiles: [phone.description: SimulatedBattery.deviceProfile])
        let sink = RecordingSink(), statistics = SimulationStatistics()
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_305_600))
        try await withGateway(registry: registry, sink: sink, clock: clock, profiles: Self.profiles, logger: logger) { port, _ in
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await lowCar.run(host: "127.0.0.1", port: port, clock: clock, statistics: statistics, logger: logger) }
                for _ in 0..<100 where statistics.snapshot.acknowledged < 5 { try? await Task.sleep(for: .milliseconds(100)) }
                group.cancelAll()
            }
        }
        let charges = await sink.stored.sorted { $0.gnssTime < $1.gnssTime }.map(\.charge)
        #expect(charges.count >= 5 && charges.allSatisfy { $0 != nil }, "\(charges)")
        // Each reading is the report's own, at its GNSS time.
        #expect(await sink.stored.allSatisfy { $0.charge?.at == $0.gnssTime && $0.charge?.source == .terminal })
        // At the depot within a few seconds, charging from there on, and never more than it had.
        #expect(charges.last??.charging == true && charges.compactMap { $0?.percent }.allSatisfy { (19...21).contains($0) }, "\(charges)")
    }
}
