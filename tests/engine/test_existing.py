"""Confirmed placements (problem.existing, fixed): kept, and drawn so that they fit."""

from __future__ import annotations

import pytest

from coordination.engine import check_feasibility, solve
from coordination.engine.model import Draw, ExistingPlacement

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


GONE = (Draw(99, 2.0, 2.0),)  # drawn on a source the problem no longer has


@pytest.mark.parametrize(
    "second_draws",
    [
        # Request 1's placement needs new draws, and the werkbegeleider (first in its
        # scope) would take the hours request 2's placement still draws there: request 2
        # keeps its draws first, then request 1 gets its school's docent-begeleider.
        pytest.param((Draw(100, 2.0, 2.0),), id="one-keeps-its-draws"),
        # Both need new draws. Drawn one by one in request order, request 1 takes the
        # werkbegeleider request 2 needs; the exact model over the confirmed placements
        # alone finds the fit.
        pytest.param(GONE, id="both-drawn-anew"),
    ],
)
def test_confirmed_placements_fit_together_where_a_fit_exists(second_draws):
    p = problem(
        [req(1, school_id=1), req(2, school_id=2), req(3, school_id=2)],
        [plek(11), plek(12), plek(13)],
        [src(100, hours=2.0), src(101, kind="docent_begeleider", hours=2.0, school_id=1)],
        existing=[
            ExistingPlacement(1, 11, fixed=True, draws=GONE),
            ExistingPlacement(2, 12, fixed=True, draws=second_draws),
        ],
    )
    res = solve(p, exact=False)
    assert check_feasibility(p, res) == []
    assert res.stats["warnings"] == []
    draws = {a.request_id: [d.source_id for d in a.draws] for a in res.assignments}
    assert draws == {1: [101], 2: [100]}  # request 3 finds no supervision left


def test_confirmed_placements_beyond_what_is_left_are_kept_and_said():
    # The werkbegeleider's hours were cut below what was confirmed: no draws fit both.
    # Confirmed placements are never dropped; the one that does not fit is named.
    p = problem(
        [req(1), req(2)],
        [plek(11), plek(12)],
        [src(100, hours=2.0)],
        existing=[fixed(1, 11), fixed(2, 12)],
    )
    res = solve(p, exact=False)
    assert {(a.request_id, a.plek_id) for a in res.assignments} == {(1, 11), (2, 12)}
    assert res.stats["warnings"] == [
        "confirmed placement of request 2 at plek 12 exceeds seats or supervision; kept as it is"
    ]
    assert [v.code for v in check_feasibility(p, res)] == ["source_hours"]  # the one overload
