from __future__ import annotations

from dataclasses import replace
from datetime import date

from coordination.engine.checker import check_feasibility
from coordination.engine.model import Assignment, Draw, Result, Unplaced

from .helpers import END, START, fixed, plek, problem, req, src


def codes(p, assignments, unplaced=()):  # type: ignore[no-untyped-def]
    res = Result(tuple(assignments), tuple(unplaced))
    return sorted({v.code for v in check_feasibility(p, res)})


def test_feasible_allocation_has_no_violations():
    p = problem([req(1), req(2)], [plek(10, seats=2)], [src(100, hours=4.0)])
    a = [
        Assignment(1, 10, (Draw(100, 2.0, 2.0),)),
        Assignment(2, 10, (Draw(100, 2.0, 2.0),)),
    ]
    assert codes(p, a) == []


def test_seats_counted_per_week_so_consecutive_requests_share_a_seat():
    first = req(1, start=START, end=date(2026, 10, 30))
    second = req(2, start=date(2026, 11, 2), end=END)
    overlapping = req(3, start=date(2026, 10, 26), end=END)
    p = problem([first, second, overlapping], [plek(10)], [src(100, hours=10.0)])
    d = (Draw(100, 2.0, 2.0),)
    assert codes(p, [Assignment(1, 10, d), Assignment(2, 10, d)], [Unplaced(3, "seats_full")]) == []
    assert codes(p, [Assignment(1, 10, d), Assignment(3, 10, d)], [Unplaced(2, "seats_full")]) == [
        "seats"
    ]


def test_source_hours_and_group_factor():
    p = problem(
        [req(1), req(2)], [plek(10, seats=2)], [src(100, "leercoach", 2.0, group_factor=0.5)]
    )
    ok = (Draw(100, 2.0, 1.0),)
    assert codes(p, [Assignment(1, 10, ok), Assignment(2, 10, ok)]) == []
    wrong_cost = (Draw(100, 2.0, 2.0),)
    assert "draw_cost" in codes(p, [Assignment(1, 10, wrong_cost)], [Unplaced(2, "x")])
    p2 = replace(p, sources=(src(100, "leercoach", 1.5, group_factor=0.5),))
    assert codes(p2, [Assignment(1, 10, ok), Assignment(2, 10, ok)]) == ["source_hours"]


def test_max_students():
    p = problem([req(1), req(2)], [plek(10, seats=2)], [src(100, hours=20.0, max_students=1)])
    d = (Draw(100, 2.0, 2.0),)
    assert codes(p, [Assignment(1, 10, d), Assignment(2, 10, d)]) == ["max_students"]


def test_load_must_be_carried_fully_and_in_scope():
    p = problem(
        [req(1)],
        [plek(10), plek(11, location_id=2)],
        [src(100, location_id=2), src(101, "docent_begeleider", school_id=9)],
    )
    assert codes(p, [Assignment(1, 10, (Draw(100, 2.0, 2.0),))]) == ["scope"]
    assert codes(p, [Assignment(1, 10, (Draw(101, 2.0, 2.0),))]) == ["scope"]
    assert codes(p, [Assignment(1, 11, (Draw(100, 1.0, 1.0),))]) == ["load"]
    assert codes(p, [Assignment(1, 11, (Draw(100, 2.0, 2.0),))]) == []


def test_peer_capacity_exists_only_with_a_mentor_and_only_for_eerstejaars():
    first = req(1, doelgroep="eerstejaars")
    mentor = req(2, peer_mentor=True)
    p = problem(
        [first, mentor],
        [plek(10, seats=2)],
        [src(100, hours=10.0), src(101, "student_ondersteuner", 0.0)],
    )
    half = (Draw(100, 2.0, 2.0), Draw(101, 2.0, 2.0))
    m = Assignment(2, 10, (Draw(100, 2.0, 2.0),))
    assert codes(p, [Assignment(1, 10, half), m]) == []
    # Without the mentor placed there is no peer capacity.
    assert codes(p, [Assignment(1, 10, half)], [Unplaced(2, "x")]) == ["source_hours"]
    # More than peer_share of the load from peers.
    most = (Draw(100, 1.0, 1.0), Draw(101, 3.0, 3.0))
    assert "peer_share" in codes(p, [Assignment(1, 10, most), m])
    # An ouderejaars may not lean on peers.
    assert "scope" in codes(p, [Assignment(1, 10, half), Assignment(2, 10, half)])


def test_eligibility_rules():
    p = problem(
        [req(1, sectors=frozenset({"GGZ"}), max_travel_km=5.0, home=(52.5, 5.12))],
        [plek(10, opleiding_ids=frozenset({2}), start=date(2026, 9, 14))],
        [src(100)],
    )
    got = codes(p, [Assignment(1, 10, (Draw(100, 2.0, 2.0),))])
    assert got == ["opleiding", "period", "sector", "travel"]


def test_period_is_counted_in_iso_weeks():
    # The plek starts on the Wednesday of the request's first week: same ISO week.
    p = problem([req(1)], [plek(10, start=date(2026, 9, 9))], [src(100, start=date(2026, 9, 11))])
    assert codes(p, [Assignment(1, 10, (Draw(100, 2.0, 2.0),))]) == []
    late = replace(p, sources=(src(100, start=date(2026, 9, 14)),))
    assert codes(late, [Assignment(1, 10, (Draw(100, 2.0, 2.0),))]) == ["source_period"]


def test_each_request_once_and_fixed_placements_stay():
    p = problem([req(1), req(2)], [plek(10), plek(11)], [src(100)], existing=[fixed(1, 10)])
    d = (Draw(100, 2.0, 2.0),)
    assert codes(p, [Assignment(1, 11, d)], [Unplaced(2, "x")]) == ["fixed_moved"]
    assert codes(p, [Assignment(1, 10, d)]) == ["missing"]
    assert codes(p, [Assignment(1, 10, d), Assignment(1, 11, d)], [Unplaced(2, "x")]) == [
        "duplicate"
    ]
