// 1,000 open bookings against 1,000 crews: the matcher's time, and its optimum checked against
// an independent solver (scipy's linear_sum_assignment, run by Benchmarks/run.sh dispatch) on the
// same cost matrix, with greedy's cost beside it.
//   DispatchBenchmark [BOOKINGS] [CREWS] [MATRIX-FILE]
import Matching
import Domain
import Foundation

let arguments = CommandLine.arguments.dropFirst().map { $0 }
let bookingCount = arguments.count > 0 ? Int(arguments[0])! : 1000
let crewCount = arguments.count > 1 ? Int(arguments[1])! : 1000
let matrixFile = arguments.count > 2 ? arguments[2] : "/tmp/fleet-dispatch-matrix.txt"

let now: Int64 = 1_795_392_000  // 2026-11-23 08:00 China time
let day: Int64 = 86_400, year: Int64 = 31_557_600
var random = SplitMix64(seed: 2026)
@MainActor func uniform(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
/// Somewhere in a 40 x 40 km square around Ningbo.
@MainActor func somewhere() -> GeoPoint { GeoPoint(latitudeE6: 29_688_000 + Int32(uniform(360_000)), longitudeE6: 121_336_000 + Int32(uniform(414_000))) }

let kinds: [InsurancePolicy.Kind] = [.compulsoryTraffic, .thirdPartyLiability, .vehicleDamage, .seat, .carrierLiability]
let crews = (0..<crewCount).map { i -> Crew in
    let vehicle = Vehicle(
        id: Int64(i), plate: "浙B\(10000 + i)D", vehicleClass: [.sedan, .suv][i % 2], seats: i % 2 == 0 ? 5 : 7,
        policies: kinds.map { InsurancePolicy(kind: $0, insurer: "PICC", amountFen: 100_000_000, start: now - 100 * day, expiry: now + 100 * day) },
        inspections: [Inspection(kind: .monthly, date: now - 5 * day, passed: true), Inspection(kind: .quarterly, date: now - 30 * day, passed: true)],
        inRepair: uniform(50) == 0, charge: ChargeReading(percent: 20 + uniform(81), at: now - 20), position: somewhere(), positionTime: now - 20, reserve: i % 10 == 0
    )
    var driver = Driver(id: Int64(i), name: "司机\(i)", birthDate: now - 40 * year, serviceSince: now - 8 * year, licenceExpiry: now + 900 * day, reserve: i % 7 == 0)
    driver.continuousDriving = Int64(uniform(3 * 3600))
    driver.drivingLast24h = driver.continuousDriving + Int64(uniform(3 * 3600))
    return Crew(vehicle: vehicle, driver: driver)
}
let bookings = (0..<bookingCount).map { i -> Booking in
    let pickupIn = Int64(15 * 60 + uniform(4 * 3600))
    let pickup = somewhere()
    return Booking(
        id: Int64(i), agencyID: Int64(i % 30), vehicleClass: [.sedan, .suv][uniform(2)], passengers: 1 + uniform(4), pickupTime: now + pickupIn, pickup: pickup,
        destination: somewhere(), serviceEnd: now + pickupIn + 4 * 3600, receivedAt: now - Int64(uniform(3 * 3600))
    )
}

let matcher = Matcher()
/// The median and the best of `runs` timings in ms (this VM's neighbours only ever add time:
/// the best is the code's own cost, the median what a run may expect).
@MainActor func timings(_ runs: Int, _ body: () -> Void) -> (median: Double, best: Double) {
    var times: [Double] = []
    for _ in 0..<runs {
        let start = ContinuousClock.now
        body()
        let d = ContinuousClock.now - start
        times.append(Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) / 1e15)
    }
    times.sort()
    return (times[runs / 2], times[0])
}

@MainActor func median(_ runs: Int, _ body: () -> Void) -> Double { timings(runs, body).median }

// The whole batch: every pair judged, urgent then regular phase solved, explanations built.
var plan: Matcher.Plan?
let matchMs = timings(7) { plan = matcher.match(bookings, crews: crews, now: now) }
let urgent = bookings.filter(\.isUrgent).count
print("match \(bookingCount) bookings (\(urgent) urgent) x \(crewCount) crews: median \(String(format: "%.1f", matchMs.median)) ms (best \(String(format: "%.1f", matchMs.best))), \(plan!.assignments.count) matched")

// One phase's matrix, alone: the solver against greedy and against scipy.
var matrix = AssignmentSolver.Matrix(rows: bookingCount, columns: crewCount)
var judgeMs = 0.0
judgeMs = median(1) {
    let facts = crews.map { CrewFacts($0, rules: matcher.rules, now: now) }
    for (b, booking) in bookings.enumerated() {
        for (c, crewFacts) in facts.enumerated() {
            if let candidate = matcher.candidate(booking, crewFacts, crewIndex: c, now: now) { matrix[b, c] = candidate.cost }
        }
    }
}
var solution: AssignmentSolver.Solution?
let solveMs = median(5) { solution = AssignmentSolver.solve(matrix) }
// Greedy: each booking in turn takes its cheapest free crew.
var greedyCost: Int64 = 0, greedyAssigned = 0
let greedyMs = median(1) {
    var used = Set<Int>()
    greedyCost = 0
    greedyAssigned = 0
    for b in 0..<bookingCount {
        var best: (Int, Int64)?
        for c in 0..<crewCount where !used.contains(c) {
            if let cost = matrix[b, c], cost < best?.1 ?? .max { best = (c, cost) }
        }
        if let (c, cost) = best {
            used.insert(c)
            greedyCost += cost
            greedyAssigned += 1
        }
    }
}
let assigned = solution!.columnOfRow.compactMap { $0 }.count
print("judge every pair: \(String(format: "%.1f", judgeMs)) ms; solve: median \(String(format: "%.1f", solveMs)) ms; greedy: \(String(format: "%.1f", greedyMs)) ms (solve / greedy time \(String(format: "%.2f", solveMs / greedyMs)))")
print("optimal: \(assigned) assigned, cost \(solution!.cost); greedy: \(greedyAssigned) assigned, cost \(greedyCost) (greedy / optimal cost \(String(format: "%.4f", Double(greedyCost) / Double(max(1, solution!.cost)))))")

// The matrix for the independent solver: rows of costs, -1 where forbidden.
var text = "\(bookingCount) \(crewCount)\n"
for b in 0..<bookingCount {
    text += (0..<crewCount).map { matrix[b, $0].map(String.init) ?? "-1" }.joined(separator: " ") + "\n"
}
try text.write(toFile: matrixFile, atomically: true, encoding: .utf8)
print("ours: assigned=\(assigned) cost=\(solution!.cost)")
