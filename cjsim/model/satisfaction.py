"""Satisfaction: a per-customer feeling that touchpoint experiences change and that
tilts later choices (the "emotional highs and lows" of a journey).

Each customer carries one number ``s``, starting at :attr:`Satisfaction.start`.  Visits
change it by the touchpoints' :class:`Feeling` effects; at every touchpoint the next
node is then drawn from the row tilted by a multinomial logit,

.. math:: p'_{ij} \\propto p_{ij} \\exp(\\beta_j s),

where :math:`\\beta_j` is :attr:`Satisfaction.link`'s coefficient of target ``j`` (0 when
not named).  A row stays a probability row, an edge of probability 0 stays 0, and with
every :math:`\\beta = 0` (or ``s = 0``) a row is unchanged.

>>> sat = Satisfaction(start=0.0, link={"churned": -1.0})
>>> row = sat.tilt({"shop": 0.5, "churned": 0.5}, s=1.0)
>>> round(row["churned"], 4)
0.2689
>>> sat.tilt({"shop": 0.5, "churned": 0.5}, s=0.0)["churned"]
0.5
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from cjsim.model.frozen import FrozenMap

__all__ = ["Feeling", "Satisfaction"]


@dataclass(frozen=True)
class Feeling:
    """How a touchpoint changes a visiting customer's satisfaction (points of ``s``).

    Parameters
    ----------
    visit : float
        Added at each visit (at a desk: when service ends; a customer who reneges does
        not get it).
    wait_over_days, wait : float or None, float
        At a desk: ``wait`` is added when a customer's wait in line exceeds
        ``wait_over_days`` days (>= 0), when its service starts.
    renege : float
        At a desk with patience: added when a customer gives up waiting.
    refund : float
        At a touchpoint with ``refund_share``: added when an order is refunded.
    """

    visit: float = 0.0
    wait_over_days: float | None = None
    wait: float = 0.0
    renege: float = 0.0
    refund: float = 0.0

    @property
    def is_zero(self) -> bool:
        """Whether the feeling changes nothing."""
        return not (self.visit or self.wait or self.renege or self.refund)


@dataclass(frozen=True)
class Satisfaction:
    """The scenario's satisfaction model.

    Parameters
    ----------
    start : float
        Every customer's satisfaction on arrival (warm-start customers too).
    promoter_at, detractor_at : float
        A customer whose satisfaction when leaving the journey (or at the horizon) is
        ``>= promoter_at`` is a promoter, ``<= detractor_at`` a detractor
        (``detractor_at < promoter_at``).
    link : mapping of node name to float
        Each target node's coefficient :math:`\\beta_j` of the logit tilt (per point
        of satisfaction); nodes not named have 0.
    """

    start: float = 0.0
    promoter_at: float = 1.0
    detractor_at: float = -1.0
    link: Mapping[str, float] = field(default_factory=FrozenMap)

    def __post_init__(self) -> None:
        object.__setattr__(self, "link", FrozenMap({k: float(v) for k, v in self.link.items()}))

    def tilt(self, row: Mapping[str, float], s: float) -> dict[str, float]:
        """``row`` tilted for satisfaction ``s``: :math:`p_j e^{\\beta_j s}`, normalised."""
        x = {j: self.link.get(j, 0.0) * s for j, p in row.items() if p > 0}
        top = max(x.values())  # a stable softmax: no exp overflows however large s grows
        weights = {j: p * math.exp(x[j] - top) if p > 0 else 0.0 for j, p in row.items()}
        total = math.fsum(weights.values())
        return {j: w / total for j, w in weights.items()}
