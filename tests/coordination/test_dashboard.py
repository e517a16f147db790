"""The coordinator's overview: figures a dashboard shows, from the region's rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from coordination.services import allocation_run
from tests import factories


def _region(world):
    location = factories.LocationFactory(organisation=world.care, name="Lindehof")
    opleiding = factories.OpleidingFactory()
    factories.PlekFactory(location=location, seats=2, opleidingen=[opleiding], sector="vvt")
    factories.SupervisionSourceFactory(
        location=location, hours_per_week=Decimal("8"), max_students=2
    )
    for _ in range(3):
        factories.PlacementRequestFactory(
            school=world.school, opleiding=opleiding, acceptable_sectors=["vvt"]
        )
    allocation_run(region=world.region, trigger="test")
    return opleiding


def test_the_overview_counts_what_the_region_holds(client_for, world):
    _region(world)

    body = client_for("erin").get(f"/api/v1/allocation-problems/{world.region.pk}/overview/").json()

    f = body["figures"]
    assert (f["requests"], f["placed"], f["proposed"], f["waiting"], f["unplaced"]) == (
        3, 2, 2, 1, 1,
    )  # fmt: skip
    assert f["fill_rate"] == round(2 / 3, 3)
    vvt = next(s for s in body["sectors"] if s["sector"] == "vvt")
    assert (vvt["demand"], vvt["supply"]) == (3, 2)
    week = next(w for w in body["weeks"] if w["week"] == "2026-10-05")
    assert (week["placements"], week["free_seats"]) == (2, 0)
    assert (week["supervision_used"], week["supervision_available"]) == (8.0, 8.0)
    assert body["supervision_by_location"] == [
        {"location": "Lindehof", "used": 8.0, "available": 8.0}
    ]
    assert body["runs"][0]["status"] == "finished"
    assert body["events"][0]["type"] == "allocation.finished"


def test_the_unplaced_list_says_why_and_filters(client_for, world):
    opleiding = _region(world)
    url = f"/api/v1/allocation-problems/{world.region.pk}/unplaced/"
    erin = client_for("erin")

    everyone = erin.get(url).json()
    other_school = erin.get(f"{url}?school={world.other_school.pk}").json()
    bad = erin.get(f"{url}?sector=moon")

    assert len(everyone) == 1 and everyone[0]["reason"] in ("seats_full", "supervision_full")
    assert everyone[0]["opleiding_id"] == opleiding.pk and everyone[0]["suggestion"]
    assert "student_name" not in everyone[0]
    assert other_school == []
    assert bad.status_code == 400


def test_only_the_regions_coordinators_see_the_overview(client_for, world):
    for username in ("alice", "carol", "frank"):
        response = client_for(username).get(
            f"/api/v1/allocation-problems/{world.region.pk}/overview/"
        )
        assert response.status_code == 404


def test_week_figures_use_iso_weeks():
    from coordination.dashboard import _weeks

    weeks = _weeks(dt.date(2026, 9, 6), dt.date(2026, 9, 7))  # a Sunday, then a Monday
    assert weeks == [dt.date(2026, 8, 31), dt.date(2026, 9, 7)]
