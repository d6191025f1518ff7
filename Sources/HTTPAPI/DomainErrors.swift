import Dispatching
import Domain
import Hummingbird
import Matching

/// The services' errors as problem JSON, in one place. A route maps an error itself only where
/// its context changes the meaning (an unknown agency named in a body is a 400, not a 404).
struct DomainErrors<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let refused as Refused {
            throw Problem.invalid(refused.field, refused.expected)
        } catch let conflict as Conflict {
            throw Problem(.conflict, "Conflict", detail: conflict.detail, field: conflict.field)
        } catch let missing as NoSuchRecord {
            throw Problem(.notFound, "Not found", detail: missing.what.isEmpty ? "no such record" : missing.what)
        } catch let conflict as SettlementSheet.StateConflict {
            throw Problem(.conflict, "Not possible now", detail: conflict.description)
        } catch let invalid as BookingHistory.InvalidTransition {
            throw Problem(.conflict, "Not possible now", detail: invalid.description)
        } catch let refused as MatchingRounds.Refused {
            throw Problem(.conflict, "Pair not eligible", detail: refused.problems.map(\.description).joined(separator: "; "))
        }
    }
}
