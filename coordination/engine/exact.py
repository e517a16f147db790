"""Exact MILP of the capacity model (HiGHS), for small instances and tests.

It is a reference, not the production path: it states rules 1-4 literally,
with one draw variable per (request, plek, source), an integer count of hour units
(model.HOURS_UNIT), and a binary per draw for ``max_students``. Eligibility is
recomputed here with plain Python so the reference does not share the solver's indexing.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import date

from .bound import _quiet_stdout
from .model import (
    HOURS_UNIT,
    LOCATION_KINDS,
    Assignment,
    Plek,
    Problem,
    Request,
    Source,
    request_load,
)


def _week(d: date) -> int:
    return (d.toordinal() - 1) // 7


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


def eligible(r: Request, p: Plek, fixed: dict[int, int]) -> bool:
    """Rule 1 (and 4 for a confirmed placement, ``fixed``: request id -> plek id)."""
    if fixed.get(r.id, p.id) != p.id:
        return False
    if r.opleiding_id not in p.opleiding_ids:
        return False
    if _week(p.start) > _week(r.start) or _week(p.end) < _week(r.end):
        return False
    if r.sectors and p.sector not in r.sectors:
        return False
    if r.home is not None and _km(r.home, p.location) > r.max_travel_km + 1e-9:
        return False
    # refused; a confirmed placement there stays
    return not (p.id in r.excluded_plekken and fixed.get(r.id) != p.id)


def in_scope(s: Source, r: Request, p: Plek) -> bool:
    """Whether source ``s`` may carry request ``r`` placed at plek ``p`` (rule 3)."""
    if _week(s.start) > _week(r.start) or _week(s.end) < _week(r.end):
        return False
    if s.kind in LOCATION_KINDS:
        if s.kind == "student_ondersteuner" and r.doelgroep != "eerstejaars":
            return False
        return s.location_id == p.location_id
    if s.kind == "leerafdeling":
        return s.plek_id == p.id
    if s.kind == "docent_begeleider":
        return s.school_id == r.school_id
    return s.kind == "regionale_pool"


@dataclass(frozen=True)
class ExactResult:
    status: str
    placed_weighted: float
    plek_of: dict[int, int]  # request id -> plek id
    dual_bound: float
    draws: dict[int, list[tuple[int, float]]] | None = None  # request id -> (source id, load h)
    # (request id, plek id) -> the assign variable's value, where positive
    x_values: dict[tuple[int, int], float] | None = None


def solve_exact(
    problem: Problem,
    *,
    time_limit: float = 60.0,
    relax: bool = False,
    bonus: dict[tuple[int, int], float] | None = None,
    start: Sequence[Assignment] | None = None,
    log_file: str | None = None,
    pairs: Set[tuple[int, int]] | None = None,
    heuristic_effort: float | None = None,
    min_weighted: float | None = None,
    reserved: Mapping[int, Mapping[int, tuple[float, int]]] | None = None,
    max_nodes: int | None = None,
) -> ExactResult:
    """Maximise placed requests weighted by priority (+ optional small bonus per pair).

    ``start`` is a feasible allocation (e.g. the engine's) given to HiGHS as its
    first incumbent, so a long run can only improve on it; ``log_file`` keeps
    HiGHS' progress log (incumbent and dual bound over time). ``pairs``: only these
    (request, plek) pairs may be chosen (a restricted model: its optimum is a feasible
    allocation of the whole problem, not a bound); fixed placements always may.
    ``heuristic_effort``: HiGHS' share of MIP work spent on primal heuristics (its
    default 0.05; 0.5 found better solutions sooner on the restricted model at 1,000).
    ``min_weighted``: allocations placing less (weighted) are excluded: the second
    stage of a lexicographic solve, where the first found the most that can be placed
    and the second, with a ``bonus``, the best preferences at that count.
    ``reserved``: source id -> week -> (hours, students) that placements outside this
    problem already take from the source (a part of a region solved with the rest fixed).
    """
    import highspy

    st = problem.settings
    reqs = sorted(problem.requests, key=lambda r: r.id)
    pleks = sorted(problem.plekken, key=lambda p: p.id)
    srcs = sorted(problem.sources, key=lambda s: s.id)
    fixed = {e.request_id: e.plek_id for e in problem.existing if e.fixed}

    with _quiet_stdout():  # no banner in the worker's log
        h = highspy.Highs()
    h.setOptionValue("output_flag", log_file is not None)
    if log_file is not None:
        h.setOptionValue("log_to_console", False)
        h.setOptionValue("log_file", log_file)
    h.setOptionValue("threads", 1)
    h.setOptionValue("time_limit", float(time_limit))
    # Tight tolerances: draws read from the solution must pass the checker.
    h.setOptionValue("mip_feasibility_tolerance", 1e-9)
    h.setOptionValue("primal_feasibility_tolerance", 1e-9)
    h.setOptionValue("mip_rel_gap", 0.0)
    if bonus is None:
        # Whole priorities, so whole objective values: a solution within less than one of
        # the dual bound is optimal, and the search can stop there.
        h.setOptionValue("mip_abs_gap", 1.0 - 1e-6)
    if heuristic_effort is not None:
        h.setOptionValue("mip_heuristic_effort", float(heuristic_effort))
    if max_nodes is not None:
        h.setOptionValue("mip_max_nodes", int(max_nodes))
    inf = highspy.kHighsInf

    def var(lo: float, hi: float, cost: float, integer: bool) -> int:
        h.addVar(lo, hi)
        j = h.getNumCol() - 1
        if cost:
            h.changeColCost(j, cost)
        if integer and not relax:
            h.changeColIntegrality(j, highspy.HighsVarType.kInteger)
        return j

    def row(lo: float, hi: float, terms: list[tuple[int, float]]) -> None:
        if not terms:
            if lo > 0 or hi < 0:
                raise ValueError("empty infeasible row")
            return
        h.addRow(lo, hi, len(terms), [t[0] for t in terms], [t[1] for t in terms])

    x: dict[tuple[int, int], int] = {}
    ycols: list[tuple[int, int, int]] = []  # (col, request id, source id)
    draw_cols: dict[tuple[int, int, int], tuple[int, int | None]] = {}  # (r, p, s) -> (y, u)
    span = {r.id: (_week(r.start), _week(r.end)) for r in reqs}
    seat_terms: dict[int, list[tuple[int, int]]] = defaultdict(list)
    src_terms: dict[int, list[tuple[int, int, float]]] = defaultdict(list)  # (col, rid, coef)
    cnt_terms: dict[int, list[tuple[int, int]]] = defaultdict(list)
    mentor_x: dict[int, list[tuple[int, int]]] = defaultdict(list)  # location -> (col, rid)
    # With ``pairs``, each request looks only at its own plekken (in id order, as without).
    allowed: dict[int, set[int]] | None = None
    if pairs is not None:
        allowed = defaultdict(set)
        for rid, pid in pairs:
            allowed[rid].add(pid)
        for rid, pid in fixed.items():
            allowed[rid].add(pid)
    plek_by_id = {p.id: p for p in pleks}
    for r in reqs:
        L = request_load(st, r)
        assign = []
        if allowed is None:
            candidates = pleks
        else:
            candidates = [plek_by_id[i] for i in sorted(allowed.get(r.id, ())) if i in plek_by_id]
        for p in candidates:
            if not eligible(r, p, fixed):
                continue
            extra = (bonus or {}).get((r.id, p.id), 0.0)
            j = var(1.0 if r.id in fixed else 0.0, 1.0, float(r.priority) + extra, True)
            x[(r.id, p.id)] = j
            assign.append((j, 1.0))
            seat_terms[p.id].append((j, r.id))
            if r.peer_mentor and r.doelgroep == "ouderejaars":
                mentor_x[p.location_id].append((j, r.id))
            units = round(L / HOURS_UNIT)  # the load in whole units
            load_terms = [(j, -float(units))]
            peer_terms = [(j, -st.peer_share * units)]
            for s in srcs:
                if not in_scope(s, r, p):
                    continue
                y = var(0.0, float(units), 0.0, True)
                ycols.append((y, r.id, s.id))
                load_terms.append((y, 1.0))
                src_terms[s.id].append((y, r.id, s.group_factor))
                if s.kind == "student_ondersteuner":
                    peer_terms.append((y, 1.0))
                u = None
                if s.max_students is not None:
                    u = var(0.0, 1.0, 0.0, True)
                    row(-inf, 0.0, [(y, 1.0), (u, -float(units))])
                    row(-inf, 0.0, [(u, 1.0), (j, -1.0)])
                    cnt_terms[s.id].append((u, r.id))
                draw_cols[(r.id, p.id, s.id)] = (y, u)
            row(0.0, 0.0, load_terms)
            if len(peer_terms) > 1:
                row(-inf, 0.0, peer_terms)
        if r.id in fixed and not assign:
            return ExactResult("infeasible", 0.0, {}, 0.0)
        row(-inf, 1.0, assign)

    weeks = sorted({w for a, b in span.values() for w in range(a, b + 1)})
    for p in pleks:
        _week_rows(
            row,
            [
                (
                    [(j, 1.0) for j, rid in seat_terms[p.id] if span[rid][0] <= w <= span[rid][1]],
                    p.seats,
                )
                for w in weeks
            ],
            unit_columns=True,
        )
    for s in srcs:
        hours_rows: list[tuple[list[tuple[int, float]], float]] = []
        count_rows: list[tuple[list[tuple[int, float]], float]] = []
        for w in weeks:
            terms = [(y, g) for y, rid, g in src_terms[s.id] if span[rid][0] <= w <= span[rid][1]]
            if not terms:
                continue
            taken, students = (reserved or {}).get(s.id, {}).get(w, (0.0, 0))
            if s.kind == "student_ondersteuner":
                if _week(s.start) <= w <= _week(s.end):
                    for j, rid in mentor_x.get(s.location_id or -1, ()):
                        if span[rid][0] <= w <= span[rid][1]:
                            terms.append((j, -st.peer_hours / HOURS_UNIT))
                row(-inf, 0.0, terms)
            else:
                hours_rows.append((terms, max(0.0, (s.hours_per_week - taken) / HOURS_UNIT)))
            if s.max_students is not None:
                ct = [(u, 1.0) for u, rid in cnt_terms[s.id] if span[rid][0] <= w <= span[rid][1]]
                count_rows.append((ct, max(0, s.max_students - students)))
        _week_rows(row, hours_rows)
        _week_rows(row, count_rows, unit_columns=True)

    if h.getNumCol() == 0:
        return ExactResult("Optimal", 0.0, {}, 0.0, {})  # nothing can be placed
    if min_weighted is not None:
        prio = {r.id: float(r.priority) for r in reqs}
        row(min_weighted, inf, [(j, prio[rid]) for (rid, _pid), j in x.items()])
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    if start:
        _set_start(h, start, x, draw_cols)
    if relax:
        # Interior point without crossover: simplex took over 600 s at 1,000 requests,
        # this about a minute; the value is the same, the solution need not be a vertex.
        h.setOptionValue("solver", "ipm")
        h.setOptionValue("run_crossover", "off")
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    if h.getModelStatus() not in (
        highspy.HighsModelStatus.kOptimal,
        highspy.HighsModelStatus.kTimeLimit,
        highspy.HighsModelStatus.kSolutionLimit,
    ):
        return ExactResult(status, 0.0, {}, 0.0)
    val = h.getSolution().col_value
    plek_of = {rid: pid for (rid, pid), j in x.items() if val[j] > 0.5}
    obj = float(info.objective_function_value) if x else 0.0
    bound = obj if relax else float(getattr(info, "mip_dual_bound", obj))
    draws: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for y, rid, sid in ycols:
        if rid in plek_of and val[y] > 1e-7:
            units_drawn = val[y] if relax else round(val[y])
            if units_drawn:
                draws[rid].append((sid, round(units_drawn * HOURS_UNIT, 6)))
    xv = {k: float(val[j]) for k, j in x.items() if val[j] > 1e-9}
    return ExactResult(status, obj, plek_of, bound, dict(draws), xv)


def _week_rows(
    row: Callable[[float, float, list[tuple[int, float]]], None],
    rows: list[tuple[list[tuple[int, float]], float]],
    *,
    unit_columns: bool = False,
) -> None:
    """Add ``sum(terms) <= limit`` for each week's (terms, limit), without the dominated ones.

    All coefficients are non-negative, so a week whose columns are among another's, with
    a limit at least as high, adds nothing: requests run whole periods, so a region of
    43 weeks has a handful of distinct weeks per plek or source (4 periods in the
    synthetic regions), and the MILP's every node solves the smaller LP.
    ``unit_columns``: every column is at most 1 (seats, student counts), so a row with
    no more columns than its limit cannot bind either.
    """
    inf = float("inf")
    least: dict[frozenset[int], tuple[float, list[tuple[int, float]]]] = {}
    for terms, limit in rows:
        key = frozenset(j for j, _ in terms)
        if key not in least or limit < least[key][0]:
            least[key] = (float(limit), terms)
    kept = sorted(least.items(), key=lambda kv: -len(kv[0]))
    for key, (limit, terms) in kept:
        if unit_columns and len(terms) <= limit:
            continue
        if any(
            other != key and key <= other and other_limit <= limit
            for other, (other_limit, _) in kept
        ):
            continue
        row(-inf, limit, terms)


# The interior-point solution is not a vertex but the centre of the optimal face: it
# spreads a little over many pairs. Those it gives a tenth or more: at 500 requests
# (seed 1) 1,033 pairs of 4,012 above a thousandth, and the restricted MILP's optimum
# is the LP's (489) in 27 s; with all 4,012 nothing in 120 s (docs/benchmarks.md).
RESTRICTED_MIN_SHARE = 0.1


@dataclass(frozen=True)
class RestrictedResult:
    lp: ExactResult
    milp: ExactResult | None  # None when the LP was not solved
    lp_pairs: int  # pairs the LP gives at least min_share
    pairs: frozenset[tuple[int, int]]  # those and the start's: the restricted model's choice
    lp_seconds: float
    milp_seconds: float


def solve_restricted(
    problem: Problem,
    start: Sequence[Assignment],
    *,
    time_limit: float,
    until: float = math.inf,
    min_share: float = RESTRICTED_MIN_SHARE,
    heuristic_effort: float | None = None,
    reserved: Mapping[int, Mapping[int, tuple[float, int]]] | None = None,
    max_nodes: int | None = None,
    only_gain: bool = False,
) -> RestrictedResult:
    """The exact MILP on the pairs its LP relaxation uses, started from ``start``.

    Solves the LP relaxation, keeps the (request, plek) pairs it gives ``min_share``
    of a request or more, adds ``start``'s pairs, and solves the MILP on those, warm-
    started from ``start``: a restriction, so its solution is feasible for the whole
    problem and at least as good as ``start``. Where the LP is tight (wherever the
    optimum is known, it was) the optimum tends to lie on those pairs. ``time_limit``
    applies to each model, ``until`` (a ``time.perf_counter()`` moment) to both.
    ``only_gain``: no MILP (``milp`` None) when the LP shows that nothing can place
    one more (weighted) than ``start``.
    """
    t0 = time.perf_counter()
    lp = solve_exact(
        problem, time_limit=min(time_limit, max(1.0, until - t0)), relax=True, reserved=reserved
    )
    t1 = time.perf_counter()
    if lp.status != "Optimal" or not lp.x_values:
        return RestrictedResult(lp, None, 0, frozenset(), t1 - t0, 0.0)
    priority = {r.id: r.priority for r in problem.requests}
    if only_gain and lp.placed_weighted < sum(priority[a.request_id] for a in start) + 1 - 1e-6:
        # Whole priorities: no allocation places one more than ``start`` (weighted).
        return RestrictedResult(lp, None, 0, frozenset(), t1 - t0, 0.0)
    used = {k for k, v in lp.x_values.items() if v >= min_share}
    pairs = frozenset(used | {(a.request_id, a.plek_id) for a in start})
    milp = solve_exact(
        problem,
        time_limit=min(time_limit, max(1.0, until - t1)),
        start=start,
        pairs=pairs,
        heuristic_effort=heuristic_effort,
        reserved=reserved,
        max_nodes=max_nodes,
    )
    return RestrictedResult(lp, milp, len(used), pairs, t1 - t0, time.perf_counter() - t1)


def _set_start(
    h: object,
    start: Sequence[Assignment],
    x: dict[tuple[int, int], int],
    draw_cols: dict[tuple[int, int, int], tuple[int, int | None]],
) -> None:
    """Give HiGHS a complete solution: the start's placements and draws, every other column 0."""
    import numpy as np

    values = np.zeros(h.getNumCol())  # type: ignore[attr-defined]
    for a in start:
        j = x.get((a.request_id, a.plek_id))
        if j is None:
            raise ValueError(f"start: request {a.request_id} is not eligible for plek {a.plek_id}")
        values[j] = 1.0
        for d in a.draws:
            cols = draw_cols.get((a.request_id, a.plek_id, d.source_id))
            if cols is None:
                raise ValueError(
                    f"start: request {a.request_id} cannot draw on source {d.source_id}"
                )
            y, u = cols
            values[y] = round(d.load_hours / HOURS_UNIT)
            if u is not None:
                values[u] = 1.0
    index = np.arange(len(values), dtype=np.int32)
    h.setSolution(len(values), index, values)  # type: ignore[attr-defined]
