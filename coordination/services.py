"""Allocation use cases: load a region, run the engine, store its result as proposals.

`allocation_run` is what the Celery task (issue 4) and `manage.py allocate` call.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from typing import NamedTuple

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import (
    DatabaseError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    transaction,
)
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from coordination import engine, modes
from coordination.engine.jsonio import result_from_dict, result_to_dict
from coordination.engine.model import draw_cost, on_hours_grid
from coordination.loading import (
    FIXED_STATUSES,
    REFUSED_PLACEMENTS,
    KeptProblems,
    LoadedRegion,
)
from coordination.models import AllocationQueue, AllocationRun, RunStatus, UnplacedRequest
from coordination.progress import Progress, throttled
from coordination.triggers import DatabaseClock, request_allocation
from events.models import Event
from events.outbox import NewEvent, record_event, record_events
from placements import lifecycle
from placements.domain import (
    LIVE_PLACEMENT_STATUSES,
    PlacementStatus,
    PlekStatus,
    RequestStatus,
)
from placements.models import Placement, PlacementRequest, Plek, Region

log = logging.getLogger(__name__)

# A worker process keeps the problem it loaded last per region: the next run there reads
# only the rows that changed since (see coordination/loading.py).
KEPT_PROBLEMS = KeptProblems(max_regions=settings.ALLOCATION_KEPT_REGIONS)
# And the engine's index of the regions it allocated last: the next run there rebuilds only
# what changed (eligibility of new or edited requests), not the whole region.
# settings.ALLOCATION_KEPT_REGIONS of them (about 67 MB each at 10,000).
KEPT_INDEXES = engine.IndexCache(max_regions=settings.ALLOCATION_KEPT_REGIONS)
# And the result it stored last per region (run id, result): the next incremental run
# starts from it without reading and parsing the stored copy (the same result).
KEPT_RESULTS: dict[int, tuple[int, engine.Result]] = {}
_KEPT_RESULTS_LOCK = threading.Lock()  # the embedded worker runs tasks in threads


def _keep_result(region_id: int, run_id: int, result: engine.Result) -> None:
    with _KEPT_RESULTS_LOCK:
        KEPT_RESULTS.pop(region_id, None)
        KEPT_RESULTS[region_id] = (run_id, result)  # the newest last
        while len(KEPT_RESULTS) > settings.ALLOCATION_KEPT_REGIONS:
            KEPT_RESULTS.pop(next(iter(KEPT_RESULTS)))


class _Tidy:
    """Set ``needed`` when the run may leave cycles behind (a full run, a failure)."""

    needed = False


class _CollectorPause:
    """No cyclic garbage collection while a run works; it resumes when the last run ends.

    A full pass walks every object the worker keeps (the kept regions: about a million at
    10,000 requests) and took 80-120 ms of most 0.7 s re-allocations there; a run itself
    leaves few cycles (none in a re-allocation, 7,000 objects in a full run of 3,000).
    When the last run ends, what is alive is frozen (``gc.freeze``: later passes skip it),
    else the young pass that follows a re-allocation walks all it built and kept (17-46 ms
    at 10,000). A run that may have left cycles (a full or failed one) first unfreezes and
    collects everything: cycles a re-allocation might leave wait until then (in the
    embedded mode, the web process's with them). Counted: the embedded worker runs tasks in
    threads.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs = 0
        self._resume = False
        self._tidy = False

    @contextmanager
    def __call__(self) -> Iterator[_Tidy]:
        with self._lock:
            self._runs += 1
            if self._runs == 1:
                self._resume = gc.isenabled()
                gc.disable()
        tidy = _Tidy()
        try:
            yield tidy
        except BaseException:
            tidy.needed = True
            raise
        finally:
            with self._lock:
                self._runs -= 1
                self._tidy |= tidy.needed
                if self._runs == 0 and self._resume:
                    if self._tidy:
                        gc.unfreeze()
                        gc.collect()
                        self._tidy = False
                    gc.freeze()
                    gc.enable()


_collector_paused = _CollectorPause()


class AllocationAlreadyRunning(Exception):
    pass


# AllocationRun.failure_reason, and the `reason` of allocation.failed events.
ERROR, WORKER_LOST, SUPERSEDED = "error", "worker_lost", "superseded"


class AllocationFailed(Exception):
    """A run failed; it is recorded as failed with a readable reason (``message``)."""

    def __init__(self, run: AllocationRun, message: str) -> None:
        super().__init__(message)
        self.run = run
        self.message = message


class InvalidEngineResult(Exception):
    """The engine returned draws the database would refuse; nothing is stored."""


def allocation_run(
    *,
    region: Region,
    trigger: str = "manual",
    time_limit: float | None = None,
    progress: Progress | None = None,
    lease_held: bool = False,
    clusters: int | None = None,
) -> AllocationRun:
    """Run the engine for one region and store its proposals.

    ``clusters``: an operator's thorough run (``manage.py allocate --clusters N``): after
    the search, N groups of nearby locations are re-solved exactly (the engine's cluster
    polish, for regions beyond its whole-region polish; about a quarter of a minute each).

    At most one run per region is `running` (a partial unique index); a second caller gets
    AllocationAlreadyRunning. A run a coordinator queued (allocation_queue_run) is the one
    that starts, with its own trigger. Confirmed and accepted placements never move;
    proposed ones the engine moved are withdrawn and re-proposed, in the same transaction.
    Any failure marks the run failed with a readable reason, records `allocation.failed`
    and raises AllocationFailed.
    """
    try:
        with transaction.atomic():
            if lease_held:
                # Holding the region's lease, any run still marked running lost its worker.
                _fail_lost_runs(region_id=region.pk)
            run = (
                AllocationRun.objects.select_for_update()
                .filter(region=region, status=RunStatus.QUEUED)
                .order_by("pk")
                .first()
            )
            now = timezone.now()
            if run is None:
                run = AllocationRun.objects.create(
                    region=region, trigger=trigger, status=RunStatus.RUNNING, started_at=now
                )
            else:
                run.status, run.started_at = RunStatus.RUNNING, now
                run.save(update_fields=["status", "started_at"])
                trigger = run.trigger
            record_event(region_id=region.pk, type="allocation.started", payload={"run_id": run.pk})
    except IntegrityError:
        raise AllocationAlreadyRunning(f"An allocation is already running in {region}.") from None

    try:
        with _collector_paused() as tidy:
            loaded_seq = Region.objects.values_list("last_event_seq", flat=True).get(pk=region.pk)
            loaded = KEPT_PROBLEMS.load(region)
            mode, why, previous = _plan(run=run, loaded=loaded, trigger=trigger)
            tidy.needed = previous is None
            AllocationRun.objects.filter(pk=run.pk).update(
                mode=mode,
                loaded_seq=loaded_seq,
                full_run_started_at=run.started_at if previous is None else previous[1],
            )
            budget = None
            if clusters is not None:
                size = len(loaded.problem.requests)
                budget = replace(engine.default_budget(size), cluster_polish=clusters)
            result = engine.solve(
                loaded.problem,
                time_limit=time_limit,
                progress=progress,
                previous=None if previous is None else previous[0],
                budget=budget,
                index_cache=KEPT_INDEXES,
            )
            store_result(run=run, loaded=loaded, result=result, mode_reason=why)
            _keep_result(region.pk, run.pk, result)
    except Exception as exc:  # KeyboardInterrupt and a killed worker: the lease runs out
        message = describe_failure(exc)
        log.exception("Allocation run %s in region %s failed: %s", run.pk, region.pk, message)
        if not connection.in_atomic_block:
            close_old_connections()  # the failure may have been a lost database connection
        with transaction.atomic():
            first = not _previous_run_failed(region_id=region.pk, before=run.pk)
            AllocationRun.objects.filter(pk=run.pk).update(
                status=RunStatus.FAILED,
                failure_reason=ERROR,
                finished_at=timezone.now(),
                error=message,
                error_detail="".join(traceback.format_exception(exc))[-20000:],
            )
            record_event(
                region_id=region.pk,
                type="allocation.failed",
                payload={
                    "run_id": run.pk,
                    "reason": ERROR,
                    "message": message,
                    "first_failure": first,
                },
            )
        run.refresh_from_db()
        raise AllocationFailed(run, message) from exc
    # The stored result (megabytes of JSON at 10,000 requests) is read only if asked for.
    return AllocationRun.objects.defer("result").get(pk=run.pk)


WORKER_LOST_MESSAGE = (
    "The worker running this allocation stopped before it finished (restarted or "
    "killed). Nothing was stored; the run is repeated."
)


def _fail_lost_runs(*, region_id: int) -> None:
    """Runs still marked running whose worker is gone (the caller holds the lease)."""
    message = WORKER_LOST_MESSAGE
    lost = list(
        AllocationRun.objects.select_for_update()
        .filter(region_id=region_id, status=RunStatus.RUNNING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not lost:
        return
    first = not _previous_run_failed(region_id=region_id, before=lost[0])
    AllocationRun.objects.filter(pk__in=lost).update(
        status=RunStatus.FAILED,
        failure_reason=WORKER_LOST,
        finished_at=timezone.now(),
        error=message,
    )
    record_events(
        region_id=region_id,
        events=[
            NewEvent(
                type="allocation.failed",
                payload={
                    "run_id": pk,
                    "reason": WORKER_LOST,
                    "message": message,
                    "first_failure": first and i == 0,
                },
            )
            for i, pk in enumerate(lost)
        ],
    )


def _previous_run_failed(*, region_id: int, before: int) -> bool:
    """Whether the region's last ended run before run `before` failed (superseded runs,
    which are followed by a new run at once, do not count)."""
    status = (
        AllocationRun.objects.filter(
            region_id=region_id, pk__lt=before, status__in=[RunStatus.FINISHED, RunStatus.FAILED]
        )
        .exclude(failure_reason=SUPERSEDED)
        .order_by("-pk")
        .values_list("status", flat=True)
        .first()
    )
    return status == RunStatus.FAILED


def describe_failure(exc: BaseException) -> str:
    """Why a run failed, as a sentence for the region's coordinators."""
    nothing = "Nothing was stored; the run is repeated automatically."
    if isinstance(exc, InvalidEngineResult):
        return f"The allocation engine returned an invalid result ({exc}). {nothing}"
    if isinstance(exc, IntegrityError) and _constraint_name(exc):
        return f"Storing the result broke the database rule {_constraint_name(exc)}. {nothing}"
    if isinstance(exc, OperationalError | InterfaceError):
        return f"The database could not be reached during the run. {nothing}"
    if isinstance(exc, DatabaseError):
        return f"The database refused to store the result. {nothing}"
    if isinstance(exc, SoftTimeLimitExceeded):
        return f"The run took longer than its time limit. {nothing}"
    if isinstance(exc, MemoryError):
        return f"The run ran out of memory. {nothing}"
    return (
        f"The run stopped on an unexpected error ({type(exc).__name__}). {nothing} "
        "Operators find the details in the worker log."
    )


def _constraint_name(exc: IntegrityError) -> str:
    """The broken constraint's name in quotes, or "" when the database did not say."""
    diag = getattr(exc.__cause__, "diag", None)  # psycopg
    name = getattr(diag, "constraint_name", None)
    if name:
        return f'"{name}"'
    text = str(exc)
    for marker in ("constraint failed: ", 'constraint "'):  # SQLite; PostgreSQL's message
        if marker in text:
            return '"' + text.split(marker, 1)[1].split('"')[0].split()[0] + '"'
    return ""


def allocation_queue_run(*, region: Region, requested_by: str) -> tuple[AllocationRun, bool]:
    """A coordinator asks for a full run now: returns the queued run and whether it is new.

    One queued run per region (a partial unique index): asking again while one waits
    returns that one. It also lifts a failing region's pause before its next retry.
    """
    existing = AllocationRun.objects.filter(region=region, status=RunStatus.QUEUED).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            run = AllocationRun.objects.create(
                region=region, status=RunStatus.QUEUED, trigger=modes.MANUAL_REASON
            )
            record_event(
                region_id=region.pk,
                type="allocation.queued",
                payload={"run_id": run.pk, "requested_by": requested_by},
            )
            AllocationQueue.objects.filter(region_id=region.pk).update(retry_after=None)
            request_allocation(region_id=region.pk, reason=modes.MANUAL_REASON)
    except IntegrityError:  # queued concurrently by another coordinator
        return AllocationRun.objects.get(region=region, status=RunStatus.QUEUED), False
    return run, True


def _plan(
    *, run: AllocationRun, loaded: LoadedRegion, trigger: str
) -> tuple[str, str, tuple[engine.Result, dt.datetime] | None]:
    """The run's mode (coordination/modes.py), why, and for an incremental run the previous
    result to start from with the start of its chain's full run."""
    last = (
        AllocationRun.objects.filter(region_id=run.region_id, status=RunStatus.FINISHED)
        .filter(result__isnull=False)
        .exclude(pk=run.pk)
        .order_by("-started_at", "-pk")
        .values("pk", "loaded_seq", "full_run_started_at", "mode")
        .first()
    )
    previous = None
    events: list[tuple[str, dict]] = []
    if last is not None and last["loaded_seq"] is not None and last["mode"]:
        previous = modes.PreviousRun(
            has_result=True, full_run_started_at=last["full_run_started_at"]
        )
        events = list(
            Event.objects.filter(region_id=run.region_id, seq__gt=last["loaded_seq"])
            .exclude(type__in=modes.IGNORED_EVENT_TYPES)
            .order_by("seq")
            .values_list("type", "payload")[:20]
        )
    mode, why = modes.choose_mode(
        previous=previous, events_since=events, trigger=trigger, now=timezone.now()
    )
    if mode != modes.INCREMENTAL or last is None:
        return mode, why, None
    if last["full_run_started_at"] is None:
        return modes.FULL, "the previous run kept no result", None
    kept = KEPT_RESULTS.get(run.region_id)
    if kept is not None and kept[0] == last["pk"]:
        result = kept[1]
    else:
        stored = AllocationRun.objects.values_list("result", flat=True).get(pk=last["pk"])
        if stored is None:
            return modes.FULL, "the previous run kept no result", None
        result = result_from_dict(stored)
    known = {a.request_id for a in result.assignments} | {u.request_id for u in result.unplaced}
    if any(r.peer_mentor and r.id not in known for r in loaded.problem.requests):
        return modes.FULL, modes.NEW_PEER_MENTOR, None
    return mode, why, (result, last["full_run_started_at"])


def _decimal(hours: float, places: int) -> Decimal:
    """Hours as the engine returns them (whole units, engine.model.HOURS_UNIT), exactly."""
    return Decimal(f"{hours:.{places}f}")


def _check_draws(assignments: list[engine.Assignment], problem: engine.Problem) -> None:
    """The draws about to be written are what the database holds: positive whole hour units
    at their source's cost. (The full checker is too slow for every incremental run.)"""
    factor = {s.id: s.group_factor for s in problem.sources}
    for a in assignments:
        for d in a.draws:
            if d.source_id not in factor:
                raise InvalidEngineResult(f"a draw from unknown source {d.source_id}")
            if d.load_hours <= 0 or not on_hours_grid(d.load_hours):
                raise InvalidEngineResult(
                    f"request {a.request_id} draws {d.load_hours} h from source {d.source_id}"
                )
            if abs(d.source_hours - draw_cost(d.load_hours, factor[d.source_id])) > 1e-9:
                raise InvalidEngineResult(
                    f"request {a.request_id} costs source {d.source_id} {d.source_hours} h"
                )


def _draw_specs(assignment: engine.Assignment) -> tuple[lifecycle.DrawSpec, ...]:
    return tuple(
        lifecycle.DrawSpec(d.source_id, _decimal(d.load_hours, 2), _decimal(d.source_hours, 4))
        for d in assignment.draws
    )


def _draw_key(draws: tuple[engine.Draw, ...]) -> frozenset[tuple[int, float]]:
    return frozenset((d.source_id, round(d.load_hours, 2)) for d in draws)


class _LockedRequest(NamedTuple):
    pk: int
    school_id: int
    status: str


class _LivePlacement(NamedTuple):
    pk: int
    request_id: int
    plek_id: int
    status: str


def store_result(
    *, run: AllocationRun, loaded: LoadedRegion, result: engine.Result, mode_reason: str = ""
) -> None:
    """Turn an engine result into proposals in one transaction; idempotent per run.

    Precondition: `run` is running. Locks the plekken, requests and live placements its
    result changes, in that order and by id, so concurrent answers cannot interleave.
    """
    with transaction.atomic():
        run = AllocationRun.objects.select_for_update().get(pk=run.pk)
        if run.status != RunStatus.RUNNING:
            return  # Already stored (a redelivered task): change nothing twice.
        region_id = run.region_id
        wanted = {a.request_id: a for a in result.assignments}
        # Only the requests whose placement this result changes are locked and written: a
        # region holds thousands of requests, and most runs add a few proposals. First an
        # unlocked read finds them; then, in the lock order used everywhere (plek, request,
        # placement; see placements/lifecycle.py), their rows are locked and read again.
        fixed_when_loaded = {(e.request_id, e.plek_id) for e in loaded.problem.existing if e.fixed}
        seen = dict(
            Placement.objects.filter(
                request__region_id=region_id, status__in=LIVE_PLACEMENT_STATUSES
            ).values_list("request_id", "plek_id")
        )
        changing = sorted(
            {r for r, a in wanted.items() if seen.get(r) != a.plek_id}
            | {
                r
                for r, plek_id in seen.items()
                if (r, plek_id) not in fixed_when_loaded
                and (r not in wanted or wanted[r].plek_id != plek_id)
            }
        )
        # Placements that stay where they are but that the engine carries by other sources
        # now (a new source took over part of a load): the stored draws must follow, or the
        # database books hours the engine has given to someone else.
        stored_draws = {e.request_id: e.draws for e in loaded.problem.existing}

        def draws_changed(request_id: int, draws: tuple[engine.Draw, ...]) -> bool:
            before = stored_draws.get(request_id)
            return before is None or (before != draws and _draw_key(before) != _draw_key(draws))

        redrawn = sorted(
            r for r, a in wanted.items() if seen.get(r) == a.plek_id and draws_changed(r, a.draws)
        )
        # The plekken of the new proposals, still open? (Locked first: the lock order.)
        open_pleks = set(
            Plek.objects.select_for_update()
            .filter(
                pk__in=sorted({wanted[r].plek_id for r in changing if r in wanted}),
                status=PlekStatus.PUBLISHED,
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        # Rows as tuples, not model instances.
        requests = {
            row[0]: _LockedRequest(*row)
            for row in PlacementRequest.objects.select_for_update()
            .filter(pk__in=changing)
            .order_by("pk")
            .values_list("pk", "school_id", "status")
        }
        live = {
            row[1]: _LivePlacement(*row)
            for row in Placement.objects.select_for_update()
            .filter(request_id__in=[*changing, *redrawn], status__in=LIVE_PLACEMENT_STATUSES)
            .order_by("pk")
            .values_list("pk", "request_id", "plek_id", "status")
        }

        # A proposal accepted while the engine ran, which the result moves or drops: its seat
        # and hours went to someone else, so storing the result would book them twice.
        # Store nothing and run again (the next run sees the placement as fixed).
        overruled = sorted(
            p.pk
            for request_id, p in live.items()
            if p.status in FIXED_STATUSES
            and (request_id, p.plek_id) not in fixed_when_loaded
            and (request_id not in wanted or wanted[request_id].plek_id != p.plek_id)
        )
        if overruled:
            run.status = RunStatus.FAILED
            run.failure_reason = SUPERSEDED
            run.finished_at = timezone.now()
            run.error = (
                f"Superseded: {len(overruled)} of its proposals were answered while the engine "
                "ran. A new run follows at once."
            )
            run.error_detail = f"answered during the run: placements {overruled}"
            run.save(
                update_fields=["status", "failure_reason", "finished_at", "error", "error_detail"]
            )
            # Watchers see every started run end, here with "superseded" (a new run follows).
            record_event(
                region_id=region_id,
                type="allocation.failed",
                payload={"run_id": run.pk, "reason": SUPERSEDED, "message": run.error},
            )
            request_allocation(region_id=region_id, reason="allocation.superseded")
            return

        # Re-read under the locks: a proposal declined while the engine ran must not return.
        refused = set(
            Placement.objects.filter(request_id__in=changing)
            .filter(REFUSED_PLACEMENTS)
            .values_list("request_id", "plek_id")
        )

        # Events are recorded together at the end: the region row lock that numbers them is
        # then held for a moment, not for the whole store (submissions wait on that lock).
        events: list[NewEvent] = []
        owner_of = dict(
            Plek.objects.filter(
                pk__in={wanted[r].plek_id for r in changing if r in wanted}
                | {p.plek_id for p in live.values()}
            ).values_list("pk", "organisation_id")
        )

        def audience(request_id: int, plek_id: int) -> list[int]:
            return [requests[request_id].school_id, owner_of[plek_id]]

        # Proposals the engine moved or dropped are withdrawn (fixed ones it never touches).
        # Written in bulk (placements/lifecycle.py): a run after a burst of submissions
        # proposes dozens at once, and the next run waits for this one.
        now = timezone.now()
        events += lifecycle.placements_withdraw_for_run(
            run_id=run.pk,
            placements=[
                (p.pk, request_id, p.plek_id)
                for request_id, p in live.items()
                if p.status == PlacementStatus.PROPOSED
                and (request_id not in wanted or wanted[request_id].plek_id != p.plek_id)
            ],
            audience=audience,
            now=now,
        )

        new_assignments = []
        for request_id in changing:
            assignment = wanted.get(request_id)
            if assignment is None:
                continue  # Dropped: withdrawn above.
            request = requests.get(request_id)
            current = live.get(request_id)
            if current is not None and current.plek_id == assignment.plek_id:
                continue  # Unchanged: keep the proposal (stability).
            if (
                request is None
                or request.status == RequestStatus.WITHDRAWN
                or assignment.plek_id not in open_pleks
                or (request_id, assignment.plek_id) in refused
            ):
                continue  # Changed since loading, or declined there before.
            new_assignments.append(assignment)
        kept = {
            live[r].pk: wanted[r]
            for r in redrawn
            if r in live and live[r].plek_id == wanted[r].plek_id
        }
        _check_draws([*new_assignments, *kept.values()], loaded.problem)
        lifecycle.placements_redraw(draws={pk: _draw_specs(a) for pk, a in kept.items()})
        created, proposed_events = lifecycle.placements_propose(
            run_id=run.pk,
            proposals=[
                lifecycle.ProposalSpec(a.request_id, a.plek_id, _draw_specs(a))
                for a in new_assignments
            ],
            expires_at=now + dt.timedelta(days=run.region.proposal_expiry_days),
            audience=audience,
            now=now,
        )
        events += proposed_events
        proposed = len(created)

        _record_unplaced(run, result.unplaced)
        run.status = RunStatus.FINISHED
        run.finished_at = timezone.now()
        run.requests_considered = len(loaded.problem.requests)
        run.placed = len(result.assignments)
        run.unplaced = len(result.unplaced)
        run.upper_bound = result.upper_bound
        run.objective = {
            **result.objective,
            "gap": result.gap,
            "new_proposals": proposed,
            "mode_reason": mode_reason,
        }
        run.result = result_to_dict(result)
        run.save()
        events.append(
            NewEvent(
                type="allocation.finished",
                payload={
                    "run_id": run.pk,
                    "placed": run.placed,
                    "unplaced": run.unplaced,
                    "mode": run.mode,
                    # After failed runs: the coordinators hear that allocation runs again.
                    "recovered": _previous_run_failed(region_id=region_id, before=run.pk),
                },
            )
        )
        record_events(region_id=region_id, events=events)


def _record_unplaced(run: AllocationRun, unplaced: tuple[engine.Unplaced, ...]) -> None:
    """The run's unplaced requests with their reasons.

    By COPY on PostgreSQL: a region's thousand rows per run took a tenth of a second through
    bulk_create's per-value preparation, a fifth of a re-allocation at 10,000 requests.
    """
    if connection.vendor != "postgresql":  # the embedded mode's SQLite
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
            for u in unplaced
        )
        return
    fields = ("run", "request", "reason", "criterion", "binding_plekken", "binding_sources",
              "suggestion")  # fmt: skip
    column = {f.name: f.column for f in UnplacedRequest._meta.concrete_fields}
    qn = connection.ops.quote_name
    copy_sql = (
        f"COPY {qn(UnplacedRequest._meta.db_table)} "
        f"({', '.join(qn(str(column[f])) for f in fields)}) FROM STDIN"
    )
    # Django's error classes around the driver's own COPY, as around any query: the failure
    # is then described like any other (describe_failure). The id lists go as JSON text,
    # which the server parses: a Jsonb wrapper per value cost a json.dumps call each.
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.cursor.copy(copy_sql) as copy,
    ):
        for u in unplaced:
            copy.write_row((
                run.pk, u.request_id, u.reason, u.criterion or "",
                _json_ids(u.binding_plekken), _json_ids(u.binding_sources), u.suggestion,
            ))  # fmt: skip


def _json_ids(ids: tuple[int, ...]) -> str:
    return f"[{','.join(map(str, ids))}]"


# --- Coalesced runs (the Celery task's service) ---------------------------------------

LEASE = dt.timedelta(seconds=30)
HEARTBEAT_SECONDS = 10.0
PROGRESS_EVENT_SECONDS = 1.0


def allocation_claim(*, region_id: int, owner: str) -> dt.datetime | None:
    """Take the region's lease if a run is pending and nobody holds a live lease.

    One conditional UPDATE: of any number of concurrent claimers exactly one wins.
    Returns the claim time (runs started after a trigger satisfy it), or None.
    """
    claimed = (
        AllocationQueue.objects.filter(region_id=region_id, pending=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=DatabaseClock()))
        .filter(Q(retry_after__isnull=True) | Q(retry_after__lte=DatabaseClock()))
        .update(lease_until=DatabaseClock() + LEASE, lease_owner=owner)
    )
    if not claimed:
        return None
    # The claim time by the database's clock, like the triggers' requested_at. Nobody else
    # writes lease_until while the lease is fresh, and the heartbeat starts after this.
    lease_until = AllocationQueue.objects.values_list("lease_until", flat=True).get(
        region_id=region_id
    )
    assert lease_until is not None  # set by the claim above
    return lease_until - LEASE


def allocation_heartbeat(*, region_id: int, owner: str) -> bool:
    return bool(
        AllocationQueue.objects.filter(region_id=region_id, lease_owner=owner).update(
            lease_until=DatabaseClock() + LEASE
        )
    )


class Release(NamedTuple):
    again: bool  # the region needs another run now
    retry_in: float | None  # seconds until a failed region may be retried


def allocation_release(
    *, region_id: int, owner: str, claimed_at: dt.datetime, done: bool
) -> Release:
    """Give the lease back: whether the region needs another run, and after a failure when.

    `pending` is cleared only when the run succeeded and no trigger arrived after its claim,
    so triggers during a run cause exactly one more run. A failure keeps the region pending
    and pauses it for its backoff; a success ends a streak of failures.
    """
    with transaction.atomic():
        queue = AllocationQueue.objects.select_for_update().get(region_id=region_id)
        if queue.lease_owner != owner:
            return Release(queue.pending, None)
        retry_in = None
        if done:
            if queue.requested_at is not None and queue.requested_at <= claimed_at:
                queue.pending = False
            queue.failures, queue.retry_after = 0, None
        else:
            # The n-th failure in a row pauses the region for the n-th backoff (the last
            # repeats): retried with growing pauses, never given up on.
            backoff = settings.ALLOCATION_RETRY_BACKOFF
            queue.failures += 1
            retry_in = float(backoff[min(queue.failures, len(backoff)) - 1])
            queue.retry_after = timezone.now() + dt.timedelta(seconds=retry_in)
        queue.lease_until = None
        queue.lease_owner = ""
        queue.save()
        return Release(queue.pending and done, retry_in)


class _Heartbeat(threading.Thread):
    """Keeps the lease alive while the engine runs; a killed process stops beating."""

    def __init__(self, region_id: int, owner: str) -> None:
        super().__init__(daemon=True, name=f"allocation-heartbeat-{region_id}")
        self.region_id, self.owner = region_id, owner
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(HEARTBEAT_SECONDS):
                allocation_heartbeat(region_id=self.region_id, owner=self.owner)
        finally:
            connection.close()


def _progress_events(region_id: int) -> Progress:
    def report(stage: str, fraction: float) -> None:
        with transaction.atomic():
            record_event(
                region_id=region_id,
                type="allocation.progress",
                payload={"stage": stage, "fraction": round(fraction, 3)},
            )

    return throttled(report, every_seconds=PROGRESS_EVENT_SECONDS)


class PendingRun(NamedTuple):
    run: AllocationRun | None  # None: not pending, or another worker holds the region
    again: bool  # run the region again now (triggers arrived during the run)
    retry_in: float | None  # the run failed: retry after this many seconds


def allocation_run_pending(*, region_id: int, owner: str) -> PendingRun:
    """Run the region's allocation if it is pending, free and not pausing after a failure.

    Safe to call any number of times concurrently and to redeliver: only the lease holder
    runs, and storing a run's result twice changes nothing. A failed run is recorded and
    announced (allocation_run) and paused for its backoff, not raised: the caller retries.
    """
    claimed_at = allocation_claim(region_id=region_id, owner=owner)
    if claimed_at is None:
        return PendingRun(None, False, None)
    heartbeat = _Heartbeat(region_id, owner)
    heartbeat.start()
    done = False
    run = None
    try:
        region = Region.objects.get(pk=region_id)
        reason = AllocationQueue.objects.values_list("reason", flat=True).get(region_id=region_id)
        run = allocation_run(
            region=region,
            trigger=reason or "event",
            progress=_progress_events(region_id),
            lease_held=True,
        )
        done = True
    except AllocationFailed as failed:
        run = failed.run
    finally:
        heartbeat.stopped.set()
        heartbeat.join()
        if not connection.in_atomic_block:
            close_old_connections()
        release = allocation_release(
            region_id=region_id, owner=owner, claimed_at=claimed_at, done=done
        )
    return PendingRun(run, release.again, release.retry_in)


def regions_needing_allocation() -> list[int]:
    """Regions with a pending run, no live lease and no pause after a failure: the sweeper
    enqueues these."""
    return list(
        AllocationQueue.objects.filter(pending=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=DatabaseClock()))
        .filter(Q(retry_after__isnull=True) | Q(retry_after__lte=DatabaseClock()))
        .values_list("region_id", flat=True)
    )


def regions_due_reoptimisation() -> list[int]:
    """Regions whose latest run continued a chain of incremental runs for longer than the
    interval: ask each for a full run, so a region that went quiet is re-optimised too."""
    latest = AllocationRun.objects.filter(
        region_id=OuterRef("pk"), status=RunStatus.FINISHED
    ).order_by("-started_at", "-pk")
    due = (
        Region.objects.annotate(
            last_mode=Subquery(latest.values("mode")[:1]),
            last_full=Subquery(latest.values("full_run_started_at")[:1]),
        )
        .filter(last_mode=modes.INCREMENTAL, last_full__lt=timezone.now() - modes.FULL_RUN_INTERVAL)
        .exclude(pk__in=AllocationQueue.objects.filter(pending=True).values("region_id"))
        .values_list("pk", flat=True)
    )
    regions = list(due)
    for region_id in regions:
        with transaction.atomic():
            request_allocation(region_id=region_id, reason=modes.REOPTIMISE_REASON)
    return regions
