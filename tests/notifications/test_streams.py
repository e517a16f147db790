"""The event streams, in process: refusals, catch-up from `since`, no duplicates, audience."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import redis
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from rest_framework.authtoken.models import Token

from config.asgi import application
from events import outbox
from events.groups import region_group
from events.models import Event
from events.publishing import event_message, publish_all_pending, publish_pending
from notifications.consumers import TAIL_CHECK_SECONDS
from tests.notifications.communicator import WebsocketCommunicator

# The consumers read the database from worker threads (database_sync_to_async), which only
# see committed rows: transactional databases.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def redis_channel_layer() -> Iterator[None]:
    """The real Redis channel layer from settings (in memory would prove little); clean."""
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    assert backend.startswith("channels_redis."), "set REDIS_URL for these tests"
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.flushdb()
    yield
    client.flushdb()


ORIGIN = (b"origin", b"http://testserver")


def token(username: str) -> str:
    user = get_user_model().objects.get(username=username)
    return Token.objects.get_or_create(user=user)[0].key


def socket(path: str, *, headers=(ORIGIN,), token_of: str | None = None) -> WebsocketCommunicator:
    if token_of is not None:
        path += ("&" if "?" in path else "?") + f"token={token(token_of)}"
    return WebsocketCommunicator(application, path, headers=list(headers))


def region_path(world, **query) -> str:
    return _with_query(f"/ws/v1/regions/{world.region.pk}/", query)


def org_path(org, **query) -> str:
    return _with_query(f"/ws/v1/organisations/{org.pk}/", query)


def _with_query(path: str, query: dict) -> str:
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def record(world, audience=(), n: int = 1, publish: bool = True) -> list[int]:
    """Record n committed events in the region; publish them live unless told not to."""
    seqs = []
    for _ in range(n):
        with transaction.atomic():
            event = _record(world, audience, publish)
        seqs.append(event.seq)
    return seqs


def _record(world, audience, publish: bool) -> Event:
    if publish:
        return outbox.record_event(
            region_id=world.region.pk,
            type="allocation.progress",
            payload={"n": 1},
            audience=audience,
        )
    # Same row as record_event writes, without registering the publish after commit.
    original = outbox.publish_after_commit
    outbox.publish_after_commit = lambda: None
    try:
        return outbox.record_event(
            region_id=world.region.pk,
            type="allocation.progress",
            payload={"n": 1},
            audience=audience,
        )
    finally:
        outbox.publish_after_commit = original


async def received(communicator: WebsocketCommunicator, until_ready: bool = True) -> list[dict]:
    """Messages up to and including stream.ready (or until quiet, if until_ready is False)."""
    messages = []
    while True:
        if not until_ready and await communicator.receive_nothing(timeout=0.3):
            return messages
        message = await communicator.receive_json_from(timeout=3)
        messages.append(message)
        if until_ready and message["type"] == "stream.ready":
            return messages


def seqs_of(messages: list[dict]) -> list[int]:
    return [m["seq"] for m in messages if m["type"] != "stream.ready"]


# --- Refusals -------------------------------------------------------------------------


def test_refusals_before_accept(world):
    session = Client()
    session.force_login(get_user_model().objects.get(username="erin"))
    cookie = (b"cookie", f"sessionid={session.cookies['sessionid'].value}".encode())
    cases = {
        "no credentials": (socket(region_path(world)), 4401),
        "wrong token": (socket(region_path(world, token="nope")), 4401),
        "foreign origin": (
            socket(
                region_path(world), headers=[(b"origin", b"https://evil.example")], token_of="erin"
            ),
            4403,
        ),
        "null origin": (
            socket(region_path(world), headers=[(b"origin", b"null")], token_of="erin"),
            4403,
        ),
        "session cookie without origin": (socket(region_path(world), headers=[cookie]), 4403),
        "school asks for another school": (
            socket(org_path(world.other_school), token_of="alice"),
            4403,
        ),
        "school asks for the region": (socket(region_path(world), token_of="alice"), 4403),
        "coordinator of another region": (socket(region_path(world), token_of="frank"), 4403),
        "care asks for another care": (socket(org_path(world.other_care), token_of="carol"), 4403),
        "malformed since": (socket(region_path(world, since="x"), token_of="erin"), 4400),
        "negative since": (socket(region_path(world, since="-1"), token_of="erin"), 4400),
    }

    async def run() -> dict[str, object]:
        outcome = {}
        for name, (communicator, _) in cases.items():
            connected, code = await communicator.connect(timeout=3)
            outcome[name] = "accepted" if connected else code
            await communicator.disconnect()
        return outcome

    assert async_to_sync(run)() == {name: code for name, (_, code) in cases.items()}


def test_each_way_in_that_is_allowed(world):
    session = Client()
    session.force_login(get_user_model().objects.get(username="carol"))
    cookie = (b"cookie", f"sessionid={session.cookies['sessionid'].value}".encode())
    header = (b"authorization", f"Token {token('alice')}".encode())
    sockets = {
        "coordinator, token in query": socket(region_path(world), token_of="erin"),
        "school, token header, no origin": socket(org_path(world.school), headers=[header]),
        "viewer at the school": socket(org_path(world.school), token_of="victor"),
        "care, session cookie and origin": socket(org_path(world.care), headers=[ORIGIN, cookie]),
    }

    async def run() -> dict[str, object]:
        outcome = {}
        for name, communicator in sockets.items():
            await communicator.connect(timeout=3)
            outcome[name] = (await communicator.receive_json_from(timeout=3))["type"]
            await communicator.disconnect()
        return outcome

    assert async_to_sync(run)() == {name: "stream.ready" for name in sockets}


# --- Catch-up -------------------------------------------------------------------------


def test_catch_up_from_since_then_live(world):
    record(world, n=5)
    erin = socket(region_path(world, since=2), token_of="erin")

    async def run():
        assert (await erin.connect(timeout=3))[0]
        caught_up = await received(erin)
        await database_sync_to_async(record)(world)
        live = await received(erin, until_ready=False)
        await erin.disconnect()
        return caught_up, live

    caught_up, live = async_to_sync(run)()
    assert seqs_of(caught_up) == [3, 4, 5]
    assert caught_up[-1] == {"type": "stream.ready", "region": world.region.pk, "seq": 5}
    assert all(m["region"] == world.region.pk for m in caught_up)
    assert "audience" not in caught_up[0]
    assert seqs_of(live) == [6]


def test_without_since_the_stream_starts_now(world):
    record(world, n=3)
    erin = socket(region_path(world), token_of="erin")

    async def run():
        await erin.connect(timeout=3)
        first = await received(erin)
        await database_sync_to_async(record)(world)
        live = await received(erin, until_ready=False)
        await erin.disconnect()
        return first, live

    first, live = async_to_sync(run)()
    assert first == [{"type": "stream.ready", "region": world.region.pk, "seq": 3}]
    assert seqs_of(live) == [4]


def test_an_event_in_the_catch_up_and_live_arrives_once(world):
    # Committed but not yet published: the catch-up reads them, then the publisher sends them.
    record(world, n=3, publish=False)
    erin = socket(region_path(world, since=0), token_of="erin")

    async def run():
        await erin.connect(timeout=3)
        caught_up = await received(erin)
        sent = await database_sync_to_async(publish_pending)()
        await database_sync_to_async(record)(world)
        live = await received(erin, until_ready=False)
        await erin.disconnect()
        return caught_up, sent, live

    caught_up, sent, live = async_to_sync(run)()
    assert seqs_of(caught_up) == [1, 2, 3]
    assert sent == 3
    assert seqs_of(live) == [4]


def test_more_events_than_one_batch_are_all_published_at_once(world):
    # A run can propose thousands in one commit: publishing after it must not stop at a batch.
    erin = socket(region_path(world), token_of="erin")

    async def run():
        await erin.connect(timeout=3)
        await received(erin)
        await database_sync_to_async(record)(world, n=7, publish=False)
        sent = await database_sync_to_async(publish_all_pending)(limit=3)
        live = await received(erin, until_ready=False)
        await erin.disconnect()
        return sent, live

    sent, live = async_to_sync(run)()
    assert sent == 7
    assert seqs_of(live) == [1, 2, 3, 4, 5, 6, 7]
    assert not Event.objects.filter(published_at__isnull=True).exists()


def test_a_live_event_that_reveals_a_gap_is_preceded_by_the_missing_ones(world):
    # Event 2 is committed but its publish is lost; event 3 arrives live: 2 comes from the DB.
    record(world, n=1)
    erin = socket(region_path(world, since=1), token_of="erin")

    async def run():
        await erin.connect(timeout=3)
        await received(erin)
        await database_sync_to_async(record)(world, n=2, publish=False)
        third = await database_sync_to_async(Event.objects.get)(seq=3)
        message = {"type": "leerplek.event", "event": event_message(third)}
        await get_channel_layer().group_send(region_group(world.region.pk), message)
        await get_channel_layer().group_send(region_group(world.region.pk), message)
        live = await received(erin, until_ready=False)
        await erin.disconnect()
        return live

    assert seqs_of(async_to_sync(run)()) == [2, 3]


def test_an_event_whose_live_message_was_lost_arrives_by_the_tail_check(world):
    # The last event of a burst is committed but its live message is lost (as when Redis
    # restarts): no later event reveals the gap, the tail check sends it.
    erin = socket(region_path(world), token_of="erin")
    carol = socket(org_path(world.care), token_of="carol")

    async def run():
        for s in (erin, carol):
            await s.connect(timeout=3)
            await received(s)
        await database_sync_to_async(record)(world, audience=[world.school.pk], publish=False)
        await database_sync_to_async(record)(world, audience=[world.care.pk], publish=False)
        region_msgs = [await erin.receive_json_from(timeout=3 * TAIL_CHECK_SECONDS)]
        region_msgs.append(await erin.receive_json_from(timeout=3 * TAIL_CHECK_SECONDS))
        care_msgs = [await carol.receive_json_from(timeout=3 * TAIL_CHECK_SECONDS)]
        nothing_more = await carol.receive_nothing(timeout=TAIL_CHECK_SECONDS + 0.5)
        for s in (erin, carol):
            await s.disconnect()
        return region_msgs, care_msgs, nothing_more

    region_msgs, care_msgs, nothing_more = async_to_sync(run)()
    assert seqs_of(region_msgs) == [1, 2]
    assert seqs_of(care_msgs) == [2] and nothing_more


# --- Audience -------------------------------------------------------------------------


def test_an_organisation_stream_gets_only_its_audience(world):
    school, care = world.school.pk, world.care.pk
    record(world, audience=[school])  # 1
    record(world, audience=[care])  # 2
    record(world, audience=[school, care])  # 3
    alice = socket(org_path(world.school, since=0), token_of="alice")
    bob = socket(org_path(world.other_school, since=0), token_of="bob")
    carol = socket(org_path(world.care, since=0), token_of="carol")

    async def run():
        out = {}
        for name, communicator in (("alice", alice), ("bob", bob), ("carol", carol)):
            await communicator.connect(timeout=3)
            out[name] = seqs_of(await received(communicator))
        await database_sync_to_async(record)(world, audience=[care])  # 4
        await database_sync_to_async(record)(world, audience=[])  # 5
        await database_sync_to_async(record)(world, audience=[school])  # 6
        for name, communicator in (("alice", alice), ("bob", bob), ("carol", carol)):
            out[name] += seqs_of(await received(communicator, until_ready=False))
            await communicator.disconnect()
        return out

    assert async_to_sync(run)() == {"alice": [1, 3, 6], "bob": [], "carol": [2, 3, 4]}


def test_messages_carry_ids_not_student_names(world):
    from tests import factories

    with transaction.atomic():
        request = factories.PlacementRequestFactory(
            school=world.school, student_name="Sanne Jansen"
        )
        outbox.record_event(
            region_id=world.region.pk,
            type="request.submitted",
            payload={"request_id": request.pk, "school_id": world.school.pk},
            audience=[world.school.pk],
        )
    alice = socket(org_path(world.school, since=0), token_of="alice")

    async def run():
        await alice.connect(timeout=3)
        messages = await received(alice)
        await alice.disconnect()
        return messages

    messages = async_to_sync(run)()
    assert "Sanne" not in str(messages) and messages[0]["payload"]["request_id"] == request.pk


def test_an_idle_stream_outlives_the_redis_socket_timeout(world):
    # redis-py 8 defaults to a 5 s socket timeout, as long as channels_redis' blocking pop
    # in its list-based layer: idle consumers crashed after 5 s. Whatever layer settings
    # choose, an idle socket must stay open and still receive.
    erin = socket(region_path(world, since=0), token_of="erin")

    async def run():
        await erin.connect(timeout=3)
        await received(erin)
        idle = await erin.receive_nothing(timeout=6.5, interval=0.5)
        await database_sync_to_async(record)(world)
        live = await received(erin, until_ready=False)
        await erin.disconnect()
        return idle, live

    idle, live = async_to_sync(run)()
    assert idle and seqs_of(live) == [1]
