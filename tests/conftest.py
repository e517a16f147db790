"""Shared fixtures. Named users, as in healthchecks' tests, make permission cases readable:

- alice: editor at school ROC Utrecht (region Utrecht)
- bob: editor at another school, MBO College Amersfoort (same region)
- carol: editor at care organisation Zorggroep Noord (same region)
- dave: editor at another care organisation, Zorgpartners Zuid (same region)
- erin: coordinator of region Utrecht (admin of its coordination office)
- frank: coordinator of another region, Gooi en Vechtstreek
- victor: viewer (read only) at alice's school
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from placements.domain import OrganisationKind, Role
from placements.models import Organisation, Region
from tests import factories


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    # Password hashing is deliberately slow (PBKDF2, 10^6 rounds); tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    region: Region
    other_region: Region
    school: Organisation
    other_school: Organisation
    care: Organisation
    other_care: Organisation
    coordination: Organisation
    other_coordination: Organisation


@pytest.fixture
def world(db: None) -> World:
    region = factories.RegionFactory(code="utrecht", name="Utrecht")
    other_region = factories.RegionFactory(code="gooi", name="Gooi en Vechtstreek")
    org = factories.OrganisationFactory
    w = World(
        region=region,
        other_region=other_region,
        school=org(region=region, name="ROC Utrecht", kind=OrganisationKind.SCHOOL),
        other_school=org(
            region=region, name="MBO College Amersfoort", kind=OrganisationKind.SCHOOL
        ),
        care=org(region=region, name="Zorggroep Noord", kind=OrganisationKind.CARE),
        other_care=org(region=region, name="Zorgpartners Zuid", kind=OrganisationKind.CARE),
        coordination=org(
            region=region, name="Stagebureau Utrecht", kind=OrganisationKind.COORDINATION
        ),
        other_coordination=org(
            region=other_region, name="Stagebureau Gooi", kind=OrganisationKind.COORDINATION
        ),
    )
    members = {
        "alice": (w.school, Role.EDITOR),
        "bob": (w.other_school, Role.EDITOR),
        "carol": (w.care, Role.EDITOR),
        "dave": (w.other_care, Role.EDITOR),
        "erin": (w.coordination, Role.ADMIN),
        "frank": (w.other_coordination, Role.ADMIN),
        "victor": (w.school, Role.VIEWER),
    }
    for username, (organisation, role) in members.items():
        factories.MembershipFactory(
            user=factories.UserFactory(username=username), organisation=organisation, role=role
        )
    return w


@pytest.fixture
def client_for(world: World):
    """An API client authenticated by token as one of the named users."""

    def make(username: str) -> APIClient:
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.get(username=username)
        token, _ = Token.objects.get_or_create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make
