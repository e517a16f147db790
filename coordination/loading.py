"""Database rows → the engine's Problem. Reads only; no engine logic here."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from coordination import engine
from placements.domain import LIVE_PLACEMENT_STATUSES, PlacementStatus, PlekStatus, RequestStatus
from placements.models import (
    Placement,
    PlacementRequest,
    PlacementSupervision,
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

    # values_list, not model instances: a region's requests and placements are the bulk of
    # every run's loading, and runs follow each other while schools submit.
    request_fields = (
        "pk", "school_id", "opleiding_id", "doelgroep", "start_date", "end_date",
        "hours_per_week", "acceptable_sectors", "max_travel_km", "home_postcode__latitude",
        "home_postcode__longitude", "priority", "load_override_hours", "peer_mentor",
    )  # fmt: skip
    requests = tuple(
        engine.Request(
            id=pk,
            school_id=school_id,
            opleiding_id=opleiding_id,
            doelgroep=doelgroep,
            start=start,
            end=end,
            hours_per_week=float(hours),
            sectors=frozenset(sectors or ()),
            max_travel_km=float(max_travel),
            home=(latitude, longitude),
            preferences=tuple(preferences.get(pk, ())),
            priority=priority,
            load_override=float(override) if override is not None else None,
            peer_mentor=peer_mentor,
            # Declined, expired or withdrawn by a party there: never proposed there again.
            excluded_plekken=frozenset(excluded.get(pk, ())),
        )
        for (
            pk, school_id, opleiding_id, doelgroep, start, end, hours, sectors, max_travel,
            latitude, longitude, priority, override, peer_mentor,
        ) in PlacementRequest.objects.filter(region=region)
        .exclude(status=RequestStatus.WITHDRAWN)
        .order_by("pk")
        .values_list(*request_fields)
    )  # fmt: skip

    # Rows as tuples here too: model instances (with their timestamps parsed) cost more
    # than the rest of the loading at 10,000 requests.
    opleidingen: dict[int, set[int]] = {}
    for plek_id, opleiding_id in Plek.opleidingen.through.objects.filter(
        plek__region=region, plek__status=PlekStatus.PUBLISHED
    ).values_list("plek_id", "opleiding_id"):
        opleidingen.setdefault(plek_id, set()).add(opleiding_id)
    plek_fields = (
        "pk", "organisation_id", "location_id", "location__latitude", "location__longitude",
        "sector", "seats", "start_date", "end_date", "is_leerafdeling",
    )  # fmt: skip
    plekken = tuple(
        engine.Plek(
            id=pk,
            organisation_id=organisation_id,
            location_id=location_id,
            location=(latitude, longitude),
            sector=sector,
            opleiding_ids=frozenset(opleidingen.get(pk, ())),
            seats=seats,
            start=start,
            end=end,
            is_leerafdeling=is_leerafdeling,
        )
        for (
            pk, organisation_id, location_id, latitude, longitude, sector, seats, start, end,
            is_leerafdeling,
        ) in Plek.objects.filter(region=region, status=PlekStatus.PUBLISHED)
        .order_by("pk")
        .values_list(*plek_fields)
    )  # fmt: skip

    source_fields = (
        "pk", "kind", "hours_per_week", "start_date", "end_date", "max_students",
        "group_factor", "location_id", "plek_id", "school_id",
    )  # fmt: skip
    sources = tuple(
        engine.Source(
            id=pk,
            kind=kind,
            hours_per_week=float(hours),
            start=start,
            end=end,
            max_students=max_students,
            group_factor=float(group_factor),
            location_id=location_id,
            plek_id=plek_id,
            school_id=school_id,
        )
        for (
            pk, kind, hours, start, end, max_students, group_factor, location_id, plek_id,
            school_id,
        ) in SupervisionSource.objects.filter(region=region, active=True)
        .order_by("pk")
        .values_list(*source_fields)
    )  # fmt: skip

    live = Placement.objects.filter(request__region=region, status__in=LIVE_PLACEMENT_STATUSES)
    draws: dict[int, list[engine.Draw]] = {}
    for placement_id, source_id, load_hours, source_hours in (
        PlacementSupervision.objects.filter(placement__in=live)
        .order_by("pk")
        .values_list("placement_id", "source_id", "load_hours", "source_hours")
    ):
        draws.setdefault(placement_id, []).append(
            engine.Draw(
                source_id=source_id, load_hours=float(load_hours), source_hours=float(source_hours)
            )
        )
    existing = tuple(
        engine.ExistingPlacement(
            request_id=request_id,
            plek_id=plek_id,
            fixed=status in FIXED_STATUSES,
            draws=tuple(draws.get(pk, ())),
        )
        for pk, request_id, plek_id, status in live.order_by("pk").values_list(
            "pk", "request_id", "plek_id", "status"
        )
    )

    return LoadedRegion(
        region=region,
        problem=engine.Problem(
            region_id=region.pk,
            settings=settings,
            requests=requests,
            plekken=plekken,
            sources=sources,
            existing=existing,
        ),
    )


def stored_result(loaded: LoadedRegion) -> engine.Result:
    """The region's live placements as stored, as an engine result (for the checker).

    Requests without a live placement count as unplaced; their reasons are not stored here.
    """
    problem = loaded.problem
    placed = {e.request_id for e in problem.existing}
    return engine.Result(
        assignments=tuple(
            engine.Assignment(e.request_id, e.plek_id, e.draws) for e in problem.existing
        ),
        unplaced=tuple(
            engine.Unplaced(r.id, engine.model.REASON_SEATS_FULL)
            for r in problem.requests
            if r.id not in placed
        ),
    )
