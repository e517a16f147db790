"""The proposal workflow over the API: who may answer, from which state, and what follows."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from coordination.loading import load_problem
from coordination.models import AllocationQueue
from events.models import Event
from placements.domain import PlacementStatus, RequestStatus
from placements.lifecycle import placements_expire
from tests import factories


def _proposal(world, **kwargs):
    location = factories.LocationFactory(organisation=world.care)
    plek = factories.PlekFactory(location=location)
    request = factories.PlacementRequestFactory(school=world.school, status=RequestStatus.PROPOSED)
    return factories.PlacementFactory(request=request, plek=plek, **kwargs)


def test_care_accepts_then_school_confirms(client_for, world):
    placement = _proposal(world)

    accepted = client_for("carol").post(f"/api/v1/placements/{placement.pk}/accept/")
    confirmed = client_for("alice").post(f"/api/v1/placements/{placement.pk}/confirm/")

    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    placement.refresh_from_db()
    placement.request.refresh_from_db()
    assert placement.status == PlacementStatus.CONFIRMED
    assert placement.request.status == RequestStatus.CONFIRMED
    types = list(Event.objects.order_by("seq").values_list("type", flat=True))
    assert types == ["placement.accepted", "placement.confirmed"]


def test_the_wrong_party_is_refused_and_nothing_changes(client_for, world):
    placement = _proposal(world)

    school_accepts = client_for("alice").post(f"/api/v1/placements/{placement.pk}/accept/")
    care_confirms = client_for("carol").post(f"/api/v1/placements/{placement.pk}/confirm/")
    other_care = client_for("dave").post(f"/api/v1/placements/{placement.pk}/accept/")
    other_school = client_for("bob").post(f"/api/v1/placements/{placement.pk}/withdraw/")
    viewer = client_for("victor").post(f"/api/v1/placements/{placement.pk}/withdraw/")

    assert school_accepts.status_code == 403
    assert care_confirms.status_code == 403
    assert other_care.status_code == 404
    assert other_school.status_code == 404
    assert viewer.status_code == 403
    placement.refresh_from_db()
    assert placement.status == PlacementStatus.PROPOSED
    assert not Event.objects.exists()


def test_an_illegal_transition_answers_409_with_the_current_state(client_for, world):
    placement = _proposal(world)

    response = client_for("alice").post(f"/api/v1/placements/{placement.pk}/confirm/")
    # Alice is the school, but a proposal must be accepted before it can be confirmed.
    assert response.status_code == 409
    assert response.json()["current_state"] == "proposed"
    assert response.json()["type"] == "client_error"


def test_a_decline_needs_a_reason_and_requeues_without_that_plek(client_for, world):
    placement = _proposal(world)
    carol = client_for("carol")

    no_reason = carol.post(f"/api/v1/placements/{placement.pk}/decline/", {"reason": ""})
    declined = carol.post(
        f"/api/v1/placements/{placement.pk}/decline/", {"reason": "Team is in a reorganisation"}
    )

    assert no_reason.status_code == 400
    assert no_reason.json()["errors"][0]["path"] == "reason"
    assert declined.status_code == 200
    placement.refresh_from_db()
    placement.request.refresh_from_db()
    assert placement.status == PlacementStatus.DECLINED
    assert placement.decline_reason == "Team is in a reorganisation"
    assert placement.request.status == RequestStatus.OPEN
    assert AllocationQueue.objects.get(region=world.region).pending is True
    (request,) = [
        r for r in load_problem(world.region).problem.requests if r.id == placement.request_id
    ]
    assert request.excluded_plekken == frozenset({placement.plek_id})


def test_a_withdrawal_frees_the_placement_and_blocks_that_plek(client_for, world):
    placement = _proposal(world, status=PlacementStatus.ACCEPTED)

    response = client_for("alice").post(f"/api/v1/placements/{placement.pk}/withdraw/")

    assert response.status_code == 200
    placement.refresh_from_db()
    assert placement.status == PlacementStatus.WITHDRAWN
    (request,) = [
        r for r in load_problem(world.region).problem.requests if r.id == placement.request_id
    ]
    assert request.excluded_plekken == {placement.plek_id}
    assert not load_problem(world.region).problem.existing


def test_unanswered_proposals_expire_and_answered_ones_do_not(world):
    late = _proposal(world, expires_at=timezone.now() - dt.timedelta(minutes=1))
    answered = _proposal(
        world, status=PlacementStatus.ACCEPTED, expires_at=timezone.now() - dt.timedelta(days=1)
    )
    fresh = _proposal(world, expires_at=timezone.now() + dt.timedelta(days=3))

    expired = placements_expire()

    assert expired == [late.pk]
    statuses = {
        p.pk: p.status for p in type(late).objects.filter(pk__in=[late.pk, answered.pk, fresh.pk])
    }
    assert statuses == {
        late.pk: PlacementStatus.EXPIRED,
        answered.pk: PlacementStatus.ACCEPTED,
        fresh.pk: PlacementStatus.PROPOSED,
    }
    assert placements_expire() == []  # Running it again expires nothing twice.
