"""Asking for an allocation run. Coalesced: any number of triggers lead to one run at a time."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from coordination.models import AllocationQueue


def request_allocation(*, region_id: int, reason: str) -> None:
    """Mark the region as needing a run and enqueue the task after commit.

    Precondition: inside the transaction of the change that makes a run necessary, so the
    mark and the change commit (or roll back) together.
    """
    now = timezone.now()
    updated = AllocationQueue.objects.filter(region_id=region_id).update(
        pending=True, requested_at=now, reason=reason[:100]
    )
    if not updated:
        AllocationQueue.objects.update_or_create(
            region_id=region_id, defaults={"pending": True, "requested_at": now, "reason": reason}
        )
    from workers.tasks import allocate_region

    # robust: a broker hiccup must not turn a committed change into an error for the user;
    # the sweeper finds the pending region anyway.
    transaction.on_commit(lambda: allocate_region.delay(region_id), robust=True)
