"""A worker's kept problem (coordination/loading.py, KeptProblems): after any change to what
the engine reads, written by any path (services, the admin's plain saves, bulk updates),
the kept load equals a whole load, and rows that did not change are not read again.

Transactional: the kept loads rely on each write being its own committed transaction, as in
a worker between runs (inside one test transaction every row would show the same version).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection, transaction

from coordination.loading import KeptProblems, _Aside, _one_snapshot, load_problem
from placements.domain import Doelgroep, PlacementStatus, PlekStatus, RequestStatus
from placements.models import (
    DoelgroepSetting,
    Location,
    Placement,
    PlacementRequest,
    PlacementSupervision,
    Plek,
    PostcodeArea,
    RequestPreference,
    SupervisionSource,
)
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def region_rows(world):
    """Two locations with plekken and sources, three requests with preferences, a proposal
    with its draws and a declined placement."""
    location = factories.LocationFactory(organisation=world.care)
    other_location = factories.LocationFactory(organisation=world.other_care, latitude=52.2)
    plekken = [
        factories.PlekFactory(location=location, status=PlekStatus.PUBLISHED),
        factories.PlekFactory(location=location, status=PlekStatus.PUBLISHED),
        factories.PlekFactory(location=other_location, status=PlekStatus.PUBLISHED),
    ]
    sources = [
        factories.SupervisionSourceFactory(location=location),
        factories.SupervisionSourceFactory(location=other_location),
    ]
    requests = [factories.PlacementRequestFactory(school=world.school) for _ in range(3)]
    for request in requests:
        for rank, plek in enumerate(plekken[:2], start=1):
            RequestPreference.objects.create(request=request, plek=plek, rank=rank)
    proposal = factories.PlacementFactory(
        request=requests[0], plek=plekken[0], status=PlacementStatus.PROPOSED
    )
    PlacementSupervision.objects.create(
        placement=proposal, source=sources[0], load_hours=Decimal("2"), source_hours=Decimal("2")
    )
    factories.PlacementFactory(
        request=requests[1], plek=plekken[2], status=PlacementStatus.DECLINED, decline_reason="vol"
    )
    return world.region, plekken, sources, requests, proposal


def _changes(region, plekken, sources, requests, proposal) -> dict[str, Callable[[], object]]:
    """Each a change the engine must see, written without the services' help."""
    first, second, third = requests
    return {
        "request hours (bulk update)": lambda: PlacementRequest.objects.filter(pk=first.pk).update(
            hours_per_week=Decimal("16")
        ),
        "home postcode moved": lambda: PostcodeArea.objects.filter(
            code=first.home_postcode_id
        ).update(latitude=52.3),
        "preference re-ranked in place": lambda: RequestPreference.objects.filter(
            request=second, rank=1
        ).update(rank=3),
        "preference deleted": lambda: RequestPreference.objects.filter(
            request=third, rank=1
        ).delete(),
        "preference added": lambda: RequestPreference.objects.create(
            request=third, plek=plekken[2], rank=5
        ),
        "proposal declined": lambda: Placement.objects.filter(pk=proposal.pk).update(
            status=PlacementStatus.DECLINED, decline_reason="geen plek"
        ),
        "plek seats": lambda: Plek.objects.filter(pk=plekken[1].pk).update(seats=5),
        "plek opleiding removed": lambda: plekken[1].opleidingen.clear(),
        "location moved": lambda: Location.objects.filter(pk=plekken[2].location_id).update(
            longitude=5.3
        ),
        "plek unpublished": lambda: Plek.objects.filter(pk=plekken[0].pk).update(
            status=PlekStatus.WITHDRAWN
        ),
        "source hours": lambda: SupervisionSource.objects.filter(pk=sources[0].pk).update(
            hours_per_week=Decimal("12")
        ),
        "new source": lambda: factories.SupervisionSourceFactory(
            location=plekken[2].location, kind="leercoach"
        ),
        "source deactivated": lambda: SupervisionSource.objects.filter(pk=sources[1].pk).update(
            active=False
        ),
        "new request": lambda: factories.PlacementRequestFactory(school=first.school),
        "request withdrawn": lambda: PlacementRequest.objects.filter(pk=second.pk).update(
            status=RequestStatus.WITHDRAWN
        ),
        "new proposal with draws": lambda: PlacementSupervision.objects.create(
            placement=factories.PlacementFactory(
                request=third, plek=plekken[1], status=PlacementStatus.PROPOSED
            ),
            source=sources[0],
            load_hours=Decimal("3"),
            source_hours=Decimal("3"),
        ),
        "draw changed": lambda: PlacementSupervision.objects.filter(
            placement__request=third
        ).update(load_hours=Decimal("4"), source_hours=Decimal("4")),
        "proposal accepted": lambda: Placement.objects.filter(
            request=third, status=PlacementStatus.PROPOSED
        ).update(status=PlacementStatus.ACCEPTED),
        "region setting": lambda: DoelgroepSetting.objects.update_or_create(
            region=region, doelgroep=Doelgroep.EERSTEJAARS, defaults={"default_load_hours": 3}
        ),
    }


def test_after_each_change_the_kept_load_equals_a_whole_load(region_rows):
    region = region_rows[0]
    kept = KeptProblems()
    before = kept.load(region).problem
    assert before == load_problem(region).problem
    for name, change in _changes(*region_rows).items():
        change()
        after = kept.load(region).problem
        assert after == load_problem(region).problem, name
        assert after != before, f"{name}: the change is not in the problem"
        before = after


def test_only_changed_rows_are_read_again(region_rows):
    region, requests = region_rows[0], region_rows[3]
    kept = KeptProblems()
    before = kept.load(region).problem
    PlacementRequest.objects.filter(pk=requests[2].pk).update(max_travel_km=40)

    after = kept.load(region).problem

    same = [a is b for a, b in zip(before.requests, after.requests, strict=True)]
    assert same == [True, True, False]
    assert after.requests[2].max_travel_km == 40
    assert all(a is b for a, b in zip(before.plekken, after.plekken, strict=True))
    assert all(a is b for a, b in zip(before.existing, after.existing, strict=True))


def test_a_load_inside_a_transaction_is_read_whole_and_not_kept(region_rows):
    region, requests = region_rows[0], region_rows[3]
    kept = KeptProblems()
    outside = kept.load(region).problem
    with transaction.atomic():
        # Two writes in one transaction: both row versions carry its id.
        PlacementRequest.objects.filter(pk=requests[0].pk).update(max_travel_km=30)
        assert kept.load(region).problem.requests[0].max_travel_km == 30
        PlacementRequest.objects.filter(pk=requests[0].pk).update(max_travel_km=35)
        assert kept.load(region).problem.requests[0].max_travel_km == 35
    assert kept.load(region).problem.requests[0].max_travel_km == 35
    assert outside.requests[0].max_travel_km == 25


def test_a_worker_keeps_only_its_last_regions(world, region_rows):
    kept = KeptProblems(max_regions=1)
    first = kept.load(world.region).problem
    kept.load(world.other_region)
    again = kept.load(world.region).problem
    assert again == first
    assert all(a is not b for a, b in zip(first.requests, again.requests, strict=True))


def _backend_and_requests(region) -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    return pid, PlacementRequest.objects.filter(region=region).count()


def test_the_read_aside_is_on_another_connection_in_the_loads_snapshot(world, region_rows):
    def submit_elsewhere() -> None:  # another connection, committed at once
        factories.PlacementRequestFactory(school=world.school)
        connection.close()

    with _one_snapshot(export=True) as snapshot:
        assert snapshot is not None
        mine = _backend_and_requests(world.region)
        writer = threading.Thread(target=submit_elsewhere)
        writer.start()
        writer.join()
        theirs = _Aside().run(snapshot, lambda: _backend_and_requests(world.region))()

    assert theirs[0] != mine[0]
    assert theirs[1] == mine[1]  # the request submitted after the snapshot is not seen
    assert PlacementRequest.objects.filter(region=world.region).count() == mine[1] + 1


def test_a_failed_read_aside_is_read_in_the_load_instead(world, region_rows, caplog):
    with _one_snapshot(export=True):
        mine = _backend_and_requests(world.region)
        # No such snapshot: the other connection fails, and the load reads it itself.
        answer = _Aside().run("00000003-0000FFFF-1", lambda: _backend_and_requests(world.region))
        assert answer() == mine
    assert "reading beside the load failed" in caplog.text
