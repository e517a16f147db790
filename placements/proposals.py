"""The proposal workflow: proposed → accepted (care organisation) → confirmed (school).

A decline (with a reason), an expiry or a withdrawal frees the seat and the supervision hours
and re-queues the request, never again to the same plek. Every transition locks the placement
row, checks who may make it and from which state, and records its event in the same
transaction; an illegal transition raises InvalidTransition (HTTP 409 with the current state).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from notifications.outbox import record_event
from placements.domain import OrganisationKind, PlacementStatus, RequestStatus
from placements.errors import DomainValidationError, InvalidTransition, NotPermitted
from placements.models import Organisation, Placement, PlacementRequest

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
_VERB = {
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


# Transitions after which the request needs a (new) place.
_REQUEUE = {PlacementStatus.DECLINED, PlacementStatus.EXPIRED, PlacementStatus.WITHDRAWN}

_REQUEST_STATUS_AFTER = {
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
        if to in _REQUEUE:
            from coordination.triggers import request_allocation

            request_allocation(region_id=request.region_id, reason=f"placement.{to}")
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
