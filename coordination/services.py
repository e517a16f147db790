"""Allocation use cases: load a region, run the engine, store its result as proposals.

`allocation_run` is what the Celery task (issue 4) and `manage.py allocate` call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from coordination import engine
from coordination.engine.jsonio import result_to_dict
from coordination.loading import LoadedRegion, load_problem
from coordination.models import AllocationRun, RunStatus, UnplacedRequest
from notifications.outbox import record_event
from placements.domain import (
    LIVE_PLACEMENT_STATUSES,
    PlacementStatus,
    PlekStatus,
    RequestStatus,
)
from placements.models import (
    Placement,
    PlacementRequest,
    PlacementSupervision,
    Plek,
    Region,
)

Progress = Callable[[str, float], None]


class AllocationAlreadyRunning(Exception):
    pass


def allocation_run(
    *,
    region: Region,
    trigger: str = "manual",
    time_limit: float | None = None,
    progress: Progress | None = None,
) -> AllocationRun:
    """Run the engine for one region and store its proposals.

    At most one run per region is `running` (a partial unique index); a second caller gets
    AllocationAlreadyRunning. Confirmed and accepted placements never move; proposed ones
    the engine moved are withdrawn and re-proposed, in the same transaction.
    """
    try:
        with transaction.atomic():
            run = AllocationRun.objects.create(
                region=region, trigger=trigger, status=RunStatus.RUNNING, started_at=timezone.now()
            )
            record_event(region_id=region.pk, type="allocation.started", payload={"run_id": run.pk})
    except IntegrityError:
        raise AllocationAlreadyRunning(f"An allocation is already running in {region}.") from None

    try:
        loaded = load_problem(region)
        result = engine.solve(loaded.problem, time_limit=time_limit, progress=progress)
        store_result(run=run, loaded=loaded, result=result)
    except Exception as exc:
        AllocationRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), error=repr(exc)[:2000]
        )
        raise
    run.refresh_from_db()
    return run


def _decimal(hours: float) -> Decimal:
    return Decimal(str(round(hours, 2)))


def store_result(*, run: AllocationRun, loaded: LoadedRegion, result: engine.Result) -> None:
    """Turn an engine result into proposals in one transaction; idempotent per run.

    Precondition: `run` is running. Locks the region's live placements and the plekken the
    result uses, in id order, so concurrent answers to proposals cannot interleave.
    """
    with transaction.atomic():
        run = AllocationRun.objects.select_for_update().get(pk=run.pk)
        if run.status != RunStatus.RUNNING:
            return  # Already stored (a redelivered task): change nothing twice.
        region_id = run.region_id
        wanted = {a.request_id: a for a in result.assignments}
        plek_ids = sorted({a.plek_id for a in result.assignments})
        open_pleks = set(
            Plek.objects.select_for_update()
            .filter(pk__in=plek_ids, status=PlekStatus.PUBLISHED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        live = {
            p.request_id: p
            for p in Placement.objects.select_for_update()
            .filter(request__region_id=region_id, status__in=LIVE_PLACEMENT_STATUSES)
            .order_by("pk")
        }
        requests = {
            r.pk: r
            for r in PlacementRequest.objects.select_for_update()
            .filter(pk__in=list(wanted))
            .order_by("pk")
        }

        # Proposals the engine moved or dropped are withdrawn (fixed ones it never touches).
        for request_id, placement in live.items():
            target = wanted.get(request_id)
            if placement.status != PlacementStatus.PROPOSED:
                continue
            if target is None or target.plek_id != placement.plek_id:
                placement.status = PlacementStatus.WITHDRAWN
                placement.save(update_fields=["status", "updated_at"])
                PlacementRequest.objects.filter(pk=request_id).update(status=RequestStatus.OPEN)

        expires_at = timezone.now() + dt.timedelta(days=run.region.proposal_expiry_days)
        proposed = 0
        for request_id, assignment in sorted(wanted.items()):
            request = requests.get(request_id)
            current = live.get(request_id)
            if current is not None and current.plek_id == assignment.plek_id:
                continue  # Unchanged: keep the proposal (stability).
            if (
                request is None
                or request.status == RequestStatus.WITHDRAWN
                or assignment.plek_id not in open_pleks
                or assignment.plek_id in loaded.excluded_plekken.get(request_id, ())
            ):
                continue  # Changed since loading, or declined there before.
            placement = Placement.objects.create(
                request_id=request_id,
                plek_id=assignment.plek_id,
                status=PlacementStatus.PROPOSED,
                allocation_run=run,
                expires_at=expires_at,
            )
            PlacementSupervision.objects.bulk_create(
                PlacementSupervision(
                    placement=placement,
                    source_id=d.source_id,
                    load_hours=_decimal(d.load_hours),
                    source_hours=_decimal(d.source_hours),
                )
                for d in assignment.draws
                if d.load_hours > 0
            )
            request.status = RequestStatus.PROPOSED
            request.save(update_fields=["status", "updated_at"])
            proposed += 1
            plek = Plek.objects.only("organisation_id").get(pk=assignment.plek_id)
            record_event(
                region_id=region_id,
                type="placement.proposed",
                payload={
                    "placement_id": placement.pk,
                    "request_id": request_id,
                    "plek_id": assignment.plek_id,
                    "run_id": run.pk,
                },
                audience=[request.school_id, plek.organisation_id],
            )

        UnplacedRequest.objects.bulk_create(
            UnplacedRequest(
                run=run,
                request_id=u.request_id,
                reason=u.reason,
                criterion=u.criterion or "",
                binding_plekken=list(u.binding_plekken),
                binding_sources=list(u.binding_sources),
                suggestion=u.suggestion,
            )
            for u in result.unplaced
        )
        run.status = RunStatus.FINISHED
        run.finished_at = timezone.now()
        run.requests_considered = len(loaded.problem.requests)
        run.placed = len(result.assignments)
        run.unplaced = len(result.unplaced)
        run.upper_bound = result.upper_bound
        run.objective = {**result.objective, "gap": result.gap, "new_proposals": proposed}
        run.result = result_to_dict(result)
        run.save()
        record_event(
            region_id=region_id,
            type="allocation.finished",
            payload={"run_id": run.pk, "placed": run.placed, "unplaced": run.unplaced},
        )
