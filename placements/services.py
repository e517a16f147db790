"""Use cases that change placements data. Each runs in one transaction and records its events.

Callers pass the acting organisation explicitly; owners are never taken from user input.
Each change records its event (events/registry.py says which ask for an allocation run).
Cross-object rules (a plek's location is the organisation's own, preferences stay in the
region) are checked here under row locks; single-row invariants are database constraints.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from core.errors import DomainValidationError, FieldError, InvalidTransition
from events.outbox import NewEvent, record_event, record_events
from placements import lifecycle
from placements.domain import (
    DEFAULT_DOELGROEP_LOADS,
    LIVE_PLACEMENT_STATUSES,
    LOCATION_KINDS,
    SOURCE_KINDS_BY_ORGANISATION,
    OrganisationKind,
    PlekStatus,
    RequestStatus,
    Role,
    SupervisionKind,
)
from placements.models import (
    DoelgroepSetting,
    Location,
    Membership,
    Opleiding,
    Organisation,
    Placement,
    PlacementRequest,
    Plek,
    Region,
    RequestPreference,
    SupervisionSource,
)

MAX_PREFERENCES = 10


def _request_event_payload(request: PlacementRequest) -> dict[str, Any]:
    return {"request_id": request.pk, "school_id": request.school_id, "status": request.status}


# --- Placement requests ---------------------------------------------------------------


def _check_preferences(region_id: int, plek_ids: Sequence[int], path: str = "preferences") -> None:
    if len(plek_ids) > MAX_PREFERENCES:
        raise DomainValidationError.single(
            path, "too_many", f"At most {MAX_PREFERENCES} preferred plekken."
        )
    if len(set(plek_ids)) != len(plek_ids):
        raise DomainValidationError.single(path, "duplicate", "A plek is listed twice.")
    found = set(
        Plek.objects.filter(
            pk__in=plek_ids, region_id=region_id, status=PlekStatus.PUBLISHED
        ).values_list("pk", flat=True)
    )
    errors = [
        FieldError(
            f"{path}[{i}]", "not_found", f"Plek {plek_id} is not a published plek in this region."
        )
        for i, plek_id in enumerate(plek_ids)
        if plek_id not in found
    ]
    if errors:
        raise DomainValidationError(errors)


def _set_preferences(request: PlacementRequest, plek_ids: Sequence[int]) -> None:
    request.preferences.all().delete()
    RequestPreference.objects.bulk_create(
        RequestPreference(request=request, plek_id=plek_id, rank=rank)
        for rank, plek_id in enumerate(plek_ids, start=1)
    )


def request_submit(
    *,
    school: Organisation,
    data: dict[str, Any],
    preferences: Sequence[int] = (),
    created_by: Any = None,  # the user, when a person submitted it
) -> PlacementRequest:
    """A school submits a placement request for one of its students."""
    if school.kind != OrganisationKind.SCHOOL:
        raise DomainValidationError.single(
            "school", "not_a_school", "Only a school submits requests."
        )
    with transaction.atomic():
        _check_preferences(school.region_id, preferences)
        request = PlacementRequest.objects.create(
            **data,
            school=school,
            region_id=school.region_id,
            status=RequestStatus.OPEN,
            created_by=created_by if created_by and created_by.pk else None,
        )
        _set_preferences(request, preferences)
        record_event(
            region_id=request.region_id,
            type="request.submitted",
            payload=_request_event_payload(request),
            audience=[school.pk],
        )
    return request


def request_update(
    *,
    request: PlacementRequest,
    data: dict[str, Any],
    preferences: Sequence[int] | None = None,
) -> PlacementRequest:
    """Change an open request. Once it is proposed or placed, withdraw it instead (409)."""
    with transaction.atomic():
        request = PlacementRequest.objects.select_for_update().get(pk=request.pk)
        if request.status != RequestStatus.OPEN:
            raise InvalidTransition(
                "Only an open request can be changed; withdraw it and submit a new one.",
                current_state=request.status,
            )
        if preferences is not None:
            _check_preferences(request.region_id, preferences)
        for field, value in data.items():
            setattr(request, field, value)
        request.save()
        if preferences is not None:
            _set_preferences(request, preferences)
        record_event(
            region_id=request.region_id,
            type="request.changed",
            payload=_request_event_payload(request),
            audience=[request.school_id],
        )
    return request


def request_withdraw(*, request: PlacementRequest) -> PlacementRequest:
    """Withdraw a request; a live placement is withdrawn with it, freeing its seat and hours."""
    with transaction.atomic():
        request = PlacementRequest.objects.select_for_update().get(pk=request.pk)
        if request.status == RequestStatus.WITHDRAWN:
            raise InvalidTransition(
                "The request is already withdrawn.", current_state=request.status
            )
        live = list(
            Placement.objects.select_for_update()
            .filter(request=request, status__in=LIVE_PLACEMENT_STATUSES)
            .select_related("plek")
        )
        # Each placement it ends is announced as withdrawn, so its care organisation hears.
        ended = lifecycle.placements_withdraw_with_request(
            request=request, placements=live, now=timezone.now()
        )
        request.status = RequestStatus.WITHDRAWN
        request.save(update_fields=["status", "updated_at"])
        record_events(
            region_id=request.region_id,
            events=[
                NewEvent(
                    type="request.withdrawn",
                    payload={
                        **_request_event_payload(request),
                        "placement_ids": [p.pk for p in live],
                    },
                    audience={request.school_id, *(p.plek.organisation_id for p in live)},
                ),
                *ended,
            ],
        )
    return request


# --- Locations and plekken ------------------------------------------------------------


def _require_care(organisation: Organisation) -> None:
    if organisation.kind != OrganisationKind.CARE:
        raise DomainValidationError.single(
            "organisation", "not_a_care_organisation", "Only a care organisation does this."
        )


def location_create(*, organisation: Organisation, data: dict[str, Any]) -> Location:
    _require_care(organisation)
    return Location.objects.create(**data, organisation=organisation)


def location_update(*, location: Location, data: dict[str, Any]) -> Location:
    """Coordinates decide travel distances, so a changed location asks for a run."""
    with transaction.atomic():
        location = Location.objects.select_for_update().get(pk=location.pk)
        for field, value in data.items():
            setattr(location, field, value)
        location.save()
        record_event(
            region_id=location.organisation.region_id,
            type="location.changed",
            payload={"location_id": location.pk, "organisation_id": location.organisation_id},
            audience=[location.organisation_id],
        )
    return location


def _check_own_location(organisation: Organisation, location: Location, path: str) -> None:
    if location.organisation_id != organisation.pk:
        raise DomainValidationError.single(path, "not_found", "No such location of yours.")


def plek_publish(
    *, organisation: Organisation, data: dict[str, Any], opleidingen: Sequence[Opleiding]
) -> Plek:
    """A care organisation publishes a plek at one of its own locations."""
    _require_care(organisation)
    _check_own_location(organisation, data["location"], "location")
    if not opleidingen:
        raise DomainValidationError.single(
            "opleidingen", "required", "A plek accepts at least one opleiding."
        )
    with transaction.atomic():
        plek = Plek.objects.create(
            **data, organisation=organisation, region_id=organisation.region_id
        )
        plek.opleidingen.set(opleidingen)
        record_event(
            region_id=plek.region_id,
            type="plek.published",
            payload={"plek_id": plek.pk, "organisation_id": organisation.pk},
            audience=[organisation.pk],
        )
    return plek


def plek_update(
    *, plek: Plek, data: dict[str, Any], opleidingen: Sequence[Opleiding] | None = None
) -> Plek:
    with transaction.atomic():
        plek = Plek.objects.select_for_update().get(pk=plek.pk)
        if plek.status == PlekStatus.WITHDRAWN:
            raise InvalidTransition(
                "A withdrawn plek cannot be changed.", current_state=plek.status
            )
        if "location" in data:
            _check_own_location(plek.organisation, data["location"], "location")
        if opleidingen is not None and not opleidingen:
            raise DomainValidationError.single(
                "opleidingen", "required", "A plek accepts at least one opleiding."
            )
        if "seats" in data:
            held = plek.placements.filter(status__in=LIVE_PLACEMENT_STATUSES).count()
            if data["seats"] < held:
                raise DomainValidationError.single(
                    "seats",
                    "below_placed",
                    f"{held} students are proposed or placed here; withdraw them first.",
                )
        for field, value in data.items():
            setattr(plek, field, value)
        plek.save()
        if opleidingen is not None:
            plek.opleidingen.set(opleidingen)
        record_event(
            region_id=plek.region_id,
            type="plek.changed",
            payload={"plek_id": plek.pk, "organisation_id": plek.organisation_id},
            audience=[plek.organisation_id],
        )
    return plek


def plek_withdraw(*, plek: Plek) -> Plek:
    """Take a plek out of allocation. Kept as a row: placements and history refer to it."""
    with transaction.atomic():
        plek = Plek.objects.select_for_update().get(pk=plek.pk)
        if plek.status == PlekStatus.WITHDRAWN:
            raise InvalidTransition("The plek is already withdrawn.", current_state=plek.status)
        if plek.placements.filter(status__in=LIVE_PLACEMENT_STATUSES).exists():
            raise InvalidTransition(
                "Students are proposed or placed on this plek; withdraw those placements first.",
                current_state=plek.status,
            )
        plek.status = PlekStatus.WITHDRAWN
        plek.save(update_fields=["status", "updated_at"])
        record_event(
            region_id=plek.region_id,
            type="plek.removed",
            payload={"plek_id": plek.pk, "organisation_id": plek.organisation_id},
            audience=[plek.organisation_id],
        )
    return plek


# --- Supervision sources --------------------------------------------------------------


def _source_scope(organisation: Organisation, data: dict[str, Any]) -> dict[str, Any]:
    """Fill the scope fields from the kind and check they are the organisation's own."""
    kind = data["kind"]
    if kind not in SOURCE_KINDS_BY_ORGANISATION[organisation.kind]:
        raise DomainValidationError.single(
            "kind",
            "not_allowed",
            f"A {organisation.get_kind_display().lower()} cannot provide a {kind} source.",
        )
    scope: dict[str, Any] = {"location": None, "plek": None, "school": None}
    if kind in LOCATION_KINDS:
        location = data.get("location")
        if location is None:
            raise DomainValidationError.single(
                "location", "required", f"A {kind} works at a location."
            )
        _check_own_location(organisation, location, "location")
        scope["location"] = location
    elif kind == SupervisionKind.LEERAFDELING:
        plek = data.get("plek")
        if plek is None or plek.organisation_id != organisation.pk:
            raise DomainValidationError.single(
                "plek", "required", "A leerafdeling supervises one of your own plekken."
            )
        scope["plek"] = plek
    elif kind == SupervisionKind.DOCENT_BEGELEIDER:
        scope["school"] = organisation
    if kind not in (
        SupervisionKind.SENIOR_WERKBEGELEIDER,
        SupervisionKind.LEERCOACH,
        SupervisionKind.INWERKCOACH,
    ) and data.get("group_factor") not in (None, 1):
        raise DomainValidationError.single(
            "group_factor", "not_allowed", "Only group forms of supervision have a group factor."
        )
    return scope


def source_create(*, organisation: Organisation, data: dict[str, Any]) -> SupervisionSource:
    with transaction.atomic():
        scope = _source_scope(organisation, data)
        source = SupervisionSource.objects.create(
            **{**data, **scope}, organisation=organisation, region_id=organisation.region_id
        )
        record_event(
            region_id=source.region_id,
            type="source.published",
            payload={"source_id": source.pk, "organisation_id": organisation.pk},
            audience=[organisation.pk],
        )
    return source


def source_update(*, source: SupervisionSource, data: dict[str, Any]) -> SupervisionSource:
    with transaction.atomic():
        source = SupervisionSource.objects.select_for_update().get(pk=source.pk)
        if not source.active:
            raise InvalidTransition("A removed source cannot be changed.", current_state="removed")
        merged = {
            "kind": source.kind,
            "location": source.location,
            "plek": source.plek,
            "group_factor": source.group_factor,
            **data,
        }
        scope = _source_scope(source.organisation, merged)
        for field, value in {**data, **scope}.items():
            setattr(source, field, value)
        source.save()
        record_event(
            region_id=source.region_id,
            type="source.changed",
            payload={"source_id": source.pk, "organisation_id": source.organisation_id},
            audience=[source.organisation_id],
        )
    return source


def source_remove(*, source: SupervisionSource) -> SupervisionSource:
    """Stop offering a source. The row stays: placements' drawn hours refer to it."""
    with transaction.atomic():
        source = SupervisionSource.objects.select_for_update().get(pk=source.pk)
        if not source.active:
            raise InvalidTransition("The source is already removed.", current_state="removed")
        source.active = False
        source.save(update_fields=["active", "updated_at"])
        record_event(
            region_id=source.region_id,
            type="source.removed",
            payload={"source_id": source.pk, "organisation_id": source.organisation_id},
            audience=[source.organisation_id],
        )
    return source


# --- Region settings ------------------------------------------------------------------


def region_update_settings(
    *, region: Region, data: dict[str, Any], doelgroep_loads: dict[str, Any] | None = None
) -> Region:
    with transaction.atomic():
        region = Region.objects.select_for_update().get(pk=region.pk)
        for field, value in data.items():
            setattr(region, field, value)
        region.save()
        for doelgroep, hours in (doelgroep_loads or {}).items():
            DoelgroepSetting.objects.update_or_create(
                region=region, doelgroep=doelgroep, defaults={"default_load_hours": hours}
            )
        record_event(
            region_id=region.pk, type="region.settings_changed", payload={"region_id": region.pk}
        )
    return region


# --- Setting up a region (manage.py create_region, create_organisation) ----------------


def region_create(*, code: str, name: str) -> Region:
    """A new arbeidsmarktregio with the default supervision need per doelgroep."""
    if Region.objects.filter(code=code).exists():
        raise DomainValidationError.single("code", "exists", f"Region {code} exists already.")
    with transaction.atomic():
        region = Region.objects.create(code=code, name=name)
        DoelgroepSetting.objects.bulk_create(
            DoelgroepSetting(region=region, doelgroep=doelgroep, default_load_hours=hours)
            for doelgroep, hours in DEFAULT_DOELGROEP_LOADS.items()
        )
    return region


def organisation_create(
    *,
    region: Region,
    name: str,
    kind: str,
    admin_username: str,
    admin_email: str,
    admin_password: str,
) -> tuple[Organisation, AbstractBaseUser]:
    """A school, care organisation or coordination office with its first administrator."""
    User = get_user_model()
    errors = []
    if kind not in OrganisationKind.values:
        errors.append(
            FieldError(
                "kind",
                "invalid",
                f"Kind {kind} is not one of {', '.join(OrganisationKind.values)}.",
            )
        )
    if Organisation.objects.filter(region=region, name=name).exists():
        errors.append(
            FieldError("name", "exists", f"{region.name} has an organisation {name} already.")
        )
    if User.objects.filter(username=admin_username).exists():
        errors.append(
            FieldError("admin_username", "exists", f"User {admin_username} exists already.")
        )
    if errors:
        raise DomainValidationError(errors)
    with transaction.atomic():
        organisation = Organisation.objects.create(
            region=region, name=name, kind=kind, contact_email=admin_email
        )
        user = User.objects.create_user(
            username=admin_username, email=admin_email, password=admin_password
        )
        Membership.objects.create(user=user, organisation=organisation, role=Role.ADMIN)
    return organisation, user
