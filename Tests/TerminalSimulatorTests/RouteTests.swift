import Domain
import TerminalSimulator
import Testing

@Suite struct RouteTests {
    /// A steered vehicle heads for its target at a city pace, every report consistent with the
    /// last, and stops there.
    @Test func aSteeredVehicleDrivesToItsTargetAndStops() {
        var route = Route(homeLatitude: 29.8683, homeLongitude: 121.5440, seed: 7)
        let target = (latitude: 29.8260, longitude: 121.4610)
        func metresToTarget() -> Double {
            TrackDistance.meters(
                fromLatitudeE6: Int32(route.latitude * 1e6), longitudeE6: Int32(route.longitude * 1e6),
                toLatitudeE6: Int32(target.latitude * 1e6), longitudeE6: Int32(target.longitude * 1e6)
            )
        }
        var remaining = metresToTarget()
        var steps = 0
        while remaining > 0, steps < 1000 {
            route.advance(seconds: 10, toward: target)
            let now = metresToTarget()
            // Closer at every step, by no more than the speed allows (60 km/h: 167 m in 10 s).
            #expect(now < remaining && remaining - now <= 170)
            remaining = now
            steps += 1
        }
        #expect(remaining < 1 && route.speed == 0 && steps < 1000)
        route.advance(seconds: 10, toward: target)
        #expect(metresToTarget() < 1 && route.speed == 0)
    }
}
