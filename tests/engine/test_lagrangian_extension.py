"""The Lagrangian descent continued beside the search (large regions): still a bound."""

from __future__ import annotations

import os
from unittest import mock

from hypothesis import given, settings

from coordination.engine import background, bound, check_feasibility, solve, solver
from coordination.engine.exact import solve_exact
from coordination.engine.synth import generate

from .helpers import half_confirmed
from .test_properties import instances

EXAMPLES = int(os.environ.get("ENGINE_EXAMPLES", "40")) // 2


def _descent(p, steps: int):  # type: ignore[no-untyped-def]
    s = solver.Solver(p, time_limit=None, progress=None, bound=True)
    s.place_existing()  # confirmed placements are fixed in the LP
    with mock.patch.object(bound, "HIGHS_MAX_COLUMNS", 0):
        return s.ix, bound.lp_relaxation(s.ix, s.st, s.fixed, steps=steps)


@settings(max_examples=EXAMPLES, deadline=None)
@given(instances())
def test_the_continued_descent_bounds_the_optimum_and_only_goes_down(p):  # type: ignore[no-untyped-def]
    for q in (p, half_confirmed(p)):
        ix, lr = _descent(q, steps=10)
        if not ix.eplek.size:
            continue
        ref = solve_exact(q)
        d = lr.descent
        assert d is not None
        before = d.best
        after = d.extend(40)
        assert after <= before
        assert after >= ref.placed_weighted - 1e-6
        assert d.upper_bound() >= ref.placed_weighted - 1e-6


def test_a_region_of_1000_gets_a_tighter_bound_from_the_continued_descent() -> None:
    _ix, lr = _descent(generate(1000, 1), steps=60)
    d = lr.descent
    assert d is not None
    guided = d.upper_bound()
    assert d.extend(200) < guided - 1.0  # it moves, by more than rounding


def test_the_same_bound_and_result_whether_it_goes_on_in_a_second_process_or_here() -> None:
    p = generate(400, 3)
    large = (
        mock.patch.object(solver, "BOUND_FIRST_PAIRS", 0),
        mock.patch.object(bound, "HIGHS_MAX_COLUMNS", 0),
    )
    budget = solver.Budget(lagrangian_steps=30, bound_steps=40, lns_neighbourhoods=4)
    with large[0], large[1]:
        no_fork = mock.patch.object(
            background.multiprocessing, "get_all_start_methods", lambda: ["spawn"]
        )
        with no_fork:
            inline = solve(p, exact=False, budget=budget)
        # As a single-threaded process (the suite may have started threads before this test).
        with mock.patch.object(background.threading, "active_count", lambda: 1):
            forked = solve(p, exact=False, budget=budget)
    assert check_feasibility(p, forked) == []
    there, here = forked.stats["lp"]["extension"], inline.stats["lp"]["extension"]
    assert there["mode"] == "process" and here["mode"] == "inline"
    assert there["value"] == here["value"] and there["steps"] == 40
    assert forked.assignments == inline.assignments
    assert forked.upper_bound == inline.upper_bound
    assert forked.upper_bound >= forked.objective["placed_weighted"]
    # The extension replaced the compact bound on this path, and its bound is the one used.
    assert "compact" not in forked.stats["lp"]
    assert forked.stats["lp"]["upper_bound"] == there["upper_bound"]
