from __future__ import annotations

from coordination.engine import capacity_report, check_feasibility, run_scenario, solve

from .helpers import plek, problem, req, src


def region():  # type: ignore[no-untyped-def]
    first = req(1, doelgroep="eerstejaars")  # load 4: 2 werkbegeleider + 2 peer
    mentor = req(2, peer_mentor=True)  # load 2
    other = req(3, school_id=2)  # load 2, only the teacher of school 2 is left
    return problem(
        [first, mentor, other],
        [plek(10, seats=3)],
        [
            src(100, hours=4.0),
            src(101, "student_ondersteuner", 0.0),
            src(102, "docent_begeleider", 2.0, school_id=2),
        ],
    )


def test_scenario_adding_a_source_places_more_and_names_them():
    p = problem([req(1), req(2)], [plek(10, seats=2)], [src(100, hours=2.0)])
    sc = run_scenario(p, add_sources=[src(200, "regionale_pool", 2.0)])
    assert sc.placed_delta == 1
    assert len(sc.newly_placed) == 1 and sc.newly_unplaced == ()
    assert check_feasibility(p, sc.base) == []


def test_scenario_removing_a_plek_loses_its_placements():
    p = problem(
        [req(1), req(2)],
        [plek(10), plek(11, location_id=2)],
        [src(100, hours=8.0), src(101, hours=8.0, location_id=2)],
    )
    sc = run_scenario(p, remove_plek_ids=[11])
    assert sc.placed_delta == -1
    assert len(sc.newly_unplaced) == 1
    assert all(a.plek_id == 10 for a in sc.scenario.assignments)


def test_capacity_report_per_begeleidingsvorm():
    p = region()
    res = solve(p)
    assert len(res.assignments) == 3
    rows = {r.kind: r for r in capacity_report(p, res)}
    assert set(rows) == {"werkbegeleider", "student_ondersteuner", "docent_begeleider"}
    assert rows["student_ondersteuner"].placements_carried == 1
    assert rows["student_ondersteuner"].hours_per_week == 2.0
    # Without peers the eerstejaars lacks 2 hours: one placement lost.
    assert rows["student_ondersteuner"].placements_lost_without == 1
    # Without the teacher the school-2 student has no supervision.
    assert rows["docent_begeleider"].placements_carried == 1
    assert rows["docent_begeleider"].placements_lost_without == 1
    # Without the werkbegeleider nobody but the school-2 student can be carried.
    assert rows["werkbegeleider"].placed_without == 1
    assert rows["werkbegeleider"].placements_lost_without == 2


def test_incremental_rerun_keeps_proposals_and_places_the_new_request():
    from dataclasses import replace

    from coordination.engine import ExistingPlacement

    p = problem(
        [req(1), req(2), req(3)],
        [plek(10, seats=2), plek(11, location_id=2)],
        [src(100, hours=4.0), src(101, hours=2.0, location_id=2)],
    )
    first = solve(p, exact=False)
    assert len(first.assignments) == 3
    ex = tuple(
        ExistingPlacement(a.request_id, a.plek_id, False, a.draws) for a in first.assignments
    )
    p2 = replace(p, requests=(*p.requests, req(4)), existing=ex)
    again = solve(p2, previous=first)
    assert check_feasibility(p2, again) == []
    assert again.objective["proposals_kept"] == 3
    (u,) = again.unplaced
    assert u.request_id == 4 and u.reason == "seats_full"
    more = replace(
        p2,
        plekken=(*p2.plekken, plek(12, location_id=3)),
        sources=(*p2.sources, src(102, hours=2.0, location_id=3)),
    )
    third = solve(more, previous=first)
    assert {a.request_id: a.plek_id for a in third.assignments}[4] == 12
