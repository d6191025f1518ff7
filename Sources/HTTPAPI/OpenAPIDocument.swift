import Domain
import Foundation
import HTTPTypes

/// The OpenAPI 3.1 description of the API, served at /openapi.json, built from the same
/// `Endpoint` list the router serves: a route cannot be served without being described.
/// Schemas are written in a shorthand: a property's type is `string`, `integer`, `number`,
/// `boolean`, `date-time`, `date` (YYYY-MM-DD), `object`, a schema's name, or any of these
/// in brackets for an array; a trailing `?` makes it optional, `a|b|c` is an enumeration.
enum OpenAPIDocument {
    static let schemas: [String: [String: String]] = [
        "object": [:],
        "SignIn": ["username": "string(1...64)", "password": "string(1...1024)", "cookie": "boolean?"],
        "Session": ["token": "string?", "expiresAt": "date-time", "user": "User"],
        "User": ["id": "integer", "username": "string", "role": roles, "agencyID": "integer?"],
        "NewUser": ["username": "string(3...64)", "password": "string(12...72)", "role": roles, "agencyID": "id?"],
        "Agency": ["id": "integer", "name": "string", "contactName": "string?", "contactPhone": "string?", "requiresApproval": "boolean"],
        "NewAgency": ["name": "name", "contactName": "string(100)?", "contactPhone": "string(32)?"],
        "VehicleFile": [
            "id": "id?", "plate": "string(1...16)", "brand": "string(100)?", "model": "string(100)?", "vin": "string(17)?", "engineNumber": "string(32)?",
            "registrationDate": "date?", "rentalUse": "boolean?", "vehicleClass": "sedan|suv|van", "seats": "integer(1...60)",
            "energy": "batteryElectric|plugInHybrid|fuelCell|gas|petrol|diesel?", "drivingLicenceNumber": "string(32)?",
            "registrationCertificate": "string(32)?",
            "rangeKm": "integer(1...2000)?", "stateOfCharge": "percent?", "reserve": "boolean?", "terminalPhone": "string(20)?",
        ],
        "VehicleSummary": ["file": "VehicleFile", "dispatchable": "boolean", "reasons": "[string]"],
        "VehicleDetail": [
            "file": "VehicleFile", "dispatchable": "boolean", "reasons": "[string]", "policies": "[InsuranceRecord]", "inspections": "[InspectionRecord]",
            "maintenance": "[MaintenanceRecord]",
        ],
        "InsuranceRecord": [
            "id": "id?", "kind": "compulsoryTraffic|thirdPartyLiability|vehicleDamage|seat|carrierLiability", "insurer": "string(1...100)",
            "amountFen": "price",
            "startsAt": "date-time", "expiresAt": "date-time",
        ],
        "InspectionRecord": [
            "id": "id?", "kind": "monthly|quarterly", "inspectedAt": "date-time", "passed": "boolean", "findings": "string(2000)?", "inspector": "string(100)?",
        ],
        "MaintenanceRecord": [
            "id": "id?", "kind": "maintenance|repair", "startedAt": "date-time", "finishedAt": "date-time?", "description": "string(2000)", "costFen": "price?",
        ],
        "Created": ["id": "integer"],
        "Done": ["done": "boolean"],
        "Health": [
            "ready": "boolean", "database": "boolean", "migrationsApplied": "integer?", "migrationsKnown": "integer?", "leaders": "object",
            "problems": "[string]", "leaderless": "[string]",
        ],
        "Finish": ["finishedAt": "date-time?"],
        "Charge": ["stateOfCharge": "percent"],
        "Pairing": ["plate": "string(1...16)"],
        "ReviewClearance": ["note": "string(1...2000)"],
        "DriverFile": [
            "id": "id?", "name": "string(1...50)", "phone": "phone", "birthDate": "date", "serviceSince": "date", "licenceNumber": "string(1...32)",
            "licenceClasses": "[string(1...4)](1...20)", "licenceExpiry": "date", "points": "integer(0...12)?", "lastMajorAccident": "date?",
            "criminalRecord": "boolean?",
            "backgroundCheckedAt": "date?", "reserve": "boolean?", "userID": "id?", "vehicleID": "id?", "certificateNumber": "string(1...40)?",
        ],
        "DriverSummary": ["file": "DriverFile", "eligible": "boolean", "reasons": "[string]"],
        "DriverDetail": [
            "file": "DriverFile", "eligible": "boolean", "reasons": "[string]", "training": "[TrainingRecord]", "continuousDrivingSeconds": "integer?",
            "drivingLast24hSeconds": "integer?",
        ],
        "TrainingRecord": [
            "id": "id?", "kind": "preDuty|monthly|quarterlyDrill", "heldOn": "date", "days": "integer(1...60)", "passed": "boolean", "note": "string(2000)?",
        ],
        "Reminder": ["kind": "insuranceExpiring|inspectionDue|licenceExpiring|reserveShort", "subject": "string", "detail": "string", "due": "date-time"],
        "Place": ["latitude": "latitude", "longitude": "longitude", "address": "string(1...200)"],
        "BookingRequest": [
            "channel": "phone|platform|contact", "agencyID": "id?", "contactName": "string(1...50)", "contactPhone": "phone", "passengers": "integer(1...8)",
            "vehicleClass": "sedan|suv|van", "pickupTime": "date-time", "pickup": "Place", "destination": "Place", "routeNotes": "string(2000)?",
            "serviceEnd": "date-time", "specialNeeds": "string(2000)?", "transfer": "boolean?", "stops": "[Place](0...10)?", "contactEmail": "email?",
        ],
        "Transition": [
            "state": states, "at": "date-time", "by": "string", "vehicleID": "integer?", "driverID": "integer?", "note": "string", "stop": "Place?",
        ],
        "NewRoute": ["stops": "[Place](0...10)", "destination": "Place", "note": "text"],
        "RouteChange": ["at": "date-time", "by": "string", "note": "string", "stops": "[Place]", "destination": "Place"],
        "BookingRecord": [
            "id": "integer", "request": "BookingRequest", "agencyID": "integer", "receivedAt": "date-time", "urgent": "boolean", "state": states,
            "vehicleID": "integer?", "driverID": "integer?", "tollsFen": "integer?", "parkingFen": "integer?", "receipts": "[string]", "version": "integer",
            "updatedAt": "date-time", "transitions": "[Transition]", "routeChanges": "[RouteChange]",
        ],
        "Clock": [
            "clock": clocks, "state": "running|atRisk|met|breached", "startedAt": "date-time",
            "dueAt": "date-time", "stoppedAt": "date-time?",
        ],
        "Booking": ["booking": "BookingRecord", "clocks": "[Clock]"],
        "BookingPage": ["items": "[BookingRecord]", "next": "integer?", "clocks": "{[Clock]}?"],
        "Reason": ["reason": "text"],
        "Override": ["vehicleID": "id", "driverID": "id", "reason": "text"],
        "CrewVerdict": [
            "vehicleID": "integer", "plate": "string", "driverID": "integer", "driverName": "string",
            "verdict": "chosen|ineligible|servesAnother|keptInReserve|costlier",
            "reasons": "[string]", "cost": "integer?",
        ],
        "Explanation": ["bookingID": "integer", "assignedVehicleID": "integer?", "assignedDriverID": "integer?", "crews": "[CrewVerdict]"],
        "Incident": ["kind": "breakdown|accident", "note": "string(2000)"],
        "PreTripCheck": [
            "brakes": "boolean", "steering": "boolean", "lights": "boolean", "tyres": "boolean", "charge": "boolean", "kit": "boolean",
            "cleanliness": "boolean",
        ],
        "Completion": [
            "tollsFen": "price", "parkingFen": "price", "receipts": "[string(1...200)]", "reportedMetres": "metres?", "reportedSeconds": "seconds?",
        ],
        "Progress": ["state": "enRoute|onSite|inService|completed", "preTripCheck": "PreTripCheck?", "completion": "Completion?"],
        "Callback": ["satisfaction": "integer(1...5)", "note": "string(2000)?"],
        "NewComplaint": ["agencyID": "id?", "bookingID": "id?", "text": "string(1...4000)"],
        "Complaint": [
            "id": "integer", "agencyID": "integer", "bookingID": "integer?", "receivedAt": "date-time", "text": "string", "contactedAt": "date-time?",
            "resolvedAt": "date-time?", "result": "string?", "substantiated": "boolean?", "driverID": "integer?",
        ],
        "Resolution": ["result": "text", "substantiated": "boolean?", "driverID": "id?"],
        "Position": [
            "plate": "string?", "vehicleID": "integer?", "time": "date-time", "latitude": "number", "longitude": "number", "speedKmh": "number",
            "course": "integer",
            "altitudeM": "integer",
        ],
        "Track": ["plate": "string", "from": "date-time", "to": "date-time", "points": "[Position]"],
        "VehicleAlarm": [
            "id": "integer", "plate": "string?", "kind": "string", "kindName": "string?", "state": FieldType.oneOf(VehicleAlarm.State.self),
            "occurredAt": "date-time",
            "latitude": "number", "longitude": "number", "speedKmh": "number", "clearedAt": "date-time?", "clearedLatitude": "number?",
            "clearedLongitude": "number?", "handledAt": "date-time?", "handledBy": "string?", "handlingNote": "string?",
        ],
        "Handling": ["note": "text"],
        "AlarmHandled": ["done": "boolean", "confirmation": FieldType.oneOf(FleetAPI.AlarmHandled.Confirmation.self), "command": "integer?"],
        "DriverCardAlert": [
            "kind": FieldType.oneOf(DriverCardAlert.Kind.self), "plate": "string?", "driverName": "string?", "certificate": "string?",
            "validUntil": "date?", "bookingID": "integer?", "signedInAt": "date-time", "raisedAt": "date-time",
        ],
        "SLAAlert": [
            "bookingID": "integer?", "complaintID": "integer?", "agencyID": "integer", "clock": clocks, "state": "atRisk|breached",
            "startedAt": "date-time", "dueAt": "date-time", "raisedAt": "date-time",
        ],
        "AssessmentReport": [
            "month": "string", "from": "date-time", "to": "date-time", "assessment": "Assessment", "evidence": "object", "unmeasured": "[string]",
            "manual": "[AssessmentIncident]", "service": "ServiceFigures",
        ],
        "ServiceFigures": [
            "minutesServed": "integer", "minutesOfService": "integer", "terminalDaysOnline": "integer", "terminalDays": "integer", "reports": "integer",
            "reportsMissing": "integer",
        ],
        "OperationsReport": [
            "kind": "daily|weekly|monthly", "from": "date", "through": "date", "trips": "integer", "cancelled": "integer", "metres": "integer",
            "revenueFen": "integer", "complaints": "integer", "serviceLevels": "object", "buckets": "[ReportBucket]",
        ],
        "ReportBucket": ["label": "string", "trips": "integer", "metres": "integer", "revenueFen": "integer", "complaints": "integer"],
        "SchemePreset": ["name": "fleet|deduction|kpi", "scheme": "object"],
        "Observations": ["observations": "{Observation}"],
        "Observation": ["incidents": "integer(0...1000)?", "rate": "basisPoints?"],
        "AssessmentIncident": ["id": "integer", "itemID": "string", "count": "integer", "reason": "string", "enteredAt": "date-time"],
        "NewIncident": ["itemID": "string(1...64)", "count": "integer(-100...100)", "reason": "string(1...1000)"],
        "Assessment": ["scheme": "string", "sections": "[AssessmentSection]", "score": "integer", "coefficientPermille": "integer", "paymentFen": "integer"],
        "AssessmentSection": ["name": "string", "weight": "integer", "items": "[AssessmentItem]", "score": "integer"],
        "AssessmentItem": ["id": "string", "name": "string", "measured": "object?", "points": "integer"],
        "Signature": ["signedBy": "string(1...100)"],
        "Dispute": ["reason": "text"],
        "Adjustment": ["kind": lineKinds + "?", "detail": "string(1...500)", "amountFen": "integer(-100000000...100000000)", "reason": "text"],
        "SheetResolution": ["note": "text", "adjustments": "[Adjustment]?"],
        "Invoice": ["number": "string(1...64)", "issuedAt": "date-time"],
        "SettlementSheet": [
            "id": "integer", "facts": "TripFacts", "state": "review|issued|disputed|confirmed|void", "flags": "[UsageDifference]", "lines": "[SheetLine]",
            "totalFen": "integer", "issuedAt": "date-time", "confirmedAt": "date-time?", "confirmedBy": "string?", "invoiceDue": "date?", "invoice": "Invoice?",
            "history": "[SheetEvent]",
        ],
        "TripFacts": [
            "bookingID": "integer", "agencyID": "integer", "vehicleClass": "sedan|suv|van", "pickupTime": "date-time", "pickupAddress": "string",
            "destinationAddress": "string", "plates": "[string]", "drivers": "[string]", "window": "ServiceWindow", "metres": "integer",
            "distanceSource": "string",
            "tollsFen": "integer", "parkingFen": "integer", "receipts": "[string]", "reportedMetres": "integer?", "reportedSeconds": "integer?",
            "cancellation": "TripCancellation?", "transfer": "boolean",
        ],
        "ServiceWindow": ["segments": "[ServiceSegment]"],
        "ServiceSegment": ["vehicleID": "integer", "start": "date-time", "end": "date-time"],
        "TripCancellation": ["at": "date-time", "crewOnSite": "boolean"],
        "UsageDifference": ["field": "metres|seconds", "system": "integer", "reported": "integer"],
        "SheetLine": [
            "kind": lineKinds, "detail": "string", "amountFen": "integer", "evidence": "string", "adjusting": "boolean", "reason": "string?",
            "addedAt": "date-time",
            "by": "string",
        ],
        "SheetEvent": ["at": "date-time", "kind": "issued|flagged|void|disputed|resolved|confirmed|adjusted|invoiced", "by": "string", "note": "string"],
        "Statement": [
            "agency": "StatementAgency", "from": "date", "through": "date", "sheets": "[SettlementSheet]", "lateAdjustments": "[LateAdjustment]",
            "totals": "[StatementTotal]", "trips": "integer", "totalFen": "integer", "invoicedFen": "integer",
        ],
        "StatementAgency": ["id": "integer", "name": "string"],
        "LateAdjustment": ["sheetID": "integer", "bookingID": "integer", "line": "SheetLine"],
        "StatementTotal": ["kind": lineKinds, "amountFen": "integer"],
        "VATInvoice": ["lines": "[VATRateLine]", "grossFen": "integer", "netFen": "integer", "taxFen": "integer"],
        "VATRateLine": ["basisPoints": "integer", "split": "VATSplit", "differenceCentiFen": "integer", "items": "[VATItem]"],
        "VATSplit": ["grossFen": "integer", "netFen": "integer", "taxFen": "integer"],
        "VATItem": ["kind": lineKinds, "detail": "string", "split": "VATSplit"],
        "TariffBook": ["tariffs": "[Tariff]"],
        "Tariff": [
            "vehicleClass": "sedan|suv|van", "validFrom": "date", "packages": "[TariffPackage]", "overtimeFenPerHour": "integer(0...10000000)",
            "overtimeBasis": "startedHour|proRata", "overDistanceFenPerKm": "integer(0...1000000)",
        ],
        "TariffPackage": [
            "kind": "halfDay|fullDay|transfer", "hours": "integer(1...24)", "kilometres": "integer(1...10000)", "priceFen": "integer(1...10000000000)",
        ],
        "Agreement": [
            "discountBasisPoints": "basisPoints", "capFen": "{halfDay|fullDay|transfer: integer(1...10000000000)}", "cancellation": "CancellationRules",
            "mealsFenPerDay": "integer(0...10000000)",
            "lodgingFenPerNight": "integer(0...10000000)",
        ],
        "CancellationRules": ["freeNotice": "integer(0...2592000)", "latePercent": "percent", "onSitePercent": "percent"],
        "Problem": ["type": "string", "title": "string", "status": "integer", "detail": "string", "field": "string?"],
        // Sessions and the audit trail (issue 14, users).
        "PasswordChange": ["currentPassword": "string(1...1024)", "newPassword": "string(12...72)"],
        "Revoked": ["sessions": "integer"],
        "AuditRecord": [
            "id": "integer", "at": "date-time", "userID": "integer?", "actor": "string?", "action": "string", "object": "string", "detail": "object?",
        ],
        "AuditPage": ["items": "[AuditRecord]", "next": "integer?"],
        // Zones, the calendar and the agency's approval step (issue 16).
        "Zones": ["city": "[CityArea](1...\(ServiceZones.maximumAreas))"],
        "CityArea": ["name": "string(1...100)", "points": "[Coordinate](3...\(ServiceZones.maximumPoints))"],
        "Coordinate": ["latitude": "latitude", "longitude": "longitude"],
        // The console (issue 18).
        "ReceiptPhoto": ["id": "integer", "reference": "string", "contentType": "string", "bytes": "integer", "uploadedAt": "date-time"],
        "TripRating": ["stars": "integer(1...5)", "comment": "string(2000)?"],
        "TripRatingBody": ["bookingID": "integer", "stars": "integer", "comment": "string?", "ratedAt": "date-time"],
        "ConsoleSettings": ["tiles": "MapTiles?", "center": "Coordinate", "zoom": "integer(1...20)", "city": "[CityArea]"],
        "MapTiles": [
            "url": "string", "crs": FieldType.oneOf(MapTiles.CoordinateSystem.self), "attribution": "string?", "subdomains": "string?", "maxZoom": "integer?",
        ],
        "DrivenRoads": ["since": "date-time", "segments": "[[number(-180...180)](4...4)](0...50000)"],
        "NamedZoneBody": [
            "id": "id?", "name": "string(1...100)", "kind": FieldType.oneOf(NamedZone.Kind.self),
            "points": "[Coordinate](3...\(ServiceZones.maximumPoints))",
        ],
        "ZoneEventBody": [
            "zoneID": "integer", "zone": "string", "kind": FieldType.oneOf(NamedZone.Kind.self), "plate": "string?",
            "direction": FieldType.oneOf(ZoneCrossing.Direction.self), "at": "date-time", "latitude": "number", "longitude": "number",
        ],
        "CalendarYear": ["source": "string(1...500)", "holidays": "[date](0...366)", "workingWeekends": "[date](0...366)"],
        "CalendarYearBody": [
            "year": "integer", "announced": "boolean", "source": "string?", "holidays": "[date]", "workingWeekends": "[date]", "warning": "string?",
        ],
        "Approval": ["required": "boolean"],
        // Commands to the terminals (issue 17), bounded as the domain bounds them (`validated`).
        "TerminalCommandRequest": [
            "command": commandKinds, "ttlSeconds": optional(TerminalCommandRequest.ttlBounds), "timeoutSeconds": optional(TerminalCommandRequest.timeoutBounds),
            "parameterIDs": "[\(bounded(TerminalCommandRequest.parameterIDBounds))](1...\(TerminalCommandRequest.maximumParameterIDs))?",
            "settings": "TerminalSettingsRequest?", "intervalSeconds": optional(TerminalCommandRequest.intervalBounds),
            "validitySeconds": optional(TerminalCommandRequest.validityBounds), "text": "string(1...\(TerminalCommandRequest.textBytes.upperBound))?",
            "display": "boolean?", "tts": "boolean?", "urgent": "boolean?", "channel": optional(TerminalCommandRequest.channelBounds),
            "alarmSerial": optional(TerminalCommandRequest.alarmSerialBounds), "alarms": optional(TerminalCommandRequest.alarmsBounds),
        ],
        "TerminalSettingsRequest": Dictionary(uniqueKeysWithValues: TerminalSettingsRequest.integers.map { ($0.name, optional($0.bounds)) }).merging(
            ["serverAddress": "string(\(TerminalSettingsRequest.serverAddressLength.lowerBound)...\(TerminalSettingsRequest.serverAddressLength.upperBound))?"]
        ) { $1 },
        "TerminalCommand": [
            "id": "integer", "plate": "string", "command": commandKinds, "request": "object", "requestedBy": "string", "requestedAt": "date-time",
            "expiresAt": "date-time", "state": commandStates, "sentAt": "date-time?", "answeredAt": "date-time?", "resultCode": "integer?",
            "answer": "object?", "failure": "string?",
        ],
        "TerminalCommandList": ["items": "[TerminalCommand]"],
        "Media": [
            "id": "integer", "plate": "string", "mediaID": "integer", "kind": "image|audio|video|other", "contentType": "string", "event": "integer",
            "channel": "integer", "takenAt": "date-time?", "receivedAt": "date-time", "bytes": "integer",
        ],
        "MediaList": ["items": "[Media]"],
    ]

    /// `schemas` parsed once, for the checks of every request.
    static let properties = FieldType.parse(schemas)

    // Enumerations the server sends as well as reads, from their Swift cases.
    static let roles = FieldType.oneOf(Role.self)
    static let clocks = FieldType.oneOf(ServiceLevels.Clock.self)
    static let lineKinds = FieldType.oneOf(FareLine.Kind.self)
    static let states = FieldType.oneOf(BookingState.self)
    static let commandKinds = FieldType.oneOf(TerminalCommandKind.self)
    static let commandStates = FieldType.oneOf(TerminalCommandState.self)

    /// An integer within `bounds` in the shorthand; `optional` too.
    static func bounded(_ bounds: ClosedRange<Int>) -> String { "integer(\(bounds.lowerBound)...\(bounds.upperBound))" }
    static func optional(_ bounds: ClosedRange<Int>) -> String { bounded(bounds) + "?" }

    /// The Swift type each request body's schema describes. The schema must say what the type
    /// reads, property by property (`mismatches`): the schema adds only the bounds.
    static let bodyTypes: [String: any Decodable.Type] = [
        "Adjustment": FleetAPI.Adjustment.self, "Agreement": Agreement.self, "BookingRequest": BookingRequest.self, "Callback": FleetAPI.Callback.self,
        "Charge": FleetAPI.Charge.self, "Dispute": FleetAPI.Dispute.self, "DriverFile": DriverFile.self, "Finish": FleetAPI.Finish.self,
        "Handling": FleetAPI.Handling.self, "Incident": FleetAPI.Incident.self, "InspectionRecord": InspectionRecord.self,
        "InsuranceRecord": InsuranceRecord.self, "Invoice": FleetAPI.InvoiceBody.self, "MaintenanceRecord": MaintenanceRecord.self,
        "NewAgency": FleetAPI.NewAgency.self, "NewComplaint": FleetAPI.NewComplaint.self, "NewIncident": FleetAPI.NewIncident.self,
        "NewRoute": FleetAPI.NewRoute.self, "NewUser": FleetAPI.NewUser.self, "Observations": FleetAPI.Observations.self, "Override": FleetAPI.Override.self,
        "Pairing": FleetAPI.Pairing.self, "ReviewClearance": FleetAPI.ReviewClearance.self,
        "PasswordChange": FleetAPI.PasswordChange.self, "Progress": FleetAPI.Progress.self, "Reason": FleetAPI.Reason.self,
        "Resolution": FleetAPI.Resolution.self, "SheetResolution": FleetAPI.SheetResolution.self, "SignIn": FleetAPI.SignIn.self,
        "Signature": FleetAPI.Signature.self, "Tariff": Tariff.self, "TrainingRecord": TrainingRecord.self, "VehicleFile": VehicleFile.self,
        "Zones": FleetAPI.Zones.self, "NamedZoneBody": FleetAPI.NamedZoneBody.self, "CalendarYear": FleetAPI.CalendarYear.self,
        "Approval": FleetAPI.Approval.self,
        "TerminalCommandRequest": TerminalCommandRequest.self, "TripRating": FleetAPI.TripRating.self,
    ]

    /// Where the schema `name` and what its Swift type reads disagree: a property one has and the
    /// other lacks, required in one and optional in the other, of another kind, or an enumeration
    /// with other cases. Empty: they agree.
    static func mismatches(_ name: String, _ type: any Decodable.Type) -> [String] {
        switch TypeShape.reading(type) {
        case .success(let shape): return mismatches(shape, FieldType.reference(name), at: name)
        case .failure(let unknown): return ["\(name): \(unknown.type) reads something the reflection does not know"]
        }
    }

    static func mismatches(_ shape: TypeShape, _ type: FieldType, at path: String) -> [String] {
        switch (shape, type) {
        case (.object(let read), .reference(let name)):
            let described = properties[name] ?? []
            var found: [String] = []
            for missing in Set(read.keys).subtracting(described.map(\.name)).sorted() { found.append("\(path).\(missing): read but not in the schema") }
            for property in described {
                let location = "\(path).\(property.name)"
                // What the server sends and never reads (an id it assigns) is optional in a request,
                // and read-only in the document.
                guard let reading = read[property.name] else {
                    if !property.optional { found.append("\(location): required in the schema but never read") }
                    continue
                }
                if reading.optional != property.optional { found.append("\(location): \(reading.optional ? "optional" : "required") in Swift") }
                found += mismatches(reading.shape, property.type, at: location)
            }
            return found
        case (.array(let items), .array(let described, _)), (.map(let items), .map(let described, _, _)):
            return mismatches(items, described, at: path)
        case (.oneOf(let read), .oneOf(let described)):
            return read == described ? [] : ["\(path): the cases are \(read.joined(separator: "|"))"]
        // A text the schema narrows to a list is still text.
        case (.string, .string), (.string, .oneOf), (.integer, .integer), (.number, .number), (.boolean, .boolean), (.dateTime, .dateTime), (.date, .date):
            return []
        default:
            return ["\(path): \(shape) in Swift, \(type.description) in the schema"]
        }
    }

    /// A property's JSON schema from its shorthand.
    static func schema(_ shorthand: String) -> [String: Any] { FieldType(shorthand).jsonSchema }

    /// What a path parameter is, by its name.
    static func pathParameterType(_ name: String) -> FieldType {
        switch name {
        case "id", "photo": FieldType("id")
        case "plate": FieldType("string(1...16)")
        case "month": FieldType("month")
        case "kind": FieldType("daily|weekly|monthly")
        case "name": FieldType("fleet|deduction|kpi")
        case "year": FieldType("integer(1900...2199)")
        default: preconditionFailure("path parameter {\(name)} has no type")
        }
    }

    /// `getApiV1BookingsId` for `GET /api/v1/bookings/{id}`.
    static func operationID(_ endpoint: Endpoint) -> String {
        let words = endpoint.path.split(whereSeparator: { "/{}-".contains($0) }).map { $0.prefix(1).uppercased() + $0.dropFirst() }
        return endpoint.method.rawValue.lowercased() + words.joined()
    }

    /// What a client can do next with what it created: from `POST /api/v1/bookings` to every
    /// operation under `/api/v1/bookings/{id}`, the id taken from the answer (OpenAPI links,
    /// which schemathesis's stateful phase follows).
    static func links(from endpoint: Endpoint, to endpoints: [Endpoint]) -> [String: Any]? {
        guard endpoint.method == .post, endpoint.status == .created, let returns = endpoint.returns, let created = schemas[returns] else { return nil }
        var links: [String: Any] = [:]
        for target in endpoints where target.path.hasPrefix(endpoint.path + "/{") {
            let name = String(target.path.dropFirst(endpoint.path.count + 2).prefix { $0 != "}" })
            let pointer = created[name] != nil ? "/\(name)" : (name == "id" && created["booking"] != nil ? "/booking/id" : nil)
            guard let pointer else { continue }
            var parameters = [name: "$response.body#\(pointer)"]
            for inherited in endpoint.pathParameters { parameters[inherited] = "$request.path.\(inherited)" }
            links[operationID(target)] = ["operationId": operationID(target), "parameters": parameters]
        }
        return links.isEmpty ? nil : links
    }

    /// Bodies that are bytes, not JSON, by the media types they come in: a terminal's photo or
    /// recording as it sent it, a receipt's photo as the driver's phone took it.
    static let binaryBodies: [String: [String]] = [
        "MediaBytes": MediaFormat.contentTypes, "ReceiptImage": FleetAPI.receiptImageTypes, "ReceiptBytes": FleetAPI.receiptImageTypes,
    ]

    static func binaryContent(_ name: String) -> [String: Any]? {
        binaryBodies[name].map { types in Dictionary(uniqueKeysWithValues: types.map { ($0, ["schema": ["type": "string", "format": "binary"]] as Any) }) }
    }

    /// A schema's JSON Schema: a property the schema's Swift type never reads is `readOnly`.
    static func objectSchema(_ name: String, _ properties: [String: String]) -> [String: Any] {
        if properties.isEmpty { return ["type": "object"] }
        var read: Set<String>?
        if let type = bodyTypes[name], case .success(.object(let reading)) = TypeShape.reading(type) { read = Set(reading.keys) }
        return [
            "type": "object",
            "properties": Dictionary(
                uniqueKeysWithValues: properties.map { property, shorthand in
                    var described = schema(shorthand)
                    if let read, !read.contains(property) { described["readOnly"] = true }
                    return (property, described)
                }),
            "required": properties.filter { !$0.value.hasSuffix("?") }.keys.sorted(),
        ]
    }

    static func json(for endpoints: [Endpoint]) -> String {
        let problem: [String: Any] = ["$ref": "#/components/responses/Problem"]
        var paths: [String: [String: Any]] = [:]
        for endpoint in endpoints {
            var operation: [String: Any] = ["summary": endpoint.summary]
            var responses: [String: Any] = ["400": problem]
            if endpoint.roles.isEmpty {
                operation["security"] = [Any]()
            } else {
                operation["description"] = "Roles: " + endpoint.roles.map(\.rawValue).joined(separator: ", ") + "."
                (responses["401"], responses["403"]) = (problem, problem)
            }
            // What a signed-in caller may meet on any route: a record not found, a state that forbids it.
            if !endpoint.roles.isEmpty || endpoint.path.contains("{") { (responses["404"], responses["409"]) = (problem, problem) }
            for status in endpoint.refusals { responses[String(status.code)] = problem }
            var content: [String: Any]? = endpoint.returns.map { name -> [String: Any] in
                switch name {
                case "EventStream": return ["text/event-stream": ["schema": ["type": "string"]]]
                default: return binaryContent(name) ?? ["application/json": ["schema": schema(name)]]
                }
            }
            // A `format` parameter offers the same content as CSV or as a page.
            if let format = endpoint.query.first(where: { $0.name == "format" }), case .oneOf(let formats) = FieldType(format.type) {
                for (name, type) in [("csv", "text/csv"), ("html", "text/html")] where formats.contains(name) {
                    content?[type] = ["schema": ["type": "string"]]
                }
            }
            var success: [String: Any] = ["description": endpoint.status.reasonPhrase, "content": content ?? [:]]
            success["links"] = links(from: endpoint, to: endpoints)
            responses[String(endpoint.status.code)] = success
            for status in endpoint.alsoReturns { responses[String(status.code)] = ["description": status.reasonPhrase, "content": content ?? [:]] }
            operation["responses"] = responses
            operation["operationId"] = operationID(endpoint)
            if let body = endpoint.body {
                operation["requestBody"] = ["required": true, "content": binaryContent(body) ?? ["application/json": ["schema": schema(body)]]]
            }
            let parameters: [[String: Any]] =
                endpoint.pathParameters.map { ["name": $0, "in": "path", "required": true, "schema": pathParameterType($0).jsonSchema] }
                + endpoint.query.map { parameter in
                    var described: [String: Any] = [
                        "name": parameter.name, "in": "query", "description": parameter.description, "schema": schema(parameter.type),
                    ]
                    // A list is written comma-separated: `state=confirmed,matched`.
                    if case .array = FieldType(parameter.type) { (described["style"], described["explode"]) = ("form", false) }
                    return described
                }
            if !parameters.isEmpty { operation["parameters"] = parameters }
            paths[endpoint.path, default: [:]][endpoint.method.rawValue.lowercased()] = operation
        }
        let document: [String: Any] = [
            "openapi": "3.1.0",
            "info": [
                "title": "Fleet", "version": "1",
                "description":
                    "Official-trip car fleet: files, bookings and dispatch under SLAs, live positions. Money in integer fen. Errors are RFC 9457 problem details (application/problem+json) naming the field at fault.",
            ],
            "components": [
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer"]],
                "schemas": Dictionary(uniqueKeysWithValues: schemas.map { ($0.key, objectSchema($0.key, $0.value)) }),
                "responses": [
                    "Problem": [
                        "description": "what went wrong", "content": ["application/problem+json": ["schema": ["$ref": "#/components/schemas/Problem"]]],
                    ]
                ],
            ],
            "security": [["bearer": [String]()]],
            "paths": paths,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
