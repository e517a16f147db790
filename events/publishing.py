"""Publishing outbox events to the channel layer, after commit, repeatably.

The channel layer delivers at most once and may be down (Redis restarting): an event is
marked published only after its sends succeeded, and the sweeper re-sends what is left.
Clients deduplicate by (region, seq) and catch up from the database, so a repeated send is
harmless.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Coroutine
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction
from django.utils import timezone

from events.groups import organisation_group, region_group
from events.models import Event

log = logging.getLogger(__name__)

BATCH = 500
SEND_TIMEOUT_SECONDS = 30.0


class _PublisherLoop:
    """One event loop per process, in a daemon thread, for sends from synchronous code.

    ``async_to_sync`` outside an ASGI server makes a new loop, thread and Redis connection
    for every call (about 70 ms each in a Celery worker); this loop keeps its connection.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0

    def run(self, coroutine: Coroutine[Any, Any, int]) -> int:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._running_loop())
        try:
            return future.result(timeout=SEND_TIMEOUT_SECONDS)
        except TimeoutError:
            future.cancel()  # Unmarked events go again with the next publish or sweep.
            raise

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            # A forked child (Celery's prefork pool) inherits no thread: start its own loop.
            if self._loop is None or self._pid != os.getpid():
                loop = asyncio.new_event_loop()
                threading.Thread(
                    target=loop.run_forever, daemon=True, name="event-publisher"
                ).start()
                self._loop, self._pid = loop, os.getpid()
            return self._loop


_publisher_loop = _PublisherLoop()


def _send(events: list[Event]) -> int:
    if isinstance(get_channel_layer(), InMemoryChannelLayer):
        # The in-memory layer's queues belong to the consumers' loop (the embedded
        # development mode): send from there.
        return async_to_sync(_send_all)(events)
    return _publisher_loop.run(_send_all(events))


def event_message(event: Event) -> dict[str, Any]:
    """The wire form of an event, for channel layer and catch-up alike."""
    return {
        "region": event.region_id,
        "seq": event.seq,
        "type": event.type,
        "version": event.version,
        "payload": event.payload,
        "audience": event.audience,
        "created_at": event.created_at.isoformat(),
    }


def _groups(event: Event) -> list[str]:
    return [region_group(event.region_id)] + [organisation_group(o) for o in event.audience]


async def _send_all(events: list[Event]) -> int:
    """Send events in seq order within one event loop; returns how many were sent completely
    before the layer failed, if it did."""
    layer = get_channel_layer()
    for sent, event in enumerate(events):
        message = {"type": "leerplek.event", "event": event_message(event)}
        try:
            # One event's groups at once (each is its own channel, so their order does not
            # matter); events one after another, so a stream sees them in seq order.
            await asyncio.gather(*(layer.group_send(g, message) for g in _groups(event)))
        except Exception:  # The layer is down: leave the rest to the next sweep.
            log.warning(
                "channel layer unavailable; %s events left for the sweeper", len(events) - sent
            )
            return sent
    return len(events)


def publish_pending(*, limit: int = BATCH) -> int:
    """Send unpublished events in (region, seq) order; returns how many were sent.

    Rows are claimed with SKIP LOCKED so two publishers never send the same batch at once.
    """
    with transaction.atomic():
        events = list(
            Event.objects.select_for_update(skip_locked=True)
            .filter(published_at__isnull=True)
            .order_by("region_id", "seq")[:limit]
        )
        if not events:
            return 0
        sent = _send(events)
        if sent:
            Event.objects.filter(pk__in=[e.pk for e in events[:sent]]).update(
                published_at=timezone.now()
            )
    return sent


def publish_after_commit() -> None:
    """Register a publish for when the current transaction commits (no-op if it rolls back)."""
    connection = transaction.get_connection()
    # Once per transaction is enough: one publish sends every unpublished event.
    if any(func is _publish_quietly for _, func, _ in connection.run_on_commit):
        return
    transaction.on_commit(_publish_quietly, robust=True)


def publish_all_pending(*, limit: int = BATCH) -> int:
    """Publish batch after batch until nothing is left (a run can propose thousands at once)."""
    total = 0
    while True:
        sent = publish_pending(limit=limit)
        total += sent
        if sent < limit:
            return total


def _publish_quietly() -> None:
    try:
        publish_all_pending()
    except Exception:
        log.exception("publishing after commit failed; the sweeper will retry")
