"""E-mail and in-app notifications for proposals to answer and outcomes to know about."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core import mail

from events.models import Event
from events.outbox import record_event
from notifications.models import EmailFrequency, Notification
from notifications.services import (
    notifications_for_event,
    notifications_for_events,
    notifications_send_digests,
    preference_update,
)
from placements.domain import PlacementStatus
from placements.lifecycle import placement_accept
from tests import factories

User = get_user_model()


def _proposed(world, pseudonym: str = "stu-77"):
    location = factories.LocationFactory(organisation=world.care, city="Zeist")
    plek = factories.PlekFactory(location=location, team="Team Zonnehof")
    request = factories.PlacementRequestFactory(school=world.school, student_pseudonym=pseudonym)
    placement = factories.PlacementFactory(request=request, plek=plek)
    event = record_event(
        region_id=world.region.pk,
        type="placement.proposed",
        payload={"placement_id": placement.pk},
        audience=[world.school.pk, world.care.pk],
    )
    return placement, event


def test_a_proposal_notifies_the_care_organisation_by_mail_and_in_app(world):
    placement, event = _proposed(world)

    created = notifications_for_event(event_id=event.pk)

    assert [n.user.username for n in created] == ["carol"]
    # In the region's language (Dutch) unless the user chose another.
    assert created[0].title == "Nieuwe student voorgesteld: stu-77"
    assert [m.to for m in mail.outbox] == [["carol@example.org"]]
    assert "Team Zonnehof" in mail.outbox[0].body
    assert placement.request.student_name not in mail.outbox[0].body


def test_delivering_the_same_event_twice_notifies_once(world):
    _, event = _proposed(world)

    notifications_for_event(event_id=event.pk)
    again = notifications_for_event(event_id=event.pk)

    assert again == []
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_batch_of_events_notifies_each_recipient_once_per_event(world):
    first, proposed_a = _proposed(world)
    _, proposed_b = _proposed(world, pseudonym="stu-78")
    unrelated = record_event(region_id=world.region.pk, type="request.submitted", payload={})

    created = notifications_for_events(event_ids=[proposed_a.pk, proposed_b.pk, unrelated.pk])
    again = notifications_for_events(event_ids=[proposed_b.pk, proposed_a.pk])

    assert sorted((n.user.username, n.event_id) for n in created) == [
        ("carol", proposed_a.pk),
        ("carol", proposed_b.pk),
    ]
    assert again == []
    assert Notification.objects.count() == 2
    assert [m.to for m in mail.outbox] == [["carol@example.org"]] * 2
    assert first.pk in {n.placement_id for n in created}
    assert sorted(m.subject for m in mail.outbox) == [
        "[Leerplek] Nieuwe student voorgesteld: stu-77",
        "[Leerplek] Nieuwe student voorgesteld: stu-78",
    ]


def test_an_accept_notifies_the_school_not_the_other_school(
    world, django_capture_on_commit_callbacks
):
    placement, _ = _proposed(world)

    with django_capture_on_commit_callbacks(execute=False):
        placement_accept(placement=placement, by=world.care)
    event = Event.objects.get(type="placement.accepted")
    notifications_for_event(event_id=event.pk)

    recipients = set(Notification.objects.values_list("user__username", flat=True))
    # alice and victor (a viewer) both act for the school; bob's school is not involved.
    assert recipients == {"alice", "victor"}
    placement.refresh_from_db()
    assert placement.status == PlacementStatus.ACCEPTED


def test_users_see_and_mark_only_their_own_notifications(client_for, world):
    _, event = _proposed(world)
    notifications_for_event(event_id=event.pk)
    own = Notification.objects.get(user__username="carol")

    carol_list = client_for("carol").get("/api/v1/notifications/?unread=true").json()
    dave_list = client_for("dave").get("/api/v1/notifications/").json()
    dave_marks = client_for("dave").post(f"/api/v1/notifications/{own.pk}/read/")
    carol_marks = client_for("carol").post(f"/api/v1/notifications/{own.pk}/read/")

    assert [n["id"] for n in carol_list["results"]] == [own.pk]
    assert dave_list["results"] == []
    assert dave_marks.status_code == 404
    assert carol_marks.json() == {"marked": 1}
    assert client_for("carol").get("/api/v1/notifications/?unread=true").json()["results"] == []


def test_each_user_gets_notifications_in_the_language_they_chose(world):
    preference_update(user=User.objects.get(username="carol"), language="en")
    _, event = _proposed(world)

    created = notifications_for_event(event_id=event.pk)

    assert created[0].title == "New student proposed: stu-77"
    assert mail.outbox[0].subject == "[Leerplek] New student proposed: stu-77"


def test_a_daily_digest_gathers_the_days_notifications_in_one_mail(world):
    carol = User.objects.get(username="carol")
    preference_update(user=carol, email=EmailFrequency.DAILY)
    for pseudonym in ("stu-77", "stu-78"):
        _, event = _proposed(world, pseudonym=pseudonym)
        notifications_for_event(event_id=event.pk)
    assert mail.outbox == []  # nothing by the event itself

    sent = notifications_send_digests()
    again = notifications_send_digests()

    assert (sent, again) == (1, 0)  # each notification in one digest only
    assert [m.to for m in mail.outbox] == [["carol@example.org"]]
    assert "stu-77" in mail.outbox[0].body and "stu-78" in mail.outbox[0].body
    assert Notification.objects.filter(user=carol, emailed_at__isnull=True).count() == 0


def test_who_chose_no_mail_gets_it_in_app_only(world):
    preference_update(user=User.objects.get(username="carol"), email=EmailFrequency.NONE)
    _, event = _proposed(world)

    created = notifications_for_event(event_id=event.pk)

    assert [n.user.username for n in created] == ["carol"]
    assert mail.outbox == []
    assert notifications_send_digests() == 0
