"""The exact polish by location clusters, for regions too large for one exact model.

After the search, a few groups of nearby locations are re-solved exactly, one at a time,
with every placement elsewhere kept as it is: the requests placed in the group and the
unplaced requests eligible there are re-allocated over the group's plekken by the exact
model on its LP relaxation's pairs (``exact.solve_restricted``), started from the current
allocation. Placements elsewhere touch a group only through the sources that reach across
locations (a school's docent-begeleiders, the regional pool); the hours and students they
take there are passed as ``reserved``. A group's solution replaces its part of the
allocation when the whole allocation then ranks higher (more placed, weighted; at the
same count more in their preferences), so the polish never makes the allocation worse.

Why: wherever the optimum is known the exact LP equals it, and the exact model on the LP's
pairs reached it where the neighbourhood search stays 2-4 % below (docs/benchmarks.md,
issue 10's tenth and eleventh steps); but the whole region's LP takes two minutes at 1,000
requests. A group of about 150 requests solves its LP in 1-4 s.

Deterministic: the LP by interior point to its end, the MILP with a node limit and one
HiGHS thread; only the safety cap (``until``) can cut it short.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from .exact import ExactResult, solve_restricted
from .geo import haversine_km
from .locbound import SHARED_KINDS
from .model import Assignment, Problem, draw_cost

if TYPE_CHECKING:
    from .solver import Solver
    from .state import State


# At most this part of a group's requests are unplaced ones (next_cluster).
UNPLACED_PART = 3


@dataclass(frozen=True, slots=True)
class Cluster:
    locations: tuple[int, ...]  # location ids
    free: tuple[int, ...]  # request indices it re-allocates


def _location_points(s: Solver) -> tuple[list[int], np.ndarray]:
    """Location ids (sorted) and their (lat, lon)."""
    points: dict[int, tuple[float, float]] = {}
    for p in s.problem.plekken:
        points.setdefault(p.location_id, p.location)
    ids = sorted(points)
    return ids, np.array([points[i] for i in ids], dtype=np.float64).reshape(-1, 2)


def _eligible_at(s: Solver) -> dict[int, set[int]]:
    """Location id -> requests (indices) with an eligible plek there."""
    ix = s.ix
    counts = np.diff(ix.eptr)
    reqs = np.repeat(np.arange(len(ix.rid)), counts)
    locs = np.asarray(ix.ploc, dtype=np.int64)[ix.eplek]
    out: dict[int, set[int]] = defaultdict(set)
    for loc, r in set(zip(locs.tolist(), reqs.tolist(), strict=True)):
        out[loc].add(r)
    return out


def next_cluster(
    s: Solver,
    covered: set[int],
    eligible_at: dict[int, set[int]],
    loc_ids: list[int],
    points: np.ndarray,
    size: int,
) -> Cluster | None:
    """The group around the uncovered location where most unplaced requests are eligible.

    Grown by the nearest locations (ties by id) until it re-allocates ``size`` requests:
    those placed at its plekken (confirmed ones stay) and, at most a third of them, the
    unplaced eligible there (by priority, then the fewest eligible plekken, then id).
    Without that cap a group in a city of the synthetic 10,000 was two locations with
    140 unplaced requests competing for 23 places: nothing to re-arrange.
    None when no uncovered location has an unplaced request eligible there.
    """
    ix, st = s.ix, s.st
    assign = st.assign
    fixed = s.fixed

    def unplaced_at(loc: int) -> set[int]:
        return {r for r in eligible_at.get(loc, ()) if assign[r] < 0}

    best, best_n = -1, 0
    for k, loc in enumerate(loc_ids):
        if loc in covered:
            continue
        n = len(unplaced_at(loc))
        if n > best_n:
            best, best_n = k, n
    if best < 0:
        return None
    placed_at: dict[int, set[int]] = defaultdict(set)
    for r in np.flatnonzero(assign >= 0).tolist():
        if not fixed[r]:
            placed_at[ix.ploc[int(assign[r])]].add(r)
    dist = haversine_km(points[best, 0], points[best, 1], points[:, 0], points[:, 1])
    order = np.lexsort((np.arange(len(loc_ids)), dist))
    cap = max(1, size // UNPLACED_PART)
    chosen: list[int] = []
    placed: set[int] = set()
    unplaced: set[int] = set()
    for k in order.tolist():
        loc = loc_ids[k]
        chosen.append(loc)
        placed |= placed_at.get(loc, set())
        unplaced |= unplaced_at(loc)
        if len(placed) + min(len(unplaced), cap) >= size:
            break
    counts = np.diff(ix.eptr)
    wanted = sorted(unplaced, key=lambda r: (-ix.prio[r], counts[r], ix.rid[r]))[:cap]
    return Cluster(tuple(sorted(chosen)), tuple(sorted(placed | set(wanted))))


def _subproblem(
    s: Solver, cluster: Cluster
) -> tuple[Problem, dict[int, dict[int, tuple[float, int]]]]:
    """The cluster as a Problem, and what placements elsewhere take from its shared sources."""
    ix, st, problem = s.ix, s.st, s.problem
    locs = set(cluster.locations)
    plekken = tuple(p for p in problem.plekken if p.location_id in locs)
    plek_ids = {p.id for p in plekken}
    confirmed = [
        r
        for r in np.flatnonzero(s.fixed).tolist()
        if st.assign[r] >= 0 and ix.ploc[int(st.assign[r])] in locs
    ]
    members = sorted(set(cluster.free) | set(confirmed))
    schools = {ix.school[r] for r in members}
    sources = tuple(
        src
        for src in problem.sources
        if src.location_id in locs
        or src.plek_id in plek_ids
        or src.kind == "regionale_pool"
        or (src.kind == "docent_begeleider" and src.school_id in schools)
    )
    inside = set(members)
    reserved: dict[int, dict[int, tuple[float, int]]] = {}
    for src in sources:
        if src.kind not in SHARED_KINDS:
            continue
        j = ix.spos[src.id]
        weeks: dict[int, list[float]] = defaultdict(lambda: [0.0, 0])
        for r in sorted(st.holders[j] - inside):
            cost = sum(draw_cost(h, st.gf[j]) for sj, h in st.draws[r] or () if sj == j)
            for w in range(st.rws[r], st.rwe[r] + 1):
                weeks[ix.w0 + w][0] += cost
                weeks[ix.w0 + w][1] += 1
        if weeks:
            reserved[src.id] = {w: (v[0], int(v[1])) for w, v in weeks.items()}
    confirmed_ids = {ix.rid[r] for r in confirmed}
    member_ids = {ix.rid[r] for r in members}
    sub = replace(
        problem,
        requests=tuple(request for request in problem.requests if request.id in member_ids),
        plekken=plekken,
        sources=sources,
        existing=tuple(e for e in problem.existing if e.fixed and e.request_id in confirmed_ids),
    )
    return sub, reserved


def polish_clusters(
    s: Solver,
    *,
    clusters: int,
    size: int,
    nodes: int,
    until: float,
    progress: Callable[[float], None] | None = None,
) -> dict[str, Any]:
    """Re-solve up to ``clusters`` groups of about ``size`` requests exactly (module doc)."""
    from .solver import _score

    t0 = time.perf_counter()
    loc_ids, points = _location_points(s)
    eligible_at = _eligible_at(s)
    covered: set[int] = set()
    stopped = False
    info: dict[str, Any] = {"clusters": 0, "improved": 0, "gained_weighted": 0.0, "statuses": {}}
    for k in range(clusters):
        if time.perf_counter() >= until:
            stopped = True
            break
        cluster = next_cluster(s, covered, eligible_at, loc_ids, points, size)
        if cluster is None:
            break
        covered.update(cluster.locations)
        sub, reserved = _subproblem(s, cluster)
        member_ids = {r.id for r in sub.requests}
        placed = s.assignments()
        start = [a for a in placed if a.request_id in member_ids]
        out = solve_restricted(
            sub,
            start,
            time_limit=float("inf"),
            until=until,
            max_nodes=nodes,
            reserved=reserved,
            only_gain=True,
        )
        info["clusters"] += 1
        if out.milp is not None:
            status = out.milp.status
        elif out.lp.status == "Optimal":
            status = "nothing to gain (LP)"
        else:
            status = f"LP {out.lp.status}"
        info["statuses"][status] = info["statuses"].get(status, 0) + 1
        if out.milp is not None and out.milp.draws is not None:
            outside = [a for a in placed if a.request_id not in member_ids]
            fresh = _merged_state(s, outside, out.milp)
            before = _score(s, s.st)
            if fresh is not None and (after := _score(s, fresh)) > before:
                info["improved"] += 1
                info["gained_weighted"] += after[0] - before[0]
                s.st = fresh
        if progress is not None:
            progress((k + 1) / clusters)
    if stopped or any("Time limit" in status for status in info["statuses"]):
        s.warnings.append("the cluster polish stopped at the time limit (not reproducible)")
    info["seconds"] = round(time.perf_counter() - t0, 3)
    return info


def _merged_state(s: Solver, outside: list[Assignment], res: ExactResult) -> State | None:
    """The placements outside the cluster with the cluster's solution inside, as a state
    (None when the whole does not pass the state's checks: Solver._state_of)."""
    plek_of = {a.request_id: a.plek_id for a in outside} | res.plek_of
    draws = {a.request_id: [(d.source_id, d.load_hours) for d in a.draws] for a in outside}
    merged = ExactResult(
        res.status, res.placed_weighted, plek_of, res.dual_bound, draws | (res.draws or {})
    )
    return s._state_of(merged)
