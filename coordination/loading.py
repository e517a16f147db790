"""Database rows → the engine's Problem. Reads only; no engine logic here."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from coordination import engine
from placements.domain import LIVE_PLACEMENT_STATUSES, PlacementStatus, PlekStatus, RequestStatus
from placements.models import (
    Placement,
    PlacementRequest,
    Plek,
    Region,
    RequestPreference,
    SupervisionSource,
)

# Placements the engine must leave where they are.
FIXED_STATUSES = (PlacementStatus.ACCEPTED, PlacementStatus.CONFIRMED)

# A request is never proposed again to a plek where it was declined, expired or withdrawn by
# one of the parties (a withdrawal by the engine itself, when it moves a proposal, has no
# reason and does not count).
REFUSED_PLACEMENTS = Q(status__in=[PlacementStatus.DECLINED, PlacementStatus.EXPIRED]) | (
    Q(status=PlacementStatus.WITHDRAWN) & ~Q(decline_reason="")
)


@dataclass(frozen=True)
class LoadedRegion:
    region: Region
    problem: engine.Problem
    # request id → plekken it was declined at or expired on (never proposed there again).
    excluded_plekken: dict[int, frozenset[int]]


def load_problem(region: Region) -> LoadedRegion:
    settings = engine.RegionSettings(
        doelgroep_loads={
            s.doelgroep: float(s.default_load_hours) for s in region.doelgroep_settings.all()
        },
        peer_hours=float(region.peer_hours),
        peer_share=float(region.peer_share),
    )

    preferences: dict[int, list[int]] = {}
    for request_id, plek_id in (
        RequestPreference.objects.filter(request__region=region)
        .order_by("request_id", "rank")
        .values_list("request_id", "plek_id")
    ):
        preferences.setdefault(request_id, []).append(plek_id)

    excluded: dict[int, set[int]] = {}
    for request_id, plek_id in (
        Placement.objects.filter(request__region=region)
        .filter(REFUSED_PLACEMENTS)
        .values_list("request_id", "plek_id")
    ):
        excluded.setdefault(request_id, set()).add(plek_id)

    requests = tuple(
        engine.Request(
            id=r.pk,
            school_id=r.school_id,
            opleiding_id=r.opleiding_id,
            doelgroep=r.doelgroep,
            start=r.start_date,
            end=r.end_date,
            hours_per_week=float(r.hours_per_week),
            sectors=frozenset(r.acceptable_sectors or ()),
            max_travel_km=float(r.max_travel_km),
            home=(r.home_postcode.latitude, r.home_postcode.longitude),
            preferences=tuple(preferences.get(r.pk, ())),
            priority=r.priority,
            load_override=(
                float(r.load_override_hours) if r.load_override_hours is not None else None
            ),
            peer_mentor=r.peer_mentor,
        )
        for r in PlacementRequest.objects.filter(region=region)
        .exclude(status=RequestStatus.WITHDRAWN)
        .select_related("home_postcode")
        .order_by("pk")
    )

    plekken = []
    for p in (
        Plek.objects.filter(region=region, status=PlekStatus.PUBLISHED)
        .select_related("location")
        .prefetch_related("opleidingen")
        .order_by("pk")
    ):
        plekken.append(
            engine.Plek(
                id=p.pk,
                organisation_id=p.organisation_id,
                location_id=p.location_id,
                location=(p.location.latitude, p.location.longitude),
                sector=p.sector,
                opleiding_ids=frozenset(o.pk for o in p.opleidingen.all()),
                seats=p.seats,
                start=p.start_date,
                end=p.end_date,
                is_leerafdeling=p.is_leerafdeling,
            )
        )

    sources = tuple(
        engine.Source(
            id=s.pk,
            kind=s.kind,
            hours_per_week=float(s.hours_per_week),
            start=s.start_date,
            end=s.end_date,
            max_students=s.max_students,
            group_factor=float(s.group_factor),
            location_id=s.location_id,
            plek_id=s.plek_id,
            school_id=s.school_id,
        )
        for s in SupervisionSource.objects.filter(region=region, active=True).order_by("pk")
    )

    existing = tuple(
        engine.ExistingPlacement(
            request_id=p.request_id,
            plek_id=p.plek_id,
            fixed=p.status in FIXED_STATUSES,
            draws=tuple(
                engine.Draw(
                    source_id=d.source_id,
                    load_hours=float(d.load_hours),
                    source_hours=float(d.source_hours),
                )
                for d in p.draws.all()
            ),
        )
        for p in Placement.objects.filter(
            request__region=region, status__in=LIVE_PLACEMENT_STATUSES
        )
        .prefetch_related("draws")
        .order_by("pk")
    )

    return LoadedRegion(
        region=region,
        problem=engine.Problem(
            region_id=region.pk,
            settings=settings,
            requests=requests,
            plekken=tuple(plekken),
            sources=sources,
            existing=existing,
        ),
        excluded_plekken={k: frozenset(v) for k, v in excluded.items()},
    )
