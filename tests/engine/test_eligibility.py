"""Rule 1 (eligibility) as the index computes it, against the rule written out pair by pair."""

from __future__ import annotations

import os
from datetime import date
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from coordination.engine import index
from coordination.engine.geo import haversine_km
from coordination.engine.index import build_index

from .helpers import END, START, plek, problem, req

MID = date(2026, 10, 30)
PERIODS = [(START, END), (START, MID), (date(2026, 11, 2), END)]
SECTORS = ["VVT", "GGZ", "GHZ"]
# Points within about 60 km of each other, and some far away (distances of 0-300 km).
LATS = st.floats(51.5, 53.0)
LONS = st.floats(4.0, 6.5)


@st.composite
def regions(draw):  # type: ignore[no-untyped-def]
    plekken = []
    for j in range(draw(st.integers(1, 25))):
        a, b = draw(st.sampled_from(PERIODS))
        plekken.append(
            plek(
                100 + j,
                location=(draw(LATS), draw(LONS)),
                sector=draw(st.sampled_from(SECTORS)),
                opleiding_ids=draw(st.sampled_from([frozenset({1}), frozenset({1, 2})])),
                start=a,
                end=b,
            )
        )
    requests = []
    for i in range(draw(st.integers(1, 30))):
        a, b = draw(st.sampled_from(PERIODS))
        home = draw(st.one_of(st.none(), st.tuples(LATS, LONS)))
        requests.append(
            req(
                1 + i,
                opleiding_id=draw(st.sampled_from([1, 2, 3])),
                start=a,
                end=b,
                home=home,
                max_travel_km=draw(st.sampled_from([0.0, 5.0, 20.0, 60.0, 1e9])),
                sectors=frozenset(draw(st.lists(st.sampled_from(SECTORS), max_size=2))),
                excluded_plekken=frozenset(
                    draw(st.lists(st.sampled_from([p.id for p in plekken]), max_size=2))
                ),
            )
        )
    return problem(requests, plekken, [])


def _eligible_by_the_rule(r, p) -> bool:  # type: ignore[no-untyped-def]
    if r.opleiding_id not in p.opleiding_ids or p.id in r.excluded_plekken:
        return False
    if not (p.start <= r.start and p.end >= r.end):
        return False
    if r.sectors and p.sector not in r.sectors:
        return False
    if r.home is None:
        return True
    return float(haversine_km(*r.home, *p.location)) <= r.max_travel_km + 1e-9


@settings(max_examples=int(os.environ.get("ENGINE_EXAMPLES", "40")) * 2, deadline=None)
@given(regions())
def test_the_eligible_plekken_are_exactly_those_rule_1_admits(prob):  # type: ignore[no-untyped-def]
    ix = build_index(prob)
    for r in prob.requests:
        k = ix.rpos[r.id]
        got = {ix.pid[q] for q in ix.eligible(k).tolist()}
        want = {p.id for p in prob.plekken if _eligible_by_the_rule(r, p)}
        assert got == want, r
        if got:
            assert ix.criterion[k] is None
            dists = ix.distances(k)
            assert (dists >= 0).all()
        else:
            assert ix.criterion[k] in {"opleiding", "period", "sector", "travel", "refused"}


@settings(max_examples=int(os.environ.get("ENGINE_EXAMPLES", "40")), deadline=None)
@given(regions())
def test_pair_slots_find_every_eligible_pair_and_only_those(prob):  # type: ignore[no-untyped-def]
    ix = build_index(prob)
    rs = [r for r in range(len(ix.rid)) for _ in ix.pid]
    ps = [p for _ in range(len(ix.rid)) for p in range(len(ix.pid))]
    with patch.object(index, "_PAIR_CHUNK", 7):  # chunks end inside a request's pairs
        slots = ix.pair_slots(rs, ps).tolist()
    for r, p, slot in zip(rs, ps, slots, strict=True):
        eligible = ix.eligible(r).tolist()
        if p in eligible:
            assert ix.eplek[slot] == p and ix.eptr[r] <= slot < ix.eptr[r + 1]
            assert ix.edist[slot] == ix.distances(r)[eligible.index(p)]
        else:
            assert slot == -1
