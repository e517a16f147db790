"""Full and incremental runs: when a run may start from the previous result, and what it keeps."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from coordination import engine, modes
from coordination import services as allocation_services
from coordination.engine.jsonio import result_from_dict
from coordination.loading import load_problem
from coordination.models import AllocationQueue, AllocationRun
from coordination.services import allocation_run, regions_due_reoptimisation
from placements import services
from placements.domain import Doelgroep, PlacementStatus
from placements.models import Placement
from tests import factories

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
RECENT = modes.PreviousRun(has_result=True, full_run_started_at=NOW - dt.timedelta(minutes=1))


def mode_of(events=(), previous=RECENT, trigger="request.submitted") -> str:
    return modes.choose_mode(previous=previous, events_since=events, trigger=trigger, now=NOW)[0]


@pytest.mark.parametrize(
    "events",
    [
        [],
        [("request.submitted", {"request_id": 1})],
        [("placement.accepted", {}), ("placement.confirmed", {})],
        [("placement.proposed", {}), ("allocation.finished", {})],
        [("placement.withdrawn", {"placement_id": 3, "run_id": 7})],  # a run moved it
    ],
)
def test_new_requests_and_answers_allow_an_incremental_run(events):
    assert mode_of(events) == modes.INCREMENTAL


@pytest.mark.parametrize(
    "type, payload",
    [
        ("placement.withdrawn", {"placement_id": 3}),  # by a party: frees a seat
        ("placement.declined", {}),
        ("placement.expired", {}),
        ("request.withdrawn", {}),
        ("request.changed", {}),
        ("plek.published", {}),
        ("plek.changed", {}),
        ("source.removed", {}),
    ],
)
def test_anything_that_can_make_room_or_change_fit_asks_for_a_full_run(type, payload):
    assert mode_of([("request.submitted", {}), (type, payload)]) == modes.FULL


def test_no_previous_result_a_manual_run_or_an_old_chain_mean_a_full_run():
    old = modes.PreviousRun(has_result=True, full_run_started_at=NOW - dt.timedelta(hours=1))
    assert mode_of(previous=None) == modes.FULL
    assert mode_of(previous=modes.PreviousRun(False, NOW)) == modes.FULL
    assert mode_of(trigger="manual") == modes.FULL
    assert mode_of(trigger=modes.REOPTIMISE_REASON) == modes.FULL
    assert mode_of(previous=old) == modes.FULL


@pytest.fixture
def roomy_region(world):
    """A plek with 4 seats and supervision for 4; two eerstejaars requests to start with."""
    location = factories.LocationFactory(organisation=world.care, latitude=52.09, longitude=5.12)
    opleiding = factories.OpleidingFactory()
    plek = factories.PlekFactory(location=location, seats=4, opleidingen=[opleiding])
    factories.SupervisionSourceFactory(
        location=location, hours_per_week=Decimal("16"), max_students=4
    )
    for _ in range(2):
        factories.PlacementRequestFactory(school=world.school, opleiding=opleiding)
    return plek, opleiding


def submit(world, opleiding, **extra):
    data = {
        "student_pseudonym": f"new-{Placement.objects.count()}-{len(extra)}",
        "home_postcode": factories.PostcodeAreaFactory(),
        "opleiding": opleiding,
        "doelgroep": Doelgroep.EERSTEJAARS,
        "start_date": factories.START,
        "end_date": dt.date(2027, 1, 29),
        "hours_per_week": Decimal("24"),
        "acceptable_sectors": ["vvt", "ghz"],
        "max_travel_km": 25,
        **extra,
    }
    return services.request_submit(school=world.school, data=data)


def test_a_new_request_after_a_full_run_is_placed_incrementally_keeping_the_proposals(
    world, roomy_region
):
    plek, opleiding = roomy_region
    first = allocation_run(region=world.region, trigger="request.submitted")
    proposals = set(Placement.objects.values_list("pk", flat=True))
    new = submit(world, opleiding)

    second = allocation_run(region=world.region, trigger="request.submitted")

    assert (first.mode, second.mode) == (modes.FULL, modes.INCREMENTAL)
    assert second.full_run_started_at == first.started_at
    live = Placement.objects.filter(status=PlacementStatus.PROPOSED)
    assert proposals < set(live.values_list("pk", flat=True))  # kept, and one more
    assert live.get(request=new).plek_id == plek.pk
    assert second.placed == 3
    problem = load_problem(world.region).problem
    assert engine.check_feasibility(problem, result_from_dict(second.result)) == []


@pytest.mark.parametrize("kept", [True, False], ids=["worker kept the result", "fresh worker"])
def test_an_incremental_run_starts_from_the_kept_result_or_the_stored_one_alike(
    world, roomy_region, kept
):
    plek, opleiding = roomy_region
    first = allocation_run(region=world.region, trigger="request.submitted")
    assert allocation_services.KEPT_RESULTS[world.region.pk][0] == first.pk
    if not kept:  # another worker process: it reads the stored result
        allocation_services.KEPT_RESULTS.clear()
        allocation_services.KEPT_INDEXES.forget(world.region.pk)
    new = submit(world, opleiding)

    second = allocation_run(region=world.region, trigger="request.submitted")

    assert second.mode == modes.INCREMENTAL
    assert second.placed == 3
    assert Placement.objects.get(request=new, status=PlacementStatus.PROPOSED).plek_id == plek.pk
    assert result_from_dict(second.result) == allocation_services.KEPT_RESULTS[world.region.pk][1]


def test_a_changed_plek_since_the_previous_run_makes_the_next_run_full(world, roomy_region):
    plek, _ = roomy_region
    allocation_run(region=world.region, trigger="request.submitted")
    services.plek_update(plek=plek, data={"seats": 5})

    run = allocation_run(region=world.region, trigger="plek.changed")

    assert run.mode == modes.FULL
    assert run.objective["mode_reason"] == "plek.changed since the previous run"


def test_a_new_peer_mentor_makes_the_next_run_full(world, roomy_region):
    _, opleiding = roomy_region
    allocation_run(region=world.region, trigger="request.submitted")
    submit(world, opleiding, doelgroep=Doelgroep.OUDEREJAARS, peer_mentor=True)

    run = allocation_run(region=world.region, trigger="request.submitted")

    assert run.mode == modes.FULL
    assert run.objective["mode_reason"] == modes.NEW_PEER_MENTOR


def test_the_sweeper_asks_for_a_full_run_after_a_long_incremental_chain(world, roomy_region):
    _, opleiding = roomy_region
    allocation_run(region=world.region, trigger="request.submitted")
    submit(world, opleiding)
    incremental = allocation_run(region=world.region, trigger="request.submitted")
    AllocationQueue.objects.update_or_create(region=world.region, defaults={"pending": False})
    assert regions_due_reoptimisation() == []  # the chain is young

    AllocationRun.objects.filter(pk=incremental.pk).update(
        full_run_started_at=timezone.now() - modes.FULL_RUN_INTERVAL - dt.timedelta(seconds=1)
    )
    assert regions_due_reoptimisation() == [world.region.pk]
    queue = AllocationQueue.objects.get(region=world.region)
    assert queue.pending and queue.reason == modes.REOPTIMISE_REASON

    run = allocation_run(region=world.region, trigger=queue.reason)
    assert run.mode == modes.FULL
    assert regions_due_reoptimisation() == []
