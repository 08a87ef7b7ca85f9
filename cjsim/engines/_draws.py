"""The seed tree and per-customer random draws with common random numbers.

One seed drives a run.  Streams that are read in full (arrivals, warm starts, desks'
reservoirs) are ``numpy.random.SeedSequence`` streams whose ``spawn_key`` is built
directly (never by stateful ``spawn``): ``(replication, purpose, *key)``.

Per-customer draws are indexed by *(customer, purpose, touchpoint, visit number)*: a
customer's third dwell at the website is the same number in the baseline and in a
variant that changed something elsewhere in the journey (common random numbers).  They
come from a counter-based generator, numpy's ``Philox``, whose key is drawn once per
replication from the stream ``(replication, COUNTER)``.  The 256-bit counter names the
block: word 0 counts within the block, word 1 holds purpose, touchpoint and visit, words
2-3 a 128-bit BLAKE2 digest of the customer batch's key.  Setting the counter costs
about as much as drawing a few numbers, so no stream is ever built per draw.

Customers are grouped in batches of :data:`BATCH` (a :class:`Bank`); the values of one
purpose at one touchpoint visit are drawn for the whole batch at once, lazily on first
use, as an array; customer ``i`` of the batch takes value ``i``.  A
block exists only for visits some customer of the batch makes, so little is drawn that
is never used.  A visit's transition uniforms and dwells share one block, uniforms
first, so that the uniforms do not depend on the dwell distribution.

A segment with its own dwell or order-value distribution at a node (a replacement) gets
its block from the counter of the batch key extended by ``(SEGMENT, segment)``, laid
out like the base block, and its customers take their values from it: the other
customers' numbers are those of a scenario without the replacement.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from enum import IntEnum
from typing import Any

import numpy as np

from cjsim.model import Distribution

__all__ = ["BATCH", "Bank", "CounterDraws", "Purpose", "stream"]

BATCH = 256


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
    OVERFLOW = 11  # no longer drawn from; kept so that the other numbers stay put
    RESERVOIR = 12
    PRIMARY = 13
    WARM_START = 14  # per-customer warm start: alternative, segment, remaining dwell, order
    SEGMENT = 15  # draws from a segment's own (replacement) distribution
    COUNTER = 16  # the key of the counter-based generator of per-customer draws


PURPOSES = len(Purpose)
D, T = int(Purpose.DWELL), int(Purpose.TRANSITION)


def stream(seed: int | None, replication: int, purpose: int, *key: int) -> np.random.Generator:
    """The generator of one named stream: ``spawn_key = (replication, purpose, *key)``."""
    seq = np.random.SeedSequence(seed, spawn_key=(replication, int(purpose), *key))
    return np.random.Generator(np.random.PCG64(seq))


def digest(key: tuple[int, ...]) -> tuple[int, int]:
    """A batch key as two 64-bit words (BLAKE2b, 128 bits): counter words 2 and 3."""
    raw = hashlib.blake2b(np.asarray(key, dtype=np.int64).tobytes(), digest_size=16).digest()
    return int.from_bytes(raw[:8], "little"), int.from_bytes(raw[8:], "little")


class CounterDraws:
    """The counter-based generator of one replication's per-customer draws.

    Parameters
    ----------
    seed, replication :
        Root of the seed tree and the replication number; the Philox key comes from the
        stream ``(replication, COUNTER)``.
    """

    __slots__ = ("_bits", "_counter", "_rng", "_state")

    def __init__(self, seed: int | None, replication: int) -> None:
        seq = np.random.SeedSequence(seed, spawn_key=(replication, int(Purpose.COUNTER)))
        key = np.asarray(seq.generate_state(2, np.uint64), dtype=np.uint64)
        self._bits = np.random.Philox(key=key)
        self._rng = np.random.Generator(self._bits)
        self._counter = np.zeros(4, dtype=np.uint64)  # reused: the state setter copies it
        self._state: Any = {  # numpy's Philox state layout
            "bit_generator": "Philox",
            "state": {"counter": self._counter, "key": key},
            "buffer": np.zeros(4, dtype=np.uint64),
            "buffer_pos": 4,  # the buffer is empty: the next draw starts at the counter
            "has_uint32": 0,
            "uinteger": 0,
        }

    def at(
        self, purpose: int, node: int, visit: int, batch: tuple[int, int]
    ) -> np.random.Generator:
        """The generator set to the start of block (purpose, node, visit) of ``batch``
        (a :func:`digest`); valid until the next call."""
        counter = self._counter
        counter[0] = 0
        counter[1] = int(purpose) | node << 8 | visit << 32
        counter[2], counter[3] = batch
        self._bits.state = self._state
        return self._rng


Sampler = Callable[[np.random.Generator, int], np.ndarray]


class Bank:
    """Lazily drawn values for a batch of customers sharing one key prefix.

    Parameters
    ----------
    draws : CounterDraws
        The replication's counter-based generator.
    key : tuple of int
        Identifies the batch: ``(PRIMARY, batch)``, ``(INITIAL, node, batch)`` or a
        referred customer's ``(REFERRED, *parent key, ...)``.
    size : int
        Customers in the batch.
    samplers : dict
        ``(purpose, node) -> sampler(rng, n)`` for every value the engine draws.
    n_nodes : int
        Touchpoints; ``blocks[purpose][visit * n_nodes + node]`` is the block of one
        visit, present once used.
    segment_samplers : dict
        ``(purpose, node, segment) -> sampler`` where a segment replaces the distribution;
        they are used once :attr:`segment` (each customer's segment) is set.
    """

    __slots__ = (
        "_digest",
        "_draws",
        "_samplers",
        "_segment_samplers",
        "blocks",
        "customer",
        "dwell_scale",
        "key",
        "n_nodes",
        "segment",
        "size",
        "uniforms",
    )

    def __init__(
        self,
        draws: CounterDraws,
        key: tuple[int, ...],
        size: int,
        samplers: dict[tuple[int, int], Sampler],
        n_nodes: int,
        *,
        segment_samplers: dict[tuple[int, int, int], Sampler] | None = None,
    ) -> None:
        self._draws, self.key, self._digest = draws, key, digest(key)
        self.size, self.n_nodes, self._samplers = size, n_nodes, samplers
        self._segment_samplers = segment_samplers or {}
        self.blocks: list[dict[int, np.ndarray]] = [{} for _ in range(PURPOSES)]
        rng = draws.at(Purpose.CUSTOMER, 0, 0, self._digest)
        self.uniforms = rng.random(size * 2)  # segment, entry: customer i's at 2i, 2i + 1
        self.dwell_scale: np.ndarray | None = None  # (size, n_nodes) or None: all 1
        self.segment: np.ndarray | None = None  # (size,) segments, needed by replacements

    def block(self, purpose: int, node: int, visit: int) -> np.ndarray:
        """The block of one purpose at one visit of a node (customer ``i`` takes value
        ``i``), drawn if new."""
        code = visit * self.n_nodes + node
        block = self.blocks[purpose].get(code)
        if block is None:
            self._draw(purpose, node, visit)
            block = self.blocks[purpose][code]
        return block

    def step(self, node: int, visit: int) -> tuple[np.ndarray, np.ndarray]:
        """The transition uniforms and dwells of one visit of a node (one block)."""
        code = visit * self.n_nodes + node
        uniforms = self.blocks[T].get(code)
        if uniforms is None:
            self._draw(T, node, visit)
            uniforms = self.blocks[T][code]
        return uniforms, self.blocks[D][code]

    def _draw(self, purpose: int, node: int, visit: int) -> None:
        """Draw the ``size`` values of one purpose at one visit of a node.

        A visit's transition uniforms and dwells come from one block (uniforms first, so
        they do not depend on the dwell distribution); both are stored.  Customers of a
        segment with its own distribution here take their values from that segment's
        block (see the module docstring).  Dwell values are multiplied by
        ``dwell_scale[customer, node]`` when it is set (segment dwell multipliers), so the
        engine's inner loop needs no multiplication.
        """
        code = visit * self.n_nodes + node
        step = purpose in (D, T)
        rng = self._draws.at(T if step else purpose, node, visit, self._digest)
        if step:
            self.blocks[T][code] = rng.random(self.size)
            purpose = D
        drawn = self._samplers[purpose, node](rng, self.size)
        if self._segment_samplers and self.segment is not None:
            drawn = self._replace(drawn, purpose, node, visit)
        if purpose == D and self.dwell_scale is not None:
            drawn = drawn * self.dwell_scale[:, node]
        self.blocks[purpose][code] = drawn

    def _replace(self, drawn: np.ndarray, purpose: int, node: int, visit: int) -> np.ndarray:
        """``drawn`` with the values of replaced segments' customers from their own blocks."""
        assert self.segment is not None
        out = np.array(drawn, dtype=float)
        for seg in np.unique(self.segment).tolist():
            sampler = self._segment_samplers.get((purpose, node, seg))
            if sampler is None:
                continue
            own_key = digest((*self.key, Purpose.SEGMENT, seg))
            own = sampler(self._draws.at(purpose, node, visit, own_key), self.size)
            mine = self.segment == seg
            out[mine] = own[mine]
        return out

    def draw(self, purpose: int, node: int, index: int, visit: int) -> float:
        """The value for customer ``index`` at its ``visit``-th visit of ``node``."""
        block = self.blocks[purpose].get(visit * self.n_nodes + node)
        if block is None:
            block = self.block(purpose, node, visit)
        return float(block[index])


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
