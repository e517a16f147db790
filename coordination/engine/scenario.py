"""What-if scenarios and the region's capacity report, both run on copies.

Both compare the region as it is (the *base*) with a changed copy. The changed
copy is solved warm-started from the base result (``solve(..., start=base)``):
every base placement that still fits stays where it is, re-drawn from the
sources left when its own are gone; then the ejection-chain repair and the
CP-SAT neighbourhood search, with a fixed work budget, try to place the rest,
starting around the requests that lost their place. Why a warm start rather
than a second solve from scratch: two independent heuristic runs differ by a
few placements on their own (a region of 270 requests: about 1 %), which would
show up as the effect of the change (a source that "loses" placements when
added). From the base, what is the same stays the same: the difference is what
the change does. Adding capacity never places fewer (every base placement still
fits, and no step after that places fewer), and removing capacity never places
more than the region as is: an allocation of a copy with less is also one of
the region, so the better of the two is the reference. The budgets are counts
of work (``solver.Budget``), so the same input gives the same figures at any
load.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

from .model import SOURCE_KINDS, Plek, Problem, Result, Source
from .solver import WARM_BUDGET, Budget, Progress, default_budget, solve


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    base: Result
    scenario: Result
    placed_delta: int  # scenario placed minus base placed
    placed_weighted_delta: float
    newly_placed: tuple[int, ...]  # request ids
    newly_unplaced: tuple[int, ...]


def _with_changes(
    problem: Problem,
    add_sources: Iterable[Source],
    remove_source_ids: Iterable[int],
    add_plekken: Iterable[Plek],
    remove_plek_ids: Iterable[int],
) -> Problem:
    rs = set(remove_source_ids)
    rp = set(remove_plek_ids)
    sources = tuple(s for s in problem.sources if s.id not in rs and s.plek_id not in rp)
    plekken = tuple(p for p in problem.plekken if p.id not in rp)
    existing = tuple(e for e in problem.existing if e.plek_id not in rp)
    return replace(
        problem,
        sources=sources + tuple(add_sources),
        plekken=plekken + tuple(add_plekken),
        existing=existing,
    )


class JobProgress:
    """Progress of a job of several solves: each solve fills its share of 0..1.

    What the callback gets never decreases and reaches 1.0 only at the end (stage
    ``"done"``).
    """

    def __init__(self, progress: Progress | None) -> None:
        self.report = progress
        self.last = 0.0

    def stage(self, name: str, lo: float, hi: float) -> Progress | None:
        if self.report is None:
            return None

        def report(_phase: str, fraction: float) -> None:
            self._send(name, lo + (hi - lo) * min(max(fraction, 0.0), 1.0))

        return report

    def _send(self, name: str, value: float) -> None:
        if self.report is None:
            return
        # 1.0 only when the whole job is done, not when its last solve is.
        self.last = max(self.last, min(value, 1.0 if name == "done" else 0.999))
        self.report(name, self.last)

    def done(self) -> None:
        self._send("done", 1.0)


def _score(res: Result) -> tuple[float, int]:
    return (float(res.objective["placed_weighted"]), int(res.objective["placed"]))


def solve_base(
    problem: Problem,
    *,
    time_limit: float | None = None,
    progress: Progress | None = None,
    budget: Budget | None = None,
) -> Result:
    """The region's allocation as a what-if's base, when none is at hand.

    ``budget`` (default: the size's, without either exact polish): both sides of a what-if
    are warm re-runs from this base, so the polish would buy little and cost 10-20 s
    of a job that answers in seconds (docs/benchmarks.md, issue 10's eleventh step).
    """
    if budget is None:
        budget = replace(
            default_budget(len(problem.requests)), polish_max_pairs=0, cluster_polish=0
        )
    return solve(problem, time_limit=time_limit, progress=progress, budget=budget)


def run_scenario(
    problem: Problem,
    *,
    add_sources: Iterable[Source] = (),
    remove_source_ids: Iterable[int] = (),
    add_plekken: Iterable[Plek] = (),
    remove_plek_ids: Iterable[int] = (),
    base: Result | None = None,
    time_limit: float | None = None,
    progress: Progress | None = None,
    budget: Budget | None = None,
    warm_budget: Budget = WARM_BUDGET,
) -> ScenarioResult:
    """Solve the problem as is and with the changes; report who gains or loses a place.

    ``base``: the region's allocation for the problem as is (else it is solved here:
    ``solve_base`` with ``budget``). The changed copy is solved warm-started
    from it with ``warm_budget`` (see the module docstring for why), and so is the
    problem as is: that re-run is the ``base`` of the returned ScenarioResult, so
    that both sides had the same algorithm, budget and start and the difference is
    what the change does (the re-run may place a few more than the ``base`` given;
    it never places fewer). When the changes only remove, and the copy still came
    out better, its allocation is one of the region too: the region is re-run
    from it, so that removing never places more.

    Confirmed placements at a removed plek are dropped from the copy (the scenario
    asks what happens without that plek). ``time_limit``: wall-clock safety cap of
    each solve (see ``solve``). ``progress(stage, fraction)``: stages ``"base"``
    (when solved here), ``"reference"``, ``"scenario"`` and ``"done"``; the
    fraction is of the whole job and never decreases.
    """
    add_sources = tuple(add_sources)
    add_plekken = tuple(add_plekken)
    remove_source_ids = tuple(remove_source_ids)
    remove_plek_ids = tuple(remove_plek_ids)
    job = JobProgress(progress)
    lo = 0.0
    if base is None:
        lo = 0.5
        base = solve_base(
            problem, time_limit=time_limit, budget=budget, progress=job.stage("base", 0.0, lo)
        )
    mid = lo + (1.0 - lo) * 0.4

    def warm(p: Problem, start: Result, stage: str, a: float, b: float) -> Result:
        return solve(
            p,
            time_limit=time_limit,
            start=start,
            budget=warm_budget,
            bound=False,
            progress=job.stage(stage, a, b),
        )

    changed = _with_changes(problem, add_sources, remove_source_ids, add_plekken, remove_plek_ids)
    ref = warm(problem, base, "reference", lo, mid)
    only_removes = not add_sources and not add_plekken
    scen = warm(changed, ref, "scenario", mid, 0.95 if only_removes else 1.0)
    if only_removes and _score(scen) > _score(ref):
        again = warm(problem, scen, "reference", 0.95, 1.0)
        if _score(again) > _score(ref):
            ref = again
    before = {a.request_id for a in ref.assignments}
    after = {a.request_id for a in scen.assignments}
    job.done()
    return ScenarioResult(
        base=ref,
        scenario=scen,
        placed_delta=len(after) - len(before),
        placed_weighted_delta=float(scen.objective["placed_weighted"])
        - float(ref.objective["placed_weighted"]),
        newly_placed=tuple(sorted(after - before)),
        newly_unplaced=tuple(sorted(before - after)),
    )


@dataclass(frozen=True, slots=True)
class CapacityRow:
    kind: str  # begeleidingsvorm
    sources: int
    hours_per_week: float  # offered, summed over its sources (peer: from placed mentors)
    placements_carried: int  # placements drawing any hours from this kind
    load_hours_carried: float  # weekly load hours carried, summed over placements
    placed_without: int  # placed when every source of this kind is removed
    placements_lost_without: int  # placed_with minus placed_without
    # Placed in the region as is, by the best of the same warm-started runs (see
    # capacity_report): the reference the "without" runs are compared with.
    placed_with: int = 0


def capacity_runs(
    problem: Problem,
    result: Result,
    *,
    time_limit: float | None = None,
    progress: Progress | None = None,
    budget: Budget = WARM_BUDGET,
) -> list[tuple[str | None, Problem, Result]]:
    """The capacity report's solves: (kind removed or None, the copy, its result).

    The first is the region as is, the others one per begeleidingsvorm present,
    in SOURCE_KINDS order; each warm-started from ``result`` with ``budget``.
    """
    job = JobProgress(progress)
    kinds = [k for k in SOURCE_KINDS if any(s.kind == k for s in problem.sources)]
    copies: list[tuple[str | None, Problem]] = [(None, problem)]
    copies += [
        (k, replace(problem, sources=tuple(s for s in problem.sources if s.kind != k)))
        for k in kinds
    ]
    out = []
    n = len(copies)
    for i, (kind, copy) in enumerate(copies):
        stage = "with" if kind is None else f"without {kind}"
        res = solve(
            copy,
            start=result,
            budget=budget,
            bound=False,
            time_limit=time_limit,
            progress=job.stage(stage, i / n, (i + 1) / n),
        )
        out.append((kind, copy, res))
    job.done()
    return out


def capacity_report(
    problem: Problem,
    result: Result,
    *,
    time_limit: float | None = None,
    progress: Progress | None = None,
    budget: Budget = WARM_BUDGET,
) -> list[CapacityRow]:
    """Per begeleidingsvorm: what it carries now and what would be lost without it.

    ``result`` is the region's allocation (the base): what each kind carries is
    counted in it. "Lost without" re-solves a copy without every source of that
    kind, warm-started from ``result`` (see the module docstring): each run keeps
    the base placements that other sources can still carry, then repairs and
    searches with the same ``budget``. The reference (``placed_with``) is the
    same warm-started run on the region with nothing removed, or a run without a
    kind when that placed more (its allocation is one of the region as is too),
    so that both sides of each comparison had the same algorithm, budget and
    start, and no kind shows a negative loss. The figure is what the kind carries
    that the rest of the region cannot take over. Confirmed placements stay as
    they are in every copy; their draws are re-made where they used the removed
    kind. ``progress(stage, fraction)``: stages ``"with"``, ``"without <kind>"``
    and ``"done"``; the fraction is of the whole report and never decreases.
    """
    kind_of = {s.id: s.kind for s in problem.sources}
    carried: dict[str, set[int]] = defaultdict(set)
    load: dict[str, float] = defaultdict(float)
    for a in result.assignments:
        for d in a.draws:
            k = kind_of.get(d.source_id)
            if k is not None:
                carried[k].add(a.request_id)
                load[k] += d.load_hours
    # Peer hours exist only for mentors placed at a location that runs peer mentoring.
    loc_of = {p.id: p.location_id for p in problem.plekken}
    peer_locs = {s.location_id for s in problem.sources if s.kind == "student_ondersteuner"}
    mentor_ids = {r.id for r in problem.requests if r.peer_mentor and r.doelgroep == "ouderejaars"}
    peer_mentors = sum(
        1
        for a in result.assignments
        if a.request_id in mentor_ids and loc_of.get(a.plek_id) in peer_locs
    )
    runs = capacity_runs(problem, result, time_limit=time_limit, progress=progress, budget=budget)
    placed_with = max(len(res.assignments) for _k, _p, res in runs)
    rows = []
    for kind, _copy, without in runs[1:]:
        assert kind is not None
        srcs = [s for s in problem.sources if s.kind == kind]
        hours = (
            problem.settings.peer_hours * peer_mentors
            if kind == "student_ondersteuner"
            else sum(s.hours_per_week for s in srcs)
        )
        n_without = len(without.assignments)
        rows.append(
            CapacityRow(
                kind=kind,
                sources=len(srcs),
                hours_per_week=round(hours, 3),
                placements_carried=len(carried[kind]),
                load_hours_carried=round(load[kind], 3),
                placed_without=n_without,
                placements_lost_without=placed_with - n_without,
                placed_with=placed_with,
            )
        )
    return rows
