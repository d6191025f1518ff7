import Billing
import Domain
import Foundation
import PostgresNIO
import Store
import Testing

@testable import HTTPAPI

/// The document is checked against the Swift types it describes: every request body's schema
/// says, property by property, what its type reads (names, required or optional, kinds, the
/// enumerations' cases), and schemathesis checks the answers against it in the test command.
@Suite struct OpenAPIDocumentTests {
    @Test func everyBodySchemaSaysWhatItsSwiftTypeReads() {
        for (name, type) in OpenAPIDocument.bodyTypes.sorted(by: { $0.key < $1.key }) {
            let found = OpenAPIDocument.mismatches(name, type)
            #expect(found.isEmpty, "\(name): \(found.joined(separator: "; "))")
        }
    }

    @Test func everyRouteWithABodyNamesATypedSchema() throws {
        // The routes are listed without a database: the client is never run.
        let url = try DatabaseURL("postgresql://nobody@127.0.0.1/none")
        let api = FleetAPITests.api(PostgresClient(configuration: try url.clientConfiguration()), url)
        for endpoint in api.endpoints {
            guard let body = endpoint.body, OpenAPIDocument.binaryBodies[body] == nil else { continue }
            #expect(OpenAPIDocument.bodyTypes[body] != nil, "\(endpoint.method) \(endpoint.path): its body \(body) has no Swift type on record")
        }
    }

    /// What a type never reads (an id the server assigns) is read-only in the document.
    @Test func whatTheServerAssignsIsReadOnly() throws {
        let driver = OpenAPIDocument.objectSchema("DriverFile", OpenAPIDocument.schemas["DriverFile"]!)
        let properties = try #require(driver["properties"] as? [String: [String: Any]])
        #expect(properties["id"]?["readOnly"] as? Bool == true && properties["vehicleID"]?["readOnly"] as? Bool == true)
        #expect(properties["name"]?["readOnly"] == nil)
    }

    /// The reflection itself: it finds what a type reads, and the check finds a drift.
    @Test func theCheckFindsAPropertyTheSchemaLacksAndCasesThatDrifted() throws {
        struct Drifted: Decodable {
            var passengers: Int
            var vehicleClass: VehicleClass
            var note: String?
            var waypoints: [Place]
        }
        let shape = try TypeShape.reading(Drifted.self).get()
        guard case .object(let read) = shape else { Issue.record("\(shape)"); return }
        #expect(read["note"]?.optional == true && read["passengers"] == .init(shape: .integer, optional: false))
        #expect(read["vehicleClass"]?.shape == .oneOf(VehicleClass.allCases.map(\.rawValue)))
        #expect(read["waypoints"]?.shape == .array(try TypeShape.reading(Place.self).get()))
        let found = OpenAPIDocument.mismatches(shape, .reference("BookingRequest"), at: "Drifted")
        #expect(
            found.contains("Drifted.waypoints: read but not in the schema") && found.contains("Drifted.pickup: required in the schema but never read"),
            "\(found)")
        // One of two keys (a count of incidents, or else a rate) is found as two optional ones.
        guard case .object(let observation) = try TypeShape.reading(Observation.self).get() else { return }
        #expect(observation["incidents"]?.optional == true && observation["rate"]?.optional == true)
        let cases = OpenAPIDocument.mismatches(.oneOf(["sedan", "limousine"]), FieldType("sedan|suv|van"), at: "vehicleClass")
        #expect(cases == ["vehicleClass: the cases are sedan|limousine"])
    }
}
