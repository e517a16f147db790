"""Recording events in the caller's transaction; they are published after it commits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from notifications.models import Event
from notifications.publishing import publish_after_commit
from notifications.services import NOTIFY
from placements.models import Region


@dataclass(frozen=True)
class NewEvent:
    type: str
    payload: dict[str, Any]
    audience: Iterable[int] = ()
    version: int = 1


def record_event(
    *,
    region_id: int,
    type: str,
    payload: dict[str, Any],
    audience: Iterable[int] = (),
    version: int = 1,
) -> Event:
    """Write an event with the region's next sequence number (see record_events)."""
    return record_events(region_id=region_id, events=[NewEvent(type, payload, audience, version)])[
        0
    ]


def record_events(*, region_id: int, events: list[NewEvent]) -> list[Event]:
    """Write events with the region's next sequence numbers, in the given order.

    Precondition: called inside the transaction that makes the change. Locks the region row
    until commit, so sequence numbers have no gaps and follow commit order within a region;
    callers that write many events record them together, at the end of their transaction,
    to hold that lock briefly.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_events must run inside the transaction of the change")
    if not events:
        return []
    region = Region.objects.select_for_update().only("id", "last_event_seq").get(pk=region_id)
    first = region.last_event_seq + 1
    Region.objects.filter(pk=region_id).update(last_event_seq=region.last_event_seq + len(events))
    created = Event.objects.bulk_create(
        Event(
            region_id=region_id,
            seq=first + i,
            type=e.type,
            version=e.version,
            payload=e.payload,
            audience=sorted(set(e.audience)),
        )
        for i, e in enumerate(events)
    )
    publish_after_commit()
    to_notify = [event.pk for event in created if event.type in NOTIFY]
    if to_notify:
        from workers.tasks import notify_events

        # One task for the events of this call (a store records hundreds at once).
        transaction.on_commit(lambda: notify_events.delay(to_notify), robust=True)
    return created
