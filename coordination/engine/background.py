"""A computation beside the search: in a forked second process, or here on demand.

The bounds need nothing from the search and the search nothing from them, so on
large regions they run in a second process meanwhile (the machine has two cores).
What runs there is a function of its inputs and step budget only, so the result is
the same however the two processes are scheduled, or when it runs here instead:
where forking is not possible (no fork start method, other threads alive, inside a
daemonic Celery child) or the process fails.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import threading
import time
from collections.abc import Callable
from typing import Any

Compute = Callable[[], dict[str, Any]]


def private_mb() -> float | None:
    """This process's private (not shared with its parent) resident memory, in MB."""
    try:
        with open("/proc/self/smaps_rollup") as fh:
            kb = sum(
                int(line.split()[1])
                for line in fh
                if line.startswith(("Private_Clean:", "Private_Dirty:"))
            )
    except (OSError, ValueError, IndexError):
        return None
    return round(kb / 1024, 1)


class Pending:
    """``compute()`` being computed, in a forked process or (fallback) on demand."""

    def __init__(self, compute: Compute, first: Compute | None = None) -> None:
        self._compute = compute
        self._first = first  # computed and sent before compute(): see first()
        self._first_pending = first is not None
        self._proc: Any = None
        self._conn: Any = None
        self.mode = "inline"
        self._frozen = False

    def _child(self, conn: Any) -> None:
        try:
            if self._first is not None:
                conn.send(self._first())
            out = self._compute()
            out["process_private_mb"] = private_mb()
            conn.send(out)
        except BaseException as exc:  # the parent falls back to computing it
            conn.send({"error": repr(exc)})
        finally:
            conn.close()

    def start_process(self) -> bool:
        """Fork a process that computes it; False when that is not possible."""
        if "fork" not in multiprocessing.get_all_start_methods():
            return False
        # Forking a process with other threads (the embedded mode's worker threads, a
        # server's) copies locks another thread may hold: compute it here instead.
        if threading.active_count() > 1:
            return False
        # What exists now is shared with the child until one of the two writes to
        # it; frozen, the parent's garbage collector leaves those pages alone.
        gc.freeze()
        try:
            ctx = multiprocessing.get_context("fork")
            here, there = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=self._child, args=(there,), daemon=True)
            proc.start()
            there.close()
        except (AssertionError, OSError, ValueError):  # e.g. inside a daemonic worker
            gc.unfreeze()
            return False
        self._frozen = True
        self._proc, self._conn, self.mode = proc, here, "process"
        return True

    def __del__(self) -> None:
        # Abandoned (e.g. the search raised): stop the process, let gc move again.
        proc = getattr(self, "_proc", None)
        if proc is not None:
            with contextlib.suppress(Exception):
                proc.kill()
                proc.join()
        if getattr(self, "_frozen", False):
            gc.unfreeze()

    def first(self) -> dict[str, Any]:
        """The first answer (waits for the process; computes it here if there is none)."""
        assert self._first is not None and self._first_pending, "first() once, before result()"
        self._first_pending = False
        if self._proc is not None:
            try:
                out = self._conn.recv()
            except (EOFError, OSError):
                out = {"error": "the process ended"}
            if "error" not in out:
                return out
            self._stop()  # result() then computes the rest here too
            self.mode = "inline_after_failure"
        return self._first()

    def _stop(self) -> None:
        if self._proc is not None:
            with contextlib.suppress(Exception):
                self._proc.kill()
                self._proc.join()
                self._conn.close()
            self._proc = None
        self._unfreeze()

    def _unfreeze(self) -> None:
        if self._frozen:
            gc.unfreeze()
            self._frozen = False

    def cancel(self) -> None:
        """Not needed after all: stop the process, or never compute it here."""
        self._stop()
        self.mode = "cancelled"

    def result(self) -> dict[str, Any]:
        """The answer (waits for the process; computes it here if there is none)."""
        out: dict[str, Any] | None = None
        waited = 0.0
        if self._first_pending and self._proc is not None:
            with contextlib.suppress(EOFError, OSError):
                self._conn.recv()  # the first answer, not asked for
        if self._proc is not None:
            t = time.perf_counter()
            try:
                out = self._conn.recv()
            except (EOFError, OSError):
                out = None
            self._conn.close()
            self._proc.join()
            waited = time.perf_counter() - t
            self._proc = None
            self._unfreeze()
            if out is not None and "error" in out:
                out = None
        if out is None:
            out = self._compute()
            self.mode = "inline" if self.mode == "inline" else "inline_after_failure"
        out["mode"] = self.mode
        out["waited_seconds"] = round(waited, 3)
        return out


def start(compute: Compute, *, process: bool, first: Compute | None = None) -> Pending:
    """Begin ``compute()`` (after ``first()`` when given): in a second process when
    ``process`` and possible."""
    p = Pending(compute, first)
    if process:
        p.start_process()
    return p
