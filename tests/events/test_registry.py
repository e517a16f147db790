"""The event registry is the one list of event types: the docs are generated from it, every
type the code records is in it, and the reactions (runs, notifications) follow it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.db import transaction

from coordination.models import AllocationQueue
from events import registry
from events.outbox import record_event
from events.registry import UnknownEventType

ROOT = Path(__file__).resolve().parents[2]


def test_docs_api_carries_the_registrys_table():
    assert registry.markdown_table() in (ROOT / "docs" / "api.md").read_text(), (
        "docs/api.md's event table differs from events/registry.py; paste the output of "
        "`python -m events.registry` into it"
    )


def _recorded_types() -> set[str]:
    """Event type literals given to record_event / NewEvent anywhere in the apps."""
    found = set()
    for app in ("placements", "coordination", "notifications", "events", "workers"):
        for path in (ROOT / app).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call):
                    continue
                values = [kw.value for kw in node.keywords if kw.arg == "type"]
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if name in ("_event", "NewEvent") and node.args:
                    values.append(node.args[0])  # the type given by position
                for value in values:
                    text = value.value if isinstance(value, ast.Constant) else None
                    if isinstance(text, str) and "." in text:
                        found.add(text)
    return found


def test_every_type_the_code_records_is_registered():
    recorded = _recorded_types()

    assert len(recorded) > 20
    assert recorded - set(registry.REGISTRY) == set()


def test_the_placement_transitions_are_registered():
    from placements.lifecycle import _VERB

    assert {f"placement.{to}" for to in _VERB} <= set(registry.REGISTRY)


def test_an_unregistered_type_is_refused_and_nothing_is_written(world):
    from events.models import Event

    with pytest.raises(UnknownEventType, match=r"not in events/registry\.py"), transaction.atomic():
        record_event(region_id=world.region.pk, type="request.teleported", payload={})

    assert not Event.objects.exists()


def test_an_event_that_asks_for_a_run_marks_its_region_in_its_own_transaction(world):
    with transaction.atomic():
        record_event(region_id=world.region.pk, type="allocation.progress", payload={})
    assert not AllocationQueue.objects.filter(region=world.region, pending=True).exists()

    with transaction.atomic():
        record_event(region_id=world.region.pk, type="source.changed", payload={})

    queue = AllocationQueue.objects.get(region=world.region)
    assert queue.pending and queue.reason == "source.changed"


def test_a_runs_own_withdrawal_asks_no_run_but_a_partys_does():
    own = {"placement_id": 1, "run_id": 7}
    party = {"placement_id": 1}

    assert not registry.asks_run("placement.withdrawn", own)
    assert registry.absorbable("placement.withdrawn", own)
    assert registry.asks_run("placement.withdrawn", party)
    assert not registry.absorbable("placement.withdrawn", party)
    assert not registry.absorbable("request.teleported", {})  # retired types: a full run


def test_coordinators_are_notified_only_when_a_run_breaks_or_recovers():
    assert registry.notifies("allocation.failed", {"first_failure": True}) == "coordinators"
    assert registry.notifies("allocation.failed", {"first_failure": False}) is None
    assert registry.notifies("allocation.failed", {"reason": "superseded"}) is None
    assert registry.notifies("allocation.finished", {"recovered": False}) is None
    assert registry.notifies("placement.proposed", {}) == "care"
