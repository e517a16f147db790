"""An upper bound from whole placements per location: Dantzig-Wolfe over the exact model.

The LP bounds (``bound.py``, ``aggbound.py``) may fill a location's last supervision
hours with fractions of requests, and draw a placement's hours from different
sources in different weeks. This bound does neither inside a location: it
decomposes the exact MILP (``exact.py``, rules 1-4 stated literally) by location.

What couples locations in that MILP are only

* each request's row ``sum of its x[r,p] over all plekken <= 1``, and
* the rows of the sources shared between locations (docent-begeleiders, regional
  pools): their hours per week, and their students per week when limited.

Everything else (seats per plek and week, location sources, peer mentors,
leerafdelingen, each placement drawing the same units from the same sources in
all its weeks, integer hour units, ``max_students``) belongs to one location.
So for prices ``pi[r] >= 0`` on the request rows, ``mu[s,w] >= 0`` on the shared
hours rows and ``nu[s,w] >= 0`` on the shared students rows,

    L(pi, mu, nu) = sum_r pi[r] + sum_{s,w} mu[s,w] H[s] + sum_{s,w} nu[s,w] M[s]
                    + sum_l max over location l's integer solutions of
                      (sum_r (prio_r - pi[r]) X_l[r] - mu . shared hours - nu . shared students)

is an upper bound on every feasible allocation's weighted count (weak duality:
any feasible allocation restricted to l is one of l's integer solutions, and
each dualised row's slack times its price is >= 0). Each location's maximum is
bounded from above by its MIP's dual bound, so L stays valid when a MIP stops
before proving optimality. Rows are stated only at *event weeks* (a week in
which some request that could be at the location starts, or the week after one
ends): between two event weeks the set of running requests does not change, so
the rows in other weeks repeat one of these; this loses nothing.

The prices come from column generation: the restricted master LP holds, per
location, a convex combination of integer solutions found so far (the engine's
allocation to start with, so the master is feasible), with the coupling rows;
its duals price the next round of location MIPs (smoothed towards the prices
of the best bound so far, Wentges' stabilisation), whose solutions become new
columns. The best L seen is the bound. Its optimum is the LP over the convex
hulls of the locations' integer solutions, which is at least as strong as the
LP relaxation of the exact model, and it is proven per run, not assumed.

It is an offline tool (``python -m coordination.engine best-known --method
location-bound``): one round is one MIP per location, and the LP alone takes
about 45 s at 1,000 requests.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .exact import _week, eligible, in_scope
from .model import HOURS_UNIT, Assignment, Problem, request_load

SHARED_KINDS = frozenset({"docent_begeleider", "regionale_pool"})


@dataclass
class _Location:
    """One location's MIP, kept between rounds; only its objective changes."""

    location_id: int
    highs: Any
    x_cols: list[tuple[int, int]]  # (column, request index): x[r,p]
    y_shared: list[tuple[int, int, int]]  # (column, request index, shared index)
    u_shared: list[tuple[int, int, int]]  # (column, request index, shared index)
    x_of: dict[tuple[int, int], int] = field(default_factory=dict)  # (request, plek id) -> col
    y_of: dict[tuple[int, int], int] = field(default_factory=dict)  # (request, source id) -> col
    u_of: dict[tuple[int, int], int] = field(default_factory=dict)
    forced_value: float = 0.0  # priority of confirmed placements here (x fixed at 1)


@dataclass
class _Pattern:
    """An integer solution of one location: which requests, and what it takes of shared rows."""

    location: int  # index into the locations
    value: float  # weighted count
    requests: np.ndarray  # request indices placed
    hours: dict[int, float]  # shared hours row -> units
    students: dict[int, float]  # shared students row -> count


class LocationBound:
    """The decomposition of one problem: the location MIPs and the coupling rows."""

    def __init__(self, problem: Problem, *, mip_time_limit: float = 30.0) -> None:
        import highspy

        self.highspy = highspy
        self.problem = problem
        st = problem.settings
        self.reqs = sorted(problem.requests, key=lambda r: r.id)
        self.r_index = {r.id: i for i, r in enumerate(self.reqs)}
        self.prio = np.array([float(r.priority) for r in self.reqs])
        self.fixed = {e.request_id: e.plek_id for e in problem.existing if e.fixed}
        pleks = sorted(problem.plekken, key=lambda p: p.id)
        srcs = sorted(problem.sources, key=lambda s: s.id)
        self.span = [(_week(r.start), _week(r.end)) for r in self.reqs]
        self.units = [round(request_load(st, r) / HOURS_UNIT) for r in self.reqs]

        shared = [s for s in srcs if s.kind in SHARED_KINDS]
        self.shared = shared
        shared_index = {s.id: k for k, s in enumerate(shared)}
        by_location: dict[int, list] = defaultdict(list)
        for p in pleks:
            by_location[p.location_id].append(p)
        local_sources: dict[int, list] = defaultdict(list)
        plek_location = {p.id: p.location_id for p in pleks}
        for s in srcs:
            if s.kind in SHARED_KINDS:
                continue
            loc = s.location_id if s.plek_id is None else plek_location.get(s.plek_id)
            if loc is not None:
                local_sources[loc].append(s)

        # Shared rows: per shared source and event week of the requests it may carry.
        self.hours_rows: list[tuple[int, int]] = []  # (shared index, week)
        self.hours_cap: list[float] = []
        self.students_rows: list[tuple[int, int]] = []
        self.students_cap: list[float] = []
        self._shared_weeks: list[list[int]] = []
        self._hours_row_of: dict[tuple[int, int], int] = {}
        self._students_row_of: dict[tuple[int, int], int] = {}
        for k, s in enumerate(shared):
            weeks = _event_weeks(
                self.span[i]
                for i, r in enumerate(self.reqs)
                if _week(s.start) <= self.span[i][0]
                and self.span[i][1] <= _week(s.end)
                and (s.kind == "regionale_pool" or s.school_id == r.school_id)
            )
            self._shared_weeks.append(weeks)
            for w in weeks:
                self._hours_row_of[(k, w)] = len(self.hours_rows)
                self.hours_rows.append((k, w))
                self.hours_cap.append(s.hours_per_week / HOURS_UNIT)
                if s.max_students is not None:
                    self._students_row_of[(k, w)] = len(self.students_rows)
                    self.students_rows.append((k, w))
                    self.students_cap.append(float(s.max_students))

        # Eligible (request, plek) pairs, with exact.py's test; the opleiding first, cheaply.
        by_opleiding: dict[int, list] = defaultdict(list)
        for p in pleks:
            for o in p.opleiding_ids:
                by_opleiding[o].append(p)
        self._pairs: dict[int, list[int]] = defaultdict(list)  # plek id -> request indices
        for i, r in enumerate(self.reqs):
            for p in by_opleiding.get(r.opleiding_id, ()):
                if eligible(r, p, self.fixed):
                    self._pairs[p.id].append(i)

        self.locations: list[_Location] = []
        for loc in sorted(by_location):
            block = self._build_location(
                loc, by_location[loc], local_sources[loc], shared_index, mip_time_limit
            )
            if block is not None:
                self.locations.append(block)

    # -- one location's MIP ----------------------------------------------------

    def _build_location(
        self,
        loc: int,
        pleks: Sequence,
        local: Sequence,
        shared_index: dict[int, int],
        mip_time_limit: float,
    ) -> _Location | None:
        hs = self.highspy
        st = self.problem.settings
        h = hs.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.setOptionValue("time_limit", float(mip_time_limit))
        h.setOptionValue("mip_rel_gap", 1e-6)
        h.setOptionValue("mip_feasibility_tolerance", 1e-9)
        h.setOptionValue("primal_feasibility_tolerance", 1e-9)
        inf = hs.kHighsInf
        integer = hs.HighsVarType.kInteger

        def var(lo: float, hi: float) -> int:
            h.addVar(lo, hi)
            j = h.getNumCol() - 1
            h.changeColIntegrality(j, integer)
            return j

        def row(lo: float, hi: float, terms: list[tuple[int, float]]) -> None:
            if terms:
                h.addRow(lo, hi, len(terms), [t[0] for t in terms], [t[1] for t in terms])

        block = _Location(loc, h, [], [], [])
        x_by_req: dict[int, list[tuple[int, int]]] = defaultdict(list)  # i -> (col, plek id)
        for p in pleks:
            for i in self._pairs.get(p.id, ()):
                x_by_req[i].append((-1, p.id))
        if not x_by_req:
            return None
        seat_terms: dict[int, list[tuple[int, int]]] = defaultdict(list)  # plek -> (col, i)
        src_terms: dict[int, list[tuple[int, int, float]]] = defaultdict(list)
        cnt_terms: dict[int, list[tuple[int, int]]] = defaultdict(list)
        mentors: list[tuple[int, int]] = []  # (X column, i): ouderejaars mentors here
        plek_by_id = {p.id: p for p in pleks}
        candidates = [*local, *self.shared]  # a request's sources here are among these
        for i, options in sorted(x_by_req.items()):
            r = self.reqs[i]
            cols = []
            for _, pid in options:
                forced = self.fixed.get(r.id) == pid
                j = var(1.0 if forced else 0.0, 1.0)
                if forced:
                    block.forced_value += self.prio[i]
                cols.append((j, pid))
                block.x_cols.append((j, i))
                block.x_of[(i, pid)] = j
                seat_terms[pid].append((j, i))
            # X = sum of the x: at most one plek here (implied by the request's row).
            big_x = [(j, 1.0) for j, _ in cols]
            row(-inf, 1.0, big_x)
            if r.peer_mentor and r.doelgroep == "ouderejaars":
                mentors.extend((j, i) for j, _ in cols)
            units = float(self.units[i])
            load = [(j, -units) for j, _ in cols]
            peer = [(j, -st.peer_share * units) for j, _ in cols]
            # A source's scope here depends on the plek only for a leerafdeling.
            for s in candidates:
                allowed = [(j, pid) for j, pid in cols if in_scope(s, r, plek_by_id[pid])]
                if not allowed:
                    continue
                y = var(0.0, units)
                load.append((y, 1.0))
                # y only where the request is at a plek this source may carry
                row(-inf, 0.0, [(y, 1.0)] + [(j, -units) for j, _ in allowed])
                if s.kind == "student_ondersteuner":
                    peer.append((y, 1.0))
                u = None
                if s.max_students is not None:
                    u = var(0.0, 1.0)
                    row(-inf, 0.0, [(y, 1.0), (u, -units)])
                    row(-inf, 0.0, [(u, 1.0)] + [(j, -1.0) for j, _ in allowed])
                if s.kind in SHARED_KINDS:
                    k = shared_index[s.id]
                    block.y_shared.append((y, i, k))
                    block.y_of[(i, s.id)] = y
                    if u is not None:
                        block.u_shared.append((u, i, k))
                        block.u_of[(i, s.id)] = u
                else:
                    src_terms[s.id].append((y, i, s.group_factor))
                    block.y_of[(i, s.id)] = y
                    if u is not None:
                        cnt_terms[s.id].append((u, i))
                        block.u_of[(i, s.id)] = u
            row(0.0, 0.0, load)
            if len(peer) > len(cols):
                row(-inf, 0.0, peer)

        weeks = _event_weeks(self.span[i] for i in x_by_req)
        seen: set[tuple] = set()

        def capped(cap: float, terms: list[tuple[int, float]]) -> None:
            key = (cap, tuple(terms))
            if key not in seen and terms:
                seen.add(key)
                row(-inf, cap, terms)

        def running(i: int, w: int) -> bool:
            return self.span[i][0] <= w <= self.span[i][1]

        for pid, terms in seat_terms.items():
            seats = plek_by_id[pid].seats
            for w in weeks:
                active = [(j, 1.0) for j, i in terms if running(i, w)]
                if len(active) > seats:
                    capped(float(seats), active)
        for s in local:
            for w in weeks:
                if not (_week(s.start) <= w <= _week(s.end)):
                    continue
                active = [(y, g) for y, i, g in src_terms[s.id] if running(i, w)]
                if not active:
                    continue
                if s.kind == "student_ondersteuner":
                    gives = [(j, -st.peer_hours / HOURS_UNIT) for j, i in mentors if running(i, w)]
                    key = ("peer", tuple(active), tuple(gives))
                    if key not in seen:
                        seen.add(key)
                        row(-inf, 0.0, active + gives)
                else:
                    capped(s.hours_per_week / HOURS_UNIT, active)
                if s.max_students is not None:
                    students = [(u, 1.0) for u, i in cnt_terms[s.id] if running(i, w)]
                    if len(students) > s.max_students:
                        capped(float(s.max_students), students)
        h.changeObjectiveSense(hs.ObjSense.kMaximize)
        return block

    # -- pricing -----------------------------------------------------------------

    def _shared_week_sum(self, prices: np.ndarray, row_of: dict, i: int, k: int) -> float:
        a, b = self.span[i]
        return float(sum(prices[row_of[(k, w)]] for w in self._shared_weeks[k] if a <= w <= b))

    def price(
        self, block_index: int, pi: np.ndarray, mu: np.ndarray, nu: np.ndarray
    ) -> tuple[float, _Pattern | None]:
        """Solve one location at these prices: its MIP's dual bound, and the solution found
        as a pattern (None when the time limit came before any)."""
        b = self.locations[block_index]
        h = b.highs
        n = h.getNumCol()
        cost = np.zeros(n)
        for j, i in b.x_cols:
            cost[j] = self.prio[i] - pi[i]
        for y, i, k in b.y_shared:
            g = self.shared[k].group_factor
            cost[y] = -g * self._shared_week_sum(mu, self._hours_row_of, i, k)
        for u, i, k in b.u_shared:
            cost[u] = -self._shared_week_sum(nu, self._students_row_of, i, k)
        h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
        h.run()
        status = h.getModelStatus()
        ok = status in (
            self.highspy.HighsModelStatus.kOptimal,
            self.highspy.HighsModelStatus.kTimeLimit,
        )
        if not ok:
            raise RuntimeError(f"location {b.location_id}: {h.modelStatusToString(status)}")
        info = h.getInfo()
        dual = float(info.mip_dual_bound)
        if info.primal_solution_status == 0:  # no solution at all (time limit)
            return dual, None
        val = np.asarray(h.getSolution().col_value)
        return dual, self._pattern(block_index, val)

    def _pattern(self, block_index: int, val: np.ndarray) -> _Pattern:
        b = self.locations[block_index]
        placed = sorted({i for j, i in b.x_cols if val[j] > 0.5})
        hours: dict[int, float] = defaultdict(float)
        students: dict[int, float] = defaultdict(float)
        for y, i, k in b.y_shared:
            units = round(val[y])
            if units:
                g = self.shared[k].group_factor
                a, e = self.span[i]
                for w in self._shared_weeks[k]:
                    if a <= w <= e:
                        hours[self._hours_row_of[(k, w)]] += g * units
        for u, i, k in b.u_shared:
            if val[u] > 0.5:
                a, e = self.span[i]
                for w in self._shared_weeks[k]:
                    if a <= w <= e:
                        students[self._students_row_of[(k, w)]] += 1.0
        arr = np.array(placed, dtype=np.int64)
        return _Pattern(
            block_index, float(self.prio[arr].sum()) if placed else 0.0, arr, hours, students
        )

    def pattern_of(self, block_index: int, assignments: Sequence[Assignment]) -> _Pattern:
        """A known allocation's part at this location (e.g. the engine's), as a pattern."""
        b = self.locations[block_index]
        val = np.zeros(b.highs.getNumCol())
        for a in assignments:
            i = self.r_index[a.request_id]
            j = b.x_of.get((i, a.plek_id))
            if j is None:
                continue
            val[j] = 1.0
            for d in a.draws:
                y = b.y_of.get((i, d.source_id))
                if y is not None:
                    val[y] = round(d.load_hours / HOURS_UNIT)
                u = b.u_of.get((i, d.source_id))
                if u is not None:
                    val[u] = 1.0
        return self._pattern(block_index, val)

    def lagrangian(self, pi: np.ndarray, mu: np.ndarray, nu: np.ndarray, duals: list) -> float:
        return (
            float(pi.sum())
            + float(mu @ np.asarray(self.hours_cap))
            + float(nu @ np.asarray(self.students_cap))
            + float(sum(duals))
        )


def _event_weeks(spans: Any) -> list[int]:
    """Weeks in which the set of running requests can change: starts, and the week after an end."""
    weeks: set[int] = set()
    for a, b in spans:
        weeks.add(a)
        weeks.add(b + 1)
    return sorted(weeks)


class _Master:
    """The restricted master LP: per location a convex combination of its patterns."""

    def __init__(self, lb: LocationBound) -> None:
        import highspy

        self.hs = highspy
        self.lb = lb
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        inf = highspy.kHighsInf
        n_req = len(lb.reqs)
        n_h = len(lb.hours_rows)
        n_s = len(lb.students_rows)
        n_l = len(lb.locations)
        lo = np.concatenate([np.full(n_req + n_h + n_s, -inf), np.ones(n_l)])
        hi = np.concatenate(
            [np.ones(n_req), np.asarray(lb.hours_cap), np.asarray(lb.students_cap), np.ones(n_l)]
        )
        empty = np.array([], dtype=np.int32)
        h.addRows(len(lo), lo, hi, 0, np.zeros(len(lo), dtype=np.int32), empty, np.array([]))
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.h = h
        self.offsets = (0, n_req, n_req + n_h, n_req + n_h + n_s)
        self.columns = 0

    def add(self, pat: _Pattern) -> None:
        o_req, o_h, o_s, o_l = self.offsets
        idx = [o_req + int(i) for i in pat.requests]
        vals = [1.0] * len(idx)
        for r, v in pat.hours.items():
            idx.append(o_h + r)
            vals.append(v)
        for r, v in pat.students.items():
            idx.append(o_s + r)
            vals.append(v)
        idx.append(o_l + pat.location)
        vals.append(1.0)
        # No upper bound of 1 on the column: the convexity row is the bound, and a column
        # bound would take the duals that price the location MIPs.
        self.h.addCol(
            pat.value,
            0.0,
            self.hs.kHighsInf,
            len(idx),
            np.array(idx, dtype=np.int32),
            np.array(vals),
        )
        self.columns += 1

    def solve(self) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        self.h.run()
        status = self.h.getModelStatus()
        if status != self.hs.HighsModelStatus.kOptimal:
            raise RuntimeError(f"master LP: {self.h.modelStatusToString(status)}")
        value = float(self.h.getInfo().objective_function_value)
        # HiGHS gives a maximisation's binding <= rows duals >= 0.
        dual = np.asarray(self.h.getSolution().row_dual)
        o_req, o_h, o_s, o_l = self.offsets
        clip = np.maximum
        return value, clip(dual[o_req:o_h], 0), clip(dual[o_h:o_s], 0), clip(dual[o_s:o_l], 0)


def _columnwise(lp: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A HiGHS LP's matrix as column starts, row indices and values."""
    m = lp.a_matrix_
    start, index, value = (np.asarray(a) for a in (m.start_, m.index_, m.value_))
    if str(m.format_).endswith("kColwise"):
        return start, index, value
    rows = np.repeat(np.arange(lp.num_row_), np.diff(start[: lp.num_row_ + 1]))
    cols = index[: len(rows)]
    order = np.argsort(cols, kind="stable")
    counts = np.bincount(cols, minlength=lp.num_col_)
    col_start = np.concatenate([[0], np.cumsum(counts)])
    return col_start, rows[order], value[: len(rows)][order]


def lp_prices(lb: LocationBound) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """The LP relaxation of the whole decomposed model (all locations' rows and the
    coupling rows): its value, and its coupling rows' duals, the start for the prices."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    inf = highspy.kHighsInf
    n_req, n_h, n_s = len(lb.reqs), len(lb.hours_rows), len(lb.students_rows)
    n_couple = n_req + n_h + n_s
    lo = np.full(n_couple, -inf)
    hi = np.concatenate([np.ones(n_req), np.asarray(lb.hours_cap), np.asarray(lb.students_cap)])
    h.addRows(n_couple, lo, hi, 0, np.zeros(n_couple, dtype=np.int32), np.zeros(0, np.int32), [])
    for b in lb.locations:
        lp = b.highs.getLp()
        offset = h.getNumRow()
        n_rows = lp.num_row_
        h.addRows(
            n_rows,
            np.asarray(lp.row_lower_),
            np.asarray(lp.row_upper_),
            0,
            np.zeros(n_rows, dtype=np.int32),
            np.zeros(0, np.int32),
            [],
        )
        extra: dict[int, list[tuple[int, float]]] = defaultdict(list)
        for j, i in b.x_cols:
            extra[j].append((i, 1.0))
        for y, i, k in b.y_shared:
            g = lb.shared[k].group_factor
            a, e = lb.span[i]
            for w in lb._shared_weeks[k]:
                if a <= w <= e:
                    extra[y].append((n_req + lb._hours_row_of[(k, w)], g))
        for u, i, k in b.u_shared:
            a, e = lb.span[i]
            for w in lb._shared_weeks[k]:
                if a <= w <= e:
                    extra[u].append((n_req + n_h + lb._students_row_of[(k, w)], 1.0))
        start, index, value = _columnwise(lp)
        costs = np.zeros(lp.num_col_)
        for j, i in b.x_cols:
            costs[j] = lb.prio[i]
        starts: list[int] = []
        rows: list[int] = []
        vals: list[float] = []
        for j in range(lp.num_col_):
            starts.append(len(rows))
            rows.extend((index[start[j] : start[j + 1]] + offset).tolist())
            vals.extend(value[start[j] : start[j + 1]].tolist())
            for r, v in extra.get(j, ()):
                rows.append(r)
                vals.append(v)
        h.addCols(
            lp.num_col_,
            costs,
            np.asarray(lp.col_lower_),
            np.asarray(lp.col_upper_),
            len(rows),
            np.asarray(starts, dtype=np.int32),
            np.asarray(rows, dtype=np.int32),
            np.asarray(vals),
        )
    if h.getNumCol() == 0:  # nothing can be placed anywhere
        return 0.0, np.zeros(n_req), np.zeros(n_h), np.zeros(n_s)
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    # Interior point without crossover: any prices >= 0 give a valid bound, so the
    # duals need not be a vertex's (simplex took minutes at 1,000 requests).
    h.setOptionValue("solver", "ipm")
    h.setOptionValue("run_crossover", "off")
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        # Without crossover the interior point method can end "Unknown" on a tiny
        # degenerate model (a property test's instance of 5 requests); simplex settles it.
        h.setOptionValue("solver", "simplex")
        h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(f"LP: {h.modelStatusToString(h.getModelStatus())}")
    dual = np.maximum(np.asarray(h.getSolution().row_dual)[:n_couple], 0.0)
    value_lp = float(h.getInfo().objective_function_value)
    return value_lp, dual[:n_req], dual[n_req : n_req + n_h], dual[n_req + n_h :]


def location_bound(
    problem: Problem,
    start: Sequence[Assignment],
    *,
    rounds: int = 30,
    smoothing: float = 0.5,
    mip_time_limit: float = 30.0,
    tolerance: float = 0.5,
    lp_start: bool = True,
    log: Any = None,
) -> dict[str, Any]:
    """Column generation from the feasible allocation ``start``; returns the best bound.

    Stops after ``rounds`` rounds, or when the bound is within ``tolerance`` of the
    master LP (then the master is the decomposition's optimum, up to that).
    """
    t0 = time.perf_counter()
    lb = LocationBound(problem, mip_time_limit=mip_time_limit)
    built = time.perf_counter() - t0
    if not lb.locations:  # no request has an eligible plek: nothing can be placed
        return {
            "upper_bound": 0.0,
            "value": 0.0,
            "master": 0.0,
            "lp_relaxation": 0.0,
            "rounds": [],
            "locations": 0,
            "build_seconds": round(built, 2),
            "seconds": round(time.perf_counter() - t0, 2),
        }
    master = _Master(lb)
    for k in range(len(lb.locations)):
        master.add(lb.pattern_of(k, start))
        if lb.locations[k].forced_value == 0.0:
            master.add(lb.pattern_of(k, ()))  # nothing placed there
    best = np.inf
    best_prices: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    history = []
    master_value = 0.0
    lp_value = None
    if lp_start:
        lp_value, *start_prices = lp_prices(lb)
        if log is not None:
            log({"lp": round(lp_value, 4), "seconds": round(time.perf_counter() - t0, 2)})
    for round_no in range(1, rounds + 1):
        master_value, pi, mu, nu = master.solve()
        if round_no == 1 and lp_start:
            pi, mu, nu = start_prices  # the first round prices at the LP's duals
        elif best_prices is not None and smoothing > 0:
            a = smoothing
            pi = a * best_prices[0] + (1 - a) * pi
            mu = a * best_prices[1] + (1 - a) * mu
            nu = a * best_prices[2] + (1 - a) * nu
        duals, added = [], 0
        for k in range(len(lb.locations)):
            dual, pat = lb.price(k, pi, mu, nu)
            duals.append(dual)
            if pat is not None:
                master.add(pat)
                added += 1
        value = lb.lagrangian(pi, mu, nu, duals)
        if value < best:
            best = value
            best_prices = (pi, mu, nu)
        row = {
            "round": round_no,
            "master": round(master_value, 4),
            "lagrangian": round(value, 4),
            "best": round(best, 4),
            "columns": master.columns,
            "seconds": round(time.perf_counter() - t0, 2),
        }
        history.append(row)
        if log is not None:
            log(row)
        if best - master_value <= tolerance:
            break
    return {
        "upper_bound": float(np.floor(best + 1e-6)),
        "value": best,
        "master": master_value,
        "lp_relaxation": lp_value,
        "rounds": history,
        "locations": len(lb.locations),
        "build_seconds": round(built, 2),
        "seconds": round(time.perf_counter() - t0, 2),
    }
