"""Reads scoped to what a user may see. The API, imports and WebSockets all go through here.

Every function returns a queryset already narrowed to the user's tenant, so a view that
forgets a check still cannot leak: another tenant's object is simply not found (404).
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import BooleanField, CharField, Exists, OuterRef, QuerySet, Value

from placements.domain import LIVE_PLACEMENT_STATUSES, OrganisationKind, PlekStatus, Role
from placements.models import (
    Location,
    Membership,
    Opleiding,
    Organisation,
    Placement,
    PlacementRequest,
    Plek,
    PostcodeArea,
    Region,
    SupervisionSource,
)

User = AbstractBaseUser | AnonymousUser


def membership_of(user: User) -> Membership | None:
    if not user.is_authenticated:
        return None
    try:
        return Membership.objects.select_related("organisation__region").get(user_id=user.pk)
    except Membership.DoesNotExist:
        return None


def _membership(user: User) -> Membership | None:
    # Cached on the user object for the length of one request.
    if not hasattr(user, "_leerplek_membership"):
        user._leerplek_membership = membership_of(user)  # type: ignore[union-attr]
    return user._leerplek_membership  # type: ignore[union-attr]


def can_write(user: User) -> bool:
    membership = _membership(user)
    return membership is not None and membership.role in (Role.ADMIN, Role.EDITOR)


def organisation_of(user: User) -> Organisation | None:
    membership = _membership(user)
    return membership.organisation if membership else None


def kind_of(user: User) -> str | None:
    org = organisation_of(user)
    return org.kind if org else None


# --- Requests -------------------------------------------------------------------------


def requests_visible_to(user: User) -> QuerySet[PlacementRequest]:
    org = organisation_of(user)
    qs = PlacementRequest.objects.select_related("school", "opleiding", "home_postcode")
    if org is None:
        return qs.none()
    # Serializers show notes and preferences according to who looks (see viewer_kind).
    qs = qs.prefetch_related("preferences").annotate(
        viewer_kind=Value(org.kind, output_field=CharField())
    )
    if org.kind == OrganisationKind.SCHOOL:
        return qs.filter(school=org).annotate(
            student_name_visible=Value(True, output_field=BooleanField())
        )
    if org.kind == OrganisationKind.COORDINATION:
        # Coordinators work with pseudonyms only.
        return qs.filter(region_id=org.region_id).annotate(
            student_name_visible=Value(False, output_field=BooleanField())
        )
    # A care organisation sees the students that were ever proposed to one of its plekken,
    # and their names while a proposal or placement with it is live.
    return qs.filter(
        Exists(Placement.objects.filter(request=OuterRef("pk"), plek__organisation=org))
    ).annotate(
        student_name_visible=Exists(
            Placement.objects.filter(
                request=OuterRef("pk"),
                plek__organisation=org,
                status__in=LIVE_PLACEMENT_STATUSES,
            )
        )
    )


def requests_writable_by(user: User) -> QuerySet[PlacementRequest]:
    org = organisation_of(user)
    if org is None or org.kind != OrganisationKind.SCHOOL or not can_write(user):
        return PlacementRequest.objects.none()
    return PlacementRequest.objects.filter(school=org)


# --- Plekken, locations, sources ------------------------------------------------------


def plekken_visible_to(user: User) -> QuerySet[Plek]:
    org = organisation_of(user)
    qs = Plek.objects.select_related("organisation", "location").prefetch_related("opleidingen")
    if org is None:
        return qs.none()
    if org.kind == OrganisationKind.CARE:
        return qs.filter(organisation=org)
    if org.kind == OrganisationKind.COORDINATION:
        return qs.filter(region_id=org.region_id)
    # Schools browse the region's published plekken to rank preferences.
    return qs.filter(region_id=org.region_id, status=PlekStatus.PUBLISHED)


def plekken_writable_by(user: User) -> QuerySet[Plek]:
    org = organisation_of(user)
    if org is None or org.kind != OrganisationKind.CARE or not can_write(user):
        return Plek.objects.none()
    return Plek.objects.filter(organisation=org)


def locations_visible_to(user: User) -> QuerySet[Location]:
    org = organisation_of(user)
    qs = Location.objects.select_related("organisation")
    if org is None:
        return qs.none()
    if org.kind == OrganisationKind.CARE:
        return qs.filter(organisation=org)
    return qs.filter(organisation__region_id=org.region_id)


def locations_writable_by(user: User) -> QuerySet[Location]:
    org = organisation_of(user)
    if org is None or org.kind != OrganisationKind.CARE or not can_write(user):
        return Location.objects.none()
    return Location.objects.filter(organisation=org)


def sources_visible_to(user: User) -> QuerySet[SupervisionSource]:
    org = organisation_of(user)
    qs = SupervisionSource.objects.select_related("organisation", "location", "plek", "school")
    if org is None:
        return qs.none()
    if org.kind == OrganisationKind.COORDINATION:
        return qs.filter(region_id=org.region_id)
    return qs.filter(organisation=org)


def sources_writable_by(user: User) -> QuerySet[SupervisionSource]:
    org = organisation_of(user)
    if org is None or not can_write(user):
        return SupervisionSource.objects.none()
    return SupervisionSource.objects.filter(organisation=org)


# --- Placements -----------------------------------------------------------------------


def placements_visible_to(user: User) -> QuerySet[Placement]:
    org = organisation_of(user)
    qs = Placement.objects.select_related(
        "request__school", "request__opleiding", "plek__organisation", "plek__location"
    ).prefetch_related("draws")
    if org is None:
        return qs.none()
    if org.kind == OrganisationKind.SCHOOL:
        return qs.filter(request__school=org)
    if org.kind == OrganisationKind.CARE:
        return qs.filter(plek__organisation=org)
    return qs.filter(plek__region_id=org.region_id)


# --- Reference data -------------------------------------------------------------------


def organisations_visible_to(user: User) -> QuerySet[Organisation]:
    org = organisation_of(user)
    if org is None:
        return Organisation.objects.none()
    return Organisation.objects.filter(region_id=org.region_id).select_related("region")


def regions_visible_to(user: User) -> QuerySet[Region]:
    org = organisation_of(user)
    if org is None:
        return Region.objects.none()
    return Region.objects.filter(pk=org.region_id).prefetch_related("doelgroep_settings")


def regions_writable_by(user: User) -> QuerySet[Region]:
    org = organisation_of(user)
    membership = _membership(user)
    if org is None or org.kind != OrganisationKind.COORDINATION or membership is None:
        return Region.objects.none()
    if membership.role != Role.ADMIN:
        return Region.objects.none()
    return Region.objects.filter(pk=org.region_id)


def opleidingen() -> QuerySet[Opleiding]:
    return Opleiding.objects.all()


def postcode_areas() -> QuerySet[PostcodeArea]:
    return PostcodeArea.objects.all()
