"""The order in which the construction and the repairs take requests (Solver.order_key)."""

from __future__ import annotations

import itertools
from collections import defaultdict

import numpy as np

from coordination.engine.solver import Solver
from coordination.engine.synth import generate


def _solver(n: int, seed: int) -> Solver:
    return Solver(generate(n, seed), time_limit=None, progress=None, bound=False)


def test_each_school_is_spread_by_its_fair_share():
    s = _solver(300, 5)
    ix = s.ix
    share = s.order_parts()[4]
    by_school: dict[int, list[int]] = defaultdict(list)
    for r in range(len(ix.rid)):
        by_school[ix.school[r]].append(r)
    assert len(by_school) > 1
    for requests in by_school.values():
        ranked = sorted(requests, key=lambda r: (-ix.prio[r], ix.rid[r]))
        n = len(ranked)
        assert [share[r] for r in ranked] == [(k + 0.5) / n for k in range(n)]


def test_requests_are_banded_by_the_whole_log2_of_their_options():
    s = _solver(300, 5)
    options = s.order_parts()[3]
    counts = np.diff(s.ix.eptr)
    assert options.tolist() == [(int(c) + 1).bit_length() - 1 for c in counts]
    assert len(set(options.tolist())) > 1


def test_the_order_follows_priority_then_mentors_then_cost():
    s = _solver(1000, 1)
    ix = s.ix
    order = s.order_key()
    assert sorted(order) == list(range(len(ix.rid)))
    prio = [ix.prio[r] for r in order]
    assert prio == sorted(prio, reverse=True)
    cost = ix.load * (ix.rwe - ix.rws + 1)
    for a, b in itertools.pairwise(order):
        if ix.prio[a] == ix.prio[b] and ix.mentor[a] == ix.mentor[b]:
            assert round(cost[a], 3) <= round(cost[b], 3)
