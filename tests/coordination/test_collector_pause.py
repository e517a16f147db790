"""The garbage collector pause around allocation runs (coordination/services.py): off while
any run works, back on when the last one ends, and left off if it was off before."""

from __future__ import annotations

import gc
import threading

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
