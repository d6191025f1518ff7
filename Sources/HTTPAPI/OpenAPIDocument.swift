/// The OpenAPI 3.1 description of the API, served at /openapi.json. `FleetAPI.routes` and this
/// document are checked against each other by a test: a route missing here fails it.
public enum OpenAPIDocument {
    public static let json = #"""
    {
      "openapi": "3.1.0",
      "info": {"title": "Fleet", "version": "1", "description": "Official-trip car fleet: sessions, users, live positions and tracks. Errors are RFC 9457 problem details (application/problem+json) naming the field at fault."},
      "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
          "Problem": {"type": "object", "required": ["title", "status", "detail"], "properties": {
            "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"}, "field": {"type": "string"}}},
          "User": {"type": "object", "required": ["id", "username", "role"], "properties": {
            "id": {"type": "integer"}, "username": {"type": "string"},
            "role": {"type": "string", "enum": ["administrator", "dispatcher", "agency", "driver", "auditor"]}, "agencyID": {"type": "integer"}}},
          "Position": {"type": "object", "required": ["time", "latitude", "longitude", "speedKmh", "course", "altitudeM"], "properties": {
            "plate": {"type": "string"}, "vehicleID": {"type": "integer"}, "time": {"type": "string", "format": "date-time"},
            "latitude": {"type": "number"}, "longitude": {"type": "number"}, "speedKmh": {"type": "number"}, "course": {"type": "integer"}, "altitudeM": {"type": "integer"}}}
        },
        "responses": {
          "Problem": {"description": "what went wrong", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        }
      },
      "security": [{"bearer": []}],
      "paths": {
        "/openapi.json": {"get": {"summary": "This document", "security": [], "responses": {"200": {"description": "OpenAPI 3.1"}}}},
        "/api/v1/sessions": {"post": {"summary": "Sign in: a bearer token (12 h). Five failures in 5 minutes lock the username for the rest of them.", "security": [],
          "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["username", "password"], "properties": {"username": {"type": "string"}, "password": {"type": "string"}}}}}},
          "responses": {"201": {"description": "signed in", "content": {"application/json": {"schema": {"type": "object", "properties": {"token": {"type": "string"}, "expiresAt": {"type": "string", "format": "date-time"}, "user": {"$ref": "#/components/schemas/User"}}}}}},
            "400": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"}, "429": {"$ref": "#/components/responses/Problem"}}}},
        "/api/v1/me": {"get": {"summary": "The signed-in user (any role)", "responses": {"200": {"description": "the user", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}}, "401": {"$ref": "#/components/responses/Problem"}}}},
        "/api/v1/users": {"post": {"summary": "Create a user (administrator). Passwords of 10 characters or more, stored as bcrypt.",
          "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["username", "password", "role"], "properties": {
            "username": {"type": "string"}, "password": {"type": "string", "minLength": 10}, "role": {"type": "string"}, "agencyID": {"type": "integer"}}}}}},
          "responses": {"201": {"description": "created", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}},
            "400": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"}}}},
        "/api/v1/positions/latest": {"get": {"summary": "Every vehicle's newest position (administrator, dispatcher, auditor)",
          "responses": {"200": {"description": "positions", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Position"}}}}},
            "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}}}},
        "/api/v1/vehicles/{plate}/track": {"get": {"summary": "A vehicle's track (administrator, dispatcher, auditor); every read is audited",
          "parameters": [
            {"name": "plate", "in": "path", "required": true, "schema": {"type": "string"}},
            {"name": "from", "in": "query", "schema": {"type": "string", "format": "date-time"}, "description": "default: 24 h before to"},
            {"name": "to", "in": "query", "schema": {"type": "string", "format": "date-time"}, "description": "default: now; at most 7 days after from"},
            {"name": "thin", "in": "query", "schema": {"type": "integer", "minimum": 1}, "description": "at most one point per this many seconds"}],
          "responses": {"200": {"description": "the track", "content": {"application/json": {"schema": {"type": "object", "properties": {
            "plate": {"type": "string"}, "from": {"type": "string", "format": "date-time"}, "to": {"type": "string", "format": "date-time"},
            "points": {"type": "array", "items": {"$ref": "#/components/schemas/Position"}}}}}}},
            "400": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"}}}}
      }
    }
    """#
}
