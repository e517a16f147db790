"""Allocation from the database: load a region, run the engine, store proposals."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from coordination import engine
from coordination.engine.jsonio import result_from_dict
from coordination.loading import load_problem
from coordination.models import AllocationRun, RunStatus
from coordination.services import (
    AllocationAlreadyRunning,
    AllocationFailed,
    allocation_run,
    store_result,
)
from events.models import Event
from placements.domain import PlacementStatus, RequestStatus
from placements.models import Placement, PlacementSupervision
from tests import factories


@pytest.fixture
def small_region(world):
    """One plek with 2 seats and a werkbegeleider of 8 h/wk for 2 students; 3 eerstejaars (4 h)."""
    location = factories.LocationFactory(organisation=world.care, latitude=52.09, longitude=5.12)
    opleiding = factories.OpleidingFactory()
    plek = factories.PlekFactory(location=location, seats=2, opleidingen=[opleiding])
    source = factories.SupervisionSourceFactory(
        location=location, hours_per_week=Decimal("8"), max_students=2
    )
    requests = [
        factories.PlacementRequestFactory(
            school=world.school, opleiding=opleiding, end_date=dt.date(2027, 1, 29)
        )
        for _ in range(3)
    ]
    return plek, source, requests


def test_a_run_proposes_what_fits_and_explains_the_rest(world, small_region):
    plek, source, requests = small_region

    run = allocation_run(region=world.region, trigger="test")

    assert run.status == RunStatus.FINISHED
    assert (run.placed, run.unplaced) == (2, 1)
    placements = list(Placement.objects.filter(status=PlacementStatus.PROPOSED))
    assert len(placements) == 2 and {p.plek_id for p in placements} == {plek.pk}
    draws = PlacementSupervision.objects.filter(placement__in=placements)
    assert sum(d.load_hours for d in draws) == Decimal("8.00")
    assert {d.source_id for d in draws} == {source.pk}
    unplaced = run.unplaced_requests.get()
    assert unplaced.reason in {"seats_full", "supervision_full"}
    statuses = sorted(r.status for r in type(requests[0]).objects.all())
    assert statuses == [RequestStatus.OPEN, RequestStatus.PROPOSED, RequestStatus.PROPOSED]


def test_the_stored_result_passes_the_feasibility_checker(world, small_region):
    run = allocation_run(region=world.region, trigger="test")

    problem = load_problem(world.region).problem
    assert engine.check_feasibility(problem, result_from_dict(run.result)) == []


def test_proposal_events_reach_the_school_and_the_care_organisation(world, small_region):
    allocation_run(region=world.region, trigger="test")

    proposed = Event.objects.filter(type="placement.proposed")
    assert proposed.count() == 2
    for event in proposed:
        assert set(event.audience) == {world.school.pk, world.care.pk}
    seqs = list(Event.objects.filter(region=world.region).values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


def test_storing_the_same_run_twice_changes_nothing_twice(world, small_region):
    run = allocation_run(region=world.region, trigger="test")
    loaded = load_problem(world.region)
    result = result_from_dict(run.result)
    before = (Placement.objects.count(), Event.objects.count())

    store_result(run=run, loaded=loaded, result=result)

    assert (Placement.objects.count(), Event.objects.count()) == before


def test_a_second_run_keeps_existing_proposals(world, small_region):
    allocation_run(region=world.region, trigger="first")
    first = set(Placement.objects.values_list("pk", flat=True))

    second = allocation_run(region=world.region, trigger="second")

    assert (
        set(Placement.objects.filter(status=PlacementStatus.PROPOSED).values_list("pk", flat=True))
        == first
    )
    assert second.objective["new_proposals"] == 0


def test_only_one_run_per_region_at_a_time(world, small_region):
    AllocationRun.objects.create(region=world.region, status=RunStatus.RUNNING)

    with pytest.raises(AllocationAlreadyRunning):
        allocation_run(region=world.region, trigger="test")


def test_a_failing_run_is_marked_failed_and_announced(world, small_region, monkeypatch):
    from coordination import services

    def broken_solver(*args, **kwargs):
        raise RuntimeError("solver crashed")

    monkeypatch.setattr(services.engine, "solve", broken_solver)

    with pytest.raises(AllocationFailed):
        allocation_run(region=world.region, trigger="test")

    run = AllocationRun.objects.get()
    assert run.status == RunStatus.FAILED
    assert run.error.startswith("The run stopped on an unexpected error (RuntimeError).")
    assert "solver crashed" in run.error_detail
    types = list(Event.objects.order_by("seq").values_list("type", flat=True))
    assert types == ["allocation.started", "allocation.failed"]


def test_unplaced_requests_are_stored_as_the_engine_gave_them(world, small_region):
    """The COPY path: id lists as JSON, and text with the characters COPY escapes."""
    plek, _, _ = small_region
    result = engine.solve(load_problem(world.region).problem)
    (first,) = result.unplaced
    odd = "two\tcolumns?\nnew line, back\\slash, 'quotes' and \"more\""
    crafted = dataclasses.replace(
        result,
        unplaced=(
            dataclasses.replace(
                first,
                binding_plekken=(plek.pk, plek.pk + 1000),
                binding_sources=(),
                suggestion=odd,
            ),
        ),
    )
    run = AllocationRun.objects.create(
        region=world.region, trigger="test", status=RunStatus.RUNNING
    )

    store_result(run=run, loaded=load_problem(world.region), result=crafted)

    (row,) = run.unplaced_requests.all()
    assert (row.request_id, row.reason, row.criterion) == (
        first.request_id,
        first.reason,
        first.criterion or "",
    )
    assert row.binding_plekken == [plek.pk, plek.pk + 1000]
    assert row.binding_sources == []
    assert row.suggestion == odd
