"""Feasibility checker for any allocation, written apart from the solver.

It re-derives every rule of the capacity model (DESIGN.md) with plain loops over
dates and dictionaries and shares no code with the solver beyond the dataclasses,
so a bug in the solver's indexing or eligibility cannot hide itself here.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from .model import LOCATION_KINDS, Assignment, Problem, Result

TOL = 1e-6


@dataclass(frozen=True, slots=True)
class Violation:
    code: str
    message: str
    request_id: int | None = None
    plek_id: int | None = None
    source_id: int | None = None


def _iso_week(d: date) -> tuple[int, int]:
    y, w, _ = d.isocalendar()
    return (y, w)


def _weeks(start: date, end: date) -> list[tuple[int, int]]:
    """All ISO weeks from the week of start to the week of end, inclusive."""
    out = []
    monday = date.fromordinal(start.toordinal() - start.weekday())
    while monday <= end:
        out.append(_iso_week(monday))
        monday = date.fromordinal(monday.toordinal() + 7)
    return out


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


def check_feasibility(problem: Problem, result: Result) -> list[Violation]:
    """Every way ``result`` breaks the capacity model for ``problem``; empty when feasible."""
    out: list[Violation] = []
    reqs = {r.id: r for r in problem.requests}
    pleks = {p.id: p for p in problem.plekken}
    srcs = {s.id: s for s in problem.sources}
    st = problem.settings

    def bad(code: str, msg: str, **kw: int | None) -> None:
        out.append(Violation(code, msg, **kw))

    # Rule 4: each request at most once, and accounted for exactly once.
    seen: dict[int, str] = {}
    for a in result.assignments:
        if a.request_id not in reqs:
            bad("unknown_request", f"assignment for unknown request {a.request_id}")
        elif a.request_id in seen:
            bad("duplicate", f"request {a.request_id} appears twice", request_id=a.request_id)
        seen[a.request_id] = "placed"
    for u in result.unplaced:
        if u.request_id in seen:
            bad("duplicate", f"request {u.request_id} placed and unplaced", request_id=u.request_id)
        seen[u.request_id] = "unplaced"
    for rid in reqs:
        if rid not in seen:
            bad("missing", f"request {rid} is neither placed nor unplaced", request_id=rid)

    placed: dict[int, Assignment] = {}
    for a in result.assignments:
        if a.request_id in reqs:
            placed.setdefault(a.request_id, a)  # a duplicate is reported above
    for e in problem.existing:
        if e.fixed and (e.request_id not in placed or placed[e.request_id].plek_id != e.plek_id):
            bad(
                "fixed_moved",
                f"confirmed placement of request {e.request_id} at plek {e.plek_id} moved",
                request_id=e.request_id,
                plek_id=e.plek_id,
            )

    confirmed = {(e.request_id, e.plek_id) for e in problem.existing if e.fixed}
    seat_use: dict[tuple[int, tuple[int, int]], int] = defaultdict(int)
    hours_use: dict[tuple[int, tuple[int, int]], float] = defaultdict(float)
    student_use: dict[tuple[int, tuple[int, int]], int] = defaultdict(int)
    mentors: dict[tuple[int, tuple[int, int]], int] = defaultdict(int)  # (location, week)

    for a in placed.values():
        r = reqs[a.request_id]
        p = pleks.get(a.plek_id)
        if p is None:
            bad("unknown_plek", f"request {r.id} at unknown plek {a.plek_id}", request_id=r.id)
            continue
        kw = {"request_id": r.id, "plek_id": p.id}
        # Rule 1: eligibility.
        if r.opleiding_id not in p.opleiding_ids:
            bad("opleiding", f"plek {p.id} does not take opleiding {r.opleiding_id}", **kw)
        rweeks = _weeks(r.start, r.end)
        if _iso_week(p.start) > rweeks[0] or _iso_week(p.end) < rweeks[-1]:
            bad("period", f"plek {p.id} period does not cover request {r.id}", **kw)
        if r.sectors and p.sector not in r.sectors:
            bad("sector", f"plek {p.id} sector {p.sector} not wanted by request {r.id}", **kw)
        if r.home is not None and _km(r.home, p.location) > r.max_travel_km + 1e-6:
            bad("travel", f"plek {p.id} too far for request {r.id}", **kw)
        if p.id in r.excluded_plekken and (r.id, p.id) not in confirmed:
            bad("refused", f"plek {p.id} is excluded for request {r.id}", **kw)
        for w in rweeks:
            seat_use[(p.id, w)] += 1
        if r.peer_mentor and r.doelgroep == "ouderejaars":
            for w in rweeks:
                mentors[(p.location_id, w)] += 1

        # Rule 3: the load is carried, by sources in scope, for all weeks.
        raw_load = (
            float(r.load_override)
            if r.load_override is not None
            else float(st.doelgroep_loads[r.doelgroep])
        )
        # Hours are counted in hundredths (model.HOURS_UNIT); a load is rounded up to them.
        load = math.ceil(raw_load * 100 - TOL) / 100
        total = 0.0
        peer_total = 0.0
        used_sources = set()
        for d in a.draws:
            s = srcs.get(d.source_id)
            skw = {**kw, "source_id": d.source_id}
            if s is None:
                bad("unknown_source", f"draw from unknown source {d.source_id}", **skw)
                continue
            if d.source_id in used_sources:
                bad("duplicate_draw", f"two draws from source {s.id}", **skw)
            used_sources.add(d.source_id)
            if d.load_hours < TOL:
                bad("draw_not_positive", f"draw of {d.load_hours} h from source {s.id}", **skw)
            if abs(d.load_hours * 100 - round(d.load_hours * 100)) > TOL:
                bad("draw_unit", f"draw of {d.load_hours} h is not whole hundredths", **skw)
            if abs(d.source_hours - round(d.load_hours * s.group_factor, 4)) > TOL:
                bad("draw_cost", f"source_hours != load_hours * group_factor for {s.id}", **skw)
            total += d.load_hours
            if s.kind in LOCATION_KINDS:
                in_scope = s.location_id == p.location_id
            elif s.kind == "leerafdeling":
                in_scope = s.plek_id == p.id
            elif s.kind == "docent_begeleider":
                in_scope = s.school_id == r.school_id
            elif s.kind == "regionale_pool":
                in_scope = True
            else:
                in_scope = False
            if s.kind == "student_ondersteuner":
                if r.doelgroep != "eerstejaars":
                    in_scope = False
                peer_total += d.load_hours
            if not in_scope:
                bad("scope", f"source {s.id} ({s.kind}) may not carry request {r.id}", **skw)
            if _iso_week(s.start) > rweeks[0] or _iso_week(s.end) < rweeks[-1]:
                bad("source_period", f"source {s.id} not available for all weeks", **skw)
            for w in rweeks:
                hours_use[(s.id, w)] += d.source_hours
                student_use[(s.id, w)] += 1
        if abs(total - load) > TOL:
            bad("load", f"request {r.id} draws {total:.6f} h, needs {load:.6f} h", **kw)
        if peer_total > st.peer_share * load + TOL:
            bad("peer_share", f"request {r.id} draws too much from peer mentors", **kw)

    # Rule 2: seats, every week. One violation per plek or source (its first
    # bad week), not one per week.
    seen_bad: set[tuple[str, int]] = set()
    for (pid, w), n in sorted(seat_use.items()):
        if pid in pleks and n > pleks[pid].seats and ("seats", pid) not in seen_bad:
            seen_bad.add(("seats", pid))
            bad("seats", f"plek {pid} holds {n} > {pleks[pid].seats} in week {w}", plek_id=pid)
    # Rule 3: source hours and students, every week.
    for (sid, w), h in sorted(hours_use.items()):
        s = srcs[sid]
        if s.kind == "student_ondersteuner":
            cap = (
                st.peer_hours * mentors.get((s.location_id, w), 0)
                if s.location_id is not None
                else 0.0
            )
        else:
            cap = s.hours_per_week
        if h > cap + TOL and ("hours", sid) not in seen_bad:
            seen_bad.add(("hours", sid))
            msg = f"source {sid} carries {h:.4f} > {cap:.4f} h in week {w}"
            bad("source_hours", msg, source_id=sid)
        over = s.max_students is not None and student_use[(sid, w)] > s.max_students
        if over and ("students", sid) not in seen_bad:
            seen_bad.add(("students", sid))
            bad("max_students", f"source {sid} has too many students in week {w}", source_id=sid)
    return out
