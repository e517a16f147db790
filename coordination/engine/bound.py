"""LP relaxation (HiGHS) of the allocation: an upper bound on placed requests.

Every feasible allocation gives a feasible point of this LP, so its optimum
bounds the priority-weighted number of placed requests from above:

* ``x[r,p]`` in [0, 1] for eligible pairs; confirmed placements have x = 1;
* ``z[r,c]`` >= 0 load hours drawn by r from a *class* c of sources: sources
  with the same scope, group factor and period merged into one (their hours and
  max_students add up), which only relaxes the model;
* per request: sum_p x <= 1 and sum_c z = load * sum_p x; a location, plek or
  peer class only carries r to the extent r sits at a plek in its scope (peer
  classes also at most peer_share of the load);
* seats and class hours are checked at every week in which some request starts:
  the requests running in any week all run in the latest start week before it,
  and a source must cover all weeks of a placement, so that is no relaxation;
  peer classes are checked every week, as mentors come and go;
* max_students as sum_r z[r,c] / load_r <= max_students.

The fractional x also guides the construction. A tiny bonus for ranked
preferences is added to the objective; it is kept below 1e-6 per request and
is included in the reported bound, which stays valid.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .index import PEER, Index
from .state import BIG, State

PREF_BONUS = 1e-7
_EXTRA_OPTIONS: dict[str, Any] = {}


@dataclass
class LPResult:
    x: dict[int, dict[int, float]]
    info: dict[str, Any] = field(default_factory=dict)


@contextlib.contextmanager
def _quiet_stdout():  # type: ignore[no-untyped-def]
    """HiGHS prints a banner on stdout when the first instance is made."""
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


def build_classes(ix: Index) -> tuple[list[dict[str, Any]], dict[tuple[Any, ...], int]]:
    """Merge sources of equal scope, group factor and period into classes."""
    classes: list[dict[str, Any]] = []
    by_key: dict[tuple[Any, ...], int] = {}

    def add(scope: tuple[Any, ...], s: int) -> None:
        key = (*scope, ix.skind[s] == PEER, float(ix.sgf[s]), ix.sws[s], ix.swe[s])
        c = by_key.get(key)
        if c is None:
            c = len(classes)
            by_key[key] = c
            classes.append(
                {
                    "scope": scope,
                    "peer": ix.skind[s] == PEER,
                    "gf": float(ix.sgf[s]),
                    "ws": ix.sws[s],
                    "we": ix.swe[s],
                    "hours": 0.0,
                    "max": 0,
                    "n": 0,
                }
            )
        cl = classes[c]
        cl["hours"] += float(ix.shours[s])
        cl["max"] = min(BIG, cl["max"] + int(ix.smax[s]))
        cl["n"] += 1

    for loc, ss in ix.loc_sources.items():
        for s in ss:
            add(("loc", loc), s)
    for loc, ss in ix.loc_peer.items():
        for s in ss:
            add(("peer", loc), s)
    for p, ss in ix.plek_sources.items():
        for s in ss:
            add(("plek", p), s)
    for sch, ss in ix.school_sources.items():
        for s in ss:
            add(("school", sch), s)
    for s in ix.pool_sources:
        add(("pool",), s)
    return classes, by_key


def lp_relaxation(
    ix: Index, st: State, fixed: np.ndarray, *, time_limit: float | None = None
) -> LPResult:
    t0 = time.perf_counter()
    import highspy

    R = len(ix.rid)
    classes, _ = build_classes(ix)
    by_scope: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for c, cl in enumerate(classes):
        by_scope[cl["scope"]].append(c)
    pool_cls = by_scope.get(("pool",), [])
    share = float(ix.problem.settings.peer_share)
    peer_hours = float(ix.problem.settings.peer_hours)

    # Columns are numbered as they are made; entries go to COO lists.
    cost: list[float] = []
    lower: list[float] = []
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    row_lo: list[float] = []
    row_hi: list[float] = []
    inf = highspy.kHighsInf
    xcols: list[tuple[int, int, int]] = []  # (col, r, p)

    def new_row(lo: float, hi: float) -> int:
        row_lo.append(lo)
        row_hi.append(hi)
        return len(row_lo) - 1

    # Entries for rows built later: (key) -> list of (col, coef)
    seat_terms: dict[int, list[tuple[int, int, int]]] = defaultdict(list)  # p -> (col, a, b)
    class_terms: dict[int, list[tuple[int, int, int, float]]] = defaultdict(list)
    mentor_terms: dict[int, list[tuple[int, int, int]]] = defaultdict(list)  # loc -> (col,a,b)
    fixed_plek = {int(r): int(st.assign[r]) for r in np.nonzero(fixed)[0]}

    rws, rwe, load = ix.rws, ix.rwe, ix.load
    for r in range(R):
        el = ix.eligible(r)
        fp = fixed_plek.get(r)
        if fp is not None:
            el = np.array([fp])
        elif el.size == 0:
            continue
        a, b = int(rws[r]), int(rwe[r])
        L = float(load[r])
        pref = ix.pref_rank[r]
        row_assign = new_row(-inf, 1.0)
        row_load = new_row(0.0, 0.0)
        # classes in reach, and which plekken put each in scope
        reach: dict[int, list[int]] = defaultdict(list)
        my_x: list[tuple[int, int]] = []
        for p in el.tolist():
            col = len(cost)
            bonus = PREF_BONUS * (10 - pref[p]) / 10 if p in pref and pref[p] < 10 else 0.0
            cost.append(float(ix.prio[r]) + bonus)
            lower.append(1.0 if fp is not None else 0.0)
            xcols.append((col, r, p))
            my_x.append((col, p))
            rows.append(row_assign)
            cols.append(col)
            vals.append(1.0)
            rows.append(row_load)
            cols.append(col)
            vals.append(-L)
            seat_terms[p].append((col, a, b))
            loc = ix.ploc[p]
            for c in by_scope.get(("loc", loc), ()):
                reach[c].append(col)
            if ix.eerst[r]:
                for c in by_scope.get(("peer", loc), ()):
                    reach[c].append(col)
            for c in by_scope.get(("plek", p), ()):
                reach[c].append(col)
            if ix.mentor[r]:
                mentor_terms[loc].append((col, a, b))
        n_el = len(my_x)
        for c in (*by_scope.get(("school", ix.school[r]), ()), *pool_cls):
            reach[c] = []  # always in scope
        for c, xs in reach.items():
            cl = classes[c]
            if cl["ws"] > a or cl["we"] < b:
                continue
            zc = len(cost)
            cost.append(0.0)
            lower.append(0.0)
            rows.append(row_load)
            cols.append(zc)
            vals.append(1.0)
            if cl["peer"] or (xs and len(xs) < n_el):
                k = share * L if cl["peer"] else L
                rc = new_row(-inf, 0.0)
                rows.append(rc)
                cols.append(zc)
                vals.append(1.0)
                for xc in xs:
                    rows.append(rc)
                    cols.append(xc)
                    vals.append(-k)
            class_terms[c].append((zc, a, b, L))

    # Seats: one row per plek and week in which an eligible request starts.
    for p, terms in seat_terms.items():
        for w in sorted({t[1] for t in terms}):
            rr = new_row(-inf, float(ix.seats[p]))
            for col, a, b in terms:
                if a <= w <= b:
                    rows.append(rr)
                    cols.append(col)
                    vals.append(1.0)
    # Source classes.
    for c, terms in class_terms.items():
        cl = classes[c]
        if cl["peer"]:
            loc = cl["scope"][1]
            weeks = sorted({w for _, a, b, _ in terms for w in range(a, b + 1)})
            mts = mentor_terms.get(loc, [])
            for w in weeks:
                rr = new_row(-inf, 0.0)
                for zc, a, b, _L in terms:
                    if a <= w <= b:
                        rows.append(rr)
                        cols.append(zc)
                        vals.append(cl["gf"])
                for xc, a, b in mts:
                    if a <= w <= b and cl["ws"] <= w <= cl["we"]:
                        rows.append(rr)
                        cols.append(xc)
                        vals.append(-peer_hours * cl["n"])
            continue
        starts = sorted({t[1] for t in terms})
        limited = cl["max"] < BIG
        for w in starts:
            rr = new_row(-inf, cl["hours"])
            rm = new_row(-inf, float(cl["max"])) if limited else -1
            for zc, a, b, L in terms:
                if a <= w <= b:
                    rows.append(rr)
                    cols.append(zc)
                    vals.append(cl["gf"])
                    if limited:
                        rows.append(rm)
                        cols.append(zc)
                        vals.append(1.0 / L if L > 0 else 0.0)

    n_col, n_row = len(cost), len(row_lo)
    info: dict[str, Any] = {"columns": n_col, "rows": n_row, "nonzeros": len(vals)}
    t_build = time.perf_counter() - t0
    if n_col == 0:
        info.update(status="empty", upper_bound=0.0, build_seconds=round(t_build, 3))
        return LPResult({}, info)

    r_arr = np.asarray(rows, dtype=np.int64)
    c_arr = np.asarray(cols, dtype=np.int64)
    v_arr = np.asarray(vals, dtype=np.float64)
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
    lp = highspy.HighsLp()
    lp.num_col_ = n_col
    lp.num_row_ = n_row
    lp.col_cost_ = np.asarray(cost, dtype=np.float64)
    lp.col_lower_ = np.asarray(lower, dtype=np.float64)
    upper = np.full(n_col, inf)
    xc_idx = np.fromiter((t[0] for t in xcols), dtype=np.int64, count=len(xcols))
    upper[xc_idx] = 1.0
    lp.col_upper_ = upper
    lp.row_lower_ = np.asarray(row_lo, dtype=np.float64)
    lp.row_upper_ = np.asarray(row_hi, dtype=np.float64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = start.astype(np.int32)
    lp.a_matrix_.index_ = r_arr[order].astype(np.int32)
    lp.a_matrix_.value_ = v_arr[order]
    lp.sense_ = highspy.ObjSense.kMaximize
    h.passModel(lp)
    t1 = time.perf_counter()
    h.run()
    t_solve = time.perf_counter() - t1
    status = h.modelStatusToString(h.getModelStatus())
    info.update(
        status=status,
        build_seconds=round(t_build, 3),
        solve_seconds=round(t_solve, 3),
        iterations=int(h.getInfo().simplex_iteration_count),
    )
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        # Only an optimal LP value is a proven bound; the caller falls back.
        return LPResult({}, info)
    obj = float(h.getInfo().objective_function_value)
    prio_int = bool(np.all(ix.prio == np.round(ix.prio)))
    # The bonus is below 1e-6 per request in total; with integer priorities the
    # bound can be rounded down (with room for solver tolerances).
    info["lp_objective"] = obj
    info["upper_bound"] = float(np.floor(obj + 0.01)) if prio_int else obj
    info["bound_kind"] = "lp_relaxation"
    xv = np.asarray(h.getSolution().col_value)
    x: dict[int, dict[int, float]] = defaultdict(dict)
    vals_x = xv[xc_idx]
    for (_, r, p), v in zip(xcols, vals_x.tolist(), strict=True):
        if v > 1e-6:
            x[r][p] = v
    return LPResult(dict(x), info)
