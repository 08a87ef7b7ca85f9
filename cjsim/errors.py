"""The one exception tree of cjsim.

Every error a user can cause is a :class:`CJSimError`; each subclass is also a
subclass of the matching built-in so ``except ValueError`` keeps working.
A :class:`Problem` is one finding of validation: where, what and a hint.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "CJSimError",
    "CalibrationError",
    "InterventionError",
    "ModelError",
    "OptionError",
    "Problem",
    "ScenarioFileError",
    "ScenarioFileNotFoundError",
    "SimulationError",
    "close_name",
    "closest",
    "did_you_mean",
]


@dataclass(frozen=True)
class Problem:
    """One validation finding.

    Parameters
    ----------
    path : str
        Dotted key path in the scenario format, e.g. ``"transitions.website"``;
        empty when the problem concerns the whole file.
    message : str
        What is wrong, with the offending value.
    hint : str
        How to fix it.
    severity : {"error", "warning"}
    """

    path: str
    message: str
    hint: str = ""
    severity: str = "error"

    def format(self, source: str | None = None) -> str:
        """One line: ``source: path: message — hint``."""
        parts = [p for p in (source, self.path) if p]
        text = ": ".join([*parts, self.message])
        return f"{text} — {self.hint}" if self.hint else text

    def under(self, prefix: str) -> Problem:
        """The same problem with ``prefix`` put in front of its path."""
        path = f"{prefix}.{self.path}" if self.path else prefix
        return Problem(path, self.message, self.hint, self.severity)


class CJSimError(Exception):
    """Base of every error cjsim raises on purpose."""


class _ProblemsError(CJSimError):
    """An error carrying one or more :class:`Problem` objects."""

    def __init__(self, problems: Iterable[Problem] | str, source: str | None = None) -> None:
        if isinstance(problems, str):
            problems = [Problem("", problems)]
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.source = source
        super().__init__("\n".join(p.format(source) for p in self.problems))


class ModelError(_ProblemsError, ValueError):
    """A journey model that breaks a structural or numeric rule."""


class ScenarioFileError(_ProblemsError, ValueError):
    """A scenario or intervention file that cannot be read or is invalid."""


class ScenarioFileNotFoundError(ScenarioFileError, FileNotFoundError):
    """The scenario file does not exist."""


class InterventionError(_ProblemsError, ValueError):
    """An intervention that cannot be applied to a scenario."""


class SimulationError(CJSimError, RuntimeError):
    """An engine cannot run the model as asked."""


class OptionError(CJSimError, ValueError):
    """An argument or run option that is not valid (an unknown engine, replications < 1 …)."""


class CalibrationError(CJSimError, ValueError):
    """An event log or mapping that calibration cannot use."""


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The one of ``choices`` that ``word`` is most likely a typo of, or None.

    >>> closest("webiste", ["website", "checkout"]), closest("zzz", ["website"])
    ('website', None)
    """
    import difflib

    close = difflib.get_close_matches(word, sorted(set(choices)), n=1, cutoff=0.6)
    return close[0] if close else None


def close_name(word: str, choices: Iterable[str], what: str = "columns") -> str:
    """:func:`did_you_mean` for names read from a user's file: only a close match is
    named; the other names are the file's contents and are counted, never repeated.

    >>> close_name("customer_id", ["customerid", "ts"])
    "did you mean 'customerid'?"
    >>> close_name("customer_id", ["password", "ts"])
    "none of the file's 2 columns looks like it"
    """
    names = list(choices)
    match = closest(word, names)
    if match is not None:
        return f"did you mean {match!r}?"
    return f"none of the file's {len(names)} {what} looks like it"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A hint naming the closest of ``choices`` to ``word``, or listing them.

    >>> did_you_mean("webiste", ["website", "checkout"])
    "did you mean 'website'?"
    """
    options = sorted(set(choices))
    match = closest(word, options)
    if match is not None:
        return f"did you mean {match!r}?"
    if not options:
        return "there is nothing of that kind defined"
    shown = ", ".join(options[:12]) + (", …" if len(options) > 12 else "")
    return f"expected one of: {shown}"
