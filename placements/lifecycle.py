"""Every placement transition, in one place: proposed → accepted (care organisation) →
confirmed (school); declined, expired, withdrawn.

A decline (with a reason), an expiry or a withdrawal frees the seat and the supervision hours
and re-queues the request, never again to the same plek. A party's transition locks the
placement row, checks who may make it and from which state, and records its event in the
same transaction; an illegal transition raises InvalidTransition (HTTP 409 with the current
state). The bulk transitions at the end are an allocation run's (store_result) and a
request's withdrawal: their callers hold the locks, and they return the events to record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core.errors import DomainValidationError, InvalidTransition, NotPermitted
from events.outbox import NewEvent, record_event
from placements.domain import OrganisationKind, PlacementStatus, RequestStatus
from placements.models import Organisation, Placement, PlacementRequest, PlacementSupervision

# Who may move a placement from which states to which.
_ALLOWED: dict[str, tuple[str, frozenset[str]]] = {
    PlacementStatus.ACCEPTED: (OrganisationKind.CARE, frozenset({PlacementStatus.PROPOSED})),
    PlacementStatus.DECLINED: (OrganisationKind.CARE, frozenset({PlacementStatus.PROPOSED})),
    PlacementStatus.CONFIRMED: (OrganisationKind.SCHOOL, frozenset({PlacementStatus.ACCEPTED})),
    PlacementStatus.WITHDRAWN: (
        "any",
        frozenset({PlacementStatus.PROPOSED, PlacementStatus.ACCEPTED, PlacementStatus.CONFIRMED}),
    ),
}

# The verb a user reads for each transition ("accept this placement").
_VERB: dict[str, str] = {
    PlacementStatus.ACCEPTED: "accept",
    PlacementStatus.DECLINED: "decline",
    PlacementStatus.CONFIRMED: "confirm",
    PlacementStatus.WITHDRAWN: "withdraw",
    PlacementStatus.EXPIRED: "expire",
}


def _refusal(current: str, to: str, allowed_from: frozenset[str]) -> str:
    """Why a placement in state `current` cannot go to `to`, as a sentence."""
    if current == to:
        return f"This placement is already {to}."
    allowed = " or ".join(sorted(allowed_from))
    return f"This placement is {current}; only a {allowed} placement can be {to}."


_REQUEST_STATUS_AFTER: dict[str, str] = {
    PlacementStatus.ACCEPTED: RequestStatus.ACCEPTED,
    PlacementStatus.CONFIRMED: RequestStatus.CONFIRMED,
    PlacementStatus.DECLINED: RequestStatus.OPEN,
    PlacementStatus.EXPIRED: RequestStatus.OPEN,
    PlacementStatus.WITHDRAWN: RequestStatus.OPEN,
}


def _party_of(placement: Placement, organisation: Organisation) -> str | None:
    if organisation.pk == placement.plek.organisation_id:
        return OrganisationKind.CARE
    if organisation.pk == placement.request.school_id:
        return OrganisationKind.SCHOOL
    return None


def _transition(
    *,
    placement_id: int,
    to: str,
    by: Organisation | None,
    reason: str = "",
) -> Placement:
    with transaction.atomic():
        # Lock order: request, then placement (as store_result and request_withdraw do).
        request_id = Placement.objects.values_list("request_id", flat=True).get(pk=placement_id)
        request = PlacementRequest.objects.select_for_update().get(pk=request_id)
        placement = (
            Placement.objects.select_for_update(of=("self",))
            .select_related("plek", "request")
            .get(pk=placement_id)
        )
        if by is not None:
            party, allowed_from = _ALLOWED[to]
            actor = _party_of(placement, by)
            if actor is None or (party != "any" and actor != party):
                raise NotPermitted(f"Your organisation may not {_VERB[to]} this placement.")
        else:
            allowed_from = frozenset({PlacementStatus.PROPOSED})  # the system expires proposals
        if placement.status not in allowed_from:
            raise InvalidTransition(
                _refusal(placement.status, to, allowed_from), current_state=placement.status
            )
        now = timezone.now()
        placement.status = to
        if to in (PlacementStatus.ACCEPTED, PlacementStatus.DECLINED):
            placement.answered_at = now
        if to == PlacementStatus.CONFIRMED:
            placement.confirmed_at = now
        if to == PlacementStatus.DECLINED:
            placement.decline_reason = reason
        if to == PlacementStatus.WITHDRAWN:
            placement.decline_reason = f"Withdrawn by {by.name if by else 'the system'}."
        placement.save()
        if request.status != RequestStatus.WITHDRAWN:
            request.status = _REQUEST_STATUS_AFTER[to]
            request.save(update_fields=["status", "updated_at"])
        record_event(
            region_id=request.region_id,
            type=f"placement.{to}",
            payload={
                "placement_id": placement.pk,
                "request_id": request.pk,
                "plek_id": placement.plek_id,
                "status": to,
            },
            audience=[request.school_id, placement.plek.organisation_id],
        )
    return placement


def placement_accept(*, placement: Placement, by: Organisation) -> Placement:
    """The care organisation takes the proposed student. Precondition: status proposed."""
    return _transition(placement_id=placement.pk, to=PlacementStatus.ACCEPTED, by=by)


def placement_decline(*, placement: Placement, by: Organisation, reason: str) -> Placement:
    """The care organisation declines, with a reason; the request is re-queued elsewhere."""
    if not reason.strip():
        raise DomainValidationError.single("reason", "required", "Say why the student is declined.")
    return _transition(
        placement_id=placement.pk, to=PlacementStatus.DECLINED, by=by, reason=reason.strip()
    )


def placement_confirm(*, placement: Placement, by: Organisation) -> Placement:
    """The school confirms an accepted placement. Precondition: status accepted."""
    return _transition(placement_id=placement.pk, to=PlacementStatus.CONFIRMED, by=by)


def placement_withdraw(*, placement: Placement, by: Organisation) -> Placement:
    """School or care organisation withdraws a live placement; seat and hours are freed."""
    return _transition(placement_id=placement.pk, to=PlacementStatus.WITHDRAWN, by=by)


def placements_expire(*, now: object | None = None) -> list[int]:
    """Expire proposals nobody answered in time (the periodic task). Returns their ids."""
    now = now or timezone.now()
    due: Iterable[int] = Placement.objects.filter(
        status=PlacementStatus.PROPOSED, expires_at__lte=now
    ).values_list("pk", flat=True)
    expired = []
    for placement_id in list(due):
        try:
            _transition(placement_id=placement_id, to=PlacementStatus.EXPIRED, by=None)
        except InvalidTransition:
            continue  # Answered between the query and the lock: nothing to expire.
        expired.append(placement_id)
    return expired


# --- Bulk transitions --------------------------------------------------------------------


@dataclass(frozen=True)
class DrawSpec:
    """Hours a week a placement draws from a source (as the engine returns them, exactly)."""

    source_id: int
    load_hours: Decimal
    source_hours: Decimal


@dataclass(frozen=True)
class ProposalSpec:
    request_id: int
    plek_id: int
    draws: tuple[DrawSpec, ...]


Audience = Callable[[int, int], list[int]]  # (request id, plek id) -> organisation ids


def _event(
    type: str, pk: int, request_id: int, plek_id: int, audience: Audience, **extra: object
) -> NewEvent:
    return NewEvent(
        type=type,
        payload={"placement_id": pk, "request_id": request_id, "plek_id": plek_id, **extra},
        audience=audience(request_id, plek_id),
    )


def _draw_rows(placement_id: int, draws: Sequence[DrawSpec]) -> list[PlacementSupervision]:
    return [
        PlacementSupervision(
            placement_id=placement_id,
            source_id=d.source_id,
            load_hours=d.load_hours,
            source_hours=d.source_hours,
        )
        for d in draws
    ]


def placements_withdraw_for_run(
    *, run_id: int, placements: Sequence[tuple[int, int, int]], audience: Audience, now: datetime
) -> list[NewEvent]:
    """A run takes back proposals it moved or dropped; their requests are open again.

    ``placements``: (id, request id, plek id) of proposed placements, locked by the caller.
    """
    if not placements:
        return []
    Placement.objects.filter(pk__in=[pk for pk, _, _ in placements]).update(
        status=PlacementStatus.WITHDRAWN, updated_at=now
    )
    PlacementRequest.objects.filter(pk__in=[r for _, r, _ in placements]).update(
        status=RequestStatus.OPEN, updated_at=now
    )
    return [
        _event(
            "placement.withdrawn",
            pk,
            request_id,
            plek_id,
            audience,
            status=PlacementStatus.WITHDRAWN,
            run_id=run_id,
        )
        for pk, request_id, plek_id in placements
    ]


def placements_propose(
    *,
    run_id: int,
    proposals: Sequence[ProposalSpec],
    expires_at: datetime,
    audience: Audience,
    now: datetime,
) -> tuple[list[Placement], list[NewEvent]]:
    """A run proposes requests to plekken, with their draws; the requests become proposed.

    Precondition: the caller holds the locks of the plekken, requests and their placements.
    """
    # PostgreSQL returns the new ids from a bulk insert (and SQLite 3.35+ does too).
    created = Placement.objects.bulk_create(
        Placement(
            request_id=p.request_id,
            plek_id=p.plek_id,
            status=PlacementStatus.PROPOSED,
            allocation_run_id=run_id,
            expires_at=expires_at,
        )
        for p in proposals
    )
    PlacementSupervision.objects.bulk_create(
        row
        for placement, p in zip(created, proposals, strict=True)
        for row in _draw_rows(placement.pk, p.draws)
    )
    PlacementRequest.objects.filter(pk__in=[p.request_id for p in proposals]).update(
        status=RequestStatus.PROPOSED, updated_at=now
    )
    events = [
        _event("placement.proposed", c.pk, c.request_id, c.plek_id, audience, run_id=run_id)
        for c in created
    ]
    return created, events


def placements_redraw(*, draws: dict[int, tuple[DrawSpec, ...]]) -> None:
    """Placements that stay where they are but are carried by other sources now.

    ``draws``: placement id -> its new draws. Precondition: the caller locked the placements.
    """
    if not draws:
        return
    PlacementSupervision.objects.filter(placement_id__in=draws).delete()
    PlacementSupervision.objects.bulk_create(
        row for placement_id, rows in draws.items() for row in _draw_rows(placement_id, rows)
    )


def placements_withdraw_with_request(
    *, request: PlacementRequest, placements: Sequence[Placement], now: datetime
) -> list[NewEvent]:
    """A school withdrew the request: its live placements end with it.

    Precondition: the caller locked the request and these placements (with their plek).
    """
    for placement in placements:
        placement.status = PlacementStatus.WITHDRAWN
        placement.answered_at = placement.answered_at or now
        placement.decline_reason = "The school withdrew the request."
        placement.save(update_fields=["status", "answered_at", "decline_reason", "updated_at"])
    owner = {p.plek_id: p.plek.organisation_id for p in placements}
    return [
        _event(
            "placement.withdrawn",
            p.pk,
            request.pk,
            p.plek_id,
            lambda _request_id, plek_id: [request.school_id, owner[plek_id]],
            status=PlacementStatus.WITHDRAWN,
        )
        for p in placements
    ]
