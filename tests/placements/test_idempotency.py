"""A POST repeated with the same Idempotency-Key returns the first answer and creates nothing new.

The last test races real threads, each with its own PostgreSQL connection, against the
unique (user, key) index: exactly one change may commit.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connections
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.models import IdempotencyRecord
from events.models import Event
from placements.models import PlacementRequest, SupervisionSource
from tests import factories

API = "/api/v1"


@pytest.fixture
def opleiding(world):
    factories.PostcodeAreaFactory(code="3511")
    return factories.OpleidingFactory()


def request_body(opleiding, pseudonym: str = "stu-idem", **overrides: Any) -> dict[str, Any]:
    return {
        "student_pseudonym": pseudonym,
        "student_name": "Sanne de Vries",
        "home_postcode": "3511",
        "opleiding": opleiding.pk,
        "doelgroep": "eerstejaars",
        "start_date": "2026-09-07",
        "end_date": "2027-01-29",
        "hours_per_week": "24",
        "max_travel_km": 20,
        **overrides,
    }


def post(client: APIClient, url: str, body: dict[str, Any], key: str | None) -> Any:
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(url, body, format="json", **headers)


def submitted_events() -> int:
    return Event.objects.filter(type="request.submitted").count()


@pytest.mark.django_db
def test_a_repeated_post_replays_the_first_answer_and_creates_one_row(client_for, opleiding):
    # given alice submits a request with an Idempotency-Key
    alice = client_for("alice")
    body = request_body(opleiding)
    first = post(alice, f"{API}/requests/", body, "key-1")

    # when she sends exactly the same request again (a retry after a timeout)
    again = post(alice, f"{API}/requests/", body, "key-1")

    # then the second answer is the first one, marked as replayed, and nothing new exists
    assert first.status_code == 201, first.content
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert PlacementRequest.objects.filter(student_pseudonym="stu-idem").count() == 1
    assert submitted_events() == 1


@pytest.mark.django_db
def test_the_same_body_without_a_key_is_not_deduplicated(client_for, opleiding):
    # A contrast for the test above: without a key the second POST is a new request (and
    # here collides with the first on the database's once-per-student rule).
    alice = client_for("alice")
    assert post(alice, f"{API}/requests/", request_body(opleiding), None).status_code == 201
    second = post(alice, f"{API}/requests/", request_body(opleiding), None)
    assert second.status_code == 409
    assert "Idempotent-Replayed" not in second.headers


@pytest.mark.django_db
def test_a_replay_is_the_first_answer_even_after_the_object_changed(client_for, opleiding):
    # given a request created with a key and then changed
    alice = client_for("alice")
    first = post(alice, f"{API}/requests/", request_body(opleiding), "key-1").json()
    assert alice.patch(f"{API}/requests/{first['id']}/", {"notes": "later"}).status_code == 200

    # when the original POST is retried
    again = post(alice, f"{API}/requests/", request_body(opleiding), "key-1")

    # then the client gets the answer it missed, not a new or current one
    assert again.json() == first
    assert again.json()["notes"] == ""


@pytest.mark.django_db
def test_the_same_key_with_a_different_body_is_422_and_creates_nothing(client_for, opleiding):
    # given a request created with key-1
    alice = client_for("alice")
    assert post(alice, f"{API}/requests/", request_body(opleiding), "key-1").status_code == 201

    # when key-1 is reused for another student
    reused = post(alice, f"{API}/requests/", request_body(opleiding, "stu-other"), "key-1")

    # then it is refused in the error shape and the other student is not created
    assert reused.status_code == 422
    body = reused.json()
    assert body["type"] == "client_error"
    assert [(e["path"], e["code"]) for e in body["errors"]] == [
        ("headers.Idempotency-Key", "key_reused")
    ]
    assert "Idempotent-Replayed" not in reused.headers
    assert not PlacementRequest.objects.filter(student_pseudonym="stu-other").exists()
    assert PlacementRequest.objects.count() == 1
    assert submitted_events() == 1


@pytest.mark.django_db
def test_the_same_key_on_another_endpoint_is_422(client_for, world):
    # given carol created a location with key-1
    carol = client_for("carol")
    location = {
        "name": "Lindehof",
        "postcode": "3512 AB",
        "city": "Utrecht",
        "latitude": 52.09,
        "longitude": 5.12,
    }
    assert post(carol, f"{API}/locations/", location, "key-1").status_code == 201

    # when she uses key-1 for a plek
    response = post(carol, f"{API}/plekken/", {"team": "X"}, "key-1")

    # then that is a different request, refused
    assert response.status_code == 422


@pytest.mark.django_db
def test_the_same_key_used_by_another_user_is_independent(client_for, opleiding):
    # given alice used key-1
    alice_answer = post(client_for("alice"), f"{API}/requests/", request_body(opleiding), "key-1")

    # when bob (another school) uses key-1 with the same body
    bob_answer = post(client_for("bob"), f"{API}/requests/", request_body(opleiding), "key-1")

    # then bob's request is created for bob's school, not a replay of alice's
    assert alice_answer.status_code == bob_answer.status_code == 201
    assert "Idempotent-Replayed" not in bob_answer.headers
    assert bob_answer.json()["id"] != alice_answer.json()["id"]
    assert bob_answer.json()["school"] != alice_answer.json()["school"]
    assert PlacementRequest.objects.filter(student_pseudonym="stu-idem").count() == 2
    assert IdempotencyRecord.objects.filter(key="key-1").count() == 2


@pytest.mark.django_db
def test_a_key_shared_by_two_users_of_one_school_is_independent_too(client_for, opleiding, world):
    # given a second editor at alice's school
    factories.MembershipFactory(
        user=factories.UserFactory(username="alice2"), organisation=world.school
    )
    first = post(client_for("alice"), f"{API}/requests/", request_body(opleiding), "key-1")

    # when the colleague posts another student with the same key
    second = post(
        client_for("alice2"), f"{API}/requests/", request_body(opleiding, "stu-2"), "key-1"
    )

    # then it is not a key reuse: each user has their own keys
    assert first.status_code == second.status_code == 201
    assert PlacementRequest.objects.count() == 2


@pytest.mark.django_db
def test_a_failed_first_attempt_stores_nothing_so_a_corrected_retry_succeeds(client_for, opleiding):
    # given a first attempt with the dates swapped
    alice = client_for("alice")
    bad = post(
        alice,
        f"{API}/requests/",
        request_body(opleiding, start_date="2027-01-29", end_date="2026-09-07"),
        "key-1",
    )
    assert bad.status_code == 400
    assert not IdempotencyRecord.objects.exists()

    # when the corrected request is sent with the same key
    fixed = post(alice, f"{API}/requests/", request_body(opleiding), "key-1")

    # then it is processed, not refused as a reused key, and stored once
    assert fixed.status_code == 201, fixed.content
    assert "Idempotent-Replayed" not in fixed.headers
    assert PlacementRequest.objects.count() == 1
    # and a further retry replays the success
    assert (
        post(alice, f"{API}/requests/", request_body(opleiding), "key-1").headers.get(
            "Idempotent-Replayed"
        )
        == "true"
    )


@pytest.mark.django_db
def test_a_first_attempt_refused_by_a_service_rule_stores_nothing(client_for, world):
    # given a school posting a werkbegeleider (a 400 from the service, not the serializer)
    alice = client_for("alice")
    body = {
        "kind": "werkbegeleider",
        "name": "Docent Jansen",
        "hours_per_week": "4",
        "start_date": "2026-09-07",
        "end_date": "2027-06-25",
    }
    refused = post(alice, f"{API}/sources/", body, "key-1")

    # when corrected to a docent-begeleider under the same key
    fixed = post(alice, f"{API}/sources/", {**body, "kind": "docent_begeleider"}, "key-1")

    # then the correction is created
    assert refused.status_code == 400
    assert fixed.status_code == 201, fixed.content
    assert SupervisionSource.objects.get().kind == "docent_begeleider"


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 256])
def test_an_empty_or_overlong_key_is_400(client_for, opleiding, key):
    response = post(client_for("alice"), f"{API}/requests/", request_body(opleiding), key)
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "headers.Idempotency-Key"
    assert not PlacementRequest.objects.exists()


# --- Racing threads --------------------------------------------------------------------


def _race(token: str, url: str, body: dict[str, Any], key: str, threads: int) -> list[Any]:
    """POST the same body with the same key from `threads` threads released together."""
    barrier = threading.Barrier(threads)
    results: list[Any] = [None] * threads

    def run(i: int) -> None:
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
            barrier.wait(timeout=10)
            response = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)
            results[i] = response
        except BaseException as exc:  # reported by the main thread
            results[i] = exc
        finally:
            # Each thread opened its own connection; close it so the test DB can be dropped.
            connections.close_all()

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not any(worker.is_alive() for worker in workers)
    return results


def _token(username: str) -> str:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=username)
    return Token.objects.get_or_create(user=user)[0].key


def _check_one_winner(results: list[Any]) -> None:
    for result in results:
        assert not isinstance(result, BaseException), repr(result)
    assert [r.status_code for r in results] == [201] * len(results), [r.content for r in results]
    bodies = [r.json() for r in results]
    assert all(body == bodies[0] for body in bodies)
    replayed = [r.headers.get("Idempotent-Replayed") == "true" for r in results]
    assert replayed.count(False) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_racing_posts_of_a_source_with_one_key_create_exactly_one(world, round_):
    # given carol's location and the same source POST ready in four threads
    location = factories.LocationFactory(organisation=world.care)
    body = {
        "kind": "werkbegeleider",
        "name": f"Werkbegeleider race {round_}",
        "hours_per_week": "8",
        "start_date": "2026-09-07",
        "end_date": "2027-06-25",
        "location": location.pk,
    }

    # when they all send it at once with one key
    results = _race(_token("carol"), f"{API}/sources/", body, f"race-{round_}", threads=4)

    # then exactly one source, one event and one record exist, and every thread got its answer
    _check_one_winner(results)
    assert SupervisionSource.objects.filter(name=body["name"]).count() == 1
    assert Event.objects.filter(type="source.published").count() == 1
    assert IdempotencyRecord.objects.filter(key=f"race-{round_}").count() == 1


@pytest.mark.django_db(transaction=True)
def test_racing_posts_of_a_request_with_one_key_create_exactly_one(world):
    factories.PostcodeAreaFactory(code="3511")
    opleiding = factories.OpleidingFactory()

    results = _race(
        _token("alice"), f"{API}/requests/", request_body(opleiding), "race-request", threads=4
    )

    _check_one_winner(results)
    assert PlacementRequest.objects.filter(student_pseudonym="stu-idem").count() == 1
    assert submitted_events() == 1
