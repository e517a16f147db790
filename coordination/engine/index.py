"""Integer-indexed, array-backed view of a Problem that the solver works on.

Requests, plekken and sources are numbered 0..n-1 in id order, weeks 0..T-1 from
the first week anything runs. Eligibility (rule 1 of the capacity model) is
computed here once, vectorised per opleiding.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import cKDTree

from .geo import EARTH_RADIUS_KM, haversine_km
from .model import LOCATION_KINDS, SOURCE_KINDS, Plek, Problem, Source, request_load
from .weeks import week_index

# Order in which a placement draws from the sources in its scope: the most
# specific first, so broad sources (school teachers, the regional pool) stay
# free for placements that have nothing else. Cheaper group forms before
# individual supervisors.
KIND_RANK = {
    "leerafdeling": 0,
    "student_ondersteuner": 1,
    "senior_werkbegeleider": 2,
    "leercoach": 2,
    "inwerkcoach": 2,
    "werkbegeleider": 3,
    "docent_begeleider": 4,
    "regionale_pool": 5,
}

PEER = "student_ondersteuner"
# Pairs per search in Index.pair_slots (a few MB of keys at a time).
_PAIR_CHUNK = 4096


@dataclass
class Index:
    problem: Problem
    w0: int
    T: int
    # requests
    rid: list[int]
    rpos: dict[int, int]
    rws: np.ndarray
    rwe: np.ndarray
    load: np.ndarray
    prio: np.ndarray
    school: list[int]
    eerst: np.ndarray  # eerstejaars: may draw from peer mentors
    mentor: np.ndarray  # ouderejaars who agreed to mentor
    # plekken
    pid: list[int]
    ppos: dict[int, int]
    seats: np.ndarray
    ploc: list[int]
    # sources
    sid: list[int]
    spos: dict[int, int]
    skind: list[str]
    sgf: np.ndarray
    smax: np.ndarray  # max_students, large when unlimited
    sws: list[int]
    swe: list[int]
    shours: np.ndarray
    loc_sources: dict[int, list[int]]  # non-peer location kinds, by location id
    loc_peer: dict[int, list[int]]
    plek_sources: dict[int, list[int]]  # leerafdeling, by plek index
    school_sources: dict[int, list[int]]
    pool_sources: list[int]
    # eligibility: CSR over requests
    eptr: np.ndarray
    eplek: np.ndarray
    edist: np.ndarray
    criterion: list[str | None]  # for requests with no eligible plek
    pref_rank: list[dict[int, int]] = field(default_factory=list)  # plek index -> rank
    # scope() by what it depends on: (location, leerafdeling plek or -1, school,
    # eerstejaars, first week, last week) -> the sources, as a list and an array.
    _scopes: dict[tuple[int, int, int, bool, int, int], tuple[list[int], np.ndarray]] = field(
        default_factory=dict, repr=False
    )
    # What scope_arr reads per call, as Python values (a numpy scalar per read cost more
    # than the rest of the lookup).
    _scope_inputs: tuple[list[int], list[int], list[bool]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._scope_inputs = (self.rws.tolist(), self.rwe.tolist(), self.eerst.tolist())

    def eligible(self, r: int) -> np.ndarray:
        return self.eplek[self.eptr[r] : self.eptr[r + 1]]

    def pair_slots(self, rs: np.ndarray | list[int], ps: np.ndarray | list[int]) -> np.ndarray:
        """Where each pair (rs[i], ps[i]) is in ``eplek``/``edist``; -1 where not eligible.

        Searched by chunks of pairs instead of one search per request: the eligible plekken
        of a chunk's requests, keyed (pair in the chunk × plekken + plek), are in ascending
        order, as ``eplek`` is within a request. By chunks: keys for all pairs of a region
        of 100,000 would take 50 MB and more for the search.
        """
        rs = np.asarray(rs, dtype=np.int64)
        ps = np.asarray(ps, dtype=np.int64)
        out = np.full(rs.size, -1, dtype=np.int64)
        P = max(len(self.pid), 1)
        for lo in range(0, rs.size, _PAIR_CHUNK):
            r, p = rs[lo : lo + _PAIR_CHUNK], ps[lo : lo + _PAIR_CHUNK]
            starts, lengths = self.eptr[r], self.eptr[r + 1] - self.eptr[r]
            total = int(lengths.sum())
            if total == 0:
                continue
            # Positions in eplek of each pair's eligible plekken, pair after pair.
            offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
            at = offsets + np.arange(total)
            keys = np.repeat(np.arange(r.size), lengths) * P + self.eplek[at]
            wanted = np.arange(r.size) * P + p
            k = np.minimum(np.searchsorted(keys, wanted), total - 1)
            out[lo : lo + r.size] = np.where(keys[k] == wanted, at[k], -1)
        return out

    def distances(self, r: int) -> np.ndarray:
        return self.edist[self.eptr[r] : self.eptr[r + 1]]

    def scope(self, r: int, p: int) -> list[int]:
        """Sources that may carry request r at plek p for all of r's weeks, in draw order.

        The list is shared (cached): callers must not change it.
        """
        return self.scope_arr(r, p)[0]

    def scope_arr(self, r: int, p: int) -> tuple[list[int], np.ndarray]:
        """scope(r, p) as a list and as an int64 array (both cached, read-only)."""
        rws, rwe, eerst = self._scope_inputs
        a, b = rws[r], rwe[r]
        key = (self.ploc[p], p if p in self.plek_sources else -1, self.school[r], eerst[r], a, b)
        hit = self._scopes.get(key)
        if hit is None:
            sws, swe = self.sws, self.swe
            lst = [s for s in self.scope_any_period(r, p) if sws[s] <= a and swe[s] >= b]
            arr = np.asarray(lst, dtype=np.int64)
            arr.setflags(write=False)
            hit = self._scopes[key] = (lst, arr)
        return hit

    def scope_any_period(self, r: int, p: int) -> list[int]:
        """Like scope() but ignoring source periods (for explaining shortfalls)."""
        loc = self.ploc[p]
        cands: list[int] = []
        cands.extend(self.plek_sources.get(p, ()))
        if self.eerst[r]:
            cands.extend(self.loc_peer.get(loc, ()))
        cands.extend(self.loc_sources.get(loc, ()))
        cands.extend(self.school_sources.get(self.school[r], ()))
        cands.extend(self.pool_sources)
        return cands


class IndexCache:
    """The last index of each region, kept by a long-lived worker between runs.

    A re-run after one change then rebuilds only what the change touched (see
    build_index). Bounded to the ``max_regions`` regions used last.
    """

    def __init__(self, max_regions: int = 4) -> None:
        self.max_regions = max_regions
        self._last: OrderedDict[int, Index] = OrderedDict()
        self._lock = threading.Lock()

    def index(self, problem: Problem) -> Index:
        with self._lock:
            before = self._last.get(problem.region_id)
        ix = build_index(problem, reuse=before)
        with self._lock:
            self._last[problem.region_id] = ix
            self._last.move_to_end(problem.region_id)
            while len(self._last) > self.max_regions:
                self._last.popitem(last=False)
        return ix

    def forget(self, region_id: int) -> None:
        with self._lock:
            self._last.pop(region_id, None)


def check_kinds(sources: tuple[Source, ...] | list[Source]) -> None:
    """Raise ValueError when a source has a kind the engine does not know.

    Such a source would otherwise carry nobody without a word (no scope matches it).
    """
    bad = [s for s in sources if s.kind not in SOURCE_KINDS]
    if bad:
        ids = ", ".join(str(s.id) for s in bad[:10]) + (" ..." if len(bad) > 10 else "")
        kinds = ", ".join(sorted({repr(s.kind) for s in bad}))
        raise ValueError(
            f"unknown supervision kind {kinds} (source {ids}); "
            f"known kinds: {', '.join(SOURCE_KINDS)}"
        )


def build_index(problem: Problem, reuse: Index | None = None) -> Index:
    """The index of ``problem``; ``reuse``: the index of an earlier version of it.

    A worker re-allocating the same region keeps its last index: where the plekken
    (and the weeks) are unchanged, the eligibility of every unchanged request is
    taken from it, and where the sources are unchanged too, the cached scopes.
    The index is the same as one built from scratch (tests/engine/test_index_reuse.py).
    """
    check_kinds(problem.sources)
    reqs = sorted(problem.requests, key=lambda r: r.id)
    pls = sorted(problem.plekken, key=lambda p: p.id)
    srcs = sorted(problem.sources, key=lambda s: s.id)
    n = len(reqs)

    # Requests the kept index holds as they are: their weeks and load are copied from it
    # (a re-run after one change recomputes one request, not the region's 10,000).
    unchanged: dict[int, int] = {}  # request position -> its position in ``reuse``
    if reuse is not None:
        before = {r.id: r for r in reuse.problem.requests}
        for i, r in enumerate(reqs):
            old = before.get(r.id)
            # A worker that keeps its loaded problem passes the same objects again.
            if old is r or old == r:
                unchanged[i] = reuse.rpos[r.id]
    fresh = [i for i in range(n) if i not in unchanged]
    abs_ws = np.empty(n, dtype=np.int64)
    abs_we = np.empty(n, dtype=np.int64)
    load = np.empty(n, dtype=np.float64)
    if unchanged:
        assert reuse is not None
        at = np.fromiter(unchanged, dtype=np.int64, count=len(unchanged))
        was = np.fromiter(unchanged.values(), dtype=np.int64, count=len(unchanged))
        abs_ws[at] = reuse.rws[was] + reuse.w0
        abs_we[at] = reuse.rwe[was] + reuse.w0
        if reuse.problem.settings == problem.settings:
            load[at] = reuse.load[was]
        else:
            fresh_load = [request_load(problem.settings, reqs[i]) for i in at.tolist()]
            load[at] = np.array(fresh_load, dtype=np.float64)
    if fresh:
        f = np.array(fresh, dtype=np.int64)
        abs_ws[f] = [week_index(reqs[i].start) for i in fresh]
        abs_we[f] = [week_index(reqs[i].end) for i in fresh]
        load[f] = [request_load(problem.settings, reqs[i]) for i in fresh]
    others: list[Plek | Source] = [*pls, *srcs]
    weeks = [week_index(x.start) for x in others] + [week_index(x.end) for x in others]
    if n:
        weeks += [int(abs_ws.min()), int(abs_ws.max()), int(abs_we.min()), int(abs_we.max())]
    w0 = min(weeks) if weeks else 0
    T = (max(weeks) - w0 + 1) if weeks else 1

    rid = [r.id for r in reqs]
    rpos = {x: i for i, x in enumerate(rid)}
    rws = abs_ws - w0
    rwe = abs_we - w0
    prio = np.array([r.priority for r in reqs], dtype=np.float64)
    eerst = np.array([r.doelgroep == "eerstejaars" for r in reqs], dtype=bool)
    mentor = np.array([r.peer_mentor and r.doelgroep == "ouderejaars" for r in reqs], dtype=bool)

    pid = [p.id for p in pls]
    ppos = {x: i for i, x in enumerate(pid)}
    seats = np.array([p.seats for p in pls], dtype=np.int64)
    ploc = [p.location_id for p in pls]

    sid = [s.id for s in srcs]
    spos = {x: i for i, x in enumerate(sid)}
    loc_sources: dict[int, list[int]] = defaultdict(list)
    loc_peer: dict[int, list[int]] = defaultdict(list)
    plek_sources: dict[int, list[int]] = defaultdict(list)
    school_sources: dict[int, list[int]] = defaultdict(list)
    pool_sources: list[int] = []
    order = sorted(
        range(len(srcs)),
        key=lambda i: (KIND_RANK.get(srcs[i].kind, 9), srcs[i].group_factor, srcs[i].id),
    )
    for i in order:
        s = srcs[i]
        if s.kind == PEER:
            if s.location_id is not None:
                loc_peer[s.location_id].append(i)
        elif s.kind in LOCATION_KINDS:
            if s.location_id is not None:
                loc_sources[s.location_id].append(i)
        elif s.kind == "leerafdeling":
            if s.plek_id is not None and s.plek_id in ppos:
                plek_sources[ppos[s.plek_id]].append(i)
        elif s.kind == "docent_begeleider":
            if s.school_id is not None:
                school_sources[s.school_id].append(i)
        elif s.kind == "regionale_pool":
            pool_sources.append(i)

    same_places = (
        reuse is not None
        and reuse.w0 == w0
        and reuse.T == T
        and sorted(reuse.problem.plekken, key=lambda p: p.id) == pls
    )
    known: dict[int, tuple[np.ndarray, np.ndarray, str | None]] = {}
    if same_places:
        assert reuse is not None
        for i, o in unchanged.items():
            lo, hi = reuse.eptr[o], reuse.eptr[o + 1]
            known[i] = (reuse.eplek[lo:hi], reuse.edist[lo:hi], reuse.criterion[o])
    eptr, eplek, edist, criterion = _eligibility(problem, reqs, pls, w0, known, rws, rwe)
    pref_rank = []
    for i, r in enumerate(reqs):
        kept_at = unchanged.get(i) if same_places else None
        if kept_at is not None:  # the same request and plekken: the same ranks (read-only)
            pref_rank.append(reuse.pref_rank[kept_at])  # type: ignore[union-attr]
            continue
        d: dict[int, int] = {}
        for k, x in enumerate(r.preferences):
            if x in ppos and ppos[x] not in d:
                d[ppos[x]] = k
        pref_rank.append(d)

    scopes: dict[tuple[int, int, int, bool, int, int], tuple[list[int], np.ndarray]] = {}
    old_sources = (
        sorted(reuse.problem.sources, key=lambda s: s.id)
        if reuse is not None and same_places
        else None
    )
    if reuse is not None and old_sources == srcs:
        scopes = reuse._scopes  # read-only entries, keyed by what a scope depends on
    return Index(
        _scopes=scopes,
        problem=problem,
        w0=w0,
        T=T,
        rid=rid,
        rpos=rpos,
        rws=rws,
        rwe=rwe,
        load=load,
        prio=prio,
        school=[r.school_id for r in reqs],
        eerst=eerst,
        mentor=mentor,
        pid=pid,
        ppos=ppos,
        seats=seats,
        ploc=ploc,
        sid=sid,
        spos=spos,
        skind=[s.kind for s in srcs],
        sgf=np.array([s.group_factor for s in srcs], dtype=np.float64),
        smax=np.array(
            [s.max_students if s.max_students is not None else 1 << 30 for s in srcs],
            dtype=np.int64,
        ),
        sws=[week_index(s.start) - w0 for s in srcs],
        swe=[week_index(s.end) - w0 for s in srcs],
        shours=np.array([s.hours_per_week for s in srcs], dtype=np.float64),
        loc_sources=dict(loc_sources),
        loc_peer=dict(loc_peer),
        plek_sources=dict(plek_sources),
        school_sources=dict(school_sources),
        pool_sources=pool_sources,
        eptr=eptr,
        eplek=eplek,
        edist=edist,
        criterion=criterion,
        pref_rank=pref_rank,
    )


# Requests per nearest-neighbour search in the eligibility (memory: their pairs).
_CHUNK = 1024


def _unit_xyz(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points on the unit sphere: straight-line distance grows with great-circle distance."""
    la, lo = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=1)


def _near_pairs(
    ctree: cKDTree, n_cand: int, lat: np.ndarray, lon: np.ndarray, km: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(request row, candidate column) pairs that may lie within each request's travel
    distance: a superset (the search radius is the chunk's largest, with a margin),
    which the exact great-circle distance then filters; every candidate for a request
    without a home."""
    home = ~np.isnan(lat)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    if home.any():
        hk = np.nonzero(home)[0]
        # chord = 2 sin(d / 2R) on the unit sphere; capped at the diameter
        half_angle = min((float(km[hk].max()) + 1e-3) / (2 * EARTH_RADIUS_KM), np.pi / 2)
        radius = 2 * np.sin(half_angle) + 1e-9
        tree = cKDTree(_unit_xyz(lat[hk], lon[hk]))
        pairs = tree.sparse_distance_matrix(ctree, radius, output_type="ndarray")
        rows.append(hk[pairs["i"]])
        cols.append(pairs["j"].astype(np.int64))
    if not home.all():
        nk = np.nonzero(~home)[0]
        rows.append(np.repeat(nk, n_cand))
        cols.append(np.tile(np.arange(n_cand, dtype=np.int64), nk.size))
    return np.concatenate(rows), np.concatenate(cols)


def _eligibility(problem, reqs, pls, w0, known, all_ws, all_we):
    """Eligible plekken per request (rule 1), and the excluding criterion when none.

    ``known``: request index -> (eligible plekken, distances, criterion) already
    computed for the same request and plekken; those requests are not recomputed.
    ``all_ws``, ``all_we``: each request's first and last week, counted from ``w0``.
    """
    n = len(reqs)
    sector_bit: dict[str, int] = {}
    for p in pls:
        sector_bit.setdefault(p.sector, len(sector_bit))
    plat = np.array([p.location[0] for p in pls], dtype=np.float64)
    plon = np.array([p.location[1] for p in pls], dtype=np.float64)
    pws = np.array([week_index(p.start) - w0 for p in pls], dtype=np.int64)
    pwe = np.array([week_index(p.end) - w0 for p in pls], dtype=np.int64)
    psec = np.array([sector_bit[p.sector] for p in pls], dtype=np.int64)
    by_opl: dict[int, list[int]] = defaultdict(list)
    for j, p in enumerate(pls):
        for o in p.opleiding_ids:
            by_opl[o].append(j)
    req_by_opl: dict[int, list[int]] = defaultdict(list)
    todo = [i for i in range(n) if i not in known]
    for i in todo:
        req_by_opl[reqs[i].opleiding_id].append(i)

    # Only the requests to compute are read below; the others' entries stay unset.
    all_lat = np.full(n, np.nan, dtype=np.float64)
    all_lon = np.full(n, np.nan, dtype=np.float64)
    all_km = np.zeros(n, dtype=np.float64)
    # Sector wishes as bit masks over the plekken's sectors; no wish: any sector.
    every = (1 << (len(sector_bit) + 1)) - 1
    all_smask = np.zeros(n, dtype=np.int64)
    # Excluded plekken (rule 1 too), as plek indices; None when there are none.
    ppos = {p.id: j for j, p in enumerate(pls)}
    excluded: list[np.ndarray | None] = [None] * n
    for i in todo:
        r = reqs[i]
        if r.home:
            all_lat[i], all_lon[i] = r.home
        all_km[i] = r.max_travel_km
        m = 0
        for sname in r.sectors:
            b = sector_bit.get(sname)
            if b is not None:
                m |= 1 << b
        all_smask[i] = m if r.sectors else every
        if r.excluded_plekken:
            js = sorted(ppos[x] for x in r.excluded_plekken if x in ppos)
            if js:
                excluded[i] = np.array(js, dtype=np.int64)
    lists: list[np.ndarray] = [np.empty(0, dtype=np.int64)] * n
    dists: list[np.ndarray] = [np.empty(0, dtype=np.float64)] * n
    criterion: list[str | None] = [None] * n
    for i, (plekken_i, dists_i, criterion_i) in known.items():
        lists[i], dists[i], criterion[i] = plekken_i, dists_i, criterion_i
    for o, ris in req_by_opl.items():
        cand = np.array(sorted(by_opl.get(o, ())), dtype=np.int64)
        if cand.size == 0:
            for i in ris:
                criterion[i] = "opleiding"
            continue
        cws, cwe, csec = pws[cand], pwe[cand], psec[cand]
        clat, clon = plat[cand], plon[cand]
        ctree = cKDTree(_unit_xyz(clat, clon))
        ris_arr = np.asarray(ris, dtype=np.int64)
        # By travel distance, so that one search radius fits each chunk's requests.
        ris_arr = ris_arr[np.argsort(all_km[ris_arr], kind="stable")]
        for start in range(0, len(ris_arr), _CHUNK):
            chunk = ris_arr[start : start + _CHUNK]
            lat, lon, km = all_lat[chunk], all_lon[chunk], all_km[chunk]
            rows, cols = _near_pairs(ctree, cand.size, lat, lon, km)
            rws, rwe, rmask = all_ws[chunk], all_we[chunk], all_smask[chunk]
            ok = (cws[cols] <= rws[rows]) & (cwe[cols] >= rwe[rows])
            ok &= ((rmask[rows] >> csec[cols]) & 1).astype(bool)
            rows, cols = rows[ok], cols[ok]
            hl = all_lat[chunk][rows]
            dist = haversine_km(hl, all_lon[chunk][rows], clat[cols], clon[cols])
            dist[np.isnan(hl)] = 0.0  # no home known: travel is not a criterion
            near = dist <= all_km[chunk][rows] + 1e-9
            rows, cols, dist = rows[near], cols[near], dist[near]
            o = np.lexsort((cols, rows))
            rows, cols, dist = rows[o], cols[o], dist[o]
            bounds = np.searchsorted(rows, np.arange(len(chunk) + 1))
            for k, i in enumerate(chunk.tolist()):
                lo, hi = bounds[k], bounds[k + 1]
                if hi > lo and excluded[i] is not None:
                    keep = ~np.isin(cand[cols[lo:hi]], excluded[i])
                    if not keep.any():
                        criterion[i] = "refused"
                        continue
                    lists[i] = cand[cols[lo:hi]][keep]
                    dists[i] = dist[lo:hi][keep]
                elif hi > lo:
                    lists[i] = cand[cols[lo:hi]]
                    dists[i] = dist[lo:hi]
                else:  # the first criterion that leaves none
                    period = (cws <= rws[k]) & (cwe >= rwe[k])
                    if not period.any():
                        criterion[i] = "period"
                    elif not (period & ((rmask[k] >> csec) & 1).astype(bool)).any():
                        criterion[i] = "sector"
                    else:
                        criterion[i] = "travel"
    for i in range(n):
        if lists[i].size == 0 and criterion[i] is None:
            criterion[i] = "opleiding"
    counts = np.array([x.size for x in lists], dtype=np.int64)
    eptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=eptr[1:])
    eplek = np.concatenate(lists) if n else np.empty(0, dtype=np.int64)
    edist = np.concatenate(dists) if n else np.empty(0, dtype=np.float64)
    return eptr, eplek.astype(np.int64), edist.astype(np.float64), criterion
