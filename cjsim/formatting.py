"""Numbers for people: the one place that decides how money, shares, changes of rates,
probabilities and break-evens are written in the terminal tables, the report and the
figures' labels.

Rules:

- money has thousands separators and no decimals from 100 on (``12,345 EUR``), two below;
- shares are percent (``3.4 %``); a *change* of a share is in percentage points
  (``+0.18 pp``), never a percent of a percent;
- probabilities from replications are whole percent, with ``< 1 %`` and ``> 99 %`` for
  what is near but not exactly 0 or 1;
- other numbers are fixed-point (never ``1.741e+04`` or ``-1.234e-06``): a change too
  small to show is written ``0.00``, without a sign;
- a figure that is not defined (NaN: no converters to take a share of, an effect the
  engine cannot see) is ``n/a``, and an interval of it is left out;
- a break-even beyond :data:`BREAK_EVEN_REACH` times the estimated effect is "out of
  reach" with its multiple (``out of reach (66x the effect)``), not ``6572 %``.

>>> money(17412.3, "EUR", signed=True), money(-0.004)
('+17,412 EUR', '0.00')
>>> change("conversion_rate", 0.0018), change("repeat_rate", float("nan"))
('+0.18 pp', 'n/a')
>>> with_interval(money, 11798.0, 10001.2, 13020.0, signed=True)
'+11,798 [+10,001, +13,020]'
>>> with_interval(money, 11798.0, 11798.0, 11798.0)
'11,798'
>>> break_even(0.41), break_even(65.72), break_even(float("inf"))
('41 %', 'out of reach (66x the effect)', 'never (no gain to scale)')
>>> probability(0.0), probability(0.996), probability(0.5)
('0 %', '> 99 %', '50 %')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from cjsim.kpis import unit_of

__all__ = [
    "BREAK_EVEN_REACH",
    "NA",
    "break_even",
    "change",
    "money",
    "number",
    "payback",
    "percent",
    "points",
    "probability",
    "runs",
    "value",
    "with_interval",
]

NA = "n/a"
BREAK_EVEN_REACH = 10.0  # beyond 10x the estimated effect, a break-even is "out of reach"


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float | int) and math.isnan(x))


def _fixed(x: float, decimals: int, signed: bool) -> str:
    text = f"{x:{'+' if signed else ''},.{decimals}f}"
    if float(text.replace(",", "")) == 0:  # -0.00 or +0.00: no sign on nothing
        return f"{0:.{decimals}f}"
    return text


def number(x: float, *, signed: bool = False) -> str:
    """Fixed point: no decimals from 100 on, 2 from 1, 3 below (``0.012``)."""
    if _missing(x):
        return NA
    decimals = 0 if abs(x) >= 99.5 else 2 if abs(x) >= 1 else 3
    return _fixed(float(x), decimals, signed)


def money(x: float, currency: str = "", *, signed: bool = False) -> str:
    """``12,345 EUR``: no decimals from 100 on, 2 below."""
    if _missing(x):
        return NA
    text = _fixed(float(x), 0 if abs(x) >= 99.5 else 2, signed)
    return f"{text} {currency}" if currency else text


def percent(x: float, *, signed: bool = False, decimals: int = 0) -> str:
    """A share or ratio in percent: ``0.132`` -> ``13 %`` (ROI ``1.44`` -> ``144 %``)."""
    if _missing(x):
        return NA
    return f"{_fixed(100 * float(x), decimals, signed)} %"


def points(d: float) -> str:
    """A change of a share in percentage points: ``0.0018`` -> ``+0.18 pp``."""
    if _missing(d):
        return NA
    return f"{_fixed(100 * float(d), 2, True)} pp"


def probability(p: float) -> str:
    """Whole percent; ``< 1 %`` / ``> 99 %`` near, but not at, 0 and 1."""
    if _missing(p):
        return NA
    if 0 < p < 0.005:
        return "< 1 %"
    if 0.995 < p < 1:
        return "> 99 %"
    return f"{100 * p:.0f} %"


def value(kpi: str, x: float, currency: str = "") -> str:
    """A KPI's level, by its unit in :mod:`cjsim.kpis`: shares in percent, money in money."""
    unit = unit_of(kpi)
    if unit == "share":
        return percent(x, decimals=2)
    if unit.startswith("money"):
        return money(x, currency)
    return number(x)


def change(kpi: str, d: float, currency: str = "") -> str:
    """A KPI's change against the baseline: shares in pp, money and counts signed."""
    unit = unit_of(kpi)
    if unit == "share":
        return points(d)
    if unit.startswith("money"):
        return money(d, currency, signed=True)
    return number(d, signed=True)


def with_interval(
    fmt: Callable[..., str], mean: float, low: float, high: float, **options: Any
) -> str:
    """``mean [low, high]`` written by ``fmt``; only ``mean`` when the interval is not
    defined (NaN) or has no width (an exact figure)."""
    centre = fmt(mean, **options)
    if _missing(mean) or _missing(low) or _missing(high) or low == high:
        return centre
    return f"{centre} [{fmt(low, **options)}, {fmt(high, **options)}]"


def break_even(s: float) -> str:
    """The share of the estimated effect an investment needs to pay for itself."""
    if _missing(s):
        return NA
    if math.isinf(s):
        return "never (no gain to scale)"
    if s > BREAK_EVEN_REACH:
        return f"out of reach ({s:,.0f}x the effect)"
    return percent(s)


def payback(day: float) -> str:
    """``day 158``, or ``never`` within the horizon."""
    return "never" if _missing(day) else f"day {day:,.0f}"


def runs(meta: Mapping[str, Any]) -> str:
    """What the figures come from: ``exact expectations`` or ``10 paired replications``
    (``meta`` of a comparison: ``exact``, ``replications``, ``draws``)."""
    draws = int(meta.get("draws", 1) or 1)
    extra = f" over {draws} parameter draws" if draws > 1 else ""
    if meta.get("exact"):
        return f"exact expectations (no replications){extra}"
    n = int(meta.get("replications", 0) or 0)
    return f"{n:,} paired replication{'' if n == 1 else 's'}{extra}"
