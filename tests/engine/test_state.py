"""State.place_many (the re-allocation's fast path) against place() one by one: the same
seats, students and, to the last bit, the same free hours."""

from __future__ import annotations

import numpy as np
import pytest

from coordination.engine import solve
from coordination.engine.index import build_index
from coordination.engine.state import State
from coordination.engine.synth import generate


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_placing_many_at_once_is_placing_them_one_by_one(seed):
    problem = generate(300, seed=seed)
    result = solve(problem, bound=False)
    ix = build_index(problem)
    placements = [
        (
            ix.rpos[a.request_id],
            ix.ppos[a.plek_id],
            [(ix.spos[d.source_id], d.load_hours) for d in a.draws],
        )
        for a in result.assignments
    ]
    assert any(ix.mentor[r] for r, _, _ in placements)  # peer hours are in the test
    one_by_one, at_once = State(ix), State(ix)
    for r, p, draws in placements:
        one_by_one.place(r, p, draws)
    at_once.place_many(placements)

    for name in ("seat", "seat_weeks", "cnt", "assign"):
        assert np.array_equal(getattr(one_by_one, name), getattr(at_once, name)), name
    assert one_by_one.free.tobytes() == at_once.free.tobytes()
    assert one_by_one.draws == at_once.draws
    assert one_by_one.holders == at_once.holders
    assert one_by_one.at_plek == at_once.at_plek
