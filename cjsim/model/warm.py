"""Per-customer warm start: who is already in the journey at day 0, where, and for how long.

A :class:`WarmStart` is a table with one row per *alternative*: a customer id, the
touchpoint the customer is at, the days already spent there, the segment (``""`` = draw
from the segment shares) and the probability that this alternative is the truth.  Rows
sharing a customer id are mutually exclusive (e.g. one per latent segment); their
probabilities sum to at most 1 and the remainder is the chance that the customer has
already left.  :func:`check_warm_start` is the scenario validation of the table.

>>> ws = WarmStart(["c1", "c1", "c2"], ["website", "website", "dormant"], [2.0, 2.0, 30.0],
...                ["keen", "casual", ""], [0.3, 0.6, 1.0])
>>> len(ws), ws.n_rows, round(ws.expected_customers, 6)
(2, 3, 1.9)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from cjsim.errors import ModelError, Problem, did_you_mean
from cjsim.model.rows import ROW_TOLERANCE

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["WARM_START_COLUMNS", "WarmStart", "check_warm_start"]

WARM_START_COLUMNS = ("customer", "touchpoint", "elapsed_days", "segment", "probability")
REQUIRED_COLUMNS = WARM_START_COLUMNS[:3]
PATH = "population.warm_start"
_NUMERIC = ("elapsed_days", "probability")


def _frozen(values: Any, dtype: Any) -> np.ndarray:
    out = np.array(values, dtype=dtype).reshape(-1)
    out.flags.writeable = False
    return out


def _texts(values: Any) -> np.ndarray:
    return _frozen([str(v) for v in values], str)


@dataclass(frozen=True, eq=False)
class WarmStart:
    """Customers already in the journey at day 0 (simulation engines).

    Parameters
    ----------
    customer : sequence of str
        Customer ids; rows sharing an id are mutually exclusive alternatives.
    touchpoint : sequence of str
        Where the customer is at day 0, in the middle of a visit that began earlier.
    elapsed_days : sequence of float
        Days already spent at that touchpoint (>= 0).
    segment : sequence of str, optional
        The customer's segment; ``""`` (the default) draws it from the segment shares.
    probability : sequence of float, optional
        In (0, 1], default 1; a customer's rows sum to at most 1, the remainder being
        the chance that the customer has already left.

    Notes
    -----
    The columns are stored as read-only numpy arrays; equality compares them.
    """

    customer: np.ndarray
    touchpoint: np.ndarray
    elapsed_days: np.ndarray
    segment: np.ndarray = None  # type: ignore[assignment]  # default: all ""
    probability: np.ndarray = None  # type: ignore[assignment]  # default: all 1

    def __post_init__(self) -> None:
        n = len(self.customer)
        segment = [""] * n if self.segment is None else self.segment
        probability = [1.0] * n if self.probability is None else self.probability
        object.__setattr__(self, "customer", _texts(self.customer))
        object.__setattr__(self, "touchpoint", _texts(self.touchpoint))
        object.__setattr__(self, "segment", _texts(segment))
        for name, values in (("elapsed_days", self.elapsed_days), ("probability", probability)):
            try:
                object.__setattr__(self, name, _frozen(values, float))
            except (TypeError, ValueError):
                raise ModelError(
                    [Problem(PATH, f"{name} must be numbers", "e.g. elapsed_days = [3.5, 0.0]")]
                ) from None
        lengths = {c: len(getattr(self, c)) for c in WARM_START_COLUMNS}
        if len(set(lengths.values())) > 1:
            shown = ", ".join(f"{k} {v}" for k, v in lengths.items())
            raise ModelError(
                [Problem(PATH, f"columns differ in length ({shown})", "give one value per row")]
            )

    def __len__(self) -> int:
        """The number of distinct customers."""
        return len(np.unique(self.customer))

    @property
    def n_rows(self) -> int:
        """The number of rows (alternatives)."""
        return len(self.customer)

    @property
    def expected_customers(self) -> float:
        """Expected number of customers still in the journey: the sum of probabilities."""
        return math.fsum(self.probability.tolist())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WarmStart):
            return NotImplemented
        return all(
            np.array_equal(getattr(self, c), getattr(other, c), equal_nan=c in _NUMERIC)
            for c in WARM_START_COLUMNS
        )

    def __hash__(self) -> int:
        cached: int | None = self.__dict__.get("_hash")
        if cached is None:
            cached = hash(tuple(getattr(self, c).tobytes() for c in WARM_START_COLUMNS))
            object.__setattr__(self, "_hash", cached)
        return cached

    def __getstate__(self) -> dict[str, np.ndarray]:
        return {c: getattr(self, c) for c in WARM_START_COLUMNS}  # no cached (salted) hash

    def __setstate__(self, state: dict[str, np.ndarray]) -> None:
        for name, values in state.items():
            object.__setattr__(self, name, _frozen(values, values.dtype))

    def __repr__(self) -> str:
        return (
            f"WarmStart({len(self)} customers, {self.n_rows} rows, "
            f"expected {self.expected_customers:.6g})"
        )

    def to_frame(self) -> pd.DataFrame:
        """The table: columns ``customer, touchpoint, elapsed_days, segment, probability``."""
        import pandas as pd

        return pd.DataFrame({c: getattr(self, c) for c in WARM_START_COLUMNS}).astype(
            {"customer": object, "touchpoint": object, "segment": object}
        )

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> WarmStart:
        """A warm start from a DataFrame with columns ``customer, touchpoint, elapsed_days``
        and optionally ``segment`` (default ``""``) and ``probability`` (default 1).

        Raises
        ------
        ModelError
            Naming missing or unknown columns, or the first row whose value is empty or
            not a number (path ``population.warm_start[row]``, rows counted from 0).
        """
        problems = _column_problems([str(c) for c in frame.columns])
        if problems:
            raise ModelError(problems)
        for name in ("customer", "touchpoint"):
            problems += _empty_texts(frame, name)
        elapsed, bad = _numbers(frame, "elapsed_days")
        problems += bad
        probability = None
        if "probability" in frame:
            probability, bad = _numbers(frame, "probability")
            problems += bad
        segment = None
        if "segment" in frame:
            segment = ["" if _blank(v) else str(v) for v in frame["segment"].tolist()]
        if problems:
            raise ModelError(problems)
        return cls(
            frame["customer"].tolist(),  # type: ignore[arg-type]
            frame["touchpoint"].tolist(),  # type: ignore[arg-type]
            elapsed,  # type: ignore[arg-type]
            segment,  # type: ignore[arg-type]
            probability,  # type: ignore[arg-type]
        )


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def _more(rows: np.ndarray, what: str = "row") -> str:
    more = len(rows) - 1
    return f" ({more} more {what}{'s' if more > 1 else ''} like this)" if more else ""


def _column_problems(columns: list[str]) -> list[Problem]:
    out = []
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        out.append(
            Problem(
                PATH,
                f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
                "the header is customer,touchpoint,elapsed_days[,segment,probability]",
            )
        )
    for c in columns:
        if c not in WARM_START_COLUMNS:
            out.append(Problem(PATH, f"unknown column {c!r}", did_you_mean(c, WARM_START_COLUMNS)))
    return out


def _who(frame: pd.DataFrame, row: int) -> str:
    value = frame["customer"].iloc[row]
    return f"customer {'' if _blank(value) else str(value)!r}"


def _empty_texts(frame: pd.DataFrame, name: str) -> list[Problem]:
    rows = np.flatnonzero([_blank(v) for v in frame[name].tolist()])
    if not len(rows):
        return []
    i = int(rows[0])
    return [
        Problem(
            f"{PATH}[{i}]",
            f"{_who(frame, i)}: {name} is empty{_more(rows)}",
            f"give every row its {name}",
        )
    ]


def _numbers(frame: pd.DataFrame, name: str) -> tuple[list[float], list[Problem]]:
    import pandas as pd

    series = frame[name]
    blank = np.array([_blank(v) for v in series.tolist()], dtype=bool)
    values = pd.to_numeric(series, errors="coerce").astype(float)
    not_number = values.isna().to_numpy() & ~blank
    default = " (or drop the column: the default is 1)" if name == "probability" else ""
    checks: list[tuple[np.ndarray, Callable[[int], str], str]] = [
        (
            not_number,
            lambda i: f"must be a number, got {series.iloc[i]!r}",
            "write a plain number, e.g. 3.5",
        ),
        (blank, lambda i: "is empty", f"give every row its {name}{default}"),
    ]
    out = []
    for mask, what, hint in checks:
        rows = np.flatnonzero(mask)
        if len(rows):
            i = int(rows[0])
            message = f"{_who(frame, i)}: {name} {what(i)}{_more(rows)}"
            out.append(Problem(f"{PATH}[{i}]", message, hint))
    return values.tolist(), out


def check_warm_start(
    ws: Any, touchpoints: Sequence[str], outcomes: Sequence[str], segments: Sequence[str]
) -> list[Problem]:
    """Every problem of ``ws`` against the scenario's names: one per kind of problem, at
    the first offending row (path ``population.warm_start[row]``) with a count of the rest."""
    if not isinstance(ws, WarmStart):
        return [
            Problem(PATH, f"expected a WarmStart, got {type(ws).__name__}", "use WarmStart(...)")
        ]
    out: list[Problem] = []
    cust, tp, e, seg, p = (getattr(ws, c) for c in WARM_START_COLUMNS)

    def report(mask: np.ndarray, what: Callable[[int], str], hint: Callable[[int], str]) -> None:
        rows = np.flatnonzero(mask)
        if len(rows):
            i = int(rows[0])
            message = f"customer {str(cust[i])!r}: {what(i)}{_more(rows)}"
            out.append(Problem(f"{PATH}[{i}]", message, hint(i)))

    report(cust == "", lambda i: "the customer id is empty", lambda i: "give every row an id")
    in_outcome = np.isin(tp, list(outcomes))
    report(
        in_outcome,
        lambda i: f"{str(tp[i])!r} is an outcome, not a touchpoint",
        lambda i: "a customer who has left is not in the journey: drop the row",
    )
    report(
        ~np.isin(tp, list(touchpoints)) & ~in_outcome,
        lambda i: f"unknown touchpoint {str(tp[i])!r}",
        lambda i: did_you_mean(str(tp[i]), touchpoints),
    )
    report(
        (seg != "") & ~np.isin(seg, list(segments)),
        lambda i: f"unknown segment {str(seg[i])!r}",
        lambda i: did_you_mean(str(seg[i]), segments) + " (or leave it empty to draw one)",
    )
    report(
        ~(np.isfinite(e) & (e >= 0)),
        lambda i: f"elapsed_days must be a finite number >= 0, got {float(e[i])!r}",
        lambda i: "the days already spent at the touchpoint by day 0",
    )
    report(
        ~((p > 0) & (p <= 1)),
        lambda i: f"probability must be in (0, 1], got {float(p[i])!r}",
        lambda i: "1 = certainly still there; drop rows with probability 0",
    )
    if not out and len(cust):
        out += _check_sums(ws)
    return out


def _check_sums(ws: WarmStart) -> list[Problem]:
    ids, first, inverse, counts = np.unique(
        ws.customer, return_index=True, return_inverse=True, return_counts=True
    )
    sums = np.bincount(inverse, weights=ws.probability)
    over = np.flatnonzero(sums > 1 + ROW_TOLERANCE)
    if not len(over):
        return []
    k = int(over[np.argmin(first[over])])
    i = int(first[k])
    return [
        Problem(
            f"{PATH}[{i}]",
            f"customer {str(ids[k])!r}: the probabilities of its {counts[k]} rows sum to "
            f"{sums[k]:.10g}, more than 1{_more(over, 'customer')}",
            "rows sharing a customer id are alternatives: scale them to sum to at most 1",
        )
    ]
