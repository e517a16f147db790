"""What-if scenarios and the capacity report on a copy of a region's problem: the changes a
coordinator asks for, checked against the region, and the engine calls. Stores nothing;
coordination/analyses.py runs them as worker jobs and keeps their results."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from coordination import engine
from coordination.engine.scenario import (
    CapacityRow,
    JobProgress,
    ScenarioResult,
    capacity_report,
    run_scenario,
)
from core.errors import DomainValidationError, FieldError
from placements.domain import SupervisionKind

# A safety cap per solve; a job runs in a worker, not inside an HTTP request.
SCENARIO_TIME_LIMIT = 20.0

_NON_LOCATION = {
    SupervisionKind.LEERAFDELING,
    SupervisionKind.DOCENT_BEGELEIDER,
    SupervisionKind.REGIONALE_POOL,
}


@dataclass(frozen=True)
class ScenarioChanges:
    add_sources: tuple[engine.Source, ...] = ()
    remove_source_ids: tuple[int, ...] = ()
    remove_plek_ids: tuple[int, ...] = ()


def _date(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def scenario_changes(problem: engine.Problem, parameters: dict[str, Any]) -> ScenarioChanges:
    """The scenario's changes as engine objects, checked against the region's problem.

    ``parameters``: add_sources (kind, hours_per_week, start_date, end_date, max_students,
    group_factor, location / plek / school), remove_source_ids, remove_plek_ids; values as
    the API validated them, or their JSON form. Raises DomainValidationError.
    """
    locations = {p.location_id for p in problem.plekken}
    plekken = {p.id for p in problem.plekken}
    schools = {r.school_id for r in problem.requests}
    known_sources = {s.id for s in problem.sources}
    errors: list[FieldError] = []
    sources = []
    for i, spec in enumerate(parameters.get("add_sources") or ()):
        kind = spec["kind"]
        scope_ok = {
            SupervisionKind.LEERAFDELING: spec.get("plek") in plekken,
            SupervisionKind.DOCENT_BEGELEIDER: spec.get("school") in schools,
            SupervisionKind.REGIONALE_POOL: True,
        }.get(kind, spec.get("location") in locations)
        if not scope_ok:
            errors.append(
                FieldError(
                    f"add_sources[{i}]",
                    "scope",
                    f"A {kind} needs a location, plek or school of the region.",
                )
            )
            continue
        sources.append(
            engine.Source(
                id=-(i + 1),  # negative: not in the database
                kind=kind,
                hours_per_week=float(spec["hours_per_week"]),
                start=_date(spec["start_date"]),
                end=_date(spec["end_date"]),
                max_students=spec.get("max_students"),
                group_factor=float(spec.get("group_factor") or 1),
                location_id=spec.get("location") if kind not in _NON_LOCATION else None,
                plek_id=spec.get("plek") if kind == SupervisionKind.LEERAFDELING else None,
                school_id=spec.get("school") if kind == SupervisionKind.DOCENT_BEGELEIDER else None,
            )
        )
    remove_sources = list(parameters.get("remove_source_ids") or ())
    remove_plekken = list(parameters.get("remove_plek_ids") or ())
    errors += [
        FieldError(
            f"remove_source_ids[{i}]",
            "not_found",
            f"The region has no active supervision source {sid}.",
        )
        for i, sid in enumerate(remove_sources)
        if sid not in known_sources
    ]
    errors += [
        FieldError(f"remove_plek_ids[{i}]", "not_found", f"The region has no published plek {pid}.")
        for i, pid in enumerate(remove_plekken)
        if pid not in plekken
    ]
    if errors:
        raise DomainValidationError(errors)
    return ScenarioChanges(tuple(sources), tuple(remove_sources), tuple(remove_plekken))


def scenario_solve(
    problem: engine.Problem,
    changes: ScenarioChanges,
    *,
    base: engine.Result | None = None,
    progress: engine.solver.Progress | None = None,
) -> ScenarioResult:
    """Solve the region as it is (unless ``base`` is given) and with the changes."""
    return run_scenario(
        problem,
        add_sources=changes.add_sources,
        remove_source_ids=changes.remove_source_ids,
        remove_plek_ids=changes.remove_plek_ids,
        base=base,
        time_limit=SCENARIO_TIME_LIMIT,
        progress=progress,
    )


def capacity_solve(
    problem: engine.Problem,
    *,
    base: engine.Result | None = None,
    progress: engine.solver.Progress | None = None,
) -> tuple[engine.Result, list[CapacityRow]]:
    """Per begeleidingsvorm: the placements it carries and how many would be lost without it."""
    job = JobProgress(progress)  # one 0..1 for the whole job, ending at 1.0
    share = 0.0 if base is not None else 0.3  # of the job, for solving the base here
    result = base or engine.solve_base(
        problem, time_limit=SCENARIO_TIME_LIMIT, progress=job.stage("base", 0.0, share)
    )
    rows = capacity_report(
        problem,
        result,
        time_limit=SCENARIO_TIME_LIMIT,
        progress=job.stage("capacity", share, 1.0),
    )
    job.done()
    return result, rows


def scenario_summary(outcome: ScenarioResult) -> dict[str, Any]:
    return {
        "placed_before": len(outcome.base.assignments),
        "placed_after": len(outcome.scenario.assignments),
        "placed_delta": outcome.placed_delta,
        "newly_placed": list(outcome.newly_placed),
        "newly_unplaced": list(outcome.newly_unplaced),
    }


def capacity_rows(rows: list[CapacityRow]) -> list[dict[str, Any]]:
    return [dataclasses.asdict(row) for row in rows]
