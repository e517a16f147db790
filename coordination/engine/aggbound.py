"""A compact relaxation of the allocation and its Lagrangian dual: a bound at every size.

The LP of ``bound.py`` has, per location and check week, rows per opleiding and
flow columns per school; at 100,000 requests it would hold tens of millions of
nonzeros. This relaxation keeps only what is needed per *location* ``l`` and
*check week* ``w`` (weeks in which something starts or ends; between two of them
nothing changes), and pools the sources that are shared between locations:

* ``x[r,l]`` in [0, 1], one per request and location where it has an eligible plek;
  ``sum_l x[r,l] <= 1``; a confirmed placement has x = 1 at its plek's location.
* seats: ``sum_{r running w} x[r,l] <= S[l,w]``, the seats of l's plekken running w.

  Up to ``PER_PLEK_PAIRS`` eligible pairs the columns are per request and *plek*,
  ``x[r,p]``, and the seats rows are rule 2 itself, one per plek and check week
  (``sum_{r running w} x[r,p] <= seats_p``); the rows below then read
  ``x[r,l] = sum of x[r,p] over l's plekken``. At 300 requests this alone brings the
  bound to the exact optimum (seeds 5 and 6: 214 and 240, against 221 and 244 for the
  LP of ``bound.py``), at 1,000 from 1,093 to the exact model's LP, 1,082
  (``locbound.py``): requests eligible at a location are often eligible at only
  some of its plekken, which seats per location ignore.
* supervision: ``sum_{r running w} load_r x[r,l] - f[l,w] <= H[l,w]``, where H is the
  hours / group_factor of l's location sources running w, plus the leerafdeling
  hours of l's plekken running w, plus a constant cap on the peer hours at l:
  ``min(peer_share * (load of the eerstejaars eligible at l running w),
  peer_hours * (peer sources at l) * (mentors eligible at l running w) / g)``,
  g the smallest group factor of those peer sources.
* students: ``sum_{r running w} x[r,l] - f[l,w] / d_l <= M[l,w] + (U[l,w] + peer and
  leerafdeling caps) / d_l``, with M the max_students of l's limited sources, U the
  hours/group_factor of its unlimited ones, ``d_l = (1 - peer_share) * (smallest
  load eligible at l)``.
* shared: ``f[l,w] >= 0`` is what docent-begeleiders and regional pools carry at
  l in w; ``sum_l f[l,w] <= D[w]``, all docent and pool hours / group_factor running w.

Why it is an upper bound on the priority-weighted number placed. It is a
relaxation of the LP of ``bound.py`` (see its docstring for why that LP holds
every feasible allocation): there, each peer and leerafdeling flow column is at
most the constant used here (its column bound, or its linking row at x <= 1),
so moving those columns to the right-hand side at their caps only loosens the
supervision and students rows; the per-opleiding seat rows are dropped; the
docent columns of all schools and the pool column at (l, w) are summed into
f[l,w], and adding up their per-school and pool rows gives the shared row
(their per-location caps are dropped). Every point of that LP thus maps to a
point here with the same objective, so the optimum here is at least the LP
optimum, hence at least any feasible allocation's weighted count. With seats per
plek: a feasible allocation's x[r,p] meet rule 2's rows, and summed per location
they are a point of the per-location relaxation just argued (without its seats
rows, which only loosen it further), so the per-plek relaxation holds it too. The bound
reported is the Lagrangian dual value L(y) for prices y >= 0 on all rows except
the assign rows ``sum_l x[r,l] <= 1``:

    L(y) = rhs . y + sum_r max(0, max_l rc[r,l]) + sum_{l,w} D[w] max(0, rc_f[l,w])

(a confirmed request takes its single column's rc, whatever its sign), with
rc[r,l] = prio_r - sum_{w in r's weeks} (y_seat[l,w] + load_r y_sup[l,w] +
y_stud[l,w]) and rc_f[l,w] = y_sup[l,w] + y_stud[l,w] / d_l - y_shared[w]. For any
y >= 0 and any feasible x, f: objective <= objective + y . (rhs - A (x, f)) =
L evaluated at (x, f) <= L(y), because each request's columns and each f are
then maximised independently over their bounds. So every L(y) is a bound, at
any step of the descent and however far from converged; the value reported is
the smallest L seen, computed exactly (not the smoothed value). Nothing is
solved by an external solver, and the data are one row of numbers per
(request, location) pair (2.87 million at 100,000 requests) plus a few arrays
per location and check week.

The descent is the smoothed Adam of ``bound.py`` (log-sum-exp instead of max
at a falling temperature), for a fixed number of steps: the same input and
steps give the same bound at any load, so running it in a second process
(:func:`start`) beside the search changes nothing in the result.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import background
from .background import Pending
from .index import Index
from .state import BIG
from .weeks import week_index

DEFAULT_STEPS = 300
# Seats per plek up to this many eligible (request, plek) pairs (10,000 requests: 0.6
# million), per location above it: at 100,000 requests the per-plek columns (about 7
# million) would take the bound process past the memory target.
PER_PLEK_PAIRS = 2_000_000


@dataclass
class _Relaxation:
    NL: int
    NW: int
    NP: int  # seat units: plekken, or locations when per_plek is off
    xr: np.ndarray  # request of each column (sorted by request)
    i0: np.ndarray  # flat index (l, k0) into (NL, NW + 1) prefix sums
    i1: np.ndarray  # flat index (l, k1 + 1)
    j0: np.ndarray  # flat index (unit, k0) into (NP, NW + 1) prefix sums: the seats rows
    j1: np.ndarray
    # The weeks of a column are its request's period: sums of prices over them are
    # taken once per (location, period) and (seat unit, period), then looked up.
    ci: np.ndarray  # (location, period) of each column
    cj: np.ndarray  # (seat unit, period) of each column
    ui0: np.ndarray  # flat index (l, k0) of each (location, period)
    ui1: np.ndarray
    uj0: np.ndarray  # flat index (unit, k0) of each (seat unit, period)
    uj1: np.ndarray
    xload: np.ndarray
    xprio: np.ndarray
    gstart: np.ndarray  # first column of each request that has one
    gsize: np.ndarray  # columns per group
    forced: np.ndarray  # per group: a confirmed placement
    seats: np.ndarray  # (NP, NW): per seat unit
    sup: np.ndarray
    stud: np.ndarray
    inv_d: np.ndarray  # (NL,) 1 / d_l, 0 where there is no students row
    shared: np.ndarray  # (NW,)
    has_stud: np.ndarray  # (NL,) bool
    loc_ids: np.ndarray  # (NL,) location id of each location index


def _build(
    ix: Index, fixed: np.ndarray, fixed_plek: np.ndarray, per_plek: bool
) -> _Relaxation | None:
    settings = ix.problem.settings
    share = float(settings.peer_share)
    peer_hours = float(settings.peer_hours)
    T = ix.T
    R = len(ix.rid)
    P = len(ix.pid)
    if R == 0 or P == 0 or ix.eplek.size == 0:
        return None
    pleks = sorted(ix.problem.plekken, key=lambda p: p.id)
    pws = np.array([week_index(p.start) - ix.w0 for p in pleks], dtype=np.int64)
    pwe = np.array([week_index(p.end) - ix.w0 for p in pleks], dtype=np.int64)
    sws = np.asarray(ix.sws, dtype=np.int64)
    swe = np.asarray(ix.swe, dtype=np.int64)
    marks = set(ix.rws.tolist()) | {int(w) + 1 for w in ix.rwe.tolist()}
    marks |= set(pws.tolist()) | {int(w) + 1 for w in pwe.tolist()}
    marks |= set(sws.tolist()) | {int(w) + 1 for w in swe.tolist()}
    cw = np.asarray(sorted(w for w in marks if 0 <= w < T), dtype=np.int64)
    NW = int(cw.size)

    ploc = np.asarray(ix.ploc, dtype=np.int64)
    loc_ids = np.unique(ploc)
    NL = int(loc_ids.size)
    lidx = np.searchsorted(loc_ids, ploc)
    pr = np.repeat(np.arange(R, dtype=np.int64), np.diff(ix.eptr))
    pp = ix.eplek.astype(np.int64)
    fx = np.nonzero(fixed)[0]
    if fx.size:
        keep = ~fixed[pr]
        pr = np.concatenate([pr[keep], fx])
        pp = np.concatenate([pp[keep], fixed_plek[fx].astype(np.int64)])
    # The seat unit of each plek: itself, or its location (one column per request and
    # location, seats summed over the location's plekken).
    unit = np.arange(P) if per_plek else lidx
    NU = P if per_plek else NL
    unit_loc = lidx if per_plek else np.arange(NL)
    # unique keys by sorting: numpy's hash-based np.unique takes 4 times as long here
    key = np.sort(pr * NU + unit[pp])
    ukey = key[np.r_[True, key[1:] != key[:-1]]] if key.size else key
    del key
    del pr, pp
    xr = ukey // NU
    xp = ukey % NU
    xl = unit_loc[xp]
    del ukey
    load = np.asarray(ix.load, dtype=np.float64)
    k0 = np.searchsorted(cw, ix.rws, side="left")
    k1 = np.searchsorted(cw, ix.rwe, side="right") - 1
    W1 = NW + 1
    i0 = xl * W1 + k0[xr]
    i1 = xl * W1 + k1[xr] + 1
    # seats per location: the seat units are the locations, their indexes the same
    j0 = (xp * W1 + k0[xr]).astype(np.int32) if per_plek else i0
    j1 = (xp * W1 + k1[xr] + 1).astype(np.int32) if per_plek else i1
    _, first, rper = np.unique(k0 * (W1 + 1) + k1 + 1, return_index=True, return_inverse=True)
    pk0, pk1 = k0[first], k1[first]
    NPER = int(first.size)
    ci = (xl * NPER + rper[xr]).astype(np.int32)
    cj = (xp * NPER + rper[xr]).astype(np.int32) if per_plek else ci

    def per_lw(weights: np.ndarray | None) -> np.ndarray:
        """(NL, NW): the sum of weights over the columns at l whose request runs in w."""
        a = np.bincount(i0, weights, minlength=NL * W1) - np.bincount(i1, weights, NL * W1)
        return np.cumsum(a.reshape(NL, W1), axis=1)[:, :NW]

    def active(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """(n, NW) bool: running in check week k."""
        return (starts[:, None] <= cw[None, :]) & (ends[:, None] >= cw[None, :])

    seats = np.zeros((NU, NW))
    np.add.at(seats, unit, np.asarray(ix.seats, float)[:, None] * active(pws, pwe))

    sh = np.asarray(ix.shours, dtype=np.float64) / np.asarray(ix.sgf, dtype=np.float64)
    smax = np.asarray(ix.smax)
    lpos = {int(v): i for i, v in enumerate(loc_ids.tolist())}
    cap_local = np.zeros((NL, NW))
    m_lim = np.zeros((NL, NW))
    cap_unl = np.zeros((NL, NW))
    ls = [(lpos[loc], s) for loc, ss in ix.loc_sources.items() if loc in lpos for s in ss]
    if ls:
        sl = np.array([a for a, _ in ls], dtype=np.int64)
        si = np.array([b for _, b in ls], dtype=np.int64)
        act = active(sws[si], swe[si])
        lim = smax[si] < BIG
        for k in range(NW):
            a = act[:, k]
            cap_local[:, k] = np.bincount(sl, sh[si] * a, NL)
            m_lim[:, k] = np.bincount(sl, np.where(lim, smax[si], 0) * a, NL)
            cap_unl[:, k] = np.bincount(sl, np.where(lim, 0.0, sh[si]) * a, NL)
    extra = np.zeros((NL, NW))  # leerafdeling and peer caps
    lp_ = [(int(lidx[p]), s) for p, ss in ix.plek_sources.items() for s in ss]
    if lp_:
        sl = np.array([a for a, _ in lp_], dtype=np.int64)
        si = np.array([b for _, b in lp_], dtype=np.int64)
        act = active(sws[si], swe[si])
        for k in range(NW):
            extra[:, k] += np.bincount(sl, sh[si] * act[:, k], NL)
    if any(ix.loc_peer.values()):
        eer_load = per_lw(load[xr] * ix.eerst[xr])
        n_ment = per_lw(ix.mentor[xr].astype(np.float64))
        sgf = np.asarray(ix.sgf, dtype=np.float64)
        for loc, peers in ix.loc_peer.items():
            if loc not in lpos or not peers:
                continue
            li = lpos[loc]
            pa = np.asarray(peers, dtype=np.int64)
            act = active(sws[pa], swe[pa])
            for k in range(NW):
                a = pa[act[:, k]]
                if a.size:
                    g = float(sgf[a].min())
                    by_hours = peer_hours * a.size * n_ment[li, k] / g if g > 0 else math.inf
                    extra[li, k] += min(share * eer_load[li, k], by_hours)
    lmin = np.full(NL, np.inf)
    np.minimum.at(lmin, xl, load[xr])
    d = (1.0 - share) * lmin
    has_stud = d > 1e-9
    inv_d = np.where(has_stud, 1.0 / np.where(has_stud, d, 1.0), 0.0)
    sup = cap_local + extra
    stud = np.where(has_stud[:, None], m_lim + (cap_unl + extra) * inv_d[:, None], 0.0)
    shared_src = [s for ss in ix.school_sources.values() for s in ss] + list(ix.pool_sources)
    shared = np.zeros(NW)
    if shared_src:
        sa = np.asarray(shared_src, dtype=np.int64)
        shared = (sh[sa][:, None] * active(sws[sa], swe[sa])).sum(axis=0)
    gstart = np.flatnonzero(np.r_[True, xr[1:] != xr[:-1]])
    forced = fixed[xr[gstart]]
    return _Relaxation(
        NL=NL,
        NW=NW,
        NP=NU,
        xr=xr.astype(np.int32),
        # bincount takes its bins as intp: int64 spares it a conversion per call
        i0=i0.astype(np.intp, copy=False),
        i1=i1.astype(np.intp, copy=False),
        j0=j0,
        j1=j1,
        ci=ci,
        cj=cj,
        ui0=(np.arange(NL)[:, None] * W1 + pk0[None, :]).ravel(),
        ui1=(np.arange(NL)[:, None] * W1 + pk1[None, :] + 1).ravel(),
        uj0=(np.arange(NU)[:, None] * W1 + pk0[None, :]).ravel(),
        uj1=(np.arange(NU)[:, None] * W1 + pk1[None, :] + 1).ravel(),
        xload=load[xr],
        xprio=np.asarray(ix.prio, dtype=np.float64)[xr],
        gstart=gstart,
        gsize=np.diff(np.r_[gstart, xr.size]),
        forced=forced,
        seats=seats,
        sup=sup,
        stud=stud,
        inv_d=inv_d,
        shared=shared,
        has_stud=has_stud,
        loc_ids=loc_ids,
    )


class Guidance:
    """Soft choices per request, request index -> {location id: value}, kept as arrays.

    At 100,000 requests the soft choices spread over 2.4 million (request, location)
    pairs: 400 MB as Python dicts, 30 MB here; a request's dict is made when asked for.
    """

    def __init__(self, n_requests: int, req: np.ndarray, loc: np.ndarray, val: np.ndarray):
        # Per (request, location): the sum over its plekken, in column order.
        o = np.lexsort((loc, req))
        req, loc, val = req[o], loc[o], val[o]
        first = np.r_[True, (req[1:] != req[:-1]) | (loc[1:] != loc[:-1])]
        starts = np.flatnonzero(first)
        self._loc = loc[starts]
        self._val = np.add.reduceat(val, starts) if val.size else val
        self._ptr = np.searchsorted(req[starts], np.arange(n_requests + 1))
        self._n = int(np.count_nonzero(np.diff(self._ptr)))  # requests with a value

    def get(self, r: int, default: Any = None) -> dict[int, float] | Any:
        a, b = int(self._ptr[r]), int(self._ptr[r + 1])
        if a == b:
            return default
        return dict(zip(self._loc[a:b].tolist(), self._val[a:b].tolist(), strict=True))

    def values_at(self, r: int, locs: np.ndarray) -> np.ndarray | None:
        """``[get(r)[l] or 0.0 for l in locs]`` without the dict; None where get(r) is."""
        a, b = int(self._ptr[r]), int(self._ptr[r + 1])
        if a == b:
            return None
        own = self._loc[a:b]  # sorted
        k = np.minimum(np.searchsorted(own, locs), b - a - 1)
        return np.where(own[k] == locs, self._val[a:b][k], 0.0)

    def sums(self, n_requests: int) -> np.ndarray:
        """Per request, sum(get(r, {}).values()): added in the same order, one by one."""
        out = np.zeros(n_requests)
        lens = np.diff(self._ptr)
        start = self._ptr[:-1]
        for j in range(int(lens.max()) if lens.size else 0):
            at = np.flatnonzero(lens > j)
            out[at] += self._val[start[at] + j]
        return out

    def __len__(self) -> int:
        return self._n


def compact_bound(
    ix: Index,
    fixed: np.ndarray,
    fixed_plek: np.ndarray,
    *,
    steps: int = DEFAULT_STEPS,
    lr0: float = 0.01,
    tau0: float = 0.02,
    guidance: bool = False,
    per_plek: bool | None = None,
) -> dict[str, Any]:
    """The bound of the compact relaxation (module docstring) after ``steps`` steps.

    ``fixed``: per request index, a confirmed placement, at plek index
    ``fixed_plek[r]``. Returns ``upper_bound`` (rounded down when priorities are
    integers), ``value`` (the exact L at the best prices seen), sizes and seconds;
    with ``guidance``, also ``x``: request index -> location id -> the soft choices
    of the last 70 % of the steps, averaged (an approximate LP solution), as a
    :class:`Guidance`.
    """
    t0 = time.perf_counter()
    if per_plek is None:
        per_plek = ix.eplek.size <= PER_PLEK_PAIRS  # eligible (request, plek) pairs
    rel = _build(ix, fixed, fixed_plek, per_plek)
    t_build = time.perf_counter() - t0
    if rel is None:
        return {"upper_bound": 0.0, "value": 0.0, "steps": 0, "columns": 0}
    NL, NW, W1, NP = rel.NL, rel.NW, rel.NW + 1, rel.NP
    i0, i1, xload, xprio = rel.i0, rel.i1, rel.xload, rel.xprio
    j0, j1 = rel.j0, rel.j1
    ci, cj, ui0, ui1, uj0, uj1 = rel.ci, rel.cj, rel.ui0, rel.ui1, rel.uj0, rel.uj1
    gstart, gsize, forced = rel.gstart, rel.gsize, rel.forced
    free = ~forced
    has_stud = rel.has_stud[:, None]
    inv_d = rel.inv_d[:, None]
    D = rel.shared[None, :]

    def prefix(a: np.ndarray) -> np.ndarray:
        out = np.zeros((a.shape[0], W1))
        np.cumsum(a, axis=1, out=out[:, 1:])
        return out.ravel()

    # Seats per location: the seats rows are the location rows, and their prices
    # add up before the (costly) lookups per column.
    same = not per_plek

    def reduced(ya: np.ndarray, yb: np.ndarray, yc: np.ndarray, yg: np.ndarray) -> tuple:
        # the same operations as per column on prefix[i1] - prefix[i0], in place
        pb = prefix(yb)
        db = (pb[ui1] - pb[ui0])[ci]
        if same:
            pac = prefix(ya + yc)
            rc = xprio - (pac[ui1] - pac[ui0])[ci]
            db *= xload
            rc -= db
        else:
            pa, pc = prefix(ya), prefix(yc)
            rc = xprio - (pa[uj1] - pa[uj0])[cj]
            db *= xload
            rc -= db
            rc -= (pc[ui1] - pc[ui0])[ci]
        rcf = yb + yc * inv_d - yg[None, :]
        return rc, rcf

    def dual_rhs(ya, yb, yc, yg) -> float:
        return float(
            (rel.seats * ya).sum() + (rel.sup * yb).sum() + (rel.stud * yc).sum() + rel.shared @ yg
        )

    def exact(ya, yb, yc, yg) -> float:
        rc, rcf = reduced(ya, yb, yc, yg)
        gmax = np.maximum.reduceat(rc, gstart)
        gval = np.where(forced, gmax, np.maximum(gmax, 0.0))
        return dual_rhs(ya, yb, yc, yg) + float(gval.sum()) + float((D * np.maximum(rcf, 0)).sum())

    def per_lw(w: np.ndarray) -> np.ndarray:
        a = np.bincount(i0, w, minlength=NL * W1) - np.bincount(i1, w, NL * W1)
        return np.cumsum(a.reshape(NL, W1), axis=1)[:, :NW]

    def per_pw(w: np.ndarray) -> np.ndarray:
        a = np.bincount(j0, w, minlength=NP * W1) - np.bincount(j1, w, NP * W1)
        return np.cumsum(a.reshape(NP, W1), axis=1)[:, :NW]

    shape = (NL, NW)
    ya = np.zeros((NP, NW))
    yb, yc = np.zeros(shape), np.zeros(shape)
    yg = np.zeros(NW)
    n_a = NP * NW
    n_par = n_a + 2 * NL * NW + NW
    m = np.zeros(n_par)
    v = np.zeros(n_par)
    best = exact(ya, yb, yc, yg)
    avg = np.zeros(rel.xr.size) if guidance else None
    n_avg = 0
    tau, lr, b1, b2 = tau0, lr0, 0.9, 0.999
    steps = max(1, int(steps))
    for it in range(1, steps + 1):
        rc, rcf = reduced(ya, yb, yc, yg)
        gmax = np.maximum.reduceat(rc, gstart)
        shift = np.where(free, np.maximum(gmax, 0.0), gmax)
        e = rc  # in place: exp((rc - shift) / tau)
        e -= np.repeat(shift, gsize)  # per column: five times faster than a gather
        e /= tau
        np.exp(e, out=e)
        # the option of not placing: only for requests that are not confirmed
        unplaced = np.where(free, np.exp(-np.maximum(shift, 0.0) / tau), 0.0)
        tot = np.add.reduceat(e, gstart) + unplaced
        x = e
        x /= np.repeat(tot, gsize)
        z = np.clip(rcf * D / np.maximum(tau, 1e-12), -50, 50)
        f = D / (1.0 + np.exp(-z))
        x_lw = per_lw(x)
        g_a = rel.seats - (x_lw if same else per_pw(x))
        g_b = rel.sup - per_lw(x * xload) + f
        g_c = np.where(has_stud, rel.stud - x_lw + f * inv_d, 0.0)
        g_g = rel.shared - f.sum(axis=0)
        grad = np.concatenate([g_a.ravel(), g_b.ravel(), g_c.ravel(), g_g])
        m = b1 * m + (1 - b1) * grad
        v = b2 * v + (1 - b2) * grad * grad
        step = lr * (m / (1 - b1**it)) / (np.sqrt(v / (1 - b2**it)) + 1e-9)
        k = NL * NW
        ya = np.maximum(0.0, ya - step[:n_a].reshape(NP, NW))
        yb = np.maximum(0.0, yb - step[n_a : n_a + k].reshape(shape))
        yc = np.maximum(0.0, yc - step[n_a + k : n_a + 2 * k].reshape(shape)) * has_stud
        yg = np.maximum(0.0, yg - step[n_a + 2 * k :])
        frac = it / steps
        tau = tau0 * (0.005 / 0.2) ** min(1.0, 1.6 * frac)
        lr = lr0 * 0.1**frac
        if avg is not None and frac > 0.3:
            avg += x
            n_avg += 1
        if it % 5 == 0 or it == steps:
            ev = exact(ya, yb, yc, yg)
            if math.isfinite(ev):
                best = min(best, ev)
    prio_int = bool(np.all(ix.prio == np.round(ix.prio)))
    out: dict[str, Any] = {}
    if avg is not None:
        xv = avg / max(n_avg, 1)
        keep = xv > 1e-3
        li = rel.i0[keep] // W1
        out["x"] = Guidance(len(ix.rid), rel.xr[keep], rel.loc_ids[li], xv[keep])
    return out | {
        "upper_bound": float(np.floor(best + 0.01)) if prio_int else best,
        "value": best,
        "steps": steps,
        "columns": int(rel.xr.size),
        "seats_per": "plek" if per_plek else "location",
        "locations": NL,
        "check_weeks": NW,
        "build_seconds": round(t_build, 3),
        "seconds": round(time.perf_counter() - t0, 3),
    }


def start(
    ix: Index,
    fixed: np.ndarray,
    fixed_plek: np.ndarray,
    steps: int,
    *,
    process: bool,
    guide_steps: int = 0,
) -> Pending:
    """Begin the compact bound: in a second process when ``process`` and possible.

    With ``guide_steps``, first a descent of that many steps whose soft choices guide
    the construction (``Pending.first()``: the Guidance and the facts of that run),
    then the bound's own descent.
    """
    fixed, fixed_plek = fixed.copy(), fixed_plek.copy()

    def guidance() -> dict[str, Any]:
        return compact_bound(ix, fixed, fixed_plek, steps=guide_steps, guidance=True)

    return background.start(
        lambda: compact_bound(ix, fixed, fixed_plek, steps=steps),
        process=process,
        first=guidance if guide_steps > 0 else None,
    )
