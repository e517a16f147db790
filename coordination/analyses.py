"""Capacity reports and what-if scenarios as worker jobs, cached per region state.

A coordinator's request is checked and queued at once (202 with the job's id); a worker
solves the copies, reports progress on the region stream and stores the result. A job for a
region state, kind and parameters that were analysed before returns that job: the result
is known without solving again. Nothing here changes the region's own data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from coordination import engine, scenarios
from coordination.engine.jsonio import problem_to_dict, result_from_dict, result_to_dict
from coordination.loading import LoadedRegion, load_problem, stored_result
from coordination.models import AnalysisJob, AnalysisKind, RunStatus
from coordination.progress import Progress, throttled
from events.outbox import record_event
from placements.models import Region

log = logging.getLogger(__name__)

PROGRESS_EVENT_SECONDS = 1.0
# A queued job nobody took this long (its task was lost) is enqueued again; a running job
# this old lost its worker (jobs take seconds) and fails, so its coordinator can retry.
REQUEUE_AFTER = dt.timedelta(seconds=30)
RUNNING_AT_MOST = dt.timedelta(minutes=15)


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def analysis_request(
    *, region: Region, kind: str, parameters: dict[str, Any], user: Any = None
) -> tuple[AnalysisJob, bool]:
    """Queue a capacity report or scenario: (job, whether it is new).

    ``parameters`` in JSON form (scenarios.scenario_changes). Checked against the region
    now, so bad input is refused before anything is queued (DomainValidationError). An
    identical job for the same state, queued, running or finished, is returned instead.
    """
    problem = load_problem(region).problem
    if kind == AnalysisKind.SCENARIO:
        scenarios.scenario_changes(problem, parameters)
    problem_key = _digest(problem_to_dict(problem))
    state_key = _digest([problem_key, kind, parameters])
    same = (
        AnalysisJob.objects.filter(region=region, state_key=state_key)
        .exclude(status=RunStatus.FAILED)
        .order_by("-pk")
        .first()
    )
    if same is not None:
        return same, False
    with transaction.atomic():
        job = AnalysisJob.objects.create(
            region=region,
            kind=kind,
            parameters=parameters,
            problem_key=problem_key,
            state_key=state_key,
            requested_by=user if getattr(user, "pk", None) else None,
        )
        # The workers app enqueues the job when this event commits (WorkersConfig.ready).
        record_event(
            region_id=region.pk,
            type="analysis.queued",
            payload={"job_id": job.pk, "kind": kind},
        )
    return job, True


def analysis_run(*, job_id: int) -> AnalysisJob | None:
    """Compute a queued job; None when another delivery already took it.

    Claims the job with one conditional update, so a redelivered task solves nothing twice.
    A failure is stored on the job with a readable reason and announced.
    """
    claimed = AnalysisJob.objects.filter(pk=job_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return None
    job = AnalysisJob.objects.select_related("region").get(pk=job_id)
    try:
        loaded = load_problem(job.region)
        problem = loaded.problem
        problem_key = _digest(problem_to_dict(problem))
        if problem_key != job.problem_key:  # the region changed since the request
            job.problem_key = problem_key
            job.state_key = _digest([problem_key, job.kind, job.parameters])
            job.save(update_fields=["problem_key", "state_key"])
        base = _live_allocation(loaded) or _cached_base(job)
        progress = _progress_events(job)
        if job.kind == AnalysisKind.CAPACITY:
            result, rows = scenarios.capacity_solve(problem, base=base, progress=progress)
            outcome: dict[str, Any] = {"rows": scenarios.capacity_rows(rows)}
        else:
            changes = scenarios.scenario_changes(problem, job.parameters)
            solved = scenarios.scenario_solve(problem, changes, base=base, progress=progress)
            result, outcome = solved.base, scenarios.scenario_summary(solved)
    except Exception as exc:
        log.exception("Analysis job %s failed", job_id)
        message = (
            f"The {job.get_kind_display().lower()} could not be computed "
            f"({type(exc).__name__}). Please try again; operators find the details in the "
            "worker log."
        )
        with transaction.atomic():
            AnalysisJob.objects.filter(pk=job_id).update(
                status=RunStatus.FAILED, finished_at=timezone.now(), error=message
            )
            record_event(
                region_id=job.region_id,
                type="analysis.failed",
                payload={"job_id": job_id, "kind": job.kind, "message": message},
            )
        job.refresh_from_db()
        return job
    with transaction.atomic():
        AnalysisJob.objects.filter(pk=job_id).update(
            status=RunStatus.FINISHED,
            finished_at=timezone.now(),
            progress=1.0,
            result=outcome,
            base_result=None if base is not None else result_to_dict(result),
        )
        record_event(
            region_id=job.region_id,
            type="analysis.finished",
            payload={"job_id": job_id, "kind": job.kind},
        )
    job.refresh_from_db()
    return job


def _live_allocation(loaded: LoadedRegion) -> engine.Result | None:
    """The region's placements as they stand, the allocation its coordinators see; None
    before its first run. A what-if starts from it: a base solved here would be the
    search's alone, without the exact polish the region's runs have (engine.solve_base),
    and could place fewer than the dashboard shows."""
    return stored_result(loaded) if loaded.problem.existing else None


def _cached_base(job: AnalysisJob) -> engine.Result | None:
    """The result for the problem as it is, from an earlier job on the same problem."""
    stored = (
        AnalysisJob.objects.filter(
            region_id=job.region_id, problem_key=job.problem_key, base_result__isnull=False
        )
        .order_by("-pk")
        .values_list("base_result", flat=True)
        .first()
    )
    return None if stored is None else result_from_dict(stored)


def _progress_events(job: AnalysisJob) -> Progress:
    def report(stage: str, fraction: float) -> None:
        fraction = min(max(fraction, 0.0), 1.0)
        with transaction.atomic():
            AnalysisJob.objects.filter(pk=job.pk).update(progress=fraction)
            record_event(
                region_id=job.region_id,
                type="analysis.progress",
                payload={"job_id": job.pk, "stage": stage, "fraction": round(fraction, 3)},
            )

    return throttled(report, every_seconds=PROGRESS_EVENT_SECONDS)


WORKER_LOST_MESSAGE = "The worker computing this stopped before it finished. Please try again."


def analyses_sweep() -> list[int]:
    """Fail jobs whose worker was lost; return the queued jobs whose task may be lost."""
    now = timezone.now()
    message = WORKER_LOST_MESSAGE
    for job in AnalysisJob.objects.filter(
        status=RunStatus.RUNNING, started_at__lt=now - RUNNING_AT_MOST
    ).only("pk", "region_id", "kind"):
        with transaction.atomic():
            if AnalysisJob.objects.filter(pk=job.pk, status=RunStatus.RUNNING).update(
                status=RunStatus.FAILED, finished_at=now, error=message
            ):
                record_event(
                    region_id=job.region_id,
                    type="analysis.failed",
                    payload={"job_id": job.pk, "kind": job.kind, "message": message},
                )
    return list(
        AnalysisJob.objects.filter(
            status=RunStatus.QUEUED, created_at__lt=now - REQUEUE_AFTER
        ).values_list("pk", flat=True)
    )
