"""Recording events in the caller's transaction; they are published after it commits.

Other apps react through subscribers they register in their AppConfig.ready, so this layer
never imports the ones above it:

- ``on_record(handler)``: called inside the recording transaction with the new events (the
  coordination app marks the region for a run here, so mark and change commit together);
- ``after_commit(handler)``: called after commit with the new events' ids (the workers app
  enqueues notifications and jobs here).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from events.models import Event
from events.publishing import publish_after_commit
from events.registry import event_type

_on_record: list[Callable[[list[Event]], None]] = []
_after_commit: list[Callable[[list[Event]], None]] = []


def on_record(handler: Callable[[list[Event]], None]) -> None:
    if handler not in _on_record:
        _on_record.append(handler)


def after_commit(handler: Callable[[list[Event]], None]) -> None:
    if handler not in _after_commit:
        _after_commit.append(handler)


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

    Precondition: called inside the transaction that makes the change. Every type must be
    in events/registry.py (UnknownEventType otherwise). Locks the region row until commit,
    so sequence numbers have no gaps and follow commit order within a region; callers that
    write many events record them together, at the end of their transaction, to hold that
    lock briefly.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_events must run inside the transaction of the change")
    if not events:
        return []
    for e in events:
        event_type(e.type)
    # The region row, through the relation: this layer knows no placements code.
    regions = Event._meta.get_field("region").related_model._default_manager
    last_seq = (
        regions.select_for_update().values_list("last_event_seq", flat=True).get(pk=region_id)
    )
    first = last_seq + 1
    regions.filter(pk=region_id).update(last_event_seq=last_seq + len(events))
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
    for handler in _on_record:
        handler(created)
    for handler in _after_commit:
        transaction.on_commit(functools.partial(handler, created), robust=True)
    return created
