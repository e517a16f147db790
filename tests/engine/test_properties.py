"""Property tests over random small instances (hypothesis)."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordination.engine import ExistingPlacement, check_feasibility, solve
from coordination.engine.exact import solve_exact
from coordination.engine.model import DOELGROEPEN, SOURCE_KINDS

from .helpers import END, START, plek, problem, req, src

MID = date(2026, 10, 30)
PERIODS = [(START, END), (START, MID), (date(2026, 11, 2), END), (date(2026, 10, 5), END)]
SETTINGS = settings(
    max_examples=int(os.environ.get("ENGINE_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def instances(draw):  # type: ignore[no-untyped-def]
    n_plek = draw(st.integers(1, 3))
    plekken = []
    for j in range(n_plek):
        a, b = draw(st.sampled_from(PERIODS[:3]))
        plekken.append(
            plek(
                10 + j,
                location_id=draw(st.integers(1, 2)),
                seats=draw(st.integers(1, 2)),
                opleiding_ids=draw(st.sampled_from([frozenset({1}), frozenset({1, 2})])),
                start=a,
                end=b,
                is_leerafdeling=draw(st.booleans()),
            )
        )
    requests = []
    for i in range(draw(st.integers(1, 5))):
        d = draw(st.sampled_from(DOELGROEPEN))
        a, b = draw(st.sampled_from(PERIODS))
        requests.append(
            req(
                i + 1,
                school_id=draw(st.integers(1, 2)),
                opleiding_id=draw(st.integers(1, 2)),
                doelgroep=d,
                start=a,
                end=b,
                priority=draw(st.integers(1, 2)),
                peer_mentor=d == "ouderejaars" and draw(st.booleans()),
                load_override=draw(st.sampled_from([None, None, 1.0, 3.5])),
                preferences=tuple(draw(st.permutations([10 + j for j in range(n_plek)]))),
                excluded_plekken=frozenset(
                    draw(st.lists(st.sampled_from([10 + j for j in range(n_plek)]), max_size=1))
                ),
            )
        )
    sources = []
    for k in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(SOURCE_KINDS))
        a, b = draw(st.sampled_from(PERIODS[:3]))
        kw = dict(
            start=a,
            end=b,
            max_students=draw(st.sampled_from([None, 1, 2])),
            group_factor=draw(st.sampled_from([1.0, 0.6])),
        )
        if kind == "leerafdeling":
            kw["plek_id"] = draw(st.sampled_from([p.id for p in plekken]))
        elif kind == "docent_begeleider":
            kw["school_id"] = draw(st.integers(1, 2))
        elif kind != "regionale_pool":
            kw["location_id"] = draw(st.integers(1, 2))
        sources.append(src(100 + k, kind, draw(st.sampled_from([1.0, 2.0, 4.0, 6.0])), **kw))
    return problem(requests, plekken, sources)


@SETTINGS
@given(instances())
def test_every_output_is_feasible_and_the_heuristic_never_beats_the_optimum(p):  # type: ignore[no-untyped-def]
    ref = solve_exact(p)
    assert ref.status == "Optimal"
    # The reference's own optimum passes the independent checker ...
    from coordination.engine.model import Assignment, Draw, Result, Unplaced

    ref_result = Result(
        tuple(
            Assignment(rid, pid, tuple(Draw(s, v, v * _gf(p, s)) for s, v in ref.draws[rid]))
            for rid, pid in ref.plek_of.items()
        ),
        tuple(Unplaced(r.id, "x") for r in p.requests if r.id not in ref.plek_of),
    )
    assert check_feasibility(p, ref_result) == []
    # ... the engine reaches it on small instances ...
    exact = solve(p)
    assert check_feasibility(p, exact) == []
    assert exact.objective["placed_weighted"] == round(ref.placed_weighted)
    # ... and the heuristic path is feasible, never better, and under its bound.
    heur = solve(p, exact=False)
    assert check_feasibility(p, heur) == []
    assert heur.objective["placed_weighted"] <= ref.placed_weighted + 1e-6
    assert heur.upper_bound >= ref.placed_weighted - 1e-6
    assert len(heur.unplaced) + len(heur.assignments) == len(p.requests)


def _gf(p, sid):  # type: ignore[no-untyped-def]
    return next(s.group_factor for s in p.sources if s.id == sid)


@SETTINGS
@given(instances(), st.booleans())
def test_confirmed_placements_never_move(p, use_exact):  # type: ignore[no-untyped-def]
    first = solve(p, exact=use_exact)
    keep = first.assignments[::2]
    again = replace(
        p, existing=tuple(ExistingPlacement(a.request_id, a.plek_id, True) for a in keep)
    )
    res = solve(again, exact=use_exact)
    where = {a.request_id: a.plek_id for a in res.assignments}
    for a in keep:
        assert where.get(a.request_id) == a.plek_id
    assert check_feasibility(again, res) == []


@SETTINGS
@given(instances(), st.sampled_from(["pool", "seat", "werkbegeleider"]))
def test_adding_capacity_never_lowers_the_optimum(p, what):  # type: ignore[no-untyped-def]
    before = solve(p).objective["placed_weighted"]
    if what == "pool":
        more = replace(p, sources=(*p.sources, src(999, "regionale_pool", 3.0)))
    elif what == "seat":
        more = replace(
            p, plekken=(replace(p.plekken[0], seats=p.plekken[0].seats + 1), *p.plekken[1:])
        )
    else:
        more = replace(p, sources=(*p.sources, src(999, "werkbegeleider", 4.0, location_id=1)))
    after = solve(more)
    assert check_feasibility(more, after) == []
    assert after.objective["placed_weighted"] >= before


@settings(max_examples=15, deadline=None)
@given(instances())
def test_deterministic(p):  # type: ignore[no-untyped-def]
    a, b = solve(p, exact=False), solve(p, exact=False)
    assert a.assignments == b.assignments and a.unplaced == b.unplaced


@settings(max_examples=int(os.environ.get("ENGINE_EXAMPLES", "40")) // 2, deadline=None)
@given(instances())
def test_the_lagrangian_dual_is_a_bound_too(p):  # type: ignore[no-untyped-def]
    """Large regions get the Lagrangian dual instead of the LP; it must bound as well."""
    from unittest import mock

    import numpy as np

    from coordination.engine import bound
    from coordination.engine.index import build_index
    from coordination.engine.state import State

    ref = solve_exact(p)
    ix = build_index(p)
    with mock.patch.object(bound, "HIGHS_MAX_COLUMNS", 0):
        lr = bound.lp_relaxation(ix, State(ix), np.zeros(len(ix.rid), dtype=bool), time_limit=0.2)
    if ix.eplek.size:
        assert lr.info["bound_kind"] == "lagrangian_dual"
        assert lr.info["upper_bound"] >= ref.placed_weighted - 1e-6


@settings(max_examples=int(os.environ.get("ENGINE_EXAMPLES", "40")) // 2, deadline=None)
@given(instances())
def test_the_bound_first_path_is_feasible_and_bounded(p):  # type: ignore[no-untyped-def]
    """Large regions run the bound first and construct once from its guidance."""
    from unittest import mock

    from coordination.engine import solver

    ref = solve_exact(p)
    with mock.patch.object(solver, "BOUND_FIRST_PAIRS", 0):
        res = solve(p, exact=False, time_limit=2.0)
    assert check_feasibility(p, res) == []
    assert res.objective["placed_weighted"] <= ref.placed_weighted + 1e-6
    assert res.upper_bound >= ref.placed_weighted - 1e-6
