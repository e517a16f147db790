"""LP relaxation (HiGHS) of the allocation: an upper bound on placed requests.

Every feasible allocation maps to a feasible point of this LP, so its optimum
bounds the priority-weighted number of placed requests from above. To stay
small enough for a region in seconds, it works per *location* and per *check
week* (weeks in which something starts or ends):

* ``x[r,l]`` in [0, 1]: request r placed at some eligible plek of location l;
  ``sum_l x[r,l] <= 1``; a confirmed placement has x = 1 at its location.
* seats, for each location, opleiding and check week: requests of that
  opleiding running that week <= seats of the location's plekken that take it
  and run that week; and the same for all opleidingen together.
* supervision, for each location and check week: the load of the requests
  there <= hours/group_factor of its location sources running that week
  + peer hours (at most peer_share of the eerstejaars' load there, at most
  peer_hours per mentor placed there) + leerafdeling hours (at most the load of
  requests eligible for that plek) + a share ``d[l,school,w]`` of each school's
  docent hours (at most that school's load there) + a share ``q[l,w]`` of the
  regional pool; docent and pool shares add up to their hours.
* students, for each location and week: students placed <= max_students of its
  limited sources + what unlimited supervision could carry at the smallest
  load (unlimited sources carry at least (1 - peer_share) of each load).

Relaxed compared with the real model: a placement may change its sources
from week to week, a source with a shorter period may help a longer request,
and seats are matched per opleiding rather than per plek. The fractional x
also orders the construction. A bonus below 1e-7 per request for ranked
preferences is added to the objective and kept in the bound, which stays valid.

Why it is a bound. Take any feasible allocation and set x[r,l] = 1 where r is
placed at a plek of l (0 elsewhere), and let the flow columns be the load
hours that peer, leerafdeling, docent and pool sources actually carry for the
placements at l in week w. Seats: rule 2 summed over the plekken that take o
(or over all of them). Supervision: rule 3 summed over the sources in scope,
each carrying at most hours/group_factor load hours. Students: a placement
either holds a place of a limited source (at most max_students of them) or is
carried by unlimited sources, which then carry at least (1 - peer_share) of
its load, at least (1 - peer_share) * the smallest load. Every row holds, so
the allocation's priority-weighted count is the objective at a feasible point
of the LP and cannot exceed the LP optimum. Only an *optimal* HiGHS status is
used as a bound (a time limit gives none). Above HIGHS_MAX_COLUMNS the bound is
the Lagrangian dual value L(y) at the best prices seen: for any prices y >= 0
on the rows other than the assign rows, L(y) >= the LP optimum (weak duality),
so it is a bound at any step, however far from converged.

How tight it is. On the synthetic 10,000 region (seed 1) the LP (286,768
columns, 71,926 rows) solved once offline by HiGHS' interior point in 609 s has
optimum 11,355.7, against 11,625 for the eligible-requests bound: solved
exactly it would tighten the bound by 2.3 % only, while the heuristic places
about 10,400-10,550 (weighted) in its default budget. As we read it (not a
proof), what the LP misses there is mostly integrality across locations: after
the heuristic, docent and pool hours are all used and the hours left are 1-2
hour fragments at many locations (werkbegeleiders 67 % used, their student
places 54 %, seat-weeks 74 %), which the LP can fill with fractions of
requests. A bound within 1 % needs a stronger relaxation (e.g. per-location
integer subproblems in a Lagrangian, or column generation over packings).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse

from .index import PEER, Index
from .state import BIG, State

PREF_BONUS = 1e-8
# Beyond this many columns HiGHS takes minutes here; the Lagrangian dual takes seconds.
HIGHS_MAX_COLUMNS = 20_000
# Interior point without crossover: several times faster here than simplex, and
# its central solution spreads x over the good locations, which guides better.
_EXTRA_OPTIONS: dict[str, Any] = {"solver": "ipm", "run_crossover": "off"}
# The continued descent (LagrangianDescent.extend): temperature and first step size.
EXTEND_TAU = 0.003
EXTEND_LR = 0.01


@dataclass
class LPResult:
    x: dict[int, dict[int, float]]  # request index -> location id -> value
    info: dict[str, Any] = field(default_factory=dict)
    # Large regions: the descent that gave x, to be continued for a tighter bound.
    descent: LagrangianDescent | None = None


@contextlib.contextmanager
def _quiet_stdout():
    """HiGHS prints a banner on stdout when the first instance is made."""
    sys.stdout.flush()  # what Python buffered must not go to /dev/null
    try:
        fd = os.dup(1)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(fd, 1)
        os.close(fd)


@dataclass
class _LP:
    """The LP as arrays: rows ``sum v * x[c] <= rhi``, entries (r_arr, c_arr, v_arr)
    ordered by row, columns with cost and bounds."""

    cost: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    rhi: np.ndarray
    r_arr: np.ndarray
    c_arr: np.ndarray
    v_arr: np.ndarray

    @property
    def n_col(self) -> int:
        return int(self.cost.size)


def _seg_sum(v: np.ndarray, start: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``v[start:start + n].sum()`` for each segment, bit for bit as numpy sums one.

    numpy adds up to 7 numbers in order, up to 128 in 8 running sums (then the
    rest in order) and splits longer ones in two: reproduced here for many
    segments at once, so that the LP's bounds do not depend on how it is built.
    """
    out = np.zeros(start.size)
    small = np.flatnonzero(n < 8)
    for j in range(7):
        s = small[n[small] > j]
        out[s] += v[start[s] + j]
    mid = np.flatnonzero((n >= 8) & (n <= 128))
    if mid.size:
        a, m = start[mid], n[mid]
        acc = v[a[:, None] + np.arange(8)]
        blocks = m // 8
        for b in range(1, 16):
            s = np.flatnonzero(blocks > b)
            acc[s] += v[a[s, None] + 8 * b + np.arange(8)]
        res = ((acc[:, 0] + acc[:, 1]) + (acc[:, 2] + acc[:, 3])) + (
            (acc[:, 4] + acc[:, 5]) + (acc[:, 6] + acc[:, 7])
        )
        tail = a + 8 * blocks
        for j in range(7):
            s = np.flatnonzero(m % 8 > j)
            res[s] += v[tail[s] + j]
        out[mid] = res
    for i in np.flatnonzero(n > 128).tolist():  # rare: numpy's own sum
        out[i] = v[start[i] : start[i] + n[i]].sum()
    return out


def _segments(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and lengths of the runs of equal values in a sorted key."""
    if key.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    return starts, np.diff(np.r_[starts, key.size])


def _list_sums(
    lists: list[list[int]], vals: np.ndarray, sws: np.ndarray, swe: np.ndarray, cw: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per list i and check week k: the sum of vals over its sources running in k (in list
    order, as numpy sums them) and how many run, both (len(lists), NW)."""
    n, NW = len(lists), cw.size
    sums, counts = np.zeros((n, NW)), np.zeros((n, NW), dtype=np.int64)
    lens = np.array([len(x) for x in lists], dtype=np.int64)
    if n == 0 or lens.sum() == 0:
        return sums, counts
    li = np.repeat(np.arange(n), lens)
    src = np.fromiter((s for x in lists for s in x), dtype=np.int64, count=int(lens.sum()))
    act = (sws[src][:, None] <= cw[None, :]) & (swe[src][:, None] >= cw[None, :])
    pi, k = np.nonzero(act)  # in (list, position, week) order
    key = li[pi] * NW + k
    o = np.argsort(key, kind="stable")  # (list, week, position)
    key, v = key[o], vals[src[pi[o]]]
    starts, lengths = _segments(key)
    flat = key[starts]
    sums.ravel()[flat] = _seg_sum(v, starts, lengths)
    counts.ravel()[flat] = lengths
    return sums, counts


def _build(ix: Index, st: State, fixed: np.ndarray) -> tuple[_LP, np.ndarray, np.ndarray, int]:
    """The LP of the module docstring from arrays: the LP, its x columns (column,
    request, location id), its assign rows and the number of check weeks.

    Rows are numbered location by location (ids ascending), check week by check week;
    within one, the seats rows (all opleidingen, then per opleiding), the two peer rows,
    one row per leerafdeling plek, one per school, the supervision and the students
    row; then the docent rows (per school and week) and the pool rows (per week). A
    location and week's flow columns follow the same order (peer, leerafdeling,
    docent, pool), after the x columns.
    """
    settings = ix.problem.settings
    share = float(settings.peer_share)
    peer_hours = float(settings.peer_hours)
    T = ix.T
    R = len(ix.rid)
    P = len(ix.pid)
    from .weeks import week_index

    pleks = sorted(ix.problem.plekken, key=lambda p: p.id)
    pws = np.array([week_index(p.start) - ix.w0 for p in pleks], dtype=np.int64)
    pwe = np.array([week_index(p.end) - ix.w0 for p in pleks], dtype=np.int64)
    sws = np.asarray(ix.sws, dtype=np.int64)
    swe = np.asarray(ix.swe, dtype=np.int64)
    # Check weeks: where requests, plekken or sources start, or just after they end.
    marks = set(ix.rws.tolist()) | {int(w) + 1 for w in ix.rwe.tolist()}
    marks |= set(pws.tolist()) | {int(w) + 1 for w in pwe.tolist()}
    marks |= set(ix.sws) | {w + 1 for w in ix.swe}
    cw = np.asarray(sorted(w for w in marks if 0 <= w < T), dtype=np.int64)
    NW = int(cw.size)

    # Eligible (request, plek) pairs; a confirmed placement has only its plek.
    pr = np.repeat(np.arange(R, dtype=np.int64), np.diff(ix.eptr))
    pp = ix.eplek.astype(np.int64)
    fx = np.nonzero(fixed)[0]
    if fx.size:
        keep = ~fixed[pr]
        pr = np.concatenate([pr[keep], fx])
        pp = np.concatenate([pp[keep], st.assign[fx].astype(np.int64)])
    # Preference rank of each pair (10: not ranked).
    rank = np.full(pr.size, 10, dtype=np.int64)
    pk = [(r * P + p, k) for r in range(R) for p, k in ix.pref_rank[r].items()]
    if pk and pr.size:
        keys = np.array([x for x, _ in pk], dtype=np.int64)
        kvals = np.array([min(k, 10) for _, k in pk], dtype=np.int64)
        o = np.argsort(keys)
        keys, kvals = keys[o], kvals[o]
        pair_key = pr * P + pp
        at = np.minimum(np.searchsorted(keys, pair_key), keys.size - 1)
        hit = keys[at] == pair_key
        rank[hit] = kvals[at[hit]]
    # x columns: one per (request, location), in request order, locations by id.
    ploc = np.asarray(ix.ploc, dtype=np.int64)
    loc_ids = np.unique(ploc) if P else np.empty(0, np.int64)
    NL = max(int(loc_ids.size), 1)
    lidx_of_plek = np.searchsorted(loc_ids, ploc)
    ckey = pr * NL + lidx_of_plek[pp] if pr.size else np.empty(0, np.int64)
    ukey, inv = np.unique(ckey, return_inverse=True)
    best = np.full(ukey.size, 10, dtype=np.int64)
    np.minimum.at(best, inv, rank)
    xr = ukey // NL
    xl = ukey % NL
    nx = int(xr.size)
    xc = np.arange(nx, dtype=np.int64)
    prio = np.asarray(ix.prio, dtype=np.float64)
    # One assign row per request with columns: sum_l x[r,l] <= 1.
    reqs_with = np.unique(xr)
    assign_rows = np.arange(reqs_with.size, dtype=np.int64)
    x_cost = (prio[xr] + PREF_BONUS * (10 - best) / 10).astype(np.float64)
    x_lo = fixed[xr].astype(np.float64)
    if nx == 0:
        empty_f, empty_i = np.empty(0), np.empty(0, np.int64)
        lp = _LP(x_cost, x_lo, empty_f, empty_f, empty_i, empty_i, empty_f)
        return lp, np.empty((0, 3), np.int64), assign_rows, NW

    load = np.asarray(ix.load, dtype=np.float64)
    seats = np.asarray(ix.seats, dtype=np.float64)
    sh = np.asarray(ix.shours, dtype=np.float64) / np.asarray(ix.sgf, dtype=np.float64)
    smax = np.asarray(ix.smax)
    limited = smax < BIG
    opl_all = np.array(
        [r.opleiding_id for r in sorted(ix.problem.requests, key=lambda r: r.id)], dtype=np.int64
    )
    school_all = np.asarray(ix.school, dtype=np.int64)

    # Members: (x column, check week) where the column's request runs, ordered by
    # location, week and column: the groups are the (location, week) blocks of rows.
    k0 = np.searchsorted(cw, ix.rws, side="left")
    k1 = np.searchsorted(cw, ix.rwe, side="right") - 1
    cnt = np.maximum(k1[xr] - k0[xr] + 1, 0)
    mc = np.repeat(xc, cnt)
    mk = k0[xr][mc] + np.arange(mc.size) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    gkey = xl[mc] * NW + mk
    o = np.argsort(gkey, kind="stable")
    mc, gkey = mc[o], gkey[o]
    gs, gn = _segments(gkey)
    G = int(gs.size)
    g_li, g_k = gkey[gs] // NW, gkey[gs] % NW
    mg = np.repeat(np.arange(G), gn)
    mr = xr[mc]
    mld = load[mr]

    # Rows and columns are collected as (group, kind, sub, sub2) keys and numbered
    # at the end; entries name their row and column by position in these lists.
    row_keys: list[tuple[np.ndarray, ...]] = []
    row_hi: list[np.ndarray] = []
    col_keys: list[tuple[np.ndarray, ...]] = []
    col_hi: list[np.ndarray] = []
    # entries: (row positions, columns, flow positions or not, values), in three parts
    ents: list[list[tuple[np.ndarray, np.ndarray, bool, np.ndarray]]] = [[], [], []]
    n_rows = n_cols = 0  # counts so far

    def add_rows(g: np.ndarray, kind: int, sub: Any, hi: np.ndarray, sub2: Any = 0) -> int:
        nonlocal n_rows
        k = g.size
        row_keys.append(
            (
                g.astype(np.int64),
                np.full(k, kind, np.int64),
                np.broadcast_to(np.asarray(sub, np.int64), (k,)),
                np.broadcast_to(np.asarray(sub2, np.int64), (k,)),
            )
        )
        row_hi.append(np.asarray(hi, dtype=np.float64))
        first = n_rows
        n_rows += k
        return first

    def add_cols(g: np.ndarray, kind: int, sub: Any, hi: np.ndarray) -> int:
        nonlocal n_cols
        k = g.size
        col_keys.append(
            (
                g.astype(np.int64),
                np.full(k, kind, np.int64),
                np.broadcast_to(np.asarray(sub, np.int64), (k,)),
            )
        )
        col_hi.append(np.asarray(hi, dtype=np.float64))
        first = n_cols
        n_cols += k
        return first

    def add_ents(row: np.ndarray, col: np.ndarray, flow: bool, val: Any, lead: bool) -> None:
        """Entries: row positions, columns (x column ids, or flow positions when
        ``flow``), values. ``lead``: the flow column that leads its row; the rest of a
        row follows column ids: x columns from one call, in order, then flow columns
        from calls in the order of their kinds."""
        v = np.broadcast_to(np.asarray(val, np.float64), (row.size,))
        ents[0 if lead else 2 if flow else 1].append((row, col, flow, v))

    # seats, all opleidingen together
    act_p = (pws[:, None] <= cw[None, :]) & (pwe[:, None] >= cw[None, :])
    seats_lk = np.zeros((NL, NW))
    np.add.at(seats_lk, lidx_of_plek, seats[:, None] * act_p)
    cap_g = seats_lk[g_li, g_k]
    tg = np.flatnonzero(gn > cap_g)
    r0 = add_rows(tg, 0, 0, cap_g[tg])
    rpos = np.full(G, -1, np.int64)
    rpos[tg] = r0 + np.arange(tg.size)
    sel = rpos[mg] >= 0
    add_ents(rpos[mg][sel], mc[sel], False, 1.0, False)
    # seats per opleiding
    opl_ids, m_oi = np.unique(opl_all[mr], return_inverse=True)
    NO = int(opl_ids.size)
    sk = mg * NO + m_oi
    o = np.argsort(sk, kind="stable")
    ss_, sn_ = _segments(sk[o])
    sub_key = sk[o][ss_]
    opl_pos = {int(v): i for i, v in enumerate(opl_ids.tolist())}
    ppairs = [(p, opl_pos[o]) for p, x in enumerate(pleks) for o in x.opleiding_ids if o in opl_pos]
    cap_sub = np.zeros(sub_key.size)
    if ppairs:
        pa = np.array(ppairs, dtype=np.int64)
        pi, kk = np.nonzero(act_p[pa[:, 0]])
        ck = (lidx_of_plek[pa[pi, 0]] * NW + kk) * NO + pa[pi, 1]
        ck_u, ck_inv = np.unique(ck, return_inverse=True)
        ck_v = np.bincount(ck_inv, seats[pa[pi, 0]], ck_u.size)
        want = (g_li[sub_key // NO] * NW + g_k[sub_key // NO]) * NO + sub_key % NO
        at = np.minimum(np.searchsorted(ck_u, want), max(ck_u.size - 1, 0))
        hit = ck_u[at] == want if ck_u.size else np.zeros(want.size, bool)
        cap_sub[hit] = ck_v[at[hit]]
    tsub = np.flatnonzero(sn_ > cap_sub)
    r0 = add_rows(sub_key[tsub] // NO, 1, sub_key[tsub] % NO, cap_sub[tsub])
    spos = np.full(sub_key.size, -1, np.int64)
    spos[tsub] = r0 + np.arange(tsub.size)
    m_sub = np.repeat(spos, sn_)  # per member in (group, opleiding, column) order
    sel = m_sub >= 0
    add_ents(m_sub[sel], mc[o][sel], False, 1.0, False)

    flows_of: list[tuple[np.ndarray, int]] = []  # (groups, first flow position), by kind
    # peer hours
    peer_locs = [li for li, loc in enumerate(loc_ids.tolist()) if ix.loc_peer.get(loc)]
    n_ap = np.zeros((NL, NW), dtype=np.int64)
    g_min = np.full((NL, NW), np.inf)
    if peer_locs:
        pl = np.repeat(peer_locs, [len(ix.loc_peer[int(loc_ids[li])]) for li in peer_locs])
        psrc = np.array(
            [s for li in peer_locs for s in ix.loc_peer[int(loc_ids[li])]], dtype=np.int64
        )
        pact = (sws[psrc][:, None] <= cw[None, :]) & (swe[psrc][:, None] >= cw[None, :])
        np.add.at(n_ap, pl, pact.astype(np.int64))
        sgf = np.asarray(ix.sgf, dtype=np.float64)
        np.minimum.at(g_min, pl, np.where(pact, sgf[psrc][:, None], np.inf))
    m_eer = ix.eerst[mr].astype(bool)
    m_ment = ix.mentor[mr].astype(bool)
    n_eer = np.bincount(mg, m_eer.astype(np.float64), G)
    n_ment = np.bincount(mg, m_ment.astype(np.float64), G)
    nap_g = n_ap[g_li, g_k]
    pg = np.flatnonzero((nap_g > 0) & (n_ment > 0) & (n_eer > 0))
    e_idx = np.flatnonzero(m_eer)
    e_st, e_n = _segments(mg[e_idx])
    eer_sum = np.zeros(G)
    eer_sum[mg[e_idx][e_st]] = _seg_sum(mld[e_idx], e_st, e_n)
    c0 = add_cols(pg, 0, 0, share * eer_sum[pg])
    flows_of.append((pg, c0))
    r1 = add_rows(pg, 2, 0, np.zeros(pg.size))
    r2 = add_rows(pg, 3, 0, np.zeros(pg.size))
    cpos = np.full(G, -1, np.int64)
    cpos[pg] = c0 + np.arange(pg.size)
    add_ents(r1 + np.arange(pg.size), cpos[pg], True, 1.0, True)
    add_ents(r2 + np.arange(pg.size), cpos[pg], True, g_min[g_li[pg], g_k[pg]], True)
    prow = np.full(G, -1, np.int64)
    prow[pg] = np.arange(pg.size)
    sel = (prow[mg] >= 0) & m_eer
    add_ents(r1 + prow[mg][sel], mc[sel], False, -share * mld[sel], False)
    sel = (prow[mg] >= 0) & m_ment
    add_ents(
        r2 + prow[mg][sel],
        mc[sel],
        False,
        -peer_hours * nap_g[mg][sel].astype(np.float64),
        False,
    )
    # leerafdeling plekken: a flow column and a row per plek with sources running
    own = np.array(sorted(ix.plek_sources), dtype=np.int64)
    if own.size:
        own = own[np.lexsort((own, lidx_of_plek[own]))]  # by location, then plek
        own_sum, own_cnt = _list_sums([ix.plek_sources[int(p)] for p in own], sh, sws, swe, cw)
        own_li = lidx_of_plek[own]
        optr = np.searchsorted(own_li, np.arange(NL + 1))
        # (group, own plek) pairs where the plek has sources running
        per_g = optr[g_li + 1] - optr[g_li]
        og = np.repeat(np.arange(G), per_g)
        oj = optr[g_li][og] + np.arange(og.size) - np.repeat(np.cumsum(per_g) - per_g, per_g)
        ok = own_cnt[oj, g_k[og]] > 0
        og, oj = og[ok], oj[ok]
        c0 = add_cols(og, 1, own[oj], own_sum[oj, g_k[og]])
        flows_of.append((og, c0))
        r0 = add_rows(og, 4, own[oj], np.zeros(og.size))
        add_ents(r0 + np.arange(og.size), c0 + np.arange(og.size), True, 1.0, True)
        # members eligible at the plek
        pairs = np.unique(pr[np.isin(pp, own)] * P + pp[np.isin(pp, own)])
        gp_key = og * P + own[oj]  # sorted: by group, then plek
        per_m = optr[g_li[mg] + 1] - optr[g_li[mg]]
        mi = np.repeat(np.arange(mc.size), per_m)
        mj = optr[g_li[mg]][mi] + np.arange(mi.size) - np.repeat(np.cumsum(per_m) - per_m, per_m)
        want = mr[mi] * P + own[mj]
        at = np.minimum(np.searchsorted(pairs, want), max(pairs.size - 1, 0))
        elig = pairs[at] == want if pairs.size else np.zeros(want.size, bool)
        mi, mj = mi[elig], mj[elig]
        want = mg[mi] * P + own[mj]
        at = np.minimum(np.searchsorted(gp_key, want), max(gp_key.size - 1, 0))
        hit = gp_key[at] == want if gp_key.size else np.zeros(want.size, bool)
        mi, at = mi[hit], at[hit]
        add_ents(r0 + at, mc[mi], False, -mld[mi], False)
    # docent-begeleiders: a flow column and a row per school with sources running
    school_ids = np.array(sorted(ix.school_sources), dtype=np.int64)
    if school_ids.size:
        sc_sum, sc_cnt = _list_sums(
            [ix.school_sources[int(s)] for s in school_ids], sh, sws, swe, cw
        )
        m_si = np.searchsorted(school_ids, school_all[mr])
        m_si = np.minimum(m_si, school_ids.size - 1)
        has = school_ids[m_si] == school_all[mr]
        NS = int(school_ids.size)
        hk = np.where(has, mg * NS + m_si, -1)
        o = np.argsort(hk, kind="stable")
        o = o[hk[o] >= 0]
        ss_, sn_ = _segments(hk[o])
        sub = hk[o][ss_]
        sg, si = sub // NS, sub % NS
        ld_sum = _seg_sum(mld[o], ss_, sn_)
        ok = sc_cnt[si, g_k[sg]] > 0
        src = sc_sum[si, g_k[sg]]
        dg, dsi, dhi = sg[ok], si[ok], np.minimum(src[ok], ld_sum[ok])
        c0 = add_cols(dg, 2, school_ids[dsi], dhi)
        flows_of.append((dg, c0))
        r0 = add_rows(dg, 5, school_ids[dsi], np.zeros(dg.size))
        add_ents(r0 + np.arange(dg.size), c0 + np.arange(dg.size), True, 1.0, True)
        spos = np.full(sub.size, -1, np.int64)
        spos[np.flatnonzero(ok)] = r0 + np.arange(dg.size)
        m_sub = np.repeat(spos, sn_)
        sel = m_sub >= 0
        add_ents(m_sub[sel], mc[o][sel], False, -mld[o][sel], False)
        # one row per (school, week): the docent columns add up to its hours, in the
        # order the pairs first came (by group, then school)
        dkey = dsi * NW + g_k[dg]
        uk, first = np.unique(dkey, return_index=True)
        rk = np.searchsorted(uk, dkey)
        r0 = add_rows(
            np.full(uk.size, G), 8, dg[first], sc_sum[uk // NW, uk % NW], school_ids[uk // NW]
        )
        add_ents(r0 + rk, c0 + np.arange(dg.size), True, 1.0, False)
    # regional pool: a flow column per group, one row per week
    pool = [int(s) for s in ix.pool_sources]
    if pool:
        pool_sum, pool_cnt = _list_sums([pool], sh, sws, swe, cw)
        qg = np.flatnonzero(pool_cnt[0, g_k] > 0)
        all_sum = _seg_sum(mld, gs, gn)
        c0 = add_cols(qg, 3, 0, np.minimum(pool_sum[0, g_k[qg]], all_sum[qg]))
        flows_of.append((qg, c0))
        uk, first = np.unique(g_k[qg], return_index=True)
        rk = np.searchsorted(uk, g_k[qg])
        r0 = add_rows(np.full(uk.size, G), 9, qg[first], pool_sum[0, uk])
        add_ents(r0 + rk, c0 + np.arange(qg.size), True, 1.0, False)

    # supervision balance and students rows, one each per group
    loc_list = loc_ids.tolist()
    local_lists = [ix.loc_sources.get(loc, []) for loc in loc_list]
    cap_local, _ = _list_sums(local_lists, sh, sws, swe, cw)
    unl_lists = [[s for s in x if not limited[s]] for x in local_lists]
    cap_unl, _ = _list_sums(unl_lists, sh, sws, swe, cw)
    lim_lists = [[s for s in x if limited[s]] for x in local_lists]
    m_lim, _ = _list_sums(lim_lists, smax.astype(np.float64), sws, swe, cw)
    lmin = np.full(NL, np.inf)
    np.minimum.at(lmin, xl, load[xr])
    denom = (1.0 - share) * lmin
    allg = np.arange(G)
    rb = add_rows(allg, 6, 0, cap_local[g_li, g_k])
    stg = np.flatnonzero(denom[g_li] > 1e-9)
    dg_ = denom[g_li[stg]]
    rs_ = add_rows(stg, 7, 0, m_lim[g_li[stg], g_k[stg]] + cap_unl[g_li[stg], g_k[stg]] / dg_)
    srow = np.full(G, -1, np.int64)
    srow[stg] = np.arange(stg.size)
    inv_denom = np.zeros(G)
    inv_denom[stg] = -1.0 / dg_
    add_ents(rb + mg, mc, False, mld, False)
    sel = srow[mg] >= 0
    add_ents(rs_ + srow[mg][sel], mc[sel], False, 1.0, False)

    # Number the rows and flow columns in the order of the docstring.
    rk4 = [np.concatenate([k[i] for k in row_keys]) for i in range(4)]
    row_order = np.lexsort((rk4[3], rk4[2], rk4[1], rk4[0]))
    row_id = np.empty(n_rows, np.int64)
    row_id[row_order] = np.arange(n_rows) + assign_rows.size
    ck3 = [np.concatenate([k[i] for k in col_keys]) for i in range(3)]
    col_order = np.lexsort((ck3[2], ck3[1], ck3[0]))
    col_id = np.empty(n_cols, np.int64)
    col_id[col_order] = np.arange(n_cols) + nx
    # The flow columns in the balance and students rows of their group.
    for g_f, c0 in flows_of:
        cid = c0 + np.arange(g_f.size)
        add_ents(rb + g_f, cid, True, -1.0, False)
        s = srow[g_f] >= 0
        add_ents(rs_ + srow[g_f][s], cid[s], True, inv_denom[g_f][s], False)

    # Within a row the parts give the entries in order: a stable sort by row is enough.
    chunks = [c for part in ents for c in part]
    e_row = np.concatenate([row_id[r] for r, _, _, _ in chunks])
    o = np.argsort(e_row, kind="stable")
    ne = nx + e_row.size
    r_arr, c_arr, v_arr = np.empty(ne, np.int64), np.empty(ne, np.int64), np.ones(ne)
    r_arr[:nx] = np.searchsorted(reqs_with, xr)
    c_arr[:nx] = xc
    np.take(e_row, o, out=r_arr[nx:])
    del e_row
    e = np.concatenate([col_id[c] if flow else c for _, c, flow, _ in chunks])
    np.take(e, o, out=c_arr[nx:])
    del e
    np.take(np.concatenate([v for _, _, _, v in chunks]), o, out=v_arr[nx:])
    hi_flow = np.concatenate(col_hi)[col_order]
    rhi = np.empty(n_rows)
    rhi[row_id - assign_rows.size] = np.concatenate(row_hi)
    lp = _LP(
        cost=np.concatenate([x_cost, np.zeros(n_cols)]),
        lo=np.concatenate([x_lo, np.zeros(n_cols)]),
        hi=np.concatenate([np.ones(nx), hi_flow]),
        rhi=np.concatenate([np.ones(reqs_with.size), rhi]),
        r_arr=r_arr,
        c_arr=c_arr,
        v_arr=v_arr,
    )
    xcols = np.stack([xc, xr, loc_ids[xl]], axis=1)
    return lp, xcols, assign_rows, NW


def lp_relaxation(
    ix: Index,
    st: State,
    fixed: np.ndarray,
    *,
    time_limit: float | None = None,
    target: float | None = None,
    steps: int = 120,
) -> LPResult:
    """Bound (and guidance) from the LP: HiGHS when small, else its Lagrangian dual.

    ``target`` is the value of a known allocation (unused, kept for callers);
    ``steps``: subgradient steps of the Lagrangian (a work budget: the same steps
    give the same bound anywhere); ``time_limit``: a wall-clock safety cap, whose
    hit sets ``info["capped"]``.
    """
    t0 = time.perf_counter()
    import highspy

    lp, xcols, assign_rows, n_weeks = _build(ix, st, fixed)

    n_col, n_row = lp.n_col, lp.rhi.size
    info: dict[str, Any] = {
        "columns": n_col,
        "rows": n_row,
        "nonzeros": int(lp.v_arr.size),
        "check_weeks": n_weeks,
    }
    t_build = time.perf_counter() - t0
    if n_col == 0:
        info.update(status="empty", upper_bound=0.0, bound_kind="lp_relaxation")
        return LPResult({}, info)

    r_arr, c_arr, v_arr = lp.r_arr, lp.c_arr, lp.v_arr
    if n_col > HIGHS_MAX_COLUMNS:
        return _lagrangian(
            ix, lp, r_arr, c_arr, v_arr, xcols, assign_rows, info, t_build, time_limit, steps
        )
    order = np.argsort(c_arr, kind="stable")
    start = np.zeros(n_col + 1, dtype=np.int64)
    np.cumsum(np.bincount(c_arr, minlength=n_col), out=start[1:])

    with _quiet_stdout():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)  # deterministic, and the machine is shared
    for k, v in _EXTRA_OPTIONS.items():
        h.setOptionValue(k, v)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(max(time_limit, 0.1)))
    m = highspy.HighsLp()
    m.num_col_ = n_col
    m.num_row_ = n_row
    m.col_cost_ = lp.cost
    m.col_lower_ = lp.lo
    m.col_upper_ = lp.hi
    m.row_lower_ = np.full(n_row, -highspy.kHighsInf)
    m.row_upper_ = lp.rhi
    m.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    m.a_matrix_.start_ = start.astype(np.int32)
    m.a_matrix_.index_ = r_arr[order].astype(np.int32)
    m.a_matrix_.value_ = v_arr[order]
    m.sense_ = highspy.ObjSense.kMaximize
    h.passModel(m)
    t1 = time.perf_counter()
    h.run()
    info.update(
        status=h.modelStatusToString(h.getModelStatus()),
        build_seconds=round(t_build, 3),
        solve_seconds=round(time.perf_counter() - t1, 3),
        iterations=int(h.getInfo().simplex_iteration_count),
    )
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        if h.getModelStatus() == highspy.HighsModelStatus.kTimeLimit:
            info["capped"] = True
        return LPResult({}, info)  # only an optimal LP value is a proven bound
    obj = float(h.getInfo().objective_function_value)
    prio_int = bool(np.all(ix.prio == np.round(ix.prio)))
    info["lp_objective"] = obj
    # With integer priorities the bound rounds down (room left for tolerances).
    info["upper_bound"] = float(np.floor(obj + 0.01)) if prio_int else obj
    info["bound_kind"] = "lp_relaxation"
    xv = np.asarray(h.getSolution().col_value)
    return LPResult(_x_dict(xcols, xv, 1e-6), info)


def _x_dict(xcols: np.ndarray, xv: np.ndarray, tol: float) -> dict[int, dict[int, float]]:
    """request index -> location id -> LP value, for the values above tol."""
    vals = xv[xcols[:, 0]]
    keep = vals > tol
    x: dict[int, dict[int, float]] = defaultdict(dict)
    for (_, r, loc), v in zip(xcols[keep].tolist(), vals[keep].tolist(), strict=True):
        x[r][loc] = v
    return dict(x)


__all__ = ["PEER", "LPResult", "lp_relaxation"]


def _lagrangian(
    ix: Index, lp: _LP, r_arr, c_arr, v_arr, xcols, assign_rows, info, t_build, time_limit, steps
) -> LPResult:
    """Upper bound by weak duality after ``steps`` steps of :class:`LagrangianDescent`."""
    t0 = time.perf_counter()
    cap = math.inf if time_limit is None else max(0.5, time_limit)
    prio_int = bool(np.all(ix.prio == np.round(ix.prio)))
    descent = LagrangianDescent(lp, r_arr, c_arr, v_arr, xcols, assign_rows, prio_int)
    xv, capped = descent.guide(max(1, int(steps)), deadline=t0 + cap)
    info.update(
        status="Lagrangian",
        method="lagrangian_smoothed_adam",
        build_seconds=round(t_build, 3),
        solve_seconds=round(time.perf_counter() - t0, 3),
        iterations=descent.it,
        lp_objective=descent.best,
        upper_bound=descent.upper_bound(),
        bound_kind="lagrangian_dual",
    )
    if capped:
        info["capped"] = True
    return LPResult(_x_dict(xcols, xv, 1e-3), info, descent)


class LagrangianDescent:
    """Upper bound by weak duality: any prices y >= 0 on the rows give one.

    L(y) = rhs . y + sum over requests of max(0, best reduced cost of its x)
           + sum over other columns of max(lo * rc, hi * rc),  rc = cost - A^T y,
    keeping each request's assign row (sum_l x <= 1) out of the prices. L is
    minimised over y with Adam on a smoothed L (log-sum-exp instead of max, at
    a temperature that is lowered step by step); the smoothed value is never
    below L, and the bound is the exact L at the best prices seen
    (``best``). :meth:`guide` takes the first steps and averages the soft choices
    into an approximate LP solution for guidance; :meth:`extend` goes on from
    there for the bound alone (in a second process, beside the search). Both
    are functions of the LP and their step counts only.
    """

    def __init__(self, lp: _LP, r_arr, c_arr, v_arr, xcols, assign_rows, prio_int: bool) -> None:
        n_col, n_row = lp.n_col, lp.rhi.size
        self.cost, self.lo, self.hi = lp.cost, lp.lo, lp.hi
        priced = np.ones(n_row, dtype=bool)
        priced[np.asarray(assign_rows, dtype=np.int64)] = False
        self.priced = priced
        keep = priced[r_arr]
        # The priced matrix in CSR and its transpose in CSR: A x and A^T y are then
        # single passes in compiled code (3.5 million nonzeros at 10,000 requests:
        # 5 ms each, against 15-20 ms for segment sums in numpy).
        self.a_mat = sparse.csr_array(
            (v_arr[keep], (r_arr[keep], c_arr[keep])), shape=(n_row, n_col), dtype=np.float64
        )
        self.at_mat = self.a_mat.T.tocsr()
        xidx, xreq = xcols[:, 0], xcols[:, 1]
        is_x = np.zeros(n_col, dtype=bool)
        is_x[xidx] = True
        self.xidx = xidx
        self.other = np.nonzero(~is_x)[0]
        self.gstart = np.flatnonzero(np.r_[True, xreq[1:] != xreq[:-1]])
        self.gid = np.repeat(np.arange(self.gstart.size), np.diff(np.r_[self.gstart, xidx.size]))
        forced_g = np.zeros(self.gstart.size, dtype=bool)
        forced_g[self.gid[self.lo[xidx] >= 1.0]] = True
        self.forced_g = forced_g
        self.rhs = lp.rhi * priced
        self.y = np.zeros(n_row)
        self.m = np.zeros(n_row)
        self.v = np.zeros(n_row)
        self.it = 0
        self.prio_int = prio_int  # integer priorities: the bound rounds down
        self.best = self.exact_value(self.y)

    def exact_value(self, y: np.ndarray) -> float:
        rc = self.cost - self.at_mat @ y
        other, lo, hi = self.other, self.lo, self.hi
        rco = rc[other]
        val = float(self.rhs @ y) + float(np.maximum(lo[other] * rco, hi[other] * rco).sum())
        gmax = np.maximum.reduceat(rc[self.xidx], self.gstart)
        gval = np.where(self.forced_g, gmax, np.maximum(gmax, 0.0))
        return val + float(gval.sum())

    def _smooth_x(self, tau: float) -> np.ndarray:
        """The soft choices at the prices y and temperature tau (the smoothed L's gradient)."""
        rc = self.cost - self.at_mat @ self.y
        other, lo, hi = self.other, self.lo, self.hi
        x = np.zeros(rc.size)
        span = hi[other] - lo[other]
        # a logistic between the two bounds of each flow column
        z = np.clip(rc[other] * span / tau, -50, 50)
        x[other] = lo[other] + span / (1.0 + np.exp(-z))
        rcx = rc[self.xidx]
        gstart, gid = self.gstart, self.gid
        shift = np.maximum(np.maximum.reduceat(rcx, gstart), 0.0)
        e = np.exp((rcx - shift[gid]) / tau)
        tot = np.add.reduceat(e, gstart) + np.exp(-shift / tau) * (~self.forced_g)
        x[self.xidx] = e / tot[gid]
        return x

    def _step(self, tau: float, lr: float) -> np.ndarray:
        x = self._smooth_x(tau)
        grad = self.rhs - self.a_mat @ x
        grad[~self.priced] = 0.0
        self.it += 1
        b1, b2, it = 0.9, 0.999, self.it
        self.m = b1 * self.m + (1 - b1) * grad
        self.v = b2 * self.v + (1 - b2) * grad * grad
        mh = self.m / (1 - b1**it)
        vh = self.v / (1 - b2**it)
        self.y = np.maximum(0.0, self.y - lr * mh / (np.sqrt(vh) + 1e-9))
        if it % 5 == 0:
            self.best = min(self.best, self.exact_value(self.y))
        return x

    def guide(self, steps: int, deadline: float = math.inf) -> tuple[np.ndarray, bool]:
        """``steps`` steps from a high temperature down; the averaged soft choices."""
        avg = np.zeros(self.cost.size)
        n_avg = 0
        tau, lr = 0.2, 0.02
        for k in range(1, steps + 1):
            if time.perf_counter() > deadline:
                return avg / max(n_avg, 1), True
            x = self._step(tau, lr)
            # Anneal by the share of the steps done, so small and large problems
            # both end at a low temperature.
            frac = k / steps
            tau = 0.2 * (0.005 / 0.2) ** min(1.0, 1.6 * frac)
            lr = 0.02 * (0.002 / 0.02) ** frac
            if frac > 0.3:
                avg += x
                n_avg += 1
        self.best = min(self.best, self.exact_value(self.y))
        return avg / max(n_avg, 1), False

    def extend(self, steps: int) -> float:
        """``steps`` more steps at the last temperature, the step size falling tenfold."""
        for k in range(steps):
            self._step(EXTEND_TAU, EXTEND_LR * 0.1 ** (k / max(steps, 1)))
        self.best = min(self.best, self.exact_value(self.y))
        return self.best

    def upper_bound(self) -> float:
        # With integer priorities the bound rounds down (room left for tolerances).
        return float(np.floor(self.best + 0.01)) if self.prio_int else self.best
