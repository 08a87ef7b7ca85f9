"""The discrete-event engine (SimPy): time, queues, reneging, experience effects, referrals.

Customers interact only at capacity touchpoints.  Between two such touchpoints a
customer's path depends on nothing but its own draws, so the engine advances it
arithmetically (each visit is still recorded at its own time): arrivals are walked a
chunk at a time, with no event of their own, in numpy lockstep
(:mod:`cjsim.engines._lockstep`) until they meet a desk, referrals or a calendar of pace,
and from there customer by customer (:meth:`DesReplication._walk`), which takes the same
numbers; with an event log every customer is walked one by one.  SimPy's clock orders
what happens where customers meet: joining a queue, a server coming free, patience
running out, referred customers arriving later; each is one scheduled event with a
callback (at a desk, a light ``_Wake``, and consecutive desk events are taken from
SimPy's queue without a step each).  A desk is a count of free servers and a FIFO line.
The results are those of a step-by-step simulation; only the bookkeeping is cheaper.

Semantics shared with the vectorized engine: a visit starts when the customer
arrives at a touchpoint (cost, purchase and refund happen then; at a capacity
touchpoint they happen when service ends; a customer who reneges pays no cost and
buys nothing, but is still refunded at a refund desk, since the goods came back); the
customer then dwells; at a capacity touchpoint it then queues and is served.
Customers still in the journey at the horizon are in flight, never lost.

Warm-start customers (``population.warm_start``) start at day 0 in the middle of a visit
that began before it: that visit is not booked again (no visit, cost, purchase, refund,
referral or event row); the rest of its dwell is drawn given the time already spent, then
the customer queues (capacity touchpoint) or moves on.  ``warm_ids`` maps their simulated
ids to the warm-start customer ids.
"""

from __future__ import annotations

import gc
import math
from bisect import bisect_right
from collections import deque
from collections.abc import Generator
from heapq import heappop, heappush
from typing import Any

import numpy as np
import pandas as pd
import simpy
from simpy.events import NORMAL

from cjsim.engines._arrivals import arrival_times
from cjsim.engines._compiled import Compiled, compile_scenario
from cjsim.engines._draws import BATCH, Bank, CounterDraws, Purpose, stream
from cjsim.engines._feelings import tilt_row
from cjsim.engines._lockstep import HandOver, Lockstep
from cjsim.engines._tally import QueueTotals, Totals, time_bins
from cjsim.engines._warm import place
from cjsim.engines.base import SimulationEngine
from cjsim.model import Scenario

__all__ = ["DesEngine", "DesReplication"]

D, T, OV = int(Purpose.DWELL), int(Purpose.TRANSITION), int(Purpose.ORDER_VALUE)
CHUNK_BATCHES = 64  # batches of arrivals walked together (in numpy lockstep) ...
TILT_MEMORY = 1 << 16  # tilted rows remembered (satisfaction scenarios)
CHUNK_CELLS = 1 << 21  # ... unless their visit counts (customers x touchpoints) exceed this


class _Customer:
    """A customer's state while in the journey."""

    __slots__ = (
        "bank",
        "counts",
        "first",
        "i",
        "id",
        "last",
        "purchases",
        "queue_node",
        "sat",
        "seg",
        "stages",
        "t0",
        "t_join",
        "ticket",
        "value",
        "visit",
        "wait",
        "warm",
    )

    def __init__(self, bank: Bank, i: int, cid: int, seg: int, t0: float, n: int) -> None:
        self.bank, self.i, self.id, self.seg, self.t0 = bank, i, cid, seg, t0
        self.counts = [0] * n
        self.purchases, self.first, self.last, self.value = 0, -1.0, 0.0, 0.0
        self.stages, self.t_join, self.queue_node = 0, -1.0, -1
        self.visit, self.ticket, self.wait, self.warm = 0, 0, 0.0, False
        self.sat = 0.0  # satisfaction (set to the model's start when there is one)


def _carried(event: simpy.Event) -> Any:
    """What a scheduled callback's timeout carries (its value)."""
    return event.value


class _Desk:
    """The servers of a capacity touchpoint: how many are free, and the line (FIFO) of
    ``(customer, ticket)``; an entry whose ticket the customer no longer holds (it
    reneged) is skipped.  The rest is what its events read, set by
    :meth:`DesReplication._open_desks`."""

    __slots__ = (
        "cash",
        "end_at",
        "experience",
        "free",
        "line",
        "node",
        "patience",
        "q",
        "refund",
        "renege_to",
        "reservoir",
    )
    node: int
    q: QueueTotals
    reservoir: list[float]  # uniforms for the wait reservoir
    patience: bool
    renege_to: int
    refund: float
    cash: bool  # the visit is booked (cost, purchase, ...) when service ends
    end_at: int  # where the node's stage's day bins start in stage_ends_by_day
    experience: bool  # some segment's out-edges here depend on the wait

    def __init__(self, servers: int) -> None:
        self.free = servers
        self.line: deque[tuple[_Customer, int]] = deque()


_JOIN, _SERVED, _RENEGE = 0, 1, 2  # what a wake is for
SV, PT = int(Purpose.SERVICE), int(Purpose.PATIENCE)


class _Wake:
    """A desk event in SimPy's queue: a customer joining (``arg``: the join time), ending
    service, or running out of patience (``arg``: its ticket then).  Lighter than a
    :class:`simpy.Timeout`; SimPy's loop calls its callback like any event's, and
    :meth:`DesReplication._wake` takes the desk events that follow it directly."""

    __slots__ = ("arg", "callbacks", "cust", "kind", "sim")
    _ok = True  # SimPy checks this after the callbacks: a wake never fails

    def __init__(self, sim: DesReplication, kind: int, cust: _Customer, arg: Any) -> None:
        self.callbacks, self.sim, self.kind, self.cust, self.arg = _WOKEN, sim, kind, cust, arg


def _woken(wake: _Wake) -> None:
    wake.sim._wake(wake)


_WOKEN = (_woken,)


class DesReplication:
    """One replication of the DES engine; :meth:`run` returns its :class:`Totals`."""

    def __init__(
        self,
        sc: Scenario,
        comp: Compiled,
        seed: int | None,
        replication: int,
        horizon: float,
        events: bool = False,
        lockstep: bool = True,
    ) -> None:
        self.sc, self.c, self.seed, self.rep, self.h = sc, comp, seed, replication, horizon
        self.env = simpy.Environment()
        self.days, width = time_bins(horizon)
        self.per_bin = 1.0 / width
        self.t = Totals(comp.n, len(comp.names) - comp.n, comp.n_stages, self.days, width)
        self.margin = sc.economics.gross_margin
        self.desks = {i: _Desk(cap) for i, cap in enumerate(comp.capacity) if cap}
        self.t.queues = {i: QueueTotals(cap) for i, cap in enumerate(comp.capacity) if cap}
        self._reservoir = {
            i: stream(seed, replication, Purpose.RESERVOIR, i).random(4096).tolist()
            for i in self.desks
        }
        self.in_queue: dict[int, _Customer] = {}
        self._tilt_memory: dict[tuple[int, float], list[float]] = {}
        self._reached: dict[int, int] = {}  # bit set of stages reached -> customers
        d1 = self.days + 1  # where each node's (stage's) day bins start in the tallies
        self._start_at = [i * d1 for i in range(comp.n)]
        self._end_at = [comp.stage_of[i] * d1 for i in range(comp.n)]
        self._stage_bit = [1 << comp.stage_of[i] for i in range(comp.n)]
        self.log: list[tuple[int, float, str, str, float]] | None = [] if events else None
        self.sc_outcomes = list(sc.outcomes)
        self._next_id = 0
        self.draws = CounterDraws(seed, replication)
        self._banks: dict[tuple[int, ...], Bank] = {}
        self._dwell_factor = comp.dwell_factor if comp.scales_dwell else None
        self.warm_ids: dict[int, str] = {}  # simulated customer id -> warm-start customer id
        self.cost_only = [
            bool(
                comp.cost[i]
                and not (comp.purchase[i] or comp.refund[i] or comp.referral_mean[i] or events)
            )
            for i in range(comp.n)
        ]
        self.cash_at = [
            bool(
                comp.cost[i]
                or comp.purchase[i]
                or comp.refund[i]
                or comp.referral_mean[i]
                or events
            )
            for i in range(comp.n)
        ]
        self._walk_a, self._walk_b, self._walk_c = self._walk_constants()
        self.lockstep = (
            Lockstep(comp, self.t, horizon=horizon, margin=self.margin, reached=self._reached)
            if lockstep and not events
            else None
        )
        self._open_desks()

    def _walk_constants(self) -> tuple[tuple[Any, ...], tuple[Any, ...], tuple[Any, ...]]:
        """What :meth:`_walk` reads, unpacked at once (its tallies are mutated in place)."""
        c, tl = self.c, self.t
        a = (self.h, c.n, tl.starts_by_day, tl.stage_ends_by_day, self.per_bin, self._start_at)
        b = (self._end_at, self._stage_bit, c.capacity, self.cash_at, c.dwell_zero, c.dwell_rate)
        return a, b, (self.cost_only, c.cost, tl.cost_by_day, c.daily_discount)

    # ---------------------------------------------------------------- customers
    def _bank(self, key: tuple[int, ...]) -> Bank:
        """The batch of ``key``; only the current batch is kept (customers hold theirs)."""
        bank = self._banks.get(key)
        if bank is None:
            bank = self._make_bank(key, BATCH)
            self._banks = {key: bank}
        return bank

    def _make_bank(self, key: tuple[int, ...], size: int, segs: np.ndarray | None = None) -> Bank:
        """A new bank; with segment dwell multipliers its dwell draws come pre-scaled, and
        with replacement distributions it knows its customers' segments."""
        c = self.c
        bank = Bank(self.draws, key, size, c.samplers, c.n, segment_samplers=c.segment_samplers)
        if self._dwell_factor is None and not c.replaces:
            return bank
        if segs is None:  # the same choice _new makes from the bank's uniforms
            u = bank.uniforms[0::2]
            segs = np.searchsorted(c.segment_cum, u, side="right")
            segs = np.minimum(segs, len(c.segment_cum) - 1)
        if self._dwell_factor is not None:
            bank.dwell_scale = self._dwell_factor[segs]
        if c.replaces:
            bank.segment = np.asarray(segs)
        return bank

    def _new(
        self, bank: Bank, i: int, t0: float, initial: bool = False, seg: int | None = None
    ) -> _Customer:
        if seg is None:
            last = len(self.c.segment_cum) - 1
            seg = min(bisect_right(self.c.segment_cum, float(bank.uniforms[2 * i])), last)
        cust = _Customer(bank, i, self._next_id, seg, t0, self.c.n)
        if self.c.feelings is not None:
            cust.sat = self.c.feelings.start
        self._next_id += 1
        self.t.customers += 1
        self.t.initial_customers += initial
        self.t.arrivals_by_day[min(int(t0 * self.per_bin), self.days)] += 1
        return cust

    def _entry(self, cust: _Customer) -> int:
        u = float(cust.bank.uniforms[2 * cust.i + 1])
        return self.c.entry_nodes[bisect_right(self.c.entry_cum, u)]

    def _start(self, cust: _Customer, node: int, t: float) -> None:
        stop = self._walk(cust, node, t)
        if stop is not None:
            self._join_at(cust, *stop)

    def _source(self, times: np.ndarray) -> Generator[Any, Any, None]:
        """Walk each chunk of arrivals when its first customer arrives: until a customer
        meets a queue its path depends on its own draws only, so it needs no event."""
        env, c = self.env, self.c
        chunk = BATCH * max(1, min(CHUNK_BATCHES, CHUNK_CELLS // (BATCH * c.n)))
        for first in range(0, len(times), chunk):
            part = times[first : first + chunk]
            if part[0] > env.now:
                yield env.timeout(float(part[0]) - env.now)
            keys = range(first // BATCH, (first + len(part) - 1) // BATCH + 1)
            banks = [self._make_bank((Purpose.PRIMARY, b), BATCH) for b in keys]
            u = np.concatenate([b.uniforms.reshape(-1, 2) for b in banks])
            segs = np.searchsorted(c.segment_cum, u[: len(part), 0], side="right")
            entry = np.take(c.entry_nodes, np.searchsorted(c.entry_cum, u[: len(part), 1], "right"))
            if self.lockstep is not None:
                self._take_back(banks, *self.lockstep.walk(banks, part, segs, entry))
                continue
            for j, (t, seg, node) in enumerate(
                zip(part.tolist(), segs.tolist(), entry.tolist(), strict=True)
            ):
                bank = banks[j // BATCH]
                self._start(self._new(bank, j % BATCH, t, seg=seg), node, t)

    def _take_back(self, banks: list[Bank], hand: HandOver, s: Any) -> None:
        """Continue the customers the lockstep handed over, in arrival order, from the
        state it left them in (their ids are those of arrival order)."""
        base, n = self._next_id, self.c.n
        self._next_id += len(s.t0)
        rows = zip(
            hand.index.tolist(),
            hand.node.tolist(),
            hand.t.tolist(),
            hand.visit.tolist(),
            hand.join.tolist(),
            strict=True,
        )
        for j, node, t, visit, join in rows:
            cust = _Customer(banks[j // BATCH], j % BATCH, base + j, int(s.seg[j]), 0.0, 0)
            cust.t0, cust.counts = float(s.t0[j]), s.counts[j].tolist()
            cust.sat = float(s.sat[j])
            cust.stages, cust.purchases = int(s.stages[j]), int(s.purchases[j])
            cust.first, cust.last, cust.value = (
                float(s.first[j]),
                float(s.last[j]),
                float(s.value[j]),
            )
            assert len(cust.counts) == n
            if join:
                self._join_at(cust, node, t, visit)
            else:
                self._start(cust, node, t)

    def _place_warm(self) -> None:
        """Put the warm-start customers of this replication in the journey at day 0."""
        placed = place(self.sc, self.c, self.seed, self.rep)
        for first in range(0, len(placed.node), BATCH):
            segs = placed.segment[first : first + BATCH]
            bank = self._make_bank((Purpose.WARM_START, first // BATCH), len(segs), segs)
            for j, seg in enumerate(segs.tolist()):
                k = first + j
                cust = self._new(bank, j, 0.0, initial=True, seg=seg)
                self.warm_ids[cust.id] = str(placed.warm_id[k])
                cust.last = float(placed.last_order[k])
                self._resume(cust, int(placed.node[k]), float(placed.remaining[k]))

    def _resume(self, cust: _Customer, node: int, t: float) -> None:
        """Continue ``cust`` mid-visit at ``node``, its dwell ending at ``t``; the visit
        under way is visit 0 of the node's draws but is not booked."""
        c = self.c
        cust.counts[node] = 1
        stage = c.stage_of[node]
        cust.stages |= 1 << stage
        self.t.warm_by_stage[stage] += 1
        if t >= self.h:
            self._finish(cust, node, t)  # still dwelling at the horizon: in flight
        elif c.capacity[node]:
            cust.warm = True
            self._join_at(cust, node, t, 0)
        else:
            self.t.stage_ends_by_day[stage * (self.days + 1) + int(t * self.per_bin)] += 1
            u = cust.bank.draw(T, node, cust.i, 0)
            targets, cum = self._row(cust, c.targets[cust.seg][node], c.cum[cust.seg][node], node)
            self._start(cust, targets[bisect_right(cum, u)], t)

    def _referred(self, parent: _Customer, node: int, visit: int, t: float) -> None:
        c = self.c
        count = int(parent.bank.draw(Purpose.REFERRAL_COUNT, node, parent.i, visit))
        for j in range(count):
            key = (Purpose.REFERRED, *parent.bank.key, parent.i, node, visit, j)
            bank = self._make_bank(key, 1)
            arrive = t + bank.draw(Purpose.REFERRAL_DELAY, node, 0, 0)
            if arrive < self.h:
                later = self.env.timeout(
                    arrive - self.env.now, (bank, c.referral_entry[node], arrive)
                )
                later.callbacks.append(self._arrive_later)

    def _arrive_later(self, event: simpy.Event) -> None:
        bank, node, t = _carried(event)
        self._start(self._new(bank, 0, t), node, t)

    # ---------------------------------------------------------------- the walk
    def _cash(self, cust: _Customer, node: int, t: float, visit: int) -> None:
        """Cost, purchase, refund and referrals of one visit at time ``t``."""
        c, tl, day = self.c, self.t, int(t * self.per_bin)
        disc = math.exp(-c.daily_discount * (t - cust.t0)) if c.daily_discount else 1.0
        cost, logged = c.cost[node], 0.0
        if cost:
            tl.cost_by_day[day] += cost
            cust.value -= cost * disc
        if c.purchase[node]:
            value = cust.bank.draw(OV, node, cust.i, visit) * c.order_value_multiplier[cust.seg]
            if not cust.purchases:
                cust.first = t
            cust.purchases += 1
            cust.last = value
            tl.purchases += 1
            tl.order_value += value
            tl.purchases_by_day[day] += 1
            tl.revenue_by_day[day] += value
            cust.value += self.margin * value * disc
            logged = value
        elif c.refund[node] and cust.last:  # an order to refund (bought, or warm start)
            logged = -self._refund(cust, node, day, disc)
        if c.referral_mean[node]:
            self._referred(cust, node, visit, t)
        if self.log is not None:
            self.log.append((cust.id, t, c.names[node], self.sc.stages[c.stage_of[node]], logged))

    def _refund(self, cust: _Customer, node: int, day: int, disc: float) -> float:
        """Refund a share of the customer's last order; returns the amount."""
        refund = self.c.refund[node] * cust.last
        if self.c.feelings is not None:
            cust.sat += self.c.feelings.refund[node]
        self.t.refunds += refund
        self.t.revenue_by_day[day] -= refund
        cust.value -= self.margin * refund * disc
        return refund

    def _walk(self, cust: _Customer, node: int, t: float) -> tuple[int, float, int] | None:
        """Advance ``cust`` from arriving at ``node`` at ``t``.

        Returns ``(node, join_time, visit)`` at a capacity touchpoint whose queue the
        customer joins before the horizon, else None (absorbed or in flight).
        """
        h, n, starts, ends, pb, start_at = self._walk_a
        end_at, stage_bit, capacity, cash_at, zero, calendar = self._walk_b
        cost_only, cost, cost_days, delta = self._walk_c
        targets, cum = self.c.targets[cust.seg], self.c.cum[cust.seg]
        counts, bank, i = cust.counts, cust.bank, cust.i
        dwell_blocks, trans_blocks = bank.blocks[D], bank.blocks[T]
        exp, stages, feel = math.exp, cust.stages, self.c.feelings
        while node < n:
            if t >= h:  # defensive: arrivals and queue exits happen before the horizon
                break
            k = counts[node]
            counts[node] = k + 1
            starts[start_at[node] + int(t * pb)] += 1
            stages |= stage_bit[node]
            slot = k * n + node
            if zero[node]:
                dwell = 0.0
            else:
                block = dwell_blocks.get(slot)
                if block is None:
                    block = bank.block(D, node, k)
                dwell = float(block[i])
            rate = calendar[node]
            if rate is not None:
                dwell = rate.end(t, dwell) - t
            if capacity[node]:
                if t + dwell >= h:
                    break
                cust.stages = stages
                return node, t + dwell, k
            if cash_at[node]:
                if cost_only[node]:  # the common case, inline: a cost and nothing else
                    cst = cost[node]
                    cost_days[int(t * pb)] += cst
                    cust.value -= cst * exp(-delta * (t - cust.t0)) if delta else cst
                else:
                    self._cash(cust, node, t, k)
            if feel is not None:
                self._feel(cust, node)
            t += dwell
            if t >= h:  # still dwelling here at the horizon: in flight
                break
            ends[end_at[node] + int(t * pb)] += 1
            block = trans_blocks.get(slot)
            if block is None:
                block = bank.block(T, node, k)
            u = float(block[i])
            if feel is not None and feel.linked[node]:
                row = targets[node]
                node = row[bisect_right(self._tilted(row, cum[node], cust.sat), u)]
                continue
            node = targets[node][bisect_right(cum[node], u)]
        cust.stages = stages
        self._finish(cust, node, t)
        return None

    # ---------------------------------------------------------------- satisfaction
    def _feel(self, cust: _Customer, node: int) -> None:
        """A booked visit of ``node``: its satisfaction effect, then the emotional curve
        (satisfaction leaving the visit)."""
        feel = self.c.feelings
        assert feel is not None
        cust.sat += feel.visit[node]
        self.t.felt_sum[node] += cust.sat
        self.t.felt_visits[node] += 1

    def _felt_renege(self, cust: _Customer, node: int) -> None:
        """A customer gave up waiting at ``node``: the renege effect, on the curve too."""
        feel = self.c.feelings
        assert feel is not None
        cust.sat += feel.renege[node]
        self.t.felt_sum[node] += cust.sat
        self.t.felt_visits[node] += 1

    def _row(
        self, cust: _Customer, targets: list[int], cum: list[float], node: int
    ) -> tuple[list[int], list[float]]:
        """The row ``targets, cum`` of ``node`` tilted for ``cust``'s satisfaction."""
        feel = self.c.feelings
        if feel is None or not feel.linked[node]:
            return targets, cum
        return targets, self._tilted(targets, cum, cust.sat)

    def _tilted(self, targets: list[int], cum: list[float], sat: float) -> list[float]:
        """:func:`tilt_row`, remembered per row and satisfaction (satisfaction is a sum of
        a few effects, so the same values recur); the memory is emptied when it grows
        large."""
        key = (id(cum), sat)
        row = self._tilt_memory.get(key)
        if row is None:
            if len(self._tilt_memory) >= TILT_MEMORY:
                self._tilt_memory.clear()
            feel = self.c.feelings
            assert feel is not None
            row = self._tilt_memory[key] = tilt_row(targets, cum, feel.beta, sat)
        return row

    # ---------------------------------------------------------------- queues
    def _open_desks(self) -> None:
        """Give each desk what its events read (their node's totals and constants)."""
        c = self.c
        for node, desk in self.desks.items():
            desk.node, desk.q, desk.reservoir = node, self.t.queues[node], self._reservoir[node]
            desk.patience, desk.renege_to, desk.refund = (
                c.patience[node],
                c.renege_to[node],
                c.refund[node],
            )
            desk.cash, desk.end_at = self.cash_at[node], self._end_at[node]
            desk.experience = any(key[1] == node for key in c.experience)
        self._at_tail = False  # set while the event being handled has nothing left to do
        # the nodes a customer leaving a desk queues at straight away (no dwell, no
        # calendar); outcomes are listed too (False)
        self._desk_now = [
            bool(c.capacity[i] and c.dwell_zero[i] and c.dwell_rate[i] is None) for i in range(c.n)
        ] + [False] * (len(c.names) - c.n)
        # wakes go on SimPy's queue as Environment.schedule would put them (the queue's
        # entries are typed for simpy events only)
        self._queue: list[Any] = self.env._queue
        self._targets, self._cum = c.targets, c.cum
        self._starts, self._stage_ends = self.t.starts_by_day, self.t.stage_ends_by_day
        self._next_eid = self.env._eid.__next__

    def _join_at(self, cust: _Customer, node: int, t_join: float, visit: int) -> None:
        """Let ``cust`` join the queue of ``node`` at ``t_join`` (its ``visit``-th visit).

        At the end of a desk event (``_at_tail``), a join at the current time that no
        other pending event precedes is handled at once: it is the event SimPy would
        take next.
        """
        cust.queue_node, cust.visit = node, visit  # read only once it has joined
        now = self.env._now
        if self._at_tail and t_join == now:
            self._at_tail = False
            self._join_now(cust, now)
            return
        delay = t_join - now if t_join > now else 0.0
        wake = _Wake(self, _JOIN, cust, t_join)
        heappush(self._queue, (now + delay, NORMAL, self._next_eid(), wake))

    def _join_now(self, cust: _Customer, now: float) -> None:
        """Join at ``now``, at the end of a desk event: at once if no pending event
        precedes the join (it is the event SimPy would take next), else as a wake."""
        queue = self._queue
        if not queue or queue[0][0] > now:
            self._on_join(cust, now, now)
        else:
            heappush(queue, (now, NORMAL, self._next_eid(), _Wake(self, _JOIN, cust, now)))

    def _walk_on(self, cust: _Customer, node: int, now: float) -> None:
        """Send ``cust``, done at a desk at ``now``, to ``node``: as :meth:`_start`, with
        its two commonest cases directly: an outcome (the customer is finished), and a
        desk queued at with no dwell (the visit's bookkeeping of :meth:`_walk`, then the
        join)."""
        if node >= self.c.n:
            self._finish(cust, node, now)
        elif self._desk_now[node]:
            visit = cust.counts[node]
            cust.counts[node] = visit + 1
            self._starts[self._start_at[node] + int(now * self.per_bin)] += 1
            cust.stages |= self._stage_bit[node]
            cust.queue_node, cust.visit = node, visit
            self._join_now(cust, now)
        else:
            self._at_tail = True
            self._start(cust, node, now)
            self._at_tail = False

    def _on_join(self, cust: _Customer, t_join: float, now: float) -> None:
        """Take a free server at once, else wait in line (with patience, if any)."""
        desk = self.desks[cust.queue_node]
        desk.q.joined += 1
        cust.t_join = t_join
        ticket = cust.ticket = cust.ticket + 1
        self.in_queue[cust.id] = cust
        if desk.free:
            desk.free -= 1
            self._serve(cust, desk, 0.0, now)
            return
        desk.line.append((cust, ticket))
        if desk.patience:
            patience = cust.bank.draw(PT, desk.node, cust.i, cust.visit)
            timer = _Wake(self, _RENEGE, cust, ticket)
            heappush(self._queue, (now + patience, NORMAL, self._next_eid(), timer))

    def _serve(self, cust: _Customer, desk: _Desk, wait: float, now: float) -> None:
        """Start serving ``cust`` at ``now``, after ``wait`` days in line."""
        q = desk.q
        q.queue_time += wait
        q.add_wait(wait, desk.reservoir[q.served % 4096])
        bank = cust.bank  # its draw, inline: the block of this visit, drawn if new
        block = bank.blocks[SV].get(cust.visit * bank.n_nodes + desk.node)
        if block is None:
            block = bank.block(SV, desk.node, cust.visit)
        service = float(block[cust.i])
        rest = self.h - now
        q.busy_time += service if service < rest else rest
        cust.t_join, cust.wait = -2.0, wait  # in service
        feel = self.c.feelings
        if feel is not None and wait > feel.wait_over[desk.node]:
            cust.sat += feel.wait[desk.node]
        served = _Wake(self, _SERVED, cust, desk)
        heappush(self._queue, (now + service, NORMAL, self._next_eid(), served))

    def _on_served(self, cust: _Customer, desk: _Desk, now: float) -> None:
        """Free the server for the next in line; book the visit and walk on."""
        node, visit, line = desk.node, cust.visit, desk.line
        while line:
            waiting, ticket = line.popleft()
            if waiting.ticket == ticket:
                self._serve(waiting, desk, now - waiting.t_join, now)
                break
        else:
            desk.free += 1
        if desk.cash and not cust.warm:
            self._cash(cust, node, now, visit)
        if self.c.feelings is not None and not cust.warm:
            self._feel(cust, node)
        cust.warm = False  # as _leave, inline
        del self.in_queue[cust.id]
        self._stage_ends[desk.end_at + int(now * self.per_bin)] += 1
        bank, seg = cust.bank, cust.seg  # the next node, drawn inline
        targets, cum = self._targets[seg][node], self._cum[seg][node]
        if desk.experience:
            targets, cum = self._after_wait(seg, node, cust.wait, targets, cum)
        if self.c.feelings is not None:
            targets, cum = self._row(cust, targets, cum, node)
        block = bank.blocks[T].get(visit * bank.n_nodes + node)
        if block is None:
            block = bank.block(T, node, visit)
        self._walk_on(cust, targets[bisect_right(cum, float(block[cust.i]))], now)

    def _on_patience(self, cust: _Customer, ticket: int, now: float) -> None:
        """Renege if still in the line this timer was set for."""
        if cust.ticket != ticket or cust.t_join < 0:
            return  # served (or serving) since
        cust.ticket += 1  # its place in line is void
        desk = self.desks[cust.queue_node]
        q = desk.q
        q.reneged += 1
        q.queue_time += now - cust.t_join
        if desk.refund and cust.last and not cust.warm:  # goods came back: refund
            disc = math.exp(-self.c.daily_discount * (now - cust.t0))
            self._refund(cust, desk.node, int(now * self.per_bin), disc)
        if self.c.feelings is not None:
            self._felt_renege(cust, desk.node)
        self._leave(cust, desk, now)
        self._walk_on(cust, desk.renege_to, now)

    def _leave(self, cust: _Customer, desk: _Desk, now: float) -> None:
        cust.warm = False
        del self.in_queue[cust.id]
        self._stage_ends[desk.end_at + int(now * self.per_bin)] += 1

    def _after_wait(
        self, seg: int, node: int, wait: float, targets: list[int], cum: list[float]
    ) -> tuple[list[int], list[float]]:
        """The out-edges of ``node`` for segment ``seg`` after ``wait`` days in line:
        ``targets, cum`` unless an experience effect's threshold is passed."""
        for threshold, alt_targets, alt_cum in self.c.experience.get((seg, node), ()):
            if wait > threshold:
                return alt_targets, alt_cum
        return targets, cum

    def _wake(self, wake: _Wake) -> None:
        """Handle ``wake`` (SimPy popped it), then each desk event that is next in SimPy's
        queue, in the order SimPy would take them: the same events at the same times,
        without a trip through :meth:`simpy.Environment.step` each."""
        env, queue = self.env, self._queue
        served, joined, out_of_patience = self._on_served, self._on_join, self._on_patience
        now = env._now
        while True:
            kind = wake.kind
            if kind == _SERVED:
                served(wake.cust, wake.arg, now)
            elif kind == _JOIN:
                joined(wake.cust, wake.arg, now)
            else:
                out_of_patience(wake.cust, wake.arg, now)
            if not queue:
                return
            head = queue[0]
            wake = head[3]
            if wake.__class__ is not _Wake:
                return
            heappop(queue)
            env._now = now = head[0]

    # ---------------------------------------------------------------- the end
    def _finish(self, cust: _Customer, node: int, t: float) -> None:
        tl = self.t
        feel = self.c.feelings
        if feel is not None:
            tl.final_sat += cust.sat
            tl.promoters += cust.sat >= feel.promoter_at
            tl.detractors += cust.sat <= feel.detractor_at
        if cust.purchases:
            tl.converters += 1
            tl.two_plus += cust.purchases >= 2
            tl.first_purchase_time += cust.first - cust.t0
            tl.retained += node < self.c.n
        reached = self._reached
        reached[cust.stages] = reached.get(cust.stages, 0) + 1
        tl.discounted_value += cust.value
        if node < self.c.n:
            tl.in_flight += 1
        else:
            tl.absorbed += 1
            tl.absorbed_time += t - cust.t0
            tl.outcome_counts[node - self.c.n] += 1
            if self.log is not None:  # the absorption: stage "" marks an outcome row
                self.log.append((cust.id, t, self.sc_outcomes[node - self.c.n], "", 0.0))

    def run(self) -> Totals:
        """Simulate to the horizon and fold every customer into the totals.

        The cyclic garbage collector is paused meanwhile: a replication makes no
        reference cycles but the one broken at its end, and the collector's passes over
        the many young objects cost about a sixth of the run.
        """
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._run()
        finally:
            if enabled:
                gc.enable()

    def _run(self) -> Totals:
        times = arrival_times(self.sc, stream(self.seed, self.rep, Purpose.ARRIVALS), self.h)
        for node, count in self.c.initial:
            for index in range(count):
                bank = self._bank((Purpose.INITIAL, node, index // BATCH))
                self._start(self._new(bank, index % BATCH, 0.0, initial=True), node, 0.0)
        if self.c.warm is not None:
            self._place_warm()
        self.env.process(self._source(times))
        self.env.run(until=self.h)
        for cust in self.in_queue.values():  # waiting or in service at the horizon
            if cust.t_join >= 0:
                self.t.queues[cust.queue_node].queue_time += self.h - cust.t_join
            self._finish(cust, cust.queue_node, self.h)
        if self.lockstep is not None:
            self.lockstep.fold()
        self._fold_reach()
        # events still pending at the horizon hold customers and, through their callbacks,
        # this replication, which holds the environment: a cycle that only a full garbage
        # collection would free (tens of MiB per replication); break it here
        self.env._queue.clear()
        return self.t

    def _fold_reach(self) -> None:
        """Stage reach from the counts of customers per set of stages reached."""
        for stages, count in self._reached.items():
            for s in range(self.c.n_stages):
                if stages >> s & 1:
                    self.t.reach[s] += count


class DesEngine(SimulationEngine):
    """The discrete-event engine: models every feature of a journey."""

    name = "des"

    def prepare(self, scenario: Scenario, *, ignore_capacity: bool) -> Compiled:
        return compile_scenario(scenario)

    def replicate(
        self,
        scenario: Scenario,
        prepared: Compiled,
        *,
        seed: int,
        replication: int,
        horizon: float,
        events: bool,
        ignore_capacity: bool,
    ) -> tuple[Totals, list[Any] | None, dict[int, str]]:
        sim = DesReplication(scenario, prepared, seed, replication, horizon, events)
        totals = sim.run()
        return totals, sim.log, sim.warm_ids

    def event_frame(self, rows: list[Any], scenario: Scenario) -> pd.DataFrame:
        return pd.DataFrame(rows, columns=["customer", "time", "touchpoint", "stage", "value"])
