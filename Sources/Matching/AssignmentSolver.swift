/// Minimum-cost assignment of rows (bookings) to columns (crews): the shortest augmenting path
/// form of the Hungarian method (Jonker-Volgenant style, with row and column potentials), in
/// O(rows x rows x columns) at worst and far less on real matrices.
///
/// Costs are integers, so the optimum is exact and can be compared with an independent solver.
/// A cell may be forbidden (nil): a row that cannot be given an allowed column stays unassigned.
/// Among all assignments the solver finds one that assigns the most rows, and among those the
/// cheapest: forbidden cells are priced above any sum of allowed costs.
public enum AssignmentSolver {
    public struct Matrix: Sendable {
        public let rows: Int
        public let columns: Int
        /// Row-major costs; `forbidden` where a pair is not allowed.
        var cells: [Int64]
        static let forbidden = Int64.min

        public init(rows: Int, columns: Int) {
            self.rows = rows
            self.columns = columns
            cells = Array(repeating: Self.forbidden, count: rows * columns)
        }

        public subscript(row: Int, column: Int) -> Int64? {
            get { cells[row * columns + column] == Self.forbidden ? nil : cells[row * columns + column] }
            set {
                precondition(newValue.map { $0 >= 0 } ?? true, "costs are not negative")
                cells[row * columns + column] = newValue ?? Self.forbidden
            }
        }
    }

    public struct Solution: Sendable, Equatable {
        /// For each row, its column, or nil.
        public var columnOfRow: [Int?]
        /// The sum of the assigned cells' costs.
        public var cost: Int64
    }

    public static func solve(_ matrix: Matrix) -> Solution {
        let n = matrix.rows, m0 = matrix.columns
        guard n > 0 else { return Solution(columnOfRow: [], cost: 0) }
        // The penalty of a forbidden cell exceeds every sum of allowed costs, so one more
        // assigned row always wins; columns are padded so that every row has a column.
        let largest = matrix.cells.lazy.filter { $0 != Matrix.forbidden }.max() ?? 0
        let penalty = (largest + 1) * Int64(n + 1)
        let m = max(m0, n)
        var cost = [Int64](repeating: penalty, count: n * m)
        for i in 0..<n {
            for j in 0..<m0 where matrix.cells[i * m0 + j] != Matrix.forbidden { cost[i * m + j] = matrix.cells[i * m0 + j] }
        }
        // Potentials (u rows, v columns) and the matching. Row reduction: each row priced at its cheapest column and given it if no
        // row took it first; only the rows left need a search. (Not column reduction: with more
        // columns than rows, a column left over must keep the potential 0.)
        var u = [Int64](repeating: 0, count: n), v = [Int64](repeating: 0, count: m)
        var rowOfColumn = [Int](repeating: -1, count: m), columnOfRow = [Int](repeating: -1, count: n)
        for i in 0..<n {
            var best = 0
            for j in 1..<max(m, 1) where cost[i * m + j] < cost[i * m + best] { best = j }
            u[i] = cost[i * m + best]
            if rowOfColumn[best] < 0 {
                rowOfColumn[best] = i
                columnOfRow[i] = best
            }
        }
        // Each row left: Dijkstra over reduced costs from it until a free column is reached
        // (scipy's `linear_sum_assignment` form: distances are kept from the search's start
        // and the potentials of the rows and columns it reached are settled once, at the end;
        // each step scans only the columns not reached yet).
        var distance = [Int64](repeating: 0, count: m), path = [Int](repeating: -1, count: m)
        var remaining = [Int](repeating: 0, count: m), reachedRows = [Int](repeating: 0, count: n), reachedColumns = [Int](repeating: 0, count: m)
        cost.withUnsafeBufferPointer { cost in
            u.withUnsafeMutableBufferPointer { u in
                v.withUnsafeMutableBufferPointer { v in
                    rowOfColumn.withUnsafeMutableBufferPointer { rowOfColumn in
                        columnOfRow.withUnsafeMutableBufferPointer { columnOfRow in
                            distance.withUnsafeMutableBufferPointer { distance in
                                path.withUnsafeMutableBufferPointer { path in
                                    remaining.withUnsafeMutableBufferPointer { remaining in
                                        reachedRows.withUnsafeMutableBufferPointer { reachedRows in
                                            reachedColumns.withUnsafeMutableBufferPointer { reachedColumns in
                                                for row in 0..<n where columnOfRow[row] < 0 {
                                                    augment(
                                                        from: row, m: m, cost: cost, u: u, v: v, rowOfColumn: rowOfColumn, columnOfRow: columnOfRow,
                                                        distance: distance, path: path, remaining: remaining, reachedRows: reachedRows,
                                                        reachedColumns: reachedColumns
                                                    )
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        var assignment = [Int?](repeating: nil, count: n)
        var total: Int64 = 0
        for i in 0..<n where columnOfRow[i] < m0 {
            if let c = matrix[i, columnOfRow[i]] {
                assignment[i] = columnOfRow[i]
                total += c
            }
        }
        return Solution(columnOfRow: assignment, cost: total)
    }

    /// One shortest augmenting path from the free row `start`, then the potentials settled and
    /// the path flipped. Buffers are the caller's, reused from row to row.
    @inline(__always)
    static func augment(
        from start: Int, m: Int, cost: UnsafeBufferPointer<Int64>, u: UnsafeMutableBufferPointer<Int64>, v: UnsafeMutableBufferPointer<Int64>,
        rowOfColumn: UnsafeMutableBufferPointer<Int>, columnOfRow: UnsafeMutableBufferPointer<Int>, distance: UnsafeMutableBufferPointer<Int64>,
        path: UnsafeMutableBufferPointer<Int>, remaining: UnsafeMutableBufferPointer<Int>, reachedRows: UnsafeMutableBufferPointer<Int>,
        reachedColumns: UnsafeMutableBufferPointer<Int>
    ) {
        var left = m
        for j in 0..<m {
            remaining[j] = m - 1 - j
            distance[j] = .max
        }
        var rowsReached = 0, columnsReached = 0
        var shortest: Int64 = 0, i = start, sink = -1
        while sink < 0 {
            reachedRows[rowsReached] = i
            rowsReached += 1
            let base = i * m, ui = u[i]
            var lowest = Int64.max, index = -1
            for k in 0..<left {
                let j = remaining[k]
                let reduced = shortest + cost[base + j] - ui - v[j]
                if reduced < distance[j] {
                    path[j] = i
                    distance[j] = reduced
                }
                // Ties go to a free column: the search ends sooner.
                if distance[j] < lowest || (distance[j] == lowest && rowOfColumn[j] < 0) {
                    lowest = distance[j]
                    index = k
                }
            }
            shortest = lowest
            let j = remaining[index]
            if rowOfColumn[j] < 0 { sink = j } else { i = rowOfColumn[j] }
            reachedColumns[columnsReached] = j
            columnsReached += 1
            left -= 1
            remaining[index] = remaining[left]
        }
        u[start] += shortest
        for k in 1..<rowsReached {
            let r = reachedRows[k]
            u[r] += shortest - distance[columnOfRow[r]]
        }
        for k in 0..<columnsReached {
            let j = reachedColumns[k]
            v[j] -= shortest - distance[j]
        }
        var j = sink
        while true {
            let r = path[j]
            rowOfColumn[j] = r
            let previous = columnOfRow[r]
            columnOfRow[r] = j
            if r == start { break }
            j = previous
        }
    }
}
