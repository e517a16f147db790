"""LP relaxation (HiGHS) of the allocation: an upper bound on placed requests.

Every feasible allocation maps to a feasible point of this LP, so its optimum
bounds the priority-weighted number of placed requests from above. To stay
small enough for a region in seconds, it works per *location* and per *check
week* (weeks in which something starts or ends):

* ``x[r,l]`` in [0, 1]: request r placed at some eligible plek of location l;
  ``sum_l x[r,l] <= 1``; a confirmed placement has x = 1 at its location.
* seats, for each location, opleiding and check week: requests of that
  opleiding running that week <= seats of the location's plekken that take it
  and run that week; and the same for all opleidingen together.
* supervision, for each location and check week: the load of the requests
  there <= hours/group_factor of its location sources running that week
  + peer hours (at most peer_share of the eerstejaars' load there, at most
  peer_hours per mentor placed there) + leerafdeling hours (at most the load of
  requests eligible for that plek) + a share ``d[l,school,w]`` of each school's
  docent hours (at most that school's load there) + a share ``q[l,w]`` of the
  regional pool; docent and pool shares add up to their hours.
* students, for each location and week: students placed <= max_students of its
  limited sources + what unlimited supervision could carry at the smallest
  load (unlimited sources carry at least (1 - peer_share) of each load).

Relaxed compared with the real model: a placement may change its sources
from week to week, a source with a shorter period may help a longer request,
and seats are matched per opleiding rather than per plek. The fractional x
also orders the construction. A bonus below 1e-7 per request for ranked
preferences is added to the objective and kept in the bound, which stays valid.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .index import PEER, Index
from .state import BIG, State

PREF_BONUS = 1e-8
# Beyond this many columns HiGHS takes minutes here; the Lagrangian dual takes seconds.
HIGHS_MAX_COLUMNS = 20_000
LAGRANGIAN_GUIDE_ONLY_COLUMNS = 100_000
# Interior point without crossover: several times faster here than simplex, and
# its central solution spreads x over the good locations, which guides better.
_EXTRA_OPTIONS: dict[str, Any] = {"solver": "ipm", "run_crossover": "off"}


@dataclass
class LPResult:
    x: dict[int, dict[int, float]]  # request index -> location id -> value
    info: dict[str, Any] = field(default_factory=dict)


@contextlib.contextmanager
def _quiet_stdout():  # type: ignore[no-untyped-def]
    """HiGHS prints a banner on stdout when the first instance is made."""
    sys.stdout.flush()  # what Python buffered must not go to /dev/null
    try:
        fd = os.dup(1)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(fd, 1)
        os.close(fd)


class _LP:
    def __init__(self) -> None:
        self.cost: list[float] = []
        self.lo: list[float] = []
        self.hi: list[float] = []
        self.rlo: list[float] = []
        self.rhi: list[float] = []
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.vals: list[float] = []

    def col(self, cost: float, lo: float, hi: float) -> int:
        self.cost.append(cost)
        self.lo.append(lo)
        self.hi.append(hi)
        return len(self.cost) - 1

    def row(self, lo: float, hi: float, terms: list[tuple[int, float]]) -> None:
        if not terms:
            return
        k = len(self.rlo)
        self.rlo.append(lo)
        self.rhi.append(hi)
        for c, v in terms:
            self.rows.append(k)
            self.cols.append(c)
            self.vals.append(v)


def lp_relaxation(
    ix: Index,
    st: State,
    fixed: np.ndarray,
    *,
    time_limit: float | None = None,
    target: float | None = None,
) -> LPResult:
    """Bound (and guidance) from the LP: HiGHS when small, else its Lagrangian dual.

    ``target`` is the value of a known allocation; the Lagrangian uses it to
    size its steps.
    """
    t0 = time.perf_counter()
    import highspy

    inf = highspy.kHighsInf
    settings = ix.problem.settings
    share = float(settings.peer_share)
    peer_hours = float(settings.peer_hours)
    T = ix.T
    R = len(ix.rid)
    pleks = sorted(ix.problem.plekken, key=lambda p: p.id)
    from .weeks import week_index

    pws = [week_index(p.start) - ix.w0 for p in pleks]
    pwe = [week_index(p.end) - ix.w0 for p in pleks]
    # Check weeks: where requests, plekken or sources start, or just after they end.
    marks = set(ix.rws.tolist()) | {int(w) + 1 for w in ix.rwe.tolist()}
    marks |= set(pws) | {w + 1 for w in pwe} | set(ix.sws) | {w + 1 for w in ix.swe}
    weeks = sorted(w for w in marks if 0 <= w < T)

    lp = _LP()
    fixed_plek = {int(r): int(st.assign[r]) for r in np.nonzero(fixed)[0]}
    # x columns, grouped by location
    at_loc: dict[int, list[tuple[int, int]]] = defaultdict(list)  # loc -> (col, r)
    xcols: list[tuple[int, int, int]] = []
    assign_rows: list[int] = []  # one per request with columns; its x columns are contiguous
    opl_of = [r.opleiding_id for r in sorted(ix.problem.requests, key=lambda r: r.id)]
    elig_at: dict[int, set[int]] = defaultdict(set)  # plek index -> request indices
    for r in range(R):
        el = ix.eligible(r)
        fp = fixed_plek.get(r)
        if fp is not None:
            el = np.array([fp])
        if el.size == 0:
            continue
        pref = ix.pref_rank[r]
        best: dict[int, int] = {}
        for p in el.tolist():
            loc = ix.ploc[p]
            k = pref.get(p, 10)
            best[loc] = min(best.get(loc, 10), k)
            elig_at[p].add(r)
        terms = []
        assign_rows.append(len(lp.rlo))
        for loc in sorted(best):
            bonus = PREF_BONUS * (10 - best[loc]) / 10
            c = lp.col(float(ix.prio[r]) + bonus, 1.0 if fp is not None else 0.0, 1.0)
            at_loc[loc].append((c, r))
            xcols.append((c, r, loc))
            terms.append((c, 1.0))
        lp.row(-inf, 1.0, terms)

    rws, rwe, load = ix.rws, ix.rwe, ix.load
    loc_plekken: dict[int, list[int]] = defaultdict(list)
    for p in range(len(ix.pid)):
        loc_plekken[ix.ploc[p]].append(p)

    def active_src(s: int, w: int) -> bool:
        return ix.sws[s] <= w <= ix.swe[s]

    # Shared docent and pool columns: (school, w) -> [(col, loc)], w -> [(col)]
    docent_cols: dict[tuple[int, int], list[int]] = defaultdict(list)
    pool_cols: dict[int, list[int]] = defaultdict(list)
    for loc in sorted(at_loc):
        xs = at_loc[loc]
        ps = loc_plekken[loc]
        local = ix.loc_sources.get(loc, [])
        peers = ix.loc_peer.get(loc, [])
        lmin = min(float(load[r]) for _, r in xs)
        for w in weeks:
            act = [(c, r) for c, r in xs if rws[r] <= w <= rwe[r]]
            if not act:
                continue
            # seats per opleiding and in total
            by_opl: dict[int, list[int]] = defaultdict(list)
            for c, r in act:
                by_opl[opl_of[r]].append(c)
            running = [p for p in ps if pws[p] <= w <= pwe[p]]
            total_seats = float(sum(ix.seats[p] for p in running))
            if len(act) > total_seats:
                lp.row(-inf, total_seats, [(c, 1.0) for c, _ in act])
            plek_opl = {p: _opl(ix, p) for p in running}
            for o, cs in by_opl.items():
                cap = float(sum(ix.seats[p] for p in running if o in plek_opl[p]))
                if len(cs) > cap:
                    lp.row(-inf, cap, [(c, 1.0) for c in cs])
            # supervision balance: load - flows <= local hours
            cap_local = 0.0
            cap_unl = 0.0
            m_lim = 0.0
            for s in local:
                if active_src(s, w):
                    h = float(ix.shours[s]) / float(ix.sgf[s])
                    cap_local += h
                    if ix.smax[s] < BIG:
                        m_lim += float(ix.smax[s])
                    else:
                        cap_unl += h
            bal = [(c, float(load[r])) for c, r in act]
            flows: list[int] = []
            if peers:
                act_peer = [s for s in peers if active_src(s, w)]
                ment = [c for c, r in act if ix.mentor[r]]
                eer = [(c, float(load[r])) for c, r in act if ix.eerst[r]]
                if act_peer and ment and eer:
                    g = min(float(ix.sgf[s]) for s in act_peer)
                    pc = lp.col(0.0, 0.0, share * sum(v for _, v in eer))
                    flows.append(pc)
                    lp.row(-inf, 0.0, [(pc, 1.0)] + [(c, -share * v) for c, v in eer])
                    lp.row(-inf, 0.0, [(pc, g)] + [(c, -peer_hours * len(act_peer)) for c in ment])
            for p in ps:
                la = [s for s in ix.plek_sources.get(p, ()) if active_src(s, w)]
                if not la:
                    continue
                hrs = sum(float(ix.shours[s]) / float(ix.sgf[s]) for s in la)
                ac = lp.col(0.0, 0.0, hrs)
                flows.append(ac)
                lp.row(
                    -inf,
                    0.0,
                    [(ac, 1.0)] + [(c, -float(load[r])) for c, r in act if r in elig_at[p]],
                )
            by_school: dict[int, list[tuple[int, float]]] = defaultdict(list)
            for c, r in act:
                by_school[ix.school[r]].append((c, float(load[r])))
            for sch, terms in by_school.items():
                if not any(active_src(s, w) for s in ix.school_sources.get(sch, ())):
                    continue
                dhrs = sum(
                    float(ix.shours[s]) / float(ix.sgf[s])
                    for s in ix.school_sources.get(sch, ())
                    if active_src(s, w)
                )
                dc = lp.col(0.0, 0.0, min(dhrs, sum(v for _, v in terms)))
                flows.append(dc)
                docent_cols[(sch, w)].append(dc)
                lp.row(-inf, 0.0, [(dc, 1.0)] + [(c, -v) for c, v in terms])
            if any(active_src(s, w) for s in ix.pool_sources):
                qhrs = sum(
                    float(ix.shours[s]) / float(ix.sgf[s])
                    for s in ix.pool_sources
                    if active_src(s, w)
                )
                qc = lp.col(0.0, 0.0, min(qhrs, sum(v for _, v in bal)))
                flows.append(qc)
                pool_cols[w].append(qc)
            lp.row(-inf, cap_local, bal + [(f, -1.0) for f in flows])
            # students: limited sources count heads, the rest needs hours
            denom = (1.0 - share) * lmin
            if denom > 1e-9:
                lp.row(
                    -inf,
                    m_lim + cap_unl / denom,
                    [(c, 1.0) for c, _ in act] + [(f, -1.0 / denom) for f in flows],
                )
    for (sch, w), cs in docent_cols.items():
        hrs = sum(
            float(ix.shours[s]) / float(ix.sgf[s])
            for s in ix.school_sources.get(sch, ())
            if active_src(s, w)
        )
        lp.row(-inf, hrs, [(c, 1.0) for c in cs])
    for w, cs in pool_cols.items():
        hrs = sum(
            float(ix.shours[s]) / float(ix.sgf[s]) for s in ix.pool_sources if active_src(s, w)
        )
        lp.row(-inf, hrs, [(c, 1.0) for c in cs])

    n_col, n_row = len(lp.cost), len(lp.rlo)
    info: dict[str, Any] = {
        "columns": n_col,
        "rows": n_row,
        "nonzeros": len(lp.vals),
        "check_weeks": len(weeks),
    }
    t_build = time.perf_counter() - t0
    if n_col == 0:
        info.update(status="empty", upper_bound=0.0, bound_kind="lp_relaxation")
        return LPResult({}, info)

    r_arr = np.asarray(lp.rows, dtype=np.int64)
    c_arr = np.asarray(lp.cols, dtype=np.int64)
    v_arr = np.asarray(lp.vals, dtype=np.float64)
    if n_col > HIGHS_MAX_COLUMNS:
        return _lagrangian(
            ix, lp, r_arr, c_arr, v_arr, xcols, assign_rows, info, t_build, time_limit, target
        )
    order = np.argsort(c_arr, kind="stable")
    start = np.zeros(n_col + 1, dtype=np.int64)
    np.cumsum(np.bincount(c_arr, minlength=n_col), out=start[1:])

    with _quiet_stdout():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)  # deterministic, and the machine is shared
    for k, v in _EXTRA_OPTIONS.items():
        h.setOptionValue(k, v)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(max(time_limit, 0.1)))
    m = highspy.HighsLp()
    m.num_col_ = n_col
    m.num_row_ = n_row
    m.col_cost_ = np.asarray(lp.cost, dtype=np.float64)
    m.col_lower_ = np.asarray(lp.lo, dtype=np.float64)
    m.col_upper_ = np.asarray(lp.hi, dtype=np.float64)
    m.row_lower_ = np.asarray(lp.rlo, dtype=np.float64)
    m.row_upper_ = np.asarray(lp.rhi, dtype=np.float64)
    m.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    m.a_matrix_.start_ = start.astype(np.int32)
    m.a_matrix_.index_ = r_arr[order].astype(np.int32)
    m.a_matrix_.value_ = v_arr[order]
    m.sense_ = highspy.ObjSense.kMaximize
    h.passModel(m)
    t1 = time.perf_counter()
    h.run()
    info.update(
        status=h.modelStatusToString(h.getModelStatus()),
        build_seconds=round(t_build, 3),
        solve_seconds=round(time.perf_counter() - t1, 3),
        iterations=int(h.getInfo().simplex_iteration_count),
    )
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return LPResult({}, info)  # only an optimal LP value is a proven bound
    obj = float(h.getInfo().objective_function_value)
    prio_int = bool(np.all(ix.prio == np.round(ix.prio)))
    info["lp_objective"] = obj
    # With integer priorities the bound rounds down (room left for tolerances).
    info["upper_bound"] = float(np.floor(obj + 0.01)) if prio_int else obj
    info["bound_kind"] = "lp_relaxation"
    xv = np.asarray(h.getSolution().col_value)
    x: dict[int, dict[int, float]] = defaultdict(dict)
    for c, r, loc in xcols:
        v = float(xv[c])
        if v > 1e-6:
            x[r][loc] = v
    return LPResult(dict(x), info)


_OPL_CACHE: dict[int, tuple[Any, list[frozenset[int]]]] = {}


def _opl(ix: Index, p: int) -> frozenset[int]:
    """Opleiding ids a plek takes (plekken in index order)."""
    key = id(ix)
    hit = _OPL_CACHE.get(key)
    if hit is None or hit[0] is not ix:
        sets = [x.opleiding_ids for x in sorted(ix.problem.plekken, key=lambda q: q.id)]
        _OPL_CACHE.clear()
        _OPL_CACHE[key] = (ix, sets)
        hit = _OPL_CACHE[key]
    return hit[1][p]


__all__ = ["PEER", "LPResult", "lp_relaxation"]


def _lagrangian(  # type: ignore[no-untyped-def]
    ix: Index, lp: _LP, r_arr, c_arr, v_arr, xcols, assign_rows, info, t_build, time_limit, target
) -> LPResult:
    """Upper bound by weak duality: any prices y >= 0 on the rows give one.

    L(y) = rhs . y + sum over requests of max(0, best reduced cost of its x)
           + sum over other columns of max(lo * rc, hi * rc),  rc = cost - A^T y,
    keeping each request's assign row (sum_l x <= 1) out of the prices. L is
    minimised over y with Adam on a smoothed L (log-sum-exp instead of max, at
    a temperature that is lowered step by step); the smoothed value is never
    below L, and the bound reported is the exact L at the best prices seen.
    The soft choices, averaged, approximate an LP solution for guidance.
    """
    t0 = time.perf_counter()
    budget = 10.0 if time_limit is None else max(0.5, time_limit)
    n_col, n_row = len(lp.cost), len(lp.rlo)
    if n_col > LAGRANGIAN_GUIDE_ONLY_COLUMNS:
        # At this size the steps that fit in a solve's budget do not get below
        # the eligible-requests bound (docs/benchmarks.md); a few seconds still
        # give the construction its guidance, and the rest goes to the repair.
        budget = min(budget, 3.0)
    cost = np.asarray(lp.cost)
    lo = np.asarray(lp.lo)
    hi = np.asarray(lp.hi)
    rhi = np.asarray(lp.rhi)
    priced = np.ones(n_row, dtype=bool)
    priced[np.asarray(assign_rows, dtype=np.int64)] = False
    keep = priced[r_arr]
    rr, cc, vv = r_arr[keep], c_arr[keep], v_arr[keep]
    xidx = np.fromiter((t[0] for t in xcols), dtype=np.int64, count=len(xcols))
    xreq = np.fromiter((t[1] for t in xcols), dtype=np.int64, count=len(xcols))
    is_x = np.zeros(n_col, dtype=bool)
    is_x[xidx] = True
    other = np.nonzero(~is_x)[0]
    gstart = np.flatnonzero(np.r_[True, xreq[1:] != xreq[:-1]])
    gid = np.repeat(np.arange(gstart.size), np.diff(np.r_[gstart, xidx.size]))
    forced_g = np.zeros(gstart.size, dtype=bool)
    forced_g[gid[lo[xidx] >= 1.0]] = True
    rhs = rhi * priced

    def exact_value(y: np.ndarray) -> float:
        rc = cost - np.bincount(cc, weights=vv * y[rr], minlength=n_col)
        rco = rc[other]
        val = float(rhs @ y) + float(np.maximum(lo[other] * rco, hi[other] * rco).sum())
        rcx = rc[xidx]
        gmax = np.maximum.reduceat(rcx, gstart)
        gval = np.where(forced_g, gmax, np.maximum(gmax, 0.0))
        return val + float(gval.sum())

    def smooth(y: np.ndarray, tau: float) -> tuple[float, np.ndarray, np.ndarray]:
        rc = cost - np.bincount(cc, weights=vv * y[rr], minlength=n_col)
        x = np.zeros(n_col)
        rco = rc[other]
        # softplus between the two bounds of each flow column
        span = hi[other] - lo[other]
        z = np.clip(rco * span / tau, -50, 50)
        sp = tau * np.logaddexp(0.0, z)
        val = float(rhs @ y) + float((lo[other] * rco).sum() + sp.sum())
        x[other] = lo[other] + span / (1.0 + np.exp(-z))
        rcx = rc[xidx]
        gmax = np.maximum.reduceat(rcx, gstart)
        shift = np.maximum(gmax, 0.0)
        e = np.exp((rcx - shift[gid]) / tau)
        tot = np.add.reduceat(e, gstart) + np.exp(-shift / tau) * (~forced_g)
        val += float((shift + tau * np.log(tot)).sum())
        x[xidx] = e / tot[gid]
        return val, x, rc

    y = np.zeros(n_row)
    m = np.zeros(n_row)
    v = np.zeros(n_row)
    best, best_y = exact_value(y), y.copy()
    avg = np.zeros(n_col)
    n_avg = 0
    tau, lr, b1, b2 = 0.2, 0.02, 0.9, 0.999
    it = 0
    while time.perf_counter() - t0 < budget:
        it += 1
        val, x, _ = smooth(y, tau)
        grad = rhs - np.bincount(rr, weights=vv * x[cc], minlength=n_row)
        grad[~priced] = 0.0
        m = b1 * m + (1 - b1) * grad
        v = b2 * v + (1 - b2) * grad * grad
        mh = m / (1 - b1**it)
        vh = v / (1 - b2**it)
        y = np.maximum(0.0, y - lr * mh / (np.sqrt(vh) + 1e-9))
        # Anneal by the share of the budget used, so small and large problems
        # both end at a low temperature.
        frac = min(1.0, (time.perf_counter() - t0) / budget)
        tau = 0.2 * (0.005 / 0.2) ** min(1.0, 1.6 * frac)
        lr = 0.02 * (0.002 / 0.02) ** frac
        if it % 5 == 0:
            ev = exact_value(y)
            if ev < best:
                best, best_y = ev, y.copy()
        if frac > 0.3:
            avg += x
            n_avg += 1
    del best_y
    prio_int = bool(np.all(ix.prio == np.round(ix.prio)))
    info.update(
        status="Lagrangian",
        method="lagrangian_smoothed_adam",
        build_seconds=round(t_build, 3),
        solve_seconds=round(time.perf_counter() - t0, 3),
        iterations=it,
        lp_objective=best,
        upper_bound=float(np.floor(best + 0.01)) if prio_int else best,
        bound_kind="lagrangian_dual",
    )
    xv = avg / max(n_avg, 1)
    out: dict[int, dict[int, float]] = defaultdict(dict)
    for c, r, loc in xcols:
        val = float(xv[c])
        if val > 1e-3:
            out[r][loc] = val
    return LPResult(dict(out), info)
