"""In-app notifications and e-mail for the proposals a user must answer and the outcomes
it waits for. Runs after commit (a Celery task per batch of events); idempotent per (user,
event). Each user reads them in their own language (Preference.language) and gets e-mail
for each notification, once a day as a digest, or not at all (Preference.email).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from events import registry
from events.models import Event
from events.registry import NOTIFY_BOTH, NOTIFY_CARE, NOTIFY_COORDINATORS, NOTIFY_SCHOOL
from notifications.models import EmailFrequency, Notification, Preference
from placements.domain import OrganisationKind
from placements.models import Organisation, Placement


@dataclass(frozen=True)
class Message:
    title: str
    body: str


def _region_message(event: Event, region_name: str) -> Message:
    values = {
        "run": event.payload.get("run_id"),
        "region": region_name,
        "placed": event.payload.get("placed"),
        "unplaced": event.payload.get("unplaced"),
    }
    if event.type == "allocation.failed":
        return Message(
            _("Allocation run %(run)s in %(region)s failed") % values,
            # The reason is the run's own sentence, in English (AllocationRun.error).
            event.payload.get("message", "")
            + " "
            + _("You will be told when allocation runs again."),
        )
    return Message(
        _("Allocation runs again in %(region)s") % values,
        _(
            "Run %(run)s finished after earlier runs had failed: %(placed)s placed, "
            "%(unplaced)s unplaced."
        )
        % values,
    )


def _message(event: Event, placement: Placement) -> Message:
    where = placement.plek
    values = {
        "student": placement.request.student_pseudonym,
        "plek": f"{where.team} ({where.organisation.name}, {where.location.city})",
        "organisation": where.organisation.name,
        "school": placement.request.school.name,
        "reason": placement.decline_reason.strip().rstrip("."),
    }
    kind = event.type
    if kind == "placement.proposed":
        days = where.region.proposal_expiry_days
        return Message(
            _("New student proposed: %(student)s") % values,
            ngettext(
                "Student %(student)s is proposed for %(plek)s. Please accept or decline "
                "within %(days)s day.",
                "Student %(student)s is proposed for %(plek)s. Please accept or decline "
                "within %(days)s days.",
                days,
            )
            % {**values, "days": days},
        )
    if kind == "placement.accepted":
        return Message(
            _("Accepted: %(student)s at %(organisation)s") % values,
            _("%(organisation)s accepted %(student)s for %(plek)s. Please confirm.") % values,
        )
    if kind == "placement.declined":
        declined = (
            _('%(organisation)s declined %(student)s for %(plek)s, with the reason "%(reason)s".')
            if values["reason"]
            else _("%(organisation)s declined %(student)s for %(plek)s.")
        )
        return Message(
            _("Declined: %(student)s at %(organisation)s") % values,
            declined % values + " " + _("The request is back in the queue for another place."),
        )
    if kind == "placement.confirmed":
        return Message(
            _("Confirmed: %(student)s") % values,
            _("%(school)s confirmed %(student)s for %(plek)s.") % values,
        )
    if kind == "placement.expired":
        return Message(
            _("Proposal expired: %(student)s") % values,
            _("The proposal of %(student)s for %(plek)s was not answered in time and expired.")
            % values,
        )
    return Message(
        _("Withdrawn: %(student)s") % values,
        _("The placement of %(student)s at %(plek)s was withdrawn.") % values,
    )


def preference_of(user: Any) -> Preference:
    """The user's preference, or the defaults (Dutch, an e-mail each) when none is saved."""
    try:
        return user.preference
    except Preference.DoesNotExist:
        return Preference(user=user)


def notifications_for_event(*, event_id: int) -> list[Notification]:
    return notifications_for_events(event_ids=[event_id])


def notifications_for_events(*, event_ids: Sequence[int]) -> list[Notification]:
    """Create the notifications a batch of events calls for, and e-mail those who want an
    e-mail for each.

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
        concerned = placements[event.payload["placement_id"]]
        recipients[event.pk] = [
            *([concerned.plek.organisation_id] if who in (NOTIFY_CARE, NOTIFY_BOTH) else []),
            *([concerned.request.school_id] if who in (NOTIFY_SCHOOL, NOTIFY_BOTH) else []),
        ]
    users_of: dict[int, list[Any]] = {}
    for user in (
        get_user_model()
        .objects.filter(
            membership__organisation_id__in={o for orgs in recipients.values() for o in orgs},
            is_active=True,
        )
        .select_related("membership", "preference")
        .order_by("pk")
    ):
        users_of.setdefault(user.membership.organisation_id, []).append(user)

    existing = set(
        Notification.objects.filter(event_id__in=recipients).values_list("user_id", "event_id")
    )
    new = []
    for event in events:
        placement = placements.get(event.payload.get("placement_id"))
        messages: dict[str, Message] = {}  # one per language
        for organisation_id in recipients[event.pk]:
            for user in users_of.get(organisation_id, ()):
                if (user.pk, event.pk) in existing:
                    continue
                existing.add((user.pk, event.pk))
                language = preference_of(user).language
                if language not in messages:
                    with translation.override(language):
                        messages[language] = (
                            _message(event, placement)
                            if placement is not None
                            else _region_message(event, event.region.name)
                        )
                message = messages[language]
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
    unsent = [
        n
        for n in Notification.objects.filter(event_id__in=recipients, emailed_at__isnull=True)
        .exclude(user__email="")
        .select_related("user__preference")
        .order_by("event_id", "user_id")
        if preference_of(n.user).email == EmailFrequency.EACH
    ]
    _send([([n], EmailMessage(f"[Leerplek] {n.title}", n.body, to=[n.user.email])) for n in unsent])
    return created


def _send(mails: list[tuple[list[Notification], EmailMessage]]) -> None:
    """Send over one connection, then mark the notifications each mail carried."""
    if not mails:
        return
    for _notifications, mail in mails:
        mail.from_email = settings.DEFAULT_FROM_EMAIL
    get_connection().send_messages([mail for _, mail in mails])
    Notification.objects.filter(pk__in=[n.pk for batch, _ in mails for n in batch]).update(
        emailed_at=timezone.now()
    )


def notifications_send_digests() -> int:
    """One e-mail per user who chose a daily digest, listing what arrived since the last one.

    Runs once a day (the beat schedule). Idempotent: a notification is in one digest only.
    Returns how many digests were sent.
    """
    pending: dict[int, list[Notification]] = defaultdict(list)
    for n in (
        Notification.objects.filter(
            emailed_at__isnull=True, user__preference__email=EmailFrequency.DAILY
        )
        .exclude(user__email="")
        .select_related("user__preference")
        .order_by("user_id", "created_at", "pk")
    ):
        pending[n.user_id].append(n)
    mails = []
    for items in pending.values():
        user = items[0].user
        with translation.override(preference_of(user).language):
            subject = ngettext(
                "[Leerplek] Your day: %(count)s notification",
                "[Leerplek] Your day: %(count)s notifications",
                len(items),
            ) % {"count": len(items)}
            body = "\n\n".join(f"{n.title}\n{n.body}" for n in items)
        mails.append((items, EmailMessage(subject, body, to=[user.email])))
    _send(mails)
    return len(mails)


def notification_mark_read(*, user: Any, notification_ids: list[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    return qs.update(read_at=timezone.now())


def preference_update(
    *, user: Any, language: str | None = None, email: str | None = None
) -> Preference:
    preference, _created = Preference.objects.get_or_create(user=user)
    if language is not None:
        preference.language = language
    if email is not None:
        preference.email = email
    preference.full_clean()
    preference.save()
    return preference
