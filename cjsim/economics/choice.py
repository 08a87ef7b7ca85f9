"""What to do: the recommendation a comparison leads with, computed from its ranking (or
its budget portfolio).

The choice is the candidate with the highest expected incremental profit (net of its
cost) — among the investments within the budget, when there is one — provided that profit
is above 0; otherwise doing nothing.  Its P(best) is the chance, over the paired runs,
that no other candidate and not doing nothing would have earned more
(:func:`~cjsim.economics.ranking.p_best`).

>>> import pandas as pd
>>> ranking = pd.DataFrame({"variant": ["a", "b"], "incremental_profit": [900.0, 50.0],
...     "incremental_profit_ci_low": [400.0, -20.0], "incremental_profit_ci_high": [1400.0, 120.0],
...     "intervention_cost": [5000.0, 100.0], "p_beats_baseline": [1.0, 0.8],
...     "p_best": [0.9, 0.1]})
>>> recommend(ranking).choice, recommend(ranking, budget=1000.0).choice
('a', 'b')
>>> recommend(ranking, budget=10.0).choice is None
True
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

import cjsim.formatting as fmt

__all__ = ["Recommendation", "recommend"]


@dataclass(frozen=True)
class Recommendation:
    """The computed recommendation.

    Attributes
    ----------
    choice : str or None
        The investment or portfolio to make; None: do nothing.
    portfolio : bool
        Whether ``choice`` combines several investments.
    best : str or None
        The best candidate even when it does not pay (then ``choice`` is None); None when
        no candidate has a figure.
    incremental_profit, ci_low, ci_high : float
        ``best``'s expected incremental profit over the horizon, net of its cost, and its
        95 % interval (money).
    cost : float
        ``best``'s expected intervention cost over the horizon (money).
    p_best, p_beats_baseline : float
        The chance that ``best`` is really the best choice, and that it beats doing nothing.
    budget : float or None
        The budget the candidates had to fit, if any.
    """

    choice: str | None
    portfolio: bool
    best: str | None
    incremental_profit: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    cost: float = math.nan
    p_best: float = math.nan
    p_beats_baseline: float = math.nan
    budget: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def sentences(self, currency: str, horizon_days: float | None) -> list[str]:
        """The recommendation in plain words, first the choice, then why."""
        over = f" over {horizon_days:,.0f} days" if horizon_days else ""
        limit = ""
        if self.budget is not None:
            limit = f" within the budget of {fmt.money(self.budget, currency)}"
        if self.best is None:
            return [f"No investment{limit} has a figure this engine can compute; see the notes."]
        gain = fmt.with_interval(
            fmt.money, self.incremental_profit, self.ci_low, self.ci_high, signed=True
        )
        figures = (
            f"incremental profit {gain} {currency}{over}, net of its cost of "
            f"{fmt.money(self.cost, currency)}"
        )
        chance = (
            f"It beats doing nothing in {fmt.probability(self.p_beats_baseline)} of the paired "
            f"runs and is the best choice in {fmt.probability(self.p_best)}."
        )
        if self.choice is None:
            return [
                f"Do nothing: no investment{limit} is expected to pay for itself{over}.",
                f"The best candidate, {self.best}, has {figures}. {chance}",
            ]
        what = "the portfolio" if self.portfolio else "the investment"
        return [f"Make {what} {self.choice}{limit}: {figures}.", chance]


def recommend(
    ranking: pd.DataFrame, *, portfolio: pd.DataFrame | None = None, budget: float | None = None
) -> Recommendation:
    """The recommendation from a ranking (:func:`~cjsim.economics.ranking.rank_variants`),
    or from the budget ``portfolio`` when given (its ``portfolio`` and ``within_budget``
    columns).  Without a portfolio, ``budget`` filters the ranking by expected cost."""
    if portfolio is not None:
        rows = portfolio[portfolio["within_budget"].astype(bool)]
        rows = rows.rename(columns={"portfolio": "variant"})
    else:
        rows = ranking
        if budget is not None:
            rows = rows[rows["intervention_cost"] <= budget]
    rows = rows[rows["incremental_profit"].notna()]
    if rows.empty:
        return Recommendation(None, False, None, budget=budget)
    best = rows.iloc[int(rows["incremental_profit"].to_numpy(dtype=float).argmax())]
    name = str(best["variant"])
    return Recommendation(
        choice=name if best["incremental_profit"] > 0 else None,
        portfolio=int(best.get("size", 1)) > 1,
        best=name,
        incremental_profit=float(best["incremental_profit"]),
        ci_low=float(best["incremental_profit_ci_low"]),
        ci_high=float(best["incremental_profit_ci_high"]),
        cost=float(best["intervention_cost"]),
        p_best=float(best["p_best"]),
        p_beats_baseline=float(best["p_beats_baseline"]),
        budget=budget,
    )
