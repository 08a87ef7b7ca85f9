"""Random mutations of valid files keep the promise (issue 14): ``cjsim`` exits 0 or 2,
never 1; never prints a traceback; ends within the time bound; and on exit 2 has
written nothing.  Hypothesis mutates the valid corpus base (its values, lines and bytes)
and the intervention file, then runs a command on the result.

``CJSIM_MUTATIONS`` sets the number of examples (default 40 for CI; run 1000 or more
when changing the file readers or the validation)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.corpus.test_corpus import BASE, HERE, error_lines, run, snapshot

EXAMPLES = int(os.environ.get("CJSIM_MUTATIONS", "40"))
VALUE = re.compile(r'(?<== )(-?[0-9][0-9_.eE+-]*|"[^"\n]*"|true|false)')
EXTREMES = [
    "0", "-1", "0.5", "2", "1e308", "-1e308", "nan", "inf", "-inf", "1e-300", "5e-324",
    "100000000000000000000", '""', '"x"', '"website"', '"lost"', '"gamma"', "true", "[]",
    "{}", "[1, 2]", '{ dist = "gamma" }', "[[0, 1], [0, 2]]",
]  # fmt: skip
COMMANDS = {
    "check": ["check", "{scenario}"],
    "analytic": ["run", "{scenario}", "--engine", "analytic", "--out", "{out}"],
    "vectorized": [
        "run", "{scenario}", "--engine", "vectorized", "--ignore-capacity",
        "--replications", "2", "--horizon", "5", "--out", "{out}",
    ],
    "des": ["run", "{scenario}", "--replications", "2", "--horizon", "5", "--out", "{out}"],
    "compare": [
        "compare", "{scenario}", "--interventions", "{interventions}", "--engine", "analytic",
        "--out", "{out}",
    ],
}  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """``text`` with one to three mutations: a value replaced by an extreme or another
    value of the file, a line dropped or repeated, or a few characters changed."""
    values = [m.span() for m in VALUE.finditer(text)]
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["value", "value", "value", "line", "bytes"]))
        if kind == "value" and values:
            start, end = draw(st.sampled_from(values))
            other = [text[a:b] for a, b in values]
            new = draw(st.sampled_from(EXTREMES) | st.sampled_from(other))
            text = text[:start] + new + text[end:]
            values = [m.span() for m in VALUE.finditer(text)]
        elif kind == "line":
            lines = text.splitlines(keepends=True)
            i = draw(st.integers(0, len(lines) - 1))
            lines[i : i + 1] = [] if draw(st.booleans()) else [lines[i], lines[i]]
            text = "".join(lines)
        else:
            i = draw(st.integers(0, max(0, len(text) - 1)))
            junk = draw(st.text(alphabet='[]{}=",.\n#0123456789abcdefe-', max_size=3))
            text = text[:i] + junk + text[i + draw(st.integers(0, 3)) :]
    return text


@pytest.mark.slow
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(
    scenario=mutated(BASE.read_text(encoding="utf-8")),
    interventions=st.one_of(
        st.just((HERE / "interventions.toml").read_text(encoding="utf-8")),
        mutated((HERE / "interventions.toml").read_text(encoding="utf-8")),
    ),
    command=st.sampled_from(sorted(COMMANDS)),
)
def test_a_mutated_file_exits_0_or_2_and_writes_nothing_on_2(
    tmp_path_factory, scenario, interventions, command
):
    folder = tmp_path_factory.mktemp("mutant")
    (folder / "shop.toml").write_text(scenario, encoding="utf-8")
    (folder / "interventions.toml").write_text(interventions, encoding="utf-8")
    places = {
        "scenario": str(folder / "shop.toml"),
        "interventions": str(folder / "interventions.toml"),
        "out": str(folder / "out"),
    }
    before = snapshot(folder)
    code, out, err = run([a.format(**places) for a in COMMANDS[command]])
    text = out + err
    event(f"{command} exit {code}")  # --hypothesis-show-statistics shows the mix
    assert "Traceback" not in text and "internal error" not in text, text
    assert code in (0, 2), text
    if code == 2:
        assert error_lines(err), err
        assert snapshot(folder) == before, "something was written on exit 2"


def test_the_mutations_reach_every_kind_of_value():
    assert len(VALUE.findall(BASE.read_text(encoding="utf-8"))) >= 40
    assert Path(HERE / "interventions.toml").exists()
