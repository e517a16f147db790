"""The garbage collector pause around allocation runs (coordination/services.py): off while
any run works, back on when the last one ends, and left off if it was off before; what is
alive then is frozen, after collecting when a run may have left cycles."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest

from coordination.services import _collector_paused


def test_the_collector_is_off_while_runs_overlap_and_on_after_the_last():
    assert gc.isenabled()
    first_in, second_done = threading.Event(), threading.Event()
    seen: list[bool] = []

    def first_run() -> None:
        with _collector_paused():
            first_in.set()
            second_done.wait(10)
            seen.append(gc.isenabled())  # the second run ended first: still off

    worker = threading.Thread(target=first_run)
    worker.start()
    first_in.wait(10)
    with _collector_paused():
        seen.append(gc.isenabled())
    second_done.set()
    worker.join(10)

    assert seen == [False, False]
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    try:
        with _collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


def test_after_a_re_allocation_what_is_alive_is_frozen_and_its_cycles_wait():
    try:
        with _collector_paused():
            cycle = weakref.ref(_Node())
            kept = [object() for _ in range(1000)]
        assert gc.isenabled()
        assert gc.get_freeze_count() >= len(kept)
        assert gc.get_count()[0] < 100  # the young generation starts empty again
        gc.collect()
        assert cycle() is not None  # frozen with the rest, until a run tidies
    finally:
        gc.unfreeze()
        gc.collect()


def test_a_full_or_failed_run_collects_the_cycles_left_before_freezing():
    try:
        with _collector_paused():
            earlier = weakref.ref(_Node())
        with _collector_paused() as tidy:
            tidy.needed = True
            during = weakref.ref(_Node())
        assert earlier() is None and during() is None
        with pytest.raises(RuntimeError), _collector_paused():
            failed = weakref.ref(_Node())
            raise RuntimeError("the run failed")
        assert failed() is None
    finally:
        gc.unfreeze()
        gc.collect()
