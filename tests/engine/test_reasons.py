"""Every reason code for an unplaced request, with the binding rows and the remedy."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from coordination.engine import solve

from .helpers import plek, problem, req, src


@pytest.mark.parametrize(
    ("request_kw", "plek_kw", "criterion"),
    [
        ({}, {"opleiding_ids": frozenset({2})}, "opleiding"),
        ({}, {"start": date(2026, 9, 14)}, "period"),
        ({"sectors": frozenset({"GGZ"})}, {}, "sector"),
        ({"home": (52.5, 5.12), "max_travel_km": 20.0}, {}, "travel"),
    ],
)
def test_no_eligible_plek_names_the_criterion(request_kw, plek_kw, criterion):  # type: ignore[no-untyped-def]
    r = solve(problem([req(1, **request_kw)], [plek(10, **plek_kw)], [src(100)]))
    (u,) = r.unplaced
    assert (u.reason, u.criterion) == ("no_eligible_plek", criterion)
    assert r.assignments == ()


def test_criterion_is_the_one_that_removed_the_last_candidates():
    # Plek 10 has the opleiding but starts too late; plek 11 lacks the opleiding.
    p = problem(
        [req(1)],
        [plek(10, start=date(2026, 9, 14)), plek(11, opleiding_ids=frozenset({2}))],
        [src(100)],
    )
    (u,) = solve(p).unplaced
    assert u.criterion == "period"


def test_seats_full_names_the_plekken_and_asks_for_a_seat():
    p = problem([req(1), req(2)], [plek(10)], [src(100, hours=8.0)])
    r = solve(p)
    (u,) = r.unplaced
    assert u.reason == "seats_full"
    assert u.binding_plekken == (10,)
    assert "1 more seat at plek 10" in u.suggestion


def test_supervision_full_names_sources_and_the_missing_hours():
    p = problem([req(1), req(2)], [plek(10, seats=2)], [src(100, hours=3.0)])
    r = solve(p)
    (u,) = r.unplaced
    assert u.reason == "supervision_full"
    assert u.binding_sources == (100,)
    assert u.binding_plekken == (10,)
    assert u.suggestion.startswith("1.0 more supervision hours a week at location 1")
    # The remedy works: one more hour at that location places it.
    more = replace(p, sources=(*p.sources, src(101, hours=1.0)))
    assert len(solve(more).assignments) == 2
