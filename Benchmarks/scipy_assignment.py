"""An independent optimum for the dispatch benchmark's cost matrix: scipy's linear_sum_assignment.

Forbidden cells (-1) are priced above every sum of allowed costs, as our solver prices them,
so both maximise the number of assigned rows first and then minimise the cost."""
import sys, time
import numpy as np
from scipy.optimize import linear_sum_assignment

with open(sys.argv[1]) as f:
    rows, columns = map(int, f.readline().split())
    cost = np.loadtxt(f, dtype=np.int64, ndmin=2).reshape(rows, columns)
forbidden = cost < 0
penalty = (int(cost.max()) + 1) * (rows + 1)
priced = np.where(forbidden, penalty, cost)
start = time.perf_counter()
r, c = linear_sum_assignment(priced)
elapsed = (time.perf_counter() - start) * 1000
allowed = ~forbidden[r, c]
print(f"scipy: assigned={int(allowed.sum())} cost={int(cost[r, c][allowed].sum())} ({elapsed:.1f} ms)")
