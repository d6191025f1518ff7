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
        func cost(_ i: Int, _ j: Int) -> Int64 {
            guard j < m0 else { return penalty }
            let c = matrix.cells[i * m0 + j]
            return c == Matrix.forbidden ? penalty : c
        }
        // 1-based arrays as in the classic formulation: column 0 is the virtual start.
        var u = [Int64](repeating: 0, count: n + 1), v = [Int64](repeating: 0, count: m + 1)
        var rowOfColumn = [Int](repeating: 0, count: m + 1), way = [Int](repeating: 0, count: m + 1)
        var minimum = [Int64](repeating: .max, count: m + 1)
        var used = [Bool](repeating: false, count: m + 1)
        for i in 1...n {
            rowOfColumn[0] = i
            var j0 = 0
            for j in 0...m {
                minimum[j] = .max
                used[j] = false
            }
            repeat {
                used[j0] = true
                let i0 = rowOfColumn[j0]
                var delta = Int64.max, j1 = 0
                for j in 1...m where !used[j] {
                    let reduced = cost(i0 - 1, j - 1) - u[i0] - v[j]
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
            } while rowOfColumn[j0] != 0
            repeat {
                let j1 = way[j0]
                rowOfColumn[j0] = rowOfColumn[j1]
                j0 = j1
            } while j0 != 0
        }
        var columnOfRow = [Int?](repeating: nil, count: n)
        var total: Int64 = 0
        for j in 1...m where rowOfColumn[j] != 0 && j <= m0 {
            let i = rowOfColumn[j] - 1
            if let c = matrix[i, j - 1] {
                columnOfRow[i] = j - 1
                total += c
            }
        }
        return Solution(columnOfRow: columnOfRow, cost: total)
    }
}
