"""What-if scenarios and the capacity report, for a region's coordinators only: queued as
jobs (202), computed by the worker's service, read back at /api/v1/analysis-jobs/<id>/."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from coordination.analyses import analysis_run
from coordination.models import AnalysisJob
from coordination.services import allocation_run
from events.models import Event
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


def _computed(client, response):
    """What the worker does with a queued job, then the job as its coordinator reads it."""
    assert response.status_code == 202, response.json()
    job_id = response.json()["id"]
    assert response["Location"] == f"/api/v1/analysis-jobs/{job_id}/"
    analysis_run(job_id=job_id)
    job = client.get(f"/api/v1/analysis-jobs/{job_id}/").json()
    assert job["status"] == "finished", job
    return job["result"]


def test_adding_supervision_hours_places_the_third_student(client_for, world, tight_region):
    location, _, _ = tight_region

    erin = client_for("erin")
    response = erin.post(
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

    body = _computed(erin, response)
    assert (body["placed_before"], body["placed_after"], body["placed_delta"]) == (2, 3, 1)
    assert len(body["newly_placed"]) == 1 and body["newly_unplaced"] == []
    assert not Placement.objects.exists()  # a scenario stores nothing


def test_removing_the_only_source_loses_every_placement(client_for, world, tight_region):
    _, _, source = tight_region

    erin = client_for("erin")
    body = _computed(erin, erin.post(_url(world, "scenario"), {"remove_source_ids": [source.pk]}))

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
    assert foreign.json()["errors"] == [
        {
            "path": "remove_source_ids[0]",
            "code": "not_found",
            "message": f"The region has no active supervision source {other.pk}.",
        }
    ]
    assert incomplete.status_code == 400
    assert "add_sources[0].hours_per_week" in {e["path"] for e in incomplete.json()["errors"]}
    assert not AnalysisJob.objects.exists()  # refused before anything was queued


def test_the_capacity_report_names_what_each_form_carries(client_for, world, tight_region):
    erin = client_for("erin")
    rows = _computed(erin, erin.post(_url(world, "capacity")))["rows"]

    werkbegeleider = next(r for r in rows if r["kind"] == "werkbegeleider")
    assert werkbegeleider["placements_carried"] == 2
    assert werkbegeleider["placements_lost_without"] == 2


def test_only_the_regions_coordinators_may_ask(client_for, world, tight_region):
    for username in ("frank", "alice", "carol"):
        client = client_for(username)
        assert client.post(_url(world, "capacity")).status_code == 404
        assert client.post(_url(world, "scenario"), {}).status_code == 404
        assert client.post(_url(world, "runs")).status_code == 404
    job = AnalysisJob.objects.create(region=world.region, kind="capacity")
    for username in ("frank", "alice", "carol"):
        assert client_for(username).get(f"/api/v1/analysis-jobs/{job.pk}/").status_code == 404
    assert client_for("victor").post(_url(world, "capacity")).status_code == 403


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


def test_the_same_question_about_the_same_state_is_answered_from_the_cache(
    client_for, world, tight_region
):
    erin = client_for("erin")
    first = _computed(erin, erin.post(_url(world, "capacity")))

    again = erin.post(_url(world, "capacity"))

    assert again.status_code == 200  # known: no new job, no new solve
    assert again.json()["result"] == first
    assert AnalysisJob.objects.count() == 1


def test_a_changed_region_is_analysed_again_and_reuses_the_base_solve(
    client_for, world, tight_region
):
    _, _, source = tight_region
    erin = client_for("erin")
    _computed(erin, erin.post(_url(world, "capacity")))
    scenario = {"remove_source_ids": [source.pk]}
    first = erin.post(_url(world, "scenario"), scenario)
    _computed(erin, first)
    factories.PlacementRequestFactory(school=world.school)  # the region changes

    second = erin.post(_url(world, "scenario"), scenario)

    assert second.status_code == 202 and second.json()["id"] != first.json()["id"]
    jobs = list(AnalysisJob.objects.order_by("pk"))
    # The scenario on the unchanged region reused the capacity job's base result.
    assert jobs[0].base_result is not None and jobs[1].base_result is None
    assert jobs[0].problem_key == jobs[1].problem_key != jobs[2].problem_key


def test_a_job_is_computed_once_however_often_its_task_arrives(client_for, world, tight_region):
    erin = client_for("erin")
    job_id = erin.post(_url(world, "capacity")).json()["id"]

    assert analysis_run(job_id=job_id) is not None
    assert analysis_run(job_id=job_id) is None

    types = list(Event.objects.filter(type__startswith="analysis.").values_list("type", flat=True))
    assert types.count("analysis.finished") == 1


@pytest.mark.parametrize("what", ["capacity", "scenario"])
def test_a_job_reports_its_progress_on_the_region_stream_up_to_the_end(
    client_for, world, tight_region, what
):
    erin = client_for("erin")
    location, _plek, _source = tight_region
    body = (
        {}
        if what == "capacity"
        else {
            "add_sources": [
                {
                    "kind": "werkbegeleider",
                    "hours_per_week": "8",
                    "location": location.pk,
                    "start_date": "2026-09-01",
                    "end_date": "2027-07-01",
                }
            ]
        }
    )
    _computed(erin, erin.post(_url(world, what), body, format="json"))

    fractions = [
        e.payload["fraction"]
        for e in Event.objects.filter(type="analysis.progress").order_by("seq")
    ]
    assert fractions, "no progress reported"
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_after_a_run_a_question_starts_from_the_placements_the_coordinator_sees(
    client_for, world, tight_region
):
    run = allocation_run(region=world.region, trigger="manual")
    live = Placement.objects.filter(allocation_run=run).count()
    assert run.placed == live == 2
    erin = client_for("erin")

    body = _computed(erin, erin.post(_url(world, "scenario"), {"remove_source_ids": []}))

    # The live placements are the base: nothing was solved (or stored) for it.
    assert AnalysisJob.objects.get().base_result is None
    assert body["placed_before"] == live
    assert Placement.objects.filter(allocation_run=run).count() == live  # nothing changed
