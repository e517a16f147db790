"""JSON form of Problem and Result (docs/allocation-format.md, docs/schema/)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from .model import (
    Assignment,
    Draw,
    ExistingPlacement,
    Plek,
    Problem,
    RegionSettings,
    Request,
    Result,
    Source,
    Unplaced,
)

PROBLEM_FORMAT = "leerplek-allocation-problem"
RESULT_FORMAT = "leerplek-allocation-result"
VERSION = 1


def _draw(d: Draw) -> dict[str, Any]:
    return {"source_id": d.source_id, "load_hours": d.load_hours, "source_hours": d.source_hours}


def _draw_from(x: dict[str, Any]) -> Draw:
    return Draw(int(x["source_id"]), float(x["load_hours"]), float(x["source_hours"]))


def _point(x: Any) -> tuple[float, float] | None:
    return None if x is None else (float(x[0]), float(x[1]))


def problem_to_dict(p: Problem) -> dict[str, Any]:
    return {
        "format": PROBLEM_FORMAT,
        "version": VERSION,
        "region_id": p.region_id,
        "settings": {
            "doelgroep_loads": dict(sorted(p.settings.doelgroep_loads.items())),
            "peer_hours": p.settings.peer_hours,
            "peer_share": p.settings.peer_share,
        },
        "requests": [
            {
                "id": r.id,
                "school_id": r.school_id,
                "opleiding_id": r.opleiding_id,
                "doelgroep": r.doelgroep,
                "start": r.start.isoformat(),
                "end": r.end.isoformat(),
                "hours_per_week": r.hours_per_week,
                "sectors": sorted(r.sectors),
                "max_travel_km": r.max_travel_km,
                "home": None if r.home is None else list(r.home),
                "preferences": list(r.preferences),
                "priority": r.priority,
                "load_override": r.load_override,
                "peer_mentor": r.peer_mentor,
                "excluded_plekken": sorted(r.excluded_plekken),
            }
            for r in p.requests
        ],
        "plekken": [
            {
                "id": x.id,
                "organisation_id": x.organisation_id,
                "location_id": x.location_id,
                "location": list(x.location),
                "sector": x.sector,
                "opleiding_ids": sorted(x.opleiding_ids),
                "seats": x.seats,
                "start": x.start.isoformat(),
                "end": x.end.isoformat(),
                "is_leerafdeling": x.is_leerafdeling,
            }
            for x in p.plekken
        ],
        "sources": [
            {
                "id": s.id,
                "kind": s.kind,
                "hours_per_week": s.hours_per_week,
                "start": s.start.isoformat(),
                "end": s.end.isoformat(),
                "max_students": s.max_students,
                "group_factor": s.group_factor,
                "location_id": s.location_id,
                "plek_id": s.plek_id,
                "school_id": s.school_id,
            }
            for s in p.sources
        ],
        "existing": [
            {
                "request_id": e.request_id,
                "plek_id": e.plek_id,
                "fixed": e.fixed,
                "draws": [_draw(d) for d in e.draws],
            }
            for e in p.existing
        ],
    }


def problem_from_dict(d: dict[str, Any]) -> Problem:
    if d.get("format", PROBLEM_FORMAT) != PROBLEM_FORMAT:
        raise ValueError(f"not a {PROBLEM_FORMAT} document")
    st = d["settings"]
    opt = d.get
    return Problem(
        region_id=int(d["region_id"]),
        settings=RegionSettings(
            doelgroep_loads={k: float(v) for k, v in st["doelgroep_loads"].items()},
            peer_hours=float(st.get("peer_hours", 2.0)),
            peer_share=float(st.get("peer_share", 0.5)),
        ),
        requests=tuple(
            Request(
                id=int(r["id"]),
                school_id=int(r["school_id"]),
                opleiding_id=int(r["opleiding_id"]),
                doelgroep=r["doelgroep"],
                start=date.fromisoformat(r["start"]),
                end=date.fromisoformat(r["end"]),
                hours_per_week=float(r["hours_per_week"]),
                sectors=frozenset(r.get("sectors", ())),
                max_travel_km=float(r["max_travel_km"]),
                home=_point(r.get("home")),
                preferences=tuple(int(x) for x in r.get("preferences", ())),
                priority=int(r.get("priority", 1)),
                load_override=None if r.get("load_override") is None else float(r["load_override"]),
                peer_mentor=bool(r.get("peer_mentor", False)),
                excluded_plekken=frozenset(int(x) for x in r.get("excluded_plekken", ())),
            )
            for r in d["requests"]
        ),
        plekken=tuple(
            Plek(
                id=int(x["id"]),
                organisation_id=int(x["organisation_id"]),
                location_id=int(x["location_id"]),
                location=_point(x["location"]),  # type: ignore[arg-type]
                sector=x["sector"],
                opleiding_ids=frozenset(int(o) for o in x["opleiding_ids"]),
                seats=int(x["seats"]),
                start=date.fromisoformat(x["start"]),
                end=date.fromisoformat(x["end"]),
                is_leerafdeling=bool(x.get("is_leerafdeling", False)),
            )
            for x in d["plekken"]
        ),
        sources=tuple(
            Source(
                id=int(s["id"]),
                kind=s["kind"],
                hours_per_week=float(s["hours_per_week"]),
                start=date.fromisoformat(s["start"]),
                end=date.fromisoformat(s["end"]),
                max_students=None if s.get("max_students") is None else int(s["max_students"]),
                group_factor=float(s.get("group_factor", 1.0)),
                location_id=None if s.get("location_id") is None else int(s["location_id"]),
                plek_id=None if s.get("plek_id") is None else int(s["plek_id"]),
                school_id=None if s.get("school_id") is None else int(s["school_id"]),
            )
            for s in d["sources"]
        ),
        existing=tuple(
            ExistingPlacement(
                request_id=int(e["request_id"]),
                plek_id=int(e["plek_id"]),
                fixed=bool(e["fixed"]),
                draws=tuple(_draw_from(x) for x in e.get("draws", ())),
            )
            for e in opt("existing", ())
        ),
    )


def result_to_dict(r: Result) -> dict[str, Any]:
    return {
        "format": RESULT_FORMAT,
        "version": VERSION,
        "assignments": [
            {"request_id": a.request_id, "plek_id": a.plek_id, "draws": [_draw(d) for d in a.draws]}
            for a in r.assignments
        ],
        "unplaced": [
            {
                "request_id": u.request_id,
                "reason": u.reason,
                "criterion": u.criterion,
                "binding_plekken": list(u.binding_plekken),
                "binding_sources": list(u.binding_sources),
                "suggestion": u.suggestion,
            }
            for u in r.unplaced
        ],
        "objective": r.objective,
        "upper_bound": r.upper_bound,
        "gap": r.gap,
        "stats": r.stats,
    }


def result_from_dict(d: dict[str, Any]) -> Result:
    if d.get("format", RESULT_FORMAT) != RESULT_FORMAT:
        raise ValueError(f"not a {RESULT_FORMAT} document")
    return Result(
        assignments=tuple(
            Assignment(
                int(a["request_id"]),
                int(a["plek_id"]),
                tuple(_draw_from(x) for x in a.get("draws", ())),
            )
            for a in d["assignments"]
        ),
        unplaced=tuple(
            Unplaced(
                request_id=int(u["request_id"]),
                reason=u["reason"],
                criterion=u.get("criterion"),
                binding_plekken=tuple(int(x) for x in u.get("binding_plekken", ())),
                binding_sources=tuple(int(x) for x in u.get("binding_sources", ())),
                suggestion=u.get("suggestion", ""),
            )
            for u in d["unplaced"]
        ),
        objective=dict(d.get("objective", {})),
        upper_bound=float(d.get("upper_bound", 0.0)),
        gap=float(d.get("gap", 0.0)),
        stats=dict(d.get("stats", {})),
    )


def problem_to_json(p: Problem, indent: int | None = None) -> str:
    return json.dumps(problem_to_dict(p), indent=indent)


def problem_from_json(s: str | bytes) -> Problem:
    return problem_from_dict(json.loads(s))


def result_to_json(r: Result, indent: int | None = None) -> str:
    return json.dumps(result_to_dict(r), indent=indent)


def result_from_json(s: str | bytes) -> Result:
    return result_from_dict(json.loads(s))
