"""The vectorized engine: every customer of a chunk advances one visit per numpy step.

Same semantics as the DES engine without queues: a visit starts on arrival (cost,
purchase, refund, referrals), the customer dwells, then moves on by its segment's
row (alias tables: O(1) per draw).  Dwell and order values come from the customer's
segment's distribution at the node (its replacement, else the touchpoint's).
Customers who finish are dropped every step; large populations run in chunks.
Capacity touchpoints are refused unless ``ignore_capacity=True``, which counts their
mean service time as extra dwell with no waiting.  Referred customers are simulated
after their referrers, as further generations, which is exact because without queues
customers never interact.  Warm-start customers (``population.warm_start``) take their
first step mid-visit: the visit under way is not booked, and its dwell is the remaining
dwell drawn at placement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cjsim.engines._alias import AliasTable
from cjsim.engines._arrivals import arrival_times
from cjsim.engines._compiled import Compiled, compile_scenario
from cjsim.engines._draws import Purpose, stream
from cjsim.engines._tally import Totals, time_bins
from cjsim.engines._warm import place
from cjsim.engines.base import SimulationEngine
from cjsim.errors import SimulationError
from cjsim.model import Distribution, Scenario

__all__ = ["VectorizedEngine", "VectorizedReplication"]

CHUNK = 1 << 18


@dataclass(frozen=True)
class _DwellGroup:
    """(segment, touchpoint) rows ``segment * n + node`` whose dwell shares a family,
    sampled in one numpy call."""

    member: np.ndarray  # bool per row
    params: np.ndarray  # (segments * n, 2) per row: each member's numpy parameters
    dist: Distribution  # the group's first distribution (the family's sampler)
    common: np.ndarray | None = None  # the members' parameters when all are the same

    def sample(self, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if self.common is None:
            return self.dist.sample_stacked(self.params[rows], rng)
        # the same numbers (every member has the first one's parameters), drawn by numpy's
        # scalar-parameter path without gathering a parameter row per customer
        return self.dist.sample(rng, len(rows))


def _dwell_groups(base: list[Distribution], own: list[list[Distribution]]) -> list[_DwellGroup]:
    """Group the rows ``segment * n + node`` of ``own`` (each segment's dwell per node) by
    family; a family that is not stackable gets one group per node's ``base`` dwell and
    one per replacement, so without replacements the groups are those of ``base``."""
    n = len(base)
    groups: dict[tuple[str, int, int], list[int]] = {}
    flat = [d for seg in own for d in seg]
    for row, d in enumerate(flat):
        node, seg = row % n, row // n
        key = (d.kind, -1, -1) if d.stackable else (d.kind, node, -1 if d is base[node] else seg)
        groups.setdefault(key, []).append(row)
    out = []
    for rows in groups.values():
        member = np.zeros(len(flat), dtype=bool)
        member[rows] = True
        params = np.zeros((len(flat), 2))
        for r in rows:
            params[r] = flat[r].numpy_params
        same = bool((params[rows] == params[rows[0]]).all())
        out.append(_DwellGroup(member, params, flat[rows[0]], params[rows[0]] if same else None))
    return out


def _order_value_groups(
    c: Compiled, tps: list[Any]
) -> dict[int, list[tuple[np.ndarray, Distribution]]]:
    """Per purchase node, its order-value distributions and the segments (bool mask) that
    draw from each; one entry (the touchpoint's) where no segment replaces it."""
    out: dict[int, list[tuple[np.ndarray, Distribution]]] = {}
    for i, tp in enumerate(tps):
        if tp.order_value is None:
            continue
        per_seg = [seg[i] for seg in c.segment_order_value]
        dists: list[Distribution] = list(dict.fromkeys(d for d in per_seg if d is not None))
        out[i] = [(np.array([d == x for x in per_seg], dtype=bool), d) for d in dists]
    return out


def _refuse_capacity(sc: Scenario, ignore_capacity: bool) -> None:
    queues = [n for n, tp in sc.touchpoints.items() if tp.capacity is not None]
    if queues and not ignore_capacity:
        raise SimulationError(
            f"the vectorized engine has no queues, but {', '.join(queues)} have capacity — "
            "use engine='des', or ignore_capacity=True to treat service as extra dwell"
        )


class VectorizedReplication:
    """One replication of the vectorized engine; :meth:`run` returns its :class:`Totals`."""

    def __init__(
        self,
        sc: Scenario,
        seed: int | None,
        replication: int,
        horizon: float,
        events: bool = False,
        ignore_capacity: bool = False,
    ) -> None:
        _refuse_capacity(sc, ignore_capacity)
        self.sc, self.seed, self.rep, self.h = sc, seed, replication, horizon
        self.days, width = time_bins(horizon)
        self.per_bin = 1.0 / width
        self._setup(sc)
        self.t = Totals(self.n, len(sc.outcomes), len(sc.stages), self.days, width)
        # visits and stage ends per (node or stage, day), over every chunk; into t at the end
        self.starts = _Counts(self.n * (self.days + 1))
        self.ends = _Counts(self.t.n_stages * (self.days + 1))
        self.log: list[np.ndarray] | None = [] if events else None
        self.warm_ids: dict[int, str] = {}  # simulated customer id -> warm-start customer id

    def _setup(self, sc: Scenario) -> None:
        c = compile_scenario(sc)
        tps = list(sc.touchpoints.values())
        self.c, self.n = c, c.n
        width = max(len(t) for seg in c.targets for t in seg)
        rows = len(c.targets) * c.n
        probs, self.targets = np.zeros((rows, width)), np.zeros((rows, width), dtype=np.intp)
        for s, (seg_t, seg_c) in enumerate(zip(c.targets, c.cum, strict=True)):
            for i, (tg, cm) in enumerate(zip(seg_t, seg_c, strict=True)):
                probs[s * c.n + i, : len(tg)] = np.diff([0.0, *cm])
                self.targets[s * c.n + i, : len(tg)] = tg
        self.alias = AliasTable(probs)
        self.probs = probs  # for rows tilted by satisfaction
        self.feel = c.feelings
        if self.feel is not None:
            self.linked = np.asarray(self.feel.linked, dtype=bool)
            # each row's betas, a dead column (probability 0) given its row's first live
            # beta, so that the row's largest exponent is always a live edge's
            live = probs > 0
            first = np.take_along_axis(self.targets, live.argmax(axis=1)[:, None], axis=1)
            beta = np.asarray(self.feel.beta)
            self.row_beta = np.where(live, beta[self.targets], beta[first])
            self.last = np.count_nonzero(live, axis=1) - 1  # each row's last live column
            self.feel_visit = np.asarray(self.feel.visit)
            self.feel_refund = np.asarray(self.feel.refund)
        self.dwell = _dwell_groups([tp.dwell for tp in tps], c.segment_dwell)
        self.service_mean = np.array([tp.service.mean if tp.service else 0.0 for tp in tps])
        self.serves = bool(self.service_mean.any())  # else adding it changes no dwell
        self.stage = np.array(c.stage_of)
        self.stage_bit = np.left_shift(1, self.stage)  # a customer's reached stages, as bits
        self.cost, self.refund = np.array(c.cost), np.array(c.refund)
        self.refunds = bool((self.refund > 0).any())
        self.purchase_nodes = [i for i, tp in enumerate(tps) if tp.purchase]
        self.order_value = _order_value_groups(c, tps)
        self.ref_mean = np.array(c.referral_mean)
        self.ref_delay = {i: tp.referrals.delay for i, tp in enumerate(tps) if tp.referrals}
        self.ov_mult = np.array(c.order_value_multiplier)
        self.dwell_factor = c.dwell_factor if c.scales_dwell else None
        self.calendar = [(j, rate) for j, rate in enumerate(c.dwell_rate) if rate is not None]

    def _population(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        times = arrival_times(self.sc, stream(self.seed, self.rep, Purpose.ARRIVALS), self.h)
        c = self.c
        entry = np.asarray(c.entry_nodes)[
            np.searchsorted(c.entry_cum, rng.random(len(times)), side="right")
        ]
        nodes, t0 = [entry], [times]
        for node, count in c.initial:
            nodes.append(np.full(count, node))
            t0.append(np.zeros(count))
        self.t.initial_customers = sum(count for _, count in c.initial)
        pop = {"node": np.concatenate(nodes).astype(np.intp), "t": np.concatenate(t0)}
        return pop if c.warm is None else self._with_warm(pop)

    def _with_warm(self, pop: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """``pop`` followed by the placed warm-start customers, who carry their segment,
        remaining dwell and last order value (NaN / -1 / 0 for everybody else)."""
        placed = place(self.sc, self.c, self.seed, self.rep)
        size, k = len(pop["node"]), len(placed.node)
        self.t.initial_customers += k
        self.warm_ids = {size + j: str(w) for j, w in enumerate(placed.warm_id.tolist())}
        return {
            "node": np.concatenate([pop["node"], placed.node]).astype(np.intp),
            "t": np.concatenate([pop["t"], np.zeros(k)]),
            "seg": np.concatenate([np.full(size, -1, np.intp), placed.segment]),
            "remaining": np.concatenate([np.full(size, np.nan), placed.remaining]),
            "last": np.concatenate([np.zeros(size), placed.last_order]),
        }

    def run(self) -> Totals:
        """Simulate every generation of customers to the horizon."""
        rng = stream(self.seed, self.rep, Purpose.PRIMARY)
        pop, tl = self._population(rng), self.t
        first_id = 0
        while len(pop["node"]):
            children: list[dict[str, np.ndarray]] = []
            for start in range(0, len(pop["node"]), CHUNK):
                part = {k: v[start : start + CHUNK] for k, v in pop.items()}
                children.append(self._chunk(part, rng, first_id + start))
            first_id += len(pop["node"])
            pop = {k: np.concatenate([ch[k] for ch in children]) for k in ("node", "t")}
        tl.starts_by_day = (np.asarray(tl.starts_by_day) + self.starts.total()).tolist()
        tl.stage_ends_by_day = (np.asarray(tl.stage_ends_by_day) + self.ends.total()).tolist()
        return tl

    def _chunk(
        self, part: dict[str, np.ndarray], rng: np.random.Generator, first_id: int
    ) -> dict[str, np.ndarray]:
        tl, n, h, d1 = self.t, self.n, self.h, self.days + 1
        node, t = part["node"], part["t"]
        size = len(node)
        tl.customers += size
        _add(
            tl.arrivals_by_day,
            np.minimum((t * self.per_bin).astype(np.intp), self.days),
            np.ones(size),
            True,
        )
        st = {
            "node": node,
            "t": t,
            "t0": t.copy(),
            "seg": np.searchsorted(self.c.segment_cum, rng.random(size), side="right"),
            "id": np.arange(first_id, first_id + size),
            "buys": np.zeros(size, np.int64),
            "first": np.zeros(size),
            "last": part["last"].copy() if "last" in part else np.zeros(size),
            "value": np.zeros(size),
            "stages": np.zeros(size, np.int64),
        }
        if self.feel is not None:
            st["sat"] = np.full(size, self.feel.start)
        st["seg"] = np.minimum(st["seg"], len(self.c.segment_cum) - 1)
        if "seg" in part:
            st["seg"] = np.where(part["seg"] >= 0, part["seg"], st["seg"])
        warm = part.get("remaining")
        if warm is not None and not np.isfinite(warm).any():
            warm = None
        kids_node, kids_t = [], []
        starts, ends = self.starts, self.ends  # over every chunk of the replication
        while len(st["node"]):
            node, t = st["node"], st["t"]
            day = (t * self.per_bin).astype(np.intp)
            st["stages"] |= self.stage_bit[node]
            if warm is None:
                starts.add(node * d1 + day)
                kid = self._cash(st, node, t, day, rng)
            else:  # first step of warm-start customers: the visit under way is not booked
                w = np.isfinite(warm)
                kid = self._warm_step(st, w, day, rng, starts)
            if kid is not None:
                kids_node.append(kid[0])
                kids_t.append(kid[1])
            row = st["seg"] * n + node
            dwell = self._dwell(node, st["seg"], row, rng)
            t2 = self._calendar(node, t, dwell)
            if warm is not None:  # remaining dwell, drawn (and time-changed) at placement
                t2[w] = t[w] + warm[w] + self.service_mean[node[w]]
                warm = None
            stage_end = np.where(t2 < h, t2 * self.per_bin, self.days).astype(np.intp)
            ends.add(self.stage[node] * d1 + stage_end)
            if self.feel is None:
                nxt = self.targets[
                    row, self.alias.draw(row, rng.random(len(row)), rng.random(len(row)))
                ]
            else:
                nxt = self._next_felt(row, node, st["sat"], rng)
            done = (t2 >= h) | (nxt >= n)
            if done.any():
                self._finish(st, done, np.where(t2 >= h, node, nxt), t2)
                keep = np.flatnonzero(~done)  # one index for the ten arrays
                st = {k: v[keep] for k, v in st.items()}
                nxt, t2 = nxt[keep], t2[keep]
            st["node"], st["t"] = nxt, t2
        return {
            "node": np.concatenate(kids_node) if kids_node else np.zeros(0, np.intp),
            "t": np.concatenate(kids_t) if kids_t else np.zeros(0),
        }

    def _warm_step(
        self,
        st: dict[str, np.ndarray],
        w: np.ndarray,
        day: np.ndarray,
        rng: np.random.Generator,
        starts: _Counts,
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Book the first step of a chunk holding warm-start customers (mask ``w``): the
        others start a visit as usual; the warm ones are in their stage, nothing else."""
        node, t, d1 = st["node"], st["t"], self.days + 1
        self.t.warm_by_stage = (
            np.asarray(self.t.warm_by_stage)
            + np.bincount(self.stage[node[w]], minlength=self.t.n_stages)
        ).tolist()
        fresh = np.flatnonzero(~w)
        sub = {k: v[fresh] for k, v in st.items()}
        starts.add(node[fresh] * d1 + day[fresh])
        kid = self._cash(sub, node[fresh], t[fresh], day[fresh], rng)
        for k in ("buys", "first", "last", "value", "sat"):
            if k in st:
                st[k][fresh] = sub[k]
        return kid

    def _calendar(self, node: np.ndarray, t: np.ndarray, dwell: np.ndarray) -> np.ndarray:
        """When each dwell started at ``t`` ends: ``t + dwell``, time-changed by the
        node's calendar of dwell rates (service time after it, unchanged)."""
        t2 = t + dwell
        for j, rate in self.calendar:
            at = node == j
            if at.any():
                service = self.service_mean[j]
                t2[at] = rate.ends(t[at], dwell[at] - service) + service
        return t2

    def _dwell(
        self, node: np.ndarray, seg: np.ndarray, row: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Time at ``node``: the segment's dwell (times its dwell multiplier) plus mean
        service; ``row`` is ``seg * n + node``."""
        dwell = self._base_dwell(row, rng)
        if self.dwell_factor is not None:
            dwell *= self.dwell_factor[seg, node]
        return dwell + self.service_mean[node] if self.serves else dwell

    def _base_dwell(self, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One dwell per ``segment * n + node`` row, before the dwell multiplier."""
        if len(self.dwell) == 1:  # one family for every row
            return self.dwell[0].sample(rows, rng)
        out = np.zeros(len(rows))
        for group in self.dwell:
            idx = np.flatnonzero(group.member[rows])
            if len(idx) == len(rows):
                return group.sample(rows, rng)
            if len(idx):
                out[idx] = group.sample(rows[idx], rng)
        return out

    def _order_values(self, p: int, seg: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Order values at purchase node ``p`` for customers of segments ``seg``: each from
        its segment's distribution, times the segment's multiplier."""
        groups = self.order_value[p]
        if len(groups) == 1:
            value = groups[0][1].sample(rng, len(seg))
        else:
            value = np.zeros(len(seg))
            for segments, dist in groups:
                m = segments[seg]
                value[m] = dist.sample(rng, int(m.sum()))
        return value * self.ov_mult[seg]

    def _cash(
        self,
        st: dict[str, np.ndarray],
        node: np.ndarray,
        t: np.ndarray,
        day: np.ndarray,
        rng: np.random.Generator,
    ) -> tuple[np.ndarray, np.ndarray] | None:
        tl, delta, margin = self.t, self.c.daily_discount, self.sc.economics.gross_margin
        disc = np.exp(-delta * (t - st["t0"])) if delta else np.ones(len(node))
        cost = self.cost[node]
        _add(tl.cost_by_day, day, cost)
        st["value"] -= cost * disc if delta else cost  # x * 1.0 is x
        logged = np.zeros(len(node)) if self.log is not None else None
        for p in self.purchase_nodes:
            idx = np.flatnonzero(node == p)
            if not len(idx):
                continue
            value = self._order_values(p, st["seg"][idx], rng)
            new = st["buys"][idx] == 0
            st["first"][idx[new]] = t[idx[new]]
            st["buys"][idx] += 1
            st["last"][idx] = value
            st["value"][idx] += margin * value * disc[idx]
            tl.purchases += len(idx)
            tl.order_value += float(value.sum())
            _add(tl.purchases_by_day, day[idx], np.ones(len(idx)), as_int=True)
            _add(tl.revenue_by_day, day[idx], value)
            if logged is not None:
                logged[idx] = value
        if self.refunds:  # some touchpoint refunds
            self._refund(st, node, day, disc, logged)
        if self.feel is not None:
            self._feel(st, node)
        if self.log is not None and logged is not None:
            self.log.append(np.column_stack([st["id"], t, node, logged]))
        return self._referrals(node, t, rng)

    def _refund(
        self,
        st: dict[str, np.ndarray],
        node: np.ndarray,
        day: np.ndarray,
        disc: np.ndarray,
        logged: np.ndarray | None,
    ) -> None:
        """Refund a share of the last order of customers visiting a refunding node."""
        refunding = np.flatnonzero((self.refund[node] > 0) & (st["last"] > 0))
        if len(refunding):
            refund = self.refund[node[refunding]] * st["last"][refunding]
            self.t.refunds += float(refund.sum())
            _add(self.t.revenue_by_day, day[refunding], -refund)
            margin = self.sc.economics.gross_margin
            st["value"][refunding] -= margin * refund * disc[refunding]
            if self.feel is not None:
                st["sat"][refunding] += self.feel_refund[node[refunding]]
            if logged is not None:
                logged[refunding] = -refund

    def _feel(self, st: dict[str, np.ndarray], node: np.ndarray) -> None:
        """Booked visits of ``node``: their satisfaction effect, then the emotional curve."""
        st["sat"] += self.feel_visit[node]
        tl = self.t
        sums = np.bincount(node, weights=st["sat"], minlength=self.n)
        counts = np.bincount(node, minlength=self.n)
        tl.felt_sum = (np.asarray(tl.felt_sum) + sums).tolist()
        tl.felt_visits = (np.asarray(tl.felt_visits) + counts).tolist()

    def _next_felt(
        self, row: np.ndarray, node: np.ndarray, sat: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """The next nodes with rows tilted by satisfaction (``p_j exp(beta_j s)``): the
        alias draw where no target is linked, else the inverse of the tilted row's
        cumulative at the alias draw's first uniform."""
        u1, u2 = rng.random(len(row)), rng.random(len(row))
        col = self.alias.draw(row, u1, u2)
        tilted = np.flatnonzero(self.linked[node] & (sat != 0.0))
        if len(tilted):
            r = row[tilted]
            x = self.row_beta[r] * sat[tilted, None]
            # a stable softmax: shifted by each row's largest exponent, so none overflows
            w = self.probs[r] * np.exp(x - x.max(axis=1, keepdims=True))
            cum = np.cumsum(w, axis=1)
            cum /= cum[:, -1:]
            pick = (u1[tilted, None] >= cum).sum(axis=1)
            col[tilted] = np.minimum(pick, self.last[r])
        out: np.ndarray = self.targets[row, col]
        return out

    def _referrals(
        self, node: np.ndarray, t: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray] | None:
        if not self.ref_delay:  # no touchpoint refers
            return None
        idx = np.flatnonzero(self.ref_mean[node] > 0)
        if not len(idx):
            return None
        counts = rng.poisson(self.ref_mean[node[idx]])
        src = np.repeat(node[idx], counts)
        born = np.repeat(t[idx], counts)
        arrive = np.empty(len(src))
        for s, delay in self.ref_delay.items():
            m = src == s
            arrive[m] = born[m] + delay.sample(rng, int(m.sum()))
        ok = arrive < self.h
        entry = np.asarray(self.c.referral_entry)[src[ok]]
        return entry.astype(np.intp), arrive[ok]

    def _finish(
        self, st: dict[str, np.ndarray], done: np.ndarray, where: np.ndarray, t2: np.ndarray
    ) -> None:
        tl, n = self.t, self.n
        buys, in_flight = st["buys"][done], where[done] < n
        conv = buys > 0
        tl.converters += int(conv.sum())
        tl.two_plus += int((buys >= 2).sum())
        tl.first_purchase_time += float((st["first"][done] - st["t0"][done])[conv].sum())
        tl.retained += int((conv & in_flight).sum())
        stages = st["stages"][done]
        for s in range(tl.n_stages):
            tl.reach[s] += int(((stages >> s) & 1).sum())
        tl.discounted_value += float(st["value"][done].sum())
        if self.feel is not None:
            sat = st["sat"][done]
            tl.final_sat += float(sat.sum())
            tl.promoters += int((sat >= self.feel.promoter_at).sum())
            tl.detractors += int((sat <= self.feel.detractor_at).sum())
        tl.in_flight += int(in_flight.sum())
        absorbed = ~in_flight
        tl.absorbed += int(absorbed.sum())
        tl.absorbed_time += float((t2[done] - st["t0"][done])[absorbed].sum())
        counts = np.bincount(where[done][absorbed] - n, minlength=tl.n_outcomes)
        tl.outcome_counts = [a + int(b) for a, b in zip(tl.outcome_counts, counts, strict=True)]
        if self.log is not None and absorbed.any():  # outcome rows: node index >= n
            ids = st["id"][done][absorbed]
            self.log.append(
                np.column_stack(
                    [ids, t2[done][absorbed], where[done][absorbed], np.zeros(len(ids))]
                )
            )


class _Counts:
    """How often each of ``size`` keys (node or stage, and day) occurred, fed step by step.
    Keys are held and counted with one ``bincount`` per ``size`` of them, not one per step:
    with long horizons the bins far outnumber a late step's customers."""

    def __init__(self, size: int) -> None:
        self.size, self.held = size, 0
        self.pending: list[np.ndarray] = []
        self.counts = np.zeros(size, np.int64)

    def add(self, keys: np.ndarray) -> None:
        self.pending.append(keys)
        self.held += len(keys)
        if self.held >= self.size:
            self.total()

    def total(self) -> np.ndarray:
        """The counts of every key added so far."""
        if self.pending:
            self.counts += np.bincount(np.concatenate(self.pending), minlength=self.size)
            self.held, self.pending = 0, []
        return self.counts


def _add(target: list[Any], day: np.ndarray, values: np.ndarray, as_int: bool = False) -> None:
    sums = np.bincount(day, weights=values, minlength=len(target))
    for i in np.flatnonzero(sums):
        target[i] += round(float(sums[i])) if as_int else float(sums[i])


class VectorizedEngine(SimulationEngine):
    """The numpy engine: no queues or experience effects (capacity refused unless ignored)."""

    name = "vectorized"
    models = SimulationEngine.models - {"capacity", "experience"}

    def check(
        self, scenario: Scenario, *, ignore_capacity: bool = False, horizon: float | None = None
    ) -> None:
        _refuse_capacity(scenario, ignore_capacity)
        super().check(scenario, ignore_capacity=ignore_capacity, horizon=horizon)

    def blind_to(
        self, features: frozenset[str] | set[str], *, ignore_capacity: bool = False
    ) -> frozenset[str]:
        blind = super().blind_to(features)
        return blind - {"capacity"} if ignore_capacity else blind

    def comparison_notes(self) -> list[str]:
        return [
            *super().comparison_notes(),
            "the vectorized engine draws per step for the whole population, so a variant "
            "that reroutes some customers shifts the others' draws: its common random "
            "numbers are partial and its paired intervals wider than the DES's",
        ]

    def notes(self, scenario: Scenario, *, ignore_capacity: bool = False) -> list[str]:
        if ignore_capacity and any(tp.capacity for tp in scenario.touchpoints.values()):
            felt = any(
                tp.feeling is not None and (tp.feeling.wait or tp.feeling.renege)
                for tp in scenario.touchpoints.values()
            )
            return [
                "capacity ignored (ignore_capacity=True): no queues, service time counted "
                "as extra dwell, no reneging, no experience effects"
                + (", no satisfaction effects of waiting or reneging" if felt else "")
            ]
        return []

    def replicate(
        self,
        scenario: Scenario,
        prepared: Any,
        *,
        seed: int,
        replication: int,
        horizon: float,
        events: bool,
        ignore_capacity: bool,
    ) -> tuple[Totals, list[Any] | None, dict[int, str]]:
        sim = VectorizedReplication(scenario, seed, replication, horizon, events, ignore_capacity)
        totals = sim.run()
        return totals, sim.log, sim.warm_ids

    def event_frame(self, rows: list[Any], scenario: Scenario) -> pd.DataFrame:
        data = np.concatenate(rows) if rows else np.zeros((0, 4))
        names = np.array([*scenario.touchpoints, *scenario.outcomes])
        stages = np.array(
            [tp.stage for tp in scenario.touchpoints.values()] + [""] * len(scenario.outcomes)
        )
        node = data[:, 2].astype(int)
        frame = pd.DataFrame(
            {
                "customer": data[:, 0].astype(np.int64),
                "time": data[:, 1],
                "touchpoint": names[node],
                "stage": stages[node],
                "value": data[:, 3],
            }
        )
        return frame.sort_values(["customer", "time"], kind="stable", ignore_index=True)
