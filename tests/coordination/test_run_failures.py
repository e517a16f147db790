"""A failing run never stops a region: it is recorded with a readable reason, announced, its
coordinators are told once, the region pauses with growing backoff and runs again.

The failure is injected where the world can really break: a database trigger that refuses
new placements (as a full disk or a broken migration would), then removed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from coordination.models import AllocationQueue, AllocationRun, RunStatus, UnplacedRequest
from coordination.services import allocation_run_pending
from coordination.triggers import request_allocation
from events.models import Event
from notifications.models import Notification
from placements.models import Placement
from tests import factories


def placements_refused() -> AbstractContextManager[None]:
    """PostgreSQL refuses every new placement while this is open."""
    return inserts_refused(Placement)


@contextmanager
def inserts_refused(model: type[Model]) -> Iterator[None]:
    """PostgreSQL refuses every new row of ``model`` while this is open."""
    table = model._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            """
            CREATE FUNCTION leerplek_test_refuse() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN RAISE EXCEPTION 'disk full (injected)'; END $$
            """
        )
        cur.execute(
            f"CREATE TRIGGER leerplek_test_refuse BEFORE INSERT ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION leerplek_test_refuse()"
        )
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute(f"DROP TRIGGER leerplek_test_refuse ON {table}")
            cur.execute("DROP FUNCTION leerplek_test_refuse()")


@pytest.fixture
def region_with_work(world):
    location = factories.LocationFactory(organisation=world.care)
    opleiding = factories.OpleidingFactory()
    factories.PlekFactory(location=location, seats=2, opleidingen=[opleiding])
    factories.SupervisionSourceFactory(location=location, max_students=2)
    factories.PlacementRequestFactory(school=world.school, opleiding=opleiding)
    with transaction.atomic():
        request_allocation(region_id=world.region.pk, reason="request.submitted")
    return world.region


def _run(region_id: int):
    return allocation_run_pending(region_id=region_id, owner="test-worker")


def _let_retry(region_id: int) -> None:
    """Time passes: the region's pause is over."""
    AllocationQueue.objects.filter(region_id=region_id).update(retry_after=timezone.now())


def test_a_failing_run_is_recorded_readably_and_pauses_the_region(region_with_work):
    region = region_with_work

    with placements_refused():
        outcome = _run(region.pk)

    run = outcome.run
    assert run.status == RunStatus.FAILED and run.failure_reason == "error"
    assert run.error == (
        "The database refused to store the result. Nothing was stored; the run is repeated "
        "automatically."
    )
    assert "disk full (injected)" in run.error_detail  # for operators, not in the sentence
    assert "disk full" not in run.error
    assert outcome.retry_in == settings.ALLOCATION_RETRY_BACKOFF[0] and not outcome.again
    queue = AllocationQueue.objects.get(region_id=region.pk)
    assert queue.pending and queue.failures == 1 and queue.retry_after > timezone.now()
    assert queue.lease_owner == ""  # released: another worker may retry it
    assert _run(region.pk).run is None  # paused until the backoff is over
    failed = Event.objects.get(type="allocation.failed")
    assert failed.payload == {
        "run_id": run.pk,
        "reason": "error",
        "message": run.error,
        "first_failure": True,
    }


def test_a_refused_reason_row_is_described_as_any_refused_write(world, region_with_work):
    # A request no plek takes: the run stores its reason (by COPY, not through the ORM).
    factories.PlacementRequestFactory(
        school=world.school, opleiding=factories.OpleidingFactory(code="99999")
    )
    with inserts_refused(UnplacedRequest):
        run = _run(region_with_work.pk).run

    assert run.status == RunStatus.FAILED
    assert run.error.startswith("The database refused to store the result.")
    assert "disk full (injected)" in run.error_detail
    assert not UnplacedRequest.objects.filter(run=run).exists()


def test_the_backoff_grows_and_a_success_ends_it(region_with_work):
    region = region_with_work
    pauses = []
    with placements_refused():
        for _ in range(3):
            pauses.append(_run(region.pk).retry_in)
            _let_retry(region.pk)

    outcome = _run(region.pk)

    assert pauses == [float(s) for s in settings.ALLOCATION_RETRY_BACKOFF[:3]]
    assert outcome.run.status == RunStatus.FINISHED and outcome.retry_in is None
    queue = AllocationQueue.objects.get(region_id=region.pk)
    assert (queue.pending, queue.failures, queue.retry_after) == (False, 0, None)
    assert Placement.objects.filter(allocation_run=outcome.run).count() == 1


def test_coordinators_hear_once_when_allocation_stops_and_once_when_it_runs_again(
    region_with_work, django_user_model
):
    region = region_with_work
    erin = django_user_model.objects.get(username="erin")
    erin.email = "erin@stagebureau.example"
    erin.save()
    from notifications.services import notifications_for_events

    def notify_all() -> None:  # what the notify task does after each commit
        notifications_for_events(event_ids=list(Event.objects.values_list("pk", flat=True)))

    with placements_refused():
        _run(region.pk)
        _let_retry(region.pk)
        _run(region.pk)
    notify_all()
    failed = list(Notification.objects.filter(kind="allocation.failed"))
    _let_retry(region.pk)
    _run(region.pk)
    notify_all()

    assert [n.user.username for n in failed] == ["erin"]  # once, not per retry
    assert failed[0].title.startswith("Allocatieronde ") and failed[0].title.endswith(
        f"in {region.name} is mislukt"
    )
    recovered = Notification.objects.get(kind="allocation.finished")
    assert recovered.user == erin and recovered.title == f"De allocatie loopt weer in {region.name}"
    # Nobody else hears of runs: not the school, not the care organisation, not frank.
    assert set(Notification.objects.values_list("user__username", flat=True)) <= {
        "erin",
        "carol",  # the proposal itself
        "dave",
    }
    assert [m.to for m in mail.outbox if "llocatie" in m.subject] == [
        ["erin@stagebureau.example"],
        ["erin@stagebureau.example"],
    ]


def test_a_run_whose_worker_died_is_failed_announced_and_redone(region_with_work):
    region = region_with_work
    lost = AllocationRun.objects.create(
        region=region, status=RunStatus.RUNNING, started_at=timezone.now() - dt.timedelta(hours=1)
    )

    outcome = _run(region.pk)  # the next lease holder finds it

    lost.refresh_from_db()
    assert lost.status == RunStatus.FAILED and lost.failure_reason == "worker_lost"
    assert lost.error.startswith("The worker running this allocation stopped before it finished")
    assert outcome.run.status == RunStatus.FINISHED
    event = Event.objects.get(type="allocation.failed")
    assert event.payload["run_id"] == lost.pk and event.payload["reason"] == "worker_lost"


def test_manage_py_allocate_reports_a_failure_as_a_sentence(region_with_work):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    with placements_refused(), pytest.raises(CommandError) as refused:
        call_command("allocate", "--region", region_with_work.code, stdout=StringIO())

    message = str(refused.value)
    assert message.startswith("Allocation run ") and " failed. The database " in message
    assert "Traceback" not in message and "disk full" not in message


def test_a_broken_database_rule_is_named_in_the_sentence(world):
    from decimal import Decimal

    from django.db import IntegrityError

    from coordination.services import describe_failure
    from placements.models import PlacementSupervision

    placement = factories.PlacementFactory()
    source = factories.SupervisionSourceFactory()
    try:
        with transaction.atomic():
            PlacementSupervision.objects.create(
                placement=placement, source=source, load_hours=Decimal("0"), source_hours=0
            )
    except IntegrityError as exc:
        message = describe_failure(exc)
    assert message == (
        'Storing the result broke the database rule "draw_load_positive". Nothing was '
        "stored; the run is repeated automatically."
    )
