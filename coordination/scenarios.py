"""What-if runs and the capacity report for a region's coordinators. Read-only: a scenario
solves a copy of the region's problem and stores nothing."""

from __future__ import annotations

import dataclasses
from typing import Any

from coordination import engine
from coordination.engine.scenario import CapacityRow, ScenarioResult, capacity_report, run_scenario
from coordination.loading import load_problem
from placements.domain import SupervisionKind
from placements.errors import DomainValidationError, FieldError
from placements.models import Region

# Bounds what one API request may cost; the CLI and commands have no such limit.
SCENARIO_TIME_LIMIT = 20.0


def _new_sources(problem: engine.Problem, specs: list[dict[str, Any]]) -> list[engine.Source]:
    """Sources to add, checked against the region (their ids are negative: not in the DB)."""
    locations = {p.location_id for p in problem.plekken}
    plekken = {p.id for p in problem.plekken}
    schools = {r.school_id for r in problem.requests}
    errors: list[FieldError] = []
    sources = []
    for i, spec in enumerate(specs):
        path = f"add_sources[{i}]"
        kind = spec["kind"]
        scope_ok = {
            SupervisionKind.LEERAFDELING: spec.get("plek") in plekken,
            SupervisionKind.DOCENT_BEGELEIDER: spec.get("school") in schools,
            SupervisionKind.REGIONALE_POOL: True,
        }.get(kind, spec.get("location") in locations)
        if not scope_ok:
            errors.append(
                FieldError(
                    path, "scope", f"A {kind} needs a location, plek or school of the region."
                )
            )
            continue
        sources.append(
            engine.Source(
                id=-(i + 1),
                kind=kind,
                hours_per_week=float(spec["hours_per_week"]),
                start=spec["start_date"],
                end=spec["end_date"],
                max_students=spec.get("max_students"),
                group_factor=float(spec.get("group_factor") or 1),
                location_id=spec.get("location") if kind not in _NON_LOCATION else None,
                plek_id=spec.get("plek") if kind == SupervisionKind.LEERAFDELING else None,
                school_id=spec.get("school") if kind == SupervisionKind.DOCENT_BEGELEIDER else None,
            )
        )
    if errors:
        raise DomainValidationError(errors)
    return sources


_NON_LOCATION = {
    SupervisionKind.LEERAFDELING,
    SupervisionKind.DOCENT_BEGELEIDER,
    SupervisionKind.REGIONALE_POOL,
}


def scenario_run(
    *,
    region: Region,
    add_sources: list[dict[str, Any]] = (),  # type: ignore[assignment]
    remove_source_ids: list[int] = (),  # type: ignore[assignment]
    remove_plek_ids: list[int] = (),  # type: ignore[assignment]
) -> ScenarioResult:
    """Solve the region as it is and with the changes; who would gain or lose a place."""
    problem = load_problem(region).problem
    known_sources = {s.id for s in problem.sources}
    known_plekken = {p.id for p in problem.plekken}
    errors = [
        FieldError(f"remove_source_ids[{i}]", "not_found", f"No active source {sid} here.")
        for i, sid in enumerate(remove_source_ids)
        if sid not in known_sources
    ] + [
        FieldError(f"remove_plek_ids[{i}]", "not_found", f"No published plek {pid} here.")
        for i, pid in enumerate(remove_plek_ids)
        if pid not in known_plekken
    ]
    if errors:
        raise DomainValidationError(errors)
    return run_scenario(
        problem,
        add_sources=_new_sources(problem, list(add_sources)),
        remove_source_ids=remove_source_ids,
        remove_plek_ids=remove_plek_ids,
        time_limit=SCENARIO_TIME_LIMIT,
    )


def region_capacity_report(*, region: Region) -> list[CapacityRow]:
    """Per begeleidingsvorm: the placements it carries and how many would be lost without it."""
    problem = load_problem(region).problem
    result = engine.solve(problem, time_limit=SCENARIO_TIME_LIMIT)
    return capacity_report(problem, result, time_limit=SCENARIO_TIME_LIMIT)


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
