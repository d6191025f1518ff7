import Dispatching
import Domain
import Foundation
import Hummingbird
import Store

/// Commands to a vehicle's terminal (issue 17): an operator sends one and gets the terminal's
/// answer (200), or 504 when it does not answer in time; a terminal offline refuses it (409)
/// unless the caller gives it a time to live, and then it waits in the queue (202) for the
/// terminal to connect. Every command and every answer is on the audit trail.
extension FleetAPI {
    /// A command as the API shows it: the answer as the JSON the terminal's message decodes to.
    struct Command: ResponseEncodable {
        var id: Int64
        var plate: String
        var command: TerminalCommandKind
        var request: TerminalCommandRequest
        var requestedBy: String
        var requestedAt: Date
        var expiresAt: Date
        var state: TerminalCommandState
        var sentAt: Date?
        var answeredAt: Date?
        var resultCode: Int?
        var answer: JSONValue?
        var failure: String?

        init(_ record: TerminalCommandRecord) {
            (id, plate, command, request, requestedBy, requestedAt, expiresAt, state) = (
                record.id, record.plate, record.command, record.request, record.requestedBy, record.requestedAt, record.expiresAt, record.state
            )
            (sentAt, answeredAt, resultCode, failure) = (record.sentAt, record.answeredAt, record.resultCode, record.failure)
            answer = record.answer.flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
        }
    }

    struct CommandList: ResponseEncodable {
        var items: [Command]
    }

    func addCommandRoutes(_ list: inout EndpointList) {
        list.add(
            .post, "/api/v1/vehicles/{plate}/commands", Self.operators,
            "Send a command to the vehicle's terminal and wait for its answer (timeoutSeconds, default 30): 200 with the answer, 504 without one; "
                + "a terminal offline: 409, or with ttlSeconds 202 and the command queued until it connects",
            body: "TerminalCommandRequest", returns: "TerminalCommand", alsoReturns: [.accepted], refusals: [.gatewayTimeout]
        ) { request, context, user in
            let plate = try text("plate", context)
            let body = try await decode(TerminalCommandRequest.self, request, context)
            // Where a car's terminal connects decides who sees the car: the administrator's call.
            if body.command == .setParameters, body.settings?.serverAddress != nil || body.settings?.serverTCPPort != nil, user.role != .administrator {
                throw Problem(.forbidden, "Not allowed", detail: "only an administrator changes the server a terminal connects to")
            }
            let outcome = try await commands.send(body, plate: plate, userID: user.id, requestedBy: user.username) { id in
                entry(user, "terminal-command", "command:\(id)", ["plate": plate, "command": body.command.rawValue])
            }
            switch outcome {
            case .answered(let record): return EditedResponse(status: .ok, response: Command(record))
            case .queued(let record): return EditedResponse(status: .accepted, response: Command(record))
            case .unanswered(let record):
                throw Problem(
                    .gatewayTimeout, "No answer from the terminal",
                    detail: record.state == .failed
                        ? "command \(record.id): the terminal's connection closed before it answered; send it again once it is back (or with ttlSeconds to queue it)"
                        : "command \(record.id): the terminal did not answer within \(body.timeout) s; see GET /api/v1/commands/\(record.id), "
                            + "send it again with a longer timeoutSeconds, or with ttlSeconds to queue it")
            }
        }
        list.add(
            .get, "/api/v1/vehicles/{plate}/commands", Self.readers, "The commands sent to the vehicle's terminal, newest first, with their outcomes",
            returns: "TerminalCommandList", query: [("limit", "integer(1...500)", "1 to 500, default 100")]
        ) { request, context, _ in
            let limit = try count("limit", request, default: 100, maximum: 500)
            return CommandList(items: try await commands.commands(plate: try text("plate", context), limit: limit).map(Command.init))
        }
        list.add(.get, "/api/v1/commands/{id}", Self.readers, "A command to a terminal and its outcome", returns: "TerminalCommand") { _, context, _ in
            guard let record = try await commands.command(try id("id", context)) else { throw Self.notFound("no such command") }
            return Command(record)
        }
    }
}

extension JSONValue: Encodable {
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let values): try container.encode(values)
        case .object(let values): try container.encode(values)
        }
    }
}

/// What the terminals uploaded (photos a command asked for, alarms' evidence): listed per
/// vehicle, and fetched as the bytes the terminal sent, each fetch on the audit trail.
extension FleetAPI {
    struct MediaList: ResponseEncodable {
        var items: [StoredMedia]
    }

    func addMediaRoutes(_ list: inout EndpointList) {
        list.add(
            .get, "/api/v1/vehicles/{plate}/media", Self.readers, "The photos and recordings the vehicle's terminal uploaded, newest first",
            returns: "MediaList", query: [("limit", "integer(1...500)", "1 to 500, default 100")]
        ) { request, context, _ in
            let limit = try count("limit", request, default: 100, maximum: 500)
            guard let items = try await media.list(plate: try text("plate", context), limit: limit) else { throw Self.notFound("no such vehicle") }
            return MediaList(items: items)
        }
        list.add(.get, "/api/v1/media/{id}", Self.readers, "A photo or recording as the terminal sent it (image/jpeg for a JPEG)", returns: "MediaBytes") {
            _, context, user in
            let mediaID = try id("id", context)
            guard let (item, data) = try await media.item(mediaID) else { throw Self.notFound("no such media") }
            try await audit(user, "media-read", "media:\(mediaID)", ["plate": item.plate])
            return Response(status: .ok, headers: [.contentType: item.contentType], body: ResponseBody(byteBuffer: data))
        }
    }
}
