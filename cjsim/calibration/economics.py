"""The economics of a fitted scenario: gross margin, discount rate and costs, from the
mapping's ``[economics]`` table and the options of :func:`~cjsim.calibration.calibrate`
(``cjsim calibrate --gross-margin ...``), which override it field by field.

A log holds revenue, not margin: without a ``gross_margin`` the fitted scenario keeps
the default of 1 (all revenue counts as profit), and the fit says so in its warnings
(:data:`NO_MARGIN`); ``cjsim compare`` adds a note wherever a scenario's margin is 1.
"""

from __future__ import annotations

import dataclasses

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cjsim.errors import CalibrationError, Problem
from cjsim.model import Scenario
from cjsim.scenario.errors import problems_from_validation

__all__ = ["NO_MARGIN", "FitEconomics", "read_economics", "with_economics"]

NO_MARGIN = (
    "no gross margin given: the fitted scenario counts all revenue as profit (margin "
    "100 %) — set gross_margin in the mapping's [economics] table or --gross-margin"
)


class FitEconomics(BaseModel):
    """The economics of the fitted scenario; a field not given keeps the scenario's
    default (margin 1, no discounting, no costs)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    gross_margin: float | None = Field(None, ge=0, le=1, description="share of revenue kept")
    discount_rate: float | None = Field(None, ge=0, description="annual, for NPV and CLV")
    fixed_cost_per_day: float | None = Field(None, ge=0, description="currency per day")
    cost_per_customer: float | None = Field(None, ge=0, description="currency per new customer")

    @field_validator("*", mode="before")
    @classmethod
    def _integers_are_numbers(cls, value: object) -> object:
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value

    def given(self) -> dict[str, float]:
        """The fields given, by name."""
        return {k: v for k, v in self.model_dump().items() if v is not None}

    def over(self, other: FitEconomics | None) -> FitEconomics:
        """These fields, with ``other``'s where these are not given."""
        return FitEconomics(**{**(other.given() if other else {}), **self.given()})


def read_economics(value: FitEconomics | dict[str, float]) -> FitEconomics:
    """``value`` checked (``calibrate(economics=...)``).

    Raises
    ------
    CalibrationError
        Naming each field that is unknown (with the closest name) or out of range.
    """
    if isinstance(value, FitEconomics):
        return value
    try:
        return FitEconomics.model_validate(value)
    except ValidationError as exc:
        problems = problems_from_validation(exc, FitEconomics, value)
        raise CalibrationError("\n".join(map(_line, problems))) from None


def _line(problem: Problem) -> str:
    """A problem of the economics, with a hint of where they are set."""
    hint = problem.hint if "unknown key" in problem.message else ""
    hint = hint or (
        f"set it in the mapping's [economics] table or with --{problem.path.replace('_', '-')}"
    )
    return f"economics: {problem.path}: {problem.message} — {hint}"


def with_economics(scenario: Scenario, economics: FitEconomics | None) -> Scenario:
    """``scenario`` with the given fields of ``economics`` (unchanged without any)."""
    given = economics.given() if economics is not None else {}
    if not given:
        return scenario
    return dataclasses.replace(scenario, economics=dataclasses.replace(scenario.economics, **given))
