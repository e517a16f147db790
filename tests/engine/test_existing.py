"""Confirmed placements (problem.existing, fixed): kept, and drawn so that they fit."""

from __future__ import annotations

from coordination.engine import check_feasibility, solve

from .helpers import fixed, plek, problem, req, src


def test_confirmed_placements_fit_together_when_a_mentor_is_among_them():
    # Found by the property test in test_location_bound.py: the first-year's confirmed
    # placement, drawn first, took the one student place of werkbegeleider 103 that the
    # mentor needed, and the mentor's was then kept overloaded. Mentors go first now.
    p = problem(
        [req(2, doelgroep="eerstejaars"), req(4, peer_mentor=True)],
        [plek(11), plek(12)],
        [
            src(100, hours=2.0, group_factor=0.6),
            src(101, kind="student_ondersteuner", hours=1.0),
            src(102, kind="docent_begeleider", hours=1.0, school_id=1),
            src(103, hours=4.0, max_students=1),
        ],
        existing=[fixed(2, 12), fixed(4, 11)],
    )
    res = solve(p, exact=False)
    assert check_feasibility(p, res) == []
    assert res.stats["warnings"] == []
    assert {(a.request_id, a.plek_id) for a in res.assignments} == {(2, 12), (4, 11)}
