"""The search after the construction: the neighbourhood search (lns.py), its size and
passes part of the budget, and the exact polish on the LP's pairs (Solver.polish_exact)."""

from __future__ import annotations

from coordination.engine import check_feasibility, solve
from coordination.engine.solver import Budget

from .helpers import load_demo


def _weighted(res) -> float:  # type: ignore[no-untyped-def]
    return float(res.objective["placed_weighted"])


def test_larger_neighbourhoods_are_reproducible_clean_and_never_lose_placements():
    p = load_demo("amersfoort")
    without = solve(p, budget=Budget(lns_neighbourhoods=0))
    big = Budget(lns_neighbourhoods=12, lns_locations=8, lns_requests=60, lns_work=0.1)
    first = solve(p, budget=big)
    assert check_feasibility(p, first) == []
    assert first.stats["warnings"] == []
    assert _weighted(first) >= _weighted(without)
    assert first.objective["placed"] >= without.objective["placed"]
    again = solve(p, budget=big)
    assert again.assignments == first.assignments


def test_passes_go_on_while_they_improve_and_stop_when_one_does_not():
    p = load_demo("utrecht")
    res = solve(p, budget=Budget(lns_neighbourhoods=1000, lns_work=0.02))
    lns = res.stats["lp"]["lns"]
    assert check_feasibility(p, res) == []
    # Far below the budget: the search stopped because a whole pass found nothing.
    assert lns["neighbourhoods"] < 1000
    assert lns["last_pass_improved"] == 0
    if lns["improved"] > 0:
        assert lns["passes"] >= 2  # the pass that improved was followed by another


def test_the_exact_polish_places_at_least_as_many_and_reaches_the_bound_here():
    p = load_demo("gooi-en-vechtstreek")
    plain = solve(p, budget=Budget())  # polish_max_pairs 0: the search alone
    assert "polish" not in plain.stats["lp"]
    assert _weighted(plain) < plain.upper_bound  # here the search alone stays below
    polished = solve(p)  # the default budget polishes a region of this size
    assert check_feasibility(p, polished) == []
    assert polished.stats["warnings"] == []
    polish = polished.stats["lp"]["polish"]
    assert polish["status"] == "Optimal" and polish["preferences_status"] == "Optimal"
    assert _weighted(polished) >= _weighted(plain)
    assert polished.objective["placed"] >= plain.objective["placed"]
    # On this region the LP's pairs hold an optimum: the allocation meets its bound.
    assert _weighted(polished) == polished.upper_bound
    # The second stage chose among the allocations that place as many the one with the
    # best preferences: here more in their preferences than the search alone managed.
    assert polish["preferences_improved"] is True
    assert polished.objective["in_preferences"] >= plain.objective["in_preferences"]
    # Too large for the budget's polish, or no bound asked for: not run.
    assert "polish" not in solve(p, budget=Budget(polish_max_pairs=10)).stats["lp"]
    assert "polish" not in solve(p, bound=False).stats["lp"]
