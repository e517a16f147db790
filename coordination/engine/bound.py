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

Why it is a bound. Take any feasible allocation and set x[r,l] = 1 where r is
placed at a plek of l (0 elsewhere), and let the flow columns be the load
hours that peer, leerafdeling, docent and pool sources actually carry for the
placements at l in week w. Seats: rule 2 summed over the plekken that take o
(or over all of them). Supervision: rule 3 summed over the sources in scope,
each carrying at most hours/group_factor load hours. Students: a placement
either holds a place of a limited source (at most max_students of them) or is
carried by unlimited sources, which then carry at least (1 - peer_share) of
its load, at least (1 - peer_share) * the smallest load. Every row holds, so
the allocation's priority-weighted count is the objective at a feasible point
of the LP and cannot exceed the LP optimum. Only an *optimal* HiGHS status is
used as a bound (a time limit gives none). Above HIGHS_MAX_COLUMNS the bound is
the Lagrangian dual value L(y) at the best prices seen: for any prices y >= 0
on the rows other than the assign rows, L(y) >= the LP optimum (weak duality),
so it is a bound at any step, however far from converged.

How tight it is. On the synthetic 10,000 region (seed 1) the LP (286,768
columns, 71,926 rows) solved once offline by HiGHS' interior point in 609 s has
optimum 11,355.7, against 11,625 for the eligible-requests bound: solved
exactly it would tighten the bound by 2.3 % only, while the heuristic places
about 10,400-10,550 (weighted) in its default budget. As we read it (not a
proof), what the LP misses there is mostly integrality across locations: after
the heuristic, docent and pool hours are all used and the hours left are 1-2
hour fragments at many locations (werkbegeleiders 67 % used, their student
places 54 %, seat-weeks 74 %), which the LP can fill with fractions of
requests. A bound within 1 % needs a stronger relaxation (e.g. per-location
integer subproblems in a Lagrangian, or column generation over packings).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse

from .index import PEER, Index
from .state import BIG, State

PREF_BONUS = 1e-8
# Beyond this many columns HiGHS takes minutes here; the Lagrangian dual takes seconds.
HIGHS_MAX_COLUMNS = 20_000
# Interior point without crossover: several times faster here than simplex, and
# its central solution spreads x over the good locations, which guides better.
_EXTRA_OPTIONS: dict[str, Any] = {"solver": "ipm", "run_crossover": "off"}
# The continued descent (LagrangianDescent.extend): temperature and first step size.
EXTEND_TAU = 0.003
EXTEND_LR = 0.01


@dataclass
class LPResult:
    x: dict[int, dict[int, float]]  # request index -> location id -> value
    info: dict[str, Any] = field(default_factory=dict)
    # Large regions: the descent that gave x, to be continued for a tighter bound.
    descent: LagrangianDescent | None = None


@contextlib.contextmanager
def _quiet_stdout():
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
    """Columns and rows collected as numpy chunks; single columns as Python floats."""

    def __init__(self) -> None:
        self.n_col = 0
        self._chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._one: list[tuple[float, float, float]] = []  # since the last chunk
        self._rhi: list[float] = []
        self._r: list[np.ndarray] = []
        self._c: list[np.ndarray] = []
        self._v: list[np.ndarray] = []

    def _flush(self) -> None:
        if self._one:
            a = np.asarray(self._one, dtype=np.float64)
            self._chunks.append((a[:, 0], a[:, 1], a[:, 2]))
            self._one = []

    def cols(self, cost: np.ndarray, lo: np.ndarray, hi: float) -> np.ndarray:
        self._flush()
        k = cost.size
        self._chunks.append((cost.astype(np.float64), lo.astype(np.float64), np.full(k, hi)))
        first = self.n_col
        self.n_col += k
        return np.arange(first, first + k, dtype=np.int64)

    def col(self, cost: float, lo: float, hi: float) -> int:
        self._one.append((cost, lo, hi))
        self.n_col += 1
        return self.n_col - 1

    def row(self, hi: float, cols: np.ndarray, vals: np.ndarray | float) -> None:
        """sum vals * x[cols] <= hi (all rows of this LP are of this form)."""
        if cols.size == 0:
            return
        if isinstance(vals, float):
            vals = np.full(cols.size, vals)
        self._r.append(np.full(cols.size, len(self._rhi), dtype=np.int64))
        self._c.append(cols)
        self._v.append(vals)
        self._rhi.append(float(hi))

    def rows_of(self, row_ids: np.ndarray, cols: np.ndarray, vals: np.ndarray, his: Any) -> None:
        """Many rows at once: row_ids numbers them 0..k-1 within this batch."""
        his = np.atleast_1d(np.asarray(his, dtype=np.float64))
        base = len(self._rhi)
        self._r.append(np.asarray(row_ids, dtype=np.int64) + base)
        self._c.append(np.asarray(cols, dtype=np.int64))
        self._v.append(np.asarray(vals, dtype=np.float64))
        self._rhi.extend(his.tolist())

    def finish(self) -> None:
        self._flush()

        def cat(xs: list[np.ndarray], dtype: Any) -> np.ndarray:
            return np.concatenate(xs).astype(dtype, copy=False) if xs else np.empty(0, dtype=dtype)

        self.cost = cat([c[0] for c in self._chunks], np.float64)
        self.lo = cat([c[1] for c in self._chunks], np.float64)
        self.hi = cat([c[2] for c in self._chunks], np.float64)
        self.rhi = np.asarray(self._rhi, dtype=np.float64)
        self.r_arr = cat(self._r, np.int64)
        self.c_arr = cat(self._c, np.int64)
        self.v_arr = cat(self._v, np.float64)


def _cat(*xs: Any) -> np.ndarray:
    """float64 concatenation of scalars and arrays (called tens of thousands of times)."""
    return np.concatenate(
        [x if isinstance(x, np.ndarray) else np.array([x], dtype=np.float64) for x in xs]
    ).astype(np.float64, copy=False)


def _icat(*xs: Any) -> np.ndarray:
    """int64 concatenation of scalars and arrays."""
    return np.concatenate(
        [x if isinstance(x, np.ndarray) else np.array([x], dtype=np.int64) for x in xs]
    ).astype(np.int64, copy=False)


def lp_relaxation(
    ix: Index,
    st: State,
    fixed: np.ndarray,
    *,
    time_limit: float | None = None,
    target: float | None = None,
    steps: int = 120,
) -> LPResult:
    """Bound (and guidance) from the LP: HiGHS when small, else its Lagrangian dual.

    ``target`` is the value of a known allocation (unused, kept for callers);
    ``steps``: subgradient steps of the Lagrangian (a work budget: the same steps
    give the same bound anywhere); ``time_limit``: a wall-clock safety cap, whose
    hit sets ``info["capped"]``.
    """
    t0 = time.perf_counter()
    import highspy

    settings = ix.problem.settings
    share = float(settings.peer_share)
    peer_hours = float(settings.peer_hours)
    T = ix.T
    R = len(ix.rid)
    P = len(ix.pid)
    from .weeks import week_index

    pleks = sorted(ix.problem.plekken, key=lambda p: p.id)
    pws = np.array([week_index(p.start) - ix.w0 for p in pleks], dtype=np.int64)
    pwe = np.array([week_index(p.end) - ix.w0 for p in pleks], dtype=np.int64)
    # Check weeks: where requests, plekken or sources start, or just after they end.
    marks = set(ix.rws.tolist()) | {int(w) + 1 for w in ix.rwe.tolist()}
    marks |= set(pws.tolist()) | {int(w) + 1 for w in pwe.tolist()}
    marks |= set(ix.sws) | {w + 1 for w in ix.swe}
    weeks = sorted(w for w in marks if 0 <= w < T)

    lp = _LP()
    # Eligible (request, plek) pairs; a confirmed placement has only its plek.
    pr = np.repeat(np.arange(R, dtype=np.int64), np.diff(ix.eptr))
    pp = ix.eplek.astype(np.int64)
    fx = np.nonzero(fixed)[0]
    if fx.size:
        keep = ~fixed[pr]
        pr = np.concatenate([pr[keep], fx])
        pp = np.concatenate([pp[keep], st.assign[fx].astype(np.int64)])
    # Preference rank of each pair (10: not ranked).
    rank = np.full(pr.size, 10, dtype=np.int64)
    pk = [(r * P + p, k) for r in range(R) for p, k in ix.pref_rank[r].items()]
    if pk and pr.size:
        keys = np.array([x for x, _ in pk], dtype=np.int64)
        vals = np.array([min(k, 10) for _, k in pk], dtype=np.int64)
        o = np.argsort(keys)
        keys, vals = keys[o], vals[o]
        pair_key = pr * P + pp
        at = np.minimum(np.searchsorted(keys, pair_key), keys.size - 1)
        hit = keys[at] == pair_key
        rank[hit] = vals[at[hit]]
    # x columns: one per (request, location), in request order, locations by id.
    loc_ids = np.unique(np.asarray(ix.ploc, dtype=np.int64)) if P else np.empty(0, np.int64)
    NL = max(int(loc_ids.size), 1)
    lidx_of_plek = np.searchsorted(loc_ids, np.asarray(ix.ploc, dtype=np.int64))
    ckey = pr * NL + lidx_of_plek[pp] if pr.size else np.empty(0, np.int64)
    ukey, inv = np.unique(ckey, return_inverse=True)
    best = np.full(ukey.size, 10, dtype=np.int64)
    np.minimum.at(best, inv, rank)
    xr = ukey // NL
    xl = ukey % NL
    prio = np.asarray(ix.prio, dtype=np.float64)
    xc = lp.cols(prio[xr] + PREF_BONUS * (10 - best) / 10, fixed[xr], 1.0)
    # One assign row per request with columns: sum_l x[r,l] <= 1.
    reqs_with = np.unique(xr)
    assign_rows = np.arange(reqs_with.size, dtype=np.int64)
    lp.rows_of(np.searchsorted(reqs_with, xr), xc, np.ones(xc.size), np.ones(reqs_with.size))

    rws, rwe = ix.rws, ix.rwe
    load = np.asarray(ix.load, dtype=np.float64)
    opl_all = np.array(
        [r.opleiding_id for r in sorted(ix.problem.requests, key=lambda r: r.id)], dtype=np.int64
    )
    school_all = np.asarray(ix.school, dtype=np.int64)
    seats = np.asarray(ix.seats, dtype=np.float64)
    sws = np.asarray(ix.sws, dtype=np.int64)
    swe = np.asarray(ix.swe, dtype=np.int64)
    sh = np.asarray(ix.shours, dtype=np.float64) / np.asarray(ix.sgf, dtype=np.float64)
    limited = np.asarray(ix.smax) < BIG
    # Plekken per location, and which requests are eligible at each leerafdeling plek.
    loc_plekken: dict[int, list[int]] = defaultdict(list)
    for p in range(P):
        loc_plekken[ix.ploc[p]].append(p)
    plek_reqs: dict[int, np.ndarray] = {}
    for p in ix.plek_sources:
        plek_reqs[p] = np.unique(pr[pp == p])
    plek_opl = [x.opleiding_ids for x in pleks]
    school_src = {k: np.asarray(v, dtype=np.int64) for k, v in ix.school_sources.items()}
    pool_src = np.asarray(ix.pool_sources, dtype=np.int64)

    # x columns grouped by location (they are sorted by request, so stable within).
    order = np.argsort(xl, kind="stable")
    bounds = np.searchsorted(xl[order], np.arange(NL + 1))
    docent_cols: dict[tuple[int, int], list[int]] = defaultdict(list)
    pool_cols: dict[int, list[int]] = defaultdict(list)
    for li in range(int(loc_ids.size)):
        sel = order[bounds[li] : bounds[li + 1]]
        if sel.size == 0:
            continue
        loc = int(loc_ids[li])
        cs_all, r_all = xc[sel], xr[sel]
        ps = loc_plekken[loc]
        local = np.asarray(ix.loc_sources.get(loc, []), dtype=np.int64)
        peers = np.asarray(ix.loc_peer.get(loc, []), dtype=np.int64)
        lmin = float(load[r_all].min())
        ps_arr = np.asarray(ps, dtype=np.int64)
        own = [p for p in ps if p in plek_reqs]
        rws_l, rwe_l = rws[r_all], rwe[r_all]
        for w in weeks:
            m = (rws_l <= w) & (rwe_l >= w)
            if not m.any():
                continue
            cs, rs = cs_all[m], r_all[m]
            ld = load[rs]
            # seats per opleiding and in total
            run = ps_arr[(pws[ps_arr] <= w) & (pwe[ps_arr] >= w)]
            total_seats = float(seats[run].sum())
            if cs.size > total_seats:
                lp.row(total_seats, cs, 1.0)
            opl = opl_all[rs]
            for o in np.unique(opl).tolist():
                co = cs[opl == o]
                cap = float(sum(seats[p] for p in run.tolist() if o in plek_opl[p]))
                if co.size > cap:
                    lp.row(cap, co, 1.0)
            # supervision balance: load - flows <= local hours
            act_l = local[(sws[local] <= w) & (swe[local] >= w)] if local.size else local
            cap_local = float(sh[act_l].sum())
            lim = limited[act_l]
            m_lim = float(np.asarray(ix.smax)[act_l][lim].sum())
            cap_unl = float(sh[act_l][~lim].sum())
            flows: list[int] = []
            if peers.size:
                act_peer = peers[(sws[peers] <= w) & (swe[peers] >= w)]
                ment = cs[ix.mentor[rs]]
                eer = ix.eerst[rs]
                if act_peer.size and ment.size and eer.any():
                    g = float(np.asarray(ix.sgf)[act_peer].min())
                    pc = lp.col(0.0, 0.0, share * float(ld[eer].sum()))
                    flows.append(pc)
                    lp.row(0.0, _icat(pc, cs[eer]), _cat(1.0, -share * ld[eer]))
                    lp.row(
                        0.0,
                        _icat(pc, ment),
                        _cat(g, np.full(ment.size, -peer_hours * act_peer.size)),
                    )
            for p in own:
                la = np.asarray(ix.plek_sources[p], dtype=np.int64)
                la = la[(sws[la] <= w) & (swe[la] >= w)]
                if not la.size:
                    continue
                ac = lp.col(0.0, 0.0, float(sh[la].sum()))
                flows.append(ac)
                e = np.isin(rs, plek_reqs[p])
                lp.row(0.0, _icat(ac, cs[e]), _cat(1.0, -ld[e]))
            sch = school_all[rs]
            for sc in np.unique(sch).tolist():
                ss = school_src.get(sc)
                if ss is None:
                    continue
                ss = ss[(sws[ss] <= w) & (swe[ss] >= w)]
                if not ss.size:
                    continue
                e = sch == sc
                dc = lp.col(0.0, 0.0, min(float(sh[ss].sum()), float(ld[e].sum())))
                flows.append(dc)
                docent_cols[(sc, w)].append(dc)
                lp.row(0.0, _icat(dc, cs[e]), _cat(1.0, -ld[e]))
            if pool_src.size:
                qa = pool_src[(sws[pool_src] <= w) & (swe[pool_src] >= w)]
                if qa.size:
                    qc = lp.col(0.0, 0.0, min(float(sh[qa].sum()), float(ld.sum())))
                    flows.append(qc)
                    pool_cols[w].append(qc)
            fl = np.asarray(flows, dtype=np.int64)
            lp.row(cap_local, _icat(cs, fl), _cat(ld, -np.ones(fl.size)))
            # students: limited sources count heads, the rest needs hours
            denom = (1.0 - share) * lmin
            if denom > 1e-9:
                lp.row(
                    m_lim + cap_unl / denom,
                    _icat(cs, fl),
                    _cat(np.ones(cs.size), np.full(fl.size, -1.0 / denom)),
                )
    for (sc, w), cl in docent_cols.items():
        ss = school_src[sc]
        hrs = float(sh[ss[(sws[ss] <= w) & (swe[ss] >= w)]].sum())
        lp.row(hrs, np.asarray(cl, dtype=np.int64), 1.0)
    for w, cl in pool_cols.items():
        hrs = float(sh[pool_src[(sws[pool_src] <= w) & (swe[pool_src] >= w)]].sum())
        lp.row(hrs, np.asarray(cl, dtype=np.int64), 1.0)
    lp.finish()

    n_col, n_row = lp.n_col, lp.rhi.size
    info: dict[str, Any] = {
        "columns": n_col,
        "rows": n_row,
        "nonzeros": int(lp.v_arr.size),
        "check_weeks": len(weeks),
    }
    t_build = time.perf_counter() - t0
    xcols = np.stack([xc, xr, loc_ids[xl] if loc_ids.size else xl], axis=1)
    if n_col == 0:
        info.update(status="empty", upper_bound=0.0, bound_kind="lp_relaxation")
        return LPResult({}, info)

    r_arr, c_arr, v_arr = lp.r_arr, lp.c_arr, lp.v_arr
    if n_col > HIGHS_MAX_COLUMNS:
        return _lagrangian(
            ix, lp, r_arr, c_arr, v_arr, xcols, assign_rows, info, t_build, time_limit, steps
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
    m.col_cost_ = lp.cost
    m.col_lower_ = lp.lo
    m.col_upper_ = lp.hi
    m.row_lower_ = np.full(n_row, -highspy.kHighsInf)
    m.row_upper_ = lp.rhi
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
        if h.getModelStatus() == highspy.HighsModelStatus.kTimeLimit:
            info["capped"] = True
        return LPResult({}, info)  # only an optimal LP value is a proven bound
    obj = float(h.getInfo().objective_function_value)
    prio_int = bool(np.all(ix.prio == np.round(ix.prio)))
    info["lp_objective"] = obj
    # With integer priorities the bound rounds down (room left for tolerances).
    info["upper_bound"] = float(np.floor(obj + 0.01)) if prio_int else obj
    info["bound_kind"] = "lp_relaxation"
    xv = np.asarray(h.getSolution().col_value)
    return LPResult(_x_dict(xcols, xv, 1e-6), info)


def _x_dict(xcols: np.ndarray, xv: np.ndarray, tol: float) -> dict[int, dict[int, float]]:
    """request index -> location id -> LP value, for the values above tol."""
    vals = xv[xcols[:, 0]]
    keep = vals > tol
    x: dict[int, dict[int, float]] = defaultdict(dict)
    for (_, r, loc), v in zip(xcols[keep].tolist(), vals[keep].tolist(), strict=True):
        x[r][loc] = v
    return dict(x)


__all__ = ["PEER", "LPResult", "lp_relaxation"]


def _lagrangian(
    ix: Index, lp: _LP, r_arr, c_arr, v_arr, xcols, assign_rows, info, t_build, time_limit, steps
) -> LPResult:
    """Upper bound by weak duality after ``steps`` steps of :class:`LagrangianDescent`."""
    t0 = time.perf_counter()
    cap = math.inf if time_limit is None else max(0.5, time_limit)
    prio_int = bool(np.all(ix.prio == np.round(ix.prio)))
    descent = LagrangianDescent(lp, r_arr, c_arr, v_arr, xcols, assign_rows, prio_int)
    xv, capped = descent.guide(max(1, int(steps)), deadline=t0 + cap)
    info.update(
        status="Lagrangian",
        method="lagrangian_smoothed_adam",
        build_seconds=round(t_build, 3),
        solve_seconds=round(time.perf_counter() - t0, 3),
        iterations=descent.it,
        lp_objective=descent.best,
        upper_bound=descent.upper_bound(),
        bound_kind="lagrangian_dual",
    )
    if capped:
        info["capped"] = True
    return LPResult(_x_dict(xcols, xv, 1e-3), info, descent)


class LagrangianDescent:
    """Upper bound by weak duality: any prices y >= 0 on the rows give one.

    L(y) = rhs . y + sum over requests of max(0, best reduced cost of its x)
           + sum over other columns of max(lo * rc, hi * rc),  rc = cost - A^T y,
    keeping each request's assign row (sum_l x <= 1) out of the prices. L is
    minimised over y with Adam on a smoothed L (log-sum-exp instead of max, at
    a temperature that is lowered step by step); the smoothed value is never
    below L, and the bound is the exact L at the best prices seen
    (``best``). :meth:`guide` takes the first steps and averages the soft choices
    into an approximate LP solution for guidance; :meth:`extend` goes on from
    there for the bound alone (in a second process, beside the search). Both
    are functions of the LP and their step counts only.
    """

    def __init__(self, lp: _LP, r_arr, c_arr, v_arr, xcols, assign_rows, prio_int: bool) -> None:
        n_col, n_row = lp.n_col, lp.rhi.size
        self.cost, self.lo, self.hi = lp.cost, lp.lo, lp.hi
        priced = np.ones(n_row, dtype=bool)
        priced[np.asarray(assign_rows, dtype=np.int64)] = False
        self.priced = priced
        keep = priced[r_arr]
        # The priced matrix in CSR and its transpose in CSR: A x and A^T y are then
        # single passes in compiled code (3.5 million nonzeros at 10,000 requests:
        # 5 ms each, against 15-20 ms for segment sums in numpy).
        self.a_mat = sparse.csr_array(
            (v_arr[keep], (r_arr[keep], c_arr[keep])), shape=(n_row, n_col), dtype=np.float64
        )
        self.at_mat = self.a_mat.T.tocsr()
        xidx, xreq = xcols[:, 0], xcols[:, 1]
        is_x = np.zeros(n_col, dtype=bool)
        is_x[xidx] = True
        self.xidx = xidx
        self.other = np.nonzero(~is_x)[0]
        self.gstart = np.flatnonzero(np.r_[True, xreq[1:] != xreq[:-1]])
        self.gid = np.repeat(np.arange(self.gstart.size), np.diff(np.r_[self.gstart, xidx.size]))
        forced_g = np.zeros(self.gstart.size, dtype=bool)
        forced_g[self.gid[self.lo[xidx] >= 1.0]] = True
        self.forced_g = forced_g
        self.rhs = lp.rhi * priced
        self.y = np.zeros(n_row)
        self.m = np.zeros(n_row)
        self.v = np.zeros(n_row)
        self.it = 0
        self.prio_int = prio_int  # integer priorities: the bound rounds down
        self.best = self.exact_value(self.y)

    def exact_value(self, y: np.ndarray) -> float:
        rc = self.cost - self.at_mat @ y
        other, lo, hi = self.other, self.lo, self.hi
        rco = rc[other]
        val = float(self.rhs @ y) + float(np.maximum(lo[other] * rco, hi[other] * rco).sum())
        gmax = np.maximum.reduceat(rc[self.xidx], self.gstart)
        gval = np.where(self.forced_g, gmax, np.maximum(gmax, 0.0))
        return val + float(gval.sum())

    def _smooth_x(self, tau: float) -> np.ndarray:
        """The soft choices at the prices y and temperature tau (the smoothed L's gradient)."""
        rc = self.cost - self.at_mat @ self.y
        other, lo, hi = self.other, self.lo, self.hi
        x = np.zeros(rc.size)
        span = hi[other] - lo[other]
        # a logistic between the two bounds of each flow column
        z = np.clip(rc[other] * span / tau, -50, 50)
        x[other] = lo[other] + span / (1.0 + np.exp(-z))
        rcx = rc[self.xidx]
        gstart, gid = self.gstart, self.gid
        shift = np.maximum(np.maximum.reduceat(rcx, gstart), 0.0)
        e = np.exp((rcx - shift[gid]) / tau)
        tot = np.add.reduceat(e, gstart) + np.exp(-shift / tau) * (~self.forced_g)
        x[self.xidx] = e / tot[gid]
        return x

    def _step(self, tau: float, lr: float) -> np.ndarray:
        x = self._smooth_x(tau)
        grad = self.rhs - self.a_mat @ x
        grad[~self.priced] = 0.0
        self.it += 1
        b1, b2, it = 0.9, 0.999, self.it
        self.m = b1 * self.m + (1 - b1) * grad
        self.v = b2 * self.v + (1 - b2) * grad * grad
        mh = self.m / (1 - b1**it)
        vh = self.v / (1 - b2**it)
        self.y = np.maximum(0.0, self.y - lr * mh / (np.sqrt(vh) + 1e-9))
        if it % 5 == 0:
            self.best = min(self.best, self.exact_value(self.y))
        return x

    def guide(self, steps: int, deadline: float = math.inf) -> tuple[np.ndarray, bool]:
        """``steps`` steps from a high temperature down; the averaged soft choices."""
        avg = np.zeros(self.cost.size)
        n_avg = 0
        tau, lr = 0.2, 0.02
        for k in range(1, steps + 1):
            if time.perf_counter() > deadline:
                return avg / max(n_avg, 1), True
            x = self._step(tau, lr)
            # Anneal by the share of the steps done, so small and large problems
            # both end at a low temperature.
            frac = k / steps
            tau = 0.2 * (0.005 / 0.2) ** min(1.0, 1.6 * frac)
            lr = 0.02 * (0.002 / 0.02) ** frac
            if frac > 0.3:
                avg += x
                n_avg += 1
        self.best = min(self.best, self.exact_value(self.y))
        return avg / max(n_avg, 1), False

    def extend(self, steps: int) -> float:
        """``steps`` more steps at the last temperature, the step size falling tenfold."""
        for k in range(steps):
            self._step(EXTEND_TAU, EXTEND_LR * 0.1 ** (k / max(steps, 1)))
        self.best = min(self.best, self.exact_value(self.y))
        return self.best

    def upper_bound(self) -> float:
        # With integer priorities the bound rounds down (room left for tolerances).
        return float(np.floor(self.best + 0.01)) if self.prio_int else self.best
