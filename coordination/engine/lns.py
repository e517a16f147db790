"""Large-neighbourhood repair: re-solve a few locations exactly with the MILP.

Around an unplaced request, the placements at the locations it could go to are
taken out and re-allocated, together with it and other unplaced requests for
those plekken, by the exact MILP (exact.py) on what the rest of the allocation
leaves free. Residual capacities are taken conservatively (the least free
hours and seats over the weeks involved) so any MILP solution fits the full
allocation; mentoring students stay where they are, as first-years elsewhere
may lean on them, and peer hours are left out of the neighbourhood.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING

from .exact import solve_exact
from .index import PEER
from .model import Plek, Problem, Source

if TYPE_CHECKING:
    from .solver import Solver

MAX_REQUESTS = 40
MAX_LOCATIONS = 5


def lns_repair(s: Solver, deadline: float) -> int:
    """Try a neighbourhood around each unplaced request; returns placements gained."""
    ix = s.ix
    gained = 0
    tried_locs: set[frozenset[int]] = set()
    for r in s.order_key():
        if time.perf_counter() > deadline:
            break
        if s.st.assign[r] >= 0 or ix.eptr[r + 1] == ix.eptr[r]:
            continue
        locs: list[int] = []
        for p in s.cand_order(r):
            if ix.ploc[p] not in locs:
                locs.append(ix.ploc[p])
            if len(locs) >= MAX_LOCATIONS:
                break
        key = frozenset(locs)
        if key in tried_locs:
            continue
        tried_locs.add(key)
        gained += _one(s, r, set(locs))
    return gained


def _one(s: Solver, r0: int, locs: set[int]) -> int:
    ix = s.ix
    st = s.st
    plekken = [p for p in range(len(ix.pid)) if ix.ploc[p] in locs]
    pset = set(plekken)
    inside: list[int] = []
    for p in plekken:
        for q in sorted(st.at_plek[p]):
            if not s.fixed[q] and not ix.mentor[q]:
                inside.append(q)
    cand = [r0]
    for r in s.order_key():
        if len(cand) + len(inside) >= MAX_REQUESTS:
            break
        if r != r0 and st.assign[r] < 0 and any(int(p) in pset for p in ix.eligible(r)):
            cand.append(r)
    reqs = inside + cand
    if len(reqs) > MAX_REQUESTS + len(inside):
        reqs = reqs[: MAX_REQUESTS + len(inside)]
    before = float(ix.prio[reqs][st.assign[reqs] >= 0].sum())
    old = {q: (int(st.assign[q]), list(st.draws[q] or [])) for q in inside}
    for q in inside:
        st.remove(q)
    a = min(st.rws[q] for q in reqs)
    b = max(st.rwe[q] for q in reqs) + 1
    sub = _subproblem(s, reqs, plekken, a, b)
    ok = False
    if sub is not None:
        res = solve_exact(sub, time_limit=2.0)
        if res.status == "Optimal" and res.placed_weighted > before + 0.5:
            ok = _apply(s, res)
    if not ok:
        for q in old:
            if st.assign[q] >= 0:
                st.remove(q)
        for q, (p, d) in old.items():
            st.place(q, p, d)
        return 0
    after = float(ix.prio[reqs][st.assign[reqs] >= 0].sum())
    return round(after - before)


def _subproblem(s: Solver, reqs: list[int], plekken: list[int], a: int, b: int) -> Problem | None:
    ix, st = s.ix, s.st
    prob = ix.problem
    by_id_req = {q.id: q for q in prob.requests}
    by_id_plek = {p.id: p for p in prob.plekken}
    requests = []
    pset = set(plekken)
    for q in reqs:
        rq = by_id_req[ix.rid[q]]
        prefs = tuple(x for x in rq.preferences if ix.ppos.get(x) in pset)
        requests.append(replace(rq, preferences=prefs))
    pleks: list[Plek] = []
    for p in plekken:
        free = int(ix.seats[p] - st.seat[p, a:b].max())
        if free > 0:
            pleks.append(replace(by_id_plek[ix.pid[p]], seats=free))
    if not pleks:
        return None
    # Sources that could carry these requests at these plekken, with what is left.
    scope: set[int] = set()
    for q in reqs:
        for p in plekken:
            scope.update(ix.scope_any_period(q, p))
    sources: list[Source] = []
    srcs = {x.id: x for x in prob.sources}
    for sidx in sorted(scope):
        if ix.skind[sidx] == PEER:
            continue
        lo, hi = max(a, ix.sws[sidx]), min(b, ix.swe[sidx] + 1)
        if lo >= hi:
            continue
        hours = float(st.free[sidx, lo:hi].min())
        if hours <= 1e-9:
            continue
        src = srcs[ix.sid[sidx]]
        ms = src.max_students
        if ms is not None:
            ms = int(ms - st.cnt[sidx, lo:hi].max())
            if ms <= 0:
                continue
        sources.append(replace(src, hours_per_week=hours - 1e-9, max_students=ms))
    return Problem(prob.region_id, prob.settings, tuple(requests), tuple(pleks), tuple(sources))


def _apply(s: Solver, res) -> bool:  # type: ignore[no-untyped-def]
    ix, st = s.ix, s.st
    placed = []
    for rid, pid in sorted(res.plek_of.items()):
        r, p = ix.rpos[rid], ix.ppos[pid]
        L = st.load[r]
        draws = [(ix.spos[sid], v) for sid, v in (res.draws or {}).get(rid, [])]
        if abs(sum(v for _, v in draws) - L) > 1e-6:
            break
        st.place(r, p, draws)
        placed.append(r)
    else:
        if not (st.free < -1e-7).any() and not (st.seat > ix.seats[:, None]).any():
            return True
    for r in placed:
        st.remove(r)
    return False
