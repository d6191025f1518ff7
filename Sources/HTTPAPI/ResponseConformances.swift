import Billing
import Dispatching
import Domain
import Hummingbird

// The domain's records and the services' answers are the API's bodies as they are (no storage type is):
// JSON with ISO 8601 times.
extension VehicleFile: ResponseEncodable {}
extension DriverFile: ResponseEncodable {}
extension Agency: ResponseEncodable {}
extension Complaint: ResponseEncodable {}
extension MatchingRounds.BookingExplanation: ResponseEncodable {}
extension SettlementSheet: ResponseEncodable {}
extension VATInvoice: ResponseEncodable {}
extension TariffBook: ResponseEncodable {}
extension Agreement: ResponseEncodable {}
extension MonthlyAssessment.Report: ResponseEncodable {}
extension Assessment: ResponseEncodable {}
