"""What-if scenarios and the region's capacity report, both run on copies."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

from .model import SOURCE_KINDS, ExistingPlacement, Plek, Problem, Result, Source
from .solver import solve


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


def run_scenario(
    problem: Problem,
    *,
    add_sources: Iterable[Source] = (),
    remove_source_ids: Iterable[int] = (),
    add_plekken: Iterable[Plek] = (),
    remove_plek_ids: Iterable[int] = (),
    base: Result | None = None,
    time_limit: float | None = None,
) -> ScenarioResult:
    """Solve the problem as is and with the changes; report who gains or loses a place.

    Confirmed placements at a removed plek are dropped from the copy (the
    scenario asks what happens without that plek). Pass ``base`` to reuse an
    earlier result for the problem as is.
    """
    base = base or solve(problem, time_limit=time_limit)
    changed = _with_changes(problem, add_sources, remove_source_ids, add_plekken, remove_plek_ids)
    scen = solve(changed, time_limit=time_limit)
    before = {a.request_id for a in base.assignments}
    after = {a.request_id for a in scen.assignments}
    return ScenarioResult(
        base=base,
        scenario=scen,
        placed_delta=len(after) - len(before),
        placed_weighted_delta=float(scen.objective["placed_weighted"])
        - float(base.objective["placed_weighted"]),
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
    placements_lost_without: int  # placed now minus placed without it


def capacity_report(
    problem: Problem, result: Result, *, time_limit: float | None = None
) -> list[CapacityRow]:
    """Per begeleidingsvorm: what it carries now and what would be lost without it.

    "Lost without" re-solves a copy without that kind, keeping the current
    placements as proposals so that the comparison is like for like.
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
    fixed = {e.request_id for e in problem.existing if e.fixed}
    as_proposals = tuple(
        ExistingPlacement(a.request_id, a.plek_id, a.request_id in fixed, a.draws)
        for a in result.assignments
    )
    placed_now = len(result.assignments)
    # Peer hours exist only for mentors placed at a location that runs peer mentoring.
    loc_of = {p.id: p.location_id for p in problem.plekken}
    peer_locs = {s.location_id for s in problem.sources if s.kind == "student_ondersteuner"}
    mentor_ids = {r.id for r in problem.requests if r.peer_mentor and r.doelgroep == "ouderejaars"}
    peer_mentors = sum(
        1
        for a in result.assignments
        if a.request_id in mentor_ids and loc_of.get(a.plek_id) in peer_locs
    )
    rows = []
    for kind in SOURCE_KINDS:
        srcs = [s for s in problem.sources if s.kind == kind]
        if not srcs:
            continue
        hours = (
            problem.settings.peer_hours * peer_mentors
            if kind == "student_ondersteuner"
            else sum(s.hours_per_week for s in srcs)
        )
        copy = replace(
            problem,
            sources=tuple(s for s in problem.sources if s.kind != kind),
            existing=as_proposals,
        )
        without = solve(copy, time_limit=time_limit, bound=False)
        n_without = len(without.assignments)
        rows.append(
            CapacityRow(
                kind=kind,
                sources=len(srcs),
                hours_per_week=round(hours, 3),
                placements_carried=len(carried[kind]),
                load_hours_carried=round(load[kind], 3),
                placed_without=n_without,
                placements_lost_without=placed_now - n_without,
            )
        )
    return rows
