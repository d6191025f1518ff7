import Domain
import Foundation

/// Complete, valid files for a demo fleet (the demo and tests provision with it): every policy
/// docs/DOMAIN.md asks for, with the minimum covers; this month's and this quarter's inspections
/// passed; a paired driver with three days of pre-duty training. Every tenth vehicle and every
/// seventh driver is a spare, so that the reserve of 10% / 15% exists.
public enum SampleFiles {
    /// Files the vehicle of `plate` (the `index`-th of the fleet), its driver, and pairs them.
    @discardableResult
    public static func provision(plate: String, index: Int, files: FleetFiles, now: Date) async throws -> (vehicleID: Int64, driverID: Int64) {
        let classes: [VehicleClass] = [.sedan, .sedan, .suv, .sedan, .van]
        var vehicle = VehicleFile(plate: plate, vehicleClass: classes[index % classes.count], seats: [5, 5, 7, 5, 9][index % 5])
        (vehicle.brand, vehicle.model) = index % 2 == 0 ? ("BYD", "Han EV") : ("GAC Aion", "S")
        vehicle.vin = "LGXC" + String(1_000_000_000_000 + index)
        vehicle.registrationDate = CivilDate(year: 2024, month: 3, day: 1 + index % 28)
        vehicle.reserve = index % 10 == 9
        let saved = try await files.saveVehicle(vehicle)
        guard let vehicleID = saved.id else { throw NoSuchRecord() }
        let year: TimeInterval = 365 * 86_400
        for (kind, amount) in [
            (InsurancePolicy.Kind.compulsoryTraffic, Int64(20_000_000)), (.thirdPartyLiability, 100_000_000), (.vehicleDamage, 25_000_000),
            (.seat, 50_000_000), (.carrierLiability, 100_000_000),
        ] {
            _ = try await files.addPolicy(
                vehicleID: vehicleID,
                InsuranceRecord(
                    kind: kind, insurer: "中国人民财产保险", amountFen: amount, startsAt: now.addingTimeInterval(-year / 2), expiresAt: now.addingTimeInterval(year / 2)
                ))
        }
        _ = try await files.addInspection(
            vehicleID: vehicleID, InspectionRecord(kind: .monthly, inspectedAt: now.addingTimeInterval(-5 * 86_400), passed: true))
        _ = try await files.addInspection(
            vehicleID: vehicleID, InspectionRecord(kind: .quarterly, inspectedAt: now.addingTimeInterval(-20 * 86_400), passed: true))
        let surnames = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"]
        var driver = DriverFile(
            name: surnames[index % surnames.count] + "师傅\(index + 1)", phone: "1390574" + String(format: "%04d", index),
            birthDate: CivilDate(year: 1975 + index % 20, month: 1 + index % 12, day: 1 + index % 28)!,
            serviceSince: CivilDate(year: 2010 + index % 10, month: 6, day: 1)!,
            licenceNumber: "330203" + String(format: "%012d", index), licenceClasses: ["C1"], licenceExpiry: CivilDate(year: 2032, month: 12, day: 31)!
        )
        driver.reserve = index % 7 == 6
        let savedDriver = try await files.saveDriver(driver)
        guard let driverID = savedDriver.id else { throw NoSuchRecord() }
        _ = try await files.addTraining(
            driverID: driverID, TrainingRecord(kind: .preDuty, heldOn: CivilDate(year: 2024, month: 1, day: 8)!, days: 3, passed: true))
        try await files.pair(vehicleID: vehicleID, driverID: driverID)
        return (vehicleID, driverID)
    }
}
