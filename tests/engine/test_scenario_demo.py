"""Scenarios and the capacity report on the exported demo regions (tests/engine/data).

The properties a coordinator relies on: adding capacity never places fewer,
removing it never places more, every allocation is checker-clean, the same
input gives the same figures, and progress only goes forward to 1.0.
"""

from __future__ import annotations

import dataclasses

import pytest

from coordination.engine import (
    Problem,
    Result,
    Source,
    capacity_report,
    check_feasibility,
    run_scenario,
    solve,
    solve_base,
)
from coordination.engine.scenario import _with_changes, capacity_runs

from .helpers import assert_forward_to_one, load_demo, recorder


@pytest.fixture(scope="module")
def utrecht() -> tuple[Problem, Result]:
    p = load_demo("utrecht")
    return p, solve(p)


@pytest.fixture(scope="module")
def amersfoort() -> tuple[Problem, Result]:
    p = load_demo("amersfoort")
    return p, solve(p)


def senior(problem: Problem, location_id: int, hours: float = 16.0) -> Source:
    return Source(
        -1,
        "senior_werkbegeleider",
        hours,
        min(p.start for p in problem.plekken),
        max(p.end for p in problem.plekken),
        max_students=6,
        group_factor=0.6,
        location_id=location_id,
    )


def short_locations(problem: Problem, base: Result) -> list[int]:
    """Locations where unplaced requests lack supervision (or any, when none do)."""
    loc_of = {p.id: p.location_id for p in problem.plekken}
    locs = sorted(
        {
            loc_of[u.binding_plekken[0]]
            for u in base.unplaced
            if u.reason == "supervision_full" and u.binding_plekken
        }
    )
    return locs or sorted(loc_of.values())[:1]


def placed(res: Result) -> tuple[int, float]:
    return len(res.assignments), float(res.objective["placed_weighted"])


def test_adding_capacity_never_places_fewer(amersfoort):
    p, base = amersfoort
    for loc in short_locations(p, base)[:2]:
        add = senior(p, loc)
        sc = run_scenario(p, add_sources=[add], base=base)
        changed = _with_changes(p, [add], (), (), ())
        assert check_feasibility(p, sc.base) == []
        assert check_feasibility(changed, sc.scenario) == []
        assert placed(sc.base) >= placed(base)  # the reference re-run loses nobody
        assert sc.placed_delta >= 0 and sc.placed_weighted_delta >= 0
        assert sc.placed_delta == len(sc.newly_placed) - len(sc.newly_unplaced)
    # Amersfoort's allocation is optimal (it meets its bound): supervision alone adds
    # nothing where seats are full too. A seat more, with a senior to supervise it, where
    # a request found every seat taken places one more.
    first = next(u for u in base.unplaced if u.reason == "seats_full" and u.binding_plekken)
    full = next(pl for pl in p.plekken if pl.id == first.binding_plekken[0])
    seat = dataclasses.replace(full, id=-1, seats=1)
    add = senior(p, full.location_id)
    sc = run_scenario(p, add_plekken=[seat], add_sources=[add], base=base)
    assert check_feasibility(_with_changes(p, [add], (), [seat], ()), sc.scenario) == []
    assert sc.placed_delta == 1 == len(sc.newly_placed) - len(sc.newly_unplaced)


def test_removing_capacity_never_places_more(utrecht):
    p, base = utrecht
    biggest = sorted(p.sources, key=lambda s: (-s.hours_per_week, s.id))[:3]
    for s in biggest:
        sc = run_scenario(p, remove_source_ids=[s.id], base=base)
        changed = _with_changes(p, (), [s.id], (), ())
        assert check_feasibility(changed, sc.scenario) == []
        assert check_feasibility(p, sc.base) == []
        assert sc.placed_delta <= 0 and sc.placed_weighted_delta <= 0


def test_a_scenario_is_deterministic_with_and_without_a_given_base(utrecht):
    p, base = utrecht
    add = senior(p, short_locations(p, base)[0])
    seen, progress = recorder()
    solved_inside = run_scenario(p, add_sources=[add], progress=progress)
    given = run_scenario(p, add_sources=[add], base=solve_base(p))
    assert solved_inside.scenario.assignments == given.scenario.assignments
    assert solved_inside.base.assignments == given.base.assignments
    assert_forward_to_one(seen)
    assert {s for s, _f in seen} >= {"base", "reference", "scenario", "done"}


def test_capacity_report_runs_are_clean_and_bounded_by_what_each_kind_carries(amersfoort):
    p, base = amersfoort
    runs = capacity_runs(p, base)
    (kind0, copy0, with_run), *without = runs
    assert kind0 is None and copy0 is p
    assert placed(with_run) >= placed(base)
    for kind, copy, res in runs:
        assert check_feasibility(copy, res) == [], kind
        assert not any(s.kind == kind for s in copy.sources)
    rows = {r.kind: r for r in capacity_report(p, base)}
    assert set(rows) == {k for k, _c, _r in without}
    extra = rows["werkbegeleider"].placed_with - len(base.assignments)
    assert extra >= 0
    for r in rows.values():
        # Every placement that draws nothing from the kind keeps its draws without it.
        assert 0 <= r.placements_lost_without <= r.placements_carried + extra, r
        assert r.placed_without + r.placements_lost_without == r.placed_with
    # Amersfoort leans on its werkbegeleiders: most of what they carry is lost.
    assert rows["werkbegeleider"].placements_lost_without > 0


def test_capacity_report_is_deterministic_and_reports_progress(utrecht):
    p, base = utrecht
    seen, progress = recorder()
    first = capacity_report(p, base, progress=progress)
    assert capacity_report(p, base) == first
    assert_forward_to_one(seen)
    stages = [s for s, _f in seen]
    assert stages[0] == "with" and "without werkbegeleider" in stages
