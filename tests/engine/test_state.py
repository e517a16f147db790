"""State.place_many (the re-allocation's fast path) against place() one by one: the same
seats, students and, to the last bit, the same free hours."""

from __future__ import annotations

import numpy as np
import pytest

from coordination.engine import solve
from coordination.engine.index import Index, build_index
from coordination.engine.solver import Solver
from coordination.engine.state import State
from coordination.engine.synth import generate


def _solved(seed: int) -> tuple[Index, list[tuple[int, int, list[tuple[int, float]]]]]:
    """A solved region of 300 and its placements as (request, plek, draws) positions."""
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
    return ix, placements


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_placing_many_at_once_is_placing_them_one_by_one(seed):
    ix, placements = _solved(seed)
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


def _fresh(st: State, r: int, arr: np.ndarray) -> list[float]:
    """available(r, s) computed now, without the values available_all keeps."""
    a, b = st.rws[r], st.rwe[r] + 1
    return st._available_now(arr, a, b).tolist()


@pytest.mark.parametrize("seed", [1, 2])
def test_kept_availability_is_what_a_fresh_computation_gives(seed):
    """available_all keeps its values per request window between calls: after any mix of
    place, remove and place_many they equal a fresh computation, bit for bit."""
    ix, placements = _solved(seed)
    st = State(ix)
    every = np.arange(len(ix.sid), dtype=np.int64)
    rng = np.random.default_rng(seed)
    asked = rng.choice(len(ix.rid), size=40, replace=False).tolist()

    def same() -> None:
        for r in asked:
            kept = st.available_all(r, every)
            assert np.array(kept).tobytes() == np.array(_fresh(st, r, every)).tobytes()
            assert kept == [st.available(r, s) for s in range(len(ix.sid))]

    same()
    half = len(placements) // 2
    for r, p, draws in placements[:half]:
        st.place(r, p, draws)
        if r % 7 == 0:
            same()
    same()
    for r, _, _ in placements[: half // 3]:
        if st.can_remove(r):
            st.remove(r)
    same()
    st.place_many([t for t in placements[half:]])
    same()


@pytest.mark.parametrize("seed", [1, 2])
def test_fit_order_offers_exactly_the_eligible_plekken_with_a_free_seat(seed):
    """try_place asks only the supervision of the plekken fit_order offers (it no longer
    checks the seat): so fit_order must offer every eligible plek with a seat free for
    the request's weeks, and no other, in a filled region as in an empty one."""
    ix, placements = _solved(seed)
    solver = Solver(generate(300, seed=seed), time_limit=None, progress=None, bound=False)
    assert solver.ix.rid == ix.rid
    filled = 0
    for state_of in ("empty", "filled"):
        if state_of == "filled":
            solver.st.place_many(placements)
        st = solver.st
        for r in range(len(ix.rid)):
            offered = solver.fit_order(r)
            assert len(offered) == len(set(offered))
            free = {int(p) for p in ix.eligible(r) if st.seat_free(r, int(p))}
            assert set(offered) == free
            if state_of == "filled":
                filled += len(free) < len(ix.eligible(r))
    assert filled  # the filled region has requests some of whose plekken are taken
