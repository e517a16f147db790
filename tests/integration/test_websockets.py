# ruff: noqa: F811 (pytest fixtures imported from asgi_server)
"""WebSocket proofs against real processes: uvicorn, a Celery worker, Redis, real clients.

HTTP goes over real sockets (urllib), WebSockets through the `websockets` client.
"""

from __future__ import annotations

import asyncio

import pytest

from placements.models import PlacementRequest
from tests.integration.asgi_server import (  # noqa: F401 (fixtures)
    Listener,
    asgi_server,
    eventually,
    in_thread,
    refusal_status,
    region,
    region_seqs,
    settled,
    submit,
    urls,
    ws_celery_worker,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_posted_request_reaches_coordinator_and_care_but_not_another_school(
    region, asgi_server, ws_celery_worker
):
    w, server = region, asgi_server

    async def scenario():
        listeners = {name: Listener(url, server.origin) for name, url in urls(server, w).items()}
        for listener in listeners.values():
            listener.start()
        for listener in listeners.values():
            await asyncio.wait_for(listener.ready.wait(), 10)
        status, body = await submit(server, w, 1)
        assert status == 201, body

        def proposed(name):
            return [e for e in listeners[name].events if e["type"] == "placement.proposed"]

        await eventually(lambda: proposed("region") and proposed("carol"), 30, "proposal events")
        await eventually(lambda: proposed("alice"), 5, "proposal on the school stream")
        await asyncio.sleep(0.5)  # Give a stray event to bob the chance to show up.
        for listener in listeners.values():
            await listener.stop()
        return body, {name: listener.events for name, listener in listeners.items()}, proposed

    body, events, _ = asyncio.run(scenario())
    placement = events["region"][[e["type"] for e in events["region"]].index("placement.proposed")]
    assert placement["payload"]["request_id"] == body["id"]
    assert [e["payload"] for e in events["carol"]] == [placement["payload"]]
    assert [e["type"] for e in events["alice"]] == ["request.submitted", "placement.proposed"]
    assert events["bob"] == []
    assert "Student 1" not in str(events)


def test_the_real_server_refuses_strangers(region, asgi_server):
    w, server = region, asgi_server
    school, other_school = w.school.pk, w.other_school.pk
    token = w.tokens

    async def scenario():
        return {
            "no credentials": await refusal_status(
                server.ws(f"/ws/v1/organisations/{school}/"), origin=server.origin
            ),
            # A script without a token sends no Origin either: it must hear 401, not 403.
            "no credentials, no origin": await refusal_status(
                server.ws(f"/ws/v1/organisations/{school}/")
            ),
            "foreign origin": await refusal_status(
                server.ws(f"/ws/v1/organisations/{school}/?token={token['alice']}"),
                origin="https://evil.example",
            ),
            "another school's stream": await refusal_status(
                server.ws(f"/ws/v1/organisations/{other_school}/?token={token['alice']}"),
                origin=server.origin,
            ),
            "own stream": await refusal_status(
                server.ws(f"/ws/v1/organisations/{school}/?token={token['alice']}"),
                origin=server.origin,
            ),
            "own stream, header token, no origin": await refusal_status(
                server.ws(f"/ws/v1/organisations/{school}/"),
                headers={"Authorization": f"Token {token['alice']}"},
            ),
        }

    assert asyncio.run(scenario()) == {
        "no credentials": 401,
        "no credentials, no origin": 401,
        "foreign origin": 403,
        "another school's stream": 403,
        "own stream": "accepted",
        "own stream, header token, no origin": "accepted",
    }


def test_a_client_disconnected_during_a_burst_catches_up_exactly(
    region, asgi_server, ws_celery_worker
):
    w, server = region, asgi_server
    burst = 24

    async def scenario():
        coordinator = Listener(urls(server, w)["region"], server.origin)
        school = Listener(urls(server, w)["alice"], server.origin)
        for listener in (coordinator, school):
            listener.start()
            await asyncio.wait_for(listener.ready.wait(), 10)
        statuses = []
        for n in range(burst):
            if n == 6:
                await eventually(lambda: coordinator.events and school.events, 15, "first events")
                await coordinator.drop()
                await school.drop()
            if n == 18:
                coordinator.resume()
                school.resume()
            statuses.append((await submit(server, w, n))[0])
        await eventually(lambda: in_thread(settled, w.region.pk), 45, "allocation settled")
        final = await in_thread(region_seqs, w.region.pk)
        final_school = await in_thread(region_seqs, w.region.pk, w.school.pk)
        await eventually(lambda: coordinator.seqs[-1:] == final[-1:], 10, "coordinator caught up")
        await eventually(lambda: school.seqs[-1:] == final_school[-1:], 10, "school caught up")
        for listener in (coordinator, school):
            await listener.stop()
        return statuses, final, final_school, coordinator, school

    statuses, final, final_school, coordinator, school = asyncio.run(scenario())
    assert statuses == [201] * burst
    assert PlacementRequest.objects.filter(region=w.region).count() == burst
    assert coordinator.connections == 2 and school.connections == 2
    assert coordinator.seqs == final == list(range(1, len(final) + 1))
    assert school.seqs == final_school
    kinds = {e["type"] for e in coordinator.events}
    assert {"request.submitted", "placement.proposed", "allocation.finished"} <= kinds
