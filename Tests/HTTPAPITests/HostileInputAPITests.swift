import Foundation
import HTTPTypes
import Testing

@testable import HTTPAPI

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Extreme values at every field of every route, over real HTTP on real PostgreSQL: each is
/// refused with a 4xx naming the field, and the server is still there afterwards. A Swift
/// overflow trap would kill the whole process (gateway, dispatch and API together), so a 5xx or
/// a dropped connection fails the test.
@Suite struct HostileInputAPITests {
    /// Values no field of the API accepts: beyond every bound it states, or of no JSON type a
    /// field has.
    static let refusedEverywhere: [String] = [
        "-9223372036854775808", "9223372036854775807", "1e308", "-1e308", "18446744073709551616", "\"" + String(repeating: "x", count: 1 << 20) + "\"",
    ]
    /// Values some fields accept: whatever comes back, never a 5xx.
    static let edges: [String] = ["0", "-1", "1", "0.5", "true", "null", "\"\"", "[]", "{}", "\"\\u0000\"", "\"=1+1\"", "\"2099-12-31T23:59:59Z\""]

    @Test func everyFieldOfEveryBodyRefusesExtremeValuesAndTheServerLives() async throws {
        try await FleetAPITests.withAPI { base, _, _, api in
            let tokens = try await Self.tokens(base)
            var tried = 0
            for endpoint in api.endpoints {
                // A photo's bytes are refused by their route (BookingAPITests), not by a schema.
                guard let body = endpoint.body, OpenAPIDocument.binaryBodies[body] == nil, let token = Self.token(for: endpoint, tokens) else { continue }
                let path = Self.path(endpoint)
                let example = Self.example(FieldType(body))
                for field in Self.fields(FieldType(body)) {
                    for value in Self.refusedEverywhere {
                        let reply = try await Self.send(base, endpoint, path, token, Self.replacing(field, in: example, with: value))
                        #expect((400..<500).contains(reply.status), "\(endpoint.method) \(path) \(field) = \(value.prefix(30)): \(reply.status)")
                        if reply.status == 400 { #expect(reply.json["field"] as? String == field.joined(separator: "."), "\(endpoint.path) \(field)") }
                        tried += 1
                    }
                    for value in Self.edges {
                        let reply = try await Self.send(base, endpoint, path, token, Self.replacing(field, in: example, with: value))
                        #expect(reply.status < 500, "\(endpoint.method) \(path) \(field) = \(value): \(reply.status)")
                    }
                }
                // Not JSON at all: invalid UTF-8, a NaN, a bare number, a body nested past reason.
                for junk in [Data([0xff, 0xfe, 0x7b]), Data("{\"a\": NaN}".utf8), Data("Infinity".utf8), Data(String(repeating: "[", count: 100_000).utf8)] {
                    let reply = try await Self.send(base, endpoint, path, token, junk)
                    #expect(reply.status == 400, "\(endpoint.method) \(path) junk: \(reply.status)")
                }
            }
            #expect(tried > 500)
            #expect(try await FleetAPITests.call(base, "GET", "/api/v1/me", token: tokens["administrator"]).status == 200)
        }
    }

    @Test func everyPathAndQueryParameterRefusesExtremeValues() async throws {
        try await FleetAPITests.withAPI { base, _, _, api in
            let tokens = try await Self.tokens(base)
            let hostile = [
                "9223372036854775808", "-9223372036854775808", "0", "-1", "NaN", "inf", "1e400", String(repeating: "9", count: 4000), "%00", "%FF%FE",
            ]
            for endpoint in api.endpoints {
                guard let token = Self.token(for: endpoint, tokens) else { continue }
                let example = endpoint.body.map {
                    OpenAPIDocument.binaryBodies[$0] == nil ? Data(Self.render(Self.example(FieldType($0))).utf8) : Data([0xFF, 0xD8, 0xFF, 0xE0])
                }
                for parameter in endpoint.pathParameters {
                    // A plate is any text up to 16 characters: "0" may well be one.
                    let free = OpenAPIDocument.pathParameterType(parameter) == FieldType("string(1...16)")
                    for value in hostile {
                        let path = Self.path(endpoint, overriding: [parameter: value])
                        let reply = try await Self.send(base, endpoint, path, token, example)
                        let refused = free && value.count <= 16 ? reply.status < 500 : (400..<500).contains(reply.status)
                        #expect(refused, "\(endpoint.method) \(path.prefix(120)): \(reply.status)")
                    }
                }
                for parameter in endpoint.query where FieldType(parameter.type) != FieldType("string(1...200)") {
                    for value in hostile {
                        let path = Self.path(endpoint) + "?\(parameter.name)=\(value)"
                        let reply = try await Self.send(base, endpoint, path, token, example)
                        #expect((400..<500).contains(reply.status), "\(endpoint.method) \(path.prefix(120)): \(reply.status)")
                    }
                }
            }
            #expect(try await FleetAPITests.call(base, "GET", "/api/v1/me", token: tokens["administrator"]).status == 200)
        }
    }

    /// What a client may send is bounded in the document itself: every number of every body and
    /// parameter has a range, every text a length.
    @Test func everyRequestTypeIsBoundedInTheDocument() async throws {
        try await FleetAPITests.withAPI { _, _, _, api in
            for endpoint in api.endpoints {
                // A photo's bytes are bounded by its route (5 MB), not by a schema.
                if let body = endpoint.body, OpenAPIDocument.binaryBodies[body] == nil {
                    let bounded = FieldType(body).isBounded(in: OpenAPIDocument.schemas)
                    #expect(bounded, "\(endpoint.path) body \(body)")
                }
                for parameter in endpoint.query { #expect(FieldType(parameter.type).isBounded(in: [:]), "\(endpoint.path) ?\(parameter.name)") }
                for name in endpoint.pathParameters { #expect(OpenAPIDocument.pathParameterType(name).isBounded(in: [:]), "\(endpoint.path) {\(name)}") }
            }
            // And the check would notice: an unbounded integer or text is not.
            #expect(!FieldType("integer").isBounded(in: [:]) && !FieldType("string").isBounded(in: [:]) && !FieldType("[integer]").isBounded(in: [:]))
        }
    }

    /// The attacks that stopped the server on 2026-12-02, one by one.
    @Test func theReportedTrapsAreRefused() async throws {
        try await FleetAPITests.withAPI { base, _, _, _ in
            let tokens = try await Self.tokens(base)
            let dispatcher = tokens["dispatcher"]!
            let adjustment = #"{"detail": "x", "reason": "y", "amountFen": -9223372036854775808}"#
            let adjusted = try await FleetAPITests.call(base, "POST", "/api/v1/settlements/1/adjustments", token: dispatcher, body: adjustment)
            #expect(adjusted.status == 400 && adjusted.json["field"] as? String == "amountFen")
            let thinned = try await FleetAPITests.call(base, "GET", "/api/v1/vehicles/%E6%B5%99B1/track?thin=3000000000", token: dispatcher)
            #expect(thinned.status == 400 && thinned.json["field"] as? String == "thin")
            let finished = try await FleetAPITests.call(base, "POST", "/api/v1/vehicles/%E6%B5%99B1/maintenance/1/finish", token: dispatcher, body: "junk")
            #expect(finished.status == 400)
            let completion = #"{"state": "completed", "completion": {"tollsFen": 9223372036854775807, "parkingFen": 1, "receipts": ["r"]}}"#
            let completed = try await FleetAPITests.call(base, "POST", "/api/v1/bookings/1/progress", token: tokens["driver"], body: completion)
            #expect((400..<500).contains(completed.status))
            let incident = #"{"itemID": "complaints", "count": -9223372036854775808, "reason": "x"}"#
            let counted = try await FleetAPITests.call(base, "POST", "/api/v1/assessments/2026-11/incidents", token: tokens["administrator"], body: incident)
            #expect(counted.status == 400 && counted.json["field"] as? String == "count")
            // Found by schemathesis: a repair finished before it started was a 500 (the row's CHECK).
            let plate = "/api/v1/vehicles/%E6%B5%99B7"
            let filed = try await FleetAPITests.call(
                base, "POST", "/api/v1/vehicles", token: dispatcher, body: #"{"plate": "浙B7", "vehicleClass": "sedan", "seats": 5}"#)
            #expect(filed.status == 201)
            let repair = try await FleetAPITests.call(
                base, "POST", plate + "/maintenance", token: dispatcher,
                body: #"{"kind": "repair", "startedAt": "2026-11-22T08:00:00+08:00", "description": "brakes"}"#)
            let repairID = try #require(repair.json["id"] as? Int)
            let early = try await FleetAPITests.call(
                base, "POST", plate + "/maintenance/\(repairID)/finish", token: dispatcher, body: #"{"finishedAt": "1925-07-31T16:00:00Z"}"#)
            #expect(early.status == 400 && early.json["field"] as? String == "finishedAt", "\(early.json)")
            #expect(try await FleetAPITests.call(base, "GET", "/api/v1/me", token: dispatcher).status == 200)
        }
    }

    // MARK: building requests from the document's own types

    static func tokens(_ base: URL) async throws -> [String: String] {
        var tokens: [String: String] = [:]
        for (role, username) in [("administrator", "admin"), ("dispatcher", "dispatcher"), ("auditor", "auditor"), ("agency", "agency")] {
            tokens[role] = try await FleetAPITests.signIn(base, username)
        }
        let driver = #"{"username": "driver", "password": "correct horse battery", "role": "driver"}"#
        #expect(try await FleetAPITests.call(base, "POST", "/api/v1/users", token: tokens["administrator"], body: driver).status == 201)
        tokens["driver"] = try await FleetAPITests.signIn(base, "driver", "correct horse battery")
        return tokens
    }

    /// A caller the route lets in, so that the request reaches the checks.
    static func token(for endpoint: Endpoint, _ tokens: [String: String]) -> String? {
        if endpoint.roles.isEmpty { return tokens["administrator"] }
        return endpoint.roles.lazy.compactMap { tokens[$0.rawValue] }.first
    }

    static func path(_ endpoint: Endpoint, overriding values: [String: String] = [:]) -> String {
        let defaults = ["id": "1", "photo": "1", "plate": "%E6%B5%99B1", "month": "2026-11", "kind": "daily", "name": "fleet", "year": "2026"]
        var path = endpoint.path
        for name in endpoint.pathParameters { path = path.replacingOccurrences(of: "{\(name)}", with: values[name] ?? defaults[name]!) }
        return path
    }

    /// A value its type accepts, as JSON text, every optional property present too.
    indirect enum Example {
        case literal(String)
        case object([(String, Example)])
        case array([Example])
    }

    static func example(_ type: FieldType) -> Example {
        switch type {
        case .string(let length, let pattern):
            if type == FieldType("phone") { return .literal("\"13800000000\"") }
            if type == FieldType("month") { return .literal("\"2026-11\"") }
            if type == FieldType("email") { return .literal("\"li@nb.gov.cn\"") }
            precondition(pattern == nil, "no example for \(type)")
            return .literal("\"" + String(repeating: "x", count: max(1, length.lowerBound)) + "\"")
        case .integer(let range): return .literal(String(range.map { min(max(1, $0.lowerBound), $0.upperBound) } ?? 1))
        case .number: return .literal("1.5")
        case .boolean: return .literal("true")
        case .dateTime: return .literal("\"2026-11-22T08:00:00+08:00\"")
        case .date: return .literal("\"2026-11-22\"")
        case .oneOf(let values): return .literal("\"\(values[0])\"")
        case .anyObject, .map: return .literal("{}")
        case .array(let items, let count): return .array(Array(repeating: example(items), count: count.lowerBound))
        case .reference(let name):
            let properties = OpenAPIDocument.schemas[name]!.sorted { $0.key < $1.key }
            return .object(properties.map { ($0.key, example(FieldType($0.value))) })
        }
    }

    static func render(_ example: Example) -> String {
        switch example {
        case .literal(let text): text
        case .array(let items): "[" + items.map(render).joined(separator: ",") + "]"
        case .object(let members): "{" + members.map { "\"\($0.0)\":" + render($0.1) }.joined(separator: ",") + "}"
        }
    }

    /// Every property's path in a body, optional ones and those of nested objects included.
    static func fields(_ type: FieldType, prefix: [String] = []) -> [[String]] {
        guard case .reference(let name) = type, let properties = OpenAPIDocument.schemas[name] else { return [] }
        return properties.keys.sorted().flatMap { key in [prefix + [key]] + fields(FieldType(properties[key]!), prefix: prefix + [key]) }
    }

    /// The example with the property at `field` set to `value`.
    static func replacing(_ field: [String], in example: Example, with value: String) -> Data {
        func replace(_ field: ArraySlice<String>, _ example: Example) -> Example {
            guard let key = field.first else { return .literal(value) }
            guard case .object(var members) = example, let index = members.firstIndex(where: { $0.0 == key }) else {
                preconditionFailure("no \(key) in the example")
            }
            members[index].1 = replace(field.dropFirst(), members[index].1)
            return .object(members)
        }
        return Data(render(replace(field[...], example)).utf8)
    }

    static func send(_ base: URL, _ endpoint: Endpoint, _ path: String, _ token: String, _ body: Data?) async throws -> FleetAPITests.Reply {
        var request = URLRequest(url: URL(string: base.absoluteString + path)!)
        request.httpMethod = endpoint.method.rawValue
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return FleetAPITests.Reply(status: (response as! HTTPURLResponse).statusCode, contentType: nil, json: json, array: [], etag: nil, body: data)
    }
}
