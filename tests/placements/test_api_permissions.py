"""Who sees and changes what, through every endpoint, for every role.

The cast (tests/conftest.py): alice (editor) and victor (viewer) at school ROC Utrecht, bob at
another school, carol and dave at two care organisations, erin coordinator of region Utrecht,
frank coordinator of Gooi en Vechtstreek. `tenants` below gives each of them something of
their own, so every list can be compared with the exact set of ids that role should see.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from events.models import Event
from placements.domain import OrganisationKind, PlekStatus
from placements.models import (
    Location,
    Organisation,
    Placement,
    PlacementRequest,
    Plek,
    RequestPreference,
    SupervisionSource,
)
from tests import factories

API = "/api/v1"
USERS = ["alice", "victor", "bob", "carol", "dave", "erin", "frank"]


@dataclass
class Tenants:
    objects: dict[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.objects[name]

    def ids(self, names: set[str]) -> set[Any]:
        return {self.key(self.objects[name]) for name in names}

    @staticmethod
    def key(obj: Any) -> Any:
        return getattr(obj, "code", None) if hasattr(obj, "municipality") else obj.pk


@pytest.fixture
def tenants(world) -> Tenants:
    """Something of everyone's, in region Utrecht and in Gooi en Vechtstreek."""
    F = factories
    gooi_care = F.OrganisationFactory(
        region=world.other_region, name="Zorg Gooi", kind=OrganisationKind.CARE
    )
    gooi_school = F.OrganisationFactory(
        region=world.other_region, name="ROC Gooi", kind=OrganisationKind.SCHOOL
    )
    opleiding = F.OpleidingFactory()
    other_opleiding = F.OpleidingFactory(code="25480", name="Helpende Zorg en Welzijn")
    postcode = F.PostcodeAreaFactory(code="3511")
    other_postcode = F.PostcodeAreaFactory(code="1211", municipality="Hilversum")

    loc_carol = F.LocationFactory(organisation=world.care, name="Lindehof")
    loc_dave = F.LocationFactory(organisation=world.other_care, name="Zonnehuis")
    loc_gooi = F.LocationFactory(organisation=gooi_care, name="Gooiland")
    p_carol = F.PlekFactory(location=loc_carol, opleidingen=[opleiding])
    p_carol_draft = F.PlekFactory(location=loc_carol, status=PlekStatus.DRAFT)
    p_dave = F.PlekFactory(location=loc_dave, sector="ghz", start_date=dt.date(2026, 10, 5))
    p_gooi = F.PlekFactory(location=loc_gooi)

    def request(school: Organisation, **kw: Any) -> PlacementRequest:
        return F.PlacementRequestFactory(
            school=school, opleiding=opleiding, home_postcode=postcode, **kw
        )

    r_alice1 = request(world.school, student_name="Sanne de Vries", doelgroep="eerstejaars")
    r_alice2 = request(
        world.school,
        student_name="Daan Bakker",
        doelgroep="zij_instromer",
        start_date=dt.date(2026, 11, 2),
    )
    r_alice3 = request(
        world.school,
        student_name="Noor Jansen",
        doelgroep="eerstejaars",
        start_date=dt.date(2027, 2, 1),
        end_date=dt.date(2027, 6, 25),
    )
    r_bob = request(world.other_school, student_name="Lotte Visser")
    r_gooi = request(gooi_school, student_name="Milan de Boer")
    pl_alice1 = F.PlacementFactory(request=r_alice1, plek=p_carol)
    pl_gooi = F.PlacementFactory(request=r_gooi, plek=p_gooi)

    source = F.SupervisionSourceFactory
    s_carol = source(location=loc_carol)
    s_dave = source(location=loc_dave)
    s_gooi = source(location=loc_gooi)
    s_docent = source(
        location=None,
        organisation=world.school,
        kind="docent_begeleider",
        school=world.school,
        max_students=None,
    )
    s_pool = source(
        location=None, organisation=world.coordination, kind="regionale_pool", max_students=None
    )
    made = dict(locals())
    wanted = {
        name: value
        for name, value in made.items()
        if name.split("_")[0] in ("loc", "p", "r", "pl", "s")
        or name.startswith("gooi_")
        or name.endswith(("opleiding", "postcode"))
    }
    for name in (
        "region",
        "other_region",
        "school",
        "other_school",
        "care",
        "other_care",
        "coordination",
        "other_coordination",
    ):
        wanted[name] = getattr(world, name)
    return Tenants(wanted)


def assert_error_shape(response: Any, status: int, *, type_: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) >= {"type", "errors"}
    if type_:
        assert body["type"] == type_
    assert body["errors"], body
    for error in body["errors"]:
        assert set(error) == {"path", "code", "message"}
    return body


def paths_of(body: dict) -> set[str]:
    return {error["path"] for error in body["errors"]}


def listed(client: APIClient, endpoint: str, **params: Any) -> dict:
    response = client.get(f"{API}/{endpoint}/", {"page_size": 500, **params})
    assert response.status_code == 200, response.content
    return response.json()


def listed_ids(client: APIClient, endpoint: str) -> set[Any]:
    key = "code" if endpoint == "postcode-areas" else "id"
    return {row[key] for row in listed(client, endpoint)["results"]}


REGION_UTRECHT_ORGS = {"school", "other_school", "care", "other_care", "coordination"}
GOOI_ORGS = {"other_coordination", "gooi_care", "gooi_school"}
ALL_OPLEIDINGEN = {"opleiding", "other_opleiding"}
ALL_POSTCODES = {"postcode", "other_postcode"}

VISIBLE = {
    "requests": {
        "alice": {"r_alice1", "r_alice2", "r_alice3"},
        "victor": {"r_alice1", "r_alice2", "r_alice3"},
        "bob": {"r_bob"},
        "carol": {"r_alice1"},
        "dave": set(),
        "erin": {"r_alice1", "r_alice2", "r_alice3", "r_bob"},
        "frank": {"r_gooi"},
    },
    "plekken": {
        "alice": {"p_carol", "p_dave"},
        "victor": {"p_carol", "p_dave"},
        "bob": {"p_carol", "p_dave"},
        "carol": {"p_carol", "p_carol_draft"},
        "dave": {"p_dave"},
        "erin": {"p_carol", "p_carol_draft", "p_dave"},
        "frank": {"p_gooi"},
    },
    "locations": {
        "alice": {"loc_carol", "loc_dave"},
        "victor": {"loc_carol", "loc_dave"},
        "bob": {"loc_carol", "loc_dave"},
        "carol": {"loc_carol"},
        "dave": {"loc_dave"},
        "erin": {"loc_carol", "loc_dave"},
        "frank": {"loc_gooi"},
    },
    "sources": {
        "alice": {"s_docent"},
        "victor": {"s_docent"},
        "bob": set(),
        "carol": {"s_carol"},
        "dave": {"s_dave"},
        "erin": {"s_carol", "s_dave", "s_docent", "s_pool"},
        "frank": {"s_gooi"},
    },
    "placements": {
        "alice": {"pl_alice1"},
        "victor": {"pl_alice1"},
        "bob": set(),
        "carol": {"pl_alice1"},
        "dave": set(),
        "erin": {"pl_alice1"},
        "frank": {"pl_gooi"},
    },
    "organisations": {
        **{u: REGION_UTRECHT_ORGS for u in ("alice", "victor", "bob", "carol", "dave", "erin")},
        "frank": GOOI_ORGS,
    },
    "regions": {
        **{u: {"region"} for u in ("alice", "victor", "bob", "carol", "dave", "erin")},
        "frank": {"other_region"},
    },
    "opleidingen": {u: ALL_OPLEIDINGEN for u in USERS},
    "postcode-areas": {u: ALL_POSTCODES for u in USERS},
}


# --- Lists: exactly the right objects --------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", sorted(VISIBLE))
@pytest.mark.parametrize("username", USERS)
def test_each_role_lists_exactly_its_own_objects(client_for, tenants, endpoint, username):
    # given everyone's objects in two regions
    # when the user lists the endpoint
    ids = listed_ids(client_for(username), endpoint)

    # then it sees exactly its share
    assert ids == tenants.ids(VISIBLE[endpoint][username])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "username, organisation, role",
    [
        ("alice", "school", "editor"),
        ("victor", "school", "viewer"),
        ("bob", "other_school", "editor"),
        ("carol", "care", "editor"),
        ("dave", "other_care", "editor"),
        ("erin", "coordination", "admin"),
        ("frank", "other_coordination", "admin"),
    ],
)
def test_me_names_the_organisation_and_role(client_for, tenants, username, organisation, role):
    body = client_for(username).get(f"{API}/me/").json()
    assert body["username"] == username
    assert body["organisation"]["id"] == tenants[organisation].pk
    assert body["role"] == role


@pytest.mark.django_db
def test_a_user_without_membership_sees_nothing_and_writes_nothing(client_for, tenants):
    # given a logged-in user who acts for no organisation
    loner = factories.UserFactory(username="loner")
    client = APIClient()
    client.force_authenticate(loner)

    # then /me says so, tenant lists are refused and no write gets through
    assert client.get(f"{API}/me/").json()["organisation"] is None
    assert_error_shape(client.get(f"{API}/requests/"), 403)
    assert_error_shape(client.delete(f"{API}/requests/{tenants['r_alice1'].pk}/"), 403)


# --- Anonymous -------------------------------------------------------------------------

ENDPOINTS = [
    "requests",
    "plekken",
    "locations",
    "sources",
    "placements",
    "organisations",
    "regions",
    "opleidingen",
    "postcode-areas",
    "me",
]


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_anonymous_is_401_on_every_endpoint(tenants, endpoint):
    client = APIClient()
    body = assert_error_shape(client.get(f"{API}/{endpoint}/"), 401, type_="client_error")
    assert body["errors"][0]["code"] == "not_authenticated"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "endpoint, obj", [("requests", "r_alice1"), ("plekken", "p_carol"), ("sources", "s_carol")]
)
def test_anonymous_cannot_read_or_write_an_object(tenants, endpoint, obj):
    client = APIClient()
    url = f"{API}/{endpoint}/{tenants[obj].pk}/"
    assert client.get(url).status_code == 401
    assert client.patch(url, {"notes": "x"}).status_code == 401
    assert client.delete(url).status_code == 401
    assert client.post(f"{API}/{endpoint}/", {}).status_code == 401


@pytest.mark.django_db
def test_a_bad_token_is_401():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get(f"{API}/me/").status_code == 401


# --- Retrieve across tenants: 404, no data ---------------------------------------------

FOREIGN_READS = [
    ("bob", "requests", "r_alice1"),
    ("dave", "requests", "r_alice1"),
    ("carol", "requests", "r_alice2"),
    ("frank", "requests", "r_alice1"),
    ("erin", "requests", "r_gooi"),
    ("dave", "plekken", "p_carol"),
    ("alice", "plekken", "p_carol_draft"),
    ("frank", "plekken", "p_carol"),
    ("dave", "locations", "loc_carol"),
    ("frank", "locations", "loc_carol"),
    ("alice", "locations", "loc_gooi"),
    ("dave", "sources", "s_carol"),
    ("alice", "sources", "s_carol"),
    ("bob", "sources", "s_docent"),
    ("carol", "sources", "s_pool"),
    ("frank", "sources", "s_pool"),
    ("bob", "placements", "pl_alice1"),
    ("dave", "placements", "pl_alice1"),
    ("frank", "placements", "pl_alice1"),
    ("erin", "placements", "pl_gooi"),
    ("frank", "organisations", "school"),
    ("alice", "organisations", "gooi_care"),
    ("alice", "regions", "other_region"),
    ("frank", "regions", "region"),
]


def _revealing_values(obj: Any) -> list[str]:
    """Strings from the object that must not show up in a 404 body."""
    values = []
    for field in ("student_pseudonym", "student_name", "team", "name", "city", "street"):
        value = getattr(obj, field, "")
        if value:
            values.append(str(value))
    if isinstance(obj, Placement):
        values += [obj.request.student_pseudonym, obj.request.student_name]
    return values


@pytest.mark.django_db
@pytest.mark.parametrize("username, endpoint, obj", FOREIGN_READS)
def test_another_tenants_object_is_404_without_its_data(
    client_for, tenants, username, endpoint, obj
):
    # given an object the user may not see
    target = tenants[obj]

    # when the user asks for it by id
    response = client_for(username).get(f"{API}/{endpoint}/{target.pk}/")

    # then it does not exist for them, and the answer carries nothing of it
    body = assert_error_shape(response, 404, type_="client_error")
    assert body["errors"][0]["code"] == "not_found"
    text = response.content.decode()
    for value in _revealing_values(target):
        assert value not in text


@pytest.mark.django_db
def test_a_404_for_a_foreign_object_looks_like_one_for_a_missing_object(client_for, tenants):
    dave = client_for("dave")
    foreign = dave.get(f"{API}/requests/{tenants['r_alice1'].pk}/")
    missing = dave.get(f"{API}/requests/999999/")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


# --- Writes across tenants: 404, row unchanged -----------------------------------------

FOREIGN_WRITES = [
    # (user, endpoint, object, a harmless-looking change)
    ("bob", "requests", "r_alice1", {"notes": "overgenomen"}),
    ("carol", "requests", "r_alice1", {"notes": "overgenomen"}),
    ("erin", "requests", "r_alice1", {"notes": "overgenomen"}),
    ("frank", "requests", "r_alice1", {"notes": "overgenomen"}),
    ("dave", "plekken", "p_carol", {"seats": 9}),
    ("alice", "plekken", "p_carol", {"seats": 9}),
    ("erin", "plekken", "p_carol", {"seats": 9}),
    ("frank", "plekken", "p_carol", {"seats": 9}),
    ("dave", "sources", "s_carol", {"hours_per_week": "40"}),
    ("alice", "sources", "s_pool", {"hours_per_week": "40"}),
    ("carol", "sources", "s_docent", {"hours_per_week": "40"}),
    ("frank", "sources", "s_pool", {"hours_per_week": "40"}),
    ("dave", "locations", "loc_carol", {"city": "Elders"}),
    ("alice", "locations", "loc_carol", {"city": "Elders"}),
    ("frank", "locations", "loc_carol", {"city": "Elders"}),
]


def _snapshot(obj: Any) -> dict[str, Any]:
    row = type(obj).objects.filter(pk=obj.pk).values().get()
    return row


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["patch", "put"])
@pytest.mark.parametrize("username, endpoint, obj, change", FOREIGN_WRITES)
def test_changing_another_tenants_object_is_404_and_changes_nothing(
    client_for, tenants, username, endpoint, obj, change, method
):
    # given an object of another tenant, as stored
    target = tenants[obj]
    before = _snapshot(target)
    events_before = Event.objects.count()

    # when the user tries to change it
    response = getattr(client_for(username), method)(f"{API}/{endpoint}/{target.pk}/", change)

    # then it is not found and the row is exactly as it was
    assert_error_shape(response, 404)
    assert _snapshot(target) == before
    assert Event.objects.count() == events_before


FOREIGN_DELETES = [
    ("bob", "requests", "r_alice1"),
    ("carol", "requests", "r_alice1"),
    ("erin", "requests", "r_alice1"),
    ("frank", "requests", "r_alice1"),
    ("dave", "plekken", "p_carol"),
    ("erin", "plekken", "p_dave"),
    ("alice", "plekken", "p_dave"),
    ("dave", "sources", "s_carol"),
    ("bob", "sources", "s_docent"),
    ("carol", "sources", "s_pool"),
    ("frank", "sources", "s_pool"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("username, endpoint, obj", FOREIGN_DELETES)
def test_deleting_another_tenants_object_is_404_and_changes_nothing(
    client_for, tenants, username, endpoint, obj
):
    target = tenants[obj]
    before = _snapshot(target)
    placements_before = list(Placement.objects.values_list("id", "status"))

    response = client_for(username).delete(f"{API}/{endpoint}/{target.pk}/")

    assert_error_shape(response, 404)
    assert _snapshot(target) == before
    assert list(Placement.objects.values_list("id", "status")) == placements_before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "username, endpoint, obj",
    [
        ("dave", "locations", "loc_carol"),
        ("bob", "placements", "pl_alice1"),
        ("carol", "placements", "pl_alice1"),
        ("alice", "organisations", "other_school"),
        ("frank", "organisations", "school"),
        ("erin", "regions", "region"),
        ("frank", "regions", "region"),
        ("alice", "opleidingen", "opleiding"),
    ],
)
def test_methods_an_endpoint_does_not_offer_are_never_200(
    client_for, tenants, username, endpoint, obj
):
    # Locations are never deleted (plekken refer to them), placements change through
    # their own actions, organisations and regions are managed in the admin.
    target = tenants[obj]
    before = _snapshot(target)
    client = client_for(username)
    url = f"{API}/{endpoint}/{target.pk}/"

    responses = [client.delete(url), client.put(url, {"name": "Overgenomen"})]
    if endpoint not in ("regions",):
        responses.append(client.patch(url, {"name": "Overgenomen"}))

    for response in responses:
        assert response.status_code in (404, 405), response.content
        assert_error_shape(response, response.status_code)
    assert _snapshot(target) == before


@pytest.mark.django_db
def test_an_owner_cannot_delete_a_location_either(client_for, tenants):
    # Plekken and sources refer to locations, so there is no DELETE, not even for the owner.
    location = tenants["loc_carol"]
    response = client_for("carol").delete(f"{API}/locations/{location.pk}/")
    assert_error_shape(response, 405)
    assert Location.objects.filter(pk=location.pk).exists()


@pytest.mark.django_db
def test_a_coordinator_changes_only_its_own_regions_settings(client_for, tenants):
    # given two regions with their default peer share
    utrecht, gooi = tenants["region"], tenants["other_region"]

    # when frank tries Utrecht's settings and alice her own region's
    foreign = client_for("frank").patch(f"{API}/regions/{utrecht.pk}/", {"peer_share": "0.9"})
    school = client_for("alice").patch(f"{API}/regions/{utrecht.pk}/", {"peer_share": "0.9"})
    # and erin changes Utrecht's
    own = client_for("erin").patch(f"{API}/regions/{utrecht.pk}/", {"peer_share": "0.25"})

    # then only erin's change is stored
    assert_error_shape(foreign, 404)
    assert_error_shape(school, 404)
    assert own.status_code == 200, own.content
    utrecht.refresh_from_db()
    gooi.refresh_from_db()
    assert utrecht.peer_share == Decimal("0.25")
    assert gooi.peer_share == Decimal("0.50")


# --- Viewer: reads, never writes -------------------------------------------------------


@pytest.mark.django_db
def test_a_viewer_reads_its_schools_requests_but_every_write_is_403(client_for, tenants):
    # given victor, a viewer at alice's school
    victor = client_for("victor")
    request = tenants["r_alice2"]
    before = _snapshot(request)
    count = PlacementRequest.objects.count()

    # when victor reads, then tries to submit, change and withdraw
    read = victor.get(f"{API}/requests/{request.pk}/")
    post = victor.post(f"{API}/requests/", _request_body(tenants, "stu-victor"))
    patch = victor.patch(f"{API}/requests/{request.pk}/", {"notes": "x"})
    put = victor.put(f"{API}/requests/{request.pk}/", _request_body(tenants, "stu-victor"))
    delete = victor.delete(f"{API}/requests/{request.pk}/")

    # then the read works (with the student's name) and each write is refused
    assert read.status_code == 200
    assert read.json()["student_name"] == "Daan Bakker"
    for response in (post, patch, put, delete):
        assert_error_shape(response, 403, type_="client_error")
    assert PlacementRequest.objects.count() == count
    assert _snapshot(request) == before


@pytest.mark.django_db
def test_a_viewer_cannot_post_a_source_either(client_for, tenants):
    response = client_for("victor").post(
        f"{API}/sources/",
        {
            "kind": "docent_begeleider",
            "name": "Docent",
            "hours_per_week": "4",
            "start_date": "2026-09-07",
            "end_date": "2027-06-25",
        },
    )
    assert_error_shape(response, 403)
    assert not SupervisionSource.objects.filter(name="Docent").exists()


# --- Care organisations and student names ----------------------------------------------


@pytest.mark.django_db
def test_a_care_organisation_sees_a_request_only_once_proposed_to_it(client_for, tenants):
    # given a request not (yet) proposed to carol
    request = tenants["r_alice2"]
    carol = client_for("carol")
    assert request.pk not in listed_ids(carol, "requests")
    assert carol.get(f"{API}/requests/{request.pk}/").status_code == 404

    # when it is proposed to one of carol's plekken
    factories.PlacementFactory(request=request, plek=tenants["p_carol"])

    # then carol sees it, with the student's name; dave still does not
    assert request.pk in listed_ids(carol, "requests")
    body = carol.get(f"{API}/requests/{request.pk}/").json()
    assert body["student_name"] == "Daan Bakker"
    assert body["student_pseudonym"] == request.student_pseudonym
    assert request.pk not in listed_ids(client_for("dave"), "requests")


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["proposed", "accepted", "confirmed"])
def test_a_care_organisation_sees_the_name_while_the_placement_is_live(client_for, tenants, status):
    request = tenants["r_alice1"]
    Placement.objects.filter(request=request).update(status=status)

    body = client_for("carol").get(f"{API}/requests/{request.pk}/").json()
    listed_row = next(
        row for row in listed(client_for("carol"), "requests")["results"] if row["id"] == request.pk
    )

    assert body["student_name"] == "Sanne de Vries"
    assert listed_row["student_name"] == "Sanne de Vries"


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["declined", "expired", "withdrawn"])
def test_after_the_placement_ends_the_care_organisation_loses_the_name(client_for, tenants, status):
    # given a request that was proposed to carol
    request = tenants["r_alice1"]

    # when the placement ends
    Placement.objects.filter(request=request).update(status=status, decline_reason="Team vol")

    # then carol still sees the request by pseudonym, but no longer the name
    carol = client_for("carol")
    body = carol.get(f"{API}/requests/{request.pk}/").json()
    assert body["student_pseudonym"] == request.student_pseudonym
    assert body["student_name"] is None
    rows = listed(carol, "requests")["results"]
    assert [row["student_name"] for row in rows if row["id"] == request.pk] == [None]
    assert "Sanne de Vries" not in carol.get(f"{API}/requests/").content.decode()


@pytest.mark.django_db
def test_the_name_follows_the_live_placement_to_another_organisation(client_for, tenants):
    # given carol declined the student, who is then proposed to dave
    request = tenants["r_alice1"]
    Placement.objects.filter(request=request).update(status="declined", decline_reason="Vol")
    factories.PlacementFactory(request=request, plek=tenants["p_dave"])

    # then dave sees the name and carol only the pseudonym
    dave_body = client_for("dave").get(f"{API}/requests/{request.pk}/").json()
    carol_body = client_for("carol").get(f"{API}/requests/{request.pk}/").json()
    assert dave_body["student_name"] == "Sanne de Vries"
    assert carol_body["student_name"] is None


@pytest.mark.django_db
def test_a_coordinator_sees_the_whole_region_by_pseudonym_only(client_for, tenants):
    # when erin lists the requests and opens one with a live placement
    erin = client_for("erin")
    rows = listed(erin, "requests")["results"]
    one = erin.get(f"{API}/requests/{tenants['r_alice1'].pk}/").json()

    # then every student is there by pseudonym, never by name
    assert {row["student_pseudonym"] for row in rows} == {
        tenants[name].student_pseudonym for name in ("r_alice1", "r_alice2", "r_alice3", "r_bob")
    }
    assert all(row["student_name"] is None for row in rows)
    assert one["student_name"] is None
    text = erin.get(f"{API}/requests/").content.decode()
    assert "Sanne de Vries" not in text and "Lotte Visser" not in text


@pytest.mark.django_db
def test_another_regions_coordinator_sees_none_of_utrecht(client_for, tenants):
    frank = client_for("frank")
    utrecht_requests = set(
        PlacementRequest.objects.filter(region=tenants["region"]).values_list("pk", flat=True)
    )
    assert listed_ids(frank, "requests").isdisjoint(utrecht_requests)
    assert listed_ids(frank, "plekken").isdisjoint(
        Plek.objects.filter(region=tenants["region"]).values_list("pk", flat=True)
    )
    assert listed_ids(frank, "placements") == {tenants["pl_gooi"].pk}
    assert frank.get(f"{API}/requests/{tenants['r_bob'].pk}/").status_code == 404


@pytest.mark.django_db
def test_placements_show_pseudonyms_not_names(client_for, tenants):
    for username in ("alice", "carol", "erin"):
        text = client_for(username).get(f"{API}/placements/").content.decode()
        assert tenants["r_alice1"].student_pseudonym in text
        assert "Sanne de Vries" not in text


# --- Mass assignment ---------------------------------------------------------------------


def _request_body(tenants: Tenants, pseudonym: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "student_pseudonym": pseudonym,
        "student_name": "Fleur Smit",
        "home_postcode": "3511",
        "opleiding": tenants["opleiding"].pk,
        "doelgroep": "eerstejaars",
        "start_date": "2026-09-07",
        "end_date": "2027-01-29",
        "hours_per_week": "24",
        "max_travel_km": 20,
    }
    return {**body, **overrides}


def _plek_body(tenants: Tenants, **overrides: Any) -> dict[str, Any]:
    body = {
        "location": tenants["loc_carol"].pk,
        "team": "Team Nieuw",
        "sector": "vvt",
        "opleidingen": [tenants["opleiding"].pk],
        "seats": 3,
        "start_date": "2026-09-07",
        "end_date": "2027-06-25",
    }
    return {**body, **overrides}


def _source_body(tenants: Tenants, **overrides: Any) -> dict[str, Any]:
    body = {
        "kind": "werkbegeleider",
        "name": "Werkbegeleider Nieuw",
        "hours_per_week": "6",
        "start_date": "2026-09-07",
        "end_date": "2027-06-25",
        "max_students": 2,
        "location": tenants["loc_carol"].pk,
    }
    return {**body, **overrides}


def _counts() -> tuple[int, ...]:
    return (
        PlacementRequest.objects.count(),
        Plek.objects.count(),
        SupervisionSource.objects.count(),
        Location.objects.count(),
        Event.objects.count(),
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field, value",
    [
        ("school", "other_school"),
        ("status", "confirmed"),
        ("region", "other_region"),
        ("organisation", "care"),
        ("created_by", None),
        ("id", 424242),
    ],
)
def test_a_school_cannot_set_owner_or_state_of_a_request(client_for, tenants, field, value):
    # given a request body that also names an owner or state
    resolved = tenants[value].pk if isinstance(value, str) and value in tenants.objects else value
    before = _counts()

    # when alice posts it
    response = client_for("alice").post(
        f"{API}/requests/", _request_body(tenants, "stu-mass", **{field: resolved})
    )

    # then it is refused, naming the field, and nothing is created
    body = assert_error_shape(response, 400, type_="validation_error")
    assert field in paths_of(body)
    assert _counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field, value", [("organisation", "other_care"), ("region", "other_region"), ("status", "x")]
)
def test_a_care_organisation_cannot_set_owner_of_a_plek_or_source(
    client_for, tenants, field, value
):
    resolved = tenants[value].pk if value in tenants.objects else "withdrawn"
    before = _counts()
    carol = client_for("carol")

    plek = carol.post(f"{API}/plekken/", _plek_body(tenants, **{field: resolved}))
    source = carol.post(f"{API}/sources/", _source_body(tenants, **{field: resolved}))

    for response in (plek, source):
        body = assert_error_shape(response, 400, type_="validation_error")
        assert field in paths_of(body)
    assert _counts() == before


@pytest.mark.django_db
def test_a_patch_cannot_move_a_request_to_another_school(client_for, tenants):
    request = tenants["r_alice2"]
    response = client_for("alice").patch(
        f"{API}/requests/{request.pk}/", {"school": tenants["other_school"].pk, "notes": "x"}
    )
    body = assert_error_shape(response, 400)
    assert "school" in paths_of(body)
    request.refresh_from_db()
    assert request.school_id == tenants["school"].pk
    assert request.notes == ""


@pytest.mark.django_db
def test_a_plek_at_another_organisations_location_is_400(client_for, tenants):
    before = _counts()
    response = client_for("carol").post(
        f"{API}/plekken/", _plek_body(tenants, location=tenants["loc_dave"].pk)
    )
    body = assert_error_shape(response, 400, type_="validation_error")
    assert paths_of(body) == {"location"}
    assert _counts() == before


@pytest.mark.django_db
def test_moving_a_plek_to_another_organisations_location_is_400(client_for, tenants):
    plek = tenants["p_carol"]
    response = client_for("carol").patch(
        f"{API}/plekken/{plek.pk}/", {"location": tenants["loc_dave"].pk}
    )
    assert paths_of(assert_error_shape(response, 400)) == {"location"}
    plek.refresh_from_db()
    assert plek.location_id == tenants["loc_carol"].pk


@pytest.mark.django_db
def test_a_source_at_another_organisations_location_is_400(client_for, tenants):
    before = _counts()
    response = client_for("carol").post(
        f"{API}/sources/", _source_body(tenants, location=tenants["loc_dave"].pk)
    )
    assert "location" in paths_of(assert_error_shape(response, 400))
    assert _counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "username, kind",
    [
        ("alice", "werkbegeleider"),
        ("alice", "regionale_pool"),
        ("carol", "docent_begeleider"),
        ("carol", "regionale_pool"),
        ("erin", "werkbegeleider"),
        ("erin", "docent_begeleider"),
    ],
)
def test_a_source_kind_the_organisation_may_not_provide_is_400(client_for, tenants, username, kind):
    before = _counts()
    body = _source_body(tenants, kind=kind)
    if username != "carol":
        body.pop("location")

    response = client_for(username).post(f"{API}/sources/", body)

    assert "kind" in paths_of(assert_error_shape(response, 400, type_="validation_error"))
    assert _counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "username, body",
    [
        (
            "carol",
            {"kind": "leercoach", "group_factor": "0.6"},
        ),
        (
            "alice",
            {"kind": "docent_begeleider", "location": None, "max_students": None},
        ),
        (
            "erin",
            {"kind": "regionale_pool", "location": None, "max_students": None},
        ),
    ],
)
def test_each_organisation_posts_the_source_kinds_it_provides(client_for, tenants, username, body):
    # given the kinds each kind of organisation provides
    response = client_for(username).post(f"{API}/sources/", _source_body(tenants, **body))

    # then the source is stored for the poster's organisation in its region
    assert response.status_code == 201, response.content
    source = SupervisionSource.objects.get(pk=response.json()["id"])
    member = get_user_model().objects.get(username=username).membership
    assert source.organisation_id == member.organisation_id
    assert source.region_id == tenants["region"].pk
    assert source.kind == body["kind"]


@pytest.mark.django_db
def test_preferences_pointing_to_another_regions_plek_are_400(client_for, tenants):
    before = _counts()
    response = client_for("alice").post(
        f"{API}/requests/",
        _request_body(
            tenants,
            "stu-pref",
            preferences=[tenants["p_gooi"].pk, tenants["p_carol"].pk, tenants["p_carol_draft"].pk],
        ),
    )
    body = assert_error_shape(response, 400, type_="validation_error")
    # the other region's plek and the unpublished one, not the good one in between
    assert paths_of(body) == {"preferences[0]", "preferences[2]"}
    assert _counts() == before


@pytest.mark.django_db
def test_preferences_in_the_region_are_stored_in_order(client_for, tenants):
    wanted = [tenants["p_dave"].pk, tenants["p_carol"].pk]
    response = client_for("alice").post(
        f"{API}/requests/", _request_body(tenants, "stu-pref", preferences=wanted)
    )
    assert response.status_code == 201, response.content
    assert response.json()["preferences"] == wanted


@pytest.mark.django_db
def test_a_patch_with_a_foreign_preference_is_400_and_keeps_the_old_ones(client_for, tenants):
    # given a request with one preference
    alice = client_for("alice")
    created = alice.post(
        f"{API}/requests/",
        _request_body(tenants, "stu-pref", preferences=[tenants["p_carol"].pk]),
    ).json()

    # when alice replaces it with another region's plek
    response = alice.patch(
        f"{API}/requests/{created['id']}/", {"preferences": [tenants["p_gooi"].pk]}
    )

    # then it is refused and the old preference stays
    assert paths_of(assert_error_shape(response, 400)) == {"preferences[0]"}
    assert alice.get(f"{API}/requests/{created['id']}/").json()["preferences"] == [
        tenants["p_carol"].pk
    ]


# --- Bad input ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides, path",
    [
        ({"start_date": "2027-01-29", "end_date": "2026-09-07"}, "end_date"),
        ({"opleiding": 999999}, "opleiding"),
        ({"home_postcode": "35"}, "home_postcode"),
        ({"home_postcode": "9999"}, "home_postcode"),
        ({"doelgroep": "stagiair"}, "doelgroep"),
        ({"hours_per_week": "0"}, "hours_per_week"),
        ({"hours_per_week": "61"}, "hours_per_week"),
        ({"priority": 6}, "priority"),
        ({"acceptable_sectors": ["vvt", "tandarts"]}, "acceptable_sectors[1]"),
        ({"start_date": "morgen"}, "start_date"),
    ],
)
def test_bad_request_input_is_400_with_the_field_path_and_creates_nothing(
    client_for, tenants, overrides, path
):
    before = _counts()
    response = client_for("alice").post(
        f"{API}/requests/", _request_body(tenants, "stu-bad", **overrides)
    )
    body = assert_error_shape(response, 400, type_="validation_error")
    assert path in paths_of(body), body
    assert _counts() == before


@pytest.mark.django_db
def test_several_bad_fields_are_all_reported_at_once(client_for, tenants):
    response = client_for("alice").post(
        f"{API}/requests/",
        _request_body(tenants, "stu-bad", opleiding=999999, home_postcode="0000", doelgroep="x"),
    )
    body = assert_error_shape(response, 400)
    assert paths_of(body) >= {"opleiding", "home_postcode", "doelgroep"}


@pytest.mark.django_db
def test_missing_required_fields_are_named(client_for, tenants):
    response = client_for("alice").post(f"{API}/requests/", {})
    body = assert_error_shape(response, 400)
    assert paths_of(body) >= {
        "student_pseudonym",
        "home_postcode",
        "opleiding",
        "doelgroep",
        "start_date",
        "end_date",
        "hours_per_week",
        "max_travel_km",
    }


@pytest.mark.django_db
def test_a_plek_ending_before_it_starts_is_400(client_for, tenants):
    before = _counts()
    response = client_for("carol").post(
        f"{API}/plekken/", _plek_body(tenants, start_date="2027-06-25", end_date="2026-09-07")
    )
    assert paths_of(assert_error_shape(response, 400)) == {"end_date"}
    assert _counts() == before


@pytest.mark.django_db
def test_a_patch_moving_the_end_before_the_start_is_400(client_for, tenants):
    request = tenants["r_alice2"]
    response = client_for("alice").patch(
        f"{API}/requests/{request.pk}/", {"end_date": "2026-01-01"}
    )
    assert paths_of(assert_error_shape(response, 400)) == {"end_date"}
    request.refresh_from_db()
    assert request.end_date == dt.date(2027, 1, 29)


@pytest.mark.django_db
def test_the_same_student_and_start_twice_is_a_clear_error(client_for, tenants):
    # given alice already asked for r_alice2's student from that date
    existing = tenants["r_alice2"]
    before = _counts()

    # when she submits the same student and start again
    response = client_for("alice").post(
        f"{API}/requests/",
        _request_body(tenants, existing.student_pseudonym, start_date="2026-11-02"),
    )

    # then it is an error in the one shape (not a 500) and nothing is added
    assert response.status_code in (400, 409), response.content
    assert_error_shape(response, response.status_code)
    assert _counts() == before


# --- Withdraw and state conflicts --------------------------------------------------------


@pytest.mark.django_db
def test_withdrawing_a_request_frees_its_live_placement(client_for, tenants):
    # given a request proposed to carol
    request, placement = tenants["r_alice1"], tenants["pl_alice1"]
    alice = client_for("alice")

    # when alice withdraws it
    response = alice.delete(f"{API}/requests/{request.pk}/")

    # then the request and its placement are withdrawn, and the outbox says so
    assert response.status_code == 204
    request.refresh_from_db()
    placement.refresh_from_db()
    assert request.status == "withdrawn"
    assert placement.status == "withdrawn"
    event = Event.objects.filter(type="request.withdrawn").get()
    assert event.payload["placement_ids"] == [placement.pk]
    assert tenants["care"].pk in event.audience

    # and a second withdraw is a conflict naming the current state
    again = alice.delete(f"{API}/requests/{request.pk}/")
    body = assert_error_shape(again, 409, type_="client_error")
    assert body["current_state"] == "withdrawn"
    assert Event.objects.filter(type="request.withdrawn").count() == 1


@pytest.mark.django_db
def test_withdrawing_leaves_ended_placements_alone(client_for, tenants):
    request = tenants["r_alice2"]
    declined = factories.PlacementFactory(
        request=request, plek=tenants["p_dave"], status="declined", decline_reason="Vol"
    )
    assert client_for("alice").delete(f"{API}/requests/{request.pk}/").status_code == 204
    declined.refresh_from_db()
    assert declined.status == "declined"


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["proposed", "accepted", "confirmed", "withdrawn"])
def test_changing_a_request_that_is_not_open_is_409(client_for, tenants, status):
    # given a request that moved on from open
    request = tenants["r_alice2"]
    PlacementRequest.objects.filter(pk=request.pk).update(status=status)

    # when alice edits it
    response = client_for("alice").patch(f"{API}/requests/{request.pk}/", {"notes": "later"})

    # then it is a conflict with the current state, and nothing changed
    body = assert_error_shape(response, 409, type_="client_error")
    assert body["current_state"] == status
    request.refresh_from_db()
    assert request.notes == ""


@pytest.mark.django_db
def test_an_open_request_can_be_changed_by_its_school(client_for, tenants):
    request = tenants["r_alice2"]
    response = client_for("alice").patch(
        f"{API}/requests/{request.pk}/", {"notes": "Liefst dichtbij", "priority": 3}
    )
    assert response.status_code == 200, response.content
    request.refresh_from_db()
    assert (request.notes, request.priority) == ("Liefst dichtbij", 3)
    assert Event.objects.filter(type="request.changed", payload__request_id=request.pk).exists()


@pytest.mark.django_db
def test_withdrawing_a_plek_with_a_live_placement_is_409(client_for, tenants):
    plek = tenants["p_carol"]
    response = client_for("carol").delete(f"{API}/plekken/{plek.pk}/")
    assert assert_error_shape(response, 409)["current_state"] == "published"
    plek.refresh_from_db()
    assert plek.status == "published"


# --- Filtering, ordering, pagination -----------------------------------------------------


@pytest.mark.django_db
def test_requests_filter_by_status_and_doelgroep(client_for, tenants):
    PlacementRequest.objects.filter(pk=tenants["r_alice3"].pk).update(status="proposed")
    erin = client_for("erin")

    proposed = {r["id"] for r in listed(erin, "requests", status="proposed")["results"]}
    zij = {r["id"] for r in listed(erin, "requests", doelgroep="zij_instromer")["results"]}
    eerste_open = {
        r["id"] for r in listed(erin, "requests", doelgroep="eerstejaars", status="open")["results"]
    }

    assert proposed == {tenants["r_alice3"].pk}
    assert zij == {tenants["r_alice2"].pk}
    assert eerste_open == {tenants["r_alice1"].pk, tenants["r_bob"].pk}


@pytest.mark.django_db
def test_an_unknown_filter_value_is_400_in_the_error_shape(client_for, tenants):
    response = client_for("erin").get(f"{API}/requests/", {"status": "lost"})
    assert "status" in paths_of(assert_error_shape(response, 400))


@pytest.mark.django_db
def test_plekken_filter_by_sector(client_for, tenants):
    alice = client_for("alice")
    ghz = {p["id"] for p in listed(alice, "plekken", sector="ghz")["results"]}
    vvt = {p["id"] for p in listed(alice, "plekken", sector="vvt")["results"]}
    assert ghz == {tenants["p_dave"].pk}
    assert vvt == {tenants["p_carol"].pk}


@pytest.mark.django_db
def test_sources_and_placements_filter_by_kind_and_status(client_for, tenants):
    erin = client_for("erin")
    pools = {s["id"] for s in listed(erin, "sources", kind="regionale_pool")["results"]}
    proposed = {p["id"] for p in listed(erin, "placements", status="proposed")["results"]}
    accepted = listed(erin, "placements", status="accepted")["results"]
    assert pools == {tenants["s_pool"].pk}
    assert proposed == {tenants["pl_alice1"].pk}
    assert accepted == []


@pytest.mark.django_db
def test_requests_order_by_start_date(client_for, tenants):
    alice = client_for("alice")
    newest_first = [r["id"] for r in listed(alice, "requests", ordering="-start_date")["results"]]
    oldest_first = [r["id"] for r in listed(alice, "requests", ordering="start_date")["results"]]
    assert newest_first == [tenants[n].pk for n in ("r_alice3", "r_alice2", "r_alice1")]
    assert oldest_first == list(reversed(newest_first))


@pytest.mark.django_db
def test_plekken_order_by_start_date(client_for, tenants):
    dates = [
        p["start_date"]
        for p in listed(client_for("erin"), "plekken", ordering="-start_date")["results"]
    ]
    assert dates == sorted(dates, reverse=True)
    assert dates[0] == "2026-10-05"


@pytest.mark.django_db
def test_lists_are_paginated(client_for, tenants):
    alice = client_for("alice")

    first = alice.get(f"{API}/requests/", {"page_size": 2, "ordering": "start_date"}).json()
    second = alice.get(first["next"]).json()

    assert first["count"] == 3
    assert len(first["results"]) == 2
    assert first["next"] is not None and "page=2" in first["next"]
    assert first["previous"] is None
    assert second["next"] is None
    all_ids = [r["id"] for r in first["results"] + second["results"]]
    assert all_ids == [tenants[n].pk for n in ("r_alice1", "r_alice2", "r_alice3")]


@pytest.mark.django_db
def test_a_page_past_the_end_is_404_in_the_error_shape(client_for, tenants):
    response = client_for("alice").get(f"{API}/requests/", {"page": 99})
    assert_error_shape(response, 404)


# --- Session authentication --------------------------------------------------------------


@pytest.mark.django_db
def test_session_login_works_alongside_tokens(tenants):
    # given alice logged in with her password (no token)
    client = APIClient()
    assert client.login(username="alice", password="correct horse battery staple")

    # then she reads the API as with a token
    me = client.get(f"{API}/me/")
    ids = {r["id"] for r in client.get(f"{API}/requests/").json()["results"]}
    assert me.status_code == 200 and me.json()["username"] == "alice"
    assert ids == tenants.ids({"r_alice1", "r_alice2", "r_alice3"})


@pytest.mark.django_db
def test_session_writes_need_the_csrf_token(tenants):
    # given bob logged in through a browser session that enforces CSRF
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(get_user_model().objects.get(username="bob"))
    body = _request_body(tenants, "stu-session")

    # when he posts without a CSRF token, then with one
    without = client.post(f"{API}/requests/", body)
    client.get("/api/auth/login/")  # the browsable API's login page hands out the cookie
    token = client.cookies["csrftoken"].value
    with_token = client.post(f"{API}/requests/", body, HTTP_X_CSRFTOKEN=token)

    # then the first is refused and the second is stored for bob's school
    assert_error_shape(without, 403)
    assert with_token.status_code == 201, with_token.content
    assert with_token.json()["school"] == tenants["other_school"].pk
    assert PlacementRequest.objects.filter(student_pseudonym="stu-session").count() == 1


# --- Placement actions (accept, decline, confirm, withdraw) ------------------------------

ACTIONS = {
    "accept": {},
    "decline": {"reason": "Geen plek in het team"},
    "confirm": {},
    "withdraw": {},
}


@pytest.mark.django_db
@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("username", ["bob", "dave", "frank"])
def test_an_action_on_another_tenants_placement_is_404_and_changes_nothing(
    client_for, tenants, username, action
):
    # given alice's student proposed to carol
    placement = tenants["pl_alice1"]
    before = _snapshot(placement)
    events = Event.objects.count()

    # when an outsider answers the proposal
    response = client_for(username).post(
        f"{API}/placements/{placement.pk}/{action}/", ACTIONS[action]
    )

    # then the placement does not exist for them and nothing moved
    assert_error_shape(response, 404)
    assert _snapshot(placement) == before
    assert Event.objects.count() == events


@pytest.mark.django_db
@pytest.mark.parametrize(
    "username, action",
    [
        ("erin", "accept"),  # the coordinator sees it but is no party to it
        ("erin", "withdraw"),
        ("alice", "accept"),  # the school does not answer for the care organisation
        ("alice", "decline"),
        ("carol", "confirm"),  # nor the care organisation for the school
        ("victor", "withdraw"),  # a viewer writes nothing
    ],
)
def test_an_action_by_the_wrong_party_is_403_and_changes_nothing(
    client_for, tenants, username, action
):
    placement = tenants["pl_alice1"]
    before = _snapshot(placement)

    response = client_for(username).post(
        f"{API}/placements/{placement.pk}/{action}/", ACTIONS[action]
    )

    assert_error_shape(response, 403)
    assert _snapshot(placement) == before


@pytest.mark.django_db
def test_the_parties_accept_and_confirm_their_own_placement(client_for, tenants):
    # given alice's student proposed to carol
    placement, request = tenants["pl_alice1"], tenants["r_alice1"]

    # when carol accepts and alice confirms
    accepted = client_for("carol").post(f"{API}/placements/{placement.pk}/accept/")
    confirmed = client_for("alice").post(f"{API}/placements/{placement.pk}/confirm/")

    # then the placement and the request are confirmed, and carol still sees the name
    assert accepted.status_code == 200, accepted.content
    assert confirmed.status_code == 200, confirmed.content
    placement.refresh_from_db()
    request.refresh_from_db()
    assert (placement.status, request.status) == ("confirmed", "confirmed")
    body = client_for("carol").get(f"{API}/requests/{request.pk}/").json()
    assert body["student_name"] == "Sanne de Vries"


@pytest.mark.django_db
def test_a_decline_through_the_api_hides_the_name_from_the_care_organisation(client_for, tenants):
    placement, request = tenants["pl_alice1"], tenants["r_alice1"]
    carol = client_for("carol")
    assert carol.get(f"{API}/requests/{request.pk}/").json()["student_name"] == "Sanne de Vries"

    declined = carol.post(f"{API}/placements/{placement.pk}/decline/", {"reason": "Team vol"})

    assert declined.status_code == 200, declined.content
    assert carol.get(f"{API}/requests/{request.pk}/").json()["student_name"] is None
    # and the school still sees its own student's name
    alice_view = client_for("alice").get(f"{API}/requests/{request.pk}/").json()
    assert alice_view["student_name"] == "Sanne de Vries"


# --- Creating what the organisation's kind does not create -------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "username, endpoint",
    [
        ("carol", "requests"),
        ("erin", "requests"),
        ("alice", "plekken"),
        ("erin", "plekken"),
        ("alice", "locations"),
        ("erin", "locations"),
    ],
)
def test_an_organisation_cannot_create_what_its_kind_does_not_own(
    client_for, tenants, username, endpoint
):
    # given a well-formed body for the endpoint
    body = {
        "requests": _request_body(tenants, "stu-wrong-kind"),
        "plekken": _plek_body(tenants),
        "locations": {
            "name": "Nieuwe locatie",
            "postcode": "3512 AB",
            "city": "Utrecht",
            "latitude": 52.09,
            "longitude": 5.12,
        },
    }[endpoint]
    before = _counts()

    # when an organisation of the wrong kind posts it
    response = client_for(username).post(f"{API}/{endpoint}/", body)

    # then it is refused in the error shape and nothing is created
    assert response.status_code in (400, 403), response.content
    assert_error_shape(response, response.status_code)
    assert _counts() == before


@pytest.mark.django_db
def test_seats_cannot_drop_below_the_students_already_placed(client_for, tenants):
    # given carol's plek holds alice's proposed student
    plek = tenants["p_carol"]

    # when carol lowers its seats to zero
    response = client_for("carol").patch(f"{API}/plekken/{plek.pk}/", {"seats": 0})

    # then it is refused on `seats` and the seats stay
    assert paths_of(assert_error_shape(response, 400)) == {"seats"}
    plek.refresh_from_db()
    assert plek.seats == 2


def test_notes_are_for_the_school_and_preferences_not_for_the_care_organisation(client_for, world):
    # given a request with notes and a preferred plek, proposed to carol's organisation
    location = factories.LocationFactory(organisation=world.care)
    plek = factories.PlekFactory(location=location)
    preferred = factories.PlekFactory(
        location=factories.LocationFactory(organisation=world.other_care)
    )
    request = factories.PlacementRequestFactory(school=world.school, notes="Needs a quiet team")
    RequestPreference.objects.create(request=request, plek=preferred, rank=1)
    factories.PlacementFactory(request=request, plek=plek)

    # when each party reads it
    seen = {
        user: client_for(user).get(f"{API}/requests/{request.pk}/").json()
        for user in ("alice", "carol", "erin")
    }

    # then only the school reads the notes, and the care organisation not the preferences
    assert seen["alice"]["notes"] == "Needs a quiet team"
    assert seen["alice"]["preferences"] == [preferred.pk]
    assert seen["carol"]["notes"] is None and seen["carol"]["preferences"] is None
    assert seen["erin"]["notes"] is None and seen["erin"]["preferences"] == [preferred.pk]
