/// The classes of car the lot offers, by seats (9 and below).
public enum VehicleClass: String, Sendable, Hashable, Codable, CaseIterable {
    /// Saloon, up to 5 seats.
    case sedan
    /// Up to 7 seats.
    case suv
    /// Up to 9 seats (the lot's ceiling).
    case van
}
