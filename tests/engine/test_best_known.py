"""The stored best-known solutions (coordination/engine/best_known/) hold for today's regions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coordination.engine import bestknown, check_feasibility
from coordination.engine.synth import generate

FILES = sorted(bestknown.STORE.glob("synth-*.json"))


def test_there_is_a_best_known_solution() -> None:
    assert FILES


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_the_stored_solution_is_feasible_and_worth_what_it_says(path: Path) -> None:
    record = json.loads(path.read_text())
    problem = generate(record["size"], seed=record["seed"])
    found = bestknown.assignments_of(problem, record)
    assert check_feasibility(problem, bestknown.as_result(problem, found)) == []
    assert bestknown.weighted(problem, found) == record["best_known_weighted"]
    assert record["engine_weighted"] <= record["best_known_weighted"]
    assert record["best_known_weighted"] <= record["dual_bound"] + 1e-6


def test_runs_merge_into_the_best_solution_and_the_lowest_bound() -> None:
    milp = {"best_known_weighted": 10, "dual_bound": 12.0, "assignments": [[1, 2, []]]}
    search = {"best_known_weighted": 11, "dual_bound": 13.0, "assignments": [[1, 3, []]]}
    first = bestknown.merge(None, milp)
    both = bestknown.merge(first, search)
    assert both["assignments"] == [[1, 3, []]] and both["best_known_weighted"] == 11
    assert both["dual_bound"] == 12.0
    assert [r["best_known_weighted"] for r in both["runs"]] == [10, 11]
    worse = bestknown.merge(both, {**search, "best_known_weighted": 9, "dual_bound": 11.5})
    assert worse["assignments"] == [[1, 3, []]] and worse["dual_bound"] == 11.5


def test_a_milp_run_records_the_lp_relaxation_beside_the_optimum(capsys) -> None:  # type: ignore[no-untyped-def]
    record = bestknown.run(150, seed=2, time_limit=120)
    assert record["milp_status"] == "Optimal"
    # The LP relaxation bounds the integer optimum, which bounds the engine.
    assert record["lp_relaxation"] + 1e-6 >= record["milp_dual_bound"]
    assert record["milp_dual_bound"] + 1e-6 >= record["best_known_weighted"]
    assert record["best_known_weighted"] >= record["engine_weighted"]
    assert record["engine_bound"] + 1e-6 >= record["best_known_weighted"]


def test_the_milp_restricted_to_the_lp_pairs_reaches_the_lp_where_it_is_tight() -> None:
    # 200 requests, seed 2: the engine places 131 (weighted), the LP and the optimum are 134.
    record = bestknown.run_restricted(200, seed=2, time_limit=120)
    assert record["restricted_pairs"] >= record["lp_pairs"]
    # The LP is solved by interior point, to HiGHS' tolerance (1e-8 relative).
    assert record["engine_weighted"] <= record["best_known_weighted"]
    assert record["best_known_weighted"] <= record["dual_bound"] + 1e-6
    assert record["best_known_weighted"] == pytest.approx(record["lp_relaxation"], abs=1e-6)
    problem = generate(200, seed=2)
    found = bestknown.assignments_of(problem, record)
    assert check_feasibility(problem, bestknown.as_result(problem, found)) == []


def test_the_cluster_polish_run_keeps_the_best_allocation_it_found() -> None:
    record = bestknown.run_clusters(200, seed=2, sizes=[60, 90], clusters=3, nodes=50)
    assert len(record["best_after_round"]) == 3  # the start, then one per cluster size
    assert [r["cluster_requests"] for r in record["rounds"]] == [60, 90]
    assert record["best_after_round"] == sorted(record["best_after_round"])
    assert record["engine_weighted"] <= record["best_known_weighted"] <= record["dual_bound"]
    problem = generate(200, seed=2)
    found = bestknown.assignments_of(problem, record)
    assert check_feasibility(problem, bestknown.as_result(problem, found)) == []
    assert bestknown.weighted(problem, found) == record["best_known_weighted"]
