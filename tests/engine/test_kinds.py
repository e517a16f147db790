"""Each supervision kind on a hand-made instance whose answer is known."""

from __future__ import annotations

from datetime import date

from coordination.engine import check_feasibility, solve

from .helpers import END, START, fixed, plek, problem, req, src


def placed(p):  # type: ignore[no-untyped-def]
    r = solve(p)
    assert check_feasibility(p, r) == []
    return r, {a.request_id: a for a in r.assignments}


def test_werkbegeleider_hours_limit_placements():
    p = problem([req(1), req(2), req(3)], [plek(10, seats=3)], [src(100, hours=4.0)])
    r, got = placed(p)
    assert len(got) == 2  # 2 + 2 hours of 4
    assert r.upper_bound == 2
    assert r.unplaced[0].reason == "supervision_full"


def test_werkbegeleider_max_students():
    p = problem([req(1), req(2)], [plek(10, seats=2)], [src(100, hours=20.0, max_students=1)])
    r, got = placed(p)
    assert len(got) == 1
    assert r.unplaced[0].reason == "supervision_full"
    assert r.unplaced[0].binding_sources == (100,)


def test_group_form_costs_each_student_less():
    # 2.4 hours at group factor 0.6 carry 4 load hours: two ouderejaars of 2 hours.
    group = problem(
        [req(1), req(2)],
        [plek(10, seats=2)],
        [src(100, "senior_werkbegeleider", 2.4, group_factor=0.6)],
    )
    _, got = placed(group)
    assert len(got) == 2
    assert got[1].draws[0].load_hours == 2.0
    assert abs(got[1].draws[0].source_hours - 1.2) < 1e-9
    single = problem([req(1), req(2)], [plek(10, seats=2)], [src(100, "werkbegeleider", 2.4)])
    _, got = placed(single)
    assert len(got) == 1


def test_peer_mentor_adds_capacity_for_eerstejaars_at_that_location():
    first = req(1, doelgroep="eerstejaars")  # load 4
    mentor = req(2, peer_mentor=True)  # ouderejaars, load 2
    sources = [src(100, hours=4.0), src(101, "student_ondersteuner", 0.0)]
    _, got = placed(problem([first, mentor], [plek(10, seats=2)], sources))
    assert set(got) == {1, 2}
    peer = [d for d in got[1].draws if d.source_id == 101]
    assert peer and peer[0].load_hours == 2.0  # peer_share 0.5 of 4
    # Without a mentor the same hours place only one of them.
    _, got = placed(problem([first, req(2)], [plek(10, seats=2)], sources))
    assert len(got) == 1


def test_peer_capacity_needs_the_mentor_in_every_week():
    first = req(1, doelgroep="eerstejaars")
    mentor = req(2, peer_mentor=True, end=date(2026, 10, 30))
    sources = [src(100, hours=4.0), src(101, "student_ondersteuner", 0.0)]
    _, got = placed(problem([first, mentor], [plek(10, seats=2)], sources))
    assert len(got) == 1


def test_peer_capacity_stays_at_its_location():
    first = req(1, doelgroep="eerstejaars")
    mentor = req(2, peer_mentor=True)
    p = problem(
        [first, mentor],
        [plek(10), plek(11, location_id=2)],
        [
            src(100, hours=2.0),  # location 1: the eerstejaars' half
            src(101, "student_ondersteuner", 0.0),  # location 1
            src(102, hours=2.0, location_id=2),  # location 2: the mentor
        ],
    )
    _, got = placed(p)
    # The mentor can only go to location 2 (location 1 has 2 hours), so no peers at 1.
    assert len(got) == 1


def test_docent_begeleider_carries_only_its_school():
    p = problem(
        [req(1, school_id=1), req(2, school_id=2)],
        [plek(10, seats=2)],
        [src(100, "docent_begeleider", 4.0, school_id=1)],
    )
    r, got = placed(p)
    assert set(got) == {1}
    assert r.unplaced[0].request_id == 2 and r.unplaced[0].reason == "supervision_full"


def test_regional_pool_carries_any_location():
    p = problem(
        [req(1), req(2)],
        [plek(10), plek(11, location_id=2)],
        [src(100, "regionale_pool", 4.0)],
    )
    _, got = placed(p)
    assert set(got) == {1, 2}


def test_leerafdeling_carries_only_its_plek():
    p = problem(
        [req(1, preferences=(11,)), req(2)],
        [plek(10, is_leerafdeling=True), plek(11)],
        [src(100, "leerafdeling", 4.0, plek_id=10)],
    )
    _r, got = placed(p)
    assert len(got) == 1 and next(iter(got.values())).plek_id == 10


def test_hours_are_counted_week_by_week():
    autumn = req(1, end=date(2026, 10, 30))
    winter = req(2, start=date(2026, 11, 2))
    overlapping = req(3, start=date(2026, 10, 26))
    p = problem([autumn, winter, overlapping], [plek(10, seats=3)], [src(100, hours=2.0)])
    _, got = placed(p)
    assert set(got) == {1, 2}


def test_a_source_must_cover_all_weeks_of_a_placement():
    p = problem([req(1)], [plek(10)], [src(100, hours=8.0, end=date(2026, 10, 30))])
    r, got = placed(p)
    assert got == {}
    assert r.unplaced[0].reason == "supervision_full"
    assert r.unplaced[0].binding_sources == (100,)


def test_load_override_replaces_the_doelgroep_default():
    p = problem([req(1, load_override=3.0)], [plek(10)], [src(100, hours=2.5)])
    _, got = placed(p)
    assert got == {}
    p = problem(
        [req(1, load_override=1.0), req(2, load_override=1.5)],
        [plek(10, seats=2)],
        [src(100, hours=2.5)],
    )
    _, got = placed(p)
    assert set(got) == {1, 2}
    assert sum(d.load_hours for d in got[2].draws) == 1.5


def test_priority_wins_the_last_seat():
    p = problem([req(1), req(2, priority=2)], [plek(10)], [src(100, hours=8.0)])
    r, got = placed(p)
    assert set(got) == {2}
    assert r.objective["placed_weighted"] == 2.0


def test_ranked_preference_is_honoured_when_placed_count_allows():
    p = problem(
        [req(1, preferences=(11, 10))],
        [plek(10), plek(11, location_id=2)],
        [src(100, hours=8.0), src(101, hours=8.0, location_id=2)],
    )
    _, got = placed(p)
    assert got[1].plek_id == 11


def test_fixed_placement_never_moves_even_when_another_plek_is_better():
    p = problem(
        [req(1, preferences=(11,)), req(2, preferences=(10,), priority=2)],
        [plek(10), plek(11)],
        [src(100, hours=8.0)],
        existing=[fixed(1, 10)],
    )
    _, got = placed(p)
    assert got[1].plek_id == 10
    assert got[2].plek_id == 11


def test_period_constants_in_helpers_are_sane():
    assert START.isocalendar()[1] == 37 and END.isocalendar()[1] == 51


def test_an_unknown_supervision_kind_is_refused_not_dropped():
    import pytest

    p = problem([req(1)], [plek(10)], [src(100, hours=4.0), src(101, "buddy", 4.0)])
    with pytest.raises(ValueError, match=r"unknown supervision kind 'buddy' \(source 101\)"):
        solve(p)
