"""In-app notifications and e-mail for the proposals a user must answer and the outcomes
it waits for. Runs after commit (a Celery task per event); idempotent per (user, event).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from notifications.models import Event, Notification
from placements.models import Placement

# Event types that someone has to hear about, and who: the care organisation or the school.
NOTIFY = {
    "placement.proposed": "care",
    "placement.accepted": "school",
    "placement.declined": "school",
    "placement.confirmed": "care",
    "placement.expired": "both",
    "placement.withdrawn": "both",
}


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
        return Message(
            f"Declined: {pseudonym} at {placement.plek.organisation.name}",
            f"{placement.plek.organisation.name} declined {pseudonym} for {plek}: "
            f"{placement.decline_reason} The request is back in the queue for another place.",
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
    """Create the notifications an event calls for, and e-mail each recipient once."""
    event = Event.objects.get(pk=event_id)
    who = NOTIFY.get(event.type)
    if who is None:
        return []
    placement = Placement.objects.select_related(
        "request__school", "plek__organisation", "plek__location", "plek__region"
    ).get(pk=event.payload["placement_id"])
    organisations = []
    if who in ("care", "both"):
        organisations.append(placement.plek.organisation_id)
    if who in ("school", "both"):
        organisations.append(placement.request.school_id)
    users = get_user_model().objects.filter(
        membership__organisation_id__in=organisations, is_active=True
    )
    message = _message(event, placement)
    created = []
    for user in users.order_by("pk"):
        with transaction.atomic():
            notification, is_new = Notification.objects.get_or_create(
                user=user,
                event=event,
                defaults={
                    "kind": event.type,
                    "title": message.title,
                    "body": message.body,
                    "placement": placement,
                },
            )
        if notification.emailed_at is None and user.email:
            send_mail(
                subject=f"[Leerplek] {message.title}",
                message=message.body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[user.email],
            )
            Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
        if is_new:
            created.append(notification)
    return created


def notification_mark_read(*, user: object, notification_ids: list[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    return qs.update(read_at=timezone.now())
