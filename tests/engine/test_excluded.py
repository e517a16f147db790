"""Request.excluded_plekken: plekken a request must never be placed at."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from coordination.engine import check_feasibility, problem_from_json, problem_to_json, solve
from coordination.engine.model import Assignment, Draw, ExistingPlacement, Result, Unplaced

from .helpers import fixed, plek, problem, req, src


def two_plekken(**request_kw):  # type: ignore[no-untyped-def]
    # Plek 10 is the first choice; both are at location 1 with one supervisor.
    return problem(
        [req(1, preferences=(10, 11), **request_kw)],
        [plek(10), plek(11)],
        [src(100, hours=8.0)],
    )


@pytest.mark.parametrize("use_exact", [True, False])
def test_an_excluded_plek_is_never_used(use_exact):  # type: ignore[no-untyped-def]
    p = two_plekken(excluded_plekken=frozenset({10}))
    r = solve(p, exact=use_exact)
    assert [(a.request_id, a.plek_id) for a in r.assignments] == [(1, 11)]
    assert check_feasibility(p, r) == []


@pytest.mark.parametrize("use_exact", [True, False])
def test_every_candidate_excluded_is_reported_as_refused(use_exact):  # type: ignore[no-untyped-def]
    p = two_plekken(excluded_plekken=frozenset({10, 11, 999}))  # 999: unknown, ignored
    r = solve(p, exact=use_exact)
    (u,) = r.unplaced
    assert (u.reason, u.criterion) == ("no_eligible_plek", "refused")
    assert "declined" in u.suggestion
    assert r.assignments == () and r.upper_bound == 0


def test_an_earlier_criterion_wins_over_refused():
    # The only plek is too far anyway: travel removed the last candidate first.
    p = problem(
        [req(1, home=(52.5, 5.12), max_travel_km=20.0, excluded_plekken=frozenset({10}))],
        [plek(10)],
        [src(100)],
    )
    (u,) = solve(p).unplaced
    assert u.criterion == "travel"


def test_checker_rejects_a_placement_at_an_excluded_plek():
    p = two_plekken(excluded_plekken=frozenset({10}))
    bad = Result((Assignment(1, 10, (Draw(100, 2.0, 2.0),)),), ())
    assert [v.code for v in check_feasibility(p, bad)] == ["refused"]
    # A confirmed placement there is kept, and is not a violation.
    confirmed = replace(p, existing=(fixed(1, 10),))
    assert check_feasibility(confirmed, bad) == []
    # A proposal there is no excuse.
    proposed = replace(p, existing=(fixed(1, 10, proposed=True),))
    assert [v.code for v in check_feasibility(proposed, bad)] == ["refused"]


@pytest.mark.parametrize("use_exact", [True, False])
def test_a_confirmed_placement_at_an_excluded_plek_stays(use_exact):  # type: ignore[no-untyped-def]
    p = replace(two_plekken(excluded_plekken=frozenset({10})), existing=(fixed(1, 10),))
    r = solve(p, exact=use_exact)
    assert [(a.request_id, a.plek_id) for a in r.assignments] == [(1, 10)]
    assert check_feasibility(p, r) == []


@pytest.mark.parametrize("use_exact", [True, False])
def test_a_refused_proposal_is_dropped_and_the_request_placed_elsewhere(use_exact):  # type: ignore[no-untyped-def]
    p = replace(
        two_plekken(excluded_plekken=frozenset({10})), existing=(fixed(1, 10, proposed=True),)
    )
    r = solve(p, exact=use_exact)
    assert [(a.request_id, a.plek_id) for a in r.assignments] == [(1, 11)]
    assert check_feasibility(p, r) == []


def test_warm_start_replaces_a_refused_proposal():
    base = problem(
        [req(1, preferences=(10, 11)), req(2, preferences=(10, 11))],
        [plek(10), plek(11)],
        [src(100, hours=8.0)],
    )
    first = solve(base, exact=False)
    at = {a.request_id: a.plek_id for a in first.assignments}
    assert set(at) == {1, 2}
    # The organisation of request 1's plek declines it: the proposal is dropped
    # and the warm start places request 1 again, moving request 2 (an ejection
    # chain) to make room at the other plek.
    refused = at[1]
    reqs = tuple(
        replace(r, excluded_plekken=frozenset({refused})) if r.id == 1 else r for r in base.requests
    )
    again = replace(
        base,
        requests=reqs,
        existing=tuple(
            ExistingPlacement(a.request_id, a.plek_id, False, a.draws) for a in first.assignments
        ),
    )
    r = solve(again, previous=first)
    assert check_feasibility(again, r) == []
    where = {a.request_id: a.plek_id for a in r.assignments}
    assert set(where) == {1, 2} and where[1] != refused


def test_json_round_trip_and_default():
    p = two_plekken(excluded_plekken=frozenset({11, 10}))
    doc = json.loads(problem_to_json(p))
    assert doc["requests"][0]["excluded_plekken"] == [10, 11]
    assert problem_from_json(json.dumps(doc)) == p
    del doc["requests"][0]["excluded_plekken"]  # optional: older documents
    assert problem_from_json(json.dumps(doc)).requests[0].excluded_plekken == frozenset()


def test_unplaced_refused_matches_the_result_schema():
    jsonschema = pytest.importorskip("jsonschema")
    from pathlib import Path

    from coordination.engine import result_to_json

    schema_dir = Path(__file__).resolve().parents[2] / "docs" / "schema"
    p = two_plekken(excluded_plekken=frozenset({10, 11}))
    r = solve(p)
    (u,) = r.unplaced
    assert u == Unplaced(1, "no_eligible_plek", "refused", (), (), u.suggestion)
    for name, doc in (
        ("problem.schema.json", json.loads(problem_to_json(p))),
        ("result.schema.json", json.loads(result_to_json(r))),
    ):
        jsonschema.validate(doc, json.loads((schema_dir / name).read_text()))
