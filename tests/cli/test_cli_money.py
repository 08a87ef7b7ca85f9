"""One money vocabulary: for every variant of the bundled comparison, the KPI table's
change of profit *is* the ranking's incremental profit (net of the investment's cost) in
the printed tables, the JSON and the CSVs; gross figures are named gross.

The bundled comparison (README's main job) runs small: DES, 2 paired replications over
60 days, with the budget of 12,000.  The paired check that would catch the old tables:
the gross change of profit differs from the incremental profit for every investment.
"""

import contextlib
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest

import cjsim.formatting as fmt
from cjsim.cli import main
from tests.shops import calm_fashion_file

ROOT = Path(__file__).resolve().parents[2]
FASHION = calm_fashion_file()  # FashionFusion without satisfaction (tests/shops.py)
INVESTMENTS = str(ROOT / "scenarios" / "fashionfusion_investments.toml")
COMPARE = ["compare", FASHION, "--interventions", INVESTMENTS]
SMALL = ["--replications", "2", "--horizon", "60", "--seed", "1", "--workers", "1", "--quiet"]
VARIANTS = {
    "loyalty_program",
    "faster_returns",
    "more_support_staff",
    "better_size_guide",
    "loyalty_plus_returns",
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The printed tables and the files of one run of the main job (small), with a budget."""
    out = tmp_path_factory.mktemp("money")
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(io.StringIO()):
        code = main([*COMPARE, *SMALL, "--budget", "12000", "--out", str(out)])
    assert code == 0
    return buffer.getvalue(), out


def _profit_changes(table: pd.DataFrame, kpi: str = "profit") -> pd.Series:
    return table[table["kpi"] == kpi].set_index("variant")["delta"]


def test_the_json_table_profit_change_is_the_incremental_profit(run):
    _, out = run
    doc = json.loads((out / "comparison.json").read_text())
    table, ranking = pd.DataFrame(doc["table"]), pd.DataFrame(doc["ranking"])
    gain = ranking.set_index("variant")["incremental_profit"]
    assert set(gain.index) == VARIANTS
    change = _profit_changes(table)
    for name in VARIANTS:
        assert change[name] == pytest.approx(gain[name], rel=1e-12)
    gross = _profit_changes(table, "gross_profit")
    cost = ranking.set_index("variant")["intervention_cost"]
    for name in VARIANTS:  # the old table's figure: gross of the investment's cost
        assert gross[name] == pytest.approx(gain[name] + cost[name], rel=1e-9)
        assert gross[name] != pytest.approx(gain[name], rel=1e-3)
    assert "net_profit" not in set(table["kpi"])  # one name for one figure


def test_the_csvs_agree_with_each_other_and_with_the_json(run):
    _, out = run
    table = pd.read_csv(out / "comparison.csv")
    gain = pd.read_csv(out / "ranking.csv").set_index("variant")["incremental_profit"]
    change = _profit_changes(table)
    for name in VARIANTS:
        assert change[name] == pytest.approx(gain[name], rel=1e-9)
    doc = json.loads((out / "comparison.json").read_text())
    assert doc["meta"]["budget"] == 12000.0
    saved = pd.read_csv(out / "portfolio.csv")
    assert list(saved["portfolio"]) == [r["portfolio"] for r in doc["portfolio"]]
    singles = saved[saved["size"] == 1].set_index("portfolio")["incremental_profit"]
    for name, value in singles.items():  # the comparison's runs, reused
        assert value == pytest.approx(gain[name], rel=1e-9)


def test_the_printed_tables_show_the_same_profit(run):
    text, _ = run
    ranked = {}
    for line in text.split("Investments ranked")[1].split("Break-even")[0].splitlines()[2:]:
        match = re.match(r"\s*\d+ (\S+)\s+([+-][\d,]+ \[[^\]]+\])", line)
        if match:
            ranked[match.group(1)] = match.group(2)
    assert set(ranked) == VARIANTS
    changes = text.split("Change against the baseline")[1].split("Notes")[0]
    blocks = re.findall(r"^  (\S+)\n((?:    .*\n)+)", changes, re.MULTILINE)
    printed = {name: re.search(r"    profit\s+(.+)", body).group(1) for name, body in blocks}
    assert list(printed) == list(ranked)  # rows follow the ranking
    assert printed == ranked
    for wrong in ("e+0", "e-0", "nan", "+n/a"):
        assert wrong not in text


def test_json_with_a_budget_is_one_document_with_the_portfolio(capsys):
    code = main([*COMPARE, "--engine", "analytic", "--budget", "12000", "--json"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)  # one valid document, nothing after it
    fits = [p for p in doc["portfolio"] if p["within_budget"]]
    assert all(p["intervention_cost"] <= 12000 for p in fits)
    over = [p for p in doc["portfolio"] if not p["within_budget"]]
    assert over and all(p["p_best"] is None for p in over)  # no candidate: no P(best)
    rec = doc["recommendation"]
    assert rec["choice"] == "better_size_guide" and rec["budget"] == 12000
    assert rec["p_best"] == 1.0 and rec["incremental_profit"] > 0


def test_a_negative_budget_is_refused_before_anything_runs(capsys):
    with pytest.raises(SystemExit) as info:
        main(["compare", FASHION, "--interventions", INVESTMENTS, "--budget", "-5"])
    assert info.value.code == 2
    assert "must be an amount >= 0, got -5" in capsys.readouterr().err


def test_numbers_are_written_for_people():
    assert fmt.change("revenue", 17412.3) == "+17,412"
    assert fmt.change("profit_per_customer", -1.234e-06) == "0.00"
    assert fmt.break_even(65.72) == "out of reach (66x the effect)"
    assert fmt.with_interval(fmt.points, float("nan"), float("nan"), float("nan")) == "n/a"
