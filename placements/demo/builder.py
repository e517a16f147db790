"""Generates the demo region from data.py: deterministic for a seed, written with bulk inserts.

Seed data is written directly rather than through services.py: the services record an outbox
event per change and check cross-object rules one row at a time, which would make 600 requests
take minutes. Every row still satisfies the models' constraints (the database enforces them on
insert), and the generator keeps the cross-object rules the services check: plekken and
sources sit at the organisation's own locations, preferences stay in the request's region.

Determinism: every random choice comes from one `random.Random(seed)`, drawn in a fixed order
over tuples and insertion-ordered dicts, never depending on database ids.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import ProtectedError, Q, QuerySet, RestrictedError

from coordination.engine.geo import haversine_km
from events.models import Event
from placements.demo import data
from placements.domain import (
    Doelgroep,
    Leerweg,
    OrganisationKind,
    PlekStatus,
    RequestStatus,
    Role,
    SupervisionKind,
)
from placements.models import (
    DoelgroepSetting,
    Location,
    Membership,
    Opleiding,
    Organisation,
    Placement,
    PlacementRequest,
    Plek,
    PostcodeArea,
    Region,
    RequestPreference,
    SupervisionSource,
)

T = TypeVar("T")

DEMO_REGION_CODES = tuple(r.code for r in data.REGIONS)
ADMIN_USERNAME = "admin"
DEFAULT_SEED = 2026
DEFAULT_REQUESTS = 600

_PSEUDONYM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# Postcode letter pairs PostNL does not hand out.
_UNUSED_LETTER_PAIRS = {"SA", "SD", "SS"}
_WARD_NAMES = (
    "De Linde", "De Eik", "Het Anker", "De Wilg", "Zonnehoek", "De Beuk", "De Hazelaar",
    "Het Kompas", "De Esdoorn", "Het Baken", "De Vlinder", "De Berk",
)  # fmt: skip
_NOTES = (
    "Wil graag ervaring opdoen met dementiezorg.",
    "Woont zonder auto; reist met OV en fiets.",
    "Heeft al een vakantiebaan in de zorg gehad.",
    "Voorkeur voor een team met vaste werkbegeleider.",
    "Combineert de opleiding met mantelzorg; liefst geen nachtdiensten.",
    "Eerdere BPV afgebroken, zoekt een rustige leeromgeving.",
)


class DemoFlushRefused(Exception):
    """The demo regions hold placements: flushing would destroy real work."""


@dataclass
class RegionSummary:
    code: str
    name: str
    schools: int = 0
    care: int = 0
    locations: int = 0
    plekken: int = 0
    leerafdelingen: int = 0
    seats: int = 0
    sources: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    preferences: int = 0


@dataclass
class DemoResult:
    regions: list[RegionSummary]
    logins: list[tuple[str, str, str]]  # (username, organisation or role, region)
    admin_created: bool


def demo_usernames() -> list[str]:
    names = [f"coordinator-{code}" for code in DEMO_REGION_CODES]
    names += [f"school-{s.slug}" for s in data.SCHOOLS]
    names += [f"zorg-{c.slug}" for c in data.CARE_ORGANISATIONS]
    return names


def demo_present() -> bool:
    return Region.objects.filter(code__in=DEMO_REGION_CODES).exists()


def flush_demo() -> None:
    """Delete the demo regions and everything in them, unless any placement exists there.

    Shared reference data (postcode areas, opleidingen) stays: other regions may use it.
    """
    regions = Region.objects.filter(code__in=DEMO_REGION_CODES)
    try:
        _flush(regions)
    except (ProtectedError, RestrictedError) as exc:
        # Rows that other apps keep about these regions (and protect) would be lost.
        names = sorted({obj._meta.label for obj in exc.args[1]})
        raise DemoFlushRefused(
            f"Other data refers to the demo regions ({', '.join(names)}); not deleting it."
        ) from exc


def _flush(regions: QuerySet[Region]) -> None:
    with transaction.atomic():
        if Placement.objects.filter(
            Q(plek__region__in=regions) | Q(request__region__in=regions)
        ).exists():
            raise DemoFlushRefused(
                "The demo regions hold placements; refusing to delete them. "
                "Withdraw or remove them first, or seed into an empty database."
            )
        # The allocation runs belong to an app above this one: reached through the region.
        for region in regions:
            region.allocation_runs.all().delete()
        PlacementRequest.objects.filter(region__in=regions).delete()
        SupervisionSource.objects.filter(region__in=regions).delete()
        Plek.objects.filter(region__in=regions).delete()
        Location.objects.filter(organisation__region__in=regions).delete()
        get_user_model().objects.filter(username__in=demo_usernames()).delete()
        Organisation.objects.filter(region__in=regions).delete()
        Event.objects.filter(region__in=regions).delete()  # events is a layer below
        regions.delete()


def area_centroid(town: data.Town, index: int) -> tuple[float, float]:
    """An approximate centroid for the town's index-th postcode area (not PDOK/CBS data).

    Areas are laid on a golden-angle spiral around the town centre, so they spread evenly
    over a few kilometres and the same area always gets the same point.
    """
    angle = index * 2.399963
    radius = 0.0045 * math.sqrt(index + 0.5)  # degrees latitude; about 0.5 km per step
    lat = town.latitude + radius * math.cos(angle)
    lon = town.longitude + radius * math.sin(angle) / math.cos(math.radians(town.latitude))
    return round(lat, 5), round(lon, 5)


# --- the generator --------------------------------------------------------------------------


@dataclass
class _Loc:
    obj: Location
    town: data.Town


@dataclass
class _Plek:
    obj: Plek
    opleiding_ids: set[int]
    point: tuple[float, float]


class _Builder:
    def __init__(self, *, seed: int, n_requests: int) -> None:
        self.rng = random.Random(seed)
        self.n_requests = n_requests
        self.regions: dict[str, Region] = {}
        self.summaries: dict[str, RegionSummary] = {}
        self.towns = {t.name: t for t in data.TOWNS}
        self.opleidingen: dict[tuple[str, str], Opleiding] = {}  # (key, leerweg) -> row
        self.schools: dict[str, Organisation] = {}
        self.care: dict[str, Organisation] = {}
        self.coordination: dict[str, Organisation] = {}
        self.users: dict[str, Any] = {}  # organisation slug -> user
        self.locations: dict[str, list[_Loc]] = {}  # care slug -> its locations
        self.plekken: dict[str, list[_Plek]] = {code: [] for code in DEMO_REGION_CODES}
        self.logins: list[tuple[str, str, str]] = []
        self.admin_created = False

    # small helpers on the one random stream

    def pick(self, seq: Sequence[T]) -> T:
        return seq[self.rng.randrange(len(seq))]

    def weighted(self, pairs: Sequence[tuple[T, float]]) -> T:
        return self.rng.choices([v for v, _ in pairs], weights=[w for _, w in pairs])[0]

    def person(self) -> str:
        return f"{self.pick(data.FIRST_NAMES)} {self.pick(data.LAST_NAMES)}"

    def initials_name(self) -> str:
        first = self.pick(data.FIRST_NAMES)
        last = self.pick(data.LAST_NAMES)
        return f"{first} {last.split()[-1][0]}."

    # steps

    def run(self) -> DemoResult:
        with transaction.atomic():
            self.create_regions()
            self.create_postcode_areas()
            self.create_opleidingen()
            self.create_organisations()
            self.create_users()
            self.create_locations()
            self.create_plekken()
            self.create_sources()
            self.create_requests()
        return DemoResult(
            regions=[self.summaries[c] for c in DEMO_REGION_CODES],
            logins=self.logins,
            admin_created=self.admin_created,
        )

    def create_regions(self) -> None:
        regions = Region.objects.bulk_create(
            Region(code=r.code, name=r.name, peer_hours=data.PEER_HOURS, peer_share=data.PEER_SHARE)
            for r in data.REGIONS
        )
        for region in regions:
            self.regions[region.code] = region
            self.summaries[region.code] = RegionSummary(region.code, region.name)
        DoelgroepSetting.objects.bulk_create(
            DoelgroepSetting(region=region, doelgroep=doelgroep, default_load_hours=hours)
            for region in regions
            for doelgroep, hours in data.DOELGROEP_LOADS.items()
        )

    def create_postcode_areas(self) -> None:
        areas = []
        for town in data.TOWNS:
            for index, code in enumerate(town.postcodes):
                lat, lon = area_centroid(town, index)
                areas.append(
                    PostcodeArea(
                        code=code, latitude=lat, longitude=lon, municipality=town.municipality
                    )
                )
        # Shared reference data: keep rows another import already made.
        PostcodeArea.objects.bulk_create(areas, ignore_conflicts=True)
        self.area_points = {
            a.code: (a.latitude, a.longitude)
            for a in PostcodeArea.objects.filter(code__in=[a.code for a in areas])
        }
        self.region_areas = {
            code: [p for t in data.TOWNS if t.region == code for p in t.postcodes]
            for code in DEMO_REGION_CODES
        }

    def create_opleidingen(self) -> None:
        wanted = [(spec, lw) for spec in data.OPLEIDINGEN for lw in spec.leerwegen]
        existing = {
            (o.code, o.leerweg): o
            for o in Opleiding.objects.filter(code__in=[s.code for s in data.OPLEIDINGEN])
        }
        missing = [
            Opleiding(code=spec.code, name=spec.name, niveau=spec.niveau, leerweg=lw)
            for spec, lw in wanted
            if (spec.code, lw) not in existing
        ]
        for row in Opleiding.objects.bulk_create(missing):
            existing[(row.code, row.leerweg)] = row
        for spec, lw in wanted:
            self.opleidingen[(spec.key, lw)] = existing[(spec.code, lw)]

    def create_organisations(self) -> None:
        rows: list[tuple[str, str, Organisation]] = []
        for code, name in data.COORDINATION_OFFICES.items():
            rows.append(
                ("coordination", code, self._org(code, name, OrganisationKind.COORDINATION))
            )
        for school in data.SCHOOLS:
            org = self._org(school.region, school.name, OrganisationKind.SCHOOL, school.slug)
            rows.append(("school", school.slug, org))
        for care in data.CARE_ORGANISATIONS:
            org = self._org(care.region, care.name, OrganisationKind.CARE, care.slug)
            rows.append(("care", care.slug, org))
        Organisation.objects.bulk_create([org for _, _, org in rows])
        for kind, key, org in rows:
            {"coordination": self.coordination, "school": self.schools, "care": self.care}[kind][
                key
            ] = org
        for school in data.SCHOOLS:
            self.summaries[school.region].schools += 1
        for care in data.CARE_ORGANISATIONS:
            self.summaries[care.region].care += 1

    def _org(self, region: str, name: str, kind: str, slug: str | None = None) -> Organisation:
        domain = slug or f"stagebureau-{region}"
        return Organisation(
            region=self.regions[region],
            name=name,
            kind=kind,
            contact_email=f"stages@{domain}.example",
        )

    def create_users(self) -> None:
        User = get_user_model()
        # One hash for every demo user: hashing is deliberately slow, and they share a password.
        password = make_password(data.PASSWORD)
        wanted: list[tuple[str, Organisation, str]] = []
        for code, org in self.coordination.items():
            wanted.append((f"coordinator-{code}", org, code))
        for school in data.SCHOOLS:
            wanted.append((f"school-{school.slug}", self.schools[school.slug], school.region))
        for care in data.CARE_ORGANISATIONS:
            wanted.append((f"zorg-{care.slug}", self.care[care.slug], care.region))
        existing = {u.username: u for u in User.objects.filter(username__in=[w[0] for w in wanted])}
        for user in existing.values():
            user.password = password
            user.is_active = True
        User.objects.bulk_update(list(existing.values()), ["password", "is_active"])
        Membership.objects.filter(user__in=list(existing.values())).delete()
        new = User.objects.bulk_create(
            User(username=name, email=f"{name}@leerplek.example", password=password)
            for name, _, _ in wanted
            if name not in existing
        )
        users = {**existing, **{u.username: u for u in new}}
        Membership.objects.bulk_create(
            Membership(user=users[name], organisation=org, role=Role.ADMIN)
            for name, org, _ in wanted
        )
        for name, org, region in wanted:
            self.users[name] = users[name]
            self.logins.append((name, org.name, self.regions[region].name))
        if not User.objects.filter(username=ADMIN_USERNAME).exists():
            User.objects.bulk_create(
                [
                    User(
                        username=ADMIN_USERNAME,
                        email="admin@leerplek.example",
                        password=password,
                        is_staff=True,
                        is_superuser=True,
                    )
                ]
            )
            self.admin_created = True

    def create_locations(self) -> None:
        rows: list[_Loc] = []
        for care in data.CARE_ORGANISATIONS:
            org = self.care[care.slug]
            self.locations[care.slug] = []
            for name, town_name in care.locations:
                town = self.towns[town_name]
                lat = town.latitude + self.rng.uniform(-0.012, 0.012)
                lon = town.longitude + self.rng.uniform(-0.018, 0.018)
                letters = self._postcode_letters()
                loc = Location(
                    organisation=org,
                    name=name,
                    street=f"{self.pick(town.streets)} {self.rng.randint(1, 180)}",
                    postcode=f"{self.pick(town.postcodes)} {letters}",
                    city=town.name,
                    latitude=round(lat, 5),
                    longitude=round(lon, 5),
                )
                entry = _Loc(loc, town)
                rows.append(entry)
                self.locations[care.slug].append(entry)
            self.summaries[care.region].locations += len(care.locations)
        Location.objects.bulk_create([r.obj for r in rows])

    def _postcode_letters(self) -> str:
        while True:
            pair = "".join(self.rng.choice("ABCDEFGHJKLMNPRSTVWXZ") for _ in range(2))
            if pair not in _UNUSED_LETTER_PAIRS:
                return pair

    def create_plekken(self) -> None:
        self.teams: list[tuple[data.CareSpec, _Loc, str, list[_Plek]]] = []
        rows: list[_Plek] = []
        for care in data.CARE_ORGANISATIONS:
            org = self.care[care.slug]
            region = self.regions[care.region]
            regular = [t for t in care.teams if not t.leerafdeling]
            leer = [t for t in care.teams if t.leerafdeling]
            locations = self.locations[care.slug]
            chosen: list[list[data.TeamSpec]] = []
            for index in range(len(locations)):
                count = min(len(regular), self.rng.choice((2, 3, 3, 4)))
                teams = self.rng.sample(regular, count)
                if index == 0:
                    teams += leer  # one learning ward per organisation, at its main location
                chosen.append(teams)
            # Every sector the organisation works in shows up somewhere (e.g. its kraamzorg).
            covered = {t.sector for teams in chosen for t in teams}
            for team in regular:
                if team.sector not in covered:
                    chosen[-1].append(team)
                    covered.add(team.sector)
            for loc, teams in zip(locations, chosen, strict=True):
                for team in teams:
                    team_name = team.name
                    if team.sector in ("vvt", "ghz", "ggz", "jeugdzorg") and not team.leerafdeling:
                        team_name = f"{team.name} {self.pick(_WARD_NAMES)}"
                    plekken = self._team_plekken(care, org, region, loc, team, team_name)
                    rows.extend(plekken)
                    self.teams.append((care, loc, team_name, plekken))
        Plek.objects.bulk_create([p.obj for p in rows])
        Through = Plek.opleidingen.through
        Through.objects.bulk_create(
            Through(plek_id=p.obj.pk, opleiding_id=oid)
            for p in rows
            for oid in sorted(p.opleiding_ids)
        )
        for p in rows:
            self.plekken[p.obj.region.code].append(p)
            summary = self.summaries[p.obj.region.code]
            summary.plekken += 1
            summary.seats += p.obj.seats
            summary.leerafdelingen += p.obj.is_leerafdeling

    def _team_plekken(
        self,
        care: data.CareSpec,
        org: Organisation,
        region: Region,
        loc: _Loc,
        team: data.TeamSpec,
        team_name: str,
    ) -> list[_Plek]:
        if team.leerafdeling:
            periods = ("sep-jan", "feb-jul")
        else:
            periods = self.weighted(
                [
                    (("jaar",), 0.3),
                    (("sep-jan", "feb-jul"), 0.5),
                    (("jaar", "sep-jan", "feb-jul"), 0.2),
                ]
            )
        out = []
        for period in periods:
            start, end = data.PERIODS[period]
            whole_year = period == "jaar"
            leerwegen = {Leerweg.BOL, Leerweg.VOLTIJD}
            if whole_year or self.rng.random() < 0.25:
                leerwegen |= {Leerweg.BBL, Leerweg.DUAAL}
            if whole_year or self.rng.random() < 0.5:
                leerwegen.add(Leerweg.DEELTIJD)
            ids = {
                self.opleidingen[(key, lw)].pk
                for key in team.opleidingen
                for lw in data.OPLEIDING_BY_KEY[key].leerwegen
                if lw in leerwegen
            }
            if team.leerafdeling:
                seats = self.rng.randint(6, 10)
                description = (
                    f"Leerafdeling: studenten werken samen onder een eigen begeleidingsteam "
                    f"({loc.obj.name}, {loc.town.name})."
                )
            else:
                seats = self.rng.choice((1, 1, 2, 2, 2, 3, 3, 4))
                description = f"{team.name} bij {care.name}, locatie {loc.obj.name}."
            plek = Plek(
                region=region,
                organisation=org,
                location=loc.obj,
                team=team_name,
                sector=team.sector,
                seats=seats,
                start_date=start,
                end_date=end,
                is_leerafdeling=team.leerafdeling,
                status=PlekStatus.PUBLISHED,
                description=description,
            )
            out.append(_Plek(plek, ids, (loc.obj.latitude, loc.obj.longitude)))
        return out

    def create_sources(self) -> None:
        year_start, year_end = data.PERIODS["jaar"]
        rows: list[SupervisionSource] = []

        def add(org: Organisation, kind: str, name: str, hours: Any, **kw: Any) -> None:
            kw.setdefault("start_date", year_start)
            kw.setdefault("end_date", year_end)
            rows.append(
                SupervisionSource(
                    region_id=org.region_id,
                    organisation=org,
                    kind=kind,
                    name=name,
                    hours_per_week=Decimal(str(hours)),
                    **kw,
                )
            )

        # Individual work supervisors: one per team, plus the learning wards' own teams.
        for care, loc, team_name, plekken in self.teams:
            org = self.care[care.slug]
            if plekken[0].obj.is_leerafdeling:
                for p in plekken:
                    add(
                        org,
                        SupervisionKind.LEERAFDELING,
                        f"Begeleidingsteam {team_name} ({_period_label(p.obj)})",
                        self.pick((16, 20, 24)),
                        plek=p.obj,
                        start_date=p.obj.start_date,
                        end_date=p.obj.end_date,
                    )
                continue
            add(
                org,
                SupervisionKind.WERKBEGELEIDER,
                f"Werkbegeleider {team_name} ({self.initials_name()})",
                self.pick((3, 4, 4, 5, 6, 8)),
                location=loc.obj,
                max_students=self.pick((1, 2, 2, 3)),
            )

        # Group forms and peer mentoring per location; each region gets at least one of each.
        seen: dict[str, set[str]] = {code: set() for code in DEMO_REGION_CODES}
        first_loc: dict[str, tuple[Organisation, _Loc]] = {}
        for care in data.CARE_ORGANISATIONS:
            org = self.care[care.slug]
            for loc in self.locations[care.slug]:
                first_loc.setdefault(care.region, (org, loc))
                for kind in self._location_kinds(care):
                    self._add_location_source(add, org, loc, kind)
                    seen[care.region].add(kind)
        for code in DEMO_REGION_CODES:
            org, loc = first_loc[code]
            for kind in _LOCATION_EXTRA_KINDS:
                if kind not in seen[code]:
                    self._add_location_source(add, org, loc, kind)

        # Teachers the schools send, and each coordination office's regional pool.
        for school in data.SCHOOLS:
            org = self.schools[school.slug]
            for hours in school.docent_hours:
                add(
                    org,
                    SupervisionKind.DOCENT_BEGELEIDER,
                    f"Docent-begeleider {school.name} ({self.initials_name()})",
                    hours,
                    school=org,
                )
        for spec in data.REGIONS:
            add(
                self.coordination[spec.code],
                SupervisionKind.REGIONALE_POOL,
                f"Regionale pool werkbegeleiders {spec.name}",
                spec.pool_hours,
            )
        SupervisionSource.objects.bulk_create(rows)
        for row in rows:
            code = next(c for c, r in self.regions.items() if r.pk == row.region_id)
            self.summaries[code].sources[row.kind] += 1

    def _location_kinds(self, care: data.CareSpec) -> list[str]:
        kinds = []
        if self.rng.random() < care.group_forms:
            kinds.append(SupervisionKind.SENIOR_WERKBEGELEIDER)
        if self.rng.random() < care.group_forms * 0.7:
            kinds.append(SupervisionKind.LEERCOACH)
        if self.rng.random() < care.group_forms * 0.6:
            kinds.append(SupervisionKind.INWERKCOACH)
        if self.rng.random() < care.peer_mentoring:
            kinds.append(SupervisionKind.STUDENT_ONDERSTEUNER)
        return kinds

    def _add_location_source(self, add: Any, org: Organisation, loc: _Loc, kind: str) -> None:
        where = loc.obj.name
        if kind == SupervisionKind.SENIOR_WERKBEGELEIDER:
            add(
                org,
                kind,
                f"Senior werkbegeleider {where} ({self.initials_name()})",
                self.pick((8, 10, 12, 16)),
                location=loc.obj,
                group_factor=Decimal("0.60"),
                max_students=self.pick((4, 5, 6)),
            )
        elif kind == SupervisionKind.LEERCOACH:
            add(
                org,
                kind,
                f"Leercoach {where} ({self.initials_name()})",
                self.pick((6, 8, 12)),
                location=loc.obj,
                group_factor=Decimal("0.70"),
            )
        elif kind == SupervisionKind.INWERKCOACH:
            # Onboarding coaches work with the autumn intake.
            start, end = data.PERIODS["sep-jan"]
            add(
                org,
                kind,
                f"Inwerkcoach {where} ({self.initials_name()})",
                self.pick((6, 8)),
                location=loc.obj,
                group_factor=Decimal("0.80"),
                start_date=start,
                end_date=end,
            )
        else:
            # Capacity comes from mentoring ouderejaars placed here (region peer_hours each),
            # not from fixed hours.
            add(org, kind, f"Student-ondersteuners {where}", 0, location=loc.obj)

    def create_requests(self) -> None:
        per_region = _apportion(self.n_requests, [(r.code, r.request_share) for r in data.REGIONS])
        rows: list[tuple[PlacementRequest, list[Plek]]] = []
        for spec in data.REGIONS:
            schools = [s for s in data.SCHOOLS if s.region == spec.code]
            per_school = _apportion(per_region[spec.code], [(s.slug, s.size) for s in schools])
            for school in schools:
                used: set[str] = set()
                for _ in range(per_school[school.slug]):
                    rows.append(self._request(spec.code, school, used))
        PlacementRequest.objects.bulk_create([r for r, _ in rows])
        RequestPreference.objects.bulk_create(
            RequestPreference(request=request, plek=plek, rank=rank)
            for request, prefs in rows
            for rank, plek in enumerate(prefs, start=1)
        )
        for request, prefs in rows:
            summary = self.summaries[request.region.code]
            summary.requests += 1
            summary.preferences += len(prefs)

    def _request(
        self, region_code: str, school: data.SchoolSpec, used: set[str]
    ) -> tuple[PlacementRequest, list[Plek]]:
        rng = self.rng
        key = self.weighted(school.catalogue)
        spec = data.OPLEIDING_BY_KEY[key]
        hbo = Leerweg.VOLTIJD in spec.leerwegen
        if hbo:
            roll = rng.random()
            if roll < school.bbl_share / 2:
                leerweg = Leerweg.DUAAL
            elif roll < school.bbl_share:
                leerweg = Leerweg.DEELTIJD
            else:
                leerweg = Leerweg.VOLTIJD
        elif Leerweg.BBL in spec.leerwegen and rng.random() < school.bbl_share:
            leerweg = Leerweg.BBL
        else:
            leerweg = Leerweg.BOL
        work_based = leerweg in (Leerweg.BBL, Leerweg.DUAAL, Leerweg.DEELTIJD)

        if work_based:
            doelgroep = self.weighted(
                [
                    (Doelgroep.ZIJ_INSTROMER, 0.35),
                    (Doelgroep.STARTER, 0.25),
                    (Doelgroep.HERINTREDER, 0.15),
                    (Doelgroep.OUDEREJAARS, 0.15),
                    (Doelgroep.ANDERSTALIG, 0.10),
                ]
            )
        else:
            doelgroep = self.weighted(
                [
                    (Doelgroep.EERSTEJAARS, 0.42),
                    (Doelgroep.OUDEREJAARS, 0.43),
                    (Doelgroep.ANDERSTALIG, 0.15),
                ]
            )
        peer_mentor = doelgroep == Doelgroep.OUDEREJAARS and rng.random() < 0.35

        if work_based:
            period = "jaar"
        elif doelgroep == Doelgroep.OUDEREJAARS:
            period = self.weighted([("sep-jan", 0.35), ("feb-jul", 0.35), ("jaar", 0.30)])
        else:
            period = self.pick(("sep-jan", "feb-jul"))
        start, end = data.PERIODS[period]
        if period != "jaar" and rng.random() < 0.15:
            start += dt.timedelta(weeks=rng.randint(1, 6))  # a late start within the period

        if leerweg == Leerweg.BOL:
            hours = self.pick((24, 28, 32))
        elif leerweg == Leerweg.BBL:
            hours = self.pick((24, 32, 32, 36))
        elif leerweg == Leerweg.VOLTIJD:
            hours = self.pick((32, 36))
        elif leerweg == Leerweg.DEELTIJD:
            hours = self.pick((16, 20, 24))
        else:
            hours = self.pick((24, 32))

        if rng.random() < 0.2:
            sectors: list[str] = []  # any sector
        else:
            chosen = set(rng.sample(spec.sectors, rng.randint(1, min(3, len(spec.sectors)))))
            sectors = [str(s) for s in spec.sectors if s in chosen]

        if leerweg == Leerweg.BBL:
            priority = 5 if rng.random() < 0.3 else 4
        elif leerweg == Leerweg.DUAAL:
            priority = 3
        elif leerweg == Leerweg.DEELTIJD or doelgroep == Doelgroep.ANDERSTALIG:
            priority = 2
        else:
            priority = 1
        override = None
        if rng.random() < 0.06:
            override = data.DOELGROEP_LOADS[doelgroep] + self.pick((Decimal("1.0"), Decimal("2.0")))

        home = self.pick(self.region_areas[region_code])
        max_km = self.pick((8, 10, 12, 15, 15, 20, 20, 25, 30, 40))
        opleiding = self.opleidingen[(key, leerweg)]
        prefs = self._preferences(region_code, home, opleiding.pk, start, end, sectors)

        prefix = "".join(w[0] for w in school.name.replace("'t ", "").split()).upper()[:4]
        while True:
            pseudonym = f"{prefix}-" + "".join(rng.choice(_PSEUDONYM_ALPHABET) for _ in range(6))
            if pseudonym not in used:
                used.add(pseudonym)
                break
        request = PlacementRequest(
            region=self.regions[region_code],
            school=self.schools[school.slug],
            student_pseudonym=pseudonym,
            student_name=self.person(),
            home_postcode_id=home,
            opleiding=opleiding,
            doelgroep=doelgroep,
            start_date=start,
            end_date=end,
            hours_per_week=Decimal(hours),
            acceptable_sectors=sectors,
            max_travel_km=max_km,
            priority=priority,
            load_override_hours=override,
            peer_mentor=peer_mentor,
            status=RequestStatus.OPEN,
            notes=self.pick(_NOTES) if rng.random() < 0.1 else "",
            created_by=self.users[f"school-{school.slug}"],
        )
        return request, prefs

    def _preferences(
        self,
        region_code: str,
        home: str,
        opleiding_id: int,
        start: dt.date,
        end: dt.date,
        sectors: list[str],
    ) -> list[Plek]:
        count = self.weighted([(0, 20), (1, 15), (2, 20), (3, 20), (4, 15), (5, 10)])
        if not count:
            return []
        point = self.area_points[home]
        eligible = [
            p
            for p in self.plekken[region_code]
            if opleiding_id in p.opleiding_ids
            and p.obj.start_date <= start
            and p.obj.end_date >= end
            and (not sectors or p.obj.sector in sectors)
        ]
        # Students mostly rank places near home; the order of the nearest few is taste.
        eligible.sort(
            key=lambda p: (float(haversine_km(*point, *p.point)), p.obj.team, p.obj.start_date)
        )
        pool = eligible[: max(2 * count, 8)]
        return [p.obj for p in self.rng.sample(pool, min(count, len(pool)))]


def _period_label(plek: Plek) -> str:
    for label, (start, end) in data.PERIODS.items():
        if (plek.start_date, plek.end_date) == (start, end):
            return label
    return f"{plek.start_date}–{plek.end_date}"


_LOCATION_EXTRA_KINDS = (
    SupervisionKind.SENIOR_WERKBEGELEIDER,
    SupervisionKind.LEERCOACH,
    SupervisionKind.INWERKCOACH,
    SupervisionKind.STUDENT_ONDERSTEUNER,
)


def _apportion(total: int, shares: Sequence[tuple[str, float]]) -> dict[str, int]:
    """Split `total` over keys in proportion to their shares (largest remainder, stable)."""
    weight = sum(s for _, s in shares)
    exact = [(key, total * s / weight) for key, s in shares]
    out = {key: int(value) for key, value in exact}
    left = total - sum(out.values())
    by_remainder = sorted(exact, key=lambda kv: (-(kv[1] - int(kv[1])), kv[0]))
    for key, _ in by_remainder[:left]:
        out[key] += 1
    return out


def build_demo(*, seed: int = DEFAULT_SEED, n_requests: int = DEFAULT_REQUESTS) -> DemoResult:
    """Create the demo regions. Precondition: none of the demo regions exists yet."""
    return _Builder(seed=seed, n_requests=n_requests).run()
