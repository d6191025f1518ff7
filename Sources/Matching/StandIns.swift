import Domain

extension VehicleClass {
    /// Its position in `allCases`.
    var index: Int {
        switch self {
        case .sedan: 0
        case .suv: 1
        case .van: 2
        }
    }
}

extension Vehicle {
    /// The other half of a crew when only a driver's file is judged: its facts are never read.
    static let standIn = Vehicle(id: 0, plate: "", vehicleClass: .sedan, seats: 5, policies: [], inspections: [])
}

extension Driver {
    /// The other half of a crew when only a vehicle's file is judged: its facts are never read.
    static let standIn = Driver(id: 0, name: "", birthDate: 0, serviceSince: 0, licenceExpiry: 0)
}
