import Billing
import Dispatching
import Domain
import Hummingbird
import Store

// The stored records are the API's bodies as they are: JSON with ISO 8601 times.
extension VehicleFile: ResponseEncodable {}
extension DriverFile: ResponseEncodable {}
extension Agency: ResponseEncodable {}
extension CustomerCare.Complaint: ResponseEncodable {}
extension MatchingRounds.BookingExplanation: ResponseEncodable {}
extension SettlementSheet: ResponseEncodable {}
extension VATInvoice: ResponseEncodable {}
extension TariffBook: ResponseEncodable {}
extension Agreement: ResponseEncodable {}
extension MonthlyAssessment.Report: ResponseEncodable {}
extension Assessment: ResponseEncodable {}
