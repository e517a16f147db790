"""WebSocket streams of outbox events. Thin: authenticate, authorise, join, catch up, forward.

Streams
- `/ws/v1/regions/<region_id>/`: every event of the region, for its coordinators.
- `/ws/v1/organisations/<org_id>/`: the events whose audience names the organisation, for
  its members (the school stream of a school, the organisation stream of a care provider).

Protocol (server to client only; consumers never write, commands go through REST)
- Connect with `?since=<seq>`, the last sequence number of the region the client saw (or
  the one it loaded state at). Without `since` the stream starts at the region's current seq.
- The server sends the missed events from the database, in seq order, then the live ones.
  Every message carries `region` and `seq`; events carry `type`, `version`, `payload` (ids
  only), `created_at`. Once caught up the server sends
  `{"type": "stream.ready", "region": r, "seq": s}`; s is the last seq the stream covers.
- Sequence numbers only increase on a stream; nothing is sent twice. The channel layer
  delivers at most once and publishers may send out of order, so a live event that reveals a
  gap (seq beyond the last one covered) is preceded by the missing events, read from the
  database; live events at or below the last covered seq are dropped.
- Each web process also compares its streams with their regions' last seq every
  TAIL_CHECK_SECONDS and sends what a stream is missing: a live message lost at the end of a
  burst (Redis restarting, a subscriber reconnecting) would otherwise wait for the next
  event to reveal the gap.

Refusals happen before accept: 4401 not authenticated, 4403 foreign origin or not allowed
to see the stream, 4400 a bad `since`, 4503 the channel layer (Redis) is unreachable. An open
stream whose channel layer goes away is closed with 1012; the client reconnects with its
last seq. Behind an ASGI server that supports the
`websocket.http.response` extension (uvicorn) the handshake is denied with HTTP 401/403/400
and a JSON body naming the code; elsewhere the socket is closed with the code.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from collections import OrderedDict
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from redis.exceptions import RedisError

from events.groups import organisation_group, region_group
from events.models import Event
from events.publishing import event_message
from notifications.auth import origin_allowed
from placements.domain import OrganisationKind
from placements.models import Region
from placements.selectors import organisation_of

log = logging.getLogger(__name__)

CATCH_UP_BATCH = 500

NOT_AUTHENTICATED = 4401
FORBIDDEN = 4403
BAD_REQUEST = 4400
TRY_AGAIN = 4503  # the channel layer (Redis) is unreachable
SERVICE_RESTART = 1012  # closing an open stream because the channel layer went away
_HTTP_STATUS = {NOT_AUTHENTICATED: 401, FORBIDDEN: 403, BAD_REQUEST: 400, TRY_AGAIN: 503}
LAYER_ERRORS = (RedisError, ConnectionError)
TAIL_CHECK_SECONDS = 2.0


def client_message(event: dict[str, Any]) -> dict[str, Any]:
    """What a client gets: the event without its routing list (audience)."""
    return {k: v for k, v in event.items() if k != "audience"}


_TEXTS: OrderedDict[tuple[int, int, str], str] = OrderedDict()
_TEXTS_KEEP = 2048


def client_text(event: dict[str, Any]) -> str:
    """client_message as JSON, encoded once per process: an event goes to every socket."""
    key = (event["region"], event["seq"], event["created_at"])  # unique even across databases
    text = _TEXTS.get(key)
    if text is None:
        text = _TEXTS[key] = json.dumps(client_message(event))
        if len(_TEXTS) > _TEXTS_KEEP:
            _TEXTS.popitem(last=False)
    return text


def _events_after(
    region_id: int, after: int, upto: int | None, organisation_id: int | None
) -> list[dict[str, Any]]:
    qs = Event.objects.filter(region_id=region_id, seq__gt=after)
    if upto is not None:
        qs = qs.filter(seq__lte=upto)
    if organisation_id is not None:
        qs = qs.filter(audience__contains=[organisation_id])
    return [event_message(e) for e in qs.order_by("seq")[:CATCH_UP_BATCH]]


def _events_after_portable(
    region_id: int, after: int, upto: int | None, organisation_id: int | None
) -> list[dict[str, Any]]:
    from django.db import connection

    if organisation_id is None or connection.vendor == "postgresql":
        return _events_after(region_id, after, upto, organisation_id)
    # SQLite (the embedded mode) has no JSON containment: filter in Python.
    qs = Event.objects.filter(region_id=region_id, seq__gt=after).order_by("seq")
    if upto is not None:
        qs = qs.filter(seq__lte=upto)
    found = [event_message(e) for e in qs.iterator() if organisation_id in e.audience]
    return found[:CATCH_UP_BATCH]


events_after = database_sync_to_async(_events_after_portable)


class RegionLog:
    """Recent events per region, shared by every socket in this process.

    A live event that skips seqs makes each socket look for what it missed: an organisation
    stream sees only some of the region's seqs, so that is nearly every event. Read from
    the database once per process and gap, not once per socket: the first socket reads the
    region's events up to the new seq, the others find them here.
    """

    KEEP = 5000

    def __init__(self) -> None:
        self.events: dict[int, dict[int, dict[str, Any]]] = {}
        self.low: dict[int, int] = {}  # the cache holds the region's seqs in (low, high]
        self.high: dict[int, int] = {}
        self.locks: dict[int, asyncio.Lock] = {}

    async def between(
        self, region_id: int, after: int, upto: int, organisation_id: int | None
    ) -> list[dict[str, Any]]:
        """The stream's events with after < seq <= upto, in seq order."""
        lock = self.locks.setdefault(region_id, asyncio.Lock())
        async with lock:
            high = self.high.get(region_id)
            if high is None or after < self.low[region_id]:
                if high is not None:  # Older than the cache: rare, ask the database.
                    return await _all_events(region_id, after, upto, organisation_id)
                self.low[region_id] = self.high[region_id] = high = after
                self.events[region_id] = {}
            if upto > high:
                cached = self.events[region_id]
                for event in await _all_events(region_id, high, upto, None):
                    cached[event["seq"]] = event
                self.high[region_id] = upto
                if len(cached) > self.KEEP:
                    for seq in sorted(cached)[: len(cached) - self.KEEP]:
                        del cached[seq]
                    self.low[region_id] = min(cached) - 1
            cached = self.events[region_id]
            return [
                cached[seq]
                for seq in range(after + 1, upto + 1)
                if seq in cached
                and (organisation_id is None or organisation_id in cached[seq]["audience"])
            ]


@database_sync_to_async
def _all_events(
    region_id: int, after: int, upto: int, organisation_id: int | None
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        batch = _events_after_portable(region_id, after, upto, organisation_id)
        found += batch
        if len(batch) < CATCH_UP_BATCH:
            return found
        after = batch[-1]["seq"]


region_log = RegionLog()


@database_sync_to_async
def _region_last_seq(region_id: int) -> int:
    return Region.objects.values_list("last_event_seq", flat=True).get(pk=region_id)


class TailCheck:
    """This process's open streams by region, and the task that checks they are complete."""

    def __init__(self) -> None:
        self.streams: dict[int, weakref.WeakSet[EventStreamConsumer]] = {}
        self.task: asyncio.Task[None] | None = None

    def add(self, stream: EventStreamConsumer) -> None:
        self.streams.setdefault(stream.region_id, weakref.WeakSet()).add(stream)
        loop = asyncio.get_running_loop()
        if self.task is None or self.task.done() or self.task.get_loop() is not loop:
            self.task = loop.create_task(self.run())

    def discard(self, stream: EventStreamConsumer) -> None:
        streams = self.streams.get(getattr(stream, "region_id", None))
        if streams is not None:
            streams.discard(stream)

    async def run(self) -> None:
        while self.streams:
            await asyncio.sleep(TAIL_CHECK_SECONDS)
            await self.check_once()

    async def check_once(self) -> None:
        for region_id, streams in list(self.streams.items()):
            if not streams:
                del self.streams[region_id]
                continue
            try:
                last = await _region_last_seq(region_id)
            except Exception:  # The database is away: try again next time.
                log.warning("tail check of region %s failed", region_id, exc_info=True)
                continue
            for stream in list(streams):
                if stream.last_seq is not None and stream.last_seq < last:
                    with contextlib.suppress(Exception):  # that socket's own problem
                        await stream.catch_up(last)


tail_check = TailCheck()


class EventStreamConsumer(AsyncJsonWebsocketConsumer):
    """Base: subclasses decide who may listen (`authorise`) and to what (`region_id`, groups)."""

    region_id: int
    organisation_id: int | None = None
    group: str

    async def connect(self) -> None:
        self.last_seq: int | None = None  # None until the catch-up is done.
        self.sending = asyncio.Lock()
        user = self.scope.get("user")
        # Who first (401), then from where (403): a client without a token must learn that it
        # needs one, not that its origin is wrong.
        if user is None or not user.is_authenticated:
            return await self.refuse(NOT_AUTHENTICATED, "Not authenticated: send a token.")
        if not origin_allowed(self.scope):
            return await self.refuse(FORBIDDEN, "This origin may not open a stream.")
        if not await database_sync_to_async(self.authorise)(user):
            return await self.refuse(FORBIDDEN, "You may not see this stream.")
        since = self.since()
        if since is False:
            return await self.refuse(
                BAD_REQUEST, "The since parameter must be a whole number, 0 or more."
            )

        # Join first, then read the database: an event committed in between is in both, and
        # the seq check drops the second copy. Live messages wait in the channel layer until
        # this handler returns (Channels dispatches one message at a time).
        try:
            await self.channel_layer.group_add(self.group, self.channel_name)
        except LAYER_ERRORS as exc:
            log.warning("channel layer unavailable at connect: %r", exc)
            return await self.refuse(TRY_AGAIN, "The live stream is unavailable; try again.")
        self.joined = True
        await self.accept()
        if since is None:
            self.last_seq = await _region_last_seq(self.region_id)
        else:
            self.last_seq = since
            await self.send_from_database(upto=None)
        await self.send_json(
            {"type": "stream.ready", "region": self.region_id, "seq": self.last_seq}
        )
        tail_check.add(self)

    async def __call__(self, scope, receive, send):
        """Lose the channel layer (Redis restarting), close: the client reconnects and catches
        up from the database. Group memberships do not survive a Redis restart, so carrying on
        would leave a socket that silently receives nothing."""
        try:
            return await super().__call__(scope, receive, send)
        except LAYER_ERRORS as exc:
            log.warning("channel layer lost, closing the stream: %r", exc)
            with contextlib.suppress(Exception):  # The socket may be gone already.
                if getattr(self, "joined", False):
                    await send({"type": "websocket.close", "code": SERVICE_RESTART})
                else:
                    # Not even subscribed yet (the pub/sub layer subscribes before connect):
                    # refuse the handshake with "try again later".
                    self.base_send = send
                    await self.refuse(TRY_AGAIN, "The live stream is unavailable; try again.")
        except OSError:  # The client went away while we were sending (uvicorn's
            pass  # ClientDisconnected); nothing left to do.

    async def refuse(self, code: int, detail: str) -> None:
        if "websocket.http.response" in self.scope.get("extensions", {}):
            body = json.dumps({"code": code, "detail": detail}).encode()
            await self.base_send(  # self.send wraps text frames
                {
                    "type": "websocket.http.response.start",
                    "status": _HTTP_STATUS[code],
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await self.base_send({"type": "websocket.http.response.body", "body": body})
        else:
            await self.close(code=code)

    def since(self) -> int | bool | None:
        """The client's `since`: an int, None when absent, False when malformed."""
        values = parse_qs(self.scope.get("query_string", b"").decode("latin1")).get("since")
        if not values:
            return None
        try:
            since = int(values[-1])
        except ValueError:
            return False
        return since if since >= 0 else False

    async def send_from_database(self, upto: int | None) -> None:
        """Send the stream's events after last_seq (up to `upto`), in seq order."""
        while True:
            batch = await events_after(self.region_id, self.last_seq, upto, self.organisation_id)
            for event in batch:
                await self.send(text_data=client_text(event))
                self.last_seq = event["seq"]
            if len(batch) < CATCH_UP_BATCH:
                return

    async def dispatch(self, message: dict[str, Any]) -> None:
        if message["type"] == "leerplek.event":
            # Channels' dispatch first closes stale database connections, a hop to the sync
            # thread for every message and socket: with 500 sockets that hop was most of the
            # fan-out's cost and queued in front of the HTTP views. This handler reaches the
            # database only through database_sync_to_async, which closes them itself.
            await self.leerplek_event(message)
            return
        await super().dispatch(message)

    async def leerplek_event(self, message: dict[str, Any]) -> None:
        event = message["event"]
        if self.last_seq is None or event["region"] != self.region_id:
            return
        if not self.may_see(event):
            return
        async with self.sending:  # one sender at a time: live events and the tail check
            await self._send_live(event)

    async def catch_up(self, upto: int) -> None:
        """Send what the stream misses up to `upto`, a committed seq (the tail check)."""
        async with self.sending:
            if self.last_seq is None or self.last_seq >= upto:
                return
            for event in await region_log.between(
                self.region_id, self.last_seq, upto, self.organisation_id
            ):
                await self.send(text_data=client_text(event))
            self.last_seq = upto  # every seq up to `upto` is covered, sent or not ours

    async def _send_live(self, event: dict[str, Any]) -> None:
        seq = event["seq"]
        if seq <= self.last_seq:
            return  # Already sent (catch-up, gap fill, or a repeated publish).
        if seq > self.last_seq + 1:
            # Possibly missed something (out-of-order publishers, a lost message). Everything
            # below seq is committed: seq is taken under the region's row lock until commit.
            missed = await region_log.between(
                self.region_id, self.last_seq, seq - 1, self.organisation_id
            )
            for earlier in missed:
                await self.send(text_data=client_text(earlier))
                self.last_seq = earlier["seq"]
        await self.send(text_data=client_text(event))
        self.last_seq = seq

    def may_see(self, event: dict[str, Any]) -> bool:
        return True

    def authorise(self, user) -> bool:
        raise NotImplementedError

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Clients have nothing to say here; commands go through the REST API."""

    async def disconnect(self, code: int) -> None:
        tail_check.discard(self)
        if getattr(self, "joined", False):
            # Redis may be away; the membership then went with it.
            with contextlib.suppress(*LAYER_ERRORS):
                await self.channel_layer.group_discard(self.group, self.channel_name)


class RegionStreamConsumer(EventStreamConsumer):
    """All events of a region, for the coordinators of that region."""

    def authorise(self, user) -> bool:
        self.region_id = int(self.scope["url_route"]["kwargs"]["region_id"])
        self.group = region_group(self.region_id)
        org = organisation_of(user)
        return (
            org is not None
            and org.kind == OrganisationKind.COORDINATION
            and org.region_id == self.region_id
        )


class OrganisationStreamConsumer(EventStreamConsumer):
    """Events whose audience names the organisation, for its members."""

    def authorise(self, user) -> bool:
        self.organisation_id = int(self.scope["url_route"]["kwargs"]["organisation_id"])
        self.group = organisation_group(self.organisation_id)
        org = organisation_of(user)
        if org is None or org.pk != self.organisation_id:
            return False
        self.region_id = org.region_id
        return True

    def may_see(self, event: dict[str, Any]) -> bool:
        return self.organisation_id in event.get("audience", ())
