"""Celery tasks: thin, each calls one service. Idempotent: safe to deliver twice."""

from __future__ import annotations

import logging
import os
import socket

from celery import shared_task

from coordination import analyses
from coordination import services as coordination
from events import publishing, registry
from events.models import Event
from notifications import services as notifications
from placements import lifecycle

log = logging.getLogger(__name__)

_RETRY = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (Exception,),
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 5,
}


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@shared_task(name="workers.tasks.allocate_region", **_RETRY)
def allocate_region(region_id: int) -> int | None:
    """Run the region's pending allocation, unless another worker holds it (then it reruns).

    A failed run is retried after its region's backoff (the sweeper would find it too)."""
    outcome = coordination.allocation_run_pending(region_id=region_id, owner=_owner())
    if outcome.again:
        allocate_region.delay(region_id)
    elif outcome.retry_in is not None:
        allocate_region.apply_async((region_id,), countdown=outcome.retry_in)
    return outcome.run.pk if outcome.run else None


@shared_task(name="workers.tasks.run_analysis", **_RETRY)
def run_analysis(job_id: int) -> str | None:
    """Compute a queued capacity report or scenario; a redelivery finds it taken."""
    job = analyses.analysis_run(job_id=job_id)
    return job.status if job else None


@shared_task(name="workers.tasks.sweep_allocations", **_RETRY)
def sweep_allocations() -> list[int]:
    """Enqueue regions that need a run and have no live lease (e.g. their worker died), and
    ask for a full run where incremental runs have gone on for too long."""
    coordination.regions_due_reoptimisation()
    regions = coordination.regions_needing_allocation()
    for region_id in regions:
        allocate_region.delay(region_id)
    for job_id in analyses.analyses_sweep():
        run_analysis.delay(job_id)
    return regions


@shared_task(name="workers.tasks.expire_proposals", **_RETRY)
def expire_proposals() -> int:
    return len(lifecycle.placements_expire())


@shared_task(name="workers.tasks.publish_events", **_RETRY)
def publish_events() -> int:
    """Re-send events that a crash or a channel-layer outage left unpublished."""
    return publishing.publish_all_pending()


@shared_task(name="workers.tasks.send_digests", **_RETRY)
def send_digests() -> int:
    """The daily e-mail digest for users who chose one; a notification is in one only."""
    return notifications.notifications_send_digests()


@shared_task(name="workers.tasks.notify_events", **_RETRY)
def notify_events(event_ids: list[int]) -> int:
    """In-app notifications and e-mail for events; once per user, however often delivered."""
    return len(notifications.notifications_for_events(event_ids=event_ids))


# --- Enqueuing, for the subscribers registered in WorkersConfig.ready -----------------


def enqueue_allocation(region_id: int) -> None:
    allocate_region.delay(region_id)


def enqueue_for_events(events: list[Event]) -> None:
    """After an outbox commit: one notification task for the events that notify someone,
    and a job task for each analysis queued."""
    to_notify = [e.pk for e in events if registry.notifies(e.type, e.payload)]
    if to_notify:
        notify_events.delay(to_notify)
    for event in events:
        if event.type == "analysis.queued":
            run_analysis.delay(event.payload["job_id"])
