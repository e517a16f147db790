"""Recording events in the caller's transaction; they are published after it commits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from notifications.models import Event
from notifications.publishing import publish_after_commit
from notifications.services import NOTIFY
from placements.models import Region


def record_event(
    *,
    region_id: int,
    type: str,
    payload: dict[str, Any],
    audience: Iterable[int] = (),
    version: int = 1,
) -> Event:
    """Write an event with the region's next sequence number.

    Precondition: called inside the transaction that makes the change. Locks the region row,
    so sequence numbers have no gaps and follow commit order within a region.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_event must run inside the transaction of the change")
    region = Region.objects.select_for_update().only("id", "last_event_seq").get(pk=region_id)
    region.last_event_seq += 1
    Region.objects.filter(pk=region_id).update(last_event_seq=region.last_event_seq)
    event = Event.objects.create(
        region_id=region_id,
        seq=region.last_event_seq,
        type=type,
        version=version,
        payload=payload,
        audience=sorted(set(audience)),
    )
    publish_after_commit()
    if type in NOTIFY:
        from workers.tasks import notify_event

        transaction.on_commit(lambda: notify_event.delay(event.pk), robust=True)
    return event
