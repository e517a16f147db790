"""Full or incremental: may a run start from the previous run's result?

An incremental run (``engine.solve(problem, previous=result)``) keeps the previous proposals
where they still fit and places only the requests the previous run did not know: well under
a second in a region of 10,000 requests, where a full run takes about 20 s (see
docs/benchmarks.md). That is right only when nothing since the previous run can have made
room or changed who fits where: new submissions, and proposals being accepted or confirmed
where they stand. Anything else (a withdrawal, a decline or expiry, a changed request, plek
or source) asks for a full run, and so does a chain of incremental runs that started longer
than FULL_RUN_INTERVAL ago: the region is re-optimised regularly (the sweeper asks for that
run when the region has gone quiet, see ``regions_due_reoptimisation``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from events import registry

FULL = "full"
INCREMENTAL = "incremental"
FULL_RUN_INTERVAL = dt.timedelta(minutes=10)
REOPTIMISE_REASON = "allocation.reoptimise"
MANUAL_REASON = "manual"  # a coordinator's "run now", or manage.py allocate

# Events an incremental run absorbs whatever their payload: the database query for the
# events since the previous run leaves them out (events/registry.py says which).
IGNORED_EVENT_TYPES = registry.ALWAYS_ABSORBABLE
# An ouderejaars placed at a location brings student-ondersteuner hours for the eerstejaars
# there, so a new peer mentor request can make room for requests left unplaced.
NEW_PEER_MENTOR = "a new peer mentor request"


@dataclass(frozen=True)
class PreviousRun:
    has_result: bool
    full_run_started_at: dt.datetime | None


def choose_mode(
    *,
    previous: PreviousRun | None,
    events_since: Iterable[tuple[str, dict[str, Any]]],
    trigger: str,
    now: dt.datetime,
) -> tuple[str, str]:
    """The run's mode and why. ``events_since``: the region's events after the previous
    run loaded its problem; only types outside IGNORED_EVENT_TYPES need to be passed."""
    if previous is None or not previous.has_result:
        return FULL, "no previous result"
    if trigger in (MANUAL_REASON, REOPTIMISE_REASON):
        return FULL, f"asked for a full run ({trigger})"
    started = previous.full_run_started_at
    if started is None or now - started > FULL_RUN_INTERVAL:
        return FULL, "the last full run is older than the re-optimisation interval"
    for type, payload in events_since:
        if registry.absorbable(type, payload):
            continue
        return FULL, f"{type} since the previous run"
    return INCREMENTAL, "only new requests and answers since the previous run"
