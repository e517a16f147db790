"""The decomposition bound over whole placements per location (locbound.py)."""

from __future__ import annotations

import os
from datetime import date

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordination.engine import bestknown, check_feasibility, solve
from coordination.engine.exact import solve_exact
from coordination.engine.locbound import LocationBound, location_bound
from coordination.engine.synth import generate

from .helpers import half_confirmed, plek, req, src
from .helpers import problem as make_problem
from .test_properties import instances

SETTINGS = settings(
    max_examples=int(os.environ.get("ENGINE_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _lagrangian_at(lb: LocationBound, pi: np.ndarray, mu: np.ndarray, nu: np.ndarray) -> float:
    duals = [lb.price(k, pi, mu, nu)[0] for k in range(len(lb.locations))]
    return lb.lagrangian(pi, mu, nu, duals)


@SETTINGS
@given(instances(), st.integers(0, 2**32 - 1))
def test_any_prices_bound_the_exact_optimum(p, seed):  # type: ignore[no-untyped-def]
    """Weak duality, the claim the bound rests on: L at arbitrary prices >= 0."""
    ref = solve_exact(p)
    assert ref.status == "Optimal"
    lb = LocationBound(p)
    rng = np.random.default_rng(seed)
    pi = rng.uniform(0.0, 3.0, len(lb.reqs)) * rng.integers(0, 2, len(lb.reqs))
    mu = rng.uniform(0.0, 0.05, len(lb.hours_rows))
    nu = rng.uniform(0.0, 1.0, len(lb.students_rows))
    assert _lagrangian_at(lb, pi, mu, nu) >= ref.placed_weighted - 1e-6
    assert _lagrangian_at(lb, 0 * pi, 0 * mu, 0 * nu) >= ref.placed_weighted - 1e-6


@SETTINGS
@given(instances())
def test_the_bound_from_the_engine_is_at_least_the_optimum_also_with_confirmed(p):  # type: ignore[no-untyped-def]
    for problem in (p, half_confirmed(p)):
        ref = solve_exact(problem)
        assert ref.status == "Optimal"
        res = solve(problem, exact=False)
        assert check_feasibility(problem, res) == []
        out = location_bound(problem, res.assignments, rounds=4)
        assert out["upper_bound"] >= ref.placed_weighted - 1e-6
        # the master only mixes integer solutions of the locations: never above the bound
        assert out["master"] <= out["value"] + 1e-6


def test_a_tiny_model_where_the_interior_point_method_ends_unknown_is_bounded_too() -> None:
    # Hypothesis found it: without crossover HiGHS' interior point method ended
    # "Unknown" on the whole decomposed LP, and the bound raised; simplex settles it.
    prefs = (10, 11, 12)
    first_years = [req(i, doelgroep="eerstejaars", preferences=prefs) for i in (3, 4, 5)]
    p = make_problem(
        [
            req(1, preferences=prefs),
            req(2, opleiding_id=2, doelgroep="eerstejaars", end=date(2026, 10, 30), priority=2),
            *first_years,
        ],
        [plek(10), plek(11), plek(12, opleiding_ids=frozenset({1, 2}))],
        [
            src(100, hours=4.0, group_factor=0.6),
            src(101, hours=1.0, start=date(2026, 11, 2)),
            src(102, hours=1.0, location_id=2),
            src(
                103, kind="student_ondersteuner", hours=1.0, end=date(2026, 10, 30), max_students=1
            ),
        ],
    )
    for q in (p, half_confirmed(p)):
        ref = solve_exact(q)
        res = solve(q, exact=False)
        assert location_bound(q, res.assignments, rounds=4)["upper_bound"] >= ref.placed_weighted


def test_proves_the_optimum_on_the_region_of_300_where_it_is_known() -> None:
    """Seed 5 of 300: the exact MILP's optimum is 214; the LP of bound.py says 221."""
    p = generate(300, 5)
    record = bestknown.load(300, 5)
    assert record is not None and record["milp_status"] == "Optimal"
    optimum = record["best_known_weighted"]
    res = solve(p)
    out = location_bound(p, res.assignments, rounds=1)
    assert out["upper_bound"] == optimum
    assert out["lp_relaxation"] >= optimum - 1e-6
