"""Allocation in a real Celery worker: coalesced, idempotent, crash-safe, consistent.

Every test here runs a real `celery worker` process (and, for the crash, `celery beat`) on
the test database and Redis. Where a test must catch the worker in the middle of a run, it
holds a row lock the run needs (a plek, then the region) from a separate connection: the
worker then waits inside `store_result`'s transaction, with proposals written but not yet
committed, as long as the test wants. No sleep or hook in production code is needed, and
the point of the kill is exact rather than a matter of timing.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal

import psycopg
import pytest
import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from coordination import engine
from coordination.engine.jsonio import result_from_dict
from coordination.loading import REFUSED_PLACEMENTS, load_problem
from coordination.models import AllocationQueue, AllocationRun, RunStatus, UnplacedRequest
from coordination.services import (
    allocation_claim,
    allocation_release,
    store_result,
)
from coordination.triggers import request_allocation
from events.models import Event
from placements.domain import LIVE_PLACEMENT_STATUSES, PlacementStatus, RequestStatus
from placements.lifecycle import placement_accept, placement_decline
from placements.models import (
    Placement,
    PlacementRequest,
    PlacementSupervision,
    Plek,
    Region,
    SupervisionSource,
)
from placements.services import request_submit
from tests import factories
from tests.integration import celery_worker as celery_processes
from tests.integration.conftest import database_url_for_test_db
from workers.tasks import allocate_region

celery_worker = celery_processes.celery_worker
celery_beat = celery_processes.celery_beat

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

LIVE = tuple(s.value for s in LIVE_PLACEMENT_STATUSES)


# --- Waiting ------------------------------------------------------------------------------


def wait_for(predicate: Callable[[], object], timeout: float, what: str) -> object:
    """Poll `predicate` until it is truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def broker() -> redis.Redis:
    return redis.Redis.from_url(os.environ["REDIS_URL"])


def broker_idle(*, ignore_unacked: bool = False) -> bool:
    """No task waiting in a queue, and (unless ignored) none delivered but not yet acked."""
    r = broker()
    waiting = r.llen("allocation") + r.llen("default")
    return waiting == 0 and (ignore_unacked or r.hlen("unacked") == 0)


def region_settled(region: Region) -> bool:
    """No run pending, none holding the lease, none marked running."""
    queue = AllocationQueue.objects.filter(region=region).first()
    return (
        queue is not None
        and not queue.pending
        and not queue.lease_owner
        and not AllocationRun.objects.filter(region=region, status=RunStatus.RUNNING).exists()
    )


def wait_until_settled(region: Region, timeout: float = 60.0, **idle: bool) -> None:
    """Region settled and the broker idle, twice in a row (a task between queue and ack)."""

    def settled_twice() -> bool:
        if not (region_settled(region) and broker_idle(**idle)):
            return False
        time.sleep(0.2)
        return region_settled(region) and broker_idle(**idle)

    wait_for(settled_twice, timeout, f"allocation in {region} to settle")


def task_succeeded(worker_log: str, task_id: str) -> int:
    return len(re.findall(rf"allocate_region\[{re.escape(task_id)}\] succeeded", worker_log))


# --- Building a region --------------------------------------------------------------------


def build_region(
    world, *, locations: int, plekken_per_location: int, seats: int, hours: str, students: int
) -> list[Plek]:
    """Care locations of carol's organisation, each with plekken and one werkbegeleider."""
    opleiding = factories.OpleidingFactory()
    plekken = []
    for _ in range(locations):
        location = factories.LocationFactory(organisation=world.care)
        plekken += [
            factories.PlekFactory(location=location, seats=seats, opleidingen=[opleiding])
            for _ in range(plekken_per_location)
        ]
        factories.SupervisionSourceFactory(
            location=location, hours_per_week=Decimal(hours), max_students=students
        )
    return plekken


def request_data(n: int) -> dict:
    """A student that every plek of build_region fits (eerstejaars: 4 h a week of supervision)."""
    return {
        "student_pseudonym": f"stu-{n:05d}-{uuid.uuid4().hex[:6]}",
        "home_postcode": factories.PostcodeAreaFactory(),
        "opleiding": factories.OpleidingFactory(),
        "doelgroep": "eerstejaars",
        "start_date": factories.START,
        "end_date": dt.date(2027, 1, 29),
        "hours_per_week": Decimal("24"),
        "acceptable_sectors": ["vvt"],
        "max_travel_km": 25,
    }


def submit(world, count: int) -> list[PlacementRequest]:
    """Submissions as the API makes them: each one commits and triggers an allocation."""
    return [request_submit(school=world.school, data=request_data(i)) for i in range(count)]


# --- Invariants, from the database rows ---------------------------------------------------

_LIVE_WEEKS = f"""
    WITH live AS (
        SELECT p.id, p.plek_id, r.start_date, r.end_date
        FROM {Placement._meta.db_table} p
        JOIN {PlacementRequest._meta.db_table} r ON r.id = p.request_id
        WHERE p.status = ANY(%(live)s) AND r.region_id = %(region)s
    ), weeks AS (
        SELECT l.id, l.plek_id, w::date AS week
        FROM live l, generate_series(
            date_trunc('week', l.start_date::timestamp), l.end_date::timestamp, interval '1 week'
        ) AS w
    )
"""

SEATS_OVERBOOKED = (
    _LIVE_WEEKS
    + f"""
    SELECT w.plek_id, w.week, count(*), k.seats
    FROM weeks w JOIN {Plek._meta.db_table} k ON k.id = w.plek_id
    GROUP BY w.plek_id, w.week, k.seats
    HAVING count(*) > k.seats
"""
)

HOURS_OVERBOOKED = (
    _LIVE_WEEKS
    + f"""
    SELECT d.source_id, w.week, sum(d.source_hours), count(*), s.hours_per_week, s.max_students
    FROM weeks w
    JOIN {PlacementSupervision._meta.db_table} d ON d.placement_id = w.id
    JOIN {SupervisionSource._meta.db_table} s ON s.id = d.source_id
    GROUP BY d.source_id, w.week, s.hours_per_week, s.max_students
    HAVING sum(d.source_hours) > s.hours_per_week
        OR (s.max_students IS NOT NULL AND count(*) > s.max_students)
"""
)

TWO_LIVE_PLACEMENTS = f"""
    SELECT p.request_id, count(*)
    FROM {Placement._meta.db_table} p
    JOIN {PlacementRequest._meta.db_table} r ON r.id = p.request_id
    WHERE p.status = ANY(%(live)s) AND r.region_id = %(region)s
    GROUP BY p.request_id HAVING count(*) > 1
"""


def booking_violations(region_id: int, cursor=None) -> list[tuple]:
    """Seats per plek per week, hours and students per source per week, live per request.

    Plain SQL over the rows, independent of the engine; each statement sees one snapshot.
    """
    out: list[tuple] = []
    params = {"live": list(LIVE), "region": region_id}

    def run(cur) -> None:
        for name, sql in (
            ("seats", SEATS_OVERBOOKED),
            ("hours", HOURS_OVERBOOKED),
            ("two_live", TWO_LIVE_PLACEMENTS),
        ):
            cur.execute(sql, params)
            out.extend((name, *row) for row in cur.fetchall())

    if cursor is not None:
        run(cursor)
    else:
        with connection.cursor() as cur:
            run(cur)
    return out


def checker_violations(region: Region) -> list[engine.Violation]:
    """The engine's independent feasibility checker on the region's live placements."""
    problem = load_problem(region).problem
    live = Placement.objects.filter(request__region=region, status__in=LIVE).prefetch_related(
        "draws"
    )
    assignments = tuple(
        engine.Assignment(
            request_id=p.request_id,
            plek_id=p.plek_id,
            draws=tuple(
                engine.Draw(
                    source_id=d.source_id,
                    load_hours=float(d.load_hours),
                    source_hours=float(d.source_hours),
                )
                for d in p.draws.all()
            ),
        )
        for p in live
    )
    placed = {a.request_id for a in assignments}
    unplaced = tuple(
        engine.Unplaced(request_id=r.id, reason="not_placed")
        for r in problem.requests
        if r.id not in placed
    )
    return engine.check_feasibility(problem, engine.Result(assignments, unplaced))


def snapshot(region: Region) -> dict:
    """Everything an allocation can change, to compare before and after."""
    return {
        "runs": AllocationRun.objects.filter(region=region).count(),
        "placements": sorted(
            Placement.objects.filter(request__region=region).values_list(
                "pk", "request_id", "plek_id", "status"
            )
        ),
        "draws": PlacementSupervision.objects.filter(placement__request__region=region).count(),
        "unplaced": UnplacedRequest.objects.filter(run__region=region).count(),
        "requests": sorted(
            PlacementRequest.objects.filter(region=region).values_list("pk", "status")
        ),
        "events": Event.objects.filter(region=region).count(),
        "last_seq": Region.objects.get(pk=region.pk).last_event_seq,
    }


def assert_every_request_accounted_for(region: Region, run: AllocationRun) -> None:
    """Each request in the region has one live placement or is explained by `run`."""
    requests = set(
        PlacementRequest.objects.filter(region=region)
        .exclude(status=RequestStatus.WITHDRAWN)
        .values_list("pk", flat=True)
    )
    placed = set(
        Placement.objects.filter(request__region=region, status__in=LIVE).values_list(
            "request_id", flat=True
        )
    )
    explained = set(run.unplaced_requests.values_list("request_id", flat=True))
    assert run.requests_considered == len(requests)
    assert requests == placed | explained, "a request was lost"
    assert not placed & explained
    considered = {a["request_id"] for a in run.result["assignments"]} | {
        u["request_id"] for u in run.result["unplaced"]
    }
    assert considered == requests


# --- Threads with their own database connections ------------------------------------------


def in_threads(
    targets: list[Callable[[], object]], timeout: float = 60.0, max_connections: int = 16
) -> list[object]:
    """Run the callables at once (a barrier), each in a thread with its own connection.

    At most `max_connections` threads hold a database connection at a time: the PostgreSQL
    server is shared, and its 100 connections are not all ours.
    """
    barrier = threading.Barrier(len(targets))
    slots = threading.BoundedSemaphore(max_connections)
    results: list[object] = [None] * len(targets)

    def run(i: int, target: Callable[[], object]) -> None:
        try:
            barrier.wait()
            with slots:
                try:
                    results[i] = target()
                finally:
                    connections.close_all()
        except BaseException as exc:  # reported to the test below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
        assert not t.is_alive(), "a thread hung"
    return results


@contextmanager
def row_lock(table: str, *pks: int) -> Iterator[psycopg.Connection]:
    """Hold `SELECT ... FOR UPDATE` on rows from a separate connection until exit."""
    conn = psycopg.connect(database_url_for_test_db())
    try:
        conn.execute(f"SELECT id FROM {table} WHERE id = ANY(%s) FOR UPDATE", (list(pks),))
        yield conn
    finally:
        conn.rollback()
        conn.close()


def backend_waiting_for(table: str) -> int | None:
    """The pid of a backend blocked on a row lock of `table` (a worker inside store_result)."""
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT pid FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock'
              AND query ILIKE %s
            """,
            [f'%FROM "{table}"%FOR UPDATE%'],
        )
        row = cur.fetchone()
    return row[0] if row else None


def backend_gone(pid: int) -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        return cur.fetchone()[0] == 0


# --- A task delivered twice ---------------------------------------------------------------


def test_a_task_delivered_twice_changes_nothing_twice(world, celery_worker):
    build_region(world, locations=2, plekken_per_location=1, seats=2, hours="8", students=2)
    for i in range(6):
        PlacementRequest.objects.create(school=world.school, region=world.region, **request_data(i))
    AllocationQueue.objects.update_or_create(
        region=world.region,
        defaults={"pending": True, "requested_at": timezone.now(), "reason": "test"},
    )
    # The same message twice, as a broker redelivers it (same task id, same pending state).
    task_id = str(uuid.uuid4())
    allocate_region.apply_async((world.region.pk,), task_id=task_id)
    allocate_region.apply_async((world.region.pk,), task_id=task_id)
    assert broker().llen("allocation") == 2

    worker = celery_worker()
    wait_for(lambda: task_succeeded(worker.log(), task_id) == 2, 30, "both deliveries")
    wait_until_settled(world.region)

    run = AllocationRun.objects.get(region=world.region)
    assert run.status == RunStatus.FINISHED and run.placed == 4 and run.unplaced == 2
    once = snapshot(world.region)
    assert len(once["placements"]) == 4
    assert Event.objects.filter(type="placement.proposed").count() == 4
    assert Event.objects.filter(type="allocation.finished").count() == 1

    # A third delivery, well after the first two: still nothing new.
    allocate_region.apply_async((world.region.pk,), task_id=task_id)
    wait_for(lambda: task_succeeded(worker.log(), task_id) == 3, 30, "the third delivery")
    wait_until_settled(world.region)
    assert snapshot(world.region) == once

    # Storing the finished run's result again changes nothing either.
    store_result(run=run, loaded=load_problem(world.region), result=result_from_dict(run.result))
    assert snapshot(world.region) == once
    assert booking_violations(world.region.pk) == []
    assert checker_violations(world.region) == []


def test_storing_one_result_twice_at_once_stores_it_once(world):
    """Two deliveries of the same run storing concurrently: the run row lock lets one in."""
    build_region(world, locations=2, plekken_per_location=1, seats=2, hours="8", students=2)
    for i in range(6):
        PlacementRequest.objects.create(school=world.school, region=world.region, **request_data(i))
    run = AllocationRun.objects.create(
        region=world.region, status=RunStatus.RUNNING, started_at=timezone.now()
    )
    loaded = load_problem(world.region)
    result = engine.solve(loaded.problem)
    assert len(result.assignments) == 4

    outcomes = in_threads(
        [lambda: store_result(run=run, loaded=loaded, result=result) for _ in range(2)]
    )

    assert outcomes == [None, None]
    assert Placement.objects.filter(status=PlacementStatus.PROPOSED).count() == 4
    assert PlacementSupervision.objects.count() == 4
    assert Event.objects.filter(type="placement.proposed").count() == 4
    assert Event.objects.filter(type="allocation.finished").count() == 1
    assert UnplacedRequest.objects.filter(run=run).count() == 2
    assert booking_violations(world.region.pk) == []


# --- A worker killed in the middle of a run -----------------------------------------------


def test_a_worker_killed_mid_run_loses_nothing_and_books_nothing_twice(
    world, celery_worker, celery_beat
):
    """SIGKILL while store_result has written proposals but not committed them.

    Recovery comes from the database: the dead worker's lease runs out (30 s at most) and
    beat's sweeper (every 2 s here, 15 s by default) enqueues the region again. Beat runs as
    a real process so the whole production path is proven: schedule → sweeper task → task on
    the allocation queue → lease → run. The broker alone would hand the task back only after
    its visibility timeout, an hour.
    """
    region = world.region
    # 6 locations × (2 plekken of 2 seats, 12 h of werkbegeleiding for at most 3 students):
    # supervision, not seats, limits the region to 18 students.
    build_region(world, locations=6, plekken_per_location=2, seats=2, hours="12", students=3)
    first = celery_worker()
    submit(world, 12)
    wait_until_settled(region)
    proposals = list(Placement.objects.filter(status=PlacementStatus.PROPOSED).order_by("pk"))
    assert len(proposals) == 12
    for placement in proposals[:5]:
        placement_accept(placement=placement, by=world.care)
    accepted = {p.pk: (p.request_id, p.plek_id) for p in proposals[:5]}
    before = snapshot(region)

    # store_result locks the plekken of its new proposals: holding every plek of the region
    # stops it there, before it writes.
    all_plekken = list(Plek.objects.filter(region=region).values_list("pk", flat=True))
    with row_lock(Plek._meta.db_table, *all_plekken) as plek_lock:
        submit(world, 10)
        pid = wait_for(
            lambda: backend_waiting_for(Plek._meta.db_table), 30, "store_result to reach the plek"
        )
        killed_run = AllocationRun.objects.get(region=region, status=RunStatus.RUNNING)
        with row_lock(Region._meta.db_table, region.pk):
            plek_lock.rollback()  # store_result goes on, writes proposals, then needs the region
            wait_for(
                lambda: backend_waiting_for(Region._meta.db_table) == pid,
                30,
                "store_result to write its proposals and wait to record their event",
            )
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT xact_start IS NOT NULL FROM pg_stat_activity WHERE pid = %s", [pid]
                )
                assert cur.fetchone()[0]  # in the middle of store_result's transaction
                cur.execute(
                    """
                    SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                    WHERE l.pid = %s AND c.relname = %s AND l.mode = 'RowExclusiveLock'
                    """,
                    [pid, Placement._meta.db_table],
                )
                assert cur.fetchone()[0] == 1  # ... having written placements, not committed
            first.kill()
            killed_at = time.monotonic()
    # The dead worker's backend gets the lock, finds its client gone and rolls back.
    wait_for(lambda: backend_gone(pid), 30, "the dead worker's transaction to end")

    assert not first.alive()
    killed_run.refresh_from_db()
    assert killed_run.status == RunStatus.RUNNING  # nobody told the database
    assert broker().hlen("unacked") >= 1  # the broker still holds the task, for an hour
    assert snapshot(region)["placements"] == before["placements"]  # nothing half-stored
    submit(world, 3)  # submissions while no worker is alive

    celery_beat(ALLOCATION_SWEEP_SECONDS="2")
    second = celery_worker()

    def recovered() -> bool:
        return AllocationRun.objects.filter(
            region=region, pk__gt=killed_run.pk, status=RunStatus.FINISHED
        ).exists() and region_settled(region)

    wait_for(recovered, 60 - (time.monotonic() - killed_at), "a new run within a minute")
    recovered_after = time.monotonic() - killed_at
    assert recovered_after < 60
    assert second.alive()

    killed_run.refresh_from_db()
    assert killed_run.status == RunStatus.FAILED and killed_run.failure_reason == "worker_lost"
    assert killed_run.error.startswith("The worker running this allocation stopped")
    failed = Event.objects.get(type="allocation.failed", payload__run_id=killed_run.pk)
    assert failed.payload["reason"] == "worker_lost" and failed.payload["first_failure"]
    assert not Placement.objects.filter(allocation_run=killed_run).exists()
    final = AllocationRun.objects.filter(region=region, status=RunStatus.FINISHED).latest("pk")
    # No request lost: all 25 were considered and each is placed or explained.
    assert PlacementRequest.objects.filter(region=region).count() == 25
    assert_every_request_accounted_for(region, final)
    assert final.placed == 18
    # Accepted placements never moved.
    for pk, (request_id, plek_id) in accepted.items():
        placement = Placement.objects.get(pk=pk)
        assert placement.status == PlacementStatus.ACCEPTED
        assert (placement.request_id, placement.plek_id) == (request_id, plek_id)
    # Nothing booked twice: seats and hours per week, from the rows and by the checker.
    assert booking_violations(region.pk) == []
    assert checker_violations(region) == []
    # Every proposal was stored and announced exactly once; event numbers have no gaps.
    assert Event.objects.filter(region=region, type="placement.proposed").count() == (
        Placement.objects.filter(request__region=region).count()
    )
    seqs = list(Event.objects.filter(region=region).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    print(f"recovered {recovered_after:.1f}s after the kill")


# --- Coalescing ---------------------------------------------------------------------------


def test_triggers_during_a_run_lead_to_exactly_one_more_run(world, celery_worker):
    plekken = build_region(
        world, locations=2, plekken_per_location=1, seats=4, hours="16", students=4
    )
    celery_worker()

    with row_lock(Plek._meta.db_table, *(p.pk for p in plekken)):
        submit(world, 1)
        wait_for(lambda: backend_waiting_for(Plek._meta.db_table), 30, "the first run")
        # Six triggers (and their tasks) and three more deliveries while the run is busy.
        submit(world, 6)
        for _ in range(3):
            allocate_region.delay(world.region.pk)
    wait_until_settled(world.region)

    runs = list(AllocationRun.objects.filter(region=world.region).order_by("pk"))
    assert [r.status for r in runs] == [RunStatus.FINISHED, RunStatus.FINISHED]
    assert [r.requests_considered for r in runs] == [1, 7]
    assert runs[1].started_at >= runs[0].finished_at
    assert_every_request_accounted_for(world.region, runs[1])
    assert booking_violations(world.region.pk) == []


def test_a_trigger_from_a_host_with_a_slow_clock_is_not_lost(world, celery_worker, monkeypatch):
    """Web and worker run on different hosts, whose clocks differ: a trigger that arrives
    during a run must still cause one more run, whatever the clock of the host it came from.
    """
    plekken = build_region(
        world, locations=1, plekken_per_location=1, seats=4, hours="16", students=4
    )
    celery_worker()

    with row_lock(Plek._meta.db_table, *(p.pk for p in plekken)):
        submit(world, 1)
        wait_for(lambda: backend_waiting_for(Plek._meta.db_table), 30, "the first run")
        # From here this process is a web host whose clock is 5 s behind the worker's.
        real_now = timezone.now
        monkeypatch.setattr(timezone, "now", lambda: real_now() - dt.timedelta(seconds=5))
        submit(world, 1)
        monkeypatch.undo()
    wait_until_settled(world.region)

    final = AllocationRun.objects.filter(region=world.region).latest("pk")
    assert final.status == RunStatus.FINISHED
    assert_every_request_accounted_for(world.region, final)
    assert final.requests_considered == 2


def test_a_trigger_racing_the_release_of_the_lease_is_never_lost(world, monkeypatch):
    """A submission's trigger and the running worker's release at the same moment (as when a
    client submits the next request as soon as it sees a proposal): afterwards either the
    release kept the region pending for one more run or the trigger enqueued one. Two
    separate conditional UPDATEs once let the release slip in between and lose it."""
    region_id = world.region.pk
    enqueued: list[int] = []
    monkeypatch.setattr(allocate_region, "delay", enqueued.append)  # the broker: an edge

    def trigger() -> None:
        with transaction.atomic():
            request_allocation(region_id=region_id, reason="test")

    trigger()
    lost = 0
    for round_ in range(40):
        claimed_at = allocation_claim(region_id=region_id, owner="A")
        assert claimed_at is not None, f"round {round_}: the region should be claimable"
        enqueued.clear()
        _, release = in_threads(
            [
                trigger,
                lambda c=claimed_at: allocation_release(
                    region_id=region_id, owner="A", claimed_at=c, done=True
                ),
            ]
        )
        again = release.again
        pending = AllocationQueue.objects.get(region_id=region_id).pending
        lost += not (again or enqueued) or not pending
    assert lost == 0


def test_the_lease_lets_one_worker_run_and_owes_exactly_one_more_run(world):
    """The lease functions driven directly: several "workers" claim at once, triggers arrive."""
    region_id = world.region.pk

    def trigger() -> None:
        with transaction.atomic():
            request_allocation(region_id=region_id, reason="test")

    trigger()
    claims = in_threads([lambda o=o: allocation_claim(region_id=region_id, owner=o) for o in "AB"])
    assert sum(c is not None for c in claims) == 1
    owner, claimed_at = next((o, c) for o, c in zip("AB", claims, strict=True) if c)

    for _ in range(5):  # triggers while the owner runs
        trigger()
    assert allocation_claim(region_id=region_id, owner="C") is None  # the lease is live
    assert allocation_release(
        region_id=region_id, owner=owner, claimed_at=claimed_at, done=True
    ).again  # owes one more run

    owners = "DEFGHIJK"
    claims = in_threads(
        [lambda o=o: allocation_claim(region_id=region_id, owner=o) for o in owners]
    )
    winners = [(o, c) for o, c in zip(owners, claims, strict=True) if c]
    assert len(winners) == 1  # exactly one more run, not five
    owner, claimed_at = winners[0]
    # A run that failed keeps the region pending, paused for its backoff ...
    failed = allocation_release(region_id=region_id, owner=owner, claimed_at=claimed_at, done=False)
    assert not failed.again and failed.retry_in == settings.ALLOCATION_RETRY_BACKOFF[0]
    assert AllocationQueue.objects.get(region_id=region_id).pending is True
    assert allocation_claim(region_id=region_id, owner=owner) is None  # pausing
    AllocationQueue.objects.filter(region_id=region_id).update(retry_after=timezone.now())
    claimed_at = allocation_claim(region_id=region_id, owner=owner)
    # ... a run that succeeded with no trigger since its claim owes nothing.
    assert not allocation_release(
        region_id=region_id, owner=owner, claimed_at=claimed_at, done=True
    ).again
    assert AllocationQueue.objects.get(region_id=region_id).failures == 0
    assert allocation_claim(region_id=region_id, owner="Z") is None
    assert AllocationQueue.objects.get(region_id=region_id).pending is False


def test_a_burst_of_200_submissions_causes_a_handful_of_runs(world, celery_worker):
    """200 submissions from 16 threads at once, each its own transaction, trigger and task.

    The burst goes through the submission service rather than HTTP: in one test process the
    API's per-request overhead would stretch the burst over many seconds, and then any
    number of back-to-back runs is correct (each run sees what arrived during the last).
    """
    build_region(world, locations=5, plekken_per_location=2, seats=3, hours="24", students=6)
    celery_worker()

    data = [request_data(n) for n in range(200)]

    def post(numbers: range) -> list[int]:
        return [request_submit(school=world.school, data=data[n]).pk for n in numbers]

    started = time.monotonic()
    submitted = in_threads([lambda k=k: post(range(k, 200, 16)) for k in range(16)])
    burst = time.monotonic() - started
    assert len({pk for chunk in submitted for pk in chunk}) == 200
    last_submitted = PlacementRequest.objects.latest("created_at").created_at
    wait_until_settled(world.region, timeout=90)

    runs = list(AllocationRun.objects.filter(region=world.region).order_by("pk"))
    assert all(r.status == RunStatus.FINISHED for r in runs)
    assert 1 <= len(runs) <= 10, f"{len(runs)} runs for 200 submissions"
    last = runs[-1]
    assert last.started_at > last_submitted
    assert_every_request_accounted_for(world.region, last)
    assert last.requests_considered == 200
    assert last.placed == 30
    assert booking_violations(world.region.pk) == []
    durations = [round((r.finished_at - r.started_at).total_seconds(), 2) for r in runs]
    print(f"200 submissions in {burst:.1f}s caused {len(runs)} runs, each {durations}s")


def test_a_declined_seat_goes_to_the_next_student(world, celery_worker):
    """A decline re-queues the request without that plek, and the seat is offered again."""
    (plek,) = build_region(
        world, locations=1, plekken_per_location=1, seats=1, hours="8", students=2
    )
    celery_worker()
    submit(world, 2)
    wait_until_settled(world.region)
    proposal = Placement.objects.get(status=PlacementStatus.PROPOSED)

    placement_decline(placement=proposal, by=world.care, reason="Team is reorganising")
    wait_until_settled(world.region)

    again = Placement.objects.get(status=PlacementStatus.PROPOSED)
    assert again.plek_id == plek.pk and again.request_id != proposal.request_id
    run = AllocationRun.objects.filter(region=world.region).latest("pk")
    assert run.objective["new_proposals"] == 1
    assert list(run.unplaced_requests.values_list("request_id", flat=True)) == [proposal.request_id]


def test_an_answer_during_a_run_is_never_overruled_nor_double_booked(
    world, client_for, celery_worker
):
    """The engine gives R's seat to a priority student S; meanwhile the care organisation
    accepts R there. Storing that stale result would put two students on one seat."""
    (plek,) = build_region(
        world, locations=1, plekken_per_location=1, seats=1, hours="8", students=2
    )
    celery_worker()
    (r,) = submit(world, 1)
    wait_until_settled(world.region)
    proposal = Placement.objects.get(request=r, plek=plek, status=PlacementStatus.PROPOSED)

    with row_lock(Plek._meta.db_table, plek.pk):
        s = request_submit(school=world.school, data={**request_data(1), "priority": 5})
        wait_for(lambda: backend_waiting_for(Plek._meta.db_table), 30, "the run to store")
        accepted = client_for("carol").post(f"/api/v1/placements/{proposal.pk}/accept/")
        assert accepted.status_code == 200
    wait_until_settled(world.region)

    proposal.refresh_from_db()
    assert proposal.status == PlacementStatus.ACCEPTED  # the answer stands
    assert booking_violations(world.region.pk) == []  # one seat, one student
    assert checker_violations(world.region) == []
    assert not Placement.objects.filter(request=s, status__in=LIVE).exists()
    final = AllocationRun.objects.filter(region=world.region, status=RunStatus.FINISHED).latest(
        "pk"
    )
    assert final.unplaced_requests.get().request_id == s.pk
    # The run that met the answer stored nothing and was followed by one that saw it.
    superseded = AllocationRun.objects.get(region=world.region, status=RunStatus.FAILED)
    assert superseded.failure_reason == "superseded" and superseded.pk < final.pk
    assert not Placement.objects.filter(allocation_run=superseded).exists()
    assert_every_request_accounted_for(world.region, final)


def test_a_proposal_the_engine_takes_back_is_announced(world, celery_worker):
    """A priority student takes the seat of a proposal nobody answered: both parties hear."""
    build_region(world, locations=1, plekken_per_location=1, seats=1, hours="8", students=2)
    celery_worker()
    (r,) = submit(world, 1)
    wait_until_settled(world.region)
    first = Placement.objects.get(request=r, status=PlacementStatus.PROPOSED)

    s = request_submit(school=world.school, data={**request_data(1), "priority": 5})
    wait_until_settled(world.region)

    first.refresh_from_db()
    assert first.status == PlacementStatus.WITHDRAWN
    assert Placement.objects.get(status=PlacementStatus.PROPOSED).request_id == s.pk
    event = Event.objects.get(type="placement.withdrawn")
    assert event.payload["placement_id"] == first.pk
    assert set(event.audience) == {world.school.pk, world.care.pk}
    assert event.seq < Event.objects.get(type="placement.proposed", payload__request_id=s.pk).seq


# --- Concurrent answers on one plek -------------------------------------------------------

# What each answer does, and from which states it is legal (placements/lifecycle.py).
ANSWERS = {
    "accept": ("carol", PlacementStatus.ACCEPTED, {PlacementStatus.PROPOSED}),
    "decline": ("carol", PlacementStatus.DECLINED, {PlacementStatus.PROPOSED}),
    "confirm": ("alice", PlacementStatus.CONFIRMED, {PlacementStatus.ACCEPTED}),
    "withdraw": ("alice", PlacementStatus.WITHDRAWN, set(LIVE)),
    "withdraw-care": ("carol", PlacementStatus.WITHDRAWN, set(LIVE)),
}
REACHABLE = {
    PlacementStatus.ACCEPTED: {"accepted", "confirmed", "withdrawn"},
    PlacementStatus.DECLINED: {"declined"},
    PlacementStatus.CONFIRMED: {"confirmed", "withdrawn"},
    PlacementStatus.WITHDRAWN: {"withdrawn"},
}
REQUEST_STATUS_OF_LIVE = {
    PlacementStatus.PROPOSED: RequestStatus.PROPOSED,
    PlacementStatus.ACCEPTED: RequestStatus.ACCEPTED,
    PlacementStatus.CONFIRMED: RequestStatus.CONFIRMED,
}


def test_fifty_concurrent_answers_on_one_plek_keep_seats_and_hours(world, celery_worker):
    """50 accepts, declines, confirms and withdrawals at once, through the API, 50 threads.

    The threads start together; 16 at a time hold a database connection (see in_threads).
    Four priority submissions start with them.

    The worker re-allocates after every decline and withdrawal while the answers arrive, so
    its proposals on the same plek race with them too. A monitor samples the booking
    invariants from its own connection all along.
    """
    region = world.region
    location = factories.LocationFactory(organisation=world.care)
    plek = factories.PlekFactory(
        location=location, seats=6, opleidingen=[factories.OpleidingFactory()]
    )
    factories.SupervisionSourceFactory(
        location=location, hours_per_week=Decimal("24"), max_students=6
    )
    celery_worker()
    submit(world, 14)
    wait_until_settled(region)
    proposals = list(Placement.objects.filter(plek=plek, status=PlacementStatus.PROPOSED))
    assert len(proposals) == 6
    tokens = {
        name: Token.objects.get_or_create(user=get_user_model().objects.get(username=name))[0].key
        for name in ("alice", "carol")
    }
    rng = random.Random(50)
    kinds = ["accept"] * 4 + ["decline"] * 2 + ["confirm"] * 3 + ["withdraw", "withdraw-care"]
    ops = [(rng.choice(kinds), rng.choice(proposals).pk) for _ in range(50)]

    def answer(kind: str, placement_id: int) -> tuple[int, dict]:
        user, _to, _legal_from = ANSWERS[kind]
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {tokens[user]}")
        action = kind.split("-")[0]
        body = {"reason": "No supervisor on that team this term"} if action == "decline" else {}
        response = client.post(f"/api/v1/placements/{placement_id}/{action}/", body, format="json")
        return response.status_code, response.json()

    stop = threading.Event()
    sampled: list[tuple] = []
    samples = 0

    def monitor() -> None:
        nonlocal samples
        with psycopg.connect(database_url_for_test_db(), autocommit=True) as conn:
            while not stop.is_set():
                with conn.cursor() as cur:
                    sampled.extend(booking_violations(region.pk, cur))
                samples += 1

    watcher = threading.Thread(target=monitor)
    watcher.start()
    try:
        # Four priority students arrive with the answers: the engine gives them the seats
        # of proposals nobody accepted yet, racing with the answers to those proposals.
        priority = [
            lambda n=n: request_submit(
                school=world.school, data={**request_data(100 + n), "priority": 5}
            )
            for n in range(4)
        ]
        answers = in_threads([lambda op=op: answer(*op) for op in ops] + priority)
        assert all(isinstance(r, PlacementRequest) for r in answers[50:]), answers[50:]
        answers = answers[:50]
        wait_until_settled(region)  # the re-allocations the declines and withdrawals caused
    finally:
        stop.set()
        watcher.join(30)

    # Legal answers succeeded, illegal ones got 409 with the state they met.
    assert not [a for a in answers if isinstance(a, BaseException)], answers
    codes = Counter(code for code, _body in answers)
    assert set(codes) <= {200, 409}, answers
    assert codes[200] and codes[409]
    for (kind, _pk), (code, body) in zip(ops, answers, strict=True):
        _user, to, legal_from = ANSWERS[kind]
        if code == 409:
            assert body["current_state"] not in legal_from
        else:
            # The body is re-read after commit: a later answer may already show.
            assert body["status"] in REACHABLE[to]

    # Each placement went through a path the workflow allows, one event per success.
    succeeded = Counter(
        (pk, ANSWERS[kind][1])
        for (kind, pk), (code, _b) in zip(ops, answers, strict=True)
        if code == 200
    )
    transitions = defaultdict(list)  # every change, the engine's withdrawals included
    by_answer = Counter()  # the changes an answer made (the engine's carry its run_id)
    for event in Event.objects.filter(region=region, type__startswith="placement.").order_by("seq"):
        if event.type != "placement.proposed":
            transitions[event.payload["placement_id"]].append(event.payload["status"])
            if "run_id" not in event.payload:
                by_answer[(event.payload["placement_id"], event.payload["status"])] += 1
    assert by_answer == succeeded
    legal_next = {
        PlacementStatus.PROPOSED: {"accepted", "declined", "withdrawn", "expired"},
        PlacementStatus.ACCEPTED: {"confirmed", "withdrawn"},
        PlacementStatus.CONFIRMED: {"withdrawn"},
    }
    for placement in Placement.objects.filter(request__region=region):
        state = PlacementStatus.PROPOSED
        for to in transitions.get(placement.pk, []):
            assert to in legal_next.get(state, set()), (placement.pk, state, to)
            state = PlacementStatus(to)
        assert placement.status == state, placement.pk

    # Requests agree with their placements; no request has two live ones.
    live = dict(
        Placement.objects.filter(request__region=region, status__in=LIVE).values_list(
            "request_id", "status"
        )
    )
    for request in PlacementRequest.objects.filter(region=region):
        expected = REQUEST_STATUS_OF_LIVE[live[request.pk]] if request.pk in live else "open"
        assert request.status == expected, request.pk
    # Declined or withdrawn by a party: never proposed at that plek again.
    refused = set(
        Placement.objects.filter(
            request__region=region, status=PlacementStatus.DECLINED
        ).values_list("request_id", "plek_id")
    )
    assert not refused & set(
        Placement.objects.filter(request__region=region, status__in=LIVE).values_list(
            "request_id", "plek_id"
        )
    )
    # Freed seats were offered again: the plek is as full as the requests it may take allow.
    refused_here = set(
        Placement.objects.filter(plek=plek)
        .filter(REFUSED_PLACEMENTS)
        .values_list("request_id", flat=True)
    )
    may_take = PlacementRequest.objects.filter(region=region).exclude(pk__in=refused_here)
    live_here = Placement.objects.filter(plek=plek, status__in=LIVE).count()
    assert live_here == min(plek.seats, may_take.count())
    # Seats and hours, at the end and in every sample taken during the storm.
    assert booking_violations(region.pk) == []
    assert checker_violations(region) == []
    assert sampled == [] and samples > 0
    # A run may only fail by meeting an answer it would have overruled (then it reruns).
    errors = AllocationRun.objects.filter(region=region, status=RunStatus.FAILED)
    assert set(errors.values_list("failure_reason", flat=True)) <= {"superseded"}
    print(
        f"answers: {dict(codes)}; {samples} invariant samples during the storm; "
        f"runs: {list(AllocationRun.objects.filter(region=region).values_list('status', 'error'))}"
    )
