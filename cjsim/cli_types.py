"""The values the command line accepts, each checked in one place.

Each function here is an ``argparse`` type: it returns the value, or raises
``argparse.ArgumentTypeError`` with what was expected, which argparse prints after the
option's name (``argument --pcs: must be ...``) and exits 2.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

__all__ = ["amount", "days", "probability", "whole"]


def _number(text: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None


def whole(minimum: int) -> Callable[[str], int]:
    """A whole number ``>= minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    return parse


def probability(option: str, example: str) -> Callable[[str], float]:
    """A probability strictly between 0 and 1; the message shows ``option example``."""

    def parse(text: str) -> float:
        value = _number(text, "a probability")
        if not 0 < value < 1:
            raise argparse.ArgumentTypeError(
                f"must be a probability strictly between 0 and 1, got {text!r} — "
                f"e.g. {option} {example}"
            )
        return value

    return parse


def amount(*, zero: bool) -> Callable[[str], float]:
    """A finite amount of money, ``>= 0`` with ``zero`` else ``> 0``."""

    def parse(text: str) -> float:
        value = _number(text, "an amount of money")
        if not (value >= 0 if zero else value > 0) or not math.isfinite(value):
            raise argparse.ArgumentTypeError(
                f"must be an amount {'>=' if zero else '>'} 0, got {text}"
            )
        return value

    return parse


def days(text: str) -> float:
    """A positive, finite number of days."""
    value = _number(text, "a number of days")
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"must be a positive number of days, got {text}")
    return value
