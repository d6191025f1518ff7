import Domain
import Testing

@testable import Matching

@Suite struct AssignmentSolverTests {
    /// The best assignment by trying every one: the most rows assigned, then the least cost.
    static func bruteForce(_ m: AssignmentSolver.Matrix) -> (assigned: Int, cost: Int64) {
        var best = (assigned: -1, cost: Int64.max)
        var usedColumns = [Bool](repeating: false, count: m.columns)
        func visit(_ row: Int, _ assigned: Int, _ cost: Int64) {
            if row == m.rows {
                if assigned > best.assigned || (assigned == best.assigned && cost < best.cost) { best = (assigned, cost) }
                return
            }
            visit(row + 1, assigned, cost)  // row left unassigned
            for c in 0..<m.columns where !usedColumns[c] {
                guard let cell = m[row, c] else { continue }
                usedColumns[c] = true
                visit(row + 1, assigned + 1, cost + cell)
                usedColumns[c] = false
            }
        }
        visit(0, 0, 0)
        return best
    }

    @Test func aWorkedExample() {
        // Rows 0-2, columns 0-2. Greedy takes (0,0)=1 then must pay 9 + 9; the optimum is
        // (0,1)=2, (1,0)=2, (2,2)=3 = 7.
        var m = AssignmentSolver.Matrix(rows: 3, columns: 3)
        let costs: [[Int64]] = [[1, 2, 9], [2, 9, 9], [9, 9, 3]]
        for r in 0..<3 { for c in 0..<3 { m[r, c] = costs[r][c] } }
        let solution = AssignmentSolver.solve(m)
        #expect(solution.columnOfRow == [1, 0, 2] && solution.cost == 7)
    }

    @Test func forbiddenCellsLeaveRowsUnassignedOnlyWhenNothingElseWorks() {
        // Row 1 can only take column 0; row 0 prefers column 0 but must yield it.
        var m = AssignmentSolver.Matrix(rows: 3, columns: 2)
        m[0, 0] = 1
        m[0, 1] = 50
        m[1, 0] = 100
        // Row 2: nothing allowed.
        let solution = AssignmentSolver.solve(m)
        #expect(solution.columnOfRow == [1, 0, nil] && solution.cost == 150)
    }

    @Test func anEmptyMatrixAndMoreColumnsThanRows() {
        #expect(AssignmentSolver.solve(AssignmentSolver.Matrix(rows: 0, columns: 5)).columnOfRow == [])
        var m = AssignmentSolver.Matrix(rows: 1, columns: 4)
        m[0, 3] = 7
        m[0, 1] = 8
        #expect(AssignmentSolver.solve(m) == AssignmentSolver.Solution(columnOfRow: [3], cost: 7))
    }

    /// Random small matrices with forbidden cells, against exhaustive search.
    @Test(arguments: 0..<300) func matchesExhaustiveSearch(seed: Int) {
        var random = SplitMix64(seed: UInt64(seed))
        let rows = Int(random.next() % 5) + 1, columns = Int(random.next() % 5) + 1
        var m = AssignmentSolver.Matrix(rows: rows, columns: columns)
        for r in 0..<rows {
            for c in 0..<columns where random.next() % 4 != 0 { m[r, c] = Int64(random.next() % 100) }
        }
        let solution = AssignmentSolver.solve(m)
        let expected = Self.bruteForce(m)
        let assigned = solution.columnOfRow.compactMap { $0 }
        #expect(assigned.count == expected.assigned && solution.cost == expected.cost, "\(m.cells)")
        #expect(Set(assigned).count == assigned.count, "a column used twice")
        for (r, c) in solution.columnOfRow.enumerated() { if let c { #expect(m[r, c] != nil, "a forbidden cell used") } }
    }
}
