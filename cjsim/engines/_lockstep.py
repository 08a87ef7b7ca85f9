"""Arriving customers walked in numpy lockstep, for the discrete-event engine.

Until a customer meets a desk (a capacity touchpoint) its path depends on nothing but
its own draws.  :class:`Lockstep` therefore advances a chunk of arriving customers one
visit per numpy step, with the very numbers the engine's scalar walk would take: the
same counter-based blocks (:class:`cjsim.engines._draws.Bank`), indexed by (batch,
purpose, touchpoint, visit), customer ``i`` of a batch taking value ``i``.  Every visit
is booked as the scalar walk books it: its start, its cost, purchase or refund, the end
of its dwell and the next touchpoint (``bisect_right`` on the segment's cumulative row).

A customer leaves the lockstep, and is handed back to the engine, when it

- arrives at a touchpoint the scalar walk must handle: referrals (they schedule new
  customers) or a calendar of pace (:class:`cjsim.model.DwellRate`);
- has dwelt at a desk and joins its queue before the horizon;
- is one of the few still walking when the chunk has thinned out (below :data:`CUT`
  customers a numpy step costs more than walking each in Python).

A hand-over carries the customer's whole state (visits per touchpoint, stages reached,
purchases, last order, discounted value, satisfaction), so the engine's walk continues
exactly where the lockstep stopped.  Satisfaction (:mod:`cjsim.engines._feelings`) is
carried in the state arrays with the scalar walk's arithmetic: the same effects added in
the same order, and each tilted row made by the same :func:`tilt_row`, once per row and
satisfaction value present in a step.  Customers who leave the
journey or reach the horizon in the lockstep are folded into the totals here.  Results
equal the scalar walk's up to the order in which floating-point sums are added.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

import numpy as np

from cjsim.engines._compiled import Compiled
from cjsim.engines._draws import BATCH, Bank, Purpose
from cjsim.engines._feelings import tilt_row
from cjsim.engines._tally import Totals

__all__ = ["CUT", "HandOver", "Lockstep"]

CUT = 24  # below this many customers still walking, the scalar walk is faster
TILT_MEMORY = 1 << 16  # tilted rows remembered (satisfaction scenarios)
SHIFT = BATCH.bit_length() - 1  # chunk index -> (batch, customer of the batch)
SLOT = 1 << 40  # block key: batch * SLOT + visit * n + node

D, T, OV = int(Purpose.DWELL), int(Purpose.TRANSITION), int(Purpose.ORDER_VALUE)


@dataclass
class HandOver:
    """Customers of a chunk handed back to the engine, in chunk order.

    ``join`` marks those who join a desk's queue at ``t`` (their ``visit``-th visit of
    ``node``, already booked); the others arrive at ``node`` at ``t`` and walk on.
    """

    index: np.ndarray  # position in the chunk
    node: np.ndarray
    t: np.ndarray
    visit: np.ndarray
    join: np.ndarray  # bool


@dataclass(frozen=True)
class _Visits:
    """Visits that start together in one step: who (position in the chunk), where, when,
    which visit of the touchpoint it is, and the day bin."""

    act: np.ndarray
    nd: np.ndarray
    tt: np.ndarray
    k: np.ndarray
    day: np.ndarray

    def subset(self, mask: np.ndarray) -> _Visits:
        return _Visits(self.act[mask], self.nd[mask], self.tt[mask], self.k[mask], self.day[mask])


class _State:
    """The per-customer arrays of one chunk."""

    def __init__(
        self, times: np.ndarray, segs: np.ndarray, entry: np.ndarray, n: int, start: float
    ) -> None:
        m = len(times)
        self.sat = np.full(m, start)  # satisfaction (the start without a model)
        self.t0, self.seg = times, segs
        self.node, self.t = entry.astype(np.int64), times.copy()
        self.counts = np.zeros((m, n), dtype=np.int64)
        self.stages = np.zeros(m, dtype=np.int64)
        self.purchases = np.zeros(m, dtype=np.int64)
        self.first = np.full(m, -1.0)
        self.last = np.zeros(m)
        self.value = np.zeros(m)


class Lockstep:
    """Walks chunks of arriving customers; see the module docstring.

    Parameters
    ----------
    comp : Compiled
        The compiled scenario.
    totals : Totals
        The replication's totals; scalars are added to at once, per-day series are kept
        here as arrays and added by :meth:`fold`.
    horizon : float
        Days simulated.
    margin : float
        Gross margin (the share of revenue that counts as value).
    reached : dict
        The replication's count of customers per set of stages reached (a bit set),
        added to as customers leave.
    """

    def __init__(
        self,
        comp: Compiled,
        totals: Totals,
        *,
        horizon: float,
        margin: float,
        reached: dict[int, int],
    ) -> None:
        c, n = comp, comp.n
        self.c, self.tl, self.h, self.margin = comp, totals, horizon, margin
        self.d1 = totals.days + 1
        self.per_bin = 1.0 / totals.bin_days
        self.stage_of = np.asarray(c.stage_of, dtype=np.int64)
        self.stage_bit = np.left_shift(1, self.stage_of)
        self.cost = np.asarray(c.cost)
        self.purchase = np.asarray(c.purchase, dtype=bool)
        self.refund = np.asarray(c.refund)
        self.zero = np.asarray(c.dwell_zero, dtype=bool)
        self.desk = np.asarray(c.capacity) > 0
        self.scalar = np.asarray(
            [bool(c.referral_mean[i]) or c.dwell_rate[i] is not None for i in range(n)]
        )
        self.multiplier = np.asarray(c.order_value_multiplier)
        self.cum, self.targets = _padded_rows(c)
        self.reached = reached
        self.felt_visits = np.zeros(n, dtype=np.int64)  # the emotional curve's visits ...
        self.felt_sum = np.zeros(n)  # ... and their satisfaction leaving
        feel = c.feelings
        if feel is not None:
            self.feel_visit, self.feel_refund = np.asarray(feel.visit), np.asarray(feel.refund)
            self.linked = np.asarray(feel.linked, dtype=bool)
        self._tilt_memory: dict[tuple[int, float], list[float]] = {}
        self.series = {
            "starts_by_day": np.zeros(n * self.d1, dtype=np.int64),
            "stage_ends_by_day": np.zeros(c.n_stages * self.d1, dtype=np.int64),
            "arrivals_by_day": np.zeros(self.d1, dtype=np.int64),
            "purchases_by_day": np.zeros(self.d1, dtype=np.int64),
            "revenue_by_day": np.zeros(self.d1),
            "cost_by_day": np.zeros(self.d1),
        }
        self._bins: dict[str, list[tuple[np.ndarray, np.ndarray | None]]] = {
            k: [] for k in self.series
        }

    # ------------------------------------------------------------------ a chunk
    def walk(
        self, banks: list[Bank], times: np.ndarray, segs: np.ndarray, entry: np.ndarray
    ) -> tuple[HandOver, _State]:
        """Walk the customers arriving at ``times`` (batches ``banks`` of :data:`BATCH`,
        in order) until each leaves the journey, reaches the horizon or is handed over.

        Returns the hand-over and the chunk's state, from which the engine builds the
        customers it takes back.
        """
        start = 0.0 if self.c.feelings is None else self.c.feelings.start
        c, s = self.c, _State(times, segs, entry, self.c.n, start)
        self.tl.customers += len(times)
        days = np.minimum((times * self.per_bin).astype(np.int64), self.d1 - 1)
        self._bin("arrivals_by_day", days)
        out: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]] = []
        act = np.arange(len(times))
        while act.size:
            nd, tt = s.node[act], s.t[act]
            done = (nd >= c.n) | (tt >= self.h)
            if done.any():
                self._finish(s, act[done], nd[done], tt[done])
                keep = ~done
                act, nd, tt = act[keep], nd[keep], tt[keep]
            stop = self.scalar[nd]
            if act.size < CUT:
                stop[:] = True
            if stop.any():
                out.append((act[stop], nd[stop], tt[stop], np.zeros(stop.sum(), np.int64), False))
                keep = ~stop
                act, nd, tt = act[keep], nd[keep], tt[keep]
            if act.size:
                act = self._step(s, banks, act, nd, tt, out)
        self._flush()
        return _hand_over(out), s

    def _step(
        self,
        s: _State,
        banks: list[Bank],
        act: np.ndarray,
        nd: np.ndarray,
        tt: np.ndarray,
        out: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]],
    ) -> np.ndarray:
        """One visit of every customer in ``act`` (at ``nd`` since ``tt``); returns those
        who walk on (their next node and time set in ``s``)."""
        k = s.counts[act, nd]
        s.counts[act, nd] = k + 1
        v = _Visits(act, nd, tt, k, (tt * self.per_bin).astype(np.int64))
        self._bin("starts_by_day", nd * self.d1 + v.day)
        s.stages[act] |= self.stage_bit[nd]
        uniforms, dwell = self._blocks(banks, v)
        dwell[self.zero[nd]] = 0.0
        desk = self.desk[nd]
        if desk.any():  # joins the queue after its dwell, unless the horizon comes first
            at = v.subset(desk)
            t_join = at.tt + dwell[desk]
            queue = t_join < self.h
            if not queue.all():
                late = at.subset(~queue)
                self._finish(s, late.act, late.nd, late.tt)
            out.append((at.act[queue], at.nd[queue], t_join[queue], at.k[queue], True))
            walk = ~desk
            v, uniforms, dwell = v.subset(walk), uniforms[walk], dwell[walk]
        self._cash(s, banks, v)
        if self.c.feelings is not None:
            self._feel(s, v)
        act, nd, t = v.act, v.nd, v.tt + dwell
        s.t[act] = t
        gone = t >= self.h  # still dwelling at the horizon: in flight
        if gone.any():
            self._finish(s, act[gone], nd[gone], t[gone])
            on = ~gone
            act, nd, t, uniforms = act[on], nd[on], t[on], uniforms[on]
        ends = self.stage_of[nd] * self.d1 + (t * self.per_bin).astype(np.int64)
        self._bin("stage_ends_by_day", ends)
        row = s.seg[act] * self.c.n + nd
        chosen = (self.cum[row] <= uniforms[:, None]).sum(axis=1)
        if self.c.feelings is not None:
            self._tilted_choice(s.sat[act], row, nd, uniforms, chosen)
        s.node[act] = self.targets[row, chosen]
        return act

    def _feel(self, s: _State, v: _Visits) -> None:
        """Visits ``v`` (booked): their visit effect, then the emotional curve."""
        s.sat[v.act] += self.feel_visit[v.nd]
        n = self.c.n
        self.felt_visits += np.bincount(v.nd, minlength=n)
        self.felt_sum += np.bincount(v.nd, s.sat[v.act], minlength=n)

    def _tilted_choice(
        self,
        sat: np.ndarray,
        row: np.ndarray,
        nd: np.ndarray,
        uniforms: np.ndarray,
        chosen: np.ndarray,
    ) -> None:
        """Redraw ``chosen`` (in place) where the row is tilted by satisfaction (a linked
        row, satisfaction not 0), with the scalar walk's :func:`tilt_row` and uniform."""
        tilted = np.flatnonzero(self.linked[nd] & (sat != 0.0))
        if not tilted.size:
            return
        c, n, memory = self.c, self.c.n, self._tilt_memory
        feel = c.feelings
        assert feel is not None
        for j, r, x in zip(
            tilted.tolist(), row[tilted].tolist(), sat[tilted].tolist(), strict=True
        ):
            cum = memory.get((r, x))
            if cum is None:
                if len(memory) >= TILT_MEMORY:
                    memory.clear()
                seg, node = divmod(r, n)
                cum = memory[r, x] = tilt_row(c.targets[seg][node], c.cum[seg][node], feel.beta, x)
            chosen[j] = bisect_right(cum, float(uniforms[j]))

    def _blocks(self, banks: list[Bank], v: _Visits) -> tuple[np.ndarray, np.ndarray]:
        """Each customer's transition uniform and dwell of this visit."""
        inverse, i, batch, node, visit = self._keys(v)
        uniforms, dwells = [], []
        for pair in map(Bank.step, map(banks.__getitem__, batch), node, visit):
            uniforms.append(pair[0])
            dwells.append(pair[1])
        return _stacked(uniforms)[inverse, i], _stacked(dwells)[inverse, i]

    def _keys(self, v: _Visits) -> tuple[np.ndarray, np.ndarray, list[int], list[int], list[int]]:
        """The blocks that visits ``v`` need: one per (batch, visit, node) present, as each
        customer's row among them, each customer's place in its batch, and the blocks'
        batches, nodes and visits."""
        n = self.c.n
        batch, i = v.act >> SHIFT, v.act & (BATCH - 1)
        keys, inverse = np.unique((batch * SLOT + v.k * n) + v.nd, return_inverse=True)
        slot = keys % SLOT
        return inverse, i, (keys // SLOT).tolist(), (slot % n).tolist(), (slot // n).tolist()

    def _values(self, banks: list[Bank], purpose: int, v: _Visits) -> np.ndarray:
        """Each visit's value of ``purpose``."""
        inverse, i, batch, node, visit = self._keys(v)
        blocks = [banks[b].block(purpose, x, k) for b, x, k in zip(batch, node, visit, strict=True)]
        return _stacked(blocks)[inverse, i]

    def _cash(self, s: _State, banks: list[Bank], v: _Visits) -> None:
        """Cost, purchase and refund of visits ``v`` (booked when they start)."""
        delta = self.c.daily_discount
        cost = self.cost[v.nd]
        paid = cost != 0
        if paid.any():
            who, amount = v.act[paid], cost[paid]
            self._bin("cost_by_day", v.day[paid], amount)
            disc = np.exp(-delta * (v.tt[paid] - s.t0[who])) if delta else 1.0
            s.value[who] -= amount * disc
        buy = self.purchase[v.nd]
        if buy.any():
            self._buy(s, banks, v.subset(buy))
        back = (self.refund[v.nd] != 0) & ~buy
        if back.any():
            back[back] = s.last[v.act[back]] != 0
            if back.any():
                self._refund(s, v.subset(back))

    def _buy(self, s: _State, banks: list[Bank], v: _Visits) -> None:
        who = v.act
        value = self._values(banks, OV, v) * self.multiplier[s.seg[who]]
        fresh = s.purchases[who] == 0
        s.first[who[fresh]] = v.tt[fresh]
        s.purchases[who] += 1
        s.last[who] = value
        tl = self.tl
        tl.purchases += len(who)
        tl.order_value += float(value.sum())
        self._bin("purchases_by_day", v.day)
        self._bin("revenue_by_day", v.day, value)
        s.value[who] += self.margin * value * self._discount(s, who, v.tt)

    def _refund(self, s: _State, v: _Visits) -> None:
        refund = self.refund[v.nd] * s.last[v.act]
        if self.c.feelings is not None:
            s.sat[v.act] += self.feel_refund[v.nd]
        self.tl.refunds += float(refund.sum())
        self._bin("revenue_by_day", v.day, -refund)
        s.value[v.act] -= self.margin * refund * self._discount(s, v.act, v.tt)

    def _discount(self, s: _State, who: np.ndarray, tt: np.ndarray) -> np.ndarray | float:
        delta = self.c.daily_discount
        return np.exp(-delta * (tt - s.t0[who])) if delta else 1.0

    # ------------------------------------------------------------------ the end
    def _finish(self, s: _State, who: np.ndarray, nd: np.ndarray, t: np.ndarray) -> None:
        """Fold customers who leave the journey at ``nd`` (or are in flight there) at
        ``t`` into the totals."""
        tl, n = self.tl, self.c.n
        bought = s.purchases[who]
        buyer = bought > 0
        if buyer.any():
            tl.converters += int(buyer.sum())
            tl.two_plus += int((bought >= 2).sum())
            tl.first_purchase_time += float((s.first[who] - s.t0[who])[buyer].sum())
            tl.retained += int((buyer & (nd < n)).sum())
        sets, counts = np.unique(s.stages[who], return_counts=True)
        reached = self.reached
        for stages, count in zip(sets.tolist(), counts.tolist(), strict=True):
            reached[stages] = reached.get(stages, 0) + count
        tl.discounted_value += float(s.value[who].sum())
        feel = self.c.feelings
        if feel is not None:
            sat = s.sat[who]
            tl.final_sat += float(sat.sum())
            tl.promoters += int((sat >= feel.promoter_at).sum())
            tl.detractors += int((sat <= feel.detractor_at).sum())
        out = nd >= n
        absorbed = int(out.sum())
        tl.in_flight += len(who) - absorbed
        if absorbed:
            tl.absorbed += absorbed
            tl.absorbed_time += float((t[out] - s.t0[who[out]]).sum())
            outcomes = np.bincount(nd[out] - n, minlength=len(tl.outcome_counts))
            for j, count in enumerate(outcomes.tolist()):
                tl.outcome_counts[j] += count

    def _bin(self, name: str, index: np.ndarray, weights: np.ndarray | None = None) -> None:
        self._bins[name].append((index, weights))

    def _flush(self) -> None:
        """Add the day bins gathered during a chunk to the series."""
        for name, parts in self._bins.items():
            if not parts:
                continue
            target = self.series[name]
            index = np.concatenate([p[0] for p in parts])
            if parts[0][1] is None:
                target += np.bincount(index, minlength=len(target))
            else:
                weights = np.concatenate([p[1] for p in parts])
                target += np.bincount(index, weights, minlength=len(target))
            parts.clear()

    def fold(self) -> None:
        """Add the per-day series gathered here to the totals."""
        for name, series in self.series.items():
            mine = getattr(self.tl, name)
            setattr(self.tl, name, [a + b for a, b in zip(mine, series.tolist(), strict=True)])
        if self.c.feelings is not None:
            tl = self.tl
            visits, sums = self.felt_visits.tolist(), self.felt_sum.tolist()
            tl.felt_visits = [a + b for a, b in zip(tl.felt_visits, visits, strict=True)]
            tl.felt_sum = [a + b for a, b in zip(tl.felt_sum, sums, strict=True)]


def _padded_rows(c: Compiled) -> tuple[np.ndarray, np.ndarray]:
    """Every segment's cumulative rows and targets as ``(segments * n, width)`` arrays,
    padded with +inf (never chosen) so that ``(cum <= u).sum()`` is ``bisect_right``."""
    rows = [
        pair
        for seg_targets, seg_cum in zip(c.targets, c.cum, strict=True)
        for pair in zip(seg_targets, seg_cum, strict=True)
    ]
    width = max(len(tg) for tg, _ in rows)
    cum = np.full((len(rows), width), np.inf)
    targets = np.zeros((len(rows), width), dtype=np.int64)
    for r, (tg, cm) in enumerate(rows):
        cum[r, : len(cm)] = cm
        targets[r, : len(tg)] = tg
    return cum, targets


def _stacked(blocks: list[np.ndarray]) -> np.ndarray:
    return blocks[0][None, :] if len(blocks) == 1 else np.stack(blocks)


def _hand_over(
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]],
) -> HandOver:
    """The chunk's hand-overs in chunk order (each customer is handed over once)."""
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return HandOver(empty, empty, np.zeros(0), empty, np.zeros(0, dtype=bool))
    index = np.concatenate([p[0] for p in parts])
    order = np.argsort(index, kind="stable")
    join = np.concatenate([np.full(len(p[0]), p[4]) for p in parts])
    return HandOver(
        index=index[order],
        node=np.concatenate([p[1] for p in parts])[order],
        t=np.concatenate([p[2] for p in parts])[order],
        visit=np.concatenate([p[3] for p in parts])[order],
        join=join[order],
    )
