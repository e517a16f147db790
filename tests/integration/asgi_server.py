"""Real processes for the WebSocket proofs: uvicorn serving config.asgi, a Celery worker, beat,
a private Redis; and the clients that talk to them as a browser or script would.

Fixtures: `asgi_server` (uvicorn on a free port), `ws_celery_worker` (a worker on the
default and allocation queues). Both run on the pytest-django test database through
`process_env`, so tests using them need `@pytest.mark.django_db(transaction=True)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from coordination.models import AllocationQueue
from events.models import Event
from tests import factories
from tests.integration.conftest import PYTHON, ROOT, free_port, stop, wait_for_port

# --- Processes ------------------------------------------------------------------------


def start_uvicorn(
    env: dict[str, str], log: Path, port: int | None = None, workers: int = 1
) -> tuple[subprocess.Popen, int]:
    port = port or free_port()
    cmd = [
        PYTHON, "-m", "uvicorn", "config.asgi:application",
        "--host", "127.0.0.1", "--port", str(port),
        "--ws", "websockets-sansio", "--lifespan", "off",
        "--log-level", "warning", "--no-access-log",
        # Some consumer tasks outlive their socket (see docs/benchmarks.md, Event pipeline):
        # do not wait for them at shutdown.
        "--timeout-graceful-shutdown", "2",
        "--workers", str(workers),
        # As deployed: events are small JSON; compressing every frame for every socket
        # costs most of the fan-out's CPU (see docs/benchmarks.md).
        "--ws-per-message-deflate", "false",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    wait_for_port(port, timeout=30, proc=proc)
    return proc, port


def start_celery_worker(
    env: dict[str, str], log: Path, name: str = "ws", queues: str = "default,allocation"
) -> subprocess.Popen:
    cmd = [
        PYTHON, "-m", "celery", "-A", "config", "worker",
        "--queues", queues, "--concurrency", "1", "--pool", "solo",
        "--hostname", f"{name}@%h", "--without-gossip", "--without-mingle", "--loglevel", "INFO",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    wait_for_log(log, "ready.", timeout=30, proc=proc)
    return proc


def start_celery_beat(env: dict[str, str], log: Path, schedule: Path) -> subprocess.Popen:
    cmd = [
        PYTHON, "-m", "celery", "-A", "config", "beat",
        "--schedule", str(schedule), "--loglevel", "INFO",
    ]  # fmt: skip
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def start_redis(port: int, log: Path) -> subprocess.Popen:
    """A private, non-persistent Redis: restarting it loses everything, like a crash would."""
    cmd = [
        "redis-server",
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ]
    proc = subprocess.Popen(cmd, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    wait_for_port(port, timeout=10, proc=proc)
    return proc


def wait_for_log(
    log: Path, text: str, timeout: float, proc: subprocess.Popen | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in log.read_text(errors="replace"):
            return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}; see {log}")
        time.sleep(0.1)
    raise TimeoutError(f"{text!r} not in {log} after {timeout}s")


def wait_until(condition: Callable[[], Any], timeout: float, what: str, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(f"not within {timeout}s: {what}")


@dataclass
class Server:
    port: int
    proc: subprocess.Popen
    log: Path

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"


@pytest.fixture
def asgi_server(process_env: dict[str, str], tmp_path: Path) -> Iterator[Server]:
    log = tmp_path / "uvicorn.log"
    proc, port = start_uvicorn(process_env, log)
    try:
        yield Server(port=port, proc=proc, log=log)
    finally:
        stop(proc)


@pytest.fixture
def ws_celery_worker(process_env: dict[str, str], tmp_path: Path) -> Iterator[subprocess.Popen]:
    proc = start_celery_worker(process_env, tmp_path / "worker.log")
    try:
        yield proc
    finally:
        stop(proc)


# --- Data -----------------------------------------------------------------------------


@pytest.fixture
def region(world):
    """A care plek with room for a few students, and tokens for the named users."""
    location = factories.LocationFactory(organisation=world.care, latitude=52.09, longitude=5.12)
    opleiding = factories.OpleidingFactory()
    factories.PostcodeAreaFactory(code="3511")
    factories.PlekFactory(location=location, seats=50, opleidingen=[opleiding])
    factories.SupervisionSourceFactory(
        location=location,
        hours_per_week=Decimal("200"),
        max_students=50,
    )
    users = get_user_model().objects.filter(username__in=["alice", "bob", "carol", "erin"])
    world.tokens = {u.username: Token.objects.get_or_create(user=u)[0].key for u in users}
    world.opleiding = opleiding
    return world


def urls(server, w):
    return {
        "region": server.ws(f"/ws/v1/regions/{w.region.pk}/?token={w.tokens['erin']}"),
        "alice": server.ws(f"/ws/v1/organisations/{w.school.pk}/?token={w.tokens['alice']}"),
        "bob": server.ws(f"/ws/v1/organisations/{w.other_school.pk}/?token={w.tokens['bob']}"),
        "carol": server.ws(f"/ws/v1/organisations/{w.care.pk}/?token={w.tokens['carol']}"),
    }


async def submit(server, w, n: int) -> tuple[int, object]:
    url = f"{server.origin}/api/v1/requests/"
    return await asyncio.to_thread(
        post_json, url, w.tokens["alice"], request_body(w.opleiding.pk, n)
    )


def settled(region_id: int) -> bool:
    """No allocation pending or running, and every event published."""
    queue = AllocationQueue.objects.filter(region_id=region_id).first()
    return (
        queue is not None
        and not queue.pending
        and not queue.lease_owner
        and not Event.objects.filter(region_id=region_id, published_at__isnull=True).exists()
    )


def region_seqs(region_id: int, organisation_id: int | None = None) -> list[int]:
    events = Event.objects.filter(region_id=region_id).order_by("seq")
    return [e.seq for e in events if organisation_id is None or organisation_id in e.audience]


# --- Clients --------------------------------------------------------------------------


def post_json(url: str, token: str, body: dict[str, Any], timeout: float = 15) -> tuple[int, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def request_body(opleiding_id: int, n: int) -> dict[str, Any]:
    return {
        "student_pseudonym": f"stu-{n:05d}",
        "student_name": f"Student {n}",
        "home_postcode": "3511",
        "opleiding": opleiding_id,
        "doelgroep": "eerstejaars",
        "start_date": "2026-09-07",
        "end_date": "2027-01-29",
        "hours_per_week": "24",
        "max_travel_km": 50,
    }


async def refusal_status(
    url: str, origin: str | None = None, headers: dict | None = None
) -> int | str:
    """The HTTP status that refused the handshake, or "accepted"."""
    try:
        async with connect(url, origin=origin, additional_headers=headers, open_timeout=10):
            return "accepted"
    except InvalidStatus as error:
        return error.response.status_code


@dataclass
class Listener:
    """A client of one stream: keeps every event it got, reconnects with its last seq.

    `seqs` must never repeat or go down: the test checks it. `connections` counts the
    sockets it opened (1 + reconnects).
    """

    url: str
    origin: str
    since: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    connections: int = 0
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    paused: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task | None = None
    _socket: Any = None

    @property
    def seqs(self) -> list[int]:
        return [e["seq"] for e in self.events]

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            if self.paused.is_set():
                await asyncio.sleep(0.05)
                continue
            sep = "&" if "?" in self.url else "?"
            try:
                async with connect(f"{self.url}{sep}since={self.since}", origin=self.origin) as ws:
                    self._socket = ws
                    self.connections += 1
                    async for raw in ws:
                        message = json.loads(raw)
                        if message["type"] == "stream.ready":
                            self.ready.set()
                            continue
                        self.events.append(message)
                        self.since = message["seq"]
            except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError):
                pass
            self._socket = None
            await asyncio.sleep(0.2)  # The server or Redis is away: try again.

    async def drop(self) -> None:
        """Disconnect and stay away until `resume`."""
        self.paused.set()
        self.ready.clear()
        if self._socket is not None:
            await self._socket.close()

    def resume(self) -> None:
        self.paused.clear()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task


async def in_thread(function: Callable[..., Any], *args: Any) -> Any:
    """Run a function that uses the ORM off the event loop; close its connection after."""

    def call() -> Any:
        from django.db import connections

        try:
            return function(*args)
        finally:
            connections.close_all()

    return await asyncio.to_thread(call)


async def eventually(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """Wait for condition() (a value, or an awaitable of one) to be truthy, with a deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        await asyncio.sleep(0.05)
    raise TimeoutError(f"not within {timeout}s: {what}")
