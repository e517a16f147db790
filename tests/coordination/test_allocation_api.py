"""The coordinators' allocation API: runs, unplaced reasons, problem export."""

from __future__ import annotations

from coordination.models import AllocationRun, RunStatus, UnplacedRequest
from tests import factories


def _finished_run(world):
    request = factories.PlacementRequestFactory(school=world.school)
    run = AllocationRun.objects.create(
        region=world.region, status=RunStatus.FINISHED, placed=0, unplaced=1, result={}
    )
    UnplacedRequest.objects.create(
        run=run, request=request, reason="no_eligible_plek", criterion="opleiding"
    )
    return run, request


def test_coordinator_lists_runs_and_unplaced_reasons_by_pseudonym(client_for, world):
    run, request = _finished_run(world)
    erin = client_for("erin")

    runs = erin.get("/api/v1/allocation-runs/").json()
    unplaced = erin.get(f"/api/v1/allocation-runs/{run.pk}/unplaced/").json()

    assert [r["id"] for r in runs["results"]] == [run.pk]
    assert unplaced["results"] == [
        {
            "request": request.pk,
            "student_pseudonym": request.student_pseudonym,
            "reason": "no_eligible_plek",
            "criterion": "opleiding",
            "binding_plekken": [],
            "binding_sources": [],
            "suggestion": "",
        }
    ]


def test_other_regions_and_other_roles_see_no_runs(client_for, world):
    run, _ = _finished_run(world)

    for username in ("frank", "alice", "carol"):
        client = client_for(username)
        assert client.get("/api/v1/allocation-runs/").json()["results"] == []
        assert client.get(f"/api/v1/allocation-runs/{run.pk}/").status_code == 404


def test_problem_export_is_for_the_coordinators_own_region_only(client_for, world):
    factories.PlacementRequestFactory(school=world.school)

    mine = client_for("erin").get(f"/api/v1/allocation-problems/{world.region.pk}/")
    theirs = client_for("frank").get(f"/api/v1/allocation-problems/{world.region.pk}/")
    school = client_for("alice").get(f"/api/v1/allocation-problems/{world.region.pk}/")

    assert mine.status_code == 200
    assert len(mine.json()["requests"]) == 1
    assert theirs.status_code == 404
    assert school.status_code == 404


def test_a_coordinator_starts_a_full_run_now_and_asking_again_returns_it(client_for, world):
    from coordination.services import allocation_run_pending
    from events.models import Event

    erin = client_for("erin")
    url = f"/api/v1/allocation-problems/{world.region.pk}/runs/"

    first = erin.post(url)
    again = erin.post(url)

    assert first.status_code == 202 and first.json()["status"] == "queued"
    assert first["Location"] == f"/api/v1/allocation-runs/{first.json()['id']}/"
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    queued = Event.objects.get(type="allocation.queued")
    assert queued.payload == {"run_id": first.json()["id"], "requested_by": "erin"}

    outcome = allocation_run_pending(region_id=world.region.pk, owner="test-worker")

    assert outcome.run.pk == first.json()["id"]  # the worker ran the queued run itself
    run = erin.get(f"/api/v1/allocation-runs/{first.json()['id']}/").json()
    assert (run["status"], run["trigger"], run["mode"]) == ("finished", "manual", "full")
    assert erin.post(url).json()["id"] != run["id"]  # a new run once that one ran


def test_only_the_regions_active_coordinators_start_runs(client_for, world):
    url = f"/api/v1/allocation-problems/{world.region.pk}/runs/"
    factories.MembershipFactory(
        user=factories.UserFactory(username="vera"),
        organisation=world.coordination,
        role="viewer",
    )

    assert client_for("frank").post(url).status_code == 404
    assert client_for("alice").post(url).status_code == 404
    assert client_for("vera").post(url).status_code == 403
    assert not AllocationRun.objects.exists()
