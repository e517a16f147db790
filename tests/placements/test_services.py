"""Cross-object rules that services hold on every write path (API, imports, shell)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core.errors import DomainValidationError
from events.models import Event
from placements import services
from placements.models import Plek, SupervisionSource
from tests import factories


def _source_data(**overrides):
    return {
        "kind": "werkbegeleider",
        "name": "Werkbegeleider Noord",
        "hours_per_week": Decimal("6"),
        "start_date": dt.date(2026, 9, 1),
        "end_date": dt.date(2027, 6, 30),
        "max_students": 2,
        **overrides,
    }


def test_a_source_at_another_organisations_location_is_refused(world):
    foreign = factories.LocationFactory(organisation=world.other_care)

    with pytest.raises(DomainValidationError) as refused:
        services.source_create(organisation=world.care, data=_source_data(location=foreign))

    assert [e.path for e in refused.value.errors] == ["location"]
    assert not SupervisionSource.objects.exists()
    assert not Event.objects.exists()


def test_a_plek_at_another_organisations_location_is_refused(world):
    foreign = factories.LocationFactory(organisation=world.other_care)

    with pytest.raises(DomainValidationError):
        services.plek_publish(
            organisation=world.care,
            data={
                "location": foreign,
                "team": "Team Oost",
                "sector": "vvt",
                "seats": 2,
                "start_date": dt.date(2026, 9, 1),
                "end_date": dt.date(2027, 1, 31),
            },
            opleidingen=[factories.OpleidingFactory()],
        )

    assert not Plek.objects.exists()


def test_a_leerafdeling_supervises_only_the_organisations_own_plek(world):
    foreign_plek = factories.PlekFactory(
        location=factories.LocationFactory(organisation=world.other_care)
    )

    with pytest.raises(DomainValidationError) as refused:
        services.source_create(
            organisation=world.care,
            data=_source_data(kind="leerafdeling", plek=foreign_plek, max_students=None),
        )

    assert [e.path for e in refused.value.errors] == ["plek"]


def test_a_docent_begeleider_is_always_the_creating_schools_own(world):
    source = services.source_create(
        organisation=world.school,
        data=_source_data(kind="docent_begeleider", name="Docent De Wit", max_students=None),
    )

    assert source.school_id == world.school.pk
    assert source.organisation_id == world.school.pk
    assert source.location_id is None


def test_moving_a_location_is_announced_and_asks_for_a_run(world):
    from coordination.models import AllocationQueue

    location = factories.LocationFactory(organisation=world.care)

    services.location_update(location=location, data={"latitude": 52.2, "longitude": 5.3})

    event = Event.objects.get(type="location.changed")
    assert event.payload == {"location_id": location.pk, "organisation_id": world.care.pk}
    assert event.audience == [world.care.pk]
    assert AllocationQueue.objects.get(region=world.region).reason == "location.changed"


def test_withdrawing_a_request_tells_the_care_organisation_of_each_placement_it_ends(world):
    from notifications.models import Notification
    from notifications.services import notifications_for_events

    placement = factories.PlacementFactory(
        request=factories.PlacementRequestFactory(school=world.school),
        plek=factories.PlekFactory(location=factories.LocationFactory(organisation=world.care)),
        status="accepted",
    )
    factories.MembershipFactory(
        user=factories.UserFactory(username="cora"), organisation=world.care
    )

    services.request_withdraw(request=placement.request)

    withdrawn = Event.objects.get(type="placement.withdrawn")
    assert withdrawn.payload["placement_id"] == placement.pk and "run_id" not in withdrawn.payload
    assert set(withdrawn.audience) == {world.school.pk, world.care.pk}
    notifications_for_events(event_ids=[withdrawn.pk])
    told = set(Notification.objects.values_list("user__username", flat=True))
    assert {"carol", "cora"} <= told  # the care organisation hears of it
    placement.refresh_from_db()
    assert placement.status == "withdrawn"
