"""The allocation problem and its result as plain frozen dataclasses.

Nothing here knows about Django: the service layer maps database rows into a
:class:`Problem` and stores a :class:`Result`. All hours are hours per week.

The unit of supervision hours is the hundredth of an hour (HOURS_UNIT): a request's load
is rounded up to it, every draw's ``load_hours`` is a whole number of them, and a draw's
``source_hours`` is ``load_hours * group_factor`` rounded to four decimals (exact for the
database's group factors of two decimals). The database stores draws in these units, so
what the engine returns is exactly what is stored and checked.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

DOELGROEPEN = (
    "eerstejaars",
    "ouderejaars",
    "zij_instromer",
    "herintreder",
    "anderstalig",
    "starter",
)

# Kinds scoped to one location (Source.location_id).
LOCATION_KINDS = frozenset(
    {
        "werkbegeleider",
        "senior_werkbegeleider",
        "leercoach",
        "inwerkcoach",
        "student_ondersteuner",
    }
)
SOURCE_KINDS = (
    "werkbegeleider",
    "senior_werkbegeleider",
    "leercoach",
    "inwerkcoach",
    "student_ondersteuner",
    "docent_begeleider",
    "regionale_pool",
    "leerafdeling",
)

REASON_NO_ELIGIBLE_PLEK = "no_eligible_plek"
REASON_SEATS_FULL = "seats_full"
REASON_SUPERVISION_FULL = "supervision_full"
REASONS = (REASON_NO_ELIGIBLE_PLEK, REASON_SEATS_FULL, REASON_SUPERVISION_FULL)
# Order in which eligibility filters are applied; the criterion reported for
# no_eligible_plek is the one that removed the last remaining candidates.
# "refused": every remaining plek is in the request's excluded_plekken.
CRITERIA = ("opleiding", "period", "sector", "travel", "refused")


@dataclass(frozen=True, slots=True)
class RegionSettings:
    doelgroep_loads: dict[str, float]
    peer_hours: float = 2.0
    peer_share: float = 0.5


@dataclass(frozen=True, slots=True)
class Request:
    id: int
    school_id: int
    opleiding_id: int
    doelgroep: str
    start: date
    end: date
    hours_per_week: float
    sectors: frozenset[str]
    max_travel_km: float
    home: tuple[float, float] | None
    preferences: tuple[int, ...] = ()
    priority: int = 1
    load_override: float | None = None
    peer_mentor: bool = False
    # Plekken this request must never be placed at (the care organisation
    # declined it there, or a proposal there expired). A confirmed placement
    # at one of them stays where it is.
    excluded_plekken: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Plek:
    id: int
    organisation_id: int
    location_id: int
    location: tuple[float, float]
    sector: str
    opleiding_ids: frozenset[int]
    seats: int
    start: date
    end: date
    is_leerafdeling: bool = False


@dataclass(frozen=True, slots=True)
class Source:
    id: int
    kind: str
    hours_per_week: float
    start: date
    end: date
    max_students: int | None = None
    group_factor: float = 1.0
    location_id: int | None = None
    plek_id: int | None = None
    school_id: int | None = None


@dataclass(frozen=True, slots=True)
class Draw:
    """Supervision one placement takes from one source, the same in every week it runs.

    ``load_hours`` is the part of the student's weekly load (its doelgroep's
    supervision need) that this source carries. ``source_hours`` is what that
    costs the source per week: ``load_hours * group_factor``. The load_hours of a
    placement's draws add up to its load; the source_hours of all placements
    running in a week must fit in the source's hours_per_week.
    """

    source_id: int
    load_hours: float
    source_hours: float


@dataclass(frozen=True, slots=True)
class ExistingPlacement:
    request_id: int
    plek_id: int
    fixed: bool
    draws: tuple[Draw, ...] = ()


@dataclass(frozen=True, slots=True)
class Problem:
    region_id: int
    settings: RegionSettings
    requests: tuple[Request, ...]
    plekken: tuple[Plek, ...]
    sources: tuple[Source, ...]
    existing: tuple[ExistingPlacement, ...] = ()


@dataclass(frozen=True, slots=True)
class Assignment:
    request_id: int
    plek_id: int
    draws: tuple[Draw, ...]


@dataclass(frozen=True, slots=True)
class Unplaced:
    request_id: int
    reason: str
    criterion: str | None = None
    binding_plekken: tuple[int, ...] = ()
    binding_sources: tuple[int, ...] = ()
    suggestion: str = ""


@dataclass(frozen=True, slots=True)
class Result:
    assignments: tuple[Assignment, ...]
    unplaced: tuple[Unplaced, ...]
    objective: dict[str, Any] = field(default_factory=dict)
    upper_bound: float = 0.0
    gap: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)


HOURS_UNIT = 0.01
_UNITS_PER_HOUR = 100
# Float noise allowed when reading hours as units: far below one unit, and below the
# distance of any ratio of unit-grid values to the grid (free hours / group factor).
_UNIT_NOISE = 1e-6


def hours_floor(hours: float) -> float:
    """The largest whole number of hour units not above ``hours`` (float noise aside)."""
    return math.floor(hours * _UNITS_PER_HOUR + _UNIT_NOISE) / _UNITS_PER_HOUR


def hours_ceil(hours: float) -> float:
    """The smallest whole number of hour units not below ``hours`` (float noise aside)."""
    return math.ceil(hours * _UNITS_PER_HOUR - _UNIT_NOISE) / _UNITS_PER_HOUR


def on_hours_grid(hours: float) -> bool:
    """Whether ``hours`` is a whole number of hour units."""
    units = hours * _UNITS_PER_HOUR
    return abs(units - round(units)) <= _UNIT_NOISE


@functools.lru_cache(maxsize=4096)
def draw_cost(load_hours: float, group_factor: float) -> float:
    """What carrying ``load_hours`` costs a source of ``group_factor`` per week.

    Cached: a region has few distinct pairs, and round() to 4 digits costs a microsecond,
    called for every draw placed (31,000 times in a re-allocation at 10,000).
    """
    return round(load_hours * group_factor, 4)


def request_load(settings: RegionSettings, request: Request) -> float:
    """Weekly supervision hours the request needs: its override or the region default,
    rounded up to the hour unit."""
    if request.load_override is not None:
        return hours_ceil(float(request.load_override))
    return hours_ceil(float(settings.doelgroep_loads[request.doelgroep]))
