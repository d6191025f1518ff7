import Domain
import Foundation
import Store

/// Complaints and callbacks: each checked, written with its audit line in one transaction, at
/// the service's time (contact within 12 hours and a result within 3 working days are clocks
/// the sweeper judges from these times).
public struct CustomerCareService: Sendable {
    let care: CustomerCare
    let bookings: BookingService
    let events: ServiceEvents
    let rules: DispatchRules
    let clock: any WallClock

    /// Files an agency's complaint, about one of its own bookings if it names one.
    public func file(agencyID: Int64, bookingID: Int64?, text: String, audit: Audit<Int64>?) async throws -> Complaint {
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw Refused(field: "text", expected: "what went wrong") }
        if let bookingID, try await bookings.booking(id: bookingID)?.agencyID != agencyID {
            throw Refused(field: "bookingID", expected: "a booking of the agency")
        }
        do { return try await care.file(agencyID: agencyID, bookingID: bookingID, text: text, at: clock.now, audit: audit) } catch is NoSuchRecord {
            throw Refused(field: "agencyID", expected: "an agency on file")
        }
    }

    /// Complaints, newest first: one agency's, or every agency's.
    public func complaints(agencyID: Int64?) async throws -> [Complaint] { try await care.complaints(agencyID: agencyID) }

    /// The agency was contacted about the complaint (its 12-hour clock stops).
    public func contacted(_ id: Int64, audit: AuditLine?) async throws {
        guard try await care.contacted(id, at: clock.now, audit: { $0 ? audit : nil }) else { throw NoSuchRecord("no complaint \(id) waiting for contact") }
    }

    /// The result given to the agency (its 3-working-day clock stops), and whether the complaint
    /// held. Repeated substantiated complaints against the trip's driver hold the driver out of
    /// matching for review (`DispatchRules.complaintsForReview` within `complaintWindow`).
    /// `audit` names the line given the driver the resolution held for review, if any.
    /// `driverID` names which of the trip's drivers it was about (a replacement served it too);
    /// the booking's last by default.
    public func resolve(_ id: Int64, result: String, substantiated: Bool, driverID: Int64? = nil, audit: Audit<Int64?>?) async throws {
        guard !result.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw Refused(field: "result", expected: "what was found and done") }
        if let driverID {
            var drivers: [Int64] = []
            if let bookingID = try await care.complaints(agencyID: nil, id: id).first?.bookingID, let trip = try await bookings.booking(id: bookingID) {
                drivers = trip.transitions.compactMap(\.driverID)
            }
            guard drivers.contains(driverID) else { throw Refused(field: "driverID", expected: "a driver who served the complaint's trip") }
        }
        let review = (rules.complaintsForReview, rules.complaintWindow)
        let line: Audit<CustomerCare.Resolved> = { outcome in
            guard case .resolved(let held) = outcome else { return nil }
            return audit?(held)
        }
        switch try await care.resolved(id, at: clock.now, result: result, substantiated: substantiated, driverID: driverID, review: review, audit: line) {
        case .none: throw NoSuchRecord("no open complaint \(id)")
        case .resolved(heldForReview: nil): break
        case .resolved(heldForReview: .some): try await events.publish(.fleetChanged)
        }
    }

    /// The callback after a trip, with the agency's satisfaction (1 to 5); one per booking.
    public func callback(bookingID: Int64, satisfaction: Int, note: String, by userID: Int64?, audit: AuditLine?) async throws {
        guard (1...5).contains(satisfaction) else { throw Refused(field: "satisfaction", expected: "1 to 5") }
        guard try await care.callback(bookingID: bookingID, at: clock.now, satisfaction: satisfaction, note: note, by: userID, audit: { $0 ? audit : nil })
        else { throw Conflict("booking \(bookingID) has its callback") }
    }
}
