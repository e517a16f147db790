"""Mutable allocation state: seats and supervision hours left, week by week."""

from __future__ import annotations

import numpy as np

from .index import PEER, Index
from .model import draw_cost, hours_floor, on_hours_grid

EPS = 1e-9
BIG = 1 << 30


class State:
    """Seats used per (plek, week); free hours and students per (source, week).

    ``free`` holds hours a source still has in a week. Student-ondersteuner
    sources start at zero and gain ``peer_hours`` in each week a mentoring
    ouderejaars is placed at their location.
    """

    def __init__(self, ix: Index) -> None:
        self.ix = ix
        st = ix.problem.settings
        self.peer_hours = float(st.peer_hours)
        self.peer_share = float(st.peer_share)
        P, S, T, R = len(ix.pid), len(ix.sid), ix.T, len(ix.rid)
        self.seat = np.zeros((P, T), dtype=np.int32)
        self.seat_weeks = np.zeros(P, dtype=np.int64)  # seat.sum(axis=1), kept up to date
        self.free = np.zeros((S, T), dtype=np.float64)
        self.cnt = np.zeros((S, T), dtype=np.int32)
        for s in range(S):
            if ix.skind[s] != PEER:
                a, b = max(ix.sws[s], 0), min(ix.swe[s], T - 1)
                if a <= b:
                    self.free[s, a : b + 1] = ix.shours[s]
        self.assign = np.full(R, -1, dtype=np.int64)
        self.draws: list[list[tuple[int, float]] | None] = [None] * R
        self.at_plek: list[set[int]] = [set() for _ in range(P)]
        self.holders: list[set[int]] = [set() for _ in range(S)]
        self.limited = ix.smax < BIG
        self.gf = ix.sgf.tolist()
        self.seats = ix.seats.tolist()
        self.skind = ix.skind
        self.rws = ix.rws.tolist()
        self.rwe = ix.rwe.tolist()
        self.load = ix.load.tolist()
        self.mentor = ix.mentor.tolist()
        # For available_all(): group factors to divide by (1 where there is none:
        # those sources carry without limit).
        self._no_g = ~(ix.sgf > 0)
        self._any_no_g = bool(self._no_g.any())
        self._gsafe = np.where(self._no_g, 1.0, ix.sgf)
        self._smax = ix.smax
        # available_all(): per request window (first week, week after) the values last
        # computed for each source and the source's version then. A source's version
        # changes with its free hours or student count (place, remove, place_many),
        # so a value whose version is current is what a fresh computation would give.
        self._ver = np.zeros(S, dtype=np.int64)
        self._avc: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}

    # -- queries -----------------------------------------------------------
    def seat_free(self, r: int, p: int) -> bool:
        a, b = self.rws[r], self.rwe[r] + 1
        return int(self.seat[p, a:b].max()) < self.seats[p]

    def available(self, r: int, s: int) -> float:
        """Load hours source s could still carry for request r over all its weeks."""
        a, b = self.rws[r], self.rwe[r] + 1
        if self.limited[s] and int(self.cnt[s, a:b].max()) >= self.ix.smax[s]:
            return 0.0
        av = float(self.free[s, a:b].min())
        if av <= EPS:
            return 0.0
        g = self.gf[s]
        return av / g if g > 0 else float("inf")

    def fits(
        self, r: int, p: int, known: dict[int, float] | None = None
    ) -> list[tuple[int, float]] | None:
        """Draws that would carry request r at plek p now, or None when it does not fit.

        ``known``: available(r, s) of sources, computed on this state as it is now.
        """
        a, b = self.rws[r], self.rwe[r] + 1
        if int(self.seat[p, a:b].max()) >= self.seats[p]:
            return None
        return self.draws_for(r, p, known)

    def draws_for(
        self, r: int, p: int, known: dict[int, float] | None = None
    ) -> list[tuple[int, float]] | None:
        rem = self.load[r]
        if rem <= EPS:
            return []
        scope, arr = self.ix.scope_arr(r, p)
        if not scope:
            return None
        if known is not None and all(map(known.__contains__, scope)):
            avail = [known[s] for s in scope]
        else:
            avail = self.available_all(r, arr)
        # Exact early exit: every take is at most its source's available hours
        # (hours_floor adds at most 1e-8), and the takes must add up to the load,
        # a whole number of hour units; so when all sources together fall short by
        # more than float noise, the loop below cannot succeed.
        if sum(avail) < rem - 1e-3:
            return None
        peer_room = self.peer_share * rem
        out: list[tuple[int, float]] = []
        for i in self._draw_order(r, scope, avail):
            s = scope[i]
            peer = self.skind[s] == PEER
            if peer and peer_room <= EPS:
                continue
            # Whole hour units only (model.HOURS_UNIT): what is left below one unit
            # cannot carry anything, and stored draws are exactly these numbers.
            take = hours_floor(min(rem, avail[i], peer_room if peer else rem))
            if take <= 0:
                continue
            out.append((s, take))
            rem = round(rem - take, 2)
            if peer:
                peer_room -= take
            if rem <= 1e-9:
                return out
        return None

    def available_all(self, r: int, arr: np.ndarray) -> list[float]:
        """available(r, s) for every source in ``arr`` at once (the same numbers)."""
        a, b = self.rws[r], self.rwe[r] + 1
        kept = self._avc.get((a, b))
        if kept is None:
            S = self._ver.size
            kept = self._avc[a, b] = (np.zeros(S), np.full(S, -1, dtype=np.int64))
        values, seen = kept
        ver = self._ver[arr]
        stale = seen[arr] != ver
        if stale.any():
            at = arr[stale]
            values[at] = self._available_now(at, a, b)
            seen[at] = ver[stale]
        return values[arr].tolist()

    def _available_now(self, arr: np.ndarray, a: int, b: int) -> np.ndarray:
        """available(r, s) for the sources in ``arr``, r running in weeks a..b-1."""
        # ufunc reductions and positions: the same numbers with fewer calls (a
        # million calls at 100,000 requests)
        fr = np.minimum.reduce(self.free[arr, a:b], axis=1)
        av = fr / self._gsafe[arr]
        if self._any_no_g:
            av[self._no_g[arr]] = np.inf
        av[fr <= EPS] = 0.0
        pos = np.flatnonzero(self.limited[arr])
        if pos.size:
            la = arr[pos]
            av[pos[np.maximum.reduce(self.cnt[la, a:b], axis=1) >= self._smax[la]]] = 0.0
        return av

    def _draw_order(self, r: int, scope: list[int], avail: list[float]) -> list[int]:
        """Positions in ``scope`` in draw order, with each run of sources of one kind
        that limit their students reordered so that a placement takes as few of
        their student places as it can: the one source that carries the whole load
        with the least to spare if there is one, else the largest first.
        (A student who takes half an hour from a werkbegeleider uses one of its
        two or three places all the same.) ``avail``: available(r, s) per position.
        """
        limited, skind = self.limited, self.skind
        out: list[int] = []
        i, n = 0, len(scope)
        while i < n:
            s = scope[i]
            j = i + 1
            if limited[s] and skind[s] != PEER:
                while j < n and limited[scope[j]] and skind[scope[j]] == skind[s]:
                    j += 1
            if j - i == 1:
                out.append(i)
            else:
                rem = self.load[r]
                av = [(avail[k], scope[k], k) for k in range(i, j)]
                whole = [t for t in av if t[0] >= rem - 1e-9]
                if whole:
                    first = min(whole)[2]
                    out.append(first)
                    out.extend(k for k in range(i, j) if k != first)
                else:
                    out.extend(t[2] for t in sorted(av, key=lambda t: (-t[0], t[1])))
            i = j
        return out

    def shortfall(self, r: int, p: int) -> float:
        """Load hours missing to carry r at p (0 when supervision suffices)."""
        rem = self.load[r]
        peer_room = self.peer_share * rem
        scope, arr = self.ix.scope_arr(r, p)
        avail = self.available_all(r, arr) if scope else []  # available(r, s) for all
        for s, av in zip(scope, avail, strict=True):
            peer = self.skind[s] == PEER
            take = min(rem, av, peer_room) if peer else min(rem, av)
            rem -= take
            if peer:
                peer_room -= take
        return max(rem, 0.0)

    def draws_valid(self, r: int, p: int, draws: list[tuple[int, float]]) -> bool:
        """Whether previously chosen draws are still in scope, complete and available."""
        scope = set(self.ix.scope(r, p))
        total = 0.0
        peer = 0.0
        for s, lh in draws:
            if s not in scope or lh <= 0 or not on_hours_grid(lh):
                return False
            if self.available(r, s) < lh - 1e-9:
                return False
            total += lh
            if self.skind[s] == PEER:
                peer += lh
        L = self.load[r]
        return abs(total - L) <= 1e-9 and peer <= self.peer_share * L + 1e-9

    # -- changes -----------------------------------------------------------
    def place(self, r: int, p: int, draws: list[tuple[int, float]]) -> None:
        a, b = self.rws[r], self.rwe[r] + 1
        self.seat[p, a:b] += 1
        self.seat_weeks[p] += b - a
        ver = self._ver
        for s, lh in draws:
            self.free[s, a:b] -= draw_cost(lh, self.gf[s])
            self.cnt[s, a:b] += 1
            self.holders[s].add(r)
            ver[s] += 1
        self.assign[r] = p
        self.draws[r] = draws
        self.at_plek[p].add(r)
        if self.mentor[r]:
            for s, lo, hi in self._peer_windows(r, p):
                self.free[s, lo:hi] += self.peer_hours
                ver[s] += 1

    def place_many(self, placements: list[tuple[int, int, list[tuple[int, float]]]]) -> None:
        """place() for each (request, plek, draws) in turn, in one pass over the arrays.

        The same arithmetic in the same order: ``ufunc.at`` applies its updates one by
        one in the order given, and ``x + (-c)`` is ``x - c`` exactly.
        """
        if not placements:
            return
        self._avc.clear()  # versions are not kept here: every kept value is dropped
        rws, rwe, gf, mentor = self.rws, self.rwe, self.gf, self.mentor
        holders, at_plek, drawn = self.holders, self.at_plek, self.draws
        rs: list[int] = []
        ps: list[int] = []
        # Changes to free hours, in the order place() makes them: source, weeks, change,
        # and whether it is a draw (which also counts a student) or a peer mentor's hours.
        h_source: list[int] = []
        h_first: list[int] = []
        h_after: list[int] = []
        h_change: list[float] = []
        h_draw: list[bool] = []
        for r, p, draws in placements:
            rs.append(r)
            ps.append(p)
            a, b = rws[r], rwe[r] + 1
            for s, lh in draws:
                h_source.append(s)
                h_first.append(a)
                h_after.append(b)
                h_change.append(-draw_cost(lh, gf[s]))
                h_draw.append(True)
                holders[s].add(r)
            drawn[r] = draws
            at_plek[p].add(r)
            if mentor[r]:
                for s, lo, hi in self._peer_windows(r, p):
                    h_source.append(s)
                    h_first.append(lo)
                    h_after.append(hi)
                    h_change.append(self.peer_hours)
                    h_draw.append(False)
        r_arr = np.array(rs, dtype=np.int64)
        p_arr = np.array(ps, dtype=np.int64)
        self.assign[r_arr] = p_arr
        first, after = self.ix.rws[r_arr], self.ix.rwe[r_arr] + 1
        T = self.seat.shape[1]
        # Counts: the order does not matter.
        plek, weeks = _spans(p_arr, first, after)
        self.seat += (
            np.bincount(plek * T + weeks, minlength=self.seat.size)
            .reshape(self.seat.shape)
            .astype(self.seat.dtype)
        )
        self.seat_weeks += np.bincount(p_arr, after - first, minlength=self.seat_weeks.size).astype(
            self.seat_weeks.dtype
        )
        if h_source:
            source = np.array(h_source, dtype=np.int64)
            since = np.array(h_first, dtype=np.int64)
            until = np.array(h_after, dtype=np.int64)
            is_draw = np.array(h_draw, dtype=bool)
            if is_draw.any():
                counted, weeks = _spans(source[is_draw], since[is_draw], until[is_draw])
                self.cnt += (
                    np.bincount(counted * T + weeks, minlength=self.cnt.size)
                    .reshape(self.cnt.shape)
                    .astype(self.cnt.dtype)
                )
            # Hours: one by one, in order, on the flat array (a view of ``free``).
            rows, weeks = _spans(source, since, until)
            change = np.repeat(np.array(h_change, dtype=np.float64), np.maximum(until - since, 0))
            if self.free.flags.c_contiguous:  # (always: np.zeros) reshape is then a view
                np.add.at(self.free.reshape(-1), rows * T + weeks, change)
            else:
                np.add.at(self.free, (rows, weeks), change)

    def can_remove(self, r: int) -> bool:
        """A mentor cannot leave while first-years lean on the peer hours it brings."""
        p = int(self.assign[r])
        if p < 0:
            return False
        if self.ix.mentor[r]:
            for s, lo, hi in self._peer_windows(r, p):
                if lo < hi and float(self.free[s, lo:hi].min()) < self.peer_hours - 1e-9:
                    return False
        return True

    def remove(self, r: int) -> tuple[int, list[tuple[int, float]]]:
        p = int(self.assign[r])
        draws = self.draws[r] or []
        a, b = self.rws[r], self.rwe[r] + 1
        self.seat[p, a:b] -= 1
        self.seat_weeks[p] -= b - a
        ver = self._ver
        for s, lh in draws:
            self.free[s, a:b] += draw_cost(lh, self.gf[s])
            self.cnt[s, a:b] -= 1
            self.holders[s].discard(r)
            ver[s] += 1
        if self.ix.mentor[r]:
            for s, lo, hi in self._peer_windows(r, p):
                self.free[s, lo:hi] -= self.peer_hours
                ver[s] += 1
        self.assign[r] = -1
        self.draws[r] = None
        self.at_plek[p].discard(r)
        return p, draws

    def _peer_windows(self, r: int, p: int) -> list[tuple[int, int, int]]:
        ix = self.ix
        out = []
        for s in ix.loc_peer.get(ix.ploc[p], ()):
            lo = max(self.rws[r], ix.sws[s])
            hi = min(self.rwe[r], ix.swe[s]) + 1
            if lo < hi:
                out.append((s, lo, hi))
        return out


def _spans(rows: np.ndarray, first: np.ndarray, after: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For spans (row, first week, week after): each (row, week) they cover, in order."""
    lengths = np.maximum(after - first, 0)
    out = np.repeat(rows, lengths)
    # Within each span, its weeks counted up from its first.
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    weeks = np.repeat(first, lengths) + np.arange(out.size) - starts
    return out, weeks
