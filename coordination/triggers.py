"""Asking for an allocation run. Coalesced: any number of triggers lead to one run at a time."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models.functions import Now

from coordination.models import AllocationQueue
from events import registry
from events.models import Event


class DatabaseClock(Now):
    """The database server's clock when the statement touches the row.

    Triggers and claims are compared by time (services.allocation_release), so they must
    be stamped by one clock, not by the clocks of the web and worker hosts; and late
    enough: CLOCK_TIMESTAMP() is evaluated when the row is written, after any wait for its
    lock (Now() is the statement's start, CURRENT_TIMESTAMP the transaction's).
    """

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(compiler, connection, template="CLOCK_TIMESTAMP()", **extra_context)


def request_allocation(*, region_id: int, reason: str) -> None:
    """Mark the region as needing a run and enqueue the task after commit.

    Precondition: inside the transaction of the change that makes a run necessary, so the
    mark and the change commit (or roll back) together.
    """
    # Enqueue only when the region turns pending. While it is pending, a task is queued, a
    # run holds the lease (and runs again at release, seeing the newer requested_at), or a
    # task was lost (broker down, worker killed) and the sweeper enqueues one: one task a
    # burst instead of one per submission.
    #
    # Read and write the row under its lock, in this transaction: allocation_release locks
    # it too, so a release either commits before this reads `pending` (then this turns the
    # region pending and enqueues) or waits for this commit (then it sees the newer
    # requested_at and keeps the region pending). Two separate conditional UPDATEs let a
    # release slip in between them and lose the trigger (seen in the load tool: a request
    # left open, the region not pending).
    queue = AllocationQueue.objects.select_for_update().filter(region_id=region_id).first()
    if queue is None:
        _, created = AllocationQueue.objects.get_or_create(
            region_id=region_id,
            defaults={"pending": True, "requested_at": DatabaseClock(), "reason": reason[:100]},
        )
        if not created:  # Created by a concurrent trigger, which enqueues; mark ours too.
            request_allocation(region_id=region_id, reason=reason)
            return
    else:
        AllocationQueue.objects.filter(region_id=region_id).update(
            pending=True, requested_at=DatabaseClock(), reason=reason[:100]
        )
        if queue.pending:
            return
    # robust: a broker hiccup must not turn a committed change into an error for the user;
    # the sweeper finds the pending region anyway.
    for enqueue in _enqueuers:
        transaction.on_commit(functools.partial(enqueue, region_id), robust=True)


# Who starts a run once a region turned pending: the workers app registers its task here
# (WorkersConfig.ready), so this layer never imports the tasks above it.
_enqueuers: list[Callable[[int], None]] = []


def on_allocation_requested(enqueue: Callable[[int], None]) -> None:
    if enqueue not in _enqueuers:
        _enqueuers.append(enqueue)


def runs_for_events(events: list[Event]) -> None:
    """Subscriber of the outbox (CoordinationConfig.ready): events whose type asks for a run
    (events/registry.py) mark their region, in the transaction that records them."""
    reasons: dict[int, str] = {}
    for event in events:
        if event.region_id not in reasons and registry.asks_run(event.type, event.payload):
            reasons[event.region_id] = event.type
    for region_id, reason in reasons.items():
        request_allocation(region_id=region_id, reason=reason)
