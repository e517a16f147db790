"""The neighbourhood search (lns.py): its size and passes are part of the budget."""

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
