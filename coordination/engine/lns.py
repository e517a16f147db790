"""Large-neighbourhood search: re-solve a few locations exactly with CP-SAT.

Around an unplaced request, the placements at the locations it could go to are
taken out and re-allocated, together with it and other unplaced requests for
those plekken, by an exact CP-SAT model over what the rest of the allocation
leaves free, week by week (seats per plek, hours and students per source).
The model counts hours in whole units (model.HOURS_UNIT), so its draws are
exactly what is stored; the current placements are its hint, so a solution is
never worse than what was there, and it is applied only when strictly better.

Deterministic: CP-SAT runs on one worker with a fixed seed and stops on its
*deterministic* time (a count of work, the same on any machine), and the
neighbourhoods are taken in a fixed order up to a fixed number. A wall-clock
cap stays as a safety net only; when it cuts a neighbourhood short, the run is
no longer reproducible and ``stats.warnings`` says so.

Mentoring students (ouderejaars who bring peer hours) placed in the
neighbourhood stay where they are, as first-years elsewhere may lean on their
peer hours; unplaced mentors may be placed (that only adds peer hours).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .index import PEER

if TYPE_CHECKING:
    from ortools.sat.python.cp_model import IntVar

    from .solver import Solver

MAX_REQUESTS = 20  # unplaced candidates per neighbourhood (besides those placed inside)
MAX_LOCATIONS = 3
# Source hours in the model are counted in 1e-4 h: a draw of y units (0.01 h) from
# a source of group factor g costs y * ceil(100 g) of them, never less than
# draw_cost(y / 100, g) (exact for the group factors of two decimals the database has).
_COST_SCALE = 10_000


@dataclass
class LNSStats:
    neighbourhoods: int = 0
    improved: int = 0
    gained: float = 0.0
    deterministic_time: float = 0.0
    wall_seconds: float = 0.0
    capped: int = 0  # neighbourhoods stopped by the wall-clock safety cap
    passes: int = 0  # passes over the unplaced requests (see lns_repair)
    last_pass_improved: int = 0


def neighbourhoods(s: Solver, r0: int, max_locations: int = MAX_LOCATIONS) -> list[int]:
    """The first ``max_locations`` locations of r0's candidate plekken, best first."""
    ix = s.ix
    locs: list[int] = []
    for p in s.cand_order(r0):
        if ix.ploc[p] not in locs:
            locs.append(ix.ploc[p])
        if len(locs) >= max_locations:
            break
    return locs


def lns_repair(
    s: Solver,
    *,
    max_neighbourhoods: int,
    work: float,
    locations: int = MAX_LOCATIONS,
    requests: int = MAX_REQUESTS,
    seed: int = 0,
    deadline: float = math.inf,
    stats: LNSStats | None = None,
    only: list[int] | None = None,
) -> LNSStats:
    """Try a neighbourhood around unplaced requests, best first, up to a budget.

    ``max_neighbourhoods``: how many neighbourhoods to solve; ``work``: CP-SAT's
    deterministic time for each; ``locations``/``requests``: a neighbourhood's
    size (locations re-solved, unplaced requests added); ``only``: the requests to
    build them around (default: every unplaced request that has an eligible plek).
    A pass visits each set of locations once; when a pass improved something and
    budget is left, the next pass visits them again (what changed may open others).
    """
    ix = s.ix
    stats = stats or LNSStats()
    t0 = time.perf_counter()
    order = s.order_key() if only is None else only
    stop = False
    while not stop:
        tried: set[frozenset[int]] = set()
        improved_before = stats.improved
        stats.passes += 1
        for r in order:
            if stats.neighbourhoods >= max_neighbourhoods:
                stop = True
                break
            if time.perf_counter() > deadline:
                s.warnings.append(
                    "neighbourhood search stopped at the time limit (not reproducible)"
                )
                stop = True
                break
            if s.st.assign[r] >= 0 or ix.eptr[r + 1] == ix.eptr[r]:
                continue
            locs = neighbourhoods(s, r, locations)
            key = frozenset(locs)
            if key in tried:
                continue
            tried.add(key)
            cap = max(0.05, min(10.0, deadline - time.perf_counter()))
            solve_neighbourhood(
                s, r, set(locs), work=work, seed=seed, wall_cap=cap, stats=stats, requests=requests
            )
            s.progress("lns", stats.neighbourhoods / max(max_neighbourhoods, 1))
        stats.last_pass_improved = stats.improved - improved_before
        if stats.last_pass_improved == 0:
            break
    stats.wall_seconds += time.perf_counter() - t0
    if stats.capped:
        s.warnings.append(
            f"{stats.capped} neighbourhood(s) stopped by the wall-clock cap (not reproducible)"
        )
    return stats


def solve_neighbourhood(
    s: Solver,
    r0: int,
    locs: set[int],
    *,
    work: float,
    seed: int,
    wall_cap: float,
    stats: LNSStats,
    requests: int = MAX_REQUESTS,
) -> float:
    """Re-solve the placements at ``locs`` with r0 and other unplaced candidates.

    Returns the weighted placements gained (0 when nothing better was found;
    the state is then as it was).
    """
    from ortools.sat.python import cp_model
    from ortools.sat.python.cp_model import LinearExpr

    ix, st = s.ix, s.st
    by_loc, by_plek, position = _lookups(s)
    plekken = sorted(p for loc in locs for p in by_loc.get(loc, ()))
    pset = set(plekken)
    inside: list[int] = []
    for p in plekken:
        for q in sorted(st.at_plek[p]):
            if not s.fixed[q] and not ix.mentor[q]:
                inside.append(q)
    # The first unplaced requests in the solver's order that are eligible at one
    # of the plekken (the same as scanning that order, without visiting everyone).
    there = np.unique(np.concatenate([by_plek[p] for p in plekken])) if plekken else position[:0]
    there = there[(st.assign[there] < 0) & (there != r0)]
    there = there[np.argsort(position[there], kind="stable")][: requests - 1]
    cand = [r0, *there.tolist()]
    reqs = inside + cand
    old = {q: (int(st.assign[q]), list(st.draws[q] or [])) for q in inside}
    for q in inside:
        st.remove(q)
    stats.neighbourhoods += 1

    m = cp_model.CpModel()
    units = {q: round(st.load[q] * 100) for q in reqs}
    x: dict[tuple[int, int], IntVar] = {}
    x_of: dict[int, list[tuple[int, IntVar]]] = defaultdict(list)  # q -> (plek, var)
    # y[q, s]: load units q draws from source s (at whichever plek it gets).
    y: dict[tuple[int, int], IntVar] = {}
    y_pleks: dict[tuple[int, int], list[int]] = defaultdict(list)
    n = len(reqs)
    big = 11 * n + 1  # one placed request outweighs every preference bonus
    obj: list[tuple[int, IntVar]] = []
    for q in reqs:
        el = [int(p) for p in ix.eligible(q) if int(p) in pset]
        xs = []
        for p in el:
            if not st.seat_free(q, p):
                continue
            scope = ix.scope(q, p)
            if not scope:
                continue
            v = m.new_bool_var("")
            x[(q, p)] = v
            x_of[q].append((p, v))
            xs.append(v)
            rank = ix.pref_rank[q].get(p)
            bonus = 10 - rank if rank is not None and rank < 10 else 0
            obj.append((int(ix.prio[q]) * big + bonus, v))
            for src in scope:
                y_pleks[(q, src)].append(p)
        if len(xs) > 1:
            m.add_at_most_one(xs)
    if not x:
        _restore(s, old)
        return 0.0
    # Never fewer placements than now, also not for a better priority or preference
    # mix: adding capacity must never place fewer (scenarios compare counts too).
    m.add(LinearExpr.sum(list(x.values())) >= len(inside))
    for (q, src), ps in y_pleks.items():
        u = units[q]
        v = m.new_int_var(0, u, "")
        y[(q, src)] = v
        m.add(v <= u * LinearExpr.sum([x[(q, p)] for p in ps]))
    by_req: dict[int, list[tuple[int, IntVar]]] = defaultdict(list)
    for (q, src), v in y.items():
        by_req[q].append((src, v))
    for q in reqs:
        xs = [v for _p, v in x_of[q]]
        if not xs:
            continue
        ys = by_req[q]
        m.add(LinearExpr.sum([v for _s, v in ys]) == units[q] * LinearExpr.sum(xs))
        peer = [v for src, v in ys if ix.skind[src] == PEER]
        if peer:
            m.add(LinearExpr.sum(peer) <= math.floor(st.peer_share * units[q] + 1e-9))

    # Week classes: weeks in which the same requests of the neighbourhood run.
    a = min(st.rws[q] for q in reqs)
    b = max(st.rwe[q] for q in reqs) + 1
    rws = np.array([st.rws[q] for q in reqs])
    rwe = np.array([st.rwe[q] for q in reqs])
    weeks = np.arange(a, b)
    active = (rws[None, :] <= weeks[:, None]) & (rwe[None, :] >= weeks[:, None])
    classes: dict[bytes, list[int]] = defaultdict(list)
    for k, w in enumerate(weeks.tolist()):
        if active[k].any():
            classes[active[k].tobytes()].append(w)
    groups = [(np.frombuffer(key, dtype=bool), ws) for key, ws in classes.items()]

    for p in plekken:
        xs_p = [(k, x[(q, p)]) for k, q in enumerate(reqs) if (q, p) in x]
        if not xs_p:
            continue
        for act, ws in groups:
            seat_terms = [v for k, v in xs_p if act[k]]
            if not seat_terms:
                continue
            free = int(ix.seats[p] - st.seat[p, ws].max())
            if len(seat_terms) > free:
                m.add(LinearExpr.sum(seat_terms) <= free)
    by_src: dict[int, list[tuple[int, IntVar]]] = defaultdict(list)
    kpos = {q: k for k, q in enumerate(reqs)}
    for (q, src), v in y.items():
        by_src[src].append((kpos[q], v))
    limited = st.limited
    for src, terms_all in by_src.items():
        cost = math.ceil(float(ix.sgf[src]) * 100 - 1e-9)
        ubool: dict[int, IntVar] = {}
        if limited[src]:
            for k, v in terms_all:
                u = m.new_bool_var("")
                m.add(v <= units[reqs[k]] * u)
                ubool[k] = u
                # A complete hint: the student place is taken when the hint draws.
                q = reqs[k]
                drawn = q in old and any(sx == src for sx, _lh in old[q][1])
                m.add_hint(u, drawn)
        for act, ws in groups:
            terms = [(k, v) for k, v in terms_all if act[k]]
            if not terms:
                continue
            cap = math.floor(float(st.free[src, ws].min()) * _COST_SCALE + 1e-6)
            if cost > 0 and sum(units[reqs[k]] for k, _ in terms) * cost > cap:
                m.add(LinearExpr.sum([v for _, v in terms]) * cost <= max(cap, 0))
            if limited[src]:
                room = int(ix.smax[src] - st.cnt[src, ws].max())
                if len(terms) > room:
                    m.add(LinearExpr.sum([ubool[k] for k, _ in terms]) <= max(room, 0))
    m.maximize(LinearExpr.weighted_sum([v for _c, v in obj], [c for c, _v in obj]))
    # The current placements are a solution: start from it.
    hint_val = 0
    for q, (p, draws) in old.items():
        for pp, v in x_of[q]:
            m.add_hint(v, pp == p)
        dmap = {src: round(lh * 100) for src, lh in draws}
        for src, v in by_req[q]:
            m.add_hint(v, dmap.get(src, 0))
        rank = ix.pref_rank[q].get(p)
        hint_val += int(ix.prio[q]) * big + (10 - rank if rank is not None and rank < 10 else 0)
    for q in cand:
        for _pp, v in x_of[q]:
            m.add_hint(v, False)
        for _src, v in by_req[q]:
            m.add_hint(v, 0)
    solver = cp_model.CpSolver()
    prm = solver.parameters
    prm.num_workers = 1
    prm.random_seed = seed
    prm.max_deterministic_time = work
    prm.max_time_in_seconds = wall_cap
    prm.log_search_progress = False
    # Small models: presolve costs more wall time than it saves (demo regions:
    # about half the time of a neighbourhood, the same solutions).
    prm.cp_model_presolve = False
    status = solver.solve(m)
    stats.deterministic_time += solver.deterministic_time
    if solver.wall_time >= wall_cap * 0.98 and solver.deterministic_time < work * 0.98:
        stats.capped += 1
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE) or solver.objective_value <= hint_val:
        _restore(s, old)
        return 0.0
    before = float(sum(ix.prio[q] for q in old))
    placed: list[int] = []
    ok = True
    for (q, p), v in sorted(x.items()):
        if not solver.value(v):
            continue
        draws = [(src, solver.value(yv) / 100) for src, yv in by_req[q] if solver.value(yv) > 0]
        draws = [(src, round(lh, 2)) for src, lh in draws]
        if abs(sum(lh for _s, lh in draws) - st.load[q]) > 1e-9 or not st.seat_free(q, p):
            ok = False
            break
        st.place(q, p, draws)
        placed.append(q)
    if ok:
        srcs = sorted(by_src)
        ok = not (
            (st.free[srcs] < -1e-7).any()
            or (st.cnt[srcs] > ix.smax[srcs, None]).any()
            or (st.seat[plekken] > ix.seats[plekken, None]).any()
        )
    if not ok:  # never expected: the model is exact; keep the state valid anyway
        for q in placed:
            st.remove(q)
        _restore(s, old)
        s.warnings.append("a neighbourhood solution failed re-validation and was dropped")
        return 0.0
    after = float(sum(ix.prio[q] for q in placed))
    stats.improved += 1
    stats.gained += after - before
    return after - before


def _lookups(s: Solver) -> tuple[dict[int, list[int]], list[np.ndarray], np.ndarray]:
    """Plekken per location, eligible requests per plek, and each request's position
    in the solver's order; cached on the solver for as long as that order holds."""
    order = s.order_key()
    got = getattr(s, "_lns_lookups", None)
    if got is not None and got[0] is order:
        return got[1]
    ix = s.ix
    by_loc: dict[int, list[int]] = defaultdict(list)
    for p, loc in enumerate(ix.ploc):
        by_loc[loc].append(p)
    req_of_pair = np.repeat(np.arange(len(ix.rid), dtype=np.int64), np.diff(ix.eptr))
    o = np.argsort(ix.eplek, kind="stable")
    cuts = np.searchsorted(ix.eplek[o], np.arange(len(ix.pid) + 1))
    pairs = req_of_pair[o]
    by_plek = [pairs[cuts[p] : cuts[p + 1]] for p in range(len(ix.pid))]
    rank = np.empty(len(ix.rid), dtype=np.int64)
    rank[np.asarray(order, dtype=np.int64)] = np.arange(len(ix.rid))
    out = (dict(by_loc), by_plek, rank)
    s._lns_lookups = (order, out)  # type: ignore[attr-defined]
    return out


def _restore(s: Solver, old: dict[int, tuple[int, list[tuple[int, float]]]]) -> None:
    for q, (p, d) in old.items():
        s.st.place(q, p, d)
