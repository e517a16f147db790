"""Load tool for the event pipeline: POST -> outbox -> Celery allocation -> WebSocket.

    python -m tests.benchmarks.load_events --rate 20 --duration 30 --listeners 500

Creates (drops and recreates) its own database (default `leerplek_bench`), migrates and
seeds one region (a school, a care organisation with a plek and supervision big enough for
every request, a coordinator), starts uvicorn and one Celery worker (solo pool, default and
allocation queues) against it, then:

0. warm-up (--warmup requests, one at a time, not measured), then
1. steady load: submits requests at --rate per second for --duration seconds over HTTP (as
   the school, keep-alive connections) while --listeners sockets listen on the care
   organisation's stream (it receives every proposal) and one coordinator socket listens on
   the region stream. Reports the latency from the start of each POST to the
   `placement.proposed` event for that request on the coordinator socket (p50/p95/p99),
   submission throughput, and per proposal event the fan-out: from the event's commit
   (created_at) to its arrival at the last of the listeners, and the spread between the
   first and the last listener.
2. quiet fan-out: --fanout-events single submissions, one at a time, each waited for on all
   listeners: the fan-out time of one event to --listeners sockets without other load.

Not a pytest module (no test_ prefix). Needs PostgreSQL and Redis (REDIS_URL, default db 11).
Clients, server and worker share the machine's cores: the figures include that contention.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rate", type=float, default=20.0, help="submissions per second")
    p.add_argument("--duration", type=float, default=30.0, help="seconds of steady load")
    p.add_argument("--listeners", type=int, default=500, help="sockets on the care stream")
    p.add_argument("--fanout-events", type=int, default=10)
    p.add_argument(
        "--warmup",
        type=int,
        default=5,
        help="requests submitted one at a time before the steady load, not measured",
    )
    p.add_argument("--database", default="leerplek_bench")
    p.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    p.add_argument("--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/11"))
    p.add_argument("--http-connections", type=int, default=8)
    p.add_argument(
        "--web-workers", type=int, default=2, help="uvicorn processes (docker-compose runs 2)"
    )
    p.add_argument("--logs", default=str(ROOT / "var" / "bench"))
    p.add_argument(
        "--backlog",
        type=int,
        default=0,
        help="requests already in the region (placed by the warm-up's first, full run)",
    )
    return p.parse_args()


# --- Setup ----------------------------------------------------------------------------


def prepare(args: argparse.Namespace) -> dict[str, Any]:
    """Fresh database, migrated and seeded; returns ids and tokens."""
    import psycopg

    with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.database}"')
    import redis

    redis.Redis.from_url(args.redis).flushdb()
    env = child_env(args)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    os.environ.update(env)
    import django

    django.setup()
    from decimal import Decimal

    from rest_framework.authtoken.models import Token

    from placements.domain import OrganisationKind, Role
    from tests import factories

    n = int(args.rate * args.duration) + args.fanout_events + args.warmup + args.backlog + 50
    region = factories.RegionFactory(code="bench", name="Bench")
    org = factories.OrganisationFactory
    school = org(region=region, name="School", kind=OrganisationKind.SCHOOL)
    care = org(region=region, name="Care", kind=OrganisationKind.CARE)
    office = org(region=region, name="Office", kind=OrganisationKind.COORDINATION)
    location = factories.LocationFactory(organisation=care, latitude=52.09, longitude=5.12)
    opleiding = factories.OpleidingFactory()
    home = factories.PostcodeAreaFactory(code="3511")
    factories.PlekFactory(location=location, seats=n, opleidingen=[opleiding])
    for first in range(0, n, 1000):  # hours per source stay below the column's 10,000
        students = min(1000, n - first)
        factories.SupervisionSourceFactory(
            location=location, hours_per_week=Decimal(5 * students), max_students=students
        )
    factories.PlacementRequestFactory._meta.model.objects.bulk_create(
        factories.PlacementRequestFactory.build(
            school=school,
            region=region,
            opleiding=opleiding,
            home_postcode=home,
            acceptable_sectors=[],
            max_travel_km=50,
        )
        for _ in range(args.backlog)
    )
    tokens = {}
    for name, organisation in (("school", school), ("care", care), ("office", office)):
        user = factories.UserFactory(username=f"bench-{name}")
        factories.MembershipFactory(user=user, organisation=organisation, role=Role.EDITOR)
        tokens[name] = Token.objects.create(user=user).key
    from django.db import connections

    connections.close_all()
    return {
        "region": region.pk,
        "school": school.pk,
        "care": care.pk,
        "opleiding": opleiding.pk,
        "tokens": tokens,
    }


def child_env(args: argparse.Namespace) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"{args.pg}/{args.database}",
        "REDIS_URL": args.redis,
        "LEERPLEK_ENV": "development",
        "DEBUG": "false",  # as deployed: no query log, no static file finders
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONUNBUFFERED": "1",
    }


def start_processes(args: argparse.Namespace, port: int) -> list[subprocess.Popen]:
    from tests.integration.asgi_server import start_celery_worker, start_uvicorn

    logs = Path(args.logs)
    logs.mkdir(parents=True, exist_ok=True)
    env = child_env(args)
    web, _ = start_uvicorn(env, logs / "uvicorn.log", port=port, workers=args.web_workers)
    # As deployed (Procfile): allocation in its own worker, so notification work and
    # allocation do not queue behind each other.
    worker = start_celery_worker(env, logs / "worker.log", name="bench", queues="allocation")
    default_worker = start_celery_worker(
        env, logs / "worker-default.log", name="bench-default", queues="default"
    )
    return [web, worker, default_worker]


# --- Clients --------------------------------------------------------------------------


class Http:
    """A minimal keep-alive HTTP/1.1 client (the venv has no aiohttp/httpx)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, token: str, body: dict[str, Any]) -> tuple[int, Any]:
        try:
            return await self._post(path, token, body)
        except (ConnectionError, IndexError, asyncio.IncompleteReadError):
            # The server closed an idle keep-alive connection: open a new one, once.
            self.writer = None
            return await self._post(path, token, body)

    async def _post(self, path: str, token: str, body: dict[str, Any]) -> tuple[int, Any]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        data = json.dumps(body).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Authorization: Token {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n\r\n"
        )
        self.writer.write(head.encode() + data)
        await self.writer.drain()
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length, close = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            if name.lower() == "connection" and "close" in value.lower():
                close = True
        payload = await self.reader.readexactly(length) if length else b""
        if close:
            self.writer.close()
            self.writer = None
        return status, json.loads(payload) if payload else None


class Sockets:
    """Listener sockets; records when each proposal event reached each of them."""

    def __init__(self) -> None:
        self.arrivals: dict[int, list[float]] = {}  # seq -> wall-clock arrival times
        self.created: dict[int, float] = {}  # seq -> created_at (wall clock)
        self.proposed_at: dict[int, float] = {}  # request id -> arrival, coordinator socket
        self.proposal_created: dict[int, float] = {}  # request id -> the event's commit
        self.tasks: list[asyncio.Task] = []

    async def listen(self, url: str, origin: str, ready: asyncio.Event, coordinator: bool) -> None:
        from websockets.asyncio.client import connect

        async with connect(url, origin=origin, open_timeout=60, ping_interval=None) as ws:
            async for raw in ws:
                now = time.time()
                message = json.loads(raw)
                if message["type"] == "stream.ready":
                    ready.set()
                    continue
                if message["type"] != "placement.proposed":
                    continue
                if coordinator:
                    request_id = message["payload"]["request_id"]
                    self.proposed_at.setdefault(request_id, now)
                    self.proposal_created.setdefault(request_id, _timestamp(message["created_at"]))
                else:
                    self.arrivals.setdefault(message["seq"], []).append(now)
                    if message["seq"] not in self.created:
                        self.created[message["seq"]] = _timestamp(message["created_at"])


def _timestamp(iso: str) -> float:
    import datetime as dt

    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(root_pid: int) -> float:
    """User + system CPU seconds of a process and its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        times[pid] = (int(fields[11]) + int(fields[12])) / _TICKS
    total, todo = 0.0, [root_pid]
    while todo:
        pid = todo.pop()
        total += times.get(pid, 0.0)
        todo += children.get(pid, [])
    return total


def postgres_cpu_seconds() -> float:
    """CPU of every PostgreSQL process on the machine (its backends are not our children),
    with the ended backends' time that the postmaster collected."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    total += sum(int(f) for f in fields[11:15]) / _TICKS
            except OSError:
                continue
    return total


def cpu_snapshot(procs: dict[str, int]) -> dict[str, float]:
    snapshot = {name: cpu_seconds(pid) for name, pid in procs.items()}
    snapshot["postgres"] = postgres_cpu_seconds()
    own = os.times()
    snapshot["load generator"] = own.user + own.system
    return snapshot


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def body(opleiding: int, n: int) -> dict[str, Any]:
    return {
        "student_pseudonym": f"bench-{n:06d}",
        "student_name": f"Bench {n}",
        "home_postcode": "3511",
        "opleiding": opleiding,
        "doelgroep": "eerstejaars",
        "start_date": "2026-09-07",
        "end_date": "2027-01-29",
        "hours_per_week": "24",
        "max_travel_km": 50,
    }


async def run(
    args: argparse.Namespace, seed: dict[str, Any], port: int, procs: dict[str, int]
) -> dict[str, Any]:
    origin = f"http://127.0.0.1:{port}"
    tokens = seed["tokens"]
    care_url = f"ws://127.0.0.1:{port}/ws/v1/organisations/{seed['care']}/?token={tokens['care']}"
    region_url = f"ws://127.0.0.1:{port}/ws/v1/regions/{seed['region']}/?token={tokens['office']}"
    sockets = Sockets()
    readies = []
    t_connect = time.monotonic()
    for i in range(args.listeners + 1):
        ready = asyncio.Event()
        readies.append(ready)
        url, coordinator = (region_url, True) if i == 0 else (care_url, False)
        sockets.tasks.append(asyncio.create_task(sockets.listen(url, origin, ready, coordinator)))
        if i % 50 == 49:
            await asyncio.gather(*(r.wait() for r in readies))
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 120)
    connect_seconds = time.monotonic() - t_connect

    # 1. Steady load.
    clients = [Http(port) for _ in range(args.http_connections)]
    free: asyncio.Queue[Http] = asyncio.Queue()
    for client in clients:
        free.put_nowait(client)
    started: dict[int, float] = {}
    answered_at: dict[int, float] = {}
    statuses: list[int] = []
    answered: list[float] = []

    async def submit(n: int) -> None:
        client = await free.get()
        try:
            t0 = time.time()
            status, answer = await client.post(
                "/api/v1/requests/", tokens["school"], body(seed["opleiding"], n)
            )
            t1 = time.time()
            statuses.append(status)
            answered.append(t1 - t0)
            if status == 201:
                started[answer["id"]] = t0
                answered_at[answer["id"]] = t1
        finally:
            free.put_nowait(client)

    # Warm-up, not measured: the first requests meet cold processes (imports, first
    # connections, the engine's first run); a deployed service is warm.
    warmup_seconds = time.monotonic()
    for n in range(args.warmup):
        status, answer = await clients[0].post(
            "/api/v1/requests/", tokens["school"], body(seed["opleiding"], 900_000 + n)
        )
        deadline = time.monotonic() + 30
        while status == 201 and answer["id"] not in sockets.proposed_at:
            if time.monotonic() > deadline:
                raise RuntimeError("warm-up request was not proposed within 30 s")
            await asyncio.sleep(0.02)
    warmup_seconds = time.monotonic() - warmup_seconds

    total = int(args.rate * args.duration)
    pending = []
    cpu_before = cpu_snapshot(procs)
    t_start = time.monotonic()
    for n in range(total):
        delay = t_start + n / args.rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        pending.append(asyncio.create_task(submit(n)))
    await asyncio.gather(*pending)
    submit_seconds = time.monotonic() - t_start
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not set(started) <= set(sockets.proposed_at):
        await asyncio.sleep(0.1)
    await asyncio.sleep(2)  # let the last fan-outs land
    steady_seconds = time.monotonic() - t_start
    cpu_after = cpu_snapshot(procs)
    latencies = [
        sockets.proposed_at[r] - t0 for r, t0 in started.items() if r in sockets.proposed_at
    ]
    seen = [r for r in started if r in sockets.proposed_at]
    # Where the latency goes: the POST, then until the run commits the proposal, then the
    # publish and delivery to the coordinator's socket.
    answer_to_commit = [sockets.proposal_created[r] - answered_at[r] for r in seen]
    commit_to_socket = [sockets.proposed_at[r] - sockets.proposal_created[r] for r in seen]
    steady_fanout = fanout(sockets, args.listeners)

    # 2. Quiet fan-out: one event at a time.
    sockets.arrivals.clear()
    sockets.created.clear()
    for n in range(args.fanout_events):
        seqs_before = set(sockets.arrivals)
        await submit(total + n)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            new = set(sockets.arrivals) - seqs_before
            if new and all(len(sockets.arrivals[s]) >= args.listeners for s in new):
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)
    quiet_fanout = fanout(sockets, args.listeners)

    for task in sockets.tasks:
        task.cancel()
    return {
        "listeners": args.listeners,
        "connect_seconds": round(connect_seconds, 1),
        "warmup_seconds": round(warmup_seconds, 1),
        "submitted": total,
        "created": statuses.count(201),
        "other_statuses": sorted({s for s in statuses if s != 201}),
        "submit_seconds": round(submit_seconds, 2),
        "throughput_per_s": round(total / submit_seconds, 1),
        "post_answer_ms": ms_summary(answered),
        "proposal_events_seen": len(latencies),
        "latency_ms": ms_summary(latencies),
        "latency_parts_ms": {
            "post_answer_to_proposal_commit": ms_summary(answer_to_commit),
            "proposal_commit_to_coordinator_socket": ms_summary(commit_to_socket),
        },
        "cpu_seconds_steady_phase": {
            "wall": round(steady_seconds, 1),
            **{k: round(cpu_after[k] - cpu_before[k], 1) for k in cpu_after},
        },
        "fanout_steady": steady_fanout,
        "fanout_quiet": quiet_fanout,
    }


def ms_summary(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(pct(values, 50) * 1000),
        "p95": round(pct(values, 95) * 1000),
        "p99": round(pct(values, 99) * 1000),
        "max": round(max(values) * 1000) if values else float("nan"),
    }


def fanout(sockets: Sockets, listeners: int) -> dict[str, Any]:
    complete = {s: a for s, a in sockets.arrivals.items() if len(a) >= listeners}
    to_last = [max(a) - sockets.created[s] for s, a in complete.items()]
    spread = [max(a) - min(a) for a in complete.values()]
    return {
        "events": len(sockets.arrivals),
        "reached_all": len(complete),
        "commit_to_last_socket_ms": ms_summary(to_last),
        "first_to_last_socket_ms": ms_summary(spread),
    }


def main() -> None:
    args = parse_args()
    sys.path.insert(0, str(ROOT))
    from tests.integration.conftest import free_port, stop

    seed = prepare(args)
    port = free_port()
    procs = start_processes(args, port)
    names = ["web", "allocation worker", "default worker"]
    pids = {name: proc.pid for name, proc in zip(names, procs, strict=True)}
    try:
        result = asyncio.run(run(args, seed, port, pids))
    finally:
        for proc in procs:
            stop(proc)
    result["args"] = {k: v for k, v in vars(args).items() if k not in ("pg",)}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
