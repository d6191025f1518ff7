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
        // Potentials (u rows, v columns; v[m] belongs to the virtual start column) and the
        // matching. Row reduction: each row priced at its cheapest column and given it if no
        // row took it first; only the rows left need a search. (Not column reduction: with more
        // columns than rows, a column left over must keep the potential 0.)
        var u = [Int64](repeating: 0, count: n), v = [Int64](repeating: 0, count: m + 1)
        var rowOfColumn = [Int](repeating: -1, count: m + 1), columnOfRow = [Int](repeating: -1, count: n)
        for i in 0..<n {
            var best = 0
            for j in 1..<max(m, 1) where cost[i * m + j] < cost[i * m + best] { best = j }
            u[i] = cost[i * m + best]
            if rowOfColumn[best] < 0 {
                rowOfColumn[best] = i
                columnOfRow[i] = best
            }
        }
        var minimum = [Int64](repeating: .max, count: m + 1), way = [Int](repeating: m, count: m + 1)
        var used = [Bool](repeating: false, count: m + 1)
        cost.withUnsafeBufferPointer { cost in
            for row in 0..<n where columnOfRow[row] < 0 {
                // Dijkstra over reduced costs from `row`, entered through the virtual column m,
                // until a free column is reached; then the path is flipped.
                rowOfColumn[m] = row
                var j0 = m
                for j in 0...m {
                    minimum[j] = .max
                    used[j] = false
                }
                repeat {
                    used[j0] = true
                    let i0 = rowOfColumn[j0], base = i0 * m, ui = u[i0]
                    var delta = Int64.max, j1 = -1
                    for j in 0..<m where !used[j] {
                        let reduced = cost[base + j] - ui - v[j]
                        if reduced < minimum[j] {
                            minimum[j] = reduced
                            way[j] = j0
                        }
                        if minimum[j] < delta {
                            delta = minimum[j]
                            j1 = j
                        }
                    }
                    for j in 0...m {
                        if used[j] {
                            u[rowOfColumn[j]] += delta
                            v[j] -= delta
                        } else {
                            minimum[j] -= delta
                        }
                    }
                    j0 = j1
                } while rowOfColumn[j0] >= 0
                repeat {
                    let j1 = way[j0]
                    rowOfColumn[j0] = rowOfColumn[j1]
                    j0 = j1
                } while j0 != m
                for j in 0..<m where rowOfColumn[j] >= 0 { columnOfRow[rowOfColumn[j]] = j }
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
}
