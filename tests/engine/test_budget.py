"""Work budgets: the same input gives the same allocation, and progress only goes forward."""

from __future__ import annotations

from coordination.engine import check_feasibility, solve
from coordination.engine.solver import Budget

from .helpers import assert_forward_to_one, load_demo, plek, problem, recorder, req, src


def test_a_demo_region_solves_the_same_twice_and_clean():
    p = load_demo("utrecht")
    first = solve(p)
    assert check_feasibility(p, first) == []
    assert first.stats["warnings"] == []  # no phase was cut short by the wall clock
    assert first.stats["lp"]["lns"]["neighbourhoods"] > 0
    again = solve(p)
    assert again.assignments == first.assignments
    assert again.unplaced == first.unplaced


def test_progress_is_a_fraction_of_the_whole_solve():
    p = load_demo("gooi-en-vechtstreek")
    seen, progress = recorder()
    res = solve(p, progress=progress)
    assert check_feasibility(p, res) == []
    assert_forward_to_one(seen)
    stages = {s for s, _f in seen}
    assert {"index", "construct", "repair", "bound", "lns", "polish", "done"} <= stages


def test_progress_of_the_exact_path_and_of_a_warm_start():
    p = problem([req(1), req(2)], [plek(10, seats=2)], [src(100, hours=2.0)])
    seen, progress = recorder()
    first = solve(p, progress=progress)
    assert first.stats["lp"]["bound_kind"] == "exact_milp"
    assert_forward_to_one(seen)
    seen, progress = recorder()
    warm = solve(p, start=first, bound=False, progress=progress)
    assert_forward_to_one(seen)
    assert warm.assignments == first.assignments


def test_a_phase_cut_short_by_the_safety_cap_says_so():
    p = load_demo("utrecht")
    res = solve(p, time_limit=0.01, budget=Budget(lns_neighbourhoods=5))
    assert check_feasibility(p, res) == []
    assert any("not reproducible" in w for w in res.stats["warnings"])
