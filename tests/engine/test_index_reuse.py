"""A worker's kept index (IndexCache) gives the index, and the result, of a fresh build."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from coordination.engine import ExistingPlacement, IndexCache, Problem, solve
from coordination.engine.index import Index, build_index
from coordination.engine.synth import generate


@pytest.fixture(scope="module")
def region() -> Problem:
    return generate(400, seed=3)


def _same(a: Index, b: Index) -> None:
    assert a.rid == b.rid
    assert (a.w0, a.T) == (b.w0, b.T)
    for name in ("rws", "rwe", "load", "prio", "eerst", "mentor"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert np.array_equal(a.eptr, b.eptr)
    assert np.array_equal(a.eplek, b.eplek)
    assert np.array_equal(a.edist, b.edist)
    assert a.criterion == b.criterion
    assert a.pref_rank == b.pref_rank
    for r in range(len(a.rid)):
        for p in a.eligible(r).tolist():
            assert a.scope(r, p) == b.scope(r, p)


def _changes(p: Problem) -> dict[str, Problem]:
    r0, r1 = p.requests[0], p.requests[1]
    ix = build_index(p)
    k = next(k for k, r in enumerate(p.requests) if k > 1 and ix.eligible(ix.rpos[r.id]).size)
    refused = replace(p.requests[k], excluded_plekken=frozenset(x.id for x in p.plekken))
    far = replace(r1, max_travel_km=r1.max_travel_km + 30.0)
    pl = p.plekken[0]
    src = p.sources[0]
    year_earlier = replace(r0, id=9_000_002, start=r0.start.replace(year=r0.start.year - 1))
    loads = {k: v + 1.0 for k, v in p.settings.doelgroep_loads.items()}
    return {
        "request a year earlier than all": replace(p, requests=(*p.requests, year_earlier)),
        "default loads changed": replace(p, settings=replace(p.settings, doelgroep_loads=loads)),
        "request added": replace(p, requests=(*p.requests, replace(r0, id=9_000_001))),
        "request removed": replace(p, requests=p.requests[1:]),
        "travel distance changed": replace(p, requests=(r0, far, *p.requests[2:])),
        "plek refused": replace(p, requests=(*p.requests[:k], refused, *p.requests[k + 1 :])),
        "plek withdrawn": replace(p, plekken=p.plekken[1:]),
        "plek moved": replace(p, plekken=(replace(pl, location=(52.0, 5.0)), *p.plekken[1:])),
        "source ended earlier": replace(p, sources=(replace(src, end=src.start), *p.sources[1:])),
    }


@pytest.mark.parametrize(
    "change",
    [
        "request added",
        "request a year earlier than all",
        "default loads changed",
        "request removed",
        "travel distance changed",
        "plek refused",
        "plek withdrawn",
        "plek moved",
        "source ended earlier",
    ],
)
def test_reused_index_equals_a_fresh_one(region: Problem, change: str) -> None:
    before = build_index(region)
    for r in range(len(before.rid)):  # fill the scope cache the next build may share
        for p in before.eligible(r).tolist():
            before.scope(r, p)
    changed = _changes(region)[change]
    _same(build_index(changed, reuse=before), build_index(changed))


def test_the_change_is_seen(region: Problem) -> None:
    """Not trivially equal: the changed request's eligibility differs from before."""
    before = build_index(region)
    changed = _changes(region)["travel distance changed"]
    after = build_index(changed, reuse=before)
    r = after.rpos[region.requests[1].id]
    assert after.eligible(r).size > before.eligible(r).size


def test_solve_with_the_cache_gives_the_same_result(region: Problem) -> None:
    first = solve(region, bound=False, exact=False)
    proposals = tuple(
        ExistingPlacement(a.request_id, a.plek_id, False, a.draws) for a in first.assignments
    )
    cache = IndexCache()
    solve(replace(region, existing=proposals), previous=first, index_cache=cache)
    for name, changed in _changes(region).items():
        again = replace(changed, existing=_valid(changed, proposals))
        warm = solve(again, previous=first, index_cache=cache)
        cold = solve(again, previous=first)
        assert warm.assignments == cold.assignments, name
        assert warm.unplaced == cold.unplaced, name


def _valid(p: Problem, proposals: tuple[ExistingPlacement, ...]) -> tuple[ExistingPlacement, ...]:
    requests = {r.id for r in p.requests}
    plekken = {x.id for x in p.plekken}
    return tuple(e for e in proposals if e.request_id in requests and e.plek_id in plekken)


def test_the_cache_keeps_the_regions_used_last() -> None:
    cache = IndexCache(max_regions=2)
    problems = [replace(generate(30, seed=s), region_id=s) for s in (1, 2, 3)]
    for p in problems:
        cache.index(p)
    assert list(cache._last) == [2, 3]
    cache.forget(2)
    assert list(cache._last) == [3]
