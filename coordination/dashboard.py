"""What a regional coordinator's dashboard shows: the region's figures now, read in a few
queries. Reads only; students appear by pseudonym only.

The week figures count ISO weeks (Monday to Sunday), as allocation does: a request or plek
counts in a week it touches.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

from django.utils import timezone

from coordination.models import AllocationRun, RunStatus, UnplacedRequest
from events.models import Event
from placements.domain import (
    LIVE_PLACEMENT_STATUSES,
    PlekStatus,
    RequestStatus,
    Sector,
    SupervisionKind,
)
from placements.models import (
    Placement,
    PlacementRequest,
    PlacementSupervision,
    Plek,
    Region,
    SupervisionSource,
)

PEER = SupervisionKind.STUDENT_ONDERSTEUNER  # its hours come from placed mentors
FEED_LENGTH = 30


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _weeks(start: dt.date, end: dt.date) -> list[dt.date]:
    """The Mondays of the ISO weeks that [start, end] touches."""
    monday, last = _monday(start), _monday(end)
    out = []
    while monday <= last:
        out.append(monday)
        monday += dt.timedelta(days=7)
    return out


def _hours(value: Decimal | float | None) -> float:
    return round(float(value or 0), 2)


def region_overview(*, region: Region, today: dt.date | None = None) -> dict[str, Any]:
    """Headline figures, chart series, the unplaced requests and the last events."""
    today = today or timezone.localdate()
    this_week = _monday(today)
    requests = list(
        PlacementRequest.objects.filter(region=region)
        .exclude(status=RequestStatus.WITHDRAWN)
        .values_list(
            "pk", "status", "opleiding__name", "acceptable_sectors", "start_date", "end_date"
        )
    )
    by_status = Counter(status for _, status, *_ in requests)
    live = list(
        Placement.objects.filter(
            plek__region=region, status__in=LIVE_PLACEMENT_STATUSES
        ).values_list("pk", "request__start_date", "request__end_date")
    )
    plekken = list(
        Plek.objects.filter(region=region, status=PlekStatus.PUBLISHED).values_list(
            "pk", "sector", "seats", "start_date", "end_date"
        )
    )
    sources = list(
        SupervisionSource.objects.filter(region=region, active=True).values_list(
            "pk", "kind", "hours_per_week", "start_date", "end_date", "location__name"
        )
    )
    draws = list(
        PlacementSupervision.objects.filter(
            placement__plek__region=region, placement__status__in=LIVE_PLACEMENT_STATUSES
        ).values_list(
            "source_id", "source_hours", "placement__request__start_date",
            "placement__request__end_date",
        )
    )  # fmt: skip

    # The school year shown: from the first to the last week anything runs.
    spans = [(s, e) for *_, s, e in requests] + [(s, e) for *_, s, e in plekken]
    year = _weeks(min(s for s, _ in spans), max(e for _, e in spans)) if spans else []

    seats_in: Counter[dt.date] = Counter()
    for _, _, seats, start, end in plekken:
        for week in _weeks(start, end):
            seats_in[week] += seats
    placed_in: Counter[dt.date] = Counter()
    for _, start, end in live:
        for week in _weeks(start, end):
            placed_in[week] += 1
    capacity_in: defaultdict[dt.date, float] = defaultdict(float)
    for _, kind, hours, start, end, _ in sources:
        if kind != PEER:
            for week in _weeks(start, end):
                capacity_in[week] += float(hours)
    used_in: defaultdict[dt.date, float] = defaultdict(float)
    used_now: defaultdict[int, float] = defaultdict(float)
    for source_id, source_hours, start, end in draws:
        weeks = _weeks(start, end)
        for week in weeks:
            used_in[week] += float(source_hours)
        if this_week in weeks:
            used_now[source_id] += float(source_hours)

    # Supervision this week, per begeleidingsvorm and per location.
    per_kind: dict[str, dict[str, float]] = {}
    per_location: dict[str, dict[str, float]] = {}
    for pk, kind, hours, start, end, location in sources:
        available = float(hours) if start <= today <= end and kind != PEER else 0.0
        for key, table in ((kind, per_kind), (location or "(region-wide)", per_location)):
            row = table.setdefault(key, {"used": 0.0, "available": 0.0})
            row["used"] += used_now.get(pk, 0.0)
            row["available"] += available

    # Demand against supply per sector and per opleiding.
    demand_sector: Counter[str] = Counter()
    for _, _, _, sectors, _, _ in requests:
        for sector in sectors or [s.value for s in Sector]:
            demand_sector[sector] += 1
    supply_sector: Counter[str] = Counter()
    for _, sector, seats, _, _ in plekken:
        supply_sector[sector] += seats
    demand_opleiding = Counter(name for _, _, name, *_ in requests)
    supply_opleiding: Counter[str] = Counter()
    for name, seats in Plek.objects.filter(region=region, status=PlekStatus.PUBLISHED).values_list(
        "opleidingen__name", "seats"
    ):
        if name:
            supply_opleiding[name] += seats

    placed = sum(by_status[s] for s in ("proposed", "accepted", "confirmed"))
    used, capacity = used_in.get(this_week, 0.0), capacity_in.get(this_week, 0.0)
    return {
        "region": {"id": region.pk, "name": region.name},
        "week": this_week.isoformat(),
        "seq": region.last_event_seq,
        "figures": {
            "requests": len(requests),
            "placed": placed,
            "proposed": by_status["proposed"],
            "accepted": by_status["accepted"],
            "confirmed": by_status["confirmed"],
            "waiting": by_status["open"],
            "unplaced": len(unplaced_requests(region=region)),
            "fill_rate": round(placed / len(requests), 3) if requests else 0.0,
            "supervision_hours_used": _hours(used),
            "supervision_hours_free": _hours(max(capacity - used, 0.0)),
        },
        "sectors": [
            {"sector": s.value, "label": str(s.label), "demand": demand_sector[s.value],
             "supply": supply_sector[s.value]}
            for s in Sector
            if demand_sector[s.value] or supply_sector[s.value]
        ],
        "opleidingen": [
            {"opleiding": name, "demand": demand_opleiding[name], "supply": supply_opleiding[name]}
            for name in sorted(set(demand_opleiding) | set(supply_opleiding))
        ],
        "weeks": [
            {"week": w.isoformat(), "placements": placed_in[w],
             "free_seats": max(seats_in[w] - placed_in[w], 0),
             "supervision_used": _hours(used_in.get(w)),
             "supervision_available": _hours(capacity_in.get(w))}
            for w in year
        ],
        "supervision_by_kind": [
            {"kind": kind, "label": str(SupervisionKind(kind).label), **_rounded(row)}
            for kind, row in sorted(per_kind.items())
        ],
        "supervision_by_location": [
            {"location": name, **_rounded(row)} for name, row in sorted(per_location.items())
        ],
        "runs": latest_runs(region=region),
        "events": latest_events(region=region),
    }  # fmt: skip


def _rounded(row: dict[str, float]) -> dict[str, float]:
    return {key: _hours(value) for key, value in row.items()}


def unplaced_requests(
    *,
    region: Region,
    school: int | None = None,
    opleiding: int | None = None,
    sector: str | None = None,
) -> list[dict[str, Any]]:
    """The requests still waiting that the latest finished run could not place, with why
    and what would place them."""
    run = (
        AllocationRun.objects.filter(region=region, status=RunStatus.FINISHED)
        .order_by("-finished_at", "-pk")
        .first()
    )
    if run is None:
        return []
    rows = (
        UnplacedRequest.objects.filter(run=run, request__status=RequestStatus.OPEN)
        .select_related("request__school", "request__opleiding")
        .order_by("request__school__name", "request__student_pseudonym")
    )
    if school:
        rows = rows.filter(request__school_id=school)
    if opleiding:
        rows = rows.filter(request__opleiding_id=opleiding)
    out = []
    for u in rows:
        sectors = u.request.acceptable_sectors or []
        if sector and sectors and sector not in sectors:
            continue
        out.append(
            {
                "request": u.request_id,
                "student_pseudonym": u.request.student_pseudonym,
                "school": u.request.school.name,
                "school_id": u.request.school_id,
                "opleiding": u.request.opleiding.name,
                "opleiding_id": u.request.opleiding_id,
                "sectors": sectors,
                "reason": u.reason,
                "criterion": u.criterion,
                "suggestion": u.suggestion,
                "run": run.pk,
            }
        )
    return out


def latest_runs(*, region: Region, limit: int = 5) -> list[dict[str, Any]]:
    return [
        {
            "id": r.pk,
            "status": r.status,
            "trigger": r.trigger,
            "mode": r.mode,
            "placed": r.placed,
            "unplaced": r.unplaced,
            "error": r.error,
            "failure_reason": r.failure_reason,
            "finished_at": r.finished_at.isoformat() if r.finished_at else None,
        }
        for r in AllocationRun.objects.filter(region=region).order_by("-pk")[:limit]
    ]


def latest_events(*, region: Region, limit: int = FEED_LENGTH) -> list[dict[str, Any]]:
    return [
        {"seq": seq, "type": type, "payload": payload, "created_at": created.isoformat()}
        for seq, type, payload, created in Event.objects.filter(region=region)
        .exclude(type__in=("allocation.progress", "analysis.progress"))
        .order_by("-seq")
        .values_list("seq", "type", "payload", "created_at")[:limit]
    ]
