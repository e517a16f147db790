"""What-if scenarios and the capacity report, for a region's coordinators only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from placements.models import Placement
from tests import factories


@pytest.fixture
def tight_region(world):
    """3 eerstejaars (4 h/wk) for a plek of 3 seats with one werkbegeleider of 8 h for 2."""
    location = factories.LocationFactory(organisation=world.care)
    opleiding = factories.OpleidingFactory()
    plek = factories.PlekFactory(location=location, seats=3, opleidingen=[opleiding])
    source = factories.SupervisionSourceFactory(
        location=location, hours_per_week=Decimal("8"), max_students=2
    )
    for _ in range(3):
        factories.PlacementRequestFactory(school=world.school, opleiding=opleiding)
    return location, plek, source


def _url(world, what):
    return f"/api/v1/allocation-problems/{world.region.pk}/{what}/"


def test_adding_supervision_hours_places_the_third_student(client_for, world, tight_region):
    location, _, _ = tight_region

    response = client_for("erin").post(
        _url(world, "scenario"),
        {
            "add_sources": [
                {
                    "kind": "werkbegeleider",
                    "hours_per_week": "4",
                    "start_date": "2026-09-01",
                    "end_date": "2027-06-30",
                    "max_students": 1,
                    "location": location.pk,
                }
            ]
        },
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["placed_before"], body["placed_after"], body["placed_delta"]) == (2, 3, 1)
    assert len(body["newly_placed"]) == 1 and body["newly_unplaced"] == []
    assert not Placement.objects.exists()  # a scenario stores nothing


def test_removing_the_only_source_loses_every_placement(client_for, world, tight_region):
    _, _, source = tight_region

    body = (
        client_for("erin").post(_url(world, "scenario"), {"remove_source_ids": [source.pk]}).json()
    )

    assert (body["placed_before"], body["placed_after"]) == (2, 0)
    assert len(body["newly_unplaced"]) == 2


def test_a_scenario_with_foreign_ids_is_a_clear_400(client_for, world, tight_region):
    other = factories.SupervisionSourceFactory(
        location=factories.LocationFactory(
            organisation=factories.OrganisationFactory(region=world.other_region)
        )
    )

    erin = client_for("erin")
    foreign = erin.post(_url(world, "scenario"), {"remove_source_ids": [other.pk]})
    incomplete = erin.post(_url(world, "scenario"), {"add_sources": [{"kind": "werkbegeleider"}]})

    assert foreign.status_code == 400
    assert [e["path"] for e in foreign.json()["errors"]] == ["remove_source_ids[0]"]
    assert incomplete.status_code == 400
    assert "add_sources[0].hours_per_week" in {e["path"] for e in incomplete.json()["errors"]}


def test_the_capacity_report_names_what_each_form_carries(client_for, world, tight_region):
    rows = client_for("erin").get(_url(world, "capacity")).json()

    werkbegeleider = next(r for r in rows if r["kind"] == "werkbegeleider")
    assert werkbegeleider["placements_carried"] == 2
    assert werkbegeleider["placements_lost_without"] == 2


def test_only_the_regions_coordinators_may_ask(client_for, world, tight_region):
    for username in ("frank", "alice", "carol"):
        client = client_for(username)
        assert client.get(_url(world, "capacity")).status_code == 404
        assert client.post(_url(world, "scenario"), {}).status_code == 404


def test_the_scenario_dates_must_be_in_order(client_for, world, tight_region):
    location, _, _ = tight_region
    start = dt.date(2027, 1, 1)

    response = client_for("erin").post(
        _url(world, "scenario"),
        {
            "add_sources": [
                {
                    "kind": "werkbegeleider",
                    "hours_per_week": "4",
                    "start_date": start.isoformat(),
                    "end_date": (start - dt.timedelta(days=1)).isoformat(),
                    "location": location.pk,
                }
            ]
        },
    )

    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == ["add_sources[0].end_date"]
