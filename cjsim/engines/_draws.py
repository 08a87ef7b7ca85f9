"""The seed tree and per-customer random draws with common random numbers.

One seed drives a run.  Every stream is a ``numpy.random.SeedSequence`` whose
``spawn_key`` is built directly (never by stateful ``spawn``):
``(replication, purpose, *key)``.  Draws for a customer are indexed by
*(customer, touchpoint, visit number)*: a customer's third dwell at the website
is the same number in the baseline and in a variant that changed something
elsewhere in the journey (common random numbers).

Primary customers are grouped in batches of :data:`BATCH`; each batch draws, per
touchpoint and purpose, ``BATCH * VISITS`` values at once (pre-drawn blocks,
converted to Python floats), lazily on first use.  A customer's ``k``-th visit
uses slot ``i * VISITS + k``; rare visits beyond :data:`VISITS` get a draw from
their own small stream.

A segment with its own dwell or order-value distribution at a node (a replacement) gets
its block from the stream ``(replication, SEGMENT, *key, purpose, node, segment)``, laid
out like the base block, and its customers take their slots from it: the other
customers' numbers are those of a scenario without the replacement.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum

import numpy as np

from cjsim.model import Distribution

__all__ = ["BATCH", "VISITS", "Bank", "Purpose", "stream"]

BATCH = 1024
VISITS = 4


class Purpose(IntEnum):
    """Named streams of the seed tree."""

    ARRIVALS = 0
    CUSTOMER = 1  # segment and entry choice
    DWELL = 2
    TRANSITION = 3
    ORDER_VALUE = 4
    SERVICE = 5
    PATIENCE = 6
    REFERRAL_COUNT = 7
    REFERRAL_DELAY = 8
    INITIAL = 9
    REFERRED = 10
    OVERFLOW = 11
    RESERVOIR = 12
    PRIMARY = 13
    WARM_START = 14  # per-customer warm start: alternative, segment, remaining dwell, order
    SEGMENT = 15  # draws from a segment's own (replacement) distribution


def stream(seed: int | None, replication: int, purpose: int, *key: int) -> np.random.Generator:
    """The generator of one named stream: ``spawn_key = (replication, purpose, *key)``."""
    seq = np.random.SeedSequence(seed, spawn_key=(replication, int(purpose), *key))
    return np.random.Generator(np.random.PCG64(seq))


Sampler = Callable[[np.random.Generator, int], np.ndarray]


class Bank:
    """Pre-drawn values for a batch of customers sharing one key prefix.

    Parameters
    ----------
    seed, replication :
        Root of the seed tree and the replication number.
    key : tuple of int
        Identifies the batch: ``(PRIMARY, batch)``, ``(INITIAL, batch)`` or a
        referred customer's ``(REFERRED, *parent key, ...)``.
    size : int
        Customers in the batch.
    samplers : dict
        ``(purpose, node) -> sampler(rng, n)`` for every value the engine draws.
    n_nodes : int
        Touchpoints; ``blocks[purpose][node]`` is None until first used.
    segment_samplers : dict
        ``(purpose, node, segment) -> sampler`` where a segment replaces the distribution;
        they are used once :attr:`segment` (each customer's segment) is set.
    """

    __slots__ = (
        "_replication",
        "_samplers",
        "_seed",
        "_segment_samplers",
        "blocks",
        "customer",
        "dwell_scale",
        "key",
        "segment",
        "size",
    )

    def __init__(
        self,
        seed: int | None,
        replication: int,
        key: tuple[int, ...],
        size: int,
        samplers: dict[tuple[int, int], Sampler],
        n_nodes: int,
        *,
        segment_samplers: dict[tuple[int, int, int], Sampler] | None = None,
    ) -> None:
        self._seed, self._replication, self.key = seed, replication, key
        self.size, self._samplers = size, samplers
        self._segment_samplers = segment_samplers or {}
        self.blocks: dict[int, list[list[float] | None]] = {
            int(p): [None] * n_nodes for p in Purpose
        }
        self.customer = self._uniforms(Purpose.CUSTOMER, 2)  # segment, entry
        self.dwell_scale: np.ndarray | None = None  # (size, n_nodes) or None: all 1
        self.segment: np.ndarray | None = None  # (size,) segments, needed by replacements

    def fill(self, purpose: int, node: int) -> list[float]:
        """Draw all ``size * VISITS`` values of one purpose at one node.

        Customers of a segment with its own distribution here take their values from that
        segment's block (see the module docstring).  Dwell values are multiplied by
        ``dwell_scale[customer, node]`` when it is set (segment dwell multipliers), so the
        engine's inner loop needs no multiplication.
        """
        rng = stream(self._seed, self._replication, purpose, *self.key, node)
        drawn = self._samplers[purpose, node](rng, self.size * VISITS)
        if self._segment_samplers and self.segment is not None:
            drawn = self._replace(drawn, purpose, node)
        if purpose == Purpose.DWELL and self.dwell_scale is not None:
            drawn = (drawn.reshape(self.size, VISITS) * self.dwell_scale[:, node, None]).ravel()
        values: list[float] = drawn.tolist()
        self.blocks[purpose][node] = values
        return values

    def _replace(self, drawn: np.ndarray, purpose: int, node: int) -> np.ndarray:
        """``drawn`` with the slots of replaced segments' customers from their own blocks."""
        assert self.segment is not None
        out = drawn.reshape(self.size, VISITS).copy()
        for seg in np.unique(self.segment).tolist():
            sampler = self._segment_samplers.get((purpose, node, seg))
            if sampler is None:
                continue
            key = (*self.key, purpose, node, seg)
            rng = stream(self._seed, self._replication, Purpose.SEGMENT, *key)
            own = sampler(rng, self.size * VISITS).reshape(self.size, VISITS)
            mine = self.segment == seg
            out[mine] = own[mine]
        return out.ravel()

    def draw(self, purpose: int, node: int, index: int, visit: int) -> float:
        """The value for customer ``index`` at its ``visit``-th visit of ``node``."""
        if visit >= VISITS:
            rng = stream(
                self._seed,
                self._replication,
                Purpose.OVERFLOW,
                *self.key,
                purpose,
                node,
                index,
                visit,
            )
            value = float(self._sampler(purpose, node, index)(rng, 1)[0])
            if purpose == Purpose.DWELL and self.dwell_scale is not None:
                value *= float(self.dwell_scale[index, node])
            return value
        block = self.blocks[purpose][node]
        if block is None:
            block = self.fill(purpose, node)
        return block[index * VISITS + visit]

    def _sampler(self, purpose: int, node: int, index: int) -> Sampler:
        """The sampler of customer ``index``: its segment's own, else the node's."""
        if self._segment_samplers and self.segment is not None:
            own = self._segment_samplers.get((purpose, node, int(self.segment[index])))
            if own is not None:
                return own
        return self._samplers[purpose, node]

    def _uniforms(self, purpose: int, count: int) -> list[float]:
        rng = stream(self._seed, self._replication, purpose, *self.key)
        values: list[float] = rng.random(self.size * count).tolist()
        return values


def uniform_sampler(rng: np.random.Generator, n: int) -> np.ndarray:
    """Uniforms on [0, 1)."""
    return rng.random(n)


def distribution_sampler(dist: Distribution, scale: float = 1.0) -> Sampler:
    """A sampler drawing from ``dist`` (times ``scale``)."""
    if scale == 1.0:
        return lambda rng, n: dist.sample(rng, n)
    return lambda rng, n: dist.sample(rng, n) * scale


def poisson_sampler(mean: float) -> Sampler:
    """Poisson counts with ``mean`` (as floats, like every other block)."""

    def sample(rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.poisson(mean, n).astype(float)

    return sample
