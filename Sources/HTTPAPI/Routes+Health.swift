import Hummingbird
import Store

extension HealthReport: ResponseEncodable {}

extension FleetAPI {
    /// The process's health for a load balancer, without signing in (it tells nothing of the
    /// fleet): live while it answers; ready, or 503 with what stands in the way.
    func addHealthRoutes(_ list: inout EndpointList) {
        list.addPublic(.get, "/health/live", "The process answers: for a load balancer or a supervisor", returns: "Done") { _, _ in Done(done: true) }
        list.addPublic(
            .get, "/health/ready",
            "Ready to serve: the database answers and every migration this process knows is applied (503 with the problems otherwise); "
                + "with the dispatch and maintenance leaders, and the duties that have none",
            returns: "Health", alsoReturns: [.serviceUnavailable]
        ) { _, _ in
            let report = await health.report()
            return EditedResponse(status: report.ready ? .ok : .serviceUnavailable, response: report)
        }
    }
}
