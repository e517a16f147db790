"""The allocation solver: LP-guided construction, ejection-chain repair, reasons.

Outline (see docs/allocation-format.md for the objective):
1. index the problem and compute eligibility (rule 1);
2. place confirmed placements, then keep proposed ones where they still fit
   (stability, and a warm start for re-runs);
3. solve the LP relaxation with HiGHS for an upper bound on placed requests
   (weighted by priority); its fractional solution orders who goes where. Larger
   LPs: the first steps of its Lagrangian descent guide, and the descent goes on
   beside the search, in a second process, for the bound. Beyond the LP's size:
   the compact relaxation (aggbound.py) guides and bounds, from a second process.
   Elsewhere the compact bound runs beside the search; the best bound is reported;
4. construct greedily in that order with load checks week by week;
5. repair: for each unplaced request, free a seat or supervision hours by
   moving one placed request elsewhere (an ejection chain of length one);
6. explain every unplaced request.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from . import background
from .aggbound import Guidance
from .bound import LagrangianDescent
from .index import PEER, Index, IndexCache, build_index
from .model import (
    REASON_NO_ELIGIBLE_PLEK,
    REASON_SEATS_FULL,
    REASON_SUPERVISION_FULL,
    Assignment,
    Draw,
    Problem,
    Result,
    Unplaced,
    draw_cost,
    hours_floor,
    on_hours_grid,
)
from .state import State
from .weeks import weeks_label

if TYPE_CHECKING:
    from .exact import ExactResult

Progress = Callable[[str, float], None]

# Up to this size the exact MILP (exact.py) solves in well under a second.
EXACT_MAX_PAIRS = 60
EXACT_MAX_SOURCES = 40
# Beyond this many eligible request-plek pairs the bound LP is not built (the
# eligible-requests bound is reported); 10,000 requests have about 600,000.
LP_MAX_PAIRS = 1_500_000
# Beyond this many pairs the bound (the Lagrangian dual, there) comes first: the
# construction it guides places more than an unguided one (synthetic 10,000
# region: about 10,500 weighted against 9,950), so the unguided pass is skipped.
BOUND_FIRST_PAIRS = 100_000
# Beyond this many pairs the compact bound (aggbound.py) runs in a second
# process beside the search (10,000 requests: 2-3 s of work); below, here.
COMPACT_PROCESS_PAIRS = 100_000
# A further repair round only when the last one placed at least this share of
# the requests it tried: on the synthetic regions (seed 1) the first round places
# 12-13 %, the second 0.04 % (100,000) to 0.2 % (10,000) and a third none, at the
# cost of a whole round (a fifth of the solve at 100,000).
REPAIR_MIN_YIELD = 0.01
# The wall-clock safety cap when no time_limit is given: far above what the
# work budget takes, so that it only stops a run that something went wrong with.
SAFETY_SECONDS_MIN = 60.0
SAFETY_SECONDS_PER_REQUEST = 0.005
# A cluster of the exact polish by clusters: 4-50 s at 150 requests (1,000 synthetic
# requests, docs/benchmarks.md, issue 10's twelfth step).
SAFETY_SECONDS_PER_CLUSTER = 90.0
# try_place: with more plekken than this left to try after one that failed, the
# availability of every source in reach is computed at once (100,000 requests: a
# request tries about five).
PREFETCH_MIN = 2
PREFETCH_PLEKKEN = 8  # plekken covered by one such pass
# From this many requests on, default_budget is the large regions' one.
LARGE_REGION = 5_000
# Regions up to this many eligible pairs are polished exactly after the search
# (Solver.polish_exact): the demo regions (1,061-2,000 pairs) in 7-27 s, placing 9 more
# students than the search alone, with better preferences; 500 synthetic requests (4,469
# pairs) took 86 s, 1,000 minutes (docs/benchmarks.md, issue 10's eleventh step).
POLISH_MAX_PAIRS = 2_500


@dataclass(frozen=True, slots=True)
class Budget:
    """How much work each phase may do: counts, not seconds, so that the same input
    and budget give the same result at any load (and on another machine as far as
    numpy's floating point is the same there: its vector kernels follow the CPU).

    ``lns_neighbourhoods``: neighbourhoods the CP-SAT search re-solves (lns.py);
    ``lns_work``: CP-SAT deterministic time for each (a count of its work);
    ``lns_locations``/``lns_requests``: a neighbourhood's size: the locations whose
    placements it re-solves, and the unplaced requests it may add;
    ``lagrangian_steps``: subgradient steps of the bound on large regions;
    ``repair_rounds``: passes of the ejection-chain repair; ``seed``: CP-SAT's seed;
    ``compact_steps``: descent steps of the compact bound (aggbound.py);
    ``bound_steps``: on large regions, steps the Lagrangian descent goes on for
    after the guidance, beside the search, for the bound alone; ``guide_steps``:
    where the LP is not built (beyond LP_MAX_PAIRS), steps of the compact
    relaxation whose soft choices guide the construction. ``polish_max_pairs``: after
    the search, regions with at most this many eligible pairs are re-solved exactly on
    their LP's pairs (``Solver.polish_exact``; 0: never; ``default_budget`` sets
    POLISH_MAX_PAIRS). Seconds at demo sizes, minutes at 1,000 requests.
    ``cluster_polish``: regions beyond that get, after the search, up to this many groups
    of nearby locations re-solved exactly, each re-allocating about ``cluster_requests``
    requests with the rest of the region fixed, its MILP limited to ``cluster_nodes``
    branch-and-bound nodes (clusters.py; 0: none).
    """

    lns_neighbourhoods: int = 20
    lns_work: float = 0.05
    lns_locations: int = 3
    lns_requests: int = 20
    lagrangian_steps: int = 80
    repair_rounds: int = 3
    compact_steps: int = 300
    bound_steps: int = 200
    guide_steps: int = 60
    polish_max_pairs: int = 0
    cluster_polish: int = 0
    cluster_requests: int = 150
    cluster_nodes: int = 200
    seed: int = 0


def default_budget(n_requests: int) -> Budget:
    """The budget ``solve`` uses when none is given.

    Demo regions (150-270 requests): 20 neighbourhoods, about 1.5 s, then the exact
    polish (POLISH_MAX_PAIRS). Large regions (LARGE_REGION requests and more) spend their work
    where it pays (synthetic 10,000 region, seed 1, docs/benchmarks.md): 120
    Lagrangian steps of guidance instead of 80 place 30 more (weighted); 40
    neighbourhoods instead of 10 gain 5 more for 2.3 s; a second repair round
    places 1-7 (10,000 and 100,000) for a fifth of the repair's time.
    """
    if n_requests >= LARGE_REGION:
        return Budget(lns_neighbourhoods=10, lagrangian_steps=120, repair_rounds=1)
    return Budget(
        lns_neighbourhoods=max(20, min(40, n_requests // 250)), polish_max_pairs=POLISH_MAX_PAIRS
    )


# A warm-started re-run (scenarios, the capacity report) repairs around what changed.
WARM_BUDGET = Budget(lns_neighbourhoods=4, lns_work=0.02)


def safety_seconds(n_requests: int, budget: Budget) -> float:
    """The default wall-clock safety cap: far above what the budget's work takes."""
    base = max(SAFETY_SECONDS_MIN, SAFETY_SECONDS_PER_REQUEST * n_requests)
    return base + SAFETY_SECONDS_PER_CLUSTER * budget.cluster_polish


def _noop(_phase: str, _fraction: float) -> None:
    return None


class Solver:
    def __init__(
        self,
        problem: Problem,
        *,
        time_limit: float | None,
        progress: Progress | None,
        bound: bool,
        budget: Budget | None = None,
        index_cache: IndexCache | None = None,
    ) -> None:
        self.t0 = time.perf_counter()
        self.problem = problem
        self.time_limit = time_limit
        self.budget = budget or default_budget(len(problem.requests))
        self._order: tuple[int, list[int]] | None = None
        self._report = progress or _noop
        self._window = (0.0, 1.0)
        self._reported = 0.0
        self.want_bound = bound
        self.timings: dict[str, float] = {}
        self.warnings: list[str] = []
        self.ix: Index = index_cache.index(problem) if index_cache else build_index(problem)
        self._ploc = np.asarray(self.ix.ploc, dtype=np.int64)
        self._lap("index")
        self.st = State(self.ix)
        self.fixed = np.zeros(len(self.ix.rid), dtype=bool)
        self.previous: dict[int, int] = {}  # request index -> plek index of a proposal
        # Requests whose proposal is no longer eligible (e.g. the plek is now in
        # their excluded_plekken): not kept, placed afresh.
        self.dropped: set[int] = set()
        # request -> location id -> LP value (a Guidance where the compact relaxation guides)
        self.lp_x: dict[int, dict[int, float]] | Guidance = {}
        self.lp_info: dict[str, object] = {}
        self.compact: dict[str, Any] | None = None  # aggbound.compact_bound's answer
        self.descent: LagrangianDescent | None = None  # large regions: the bound's descent
        self.repair_log: list[tuple[int, int]] = []  # per repair round: tried, placed
        self._order_parts: list[np.ndarray] | None = None
        # eject(): each request's place in the order blockers are tried in, whether it
        # is confirmed, and its priority, as lists (made on first use, after
        # place_existing has set ``fixed``).
        self._blockers: tuple[list[int], list[bool], list[float]] | None = None
        # cand_order() of the requests eject() and explain() asked for, while the
        # guidance it follows is the same (the key): the repair rounds and the
        # explanations ask again for the same unplaced requests.
        self._cands: tuple[int, dict[int, np.ndarray]] | None = None

    # -- helpers ------------------------------------------------------------
    def phase(self, lo: float, hi: float) -> None:
        """The share of the whole solve (lo..hi) that the next phase's progress fills."""
        self._window = (lo, hi)

    def progress(self, stage: str, fraction: float) -> None:
        """Report ``fraction`` (0..1) of the current phase as a fraction of the whole solve.

        What the callback gets never decreases (a phase may restart its count, e.g. a
        second repair round) and reaches 1.0 only with ``stage == "done"``.
        """
        lo, hi = self._window
        value = 1.0 if stage == "done" else lo + (hi - lo) * min(max(fraction, 0.0), 1.0)
        value = max(self._reported, min(value, 1.0 if stage == "done" else 0.999))
        self._reported = value
        self._report(stage, value)

    def _lap(self, name: str) -> None:
        now = time.perf_counter()
        last = getattr(self, "_last", self.t0)
        self.timings[name] = round(self.timings.get(name, 0.0) + now - last, 4)
        self._last = now

    def _deadline(self, share: float = 1.0) -> float:
        """Wall-clock safety cap for a phase: a share of what is left of time_limit.

        Phases stop on their work budget; this moment only matters when something
        takes far longer than it should, and stopping there is reported in warnings.
        """
        if self.time_limit is None:
            return math.inf  # only when the Solver is used directly
        spent = time.perf_counter() - self.t0
        return self.t0 + spent + max(0.0, self.time_limit - spent) * share

    def cand_order(self, r: int) -> list[int]:
        """Plekken for r, best first: LP choice, then ranked preference, then distance."""
        ix = self.ix
        el = ix.eligible(r)
        if el.size == 0:
            return []
        # The order of the tuples (-round(LP share, 3), preference rank, distance,
        # plek) as one lexsort (the last key first); the LP share is rounded by
        # Python's round(), as the tuples were.
        keys: list[Any] = [el, ix.distances(r)]
        pref = ix.pref_rank[r]
        x = self._lp_values(r, el)
        if pref or x is not None:
            keys.append(np.array([pref.get(p, 1000) for p in el.tolist()]))
            if x is not None:
                keys.append(np.array([-round(v, 3) for v in x.tolist()]))
        return el[np.lexsort(keys)].tolist()

    def cands(self, r: int) -> np.ndarray:
        """cand_order(r) as an array, kept (it depends on the guidance, not the state)."""
        if self._cands is None or self._cands[0] != id(self.lp_x):
            self._cands = (id(self.lp_x), {})
        kept = self._cands[1]
        out = kept.get(r)
        if out is None:
            out = kept[r] = np.array(self.cand_order(r), dtype=np.int32)
        return out

    def _lp_values(self, r: int, ps: np.ndarray) -> np.ndarray | None:
        """The guidance for r at the location of each plek in ps (0.0 where it has
        none); None when it has nothing for r."""
        g = self.lp_x
        if isinstance(g, Guidance):  # arrays: no dict per call (100,000 requests)
            return g.values_at(r, self._ploc[ps])
        x = g.get(r)
        if not x:
            return None
        locs = self.ix.ploc
        return np.array([x.get(locs[p], 0.0) for p in ps.tolist()])

    # -- phases -------------------------------------------------------------
    def place_existing(self) -> None:
        ix = self.ix
        # Confirmed placements first, and among them peer mentors: first-years' draws
        # may lean on the peer hours a mentor brings (as in a warm start).
        mentor = {r.id for r in self.problem.requests if r.peer_mentor}
        existing = sorted(
            self.problem.existing,
            key=lambda e: (not e.fixed, e.request_id not in mentor, e.request_id),
        )
        rows = [(ix.rpos.get(e.request_id), ix.ppos.get(e.plek_id)) for e in existing]
        found = [i for i, (r, p) in enumerate(rows) if r is not None and p is not None]
        slots = ix.pair_slots(
            np.array([rows[i][0] for i in found], dtype=np.int64),
            np.array([rows[i][1] for i in found], dtype=np.int64),
        )
        eligible = dict(zip(found, (slots >= 0).tolist(), strict=True))
        confirmed: list[tuple[int, int, tuple[Draw, ...]]] = []
        for i, e in enumerate(existing):
            r, p = rows[i]
            if r is None or p is None:
                self.warnings.append(
                    f"existing placement {e.request_id}->{e.plek_id} refers to a missing row"
                )
                continue
            if self.fixed[r]:  # listed twice: the confirmed one counts
                continue
            if not e.fixed:
                if not eligible[i]:
                    self.dropped.add(r)  # refused, or no longer eligible (rule 1)
                    continue
                self.previous[r] = p
                continue  # proposals are kept in the construction phase, after the LP
            self.fixed[r] = True
            confirmed.append((r, p, e.draws))
        forced = self.place_kept(confirmed, force=True)
        if forced and not self._fit_confirmed_exactly():
            self.warnings.extend(
                f"confirmed placement of request {ix.rid[r]} at plek {ix.pid[p]} "
                "exceeds seats or supervision; kept as it is"
                for r, p in forced
            )
        self._lap("existing")

    def place_kept(
        self, kept: list[tuple[int, int, tuple[Draw, ...]]], *, force: bool = False
    ) -> list[tuple[int, int]]:
        """Place (request, plek, earlier draws) in the order given, keeping what still fits.

        Those whose draws are all still there keep them before any is drawn anew: new
        draws would take the hours theirs stand on (tests/engine/test_existing.py). The
        rest try their draws again (a mentor placed since brings peer hours), then fresh
        ones. What fits in neither way is left out, or with ``force`` placed on
        best-effort draws beyond capacity; returns those (request, plek).
        """
        st = self.st
        redraw = []
        for r, p, draws in kept:
            d = self._old_draws(r, p, draws)
            if d is None:
                redraw.append((r, p, draws))
            else:
                st.place(r, p, d)
        misfits = []
        for r, p, draws in redraw:
            d = self._old_draws(r, p, draws) or st.fits(r, p)
            if d is None:
                misfits.append((r, p))
                if not force:
                    continue
                d = self._forced_draws(r, p)
            st.place(r, p, d)
        return misfits

    def _fit_confirmed_exactly(self) -> bool:
        """Draws for every confirmed placement within capacity, found by the exact model
        over them alone (drawn one by one, a placement can take the hours another needs);
        False, and the state as it was, when there are none (seats or supervision were
        cut below what was confirmed)."""
        from .exact import solve_exact

        limit = 10.0 if self.time_limit is None else max(0.5, 0.1 * self.time_limit)
        res = solve_exact(self.problem, time_limit=limit, pairs=set())  # confirmed pairs only
        if res.status != "Optimal" or res.draws is None:
            return False
        fresh = self._state_of(res)
        if fresh is None:
            return False
        self.st = fresh
        return True

    def fresh_state(self, old: State) -> State:
        """A new state holding only the confirmed placements of ``old``."""
        st = State(self.ix)
        for r in np.nonzero(self.fixed)[0].tolist():
            if old.assign[r] >= 0:
                st.place(r, int(old.assign[r]), list(old.draws[r] or []))
        return st

    def _old_draws(self, r: int, p: int, draws: tuple[Draw, ...]) -> list[tuple[int, float]] | None:
        if not draws:
            return None
        ix, st = self.ix, self.st
        old = []
        for d in draws:
            s = ix.spos.get(d.source_id)
            if s is None:
                return None
            old.append((s, float(d.load_hours)))
        if st.seat_free(r, p) and st.draws_valid(r, p, old):
            return old
        return None

    def _forced_draws(self, r: int, p: int) -> list[tuple[int, float]]:
        """Best-effort draws for a confirmed placement that no longer fits."""
        st = self.st
        scope = self.ix.scope(r, p)
        rem = st.load[r]
        out: list[tuple[int, float]] = []
        for s in scope:
            av = hours_floor(min(st.available(r, s), rem))
            if av > 0:
                out.append((s, av))
                rem = round(rem - av, 2)
        if rem > 1e-9 and scope:
            s0 = scope[-1]
            out = [(s, v) for s, v in out if s != s0]
            got = sum(v for _, v in out)
            out.append((s0, round(st.load[r] - got, 2)))
        return out

    def run_exact(self) -> bool:
        """Small instances: solve the exact MILP; True when its optimum was applied.

        Preferences and keeping proposals enter as a bonus too small to trade
        against one placed request.
        """
        from .exact import solve_exact

        ix = self.ix
        R = len(ix.rid)
        limit = 10.0 if self.time_limit is None else max(0.5, 0.5 * self.time_limit)
        res = solve_exact(self.problem, time_limit=limit, bonus=self._exact_bonus())
        self._lap("exact")
        if res.status != "Optimal" or res.draws is None:
            self.lp_info["exact_status"] = res.status
            self.warnings.append(f"exact MILP: {res.status}; the heuristic was used")
            return False
        # Replace the state by the optimum (confirmed placements included).
        fresh = self._state_of(res)
        if fresh is None:
            self.warnings.append("exact solution failed re-validation; heuristic used")
            return False
        self.st = fresh
        placed = [r for r in range(R) if fresh.assign[r] >= 0]
        self.lp_info.update(
            bound_kind="exact_milp",
            upper_bound=float(sum(ix.prio[r] for r in placed)),
            status=res.status,
        )
        return True

    def _exact_bonus(self) -> dict[tuple[int, int], float]:
        """Preferences and keeping proposals, as a bonus too small to trade against one
        placed request (the exact models' objective: exact.solve_exact)."""
        ix = self.ix
        R = len(ix.rid)
        unit = 0.4 / (11 * R + 1)
        bonus: dict[tuple[int, int], float] = {}
        for r in range(R):
            for p in ix.eligible(r).tolist():
                k = ix.pref_rank[r].get(p)
                b = unit * (10 - k) if k is not None and k < 10 else 0.0
                if self.previous.get(r) == p:
                    b += unit * 0.5
                if b:
                    bonus[(ix.rid[r], ix.pid[p])] = b
        return bonus

    def _state_of(self, res: ExactResult) -> State | None:
        """An exact model's solution as a state; None when it does not re-validate."""
        ix = self.ix
        fresh = State(ix)
        for rid, pid in sorted(res.plek_of.items()):
            r, p = ix.rpos[rid], ix.ppos[pid]
            draws = [(ix.spos[sid], v) for sid, v in (res.draws or {}).get(rid, [])]
            if abs(sum(v for _, v in draws) - self.st.load[r]) > 1e-6:
                return None
            fresh.place(r, p, draws)
        if (fresh.free < -1e-7).any() or (fresh.seat > ix.seats[:, None]).any():
            return None
        if (fresh.cnt > ix.smax[:, None]).any():
            return None
        return fresh

    def polish_exact(self) -> None:
        """Re-solve the region exactly on the pairs its LP relaxation uses, in two stages.

        First the most that can be placed: the exact model's LP relaxation (HiGHS
        interior point) gives each request shares of plekken; the exact MILP restricted
        to the pairs with a tenth or more, plus the pairs placed now, and started from
        the current allocation, can only find an allocation at least as good. Wherever
        the optimum of a synthetic or demo region is known, it equals that LP, and this
        restricted MILP reached it, where the search stays 0.6-2 % below.
        Then the best preferences at that count: the same pairs, the first stage's,
        each request's first choice and the previous run's proposals, the MILP with the
        preference bonus (``_exact_bonus``, as the exact path for tiny regions has) and
        no fewer placed (weighted) than the first stage found. One MILP with placements
        and bonus together took Amersfoort 33 s to optimality, the two stages 16 s
        without the first choices and 24 s with them (docs/benchmarks.md, issue 10's
        eleventh step). A stage's result is kept when it is better. Deterministic (one
        HiGHS thread) unless the safety cap stops it.
        """
        from .exact import solve_exact, solve_restricted

        until = self._deadline(0.9)
        before = _score(self, self.st)
        out = solve_restricted(self.problem, self.assignments(), time_limit=math.inf, until=until)
        res = out.milp
        if res is None:
            self.lp_info["polish"] = {"status": f"LP {out.lp.status}"}
            self._lap("polish")
            return
        info: dict[str, Any] = {
            "status": res.status,
            "pairs": len(out.pairs),
            "before": before[0],
            "lp_seconds": round(out.lp_seconds, 3),
            "milp_seconds": round(out.milp_seconds, 3),
        }
        self._keep_if_better(res)
        self.progress("polish", 0.6)
        start = self.assignments()
        weighted = _score(self, self.st)[0]
        bonus = self._exact_bonus()
        placed_pairs = {(a.request_id, a.plek_id) for a in start}
        # Besides those pairs: each request's first choice, where eligible (of the three
        # demo regions, 8-12 more students at their first choice for 0-7 s; all the
        # preferred pairs made Amersfoort's second stage run past the safety cap), and
        # the previous run's proposals, which the bonus for keeping them then holds
        # unless preferences gain.
        ix = self.ix
        wanted = {(ix.rid[r], ix.pid[p]) for r, p in self.previous.items()}
        for r in range(len(ix.rid)):
            first = next((p for p, k in ix.pref_rank[r].items() if k == 0), None)
            if first is not None and (ix.rid[r], ix.pid[first]) in bonus:
                wanted.add((ix.rid[r], ix.pid[first]))
        started = time.perf_counter()
        prefs = solve_exact(
            self.problem,
            time_limit=max(1.0, until - time.perf_counter()),
            bonus=bonus,
            start=start,
            pairs=out.pairs | placed_pairs | wanted,
            min_weighted=weighted,
        )
        info["preferences_status"] = prefs.status
        info["preferences_seconds"] = round(time.perf_counter() - started, 3)
        # Its objective is the weighted count plus the bonus: better when above the start's.
        if prefs.placed_weighted > weighted + sum(bonus.get(k, 0.0) for k in placed_pairs) + 1e-9:
            fresh = self._state_of(prefs) if prefs.draws is not None else None
            if fresh is not None:
                self.st = fresh
                info["preferences_improved"] = True
        if "Time limit reached" in (out.lp.status, res.status, prefs.status):
            self.warnings.append("the exact polish stopped at the time limit (not reproducible)")
        after = _score(self, self.st)
        if after > before:
            info["after"] = after[0]
        self.lp_info["polish"] = info
        self._lap("polish")

    def polish_by_clusters(self) -> None:
        """The exact polish on groups of nearby locations, one at a time (clusters.py)."""
        from .clusters import polish_clusters

        b = self.budget
        self.lp_info["cluster_polish"] = polish_clusters(
            self,
            clusters=b.cluster_polish,
            size=b.cluster_requests,
            nodes=b.cluster_nodes,
            until=self._deadline(0.9),
            progress=lambda f: self.progress("polish", f),
        )
        self._lap("polish")

    def _keep_if_better(self, res: ExactResult) -> None:
        """Replace the state by an exact model's solution when ``_score`` ranks it higher."""
        fresh = self._state_of(res) if res.draws is not None else None
        if fresh is not None and _score(self, fresh) > _score(self, self.st):
            self.st = fresh

    def run_bound(self, share: float = 0.45) -> None:
        from .bound import lp_relaxation

        deadline = self._deadline(share)
        limit = None if math.isinf(deadline) else max(0.5, deadline - time.perf_counter())
        target = float(self.ix.prio[self.st.assign >= 0].sum()) if self.st.assign.max() >= 0 else 0
        res = lp_relaxation(
            self.ix,
            self.st,
            self.fixed,
            time_limit=limit,
            target=target,
            steps=self.budget.lagrangian_steps,
        )
        self.lp_x = res.x
        self.lp_info = res.info
        self.descent = res.descent
        self._order = None  # the order follows the LP
        if res.info.get("capped"):
            self.warnings.append("the bound stopped at the time limit (not reproducible)")
        self._lap("lp_bound")

    def take_compact_guidance(self, pending: background.Pending) -> None:
        """Guidance where the LP is not built: the compact relaxation's soft choices.

        Synthetic 100,000 region (seed 1): 60 steps (about 9 s) raise the allocation
        from 100,299 to 103,680 weighted; 40 steps to 103,022 (docs/benchmarks.md).
        """
        out = pending.first()
        self.lp_x = out.pop("x", {})
        self._order = None  # the order follows the guidance
        self.lp_info["guidance"] = out
        self._lap("guidance")

    def order_key(self) -> list[int]:
        """Requests in the order the construction and the repairs take them."""
        if self._order is None or self._order[0] != id(self.lp_x):
            self._order = (id(self.lp_x), self._order_key())
        return self._order[1]

    def order_parts(self) -> list[np.ndarray]:
        """The keys of the order that do not depend on the guidance (computed once;
        beyond the LP's size while the guidance is computed in the second process)."""
        if self._order_parts is None:
            ix = self.ix
            R = len(ix.rid)
            rid = np.asarray(ix.rid, dtype=np.int64)
            prio = np.asarray(ix.prio, dtype=np.float64)
            # Within each school, by priority then id: the k-th of n gets (k + 0.5) / n,
            # which interleaves the schools by their fair share.
            by_school = np.lexsort((rid, -prio, np.asarray(ix.school, dtype=np.int64)))
            school = np.asarray(ix.school, dtype=np.int64)[by_school]
            starts = np.flatnonzero(np.r_[True, school[1:] != school[:-1]]) if R else school
            sizes = np.diff(np.r_[starts, R])
            share = np.zeros(R)
            share[by_school] = (np.arange(R) - np.repeat(starts, sizes) + 0.5) / np.repeat(
                sizes, sizes
            )
            counts = np.diff(ix.eptr)
            # Supervision hours over the weeks a request runs: within a priority,
            # cheaper requests first (a knapsack's greedy order; on the synthetic
            # 10,000 region +3 % placed against ordering by school share alone),
            # and among equal ones, those with fewer options.
            cost = np.round(ix.load * (ix.rwe - ix.rws + 1), 3)
            # int(log2(count + 1)), exactly: frexp's exponent of a positive integer
            options = (np.frexp((counts + 1).astype(np.float64))[1] - 1).astype(np.int64)
            self._order_parts = [
                -np.asarray(ix.prio, dtype=np.float64),
                ~np.asarray(ix.mentor, dtype=bool),
                cost.astype(np.float64),
                options,
                share,
                rid,
            ]
        return self._order_parts

    def _confidence(self) -> np.ndarray:
        """Per request: 0 when the guidance places it (sum > 0.99), 1 partly, 2 not."""
        g = self.lp_x
        R = len(self.ix.rid)
        if isinstance(g, Guidance):
            tot = g.sums(R)
        else:
            tot = np.array([sum(g.get(r, {}).values()) for r in range(R)], dtype=np.float64)
        return np.where(tot > 0.99, 0, np.where(tot > 0.01, 1, 2))

    def _order_key(self) -> list[int]:
        neg_prio, not_mentor, cost, options, share, rid = self.order_parts()
        conf = self._confidence() if self.lp_x else np.zeros(rid.size, dtype=np.int64)
        # the order of the tuples (-prio, not mentor, confidence, cost, options, share,
        # request id) as one lexsort (the last key first)
        return np.lexsort((rid, share, options, cost, conf, not_mentor, neg_prio)).tolist()

    def construct(self) -> None:
        st = self.st
        # Keep proposals of the previous run where they still fit (stability).
        old = {e.request_id: e for e in self.problem.existing if not e.fixed}
        # Mentors first: first-years' kept draws may lean on their peer hours.
        for r in sorted(
            self.previous,
            key=lambda r: (not self.ix.mentor[r], -self.ix.prio[r], self.ix.rid[r]),
        ):
            p = self.previous[r]
            draws = self._old_draws(r, p, old[self.ix.rid[r]].draws) or st.fits(r, p)
            if draws is not None:
                st.place(r, p, draws)
        order = self.order_key()
        n = len(order)
        for k, r in enumerate(order):
            if k % 2000 == 0:
                self.progress("construct", k / max(n, 1))
            if st.assign[r] >= 0:
                continue
            self.try_place(r)
        self._lap("construct")

    def fit_order(self, r: int) -> list[int]:
        """Plekken with a free seat for r, best first: LP choice, then best fit.

        Best fit fills seats whose other weeks are already taken, so that a
        half-year request does not break a seat a full-year request needs.
        Preferences break ties here and are improved afterwards.
        """
        ix, st = self.ix, self.st
        el = ix.eligible(r)
        if el.size == 0:
            return []
        a, b = st.rws[r], st.rwe[r] + 1
        occ = st.seat[el, a:b]
        seats = ix.seats[el]
        free = seats - np.maximum.reduce(occ, axis=1)
        k = np.flatnonzero(free > 0)
        if not k.size:
            return []
        outside = (st.seat_weeks[el] - np.add.reduce(occ, axis=1)) / seats
        cand = el[k]
        lpv = self._lp_values(r, cand)
        if lpv is None:
            lpv = np.zeros(cand.size)
        pref = ix.pref_rank[r]
        if pref:
            prank = np.array([pref.get(p, 1000) for p in cand.tolist()])
        else:
            prank = np.full(cand.size, 1000)
        order = np.lexsort(
            (
                cand,
                ix.distances(r)[k],
                prank,
                -np.round(outside[k], 3),
                free[k],
                -np.round(lpv, 2),
            )
        )
        return cand[order].tolist()

    def try_place(self, r: int, skip: int = -1) -> bool:
        st = self.st
        ix = self.ix
        # Plekken of one location share their supervision (leerafdelingen
        # aside): when it does not carry r at one, it carries r at none.
        short_locs: set[int] = set()
        cands = self.fit_order(r)
        known: dict[int, float] | None = None
        upto = 0  # known covers the plekken cands[:upto]
        for i, p in enumerate(cands):
            if p == skip:
                continue
            own = p in ix.plek_sources
            if not own and ix.ploc[p] in short_locs:
                continue
            # fit_order offers only plekken with a free seat for r, and nothing
            # changes before a placement: the supervision is all left to ask.
            d = st.draws_for(r, p, known)
            if d is not None:
                st.place(r, p, d)
                return True
            if not own:
                short_locs.add(ix.ploc[p])
            if i + 1 >= upto and len(cands) - i > PREFETCH_MIN:
                # Nothing changes until a placement: what the sources of the next
                # plekken could carry for r, in one pass instead of one per plek.
                upto = i + 1 + PREFETCH_PLEKKEN
                known = (known or {}) | self._availability(r, cands[i + 1 : upto])
        return False

    def _availability(self, r: int, plekken: list[int]) -> dict[int, float]:
        """State.available(r, s) for every source that may carry r at these plekken."""
        ix = self.ix
        srcs: list[int] = []
        locs: set[int] = set()
        eerst = bool(ix.eerst[r])
        for p in plekken:
            srcs.extend(ix.plek_sources.get(p, ()))
            loc = ix.ploc[p]
            if loc not in locs:
                locs.add(loc)
                srcs.extend(ix.loc_sources.get(loc, ()))
                if eerst:
                    srcs.extend(ix.loc_peer.get(loc, ()))
        srcs.extend(ix.school_sources.get(ix.school[r], ()))
        srcs.extend(ix.pool_sources)
        arr = np.unique(np.asarray(srcs, dtype=np.int64))
        return dict(zip(arr.tolist(), self.st.available_all(r, arr), strict=True))

    def improve_preferences(self, deadline: float) -> int:
        """Move placed requests to a better-ranked plek where one fits; placed stays equal."""
        ix, st = self.ix, self.st
        moved = 0
        for r in range(len(ix.rid)):
            if time.perf_counter() > deadline:
                self.warnings.append("preferences stopped at the time limit (not reproducible)")
                break
            p0 = int(st.assign[r])
            if p0 < 0 or self.fixed[r] or not ix.pref_rank[r]:
                continue
            cur = ix.pref_rank[r].get(p0, 1000)
            better = sorted((k, p) for p, k in ix.pref_rank[r].items() if k < cur)
            if better:
                el = self._eligible_set(r)  # once per request, not once per preference
                better = [(k, p) for k, p in better if p in el]
            if better:
                # Removing r frees a seat at its own plek only: a better plek without
                # a seat now has none after, and r need not be taken out for it.
                ps = np.array([p for _, p in better])
                a, b = st.rws[r], st.rwe[r] + 1
                seat = np.maximum.reduce(st.seat[ps, a:b], axis=1) < ix.seats[ps]
                better = [t for t, ok in zip(better, seat.tolist(), strict=True) if ok]
            if not better or not st.can_remove(r):
                continue
            old = st.remove(r)
            for _, p in better:
                d = st.fits(r, p)
                if d is not None:
                    st.place(r, p, d)
                    moved += 1
                    break
            else:
                st.place(r, *old)
        self._lap("preferences")
        return moved

    def _eligible_set(self, r: int) -> set[int]:
        return set(self.ix.eligible(r).tolist())

    def repair(self, deadline: float, max_rounds: int | None = None) -> int:
        """Ejection chains of length one; returns how many more requests got placed."""
        ix, st = self.ix, self.st
        gained = 0
        rounds = self.budget.repair_rounds if max_rounds is None else max_rounds
        for _round in range(rounds):
            unplaced = [
                r for r in self.order_key() if st.assign[r] < 0 and ix.eptr[r + 1] > ix.eptr[r]
            ]
            improved = 0
            for k, r in enumerate(unplaced):
                if time.perf_counter() > deadline:
                    self.warnings.append("repair stopped at the time limit (not reproducible)")
                    self._lap("repair")
                    return gained
                if k % 200 == 0:
                    self.progress("repair", k / max(len(unplaced), 1))
                if self.try_place(r) or self.eject(r):
                    improved += 1
            gained += improved
            self.repair_log.append((len(unplaced), improved))
            if improved < REPAIR_MIN_YIELD * len(unplaced) or not improved:
                break  # a further round would not pay (see REPAIR_MIN_YIELD)
        self._lap("repair")
        return gained

    def eject(self, r: int, max_plekken: int = 8, max_blockers: int = 8) -> bool:
        """Place r by moving one placed request q out of its way, if q fits elsewhere."""
        ix, st = self.ix, self.st
        a, b = st.rws[r], st.rwe[r]
        pr = float(ix.prio[r])
        tried: set[int] = set()
        L = st.load[r]
        rank, fixed, prio = self._blocker_lists()
        rws, rwe = st.rws, st.rwe
        for p in self.cands(r)[:max_plekken].tolist():
            seat_full = not st.seat_free(r, p)
            scope, arr = ix.scope_arr(r, p)
            if seat_full:
                pool = st.at_plek[p]
                # Removing one placement frees one seat in its weeks: it must run
                # in every week of r's where the plek is full, and none may be over.
                occ = st.seat[p, a : b + 1]
                full = np.nonzero(occ >= st.seats[p])[0]
                fa, fb = a + int(full[0]), a + int(full[-1])
                if int(occ.max()) > st.seats[p]:
                    fa, fb = b + 1, a - 1  # over its seats: one removal is not enough
            else:
                pool = set()
                for s in scope:
                    pool |= st.holders[s]
            blockers = [
                q
                for q in pool
                if not fixed[q] and q not in tried and prio[q] <= pr and rws[q] <= b and rwe[q] >= a
            ]
            # Cheapest to move first: lower priority, then more alternatives (then id):
            # the order of _blocker_lists' ranks, all distinct.
            if len(blockers) > max_blockers:
                blockers = heapq.nsmallest(max_blockers, blockers, key=rank.__getitem__)
            else:
                blockers.sort(key=rank.__getitem__)
            # What each source in scope could carry for r at most once one placement
            # is gone: its hours left plus what that placement draws from it, whatever
            # its student count (see the check below). Computed when a blocker first
            # needs it: before any change to the state in this plek's turn, as at its
            # start.
            avail: list[float] | None = None
            have = 0.0
            fr: list[float] = []
            pos: dict[int, int] = {}
            for q in blockers:
                tried.add(q)
                if not st.can_remove(q):
                    continue
                if seat_full and (rws[q] > fa or rwe[q] < fb):
                    continue  # r would still find the plek full (fits() says None)
                if avail is None:
                    avail = st.available_all(r, arr) if arr.size else []
                    have = sum(avail)
                    fr = (
                        np.maximum(st.free[arr, a : b + 1].min(axis=1), 0.0).tolist()
                        if arr.size
                        else []
                    )
                    pos = {x: k for k, x in enumerate(scope)}
                # fits() only succeeds when what the sources could carry for r adds
                # up to its load; an upper bound on that after removing q:
                gain = 0.0
                for x, lh in st.draws[q] or ():
                    k = pos.get(x)
                    if k is not None:
                        g = st.gf[x]
                        c = draw_cost(lh, g)
                        gain += (fr[k] + c) / g - avail[k] if g > 0 else math.inf
                if have + gain < L - 1e-6:
                    continue  # r's draws could not add up to its load (None too)
                qp, qd = st.remove(q)
                d = st.fits(r, p)
                if d is None:
                    st.place(q, qp, qd)
                    continue
                st.place(r, p, d)
                if self.try_place(q, skip=qp):
                    return True
                if prio[q] < pr:
                    return True  # r outweighs q
                st.remove(r)
                st.place(q, qp, qd)
        return False

    def _blocker_lists(self) -> tuple[list[int], list[bool], list[float]]:
        """For eject(): each request's rank in the order (priority, more eligible plekken
        first, id), whether it is confirmed, and its priority, as lists."""
        if self._blockers is None:
            ix = self.ix
            order = np.lexsort((np.asarray(ix.rid), -np.diff(ix.eptr), ix.prio))
            rank = np.empty(order.size, dtype=np.int64)
            rank[order] = np.arange(order.size)
            self._blockers = (rank.tolist(), self.fixed.tolist(), ix.prio.tolist())
        return self._blockers

    def explain(self, only: set[int] | None = None) -> list[Unplaced]:
        ix, st = self.ix, self.st
        out = []
        for r in sorted(only) if only is not None else range(len(ix.rid)):
            if st.assign[r] >= 0:
                continue
            rid = ix.rid[r]
            weeks = weeks_label(ix.w0 + st.rws[r], ix.w0 + st.rwe[r])
            cands = self.cands(r).tolist()
            if not cands:
                crit = ix.criterion[r]
                out.append(
                    Unplaced(
                        rid,
                        REASON_NO_ELIGIBLE_PLEK,
                        crit,
                        (),
                        (),
                        _no_eligible_suggestion(crit),
                    )
                )
                continue
            a, b = st.rws[r], st.rwe[r] + 1
            ca = np.array(cands)
            free = np.maximum.reduce(st.seat[ca, a:b], axis=1) < ix.seats[ca]
            seat_ok = ca[free].tolist()  # st.seat_free(r, p) for all at once
            if not seat_ok:
                p0 = cands[0]
                out.append(
                    Unplaced(
                        rid,
                        REASON_SEATS_FULL,
                        None,
                        tuple(ix.pid[p] for p in cands[:10]),
                        (),
                        f"1 more seat at plek {ix.pid[p0]} for {weeks}",
                    )
                )
                continue
            # The ten best-ranked plekken with a seat are enough to name a remedy.
            near = seat_ok[:10]
            by_loc: dict[tuple[int, int], float] = {}
            for p in near:
                key = (ix.ploc[p], p if p in ix.plek_sources else -1)
                if key not in by_loc:
                    by_loc[key] = round(st.shortfall(r, p), 6)
            best = min(
                near,
                key=lambda p: (
                    by_loc[(ix.ploc[p], p if p in ix.plek_sources else -1)],
                    near.index(p),
                ),
            )
            short = st.shortfall(r, best)
            binding = []
            for s in ix.scope_any_period(r, best):
                covers = ix.sws[s] <= st.rws[r] and ix.swe[s] >= st.rwe[r]
                if not covers or st.available(r, s) < st.load[r] - 1e-9:
                    binding.append(ix.sid[s])
            loc = ix.ploc[best]
            if short <= 1e-9:
                # Supervision would suffice but draws were refused (e.g. max students).
                short = st.load[r]
            out.append(
                Unplaced(
                    rid,
                    REASON_SUPERVISION_FULL,
                    None,
                    tuple(ix.pid[p] for p in seat_ok[:10]),
                    tuple(sorted(set(binding))),
                    f"{_hours(short)} more supervision hours a week at location {loc} "
                    f"(plek {ix.pid[best]}) for {weeks}",
                )
            )
        self._lap("explain")
        return out

    def objective(self) -> dict[str, object]:
        ix, st = self.ix, self.st
        R = len(ix.rid)
        placed_arr = np.nonzero(st.assign >= 0)[0]
        placed = placed_arr.tolist()
        first = pref_any = 0
        pref_score = 0
        for r, p in zip(placed, st.assign[placed_arr].tolist(), strict=True):
            rank = ix.pref_rank[r].get(p)
            if rank is not None:
                pref_any += 1
                pref_score += max(0, 10 - rank)
                if rank == 0:
                    first += 1
        slots = ix.pair_slots(placed_arr, st.assign[placed_arr])
        # Summed one by one in request order, as before: the same float total.
        travel = sum(ix.edist[slots[slots >= 0]].tolist(), 0.0)
        # Fairness: each school's placed share of its placeable requests, relative to all.
        elig = np.diff(ix.eptr) > 0
        tot_e = int(elig.sum())
        tot_p = len(placed)
        school = np.asarray(ix.school, dtype=np.int64)
        schools, n_elig = np.unique(school[elig], return_counts=True)
        n_placed = np.bincount(
            np.searchsorted(schools, school[elig & (st.assign >= 0)]), minlength=schools.size
        )
        overall = tot_p / tot_e if tot_e else 1.0
        ratios = [
            pl / n / overall
            for n, pl in zip(n_elig.tolist(), n_placed.tolist(), strict=True)
            if n and overall > 0
        ]
        kept = sum(1 for r, p in self.previous.items() if st.assign[r] == p)
        return {
            "requests": R,
            "placed": tot_p,
            "placed_weighted": float(sum(ix.prio[r] for r in placed)),
            "placeable": tot_e,
            "first_choice": first,
            "in_preferences": pref_any,
            "preference_score": pref_score,
            "fairness_min_school_ratio": round(min(ratios), 4) if ratios else 1.0,
            "travel_km_total": round(travel, 3),
            "travel_km_mean": round(travel / tot_p, 3) if tot_p else 0.0,
            "proposals_kept": kept,
            "proposals_moved": len(self.previous) - kept,
        }

    def assignments(self) -> list[Assignment]:
        """The state's placements as the result gives them (draws by source id)."""
        ix, st = self.ix, self.st
        assignments = []
        sid, sgf = ix.sid, ix.sgf.tolist()
        made: dict[tuple[int, float], Draw] = {}  # one (immutable) Draw per source and hours
        rid, pid, st_draws = ix.rid, ix.pid, st.draws
        placed = np.nonzero(st.assign >= 0)[0].tolist()
        for r, p in zip(placed, st.assign[placed].tolist(), strict=True):
            chosen = st_draws[r] or []
            if len(chosen) > 1:
                chosen = sorted(chosen, key=lambda t: sid[t[0]])
            draws = []
            for s, lh in chosen:
                d = made.get((s, lh))
                if d is None:
                    d = made[s, lh] = Draw(sid[s], float(lh), draw_cost(float(lh), sgf[s]))
                draws.append(d)
            assignments.append(Assignment(rid[r], pid[p], tuple(draws)))
        return assignments

    def result(self, unplaced: list[Unplaced]) -> Result:
        ix = self.ix
        assignments = self.assignments()
        obj = self.objective()
        pw = float(obj["placed_weighted"])  # type: ignore[arg-type]
        trivial = _eligible_bound(ix)
        # The best (smallest) of the bounds at hand; a tie goes to the simplest.
        cands: list[tuple[float, object]] = [(trivial, "eligible_requests")]
        found = self.lp_info.get("upper_bound")
        if isinstance(found, int | float):
            cands.append((float(found), self.lp_info.get("bound_kind")))
        if self.compact is not None:
            self.lp_info["compact"] = self.compact
            cb = self.compact.get("upper_bound")
            if isinstance(cb, int | float) and self.compact.get("columns"):
                cands.append((float(cb), "compact_lagrangian"))
        ub, kind = min(cands, key=lambda t: t[0])
        self.lp_info["bound_kind"] = kind
        ub = max(ub, pw)  # rounding noise must not make the gap negative
        gap = (ub - pw) / ub if ub > 0 else 0.0
        self._lap("result")
        stats = {
            "timings": self.timings,
            "wall_seconds": round(time.perf_counter() - self.t0, 4),
            "weeks": ix.T,
            "eligible_pairs": int(ix.eplek.size),
            "warnings": self.warnings,
            "repair_rounds": self.repair_log,
            "lp": self.lp_info,
        }
        return Result(tuple(assignments), tuple(unplaced), obj, ub, gap, stats)


def _incremental(s: Solver, previous: Result) -> Result:
    ix, st = s.ix, s.st
    old = {e.request_id: e for e in s.problem.existing if not e.fixed}
    kept = np.fromiter(s.previous, dtype=np.int64, count=len(s.previous))
    ids = np.asarray(ix.rid, dtype=np.int64)
    # Mentors first, then by priority, then by id.
    order = kept[np.lexsort((ids[kept], -ix.prio[kept], ~ix.mentor[kept]))].tolist()
    # Fast path: put every proposal back with its draws, then check the totals
    # once; only when something no longer fits, redo it one by one.
    bulk = []
    batch = []
    for r in order:
        draws = _kept_draws(s, r, s.previous[r], old[ix.rid[r]].draws)
        if draws is not None:
            batch.append((r, s.previous[r], draws))
            bulk.append(r)
    st.place_many(batch)
    over = (
        (st.free < -1e-7).any()
        or (st.seat > ix.seats[:, None]).any()
        or (st.cnt > ix.smax[:, None]).any()
    )
    if over:
        for r in reversed(bulk):
            st.remove(r)
        bulk = []
    done = set(bulk)
    for r in order:
        if r in done:
            continue
        p = s.previous[r]
        draws = s._old_draws(r, p, old[ix.rid[r]].draws) or st.fits(r, p)
        if draws is not None:
            st.place(r, p, draws)
    s._lap("construct")
    known = {a.request_id for a in previous.assignments}
    known |= {u.request_id for u in previous.unplaced}
    todo = [
        r
        for r in s.order_key()
        if st.assign[r] < 0 and (ix.rid[r] not in known or r in s.previous or r in s.dropped)
    ]
    for r in todo:
        if not s.try_place(r):
            s.eject(r)
    s._lap("repair")
    reasons = {u.request_id: u for u in previous.unplaced}
    todo_set = set(todo)
    fresh = {u.request_id: u for u in s.explain(only=todo_set)}
    unplaced = []
    for r in range(len(ix.rid)):
        if st.assign[r] >= 0:
            continue
        rid = ix.rid[r]
        u = fresh.get(rid) or reasons.get(rid)
        if u is None:
            u = s.explain(only={r})[0]
        unplaced.append(u)
    s.lp_info["mode"] = "incremental"
    s.progress("done", 1.0)
    return s.result(unplaced)


def _kept_draws(
    s: Solver, r: int, p: int, draws: tuple[Draw, ...]
) -> list[tuple[int, float]] | None:
    """Previous draws when still in scope and complete (capacity is checked in bulk)."""
    if not draws:
        return None
    ix = s.ix
    spos, skind = ix.spos, ix.skind
    scope = ix.scope_arr(r, p)[0]  # a few sources: a list is as quick to search as a set
    out = []
    total = peer = 0.0
    for d in draws:
        x = spos.get(d.source_id)
        lh = d.load_hours
        if x is None or lh <= 0 or x not in scope or not on_hours_grid(lh):
            return None  # out of scope, or stored before hours were whole units
        out.append((x, float(lh)))
        total += lh
        if skind[x] == PEER:
            peer += lh
    L = s.st.load[r]
    if abs(total - L) > 1e-9 or peer > s.st.peer_share * L + 1e-9:
        return None
    return out


def _score(s: Solver, st: State) -> tuple[float, int]:
    placed = st.assign >= 0
    n_pref = sum(1 for r in np.nonzero(placed)[0] if int(st.assign[r]) in s.ix.pref_rank[r])
    return (float(s.ix.prio[placed].sum()), n_pref)


def _hours(h: float) -> str:
    return f"{math.ceil(h * 10 - 1e-6) / 10:.1f}"


def _no_eligible_suggestion(crit: str | None) -> str:
    return {
        "opleiding": "a plek in the region that takes this opleiding",
        "period": "a plek for this opleiding whose period covers the request's weeks",
        "sector": "a plek in one of the requested sectors, or a wider sector choice",
        "travel": "a plek within the travel distance, or a longer maximum travel distance",
        "refused": "another plek: every eligible plek declined this request or let its "
        "proposal expire",
    }.get(crit or "", "an eligible plek")


def solve(
    problem: Problem,
    *,
    time_limit: float | None = None,
    progress: Progress | None = None,
    bound: bool = True,
    exact: bool | None = None,
    previous: Result | None = None,
    start: Result | None = None,
    budget: Budget | None = None,
    index_cache: IndexCache | None = None,
) -> Result:
    """Allocate requests to plekken within seats and supervision capacity.

    ``budget``: the work each phase may do (:class:`Budget`; default
    :func:`default_budget` for the size). The result is a function of the problem
    and the budget only: the same at any load; on another kind of CPU numpy's vector
    kernels may round differently (docs/benchmarks.md, issue 10's eighth step).
    ``time_limit``: a wall-clock safety cap in seconds (default: ``safety_seconds``,
    60 s or 5 ms per request, and 90 s per cluster of the exact polish by clusters), far
    above what the budget takes; a phase it cuts short is named in
    ``stats.warnings`` and the result is then no longer reproducible.

    ``previous``: the result of the last run on this region, whose placements are
    passed again as proposals in ``problem.existing``. Then only what is new gets
    work: proposals stay where they still fit, requests that ``previous`` did not
    know are placed (with ejection chains), and requests it left unplaced keep its
    reason unless they are new or lost their place. Without the LP; the bound is
    the eligible-requests bound. Meant for the re-run after one change.

    ``start``: a warm start for a changed copy of a problem (scenarios, the
    capacity report): its placements are kept where they still fit (re-drawn from
    the sources left when theirs are gone), then every unplaced request is
    repaired and the neighbourhood search runs with the budget. Without the LP
    unless ``bound``.

    ``index_cache``: a worker's IndexCache; the region's last index is reused for
    what did not change (the result is the same as without it).

    ``bound=False`` skips the LP relaxation and the exact polish (faster re-runs);
    the reported upper bound is then the weighted count of requests that have an
    eligible plek.
    Small instances (``exact=None``: at most EXACT_MAX_PAIRS eligible pairs) are
    solved to optimality by the exact MILP; ``exact=False`` forces the heuristic.
    ``progress(stage, fraction)`` is called as phases advance (stages ``index``,
    ``exact``, ``construct``, ``repair``, ``bound``, ``lns``, ``polish`` (either exact
    polish), ``preferences``, ``done``); the
    fraction is of the whole solve, never decreases, and is 1.0 only at ``done``.
    """
    budget = budget or default_budget(len(problem.requests))
    if time_limit is None:
        time_limit = safety_seconds(len(problem.requests), budget)
    s = Solver(
        problem,
        time_limit=time_limit,
        progress=progress,
        bound=bound,
        budget=budget,
        index_cache=index_cache,
    )
    s.phase(0.0, 0.02)
    s.progress("index", 1.0)
    s.place_existing()
    if previous is not None:
        s.phase(0.02, 0.95)
        return _incremental(s, previous)
    if start is not None:
        return _warm(s, start)
    if exact is None:
        exact = int(s.ix.eplek.size) <= EXACT_MAX_PAIRS and len(s.ix.sid) <= EXACT_MAX_SOURCES
    if exact:
        s.phase(0.02, 0.95)
        s.progress("exact", 0.0)
        if s.run_exact():
            unplaced = s.explain()
            s.progress("done", 1.0)
            return s.result(unplaced)
    # The bounds need nothing from the search and the search nothing from them: on
    # large regions they run in a second process meanwhile (background.py), with the
    # same result however the two are scheduled. Regions whose LP is built through
    # its Lagrangian: the Lagrangian guides, then goes on beside the search for the
    # bound (tighter there than the compact bound: synthetic 10,000 region 11,442
    # after 120 + 200 steps against 11,510; docs/benchmarks.md).
    # Elsewhere, or when HiGHS solved the LP (no descent to go on with), the
    # compact bound runs beside the search instead.
    bound_first = bound and BOUND_FIRST_PAIRS < s.ix.eplek.size <= LP_MAX_PAIRS
    extends = bound_first and s.budget.bound_steps > 0
    pending: background.Pending | None = None
    extension: background.Pending | None = None
    # Beyond LP_MAX_PAIRS the compact relaxation guides too, computed first in the
    # same second process (the relaxation's arrays stay out of this one's memory).
    guided_by_compact = bound and s.ix.eplek.size > LP_MAX_PAIRS and s.budget.guide_steps > 0
    if bound and not extends:
        pending = _start_compact(s, guide_steps=s.budget.guide_steps if guided_by_compact else 0)
    # Large regions: the bound first, then one allocation it guides. Otherwise
    # first an unguided allocation, then the bound; when the bound also gives
    # guidance, a second allocation follows it and the better one is kept.
    cap = s._deadline()
    if bound_first:
        s.phase(0.02, 0.3)
        s.progress("bound", 0.0)
        s.run_bound(share=0.5)
        if extends and s.descent is not None:
            extension = _start_extension(s.descent, s.budget.bound_steps)
        elif extends:
            pending = _start_compact(s)
        s.phase(0.3, 0.4)
        s.construct()
        s.phase(0.4, 0.5)
        s.repair(cap)
    else:
        if pending is not None and guided_by_compact:
            s.order_parts()  # needs no guidance: done while the second process computes it
            s.phase(0.02, 0.1)
            s.progress("bound", 0.0)
            s.take_compact_guidance(pending)
        s.phase(0.1, 0.15)
        s.construct()
        s.phase(0.15, 0.2)
        s.repair(cap)
    if bound and s.ix.eplek.size > LP_MAX_PAIRS:
        s.lp_info["skipped"] = (
            f"{s.ix.eplek.size} eligible pairs: the LP and its Lagrangian do not converge "
            "within the budget at this size"
        )
    elif bound and 0 < s.ix.eplek.size <= BOUND_FIRST_PAIRS and _bound_reached(s):
        # Every eligible request is placed: no bound is lower and no guidance can place
        # more, so neither the LP nor a second construction is worth its time (a seats-only
        # region of 1,000: 209 of 209 after the first construction).
        s.lp_info["skipped"] = "the first allocation places every eligible request"
    elif bound and 0 < s.ix.eplek.size <= BOUND_FIRST_PAIRS:
        s.phase(0.2, 0.35)
        s.progress("bound", 0.0)
        s.run_bound()
        if s.lp_x:
            first = s.st
            s.st = s.fresh_state(first)
            s.phase(0.35, 0.42)
            s.construct()
            s.phase(0.42, 0.5)
            s.repair(cap)
            if _score(s, first) > _score(s, s.st):
                s.st = first
    polish = bound and 0 < s.ix.eplek.size <= s.budget.polish_max_pairs and not _bound_reached(s)
    by_clusters = bound and not polish and s.budget.cluster_polish > 0 and not _bound_reached(s)
    s.phase(0.5, 0.8 if polish or by_clusters else 0.95)
    _search(s)
    if polish or by_clusters:
        s.phase(0.8, 0.95)
        s.progress("polish", 0.0)
        s.polish_exact() if polish else s.polish_by_clusters()
    s.phase(0.95, 0.99)
    s.progress("preferences", 0.0)
    if s.improve_preferences(cap):
        s.repair(cap, max_rounds=1)  # moves to better-ranked plekken may have made room
    unplaced = s.explain()
    if pending is not None:
        if _bound_reached(s):
            # Nothing left to prove: no bound can be below what is placed.
            pending.cancel()
            s.lp_info["compact_skipped"] = "the allocation reaches a bound already at hand"
        else:
            s.compact = pending.result()
        s._lap("compact_bound_wait")
    if extension is not None:
        _merge_extension(s, extension.result())
        s._lap("bound_wait")
    s.progress("done", 1.0)
    return s.result(unplaced)


def _eligible_bound(ix: Index) -> float:
    """Always valid: every request that has an eligible plek placed."""
    return float(ix.prio[np.diff(ix.eptr) > 0].sum())


def _bound_reached(s: Solver) -> bool:
    """Whether the allocation's weighted count equals a bound already at hand."""
    ix = s.ix
    placed = float(ix.prio[s.st.assign >= 0].sum())
    bounds = [_eligible_bound(ix)]
    found = s.lp_info.get("upper_bound")
    if isinstance(found, int | float):
        bounds.append(float(found))
    return min(bounds) <= placed + 1e-9


def _start_compact(s: Solver, guide_steps: int = 0) -> background.Pending:
    from .aggbound import start as start_compact

    return start_compact(
        s.ix,
        s.fixed,
        s.st.assign,
        s.budget.compact_steps,
        process=s.ix.eplek.size > COMPACT_PROCESS_PAIRS,
        guide_steps=guide_steps,
    )


def _start_extension(descent: LagrangianDescent, steps: int) -> background.Pending:
    def compute() -> dict[str, Any]:
        t = time.perf_counter()
        descent.extend(steps)
        return {
            "steps": steps,
            "value": descent.best,
            "upper_bound": descent.upper_bound(),
            "seconds": round(time.perf_counter() - t, 3),
        }

    return background.start(compute, process=True)


def _merge_extension(s: Solver, ext: dict[str, Any]) -> None:
    """The continued descent's bound replaces the guidance's when smaller (it is)."""
    info = s.lp_info
    info["extension"] = ext
    found = info.get("upper_bound")
    if isinstance(found, int | float) and ext["upper_bound"] < found:
        info["upper_bound"] = ext["upper_bound"]
        info["lp_objective"] = ext["value"]


def _search(s: Solver, only: list[int] | None = None) -> None:
    from .lns import lns_repair

    b = s.budget
    if b.lns_neighbourhoods <= 0:
        return
    st = lns_repair(
        s,
        max_neighbourhoods=b.lns_neighbourhoods,
        work=b.lns_work,
        locations=b.lns_locations,
        requests=b.lns_requests,
        seed=b.seed,
        deadline=s._deadline(0.95),
        only=only,
    )
    s.lp_info["lns"] = {
        "neighbourhoods": st.neighbourhoods,
        "improved": st.improved,
        "gained_weighted": st.gained,
        "passes": st.passes,
        "last_pass_improved": st.last_pass_improved,
        "deterministic_time": round(st.deterministic_time, 3),
        "seconds": round(st.wall_seconds, 3),
    }
    s._lap("lns")


def _warm(s: Solver, start: Result) -> Result:
    """Keep ``start``'s placements where they fit, then repair and search (see solve)."""
    ix, st = s.ix, s.st
    cap = s._deadline()
    s.phase(0.02, 0.1)
    s.progress("construct", 0.0)
    keep = []
    for a in start.assignments:
        r, p = ix.rpos.get(a.request_id), ix.ppos.get(a.plek_id)
        if r is None or p is None or st.assign[r] >= 0:
            continue
        el = ix.eligible(r)
        k = int(np.searchsorted(el, p))
        if k < el.size and el[k] == p:
            keep.append((r, p, a.draws))
    # Mentors first: first-years' draws may lean on the peer hours they bring.
    keep.sort(key=lambda t: (not ix.mentor[t[0]], -ix.prio[t[0]], ix.rid[t[0]]))
    # Kept draws first (the capacity report without the senior werkbegeleiders lost 18
    # placements that drew nothing from them when they were drawn in this order alone).
    s.place_kept(keep)
    s._lap("construct")
    s.phase(0.1, 0.3)
    s.progress("repair", 0.0)
    s.repair(cap)
    if s.want_bound and 0 < s.ix.eplek.size <= BOUND_FIRST_PAIRS:
        s.phase(0.3, 0.4)
        s.progress("bound", 0.0)
        s.run_bound()
    # The search starts around the requests that lost their place, then the rest.
    was_placed = np.zeros(len(ix.rid), dtype=bool)
    was_placed[[r for r, _p, _d in keep]] = True
    order = s.order_key()
    s.phase(0.4, 0.95)
    _search(s, only=[r for r in order if was_placed[r]] + [r for r in order if not was_placed[r]])
    if s.budget.cluster_polish > 0 and not _bound_reached(s):
        s.progress("polish", 0.0)
        s.polish_by_clusters()  # a long offline run's (bestknown.run_clusters)
    s.phase(0.95, 0.99)
    s.progress("preferences", 0.0)
    if s.improve_preferences(cap):
        s.repair(cap, max_rounds=1)
    s.lp_info["mode"] = "warm_start"
    unplaced = s.explain()
    s.progress("done", 1.0)
    return s.result(unplaced)
