"""In-app notifications and e-mail for the proposals a user must answer and the outcomes
it waits for. Runs after commit (a Celery task per event); idempotent per (user, event).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone

from events import registry
from events.models import Event
from events.registry import NOTIFY_BOTH, NOTIFY_CARE, NOTIFY_COORDINATORS, NOTIFY_SCHOOL
from notifications.models import Notification
from placements.domain import OrganisationKind
from placements.models import Organisation, Placement


def _region_message(event: Event, region_name: str) -> Message:
    run_id = event.payload.get("run_id")
    if event.type == "allocation.failed":
        return Message(
            f"Allocation run {run_id} in {region_name} failed",
            f"{event.payload.get('message', '')} You will be told when allocation runs again.",
        )
    return Message(
        f"Allocation runs again in {region_name}",
        f"Run {run_id} finished after earlier runs had failed: {event.payload.get('placed')} "
        f"placed, {event.payload.get('unplaced')} unplaced.",
    )


@dataclass(frozen=True)
class Message:
    title: str
    body: str


def _message(event: Event, placement: Placement) -> Message:
    pseudonym = placement.request.student_pseudonym
    where = placement.plek
    plek = f"{where.team} ({where.organisation.name}, {where.location.city})"
    kind = event.type
    if kind == "placement.proposed":
        days = placement.plek.region.proposal_expiry_days
        return Message(
            f"New student proposed: {pseudonym}",
            f"Student {pseudonym} is proposed for {plek}. Please accept or decline within "
            f"{days} days.",
        )
    if kind == "placement.accepted":
        return Message(
            f"Accepted: {pseudonym} at {placement.plek.organisation.name}",
            f"{placement.plek.organisation.name} accepted {pseudonym} for {plek}. Please confirm.",
        )
    if kind == "placement.declined":
        reason = placement.decline_reason.strip().rstrip(".")
        return Message(
            f"Declined: {pseudonym} at {placement.plek.organisation.name}",
            f"{placement.plek.organisation.name} declined {pseudonym} for {plek}"
            + (f', with the reason "{reason}".' if reason else ".")
            + " The request is back in the queue for another place.",
        )
    if kind == "placement.confirmed":
        return Message(
            f"Confirmed: {pseudonym}",
            f"{placement.request.school.name} confirmed {pseudonym} for {plek}.",
        )
    if kind == "placement.expired":
        return Message(
            f"Proposal expired: {pseudonym}",
            f"The proposal of {pseudonym} for {plek} was not answered in time and expired.",
        )
    return Message(
        f"Withdrawn: {pseudonym}",
        f"The placement of {pseudonym} at {plek} was withdrawn.",
    )


def notifications_for_event(*, event_id: int) -> list[Notification]:
    return notifications_for_events(event_ids=[event_id])


def notifications_for_events(*, event_ids: Sequence[int]) -> list[Notification]:
    """Create the notifications a batch of events calls for, and e-mail each recipient once.

    In bulk: a run can propose thousands at once, and a query, a transaction and a mail
    connection per user and event kept the notification worker busy for seconds.
    Returns the notifications of the (user, event) pairs that had none when it looked.
    """
    # Who hears of what: events/registry.py (notify, notify_when).
    who_of = {
        e.pk: who
        for e in Event.objects.filter(pk__in=event_ids).only("pk", "type", "payload")
        if (who := registry.notifies(e.type, e.payload))
    }
    events = list(
        Event.objects.filter(pk__in=who_of).select_related("region").order_by("region_id", "seq")
    )
    if not events:
        return []
    placements = Placement.objects.select_related(
        "request__school", "plek__organisation", "plek__location", "plek__region"
    ).in_bulk([e.payload["placement_id"] for e in events if "placement_id" in e.payload])
    coordinators: dict[int, list[int]] = {}  # region id -> coordination organisation ids
    for org_id, region_id in Organisation.objects.filter(
        region_id__in={e.region_id for e in events if who_of[e.pk] == NOTIFY_COORDINATORS},
        kind=OrganisationKind.COORDINATION,
    ).values_list("pk", "region_id"):
        coordinators.setdefault(region_id, []).append(org_id)
    recipients: dict[int, list[int]] = {}  # event id -> organisation ids
    for event in events:
        who = who_of[event.pk]
        if who == NOTIFY_COORDINATORS:
            recipients[event.pk] = coordinators.get(event.region_id, [])
            continue
        placement = placements[event.payload["placement_id"]]
        recipients[event.pk] = [
            *([placement.plek.organisation_id] if who in (NOTIFY_CARE, NOTIFY_BOTH) else []),
            *([placement.request.school_id] if who in (NOTIFY_SCHOOL, NOTIFY_BOTH) else []),
        ]
    users_of: dict[int, list[Any]] = {}
    for user in (
        get_user_model()
        .objects.filter(
            membership__organisation_id__in={o for orgs in recipients.values() for o in orgs},
            is_active=True,
        )
        .select_related("membership")
        .order_by("pk")
    ):
        users_of.setdefault(user.membership.organisation_id, []).append(user)

    existing = set(
        Notification.objects.filter(event_id__in=recipients).values_list("user_id", "event_id")
    )
    new = []
    for event in events:
        placement = placements.get(event.payload.get("placement_id"))
        message = (
            _message(event, placement)
            if placement is not None
            else _region_message(event, event.region.name)
        )
        for organisation_id in recipients[event.pk]:
            for user in users_of.get(organisation_id, ()):
                if (user.pk, event.pk) not in existing:
                    existing.add((user.pk, event.pk))
                    new.append(
                        Notification(
                            user=user,
                            event=event,
                            kind=event.type,
                            title=message.title,
                            body=message.body,
                            placement=placement,
                        )
                    )
    # A concurrent delivery of the same events may write some of these meanwhile: the unique
    # (user, event) constraint keeps one of each.
    Notification.objects.bulk_create(new, ignore_conflicts=True)
    wanted = {(n.user_id, n.event_id) for n in new}
    created = [
        n
        for n in Notification.objects.filter(event_id__in={e for _, e in wanted})
        .select_related("user")
        .order_by("event_id", "user_id")
        if (n.user_id, n.event_id) in wanted
    ]

    unsent = list(
        Notification.objects.filter(event_id__in=recipients, emailed_at__isnull=True)
        .exclude(user__email="")
        .select_related("user")
        .order_by("event_id", "user_id")
    )
    if unsent:
        get_connection().send_messages(
            [
                EmailMessage(
                    subject=f"[Leerplek] {n.title}",
                    body=n.body,
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    to=[n.user.email],
                )
                for n in unsent
            ]
        )
        Notification.objects.filter(pk__in=[n.pk for n in unsent]).update(emailed_at=timezone.now())
    return created


def notification_mark_read(*, user: object, notification_ids: list[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    return qs.update(read_at=timezone.now())
