"""Synthetic regions for tests and the benchmark, deterministic by seed.

The mix follows a Dutch care region in a school year: BOL students in
semesters and quarters, BBL students (priority 2) all year, six doelgroepen
with their supervision loads, nine sectors, 4-digit postcode areas as homes,
every supervision kind of the design, and ten ranked preferences among the
plekken a student could actually take. Larger sizes spread over a larger area
at the same density, so that the number of options per request stays alike.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date

import numpy as np

from .model import (
    ExistingPlacement,
    Plek,
    Problem,
    RegionSettings,
    Request,
    Source,
)

SECTORS = (
    "VVT",
    "GHZ",
    "GGZ",
    "ziekenhuis",
    "jeugdzorg",
    "welzijn",
    "thuiszorg",
    "kraamzorg",
    "huisartsenzorg",
)
SECTOR_WEIGHTS = (0.30, 0.14, 0.12, 0.14, 0.08, 0.08, 0.08, 0.03, 0.03)

# (popularity, sectors where it is trained): e.g. Verzorgende-IG in VVT,
# thuiszorg, GHZ; MBO-Verpleegkundige also in ziekenhuis and GGZ.
OPLEIDINGEN = (
    (10, ("VVT", "thuiszorg", "GHZ")),  # Verzorgende-IG (niveau 3)
    (9, ("ziekenhuis", "VVT", "GGZ", "thuiszorg")),  # MBO-Verpleegkundige (4)
    (7, ("VVT", "thuiszorg")),  # Helpende Zorg en Welzijn (2)
    (6, ("GHZ", "GGZ", "jeugdzorg", "welzijn")),  # Maatschappelijke Zorg (3/4)
    (5, ("jeugdzorg", "welzijn")),  # Pedagogisch medewerker (3/4)
    (5, ("ziekenhuis", "GGZ", "VVT")),  # HBO-V
    (4, ("welzijn", "jeugdzorg", "GGZ")),  # Social Work (HBO)
    (3, ("ziekenhuis",)),  # Doktersassistent
    (3, ("huisartsenzorg",)),  # Doktersassistent huisartsenzorg
    (2, ("kraamzorg",)),  # Kraamverzorgende
    (3, ("ziekenhuis",)),  # Operatieassistent
    (2, ("VVT", "GHZ")),  # Assistent dienstverlening en zorg (1/2)
    (2, ("GGZ",)),  # Persoonlijk begeleider specifieke doelgroepen
    (2, ("thuiszorg", "VVT")),  # Medewerker maatschappelijke zorg, thuis
    (1, ("welzijn",)),  # Sport en bewegen, welzijn
    (1, ("jeugdzorg",)),  # Ad Pedagogisch educatief professional
)

DOELGROEP_MIX = (
    ("eerstejaars", 0.35),
    ("ouderejaars", 0.35),
    ("zij_instromer", 0.10),
    ("herintreder", 0.05),
    ("anderstalig", 0.05),
    ("starter", 0.10),
)
LOADS = {
    "eerstejaars": 4.0,
    "ouderejaars": 2.0,
    "zij_instromer": 3.0,
    "herintreder": 2.5,
    "anderstalig": 5.0,
    "starter": 3.0,
}

YEAR_START = date(2026, 9, 7)
YEAR_END = date(2027, 7, 2)
S1 = (YEAR_START, date(2027, 1, 29))
S2 = (date(2027, 2, 1), YEAR_END)
QUARTERS = (
    (YEAR_START, date(2026, 11, 13)),
    (date(2026, 11, 16), date(2027, 1, 29)),
    (date(2027, 2, 1), date(2027, 4, 16)),
    (date(2027, 4, 19), YEAR_END),
)
CENTER = (52.09, 5.12)  # Utrecht
KM_LAT = 111.2
KM_LON = 111.2 * math.cos(math.radians(CENTER[0]))


def _point(rng: np.random.Generator, center: tuple[float, float], radius_km: float):
    ang = rng.uniform(0, 2 * math.pi)
    rad = radius_km * math.sqrt(rng.uniform())
    return (
        round(center[0] + rad * math.sin(ang) / KM_LAT, 5),
        round(center[1] + rad * math.cos(ang) / KM_LON, 5),
    )


def generate(
    n_requests: int,
    seed: int = 0,
    *,
    plekken_ratio: float = 0.3,
    supervision: float = 1.0,
    region_id: int = 1,
) -> Problem:
    """A synthetic region with ``n_requests`` requests and ``plekken_ratio`` plekken each.

    ``supervision`` scales all supervision hours (1.0: capacity is the scarce
    resource for roughly one in eight requests).
    """
    from .index import build_index

    rng = np.random.default_rng(seed)
    n = max(1, int(n_requests))
    radius = 35.0 * math.sqrt(max(n, 2000) / 10_000)
    n_pc = max(30, n // 40)
    pcs = [_point(rng, CENTER, radius) for _ in range(n_pc)]
    n_plek = max(5, round(n * plekken_ratio))
    n_loc = max(3, n_plek // 4)
    n_org = max(2, n_loc // 3)
    n_school = min(60, 4 + n // 1000)

    opl_pop = np.array([o[0] for o in OPLEIDINGEN], dtype=float)
    opl_pop /= opl_pop.sum()
    opl_ids = list(range(1, len(OPLEIDINGEN) + 1))
    by_sector = {s: [i + 1 for i, o in enumerate(OPLEIDINGEN) if s in o[1]] for s in SECTORS}

    # Locations, each of an organisation and a sector.
    loc_org = rng.integers(1, n_org + 1, size=n_loc)
    loc_sector = rng.choice(len(SECTORS), size=n_loc, p=SECTOR_WEIGHTS)
    loc_point = []
    for _ in range(n_loc):
        c = pcs[int(rng.integers(n_pc))]
        loc_point.append(_point(rng, c, 2.0))

    plekken: list[Plek] = []
    loc_of_plek = rng.integers(0, n_loc, size=n_plek)
    for j in range(n_plek):
        loc = int(loc_of_plek[j])
        sector = SECTORS[int(loc_sector[loc])]
        pool = by_sector[sector]
        w = np.array([OPLEIDINGEN[o - 1][0] for o in pool], dtype=float)
        k = min(len(pool), int(rng.integers(1, 5)))
        opl = rng.choice(pool, size=k, replace=False, p=w / w.sum())
        u = rng.uniform()
        start, end = (YEAR_START, YEAR_END) if u < 0.85 else (S1 if u < 0.925 else S2)
        leer = rng.uniform() < 0.04
        seats = (
            int(rng.integers(4, 9))
            if leer
            else int(rng.choice([1, 2, 3, 4], p=[0.4, 0.35, 0.15, 0.1]))
        )
        plekken.append(
            Plek(
                id=10_000 + j,
                organisation_id=int(loc_org[loc]) + 100,
                location_id=1_000 + loc,
                location=loc_point[loc],
                sector=sector,
                opleiding_ids=frozenset(int(o) for o in opl),
                seats=seats,
                start=start,
                end=end,
                is_leerafdeling=leer,
            )
        )

    requests: list[Request] = []
    doel = [d for d, _ in DOELGROEP_MIX]
    doel_p = [w for _, w in DOELGROEP_MIX]
    for i in range(n):
        bbl = rng.uniform() < 0.2
        d = str(rng.choice(doel, p=doel_p))
        if bbl:
            start, end = YEAR_START, YEAR_END
        else:
            u = rng.uniform()
            if u < 0.3:
                start, end = S1
            elif u < 0.6:
                start, end = S2
            elif u < 0.75:
                start, end = YEAR_START, YEAR_END
            else:
                start, end = QUARTERS[int(rng.integers(4))]
        o = int(rng.choice(opl_ids, p=opl_pop))
        osec = list(OPLEIDINGEN[o - 1][1])
        if rng.uniform() < 0.1:
            sectors: frozenset[str] = frozenset()  # no wish: any sector
        else:
            k = int(rng.integers(1, len(osec) + 1))
            sectors = frozenset(str(s) for s in rng.choice(osec, size=k, replace=False))
        override = None
        if rng.uniform() < 0.05:
            override = float(max(1.0, LOADS[d] + rng.choice([-1.0, 1.0, 2.0])))
        requests.append(
            Request(
                id=i + 1,
                school_id=int(rng.integers(1, n_school + 1)),
                opleiding_id=o,
                doelgroep=d,
                start=start,
                end=end,
                hours_per_week=float(rng.choice([16, 24, 32, 36])),
                sectors=sectors,
                max_travel_km=float(
                    rng.choice([5, 8, 10, 15, 20, 25], p=[0.1, 0.15, 0.25, 0.25, 0.15, 0.1])
                ),
                home=pcs[int(rng.integers(n_pc))],
                priority=2 if bbl else 1,
                load_override=override,
                peer_mentor=d == "ouderejaars" and rng.uniform() < 0.3,
            )
        )

    sources: list[Source] = []

    def add(**kw):
        sources.append(Source(id=100_000 + len(sources), **kw))

    seats_at = np.zeros(n_loc)
    for j, p in enumerate(plekken):
        if not p.is_leerafdeling:
            seats_at[int(loc_of_plek[j])] += p.seats
    sv = supervision
    for loc in range(n_loc):
        lid = 1_000 + loc
        n_wb = max(1, round(seats_at[loc] * rng.uniform(0.25, 0.55)))
        for _ in range(n_wb):
            u = rng.uniform()
            start, end = (YEAR_START, YEAR_END) if u < 0.85 else (S1 if u < 0.95 else S2)
            add(
                kind="werkbegeleider",
                hours_per_week=sv * float(rng.choice([3, 4, 6, 8])),
                start=start,
                end=end,
                max_students=int(rng.choice([2, 3])),
                location_id=lid,
            )
        u = rng.uniform()
        if u < 0.30:
            add(
                kind="senior_werkbegeleider",
                hours_per_week=sv * float(rng.choice([6, 8, 12])),
                start=YEAR_START,
                end=YEAR_END,
                max_students=6,
                group_factor=0.6,
                location_id=lid,
            )
        elif u < 0.42:
            add(
                kind="leercoach",
                hours_per_week=sv * 10.0,
                start=YEAR_START,
                end=YEAR_END,
                group_factor=0.5,
                location_id=lid,
            )
        if rng.uniform() < 0.2:
            # Onboarding coaches work with the autumn intake.
            add(
                kind="inwerkcoach",
                hours_per_week=sv * 6.0,
                start=S1[0],
                end=S1[1],
                group_factor=0.7,
                location_id=lid,
            )
        if rng.uniform() < 0.3:
            add(
                kind="student_ondersteuner",
                hours_per_week=0.0,
                start=YEAR_START,
                end=YEAR_END,
                location_id=lid,
            )
    for p in plekken:
        if p.is_leerafdeling:
            add(
                kind="leerafdeling",
                hours_per_week=sv * float(rng.choice([12, 16, 20])),
                start=p.start,
                end=p.end,
                group_factor=0.8,
                plek_id=p.id,
            )
    per_school = np.bincount([r.school_id for r in requests], minlength=n_school + 1)
    for sch in range(1, n_school + 1):
        if per_school[sch]:
            add(
                kind="docent_begeleider",
                hours_per_week=sv * round(0.04 * per_school[sch], 1),
                start=YEAR_START,
                end=YEAR_END,
                school_id=sch,
            )
    for _ in range(max(1, n // 10_000)):
        add(kind="regionale_pool", hours_per_week=sv * 40.0, start=YEAR_START, end=YEAR_END)

    problem = Problem(
        region_id=region_id,
        settings=RegionSettings(doelgroep_loads=dict(LOADS), peer_hours=2.0, peer_share=0.5),
        requests=tuple(requests),
        plekken=tuple(plekken),
        sources=tuple(sources),
        existing=(),
    )
    # Ranked preferences among eligible plekken, nearer ones more likely.
    ix = build_index(problem)
    with_prefs = []
    for r in range(len(ix.rid)):
        el, dist = ix.eligible(r), ix.distances(r)
        req = problem.requests[r]  # ids are 1..n in order, as is the index
        if el.size:
            w = 1.0 / (1.0 + dist)
            k = min(10, el.size)
            pick = rng.choice(el.size, size=k, replace=False, p=w / w.sum())
            req = replace(req, preferences=tuple(ix.pid[int(el[q])] for q in pick))
        with_prefs.append(req)
    return replace(problem, requests=tuple(with_prefs))


def with_existing(problem: Problem, existing: tuple[ExistingPlacement, ...]) -> Problem:
    return replace(problem, existing=existing)
