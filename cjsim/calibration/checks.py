"""Checks on an event log that a careless export gets wrong, each an error or a counted
warning so that no fit is silently wrong:

- :func:`refuse_ambiguous_dates`: ``02/01/2024`` is 1 February or 2 January — refused;
- :func:`refuse_far_dates`: a few events years away from the rest (a typo such as 1600,
  or 1970 from a zero timestamp) would stretch the arrival period — refused;
- :func:`drop_duplicates`: the same event twice (same customer, time, name, value and
  segment) is dropped and counted;
- :func:`check_order_values`: negative order values are refused, missing or zero ones
  counted, and a value column with no value on any purchase refused;
- :func:`check_cutoff`: a cut-off long after the log's last event is refused;
- :func:`check_latent_segments`: more latent classes than the customers can identify are
  refused;
- :func:`numerical_warnings`: numpy's ``RuntimeWarning`` during a fit become one counted
  warning instead of lines on the terminal.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd

from cjsim.errors import CalibrationError

__all__ = [
    "MIN_CUSTOMERS_PER_CLASS",
    "check_cutoff",
    "check_latent_segments",
    "check_order_values",
    "drop_duplicates",
    "numerical_warnings",
    "refuse_ambiguous_dates",
    "refuse_far_dates",
]

MIN_CUSTOMERS_PER_CLASS = 20  # a latent class needs about this many customers to be seen

_DAY_MONTH = re.compile(r"^\s*\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b")
_ISO_HINT = "write ISO 8601 like 2024-01-02 or 2024-01-02T14:05:00"


def refuse_ambiguous_dates(column: pd.Series, where: str, name: str) -> None:
    """Refuse day/month/year strings, which read either way round.

    Raises
    ------
    CalibrationError
        Naming an example and the two readings.
    """
    text = column.dropna().astype(str)
    hits = text[text.str.match(_DAY_MONTH)]
    if len(hits):
        example = hits.iloc[0].strip()
        a, b = re.split(r"[/.]", example)[:2]
        raise CalibrationError(
            f"{where}: column {name!r}: {len(hits)} timestamp(s) like {example!r} read "
            f"either as day {a} month {b} or as month {a} day {b} — {_ISO_HINT}, or pass "
            "a DataFrame whose column holds datetimes"
        )


def refuse_far_dates(times: pd.Series, where: str, name: str) -> None:
    """Refuse a few events separated from the rest of the log by a gap more than twice as
    long as the rest (at most 1 % of the events, at least ten events in all).

    Raises
    ------
    CalibrationError
        Naming the outlying dates and the rest's range.
    """
    t = np.sort(times.to_numpy(dtype="datetime64[ns]"))
    n = len(t)
    if n < 10:
        return
    gaps = np.diff(t).astype("timedelta64[s]").astype(float)
    i = int(np.argmax(gaps))
    span = float((t[-1] - t[0]).astype("timedelta64[s]").astype(float))
    few = max(1, n // 100)
    small = min(i + 1, n - i - 1)
    if gaps[i] <= 2 * (span - gaps[i]) or small > few:
        return
    far, rest = (t[: i + 1], t[i + 1 :]) if i + 1 <= few else (t[i + 1 :], t[: i + 1])
    shown = ", ".join(str(pd.Timestamp(x).date()) for x in far[:3])
    raise CalibrationError(
        f"{where}: column {name!r}: {len(far)} event(s) dated {shown} lie "
        f"{gaps[i] / 86400:,.0f} days away from the rest of the log "
        f"({pd.Timestamp(rest[0]).date()} to {pd.Timestamp(rest[-1]).date()}) — a typo "
        "or a zero timestamp? correct or drop them; they would stretch the arrival period"
    )


def drop_duplicates(log: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The log without repeated rows (every column equal) and how many were dropped."""
    repeated = log.duplicated(keep="first")
    return log[~repeated].reset_index(drop=True), int(repeated.sum())


def check_order_values(
    events: pd.DataFrame, purchases: list[str], where: str, name: str
) -> tuple[str, ...]:
    """Warnings about the order values of purchase events (none without a value column).

    Raises
    ------
    CalibrationError
        For negative values, or a value column with no value on any purchase event.
    """
    if "value" not in events.columns or not purchases:
        return ()
    values = events.loc[events["node"].isin(purchases), "value"]
    negative = values[values < 0]
    if len(negative):
        raise CalibrationError(
            f"{where}: column {name!r}: {len(negative)} purchase event(s) have a negative "
            f"order value, e.g. {negative.iloc[0]:g} — refunds? drop them, or map them to "
            "an event name that is not a purchase"
        )
    missing, zero = int(values.isna().sum()), int((values == 0).sum())
    if len(values) and missing == len(values):
        raise CalibrationError(
            f"{where}: column {name!r} has no value on any of the {len(values)} purchase "
            "events — fill it, or name no value column (EventColumns(value=None), "
            "--value-column '') to value every purchase at 1"
        )
    out = []
    if missing:
        out.append(
            f"{missing} of {len(values)} purchase events have no order value "
            f"(column {name!r}); order values are fitted to the others"
        )
    if zero:
        out.append(
            f"{zero} of {len(values)} purchase events have order value 0 and are left out "
            "of the order-value fit"
        )
    return tuple(out)


def check_cutoff(cutoff: pd.Timestamp, first: pd.Timestamp, last: pd.Timestamp) -> None:
    """Refuse a cut-off more than max(7 days, 5 % of the log's span) after its last event:
    the empty days would count as days without arrivals and without purchases.

    Raises
    ------
    CalibrationError
    """
    slack = max(pd.Timedelta(days=7), 0.05 * (last - first))
    if cutoff > last + slack:
        raise CalibrationError(
            f"mapping: cutoff {cutoff:%Y-%m-%d} is {(cutoff - last).days:,} days after the "
            f"log's last event ({last:%Y-%m-%d}; it starts {first:%Y-%m-%d}) — those empty "
            "days would lower the arrival and purchase rates; set cutoff within the data, "
            "or leave it out (default: the last event)"
        )


def check_latent_segments(k: int, customers: int) -> None:
    """Refuse more latent classes than ``customers / MIN_CUSTOMERS_PER_CLASS``.

    Raises
    ------
    CalibrationError
    """
    most = customers // MIN_CUSTOMERS_PER_CLASS
    if k > max(most, 1):
        raise CalibrationError(
            f"latent_segments={k} with {customers:,} customers: a latent class needs "
            f"about {MIN_CUSTOMERS_PER_CLASS} customers to be identified — use at most "
            f"{max(most, 1)} (choose between a few by their BIC)"
        )


@contextmanager
def numerical_warnings(found: list[str]) -> Iterator[None]:
    """Collect numpy's ``RuntimeWarning`` (overflow, invalid value, division by zero)
    inside the block; append one line counting them to ``found``.  Other warnings pass
    through unchanged."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        yield
    counts: Counter[str] = Counter()
    for w in caught:
        if issubclass(w.category, RuntimeWarning):
            counts[str(w.message)] += 1
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if counts:
        top = "; ".join(f"{m} ({c})" for m, c in counts.most_common(3))
        found.append(
            f"{sum(counts.values())} numerical warning(s) during the fit, e.g. {top} — "
            "check the fit's report for estimates at their bounds"
        )
