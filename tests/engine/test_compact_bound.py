"""The compact relaxation's Lagrangian bound (aggbound.py): valid, and the same in any process."""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from unittest import mock

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordination.engine import (
    aggbound,
    background,
    bestknown,
    check_feasibility,
    solve,
    solver,
)
from coordination.engine.exact import solve_exact
from coordination.engine.index import build_index
from coordination.engine.synth import generate

from .helpers import half_confirmed
from .test_properties import instances

SETTINGS = settings(
    max_examples=int(os.environ.get("ENGINE_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _bound(p, steps: int) -> float:  # type: ignore[no-untyped-def]
    ix = build_index(p)
    n = len(ix.rid)
    return aggbound.compact_bound(ix, np.zeros(n, dtype=bool), np.full(n, -1), steps=steps)[
        "upper_bound"
    ]


@SETTINGS
@given(instances(), st.sampled_from([1, 7, aggbound.DEFAULT_STEPS]))
def test_at_least_the_exact_optimum_after_any_number_of_steps(p, steps):  # type: ignore[no-untyped-def]
    ref = solve_exact(p)
    assert ref.status == "Optimal"
    assert _bound(p, steps) >= ref.placed_weighted - 1e-6


@SETTINGS
@given(instances())
def test_at_least_the_optimum_with_confirmed_placements(p):  # type: ignore[no-untyped-def]
    again = half_confirmed(p)
    ref = solve_exact(again)
    assert ref.status == "Optimal"
    s = solver.Solver(again, time_limit=None, progress=None, bound=True)
    s.place_existing()  # the confirmed placements, fixed as the solver fixes them
    compact = aggbound.compact_bound(s.ix, s.fixed, s.st.assign)
    if compact["columns"]:
        assert compact["upper_bound"] >= ref.placed_weighted - 1e-6
    res = solve(again, exact=False)
    assert check_feasibility(again, res) == []
    assert res.upper_bound >= ref.placed_weighted - 1e-6
    if "compact" not in res.stats["lp"]:  # skipped only when nothing is left to prove
        assert res.stats["lp"]["compact_skipped"] and res.gap == 0


@settings(max_examples=6, deadline=None)
@given(st.integers(20, 45), st.integers(0, 10_000))
def test_at_least_an_exact_solution_on_small_synthetic_regions(n, seed):  # type: ignore[no-untyped-def]
    p = generate(n, seed)
    ref = solve_exact(p, time_limit=20.0)
    # Optimal or not, what the MILP found is feasible, so it is below any bound.
    assert _bound(p, aggbound.DEFAULT_STEPS) >= ref.placed_weighted - 1e-6
    if ref.status == "Optimal":
        assert _bound(p, 3) >= ref.placed_weighted - 1e-6


def test_at_least_the_engine_on_a_synthetic_region_and_reported() -> None:
    p = generate(1000, 1)
    res = solve(p)
    compact = res.stats["lp"]["compact"]
    assert compact["columns"] > 0 and compact["steps"] == solver.Budget().compact_steps
    assert compact["upper_bound"] >= res.objective["placed_weighted"]
    ix = build_index(p)
    trivial = float(ix.prio[np.diff(ix.eptr) > 0].sum())
    assert compact["upper_bound"] < trivial  # stronger than "every request placed" here
    assert res.upper_bound <= compact["upper_bound"]  # the best bound at hand is reported


def test_the_same_bound_and_result_in_a_second_process() -> None:
    p = generate(400, 3)
    ix = build_index(p)
    n = len(ix.rid)
    fixed, at = np.zeros(n, dtype=bool), np.full(n, -1)
    here = aggbound.compact_bound(ix, fixed, at, steps=50)
    # As a single-threaded process (the suite may have started threads before this test).
    single = mock.patch.object(background.threading, "active_count", lambda: 1)
    with single:
        pending = aggbound.start(ix, fixed, at, 50, process=True)
    there = pending.result()
    assert there["mode"] == "process"
    assert there["value"] == here["value"] and there["upper_bound"] == here["upper_bound"]
    inline = solve(p, exact=False)
    with mock.patch.object(solver, "COMPACT_PROCESS_PAIRS", 0), single:
        forked = solve(p, exact=False)
    assert forked.stats["lp"]["compact"]["mode"] == "process"
    assert inline.stats["lp"]["compact"]["mode"] == "inline"
    assert forked.assignments == inline.assignments
    assert forked.upper_bound == inline.upper_bound
    assert forked.stats["lp"]["compact"]["value"] == inline.stats["lp"]["compact"]["value"]


def test_no_process_possible_falls_back_to_computing_it_here() -> None:
    p = generate(200, 4)
    ix = build_index(p)
    n = len(ix.rid)
    fixed, at = np.zeros(n, dtype=bool), np.full(n, -1)
    with mock.patch.object(background.multiprocessing, "get_all_start_methods", lambda: ["spawn"]):
        pending = aggbound.start(ix, fixed, at, 20, process=True)
    out = pending.result()
    assert out["mode"] == "inline"
    assert out["value"] == aggbound.compact_bound(ix, fixed, at, steps=20)["value"]


def test_a_process_with_other_threads_computes_the_bound_here_instead_of_forking() -> None:
    p = generate(200, 4)
    ix = build_index(p)
    n = len(ix.rid)
    fixed, at = np.zeros(n, dtype=bool), np.full(n, -1)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        pending = aggbound.start(ix, fixed, at, 20, process=True)
    finally:
        stop.set()
        other.join()
    out = pending.result()
    assert out["mode"] == "inline"
    assert out["value"] == aggbound.compact_bound(ix, fixed, at, steps=20)["value"]


def test_seats_per_plek_prove_the_optimum_on_the_region_of_300_where_it_is_known() -> None:
    """Seed 5 of 300 (exact MILP optimum 214): seats per location leave the bound above
    it; seats per plek, the engine's default at this size, prove it."""
    p = generate(300, 5)
    record = bestknown.load(300, 5)
    assert record is not None and record["milp_status"] == "Optimal"
    optimum = record["best_known_weighted"]
    ix = build_index(p)
    n = len(ix.rid)
    none, at = np.zeros(n, dtype=bool), np.full(n, -1)
    per_location = aggbound.compact_bound(ix, none, at, per_plek=False)
    per_plek = aggbound.compact_bound(ix, none, at)
    assert per_plek["seats_per"] == "plek" and per_location["seats_per"] == "location"
    assert per_location["upper_bound"] > optimum
    assert per_plek["upper_bound"] == optimum
    assert solve(p).upper_bound == optimum


@SETTINGS
@given(instances())
def test_seats_per_location_also_bound_the_exact_optimum(p):  # type: ignore[no-untyped-def]
    ref = solve_exact(p)
    ix = build_index(p)
    n = len(ix.rid)
    out = aggbound.compact_bound(ix, np.zeros(n, dtype=bool), np.full(n, -1), per_plek=False)
    assert out["upper_bound"] >= ref.placed_weighted - 1e-6


def test_no_compact_bound_is_computed_when_the_allocation_reaches_a_bound_at_hand() -> None:
    from coordination.engine.bench import places_only

    p = places_only(generate(1000, 1))  # seats only: every eligible request fits here
    res = solve(p)
    assert res.gap == 0 and res.upper_bound == res.objective["placed_weighted"]
    assert "compact" not in res.stats["lp"] and res.stats["lp"]["compact_skipped"]
    # Where a bound is still open it is computed as before.
    assert "compact" in solve(generate(300, 5)).stats["lp"]


def test_no_lp_is_built_when_the_first_allocation_places_every_eligible_request() -> None:
    from coordination.engine.bench import places_only

    p = places_only(generate(500, 2))  # seats only; the first construction places all 99
    res = solve(p)
    assert check_feasibility(p, res) == []
    assert res.objective["placed"] == res.objective["placeable"]
    assert res.gap == 0 and res.stats["lp"]["skipped"]
    assert "columns" not in res.stats["lp"] and "lp_bound" not in res.stats["timings"]
    # One request short of every eligible one after the first allocation: the LP is built.
    again = solve(places_only(generate(1000, 1)))
    assert "columns" in again.stats["lp"] and "skipped" not in again.stats["lp"]


def test_a_cancelled_bound_process_is_stopped() -> None:
    p = generate(400, 3)
    ix = build_index(p)
    n = len(ix.rid)
    fixed, at = np.zeros(n, dtype=bool), np.full(n, -1)
    with mock.patch.object(background.threading, "active_count", lambda: 1):
        pending = aggbound.start(ix, fixed, at, 10_000, process=True)
    proc = pending._proc
    assert pending.mode == "process" and proc.is_alive()
    pending.cancel()
    assert not proc.is_alive() and pending.mode == "cancelled"


def test_where_no_lp_is_built_the_compact_relaxation_guides_the_same_in_any_process() -> None:
    p = generate(400, 3)
    budget = solver.Budget(guide_steps=20, compact_steps=30, lns_neighbourhoods=2)
    beyond_lp = mock.patch.object(solver, "LP_MAX_PAIRS", 0)
    here_only = mock.patch.object(
        background.multiprocessing, "get_all_start_methods", lambda: ["spawn"]
    )
    single = mock.patch.object(background.threading, "active_count", lambda: 1)
    with beyond_lp, here_only:
        inline = solve(p, exact=False, budget=budget)
    with beyond_lp, single, mock.patch.object(solver, "COMPACT_PROCESS_PAIRS", 0):
        forked = solve(p, exact=False, budget=budget)
    with beyond_lp:
        unguided = solve(p, exact=False, budget=replace(budget, guide_steps=0))
    assert check_feasibility(p, forked) == []
    assert forked.stats["lp"]["compact"]["mode"] == "process"
    assert inline.stats["lp"]["compact"]["mode"] == "inline"
    assert forked.stats["lp"]["guidance"]["steps"] == 20
    assert forked.assignments == inline.assignments  # the guidance, wherever computed
    assert forked.upper_bound == inline.upper_bound
    assert "guidance" not in unguided.stats["lp"]
    # The guidance is the compact relaxation's soft choices: it changes the order.
    assert unguided.assignments != forked.assignments
