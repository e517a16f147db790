"""Small builders for hand-made allocation problems."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from coordination.engine.model import (
    ExistingPlacement,
    Plek,
    Problem,
    RegionSettings,
    Request,
    Source,
)

START = date(2026, 9, 7)  # Monday of ISO week 37
END = date(2026, 12, 18)  # Friday of ISO week 51
HERE = (52.09, 5.12)
LOADS = {
    "eerstejaars": 4.0,
    "ouderejaars": 2.0,
    "zij_instromer": 3.0,
    "herintreder": 2.5,
    "anderstalig": 5.0,
    "starter": 3.0,
}


def req(id: int, **kw) -> Request:  # type: ignore[no-untyped-def]
    base = dict(
        id=id,
        school_id=1,
        opleiding_id=1,
        doelgroep="ouderejaars",
        start=START,
        end=END,
        hours_per_week=32.0,
        sectors=frozenset(),
        max_travel_km=30.0,
        home=HERE,
        preferences=(),
    )
    base.update(kw)
    return Request(**base)  # type: ignore[arg-type]


def plek(id: int, **kw) -> Plek:  # type: ignore[no-untyped-def]
    base = dict(
        id=id,
        organisation_id=1,
        location_id=1,
        location=HERE,
        sector="VVT",
        opleiding_ids=frozenset({1}),
        seats=1,
        start=START,
        end=END,
    )
    base.update(kw)
    return Plek(**base)  # type: ignore[arg-type]


def src(id: int, kind: str = "werkbegeleider", hours: float = 8.0, **kw) -> Source:  # type: ignore[no-untyped-def]
    base = dict(id=id, kind=kind, hours_per_week=hours, start=START, end=END)
    if kind in {
        "werkbegeleider",
        "senior_werkbegeleider",
        "leercoach",
        "inwerkcoach",
        "student_ondersteuner",
    }:
        base["location_id"] = 1
    base.update(kw)
    return Source(**base)  # type: ignore[arg-type]


def problem(requests, plekken, sources, existing=(), **settings) -> Problem:  # type: ignore[no-untyped-def]
    st = RegionSettings(
        doelgroep_loads=dict(LOADS),
        peer_hours=settings.get("peer_hours", 2.0),
        peer_share=settings.get("peer_share", 0.5),
    )
    return Problem(
        region_id=1,
        settings=st,
        requests=tuple(requests),
        plekken=tuple(plekken),
        sources=tuple(sources),
        existing=tuple(existing),
    )


def fixed(request_id: int, plek_id: int, proposed: bool = False) -> ExistingPlacement:
    return ExistingPlacement(request_id=request_id, plek_id=plek_id, fixed=not proposed)


DATA = Path(__file__).parent / "data"


def load_demo(name: str) -> Problem:
    """A demo region exported as JSON (tests/engine/data/demo-<name>.json)."""
    from coordination.engine.jsonio import problem_from_json

    return problem_from_json((DATA / f"demo-{name}.json").read_bytes())


def recorder() -> tuple[list[tuple[str, float]], Callable[[str, float], None]]:
    """A progress callback and the list of (stage, fraction) it was called with."""
    seen: list[tuple[str, float]] = []
    return seen, lambda stage, fraction: seen.append((stage, fraction))


def assert_forward_to_one(seen: list[tuple[str, float]]) -> None:
    """Fractions of the whole job within 0..1, never decreasing, 1.0 only at "done"."""
    fractions = [f for _s, f in seen]
    assert fractions, "no progress reported"
    assert all(0.0 <= f <= 1.0 for f in fractions)
    assert fractions == sorted(fractions), "progress went backwards"
    assert seen[-1] == ("done", 1.0)
    assert all(f < 1.0 for _s, f in seen[:-1])


def half_confirmed(p: Problem) -> Problem:
    """``p`` with every second placement of its exact optimum confirmed."""
    from dataclasses import replace

    from coordination.engine.exact import solve_exact

    keep = sorted(solve_exact(p).plek_of.items())[::2]
    return replace(p, existing=tuple(ExistingPlacement(r, q, True) for r, q in keep))
