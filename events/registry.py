"""Every event type, in one place: who receives it, who is notified, and what it does to
allocation. docs/api.md's event table is checked against this list (tests/events/).

To add an event type: add it here, record it from its service with ``record_event``, and
add its row to docs/api.md. Reactions come from this table: the coordination app asks a
run for every event with ``asks_run``, the notifications app notifies ``notify``, run modes
read ``absorbable``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Payload = Mapping[str, Any]

# Who receives an event on their organisation stream (the region stream receives all).
SCHOOL = "the school"
CARE = "the care organisation"
SCHOOL_AND_CARE = "the school and the care organisation"
OWNER = "the organisation that offers it"
REGION_ONLY = "– (region stream only)"

# Who is notified (in-app and e-mail): see notifications/services.py.
NOTIFY_CARE, NOTIFY_SCHOOL, NOTIFY_BOTH, NOTIFY_COORDINATORS = (
    "care",
    "school",
    "both",
    "coordinators",
)


def _always(payload: Payload) -> bool:
    return True


def _never(payload: Payload) -> bool:
    return False


@dataclass(frozen=True)
class EventType:
    name: str
    audience: str  # organisation streams that receive it (the region stream gets all)
    # The change may alter who fits where: the region needs an allocation run.
    asks_run: Callable[[Payload], bool]
    # An incremental run can take this in (it only adds demand, fixes a proposal where it
    # stands, or is a run's own doing); anything else makes the next run full.
    absorbable: Callable[[Payload], bool] = _never
    notify: str | None = None  # NOTIFY_*: who gets an in-app notification and e-mail
    notify_when: Callable[[Payload], bool] = _always
    payload: str = ""  # its keys, for docs/api.md


def _run_moved_its_own(payload: Payload) -> bool:
    """A placement.withdrawn with a run_id is a run moving one of its own proposals."""
    return "run_id" in payload


def _someone_withdrew(payload: Payload) -> bool:
    return not _run_moved_its_own(payload)


YES, NO = _always, _never


def _first_failure(payload: Payload) -> bool:
    return payload.get("reason") != "superseded" and bool(payload.get("first_failure"))


def _recovered(payload: Payload) -> bool:
    return bool(payload.get("recovered"))


REQUEST = "`request_id`, `school_id`, `status`"
PLEK = "`plek_id`, `organisation_id`"
SOURCE = "`source_id`, `organisation_id`"
PLACEMENT = "`placement_id`, `request_id`, `plek_id`, `status`"
RUN = "`run_id`"
JOB = "`job_id`, `kind` (`capacity` or `scenario`)"

_TYPES = [
    # Requests: a school's demand.
    EventType("request.submitted", SCHOOL, YES, absorbable=YES, payload=REQUEST),
    EventType("request.changed", SCHOOL, YES, payload=REQUEST),
    EventType(
        "request.withdrawn",
        SCHOOL + " and the care organisations of the placements it ended",
        YES,
        payload=REQUEST + ", `placement_ids` (the placements it ended)",
    ),
    # Supply: plekken, locations, supervision, region settings.
    EventType("plek.published", CARE, YES, payload=PLEK),
    EventType("plek.changed", CARE, YES, payload=PLEK),
    EventType("plek.removed", CARE, YES, payload=PLEK),
    EventType(
        "location.changed",
        CARE,
        YES,
        payload="`location_id`, `organisation_id` (its coordinates decide travel distances)",
    ),
    EventType("source.published", OWNER, YES, payload=SOURCE),
    EventType("source.changed", OWNER, YES, payload=SOURCE),
    EventType("source.removed", OWNER, YES, payload=SOURCE),
    EventType("region.settings_changed", REGION_ONLY, YES, payload="`region_id`"),
    # The proposal workflow.
    EventType(
        "placement.proposed",
        SCHOOL_AND_CARE,
        NO,
        absorbable=YES,
        notify=NOTIFY_CARE,
        payload="`placement_id`, `request_id`, `plek_id`, `run_id`",
    ),
    EventType(
        "placement.accepted",
        SCHOOL_AND_CARE,
        NO,
        absorbable=YES,
        notify=NOTIFY_SCHOOL,
        payload=PLACEMENT,
    ),
    EventType("placement.declined", SCHOOL_AND_CARE, YES, notify=NOTIFY_SCHOOL, payload=PLACEMENT),
    EventType(
        "placement.confirmed",
        SCHOOL_AND_CARE,
        NO,
        absorbable=YES,
        notify=NOTIFY_CARE,
        payload=PLACEMENT,
    ),
    EventType("placement.expired", SCHOOL_AND_CARE, YES, notify=NOTIFY_BOTH, payload=PLACEMENT),
    EventType(
        "placement.withdrawn",
        SCHOOL_AND_CARE,
        _someone_withdrew,
        absorbable=_run_moved_its_own,
        notify=NOTIFY_BOTH,
        payload=PLACEMENT + " (`run_id` when a run moved its own proposal)",
    ),
    # Allocation runs (written by the runs themselves).
    EventType(
        "allocation.queued",
        REGION_ONLY,
        NO,
        absorbable=YES,
        payload=RUN + ", `requested_by` (a coordinator's username)",
    ),
    EventType("allocation.started", REGION_ONLY, NO, absorbable=YES, payload=RUN),
    EventType(
        "allocation.progress",
        REGION_ONLY,
        NO,
        absorbable=YES,
        payload="`stage`, `fraction` (0 to 1)",
    ),
    EventType(
        "allocation.finished",
        REGION_ONLY,
        NO,
        absorbable=YES,
        notify=NOTIFY_COORDINATORS,
        notify_when=_recovered,
        payload=RUN + ", `placed`, `unplaced`, `mode` (`full` or `incremental`), `recovered` "
        "(true after failed runs)",
    ),
    EventType(
        "allocation.failed",
        REGION_ONLY,
        NO,
        absorbable=YES,
        notify=NOTIFY_COORDINATORS,
        notify_when=_first_failure,
        payload=RUN + ", `reason` (`error`; `worker_lost` when its worker died; `superseded` "
        "when an answer arrived during the run and another run follows), `message` (a "
        "sentence for coordinators), `first_failure` (true for the first failure after a "
        "success)",
    ),
    # Capacity reports and scenarios: they solve copies, the region does not change.
    EventType("analysis.queued", REGION_ONLY, NO, absorbable=YES, payload=JOB),
    EventType(
        "analysis.progress",
        REGION_ONLY,
        NO,
        absorbable=YES,
        payload=JOB + ", `stage`, `fraction`",
    ),
    EventType("analysis.finished", REGION_ONLY, NO, absorbable=YES, payload=JOB),
    EventType("analysis.failed", REGION_ONLY, NO, absorbable=YES, payload=JOB + ", `message`"),
]

REGISTRY: dict[str, EventType] = {t.name: t for t in _TYPES}


class UnknownEventType(ValueError):
    pass


def event_type(name: str) -> EventType:
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownEventType(
            f"Event type {name!r} is not in events/registry.py; add it there first."
        ) from None


def notifies(name: str, payload: Payload) -> str | None:
    """Who this event notifies, or None."""
    kind = event_type(name)
    return kind.notify if kind.notify and kind.notify_when(payload) else None


def absorbable(name: str, payload: Payload) -> bool:
    """Whether an incremental run can take this event in; an unknown (retired) type cannot."""
    kind = REGISTRY.get(name)
    return kind is not None and kind.absorbable(payload)


def asks_run(name: str, payload: Payload) -> bool:
    return event_type(name).asks_run(payload)


# Types whose every event an incremental run absorbs: run modes skip them when reading the
# events since the previous run (a database filter, before any payload is read).
ALWAYS_ABSORBABLE = frozenset(t.name for t in _TYPES if t.absorbable is _always)


_WHEN: dict[Callable[[Payload], bool], str] = {
    _always: "yes",
    _never: "no",
    _someone_withdrew: "unless a run moved its own proposal",
    _run_moved_its_own: "when a run moved its own proposal",
    _recovered: "after failed runs",
    _first_failure: "the first failure after a success",
}


_NOTIFIED = {
    NOTIFY_CARE: "the care organisation",
    NOTIFY_SCHOOL: "the school",
    NOTIFY_BOTH: "both",
    NOTIFY_COORDINATORS: "the region's coordinators",
}


def markdown_table() -> str:
    """docs/api.md's table of event types (a test keeps the two equal)."""
    lines = [
        "| type | payload | audience | asks for a run | notifies |",
        "|---|---|---|---|---|",
    ]
    for t in _TYPES:
        notify = "–" if t.notify is None else _NOTIFIED[t.notify]
        if t.notify and t.notify_when is not _always:
            notify += f" ({_WHEN[t.notify_when]})"
        lines.append(
            f"| `{t.name}` | {t.payload} | {t.audience} | {_WHEN[t.asks_run]} | {notify} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
