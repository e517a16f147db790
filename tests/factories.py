"""factory_boy factories for the placements data. Values are believable, not random noise."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from placements import models
from placements.domain import (
    DEFAULT_DOELGROEP_LOADS,
    Doelgroep,
    Leerweg,
    Niveau,
    OrganisationKind,
    Role,
    Sector,
)

START = dt.date(2026, 9, 7)


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Region
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"regio-{n}")
    name = factory.Sequence(lambda n: f"Regio {n}")

    @factory.post_generation
    def doelgroep_loads(self, create: bool, extracted: dict | None, **kwargs: object) -> None:
        loads = extracted or DEFAULT_DOELGROEP_LOADS
        for doelgroep, hours in loads.items():
            models.DoelgroepSetting.objects.create(
                region=self, doelgroep=doelgroep, default_load_hours=hours
            )


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Organisation

    region = factory.SubFactory(RegionFactory)
    name = factory.Sequence(lambda n: f"Organisatie {n}")
    kind = OrganisationKind.CARE


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.EDITOR


class PostcodeAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.PostcodeArea
        django_get_or_create = ("code",)

    code = "3511"
    latitude = 52.0907
    longitude = 5.1214
    municipality = "Utrecht"


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Location

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Locatie {n}")
    street = "Zorgstraat 1"
    postcode = "3512 AB"
    city = "Utrecht"
    latitude = 52.09
    longitude = 5.12


class OpleidingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Opleiding
        django_get_or_create = ("code", "leerweg")

    code = "25491"
    name = "Verzorgende-IG"
    niveau = Niveau.MBO3
    leerweg = Leerweg.BOL


class PlekFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Plek
        skip_postgeneration_save = True

    location = factory.SubFactory(LocationFactory)
    organisation = factory.SelfAttribute("location.organisation")
    region = factory.SelfAttribute("organisation.region")
    team = factory.Sequence(lambda n: f"Team {n}")
    sector = Sector.VVT
    seats = 2
    start_date = START
    end_date = dt.date(2027, 6, 25)

    @factory.post_generation
    def opleidingen(self, create: bool, extracted: list | None, **kwargs: object) -> None:
        self.opleidingen.set(extracted if extracted is not None else [OpleidingFactory()])


class SupervisionSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.SupervisionSource

    location = factory.SubFactory(LocationFactory)
    organisation = factory.SelfAttribute("location.organisation")
    region = factory.SelfAttribute("organisation.region")
    kind = "werkbegeleider"
    name = factory.Sequence(lambda n: f"Werkbegeleider {n}")
    hours_per_week = Decimal("8")
    start_date = START
    end_date = dt.date(2027, 6, 25)
    max_students = 2


class PlacementRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.PlacementRequest

    school = factory.SubFactory(OrganisationFactory, kind=OrganisationKind.SCHOOL)
    region = factory.SelfAttribute("school.region")
    student_pseudonym = factory.Sequence(lambda n: f"stu-{n:05d}")
    student_name = factory.Sequence(lambda n: f"Student {n}")
    home_postcode = factory.SubFactory(PostcodeAreaFactory)
    opleiding = factory.SubFactory(OpleidingFactory)
    doelgroep = Doelgroep.EERSTEJAARS
    start_date = START
    end_date = dt.date(2027, 1, 29)
    hours_per_week = Decimal("24")
    acceptable_sectors = factory.LazyFunction(lambda: ["vvt", "ghz"])
    max_travel_km = 25


class PlacementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Placement

    request = factory.SubFactory(PlacementRequestFactory)
    plek = factory.SubFactory(PlekFactory)
