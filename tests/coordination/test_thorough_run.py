"""An operator's thorough run: `manage.py allocate --clusters N` (the engine's cluster polish)."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from coordination.engine import check_feasibility, solve
from coordination.engine.jsonio import result_from_dict
from coordination.engine.synth import generate
from coordination.loading import load_problem
from coordination.models import AllocationRun, RunStatus
from placements.models import Placement
from tests.benchmarks.synth_region import write_region


def test_allocate_with_clusters_re_solves_groups_exactly_and_stores_a_clean_allocation(db):
    # 500 requests, seed 1: 4,469 eligible request-plek pairs, beyond the whole-region polish.
    region = write_region(generate(500, seed=1), code="groot", name="Groot")
    problem = load_problem(region).problem
    out = StringIO()
    call_command("allocate", "--region", "groot", "--clusters", "1", stdout=out)

    run = AllocationRun.objects.get(region=region)
    assert run.status == RunStatus.FINISHED
    polish = run.result["stats"]["lp"]["cluster_polish"]
    assert polish["clusters"] == 1
    assert run.result["stats"]["warnings"] == []
    assert Placement.objects.filter(request__region=region).count() == run.placed
    assert "Allocation run" in out.getvalue()
    # Checker-clean, and here more placed (weighted) than the default budget's run on the
    # same region (deterministic: both budgets are counts of work, not seconds).
    default = solve(problem)
    assert "cluster_polish" not in default.stats["lp"]
    assert run.objective["placed_weighted"] > default.objective["placed_weighted"]
    assert check_feasibility(problem, result_from_dict(run.result)) == []
