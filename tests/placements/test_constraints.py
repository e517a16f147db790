"""Each invariant the database holds rejects a bad row at the database, whatever the caller.

Rows are written with `objects.create(...)` / `.update(...)`, which skip every validator, so
only the constraints in `placements/models.py` (and the outbox's) stand between a bad row and
the table. Each failing write runs in its own savepoint; the error must name the constraint,
so a test cannot pass because some other column happened to be wrong. Valid rows of every
kind are saved first, so the rejections are not vacuous.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from events.models import Event
from placements.domain import OrganisationKind, PlacementStatus, RequestStatus, SupervisionKind
from placements.models import (
    DoelgroepSetting,
    Location,
    Opleiding,
    Organisation,
    Placement,
    PlacementRequest,
    PlacementSupervision,
    Plek,
    PostcodeArea,
    Region,
    RequestPreference,
    SupervisionSource,
)
from tests import factories

pytestmark = pytest.mark.django_db

START = factories.START
END = dt.date(2027, 6, 25)
GROUP_KIND_VALUES = {"senior_werkbegeleider", "leercoach", "inwerkcoach"}


@dataclass
class Parts:
    region: Region
    school: Organisation
    care: Organisation
    coordination: Organisation
    location: Location
    plek: Plek
    other_plek: Plek
    opleiding: Opleiding
    postcode: PostcodeArea


@pytest.fixture
def parts() -> Parts:
    region = factories.RegionFactory()
    care = factories.OrganisationFactory(region=region, kind=OrganisationKind.CARE)
    location = factories.LocationFactory(organisation=care)
    return Parts(
        region=region,
        school=factories.OrganisationFactory(region=region, kind=OrganisationKind.SCHOOL),
        care=care,
        coordination=factories.OrganisationFactory(
            region=region, kind=OrganisationKind.COORDINATION
        ),
        location=location,
        plek=factories.PlekFactory(location=location),
        other_plek=factories.PlekFactory(location=location),
        opleiding=factories.OpleidingFactory(),
        postcode=factories.PostcodeAreaFactory(),
    )


def rejected(constraint: str, write: Callable[[], Any]) -> None:
    """The write fails at the database with an error naming `constraint`; nothing is kept."""
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        write()


def request_fields(p: Parts, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "region": p.region,
        "school": p.school,
        "student_pseudonym": "stu-00042",
        "home_postcode": p.postcode,
        "opleiding": p.opleiding,
        "doelgroep": "eerstejaars",
        "start_date": START,
        "end_date": dt.date(2027, 1, 29),
        "hours_per_week": Decimal("24"),
        "max_travel_km": 25,
    }
    return {**fields, **overrides}


def plek_fields(p: Parts, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "region": p.region,
        "organisation": p.care,
        "location": p.location,
        "team": "Team Lindehof",
        "sector": "vvt",
        "seats": 2,
        "start_date": START,
        "end_date": END,
    }
    return {**fields, **overrides}


def source_fields(p: Parts, kind: str = "werkbegeleider", **overrides: Any) -> dict[str, Any]:
    scope: dict[str, Any] = {
        "werkbegeleider": {"organisation": p.care, "location": p.location},
        "senior_werkbegeleider": {"organisation": p.care, "location": p.location},
        "leercoach": {"organisation": p.care, "location": p.location},
        "inwerkcoach": {"organisation": p.care, "location": p.location},
        "student_ondersteuner": {"organisation": p.care, "location": p.location},
        "leerafdeling": {"organisation": p.care, "plek": p.plek},
        "docent_begeleider": {"organisation": p.school, "school": p.school},
        "regionale_pool": {"organisation": p.coordination},
    }[kind]
    fields: dict[str, Any] = {
        "region": p.region,
        "kind": kind,
        "name": f"Bron {kind}",
        "hours_per_week": Decimal("8"),
        "start_date": START,
        "end_date": END,
        **scope,
    }
    return {**fields, **overrides}


# --- Valid rows save (so the rejections below mean something) ------------------------


def test_a_valid_request_plek_preference_placement_and_draw_save(parts):
    # given valid rows written the same way the rejected ones are
    request = PlacementRequest.objects.create(**request_fields(parts, priority=5))
    plek = Plek.objects.create(**plek_fields(parts, seats=0))
    source = SupervisionSource.objects.create(**source_fields(parts))
    RequestPreference.objects.create(request=request, plek=plek, rank=1)
    RequestPreference.objects.create(request=request, plek=parts.plek, rank=10)
    placement = Placement.objects.create(request=request, plek=plek)
    PlacementSupervision.objects.create(
        placement=placement, source=source, load_hours=Decimal("4"), source_hours=Decimal("0")
    )

    # then they are all stored
    assert PlacementRequest.objects.filter(pk=request.pk, hours_per_week=24).exists()
    assert list(request.preferences.values_list("rank", flat=True)) == [1, 10]
    assert placement.draws.count() == 1


@pytest.mark.parametrize("kind", [k.value for k in SupervisionKind])
def test_a_valid_source_of_each_kind_saves(parts, kind):
    # given a source whose scope matches its kind (group forms with a group factor)
    extra = {"group_factor": Decimal("0.60")} if kind in GROUP_KIND_VALUES else {}

    # when it is written without validation
    source = SupervisionSource.objects.create(**source_fields(parts, kind, **extra))

    # then the database accepts it
    assert SupervisionSource.objects.filter(pk=source.pk, kind=kind).exists()


def test_request_hours_of_exactly_60_save(parts):
    request = PlacementRequest.objects.create(**request_fields(parts, hours_per_week=60))
    assert request.pk is not None


# --- Dates in order --------------------------------------------------------------------


def test_request_with_end_before_start_is_rejected(parts):
    rejected(
        "request_dates_in_order",
        lambda: PlacementRequest.objects.create(
            **request_fields(parts, start_date=START, end_date=START - dt.timedelta(days=1))
        ),
    )


def test_request_updated_to_end_before_start_is_rejected(parts):
    # given a valid request
    request = PlacementRequest.objects.create(**request_fields(parts))

    # when its end date is moved before its start, bypassing save()
    rejected(
        "request_dates_in_order",
        lambda: PlacementRequest.objects.filter(pk=request.pk).update(
            end_date=START - dt.timedelta(days=7)
        ),
    )

    # then the stored row is unchanged
    request.refresh_from_db()
    assert request.end_date == dt.date(2027, 1, 29)


def test_plek_with_end_before_start_is_rejected(parts):
    rejected(
        "plek_dates_in_order",
        lambda: Plek.objects.create(**plek_fields(parts, end_date=START - dt.timedelta(days=1))),
    )


def test_source_with_end_before_start_is_rejected(parts):
    rejected(
        "source_dates_in_order",
        lambda: SupervisionSource.objects.create(
            **source_fields(parts, end_date=START - dt.timedelta(days=1))
        ),
    )


# --- Quantities ------------------------------------------------------------------------


def test_plek_with_negative_seats_is_rejected(parts):
    # PositiveSmallIntegerField adds its own check too; either one names `seats`.
    rejected("seats", lambda: Plek.objects.filter(pk=parts.plek.pk).update(seats=-1))
    parts.plek.refresh_from_db()
    assert parts.plek.seats == 2


def test_source_with_negative_hours_is_rejected(parts):
    rejected(
        "source_hours_not_negative",
        lambda: SupervisionSource.objects.create(
            **source_fields(parts, hours_per_week=Decimal("-0.5"))
        ),
    )


def test_source_with_zero_max_students_is_rejected(parts):
    rejected(
        "source_max_students_positive",
        lambda: SupervisionSource.objects.create(**source_fields(parts, max_students=0)),
    )


@pytest.mark.parametrize("factor", [Decimal("0"), Decimal("-0.5"), Decimal("1.01")])
def test_group_factor_outside_0_1_is_rejected(parts, factor):
    rejected(
        "source_group_factor_0_1",
        lambda: SupervisionSource.objects.create(
            **source_fields(parts, "leercoach", group_factor=factor)
        ),
    )


@pytest.mark.parametrize("kind", ["werkbegeleider", "student_ondersteuner", "regionale_pool"])
def test_group_factor_below_1_on_a_non_group_kind_is_rejected(parts, kind):
    rejected(
        "source_group_factor_only_for_group_forms",
        lambda: SupervisionSource.objects.create(
            **source_fields(parts, kind, group_factor=Decimal("0.60"))
        ),
    )


@pytest.mark.parametrize(
    "kind, scope",
    [
        ("werkbegeleider", {"location": None}),
        ("leercoach", {"location": None}),
        ("werkbegeleider", {"plek": "plek"}),
        ("werkbegeleider", {"school": "school"}),
        ("docent_begeleider", {"location": "location"}),
        ("docent_begeleider", {"school": None}),
        ("regionale_pool", {"plek": "plek"}),
        ("regionale_pool", {"location": "location"}),
        ("leerafdeling", {"plek": None}),
        ("leerafdeling", {"school": "school"}),
        ("leerafdeling", {"location": "location"}),
    ],
)
def test_source_scope_not_matching_its_kind_is_rejected(parts, kind, scope):
    # given a source whose scope fields contradict its kind
    resolved = {field: getattr(parts, value) if value else None for field, value in scope.items()}

    # then the database refuses it
    rejected(
        "source_scope_matches_kind",
        lambda: SupervisionSource.objects.create(**source_fields(parts, kind, **resolved)),
    )


def test_source_kind_changed_without_its_scope_is_rejected(parts):
    # given a valid werkbegeleider at a location
    source = SupervisionSource.objects.create(**source_fields(parts))

    # when its kind becomes a regional pool but the location stays
    rejected(
        "source_scope_matches_kind",
        lambda: SupervisionSource.objects.filter(pk=source.pk).update(kind="regionale_pool"),
    )

    # then it is still the werkbegeleider it was
    source.refresh_from_db()
    assert source.kind == "werkbegeleider"


# --- Requests --------------------------------------------------------------------------


@pytest.mark.parametrize("hours", [Decimal("0"), Decimal("-4"), Decimal("60.5"), Decimal("99")])
def test_request_hours_outside_0_60_are_rejected(parts, hours):
    rejected(
        "request_hours_0_60",
        lambda: PlacementRequest.objects.create(**request_fields(parts, hours_per_week=hours)),
    )


@pytest.mark.parametrize("priority", [0, 6])
def test_request_priority_outside_1_5_is_rejected(parts, priority):
    rejected(
        "request_priority_1_5",
        lambda: PlacementRequest.objects.create(**request_fields(parts, priority=priority)),
    )


def test_request_with_zero_travel_km_is_rejected(parts):
    rejected(
        "request_travel_positive",
        lambda: PlacementRequest.objects.create(**request_fields(parts, max_travel_km=0)),
    )


def test_request_with_negative_load_override_is_rejected(parts):
    rejected(
        "request_load_override_not_negative",
        lambda: PlacementRequest.objects.create(
            **request_fields(parts, load_override_hours=Decimal("-1"))
        ),
    )


def test_request_with_zero_load_override_saves(parts):
    request = PlacementRequest.objects.create(**request_fields(parts, load_override_hours=0))
    assert request.pk is not None


def test_request_with_unknown_doelgroep_is_rejected(parts):
    rejected(
        "request_doelgroep_valid",
        lambda: PlacementRequest.objects.create(**request_fields(parts, doelgroep="stagiair")),
    )


def test_request_with_unknown_status_is_rejected(parts):
    request = PlacementRequest.objects.create(**request_fields(parts))
    rejected(
        "request_status_valid",
        lambda: PlacementRequest.objects.filter(pk=request.pk).update(status="lost"),
    )


def test_a_second_live_request_for_the_same_student_and_start_is_rejected(parts):
    # given an open request for a student
    PlacementRequest.objects.create(**request_fields(parts))

    # when the school submits the same student and start again
    rejected(
        "request_once_per_student_and_start",
        lambda: PlacementRequest.objects.create(**request_fields(parts)),
    )


def test_a_withdrawn_request_does_not_block_a_new_one(parts):
    # given a withdrawn request for a student
    PlacementRequest.objects.create(**request_fields(parts, status=RequestStatus.WITHDRAWN))

    # when the school submits the student again
    again = PlacementRequest.objects.create(**request_fields(parts))

    # then it is stored
    assert again.pk is not None


# --- Other value checks ----------------------------------------------------------------


def test_plek_with_unknown_status_or_sector_is_rejected(parts):
    rejected("plek_status_valid", lambda: Plek.objects.create(**plek_fields(parts, status="x")))
    rejected(
        "plek_sector_valid", lambda: Plek.objects.create(**plek_fields(parts, sector="tandarts"))
    )


def test_opleiding_with_unknown_niveau_or_leerweg_is_rejected(parts):
    rejected(
        "opleiding_niveau_valid",
        lambda: Opleiding.objects.create(code="1", name="X", niveau="mbo9", leerweg="bol"),
    )
    rejected(
        "opleiding_leerweg_valid",
        lambda: Opleiding.objects.create(code="1", name="X", niveau="mbo2", leerweg="avond"),
    )


def test_location_with_impossible_coordinates_is_rejected(parts):
    rejected(
        "location_coordinates_valid",
        lambda: Location.objects.filter(pk=parts.location.pk).update(latitude=91),
    )


# --- Preferences -----------------------------------------------------------------------


@pytest.mark.parametrize("rank", [0, 11])
def test_preference_rank_outside_1_10_is_rejected(parts, rank):
    request = PlacementRequest.objects.create(**request_fields(parts))
    rejected(
        "preference_rank_1_10",
        lambda: RequestPreference.objects.create(request=request, plek=parts.plek, rank=rank),
    )


def test_two_preferences_with_the_same_rank_are_rejected(parts):
    request = PlacementRequest.objects.create(**request_fields(parts))
    RequestPreference.objects.create(request=request, plek=parts.plek, rank=1)
    rejected(
        "preference_rank_unique",
        lambda: RequestPreference.objects.create(request=request, plek=parts.other_plek, rank=1),
    )


def test_the_same_plek_preferred_twice_is_rejected(parts):
    request = PlacementRequest.objects.create(**request_fields(parts))
    RequestPreference.objects.create(request=request, plek=parts.plek, rank=1)
    rejected(
        "preference_plek_unique",
        lambda: RequestPreference.objects.create(request=request, plek=parts.plek, rank=2),
    )


# --- Placements ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "first, second",
    [
        ("proposed", "proposed"),
        ("accepted", "proposed"),
        ("confirmed", "accepted"),
    ],
)
def test_a_second_live_placement_for_a_request_is_rejected(parts, first, second):
    # given a request with a live placement
    request = PlacementRequest.objects.create(**request_fields(parts))
    Placement.objects.create(request=request, plek=parts.plek, status=first)

    # when another live placement is added for it
    rejected(
        "one_live_placement_per_request",
        lambda: Placement.objects.create(request=request, plek=parts.other_plek, status=second),
    )

    # then the request still has exactly one placement
    assert Placement.objects.filter(request=request).count() == 1


@pytest.mark.parametrize("ended", ["declined", "expired", "withdrawn"])
def test_a_new_live_placement_after_an_ended_one_saves(parts, ended):
    # given a request whose earlier placement ended
    request = PlacementRequest.objects.create(**request_fields(parts))
    Placement.objects.create(
        request=request, plek=parts.plek, status=ended, decline_reason="Team vol"
    )

    # when it is proposed again elsewhere
    Placement.objects.create(request=request, plek=parts.other_plek, status="proposed")

    # then both are stored, one of them live
    assert Placement.objects.filter(request=request).count() == 2
    assert Placement.objects.filter(request=request, status="proposed").count() == 1


def test_reviving_an_ended_placement_beside_a_live_one_is_rejected(parts):
    # given a declined placement and a later proposed one
    request = PlacementRequest.objects.create(**request_fields(parts))
    old = Placement.objects.create(
        request=request, plek=parts.plek, status="declined", decline_reason="Team vol"
    )
    Placement.objects.create(request=request, plek=parts.other_plek)

    # when the declined one is flipped back to accepted without validation
    rejected(
        "one_live_placement_per_request",
        lambda: Placement.objects.filter(pk=old.pk).update(status=PlacementStatus.ACCEPTED),
    )


def test_a_declined_placement_without_reason_is_rejected(parts):
    request = PlacementRequest.objects.create(**request_fields(parts))
    rejected(
        "placement_decline_has_reason",
        lambda: Placement.objects.create(request=request, plek=parts.plek, status="declined"),
    )
    # and flipping a proposal to declined without a reason is refused as well
    placement = Placement.objects.create(request=request, plek=parts.plek)
    rejected(
        "placement_decline_has_reason",
        lambda: Placement.objects.filter(pk=placement.pk).update(status="declined"),
    )


def test_a_placement_with_unknown_status_is_rejected(parts):
    request = PlacementRequest.objects.create(**request_fields(parts))
    rejected(
        "placement_status_valid",
        lambda: Placement.objects.create(request=request, plek=parts.plek, status="parked"),
    )


@pytest.mark.parametrize("load", [Decimal("0"), Decimal("-1")])
def test_a_draw_without_load_is_rejected(parts, load):
    request = PlacementRequest.objects.create(**request_fields(parts))
    placement = Placement.objects.create(request=request, plek=parts.plek)
    source = SupervisionSource.objects.create(**source_fields(parts))
    rejected(
        "draw_load_positive",
        lambda: PlacementSupervision.objects.create(
            placement=placement, source=source, load_hours=load, source_hours=Decimal("1")
        ),
    )


def test_a_draw_with_negative_source_hours_is_rejected(parts):
    request = PlacementRequest.objects.create(**request_fields(parts))
    placement = Placement.objects.create(request=request, plek=parts.plek)
    source = SupervisionSource.objects.create(**source_fields(parts))
    rejected(
        "draw_hours_not_negative",
        lambda: PlacementSupervision.objects.create(
            placement=placement, source=source, load_hours=Decimal("2"), source_hours=-1
        ),
    )


def test_two_draws_from_the_same_source_are_rejected(parts):
    request = PlacementRequest.objects.create(**request_fields(parts))
    placement = Placement.objects.create(request=request, plek=parts.plek)
    source = SupervisionSource.objects.create(**source_fields(parts))
    PlacementSupervision.objects.create(
        placement=placement, source=source, load_hours=2, source_hours=2
    )
    rejected(
        "draw_once_per_source",
        lambda: PlacementSupervision.objects.create(
            placement=placement, source=source, load_hours=1, source_hours=1
        ),
    )


# --- Region settings and events --------------------------------------------------------


def test_a_doelgroep_set_twice_in_a_region_is_rejected(parts):
    # given the factory already set a default for eerstejaars in this region
    assert DoelgroepSetting.objects.filter(region=parts.region, doelgroep="eerstejaars").exists()

    # when a second setting for it is added
    rejected(
        "doelgroep_once_per_region",
        lambda: DoelgroepSetting.objects.create(
            region=parts.region, doelgroep="eerstejaars", default_load_hours=6
        ),
    )


def test_a_negative_doelgroep_load_is_rejected(parts):
    rejected(
        "doelgroep_load_not_negative",
        lambda: DoelgroepSetting.objects.filter(region=parts.region).update(default_load_hours=-1),
    )


@pytest.mark.parametrize("share", [Decimal("1.01"), Decimal("-0.1")])
def test_a_peer_share_outside_0_1_is_rejected(parts, share):
    rejected(
        "region_peer_share_0_1",
        lambda: Region.objects.filter(pk=parts.region.pk).update(peer_share=share),
    )
    parts.region.refresh_from_db()
    assert parts.region.peer_share == Decimal("0.50")


def test_region_with_negative_peer_hours_or_zero_expiry_is_rejected(parts):
    rejected(
        "region_peer_hours_gte_0",
        lambda: Region.objects.filter(pk=parts.region.pk).update(peer_hours=-1),
    )
    rejected(
        "region_expiry_days_positive",
        lambda: Region.objects.filter(pk=parts.region.pk).update(proposal_expiry_days=0),
    )


def test_an_event_sequence_number_used_twice_in_a_region_is_rejected(parts):
    # given an event numbered 1 in a region, and another region
    Event.objects.create(region=parts.region, seq=1, type="request.submitted")
    elsewhere = factories.RegionFactory()

    # when a second event 1 is written in the same region, it is refused
    rejected(
        "event_seq_unique_per_region",
        lambda: Event.objects.create(region=parts.region, seq=1, type="plek.published"),
    )

    # then number 1 in another region and number 2 here are fine
    Event.objects.create(region=elsewhere, seq=1, type="plek.published")
    Event.objects.create(region=parts.region, seq=2, type="plek.published")
    assert Event.objects.filter(region=parts.region).count() == 2
