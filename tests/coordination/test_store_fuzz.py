"""Random sequences of what a region's users do, with odd hour values, through the real
services and the real store path: no run may fail, and every stored allocation passes the
feasibility checker (issue 8: a plain 16 h werkbegeleider once stopped a region for good).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from coordination import engine
from coordination.loading import load_problem, stored_result
from coordination.models import RunStatus
from coordination.services import allocation_run
from placements import lifecycle, services
from placements.domain import Doelgroep, PlacementStatus
from placements.models import Placement, PlacementSupervision
from tests import factories

ODD_HOURS = ["0.1", "0.5", "1.25", "2", "3.33", "7.33", "8", "12.5", "16", "24"]
GROUP_FACTORS = ["0.33", "0.5", "0.6", "0.75", "1"]
START = dt.date(2026, 9, 7)

hours = st.sampled_from(ODD_HOURS).map(Decimal)
weeks = st.integers(min_value=4, max_value=40)

submit = st.tuples(
    st.just("submit"),
    st.sampled_from([d.value for d in Doelgroep]),
    weeks,
    st.one_of(st.none(), hours),  # a load override
    st.booleans(),  # peer mentor (counts for ouderejaars)
)
source = st.tuples(
    st.just("source"),
    st.sampled_from(
        ["werkbegeleider", "senior_werkbegeleider", "leercoach", "student_ondersteuner"]
    ),
    hours,
    st.one_of(st.none(), st.integers(min_value=1, max_value=4)),
    st.sampled_from(GROUP_FACTORS).map(Decimal),
    st.integers(min_value=0, max_value=1),  # which location
)
plek = st.tuples(st.just("plek"), st.integers(1, 3), st.integers(0, 1), weeks)
answer = st.tuples(st.just("answer"), st.sampled_from(["accept", "decline"]))
run = st.tuples(st.just("run"))
steps = st.lists(
    st.one_of(submit, submit, submit, source, source, plek, answer, run), min_size=8, max_size=24
)


class _Rollback(Exception):
    pass


@pytest.mark.django_db
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
# Found by this test: a kept proposal whose supervision the engine split over a new source
# kept its old draws in the database, which then booked 8 h of a 7.33 h werkbegeleider.
@example(
    steps=[
        ("submit", "eerstejaars", 4, None, False),
        ("submit", "eerstejaars", 4, None, False),
        ("run",),
        ("submit", "eerstejaars", 4, None, False),
        ("source", "werkbegeleider", Decimal("3.33"), None, Decimal("1"), 0),
        ("run",),
    ]
)
def test_any_sequence_of_changes_stores_a_checker_clean_allocation(world, steps):
    try:
        with transaction.atomic():  # each example starts from the same empty region
            _replay(world, steps)
            raise _Rollback
    except _Rollback:
        pass


def _replay(world, steps) -> None:
    opleiding = factories.OpleidingFactory()
    locations = [
        factories.LocationFactory(organisation=world.care, latitude=52.09, longitude=5.12),
        factories.LocationFactory(organisation=world.care, latitude=52.10, longitude=5.10),
    ]
    for location in locations:
        factories.PlekFactory(location=location, seats=2, opleidingen=[opleiding])
    factories.SupervisionSourceFactory(location=locations[0], hours_per_week=Decimal("7.33"))
    postcode = factories.PostcodeAreaFactory()
    n = 0
    for step in [*steps, ("run",)]:
        kind = step[0]
        if kind == "submit":
            _, doelgroep, length, override, mentor = step
            n += 1
            services.request_submit(
                school=world.school,
                data={
                    "student_pseudonym": f"fuzz-{n}",
                    "student_name": f"Fuzz {n}",
                    "home_postcode": postcode,
                    "opleiding": opleiding,
                    "doelgroep": doelgroep,
                    "start_date": START,
                    "end_date": START + dt.timedelta(weeks=length),
                    "hours_per_week": Decimal("24"),
                    "acceptable_sectors": [],
                    "max_travel_km": 25,
                    "load_override_hours": override,
                    "peer_mentor": mentor and doelgroep == Doelgroep.OUDEREJAARS,
                },
            )
        elif kind == "source":
            _, source_kind, source_hours, max_students, factor, where = step
            group = source_kind in ("senior_werkbegeleider", "leercoach")
            services.source_create(
                organisation=world.care,
                data={
                    "kind": source_kind,
                    "name": f"{source_kind} {source_hours}",
                    "hours_per_week": source_hours,
                    "start_date": START,
                    "end_date": dt.date(2027, 7, 2),
                    "max_students": max_students if source_kind == "werkbegeleider" else None,
                    "group_factor": factor if group else Decimal("1"),
                    "location": locations[where],
                },
            )
        elif kind == "plek":
            _, seats, where, length = step
            services.plek_publish(
                organisation=world.care,
                data={
                    "location": locations[where],
                    "team": f"Team {n}-{seats}",
                    "sector": "vvt",
                    "seats": seats,
                    "start_date": START,
                    "end_date": START + dt.timedelta(weeks=length + 4),
                },
                opleidingen=[opleiding],
            )
        elif kind == "answer":
            proposal = Placement.objects.filter(status=PlacementStatus.PROPOSED).first()
            if proposal is not None:
                if step[1] == "accept":
                    lifecycle.placement_accept(placement=proposal, by=world.care)
                else:
                    lifecycle.placement_decline(
                        placement=proposal, by=world.care, reason="Geen plek in het team"
                    )
        else:
            done = allocation_run(region=world.region, trigger="fuzz", time_limit=1.2)
            assert done.status == RunStatus.FINISHED, (done.error, done.error_detail)
            loaded = load_problem(world.region)
            assert engine.check_feasibility(loaded.problem, stored_result(loaded)) == []
            assert not PlacementSupervision.objects.filter(load_hours__lte=0).exists()
