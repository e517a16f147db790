"""The engine's synthetic region (coordination/engine/synth.py) written into the database.

For benchmarks of the worker's path at the engine benchmark's sizes: the same requests,
plekken and supervision as `python -m coordination.engine bench`, as rows the loader reads
(the database numbers them; sector names in the database's spelling). Not a pytest module.
"""

from __future__ import annotations

from decimal import Decimal

from coordination.engine import Problem, Source
from placements.domain import GROUP_KINDS, OrganisationKind
from placements.models import (
    DoelgroepSetting,
    Location,
    Opleiding,
    Organisation,
    PlacementRequest,
    Plek,
    PostcodeArea,
    Region,
    RequestPreference,
    SupervisionSource,
)


def write_region(problem: Problem, *, code: str, name: str) -> Region:
    st = problem.settings
    region = Region.objects.create(
        code=code,
        name=name,
        peer_hours=Decimal(str(st.peer_hours)),
        peer_share=Decimal(str(st.peer_share)),
    )
    DoelgroepSetting.objects.bulk_create(
        DoelgroepSetting(region=region, doelgroep=d, default_load_hours=Decimal(str(h)))
        for d, h in st.doelgroep_loads.items()
    )
    opleiding = {
        o: Opleiding.objects.get_or_create(
            code=f"synth-{o}",
            defaults={"name": f"Opleiding {o}", "niveau": "mbo3", "leerweg": "bol"},
        )[0]
        for o in sorted(
            {r.opleiding_id for r in problem.requests}
            | {o for p in problem.plekken for o in p.opleiding_ids}
        )
    }
    schools = {
        s: Organisation(region=region, name=f"School {s}", kind=OrganisationKind.SCHOOL)
        for s in sorted({r.school_id for r in problem.requests})
    }
    care = {
        o: Organisation(region=region, name=f"Zorgorganisatie {o}", kind=OrganisationKind.CARE)
        for o in sorted({p.organisation_id for p in problem.plekken})
    }
    office = Organisation(region=region, name="Regio", kind=OrganisationKind.COORDINATION)
    Organisation.objects.bulk_create([*schools.values(), *care.values(), office])

    at: dict[int, tuple[int, tuple[float, float]]] = {}
    for p in problem.plekken:
        at.setdefault(p.location_id, (p.organisation_id, p.location))
    locations = {
        loc: Location(
            organisation=care[org],
            name=f"Locatie {loc}",
            postcode="3500",
            city="Utrecht",
            latitude=lat,
            longitude=lon,
        )
        for loc, (org, (lat, lon)) in sorted(at.items())
    }
    Location.objects.bulk_create(locations.values())
    plekken = {
        p.id: Plek(
            region=region,
            organisation=care[p.organisation_id],
            location=locations[p.location_id],
            team=f"Team {p.id}",
            sector=p.sector.lower(),
            seats=p.seats,
            start_date=p.start,
            end_date=p.end,
            is_leerafdeling=p.is_leerafdeling,
            status="published",
        )
        for p in problem.plekken
    }
    Plek.objects.bulk_create(plekken.values())
    Plek.opleidingen.through.objects.bulk_create(
        Plek.opleidingen.through(plek_id=plekken[p.id].pk, opleiding_id=opleiding[o].pk)
        for p in problem.plekken
        for o in p.opleiding_ids
    )
    # Supervision at a location without plekken carries nobody; it has no address here.
    sources = [s for s in problem.sources if s.location_id is None or s.location_id in locations]
    owner = {s.id: office for s in sources}
    for s in sources:
        if s.location_id is not None:
            owner[s.id] = locations[s.location_id].organisation
        elif s.plek_id is not None:
            owner[s.id] = plekken[s.plek_id].organisation
        elif s.school_id is not None:
            owner[s.id] = schools[s.school_id]
    SupervisionSource.objects.bulk_create(
        SupervisionSource(
            region=region,
            organisation=owner[s.id],
            kind=s.kind,
            name=f"{s.kind} {s.id}",
            hours_per_week=Decimal(str(round(s.hours_per_week / _factor(s)[1], 2))),
            start_date=s.start,
            end_date=s.end,
            max_students=s.max_students,
            group_factor=_factor(s)[0],
            location=None if s.location_id is None else locations[s.location_id],
            plek=None if s.plek_id is None else plekken[s.plek_id],
            school=None if s.school_id is None else schools[s.school_id],
        )
        for s in sources
    )
    homes = sorted({r.home for r in problem.requests if r.home is not None})
    taken = set(PostcodeArea.objects.values_list("code", flat=True))
    free = (f"{n:04d}" for n in range(1000, 10000) if f"{n:04d}" not in taken)
    area = {h: PostcodeArea(code=next(free), latitude=h[0], longitude=h[1]) for h in homes}
    PostcodeArea.objects.bulk_create(area.values())
    requests = {
        r.id: PlacementRequest(
            region=region,
            school=schools[r.school_id],
            student_pseudonym=f"synth-{r.id}",
            home_postcode=area[r.home] if r.home is not None else next(iter(area.values())),
            opleiding=opleiding[r.opleiding_id],
            doelgroep=r.doelgroep,
            start_date=r.start,
            end_date=r.end,
            hours_per_week=Decimal(str(r.hours_per_week)),
            acceptable_sectors=sorted(x.lower() for x in r.sectors),
            max_travel_km=max(1, round(r.max_travel_km)),
            priority=r.priority,
            load_override_hours=(
                None if r.load_override is None else Decimal(str(round(r.load_override, 2)))
            ),
            peer_mentor=r.peer_mentor,
        )
        for r in problem.requests
    }
    PlacementRequest.objects.bulk_create(requests.values(), batch_size=2000)
    RequestPreference.objects.bulk_create(
        (
            RequestPreference(request=requests[r.id], plek=plekken[x], rank=k + 1)
            for r in problem.requests
            for k, x in enumerate(r.preferences)
        ),
        batch_size=5000,
    )
    return region


def _factor(s: Source) -> tuple[Decimal, float]:
    """The group factor the database allows, and what the hours are divided by for it.

    synth.py gives leerafdelingen a factor of 0.8, which the database keeps for group forms
    only: there the same capacity is stored as factor 1 and hours / 0.8.
    """
    if s.kind in GROUP_KINDS or s.group_factor == 1:
        return Decimal(str(s.group_factor)), 1.0
    return Decimal(1), s.group_factor
