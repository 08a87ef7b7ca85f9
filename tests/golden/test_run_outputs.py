"""Refactors keep every printed number: ``cjsim run`` and ``compare`` for each engine, on the
bundled scenarios and on random journeys, match the record to 1e-9 (relative, or absolute
near 0).  A wrong record is rejected by the same check."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tests.golden.cases import RECORD, cases, numbers, run

RECORDED = json.loads(RECORD.read_text())


def _mismatches(expected: dict[str, float], actual: dict[str, float]) -> list[str]:
    bad = [f"{k}: missing" for k in expected if k not in actual]
    for key, want in expected.items():
        got = actual.get(key)
        if got is None or (math.isnan(want) and math.isnan(got)):
            continue
        if not math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9):
            bad.append(f"{key}: {got!r} != recorded {want!r}")
    return bad


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("golden")
    return {name: run(args) for name, args in cases(Path(folder)).items()}


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_printed_numbers_match_the_record(outputs: dict[str, dict], name: str) -> None:
    expected = numbers(RECORDED[name])
    assert expected, name
    assert _mismatches(expected, numbers(outputs[name])) == []


def test_a_changed_number_is_caught(outputs: dict[str, dict]) -> None:
    name = "saas_trial/analytic"
    expected = numbers(RECORDED[name])
    key = "/kpis/conversion_rate/mean"
    wrong = expected | {key: expected[key] * (1 + 1e-6)}
    assert _mismatches(wrong, numbers(outputs[name])) == [
        f"{key}: {expected[key]!r} != recorded {wrong[key]!r}"
    ]
