"""Channel attribution of a path table (:mod:`cjsim.channels`).

Reference: an exact absorbing-chain computation written here, independent of the
scenario and the analytic engine — the transition matrix of the paths (start, channels,
conversion, null), the probability of absorbing in conversion by a dense linear solve,
and each channel removed by sending its inflow (and its entry share) to null.  cjsim's
removal effects must equal it to 1e-9 on a random table; the wrong removal (the removed
channel's inflow renormalised onto the other targets, as if the channel never existed)
differs by far more than that.  Consecutive repeats of a channel change no removal
effect; heuristics, totals, errors and the command line are checked directly.
"""

import json

import numpy as np
import pandas as pd
import pytest

import cjsim
from cjsim.channels import PathColumns, PathTable, attribute, read_paths
from cjsim.cli import main
from cjsim.errors import CalibrationError
from tests.channels.reference import exact, exact_order


def random_table(seed=0, rows=300, channels="abcdef"):
    return PathTable.from_frame(random_table_frame(seed, rows, channels))


def random_table_frame(seed=0, rows=300, channels="abcdef"):
    rng = np.random.default_rng(seed)
    paths = [" > ".join(rng.choice(list(channels), rng.integers(1, 7))) for _ in range(rows)]
    return (
        pd.DataFrame(
            {
                "path": paths,
                "total_conversions": rng.poisson(2.0, rows),
                "total_conversion_value": rng.gamma(2.0, 20.0, rows),
                "total_null": rng.poisson(6.0, rows),
            }
        )
        .groupby("path", as_index=False)
        .sum()
    )


@pytest.fixture(scope="module")
def table():
    return random_table()


@pytest.fixture(scope="module")
def result(table):
    return attribute(table)


def test_removal_effects_are_the_exact_absorbing_chain_values(table, result):
    base = exact(table)
    assert result.conversion_rate == pytest.approx(base, abs=1e-12)
    assert base == pytest.approx(table.total_conversions / (table.conversions + table.nulls).sum())
    got = result.table.set_index("channel")["removal_effect"]
    for channel in table.channels:
        assert got[channel] == pytest.approx(1 - exact(table, channel) / base, abs=1e-9)


def test_the_check_rejects_the_renormalising_removal(table, result):
    base = exact(table)
    got = result.table.set_index("channel")["removal_effect"]
    wrong = [1 - exact(table, c, renormalise=True) / base for c in table.channels]
    assert max(abs(got[c] - w) for c, w in zip(table.channels, wrong, strict=True)) > 1e-3


def test_shares_cover_the_channels_only_and_sum_to_the_totals(table, result):
    t = result.table
    assert "conversion" not in set(t["channel"]) and set(t["channel"]) == set(table.channels)
    assert t["markov_share"].sum() == pytest.approx(1.0)
    for method in ("markov", "first_touch", "last_touch", "linear"):
        assert t[f"{method}_conversions"].sum() == pytest.approx(table.total_conversions)
        assert t[f"{method}_value"].sum() == pytest.approx(table.total_value)


def test_consecutive_repeats_change_no_removal_effect():
    """``a > a > b`` is ``a > b`` with a self-loop at a: the same removal effects; the
    linear heuristic counts each touch."""
    frame = pd.DataFrame(
        {
            "path": ["a > a > b", "b > c", "a"],
            "total_conversions": [3, 1, 1],
            "total_null": [1, 4, 2],
        }
    )
    once = frame.assign(path=["a > b", "b > c", "a"])
    cols = PathColumns(value=None)
    with_repeat = attribute(PathTable.from_frame(frame, cols)).table.set_index("channel")
    without = attribute(PathTable.from_frame(once, cols)).table.set_index("channel")
    np.testing.assert_allclose(with_repeat["removal_effect"], without["removal_effect"], atol=1e-12)
    assert with_repeat.loc["a", "linear_conversions"] == pytest.approx(1 + 3 * 2 / 3)
    assert without.loc["a", "linear_conversions"] == pytest.approx(1 + 3 / 2)


def test_the_journey_simulates_the_table(table, result):
    """The scenario built from the table: the vectorized engine's conversion rate agrees
    with the exact one within 4 standard errors; the file round-trips."""
    res = cjsim.simulate(result.scenario, engine="vectorized", replications=6, seed=2)
    values = res.tables["replications"]["conversion_rate"].to_numpy()
    se = values.std(ddof=1) / np.sqrt(len(values))
    assert abs(values.mean() - result.conversion_rate) < 4 * se + 1e-12


@pytest.mark.parametrize(
    ("frame", "words"),
    [
        (pd.DataFrame({"paths": ["a"], "total_conversions": [1]}), "missing column 'path'"),
        (pd.DataFrame({"path": ["a >  > b"], "total_conversions": [1]}), "empty channel"),
        (
            pd.DataFrame({"path": ["a"], "total_conversions": [-1]}),
            "is not a number from 0 to",
        ),
        (
            pd.DataFrame({"path": ["a"], "total_conversions": ["x"]}),
            "is not a number from 0 to",
        ),
        (pd.DataFrame({"path": ["a"], "total_conversions": [1e308]}), "is not a number from 0"),
        (pd.DataFrame({"path": ["a"], "total_conversions": [0]}), "nothing to attribute"),
        (
            pd.DataFrame({"path": ["conversion"], "total_conversions": [1]}),
            "name of the conversion",
        ),
    ],
)
def test_bad_tables_are_refused_by_column_and_row(frame, words):
    with pytest.raises(CalibrationError, match=words):
        attribute(PathTable.from_frame(frame, PathColumns(value=None, nulls=None)))


@pytest.mark.parametrize("order", [2, 3])
def test_removal_effects_of_order_k_are_the_exact_values(table, order):
    """Each channel removed with all its states equals the order-k chain written apart
    (``reference.exact_order``) to 1e-9; the first-order effects miss it by far more."""
    got = attribute(table, order=order)
    base = exact_order(table, order)
    assert got.conversion_rate == pytest.approx(base, abs=1e-12)
    effects = got.table.set_index("channel")["removal_effect"]
    first = attribute(table).table.set_index("channel")["removal_effect"]
    truth = {c: 1 - exact_order(table, order, c) / base for c in table.channels}
    assert max(abs(effects[c] - truth[c]) for c in table.channels) < 1e-9
    assert max(abs(first[c] - truth[c]) for c in table.channels) > 1e-3
    assert got.table["markov_conversions"].sum() == pytest.approx(table.total_conversions)


def test_the_order_k_reference_agrees_with_the_first_order_one(table):
    assert exact_order(table, 1) == pytest.approx(exact(table), abs=1e-12)
    for channel in table.channels[:2]:
        assert exact_order(table, 1, channel) == pytest.approx(exact(table, channel), abs=1e-12)


def test_the_order_k_journey_names_its_states_after_the_channels(table):
    sc = attribute(table, order=2).scenario
    groups = sc.originals()
    assert set(groups) == {*table.channels, "conversion"}
    assert "a__after__start" in groups["a"] and "b__after__a" in groups["b"]
    assert {sc.touchpoints[s].memory_of for s in groups["a"]} == {"a"}


def test_consecutive_repeats_are_part_of_the_history_at_order_two():
    """At order 2 a repeat is a state of its own (``a`` after ``a``): after ``b > a > a``
    the journey is not where it is after ``b > a``."""
    frame = pd.DataFrame(
        {
            "path": ["b > a > a > c", "b > a > c", "a > c"],
            "total_conversions": [4, 0, 1],
            "total_null": [0, 4, 1],
        }
    )
    table = PathTable.from_frame(frame, PathColumns(value=None))
    got = attribute(table, order=2)
    assert "a__after__a" in got.scenario.touchpoints
    effects = got.table.set_index("channel")["removal_effect"]
    base = exact_order(table, 2)
    for channel in "abc":
        assert effects[channel] == pytest.approx(1 - exact_order(table, 2, channel) / base)


@pytest.mark.parametrize("order", [0, 1.5, 7, True])
def test_an_order_that_is_not_a_whole_number_from_one_to_six_is_refused(table, order):
    with pytest.raises(CalibrationError, match="order="):
        attribute(table, order=order)


def test_command_line(tmp_path, capsys):
    path = tmp_path / "paths.csv"
    frame = pd.DataFrame(
        {
            "path": ["a > b", "b", "a > c > b"],
            "total_conversions": [3, 1, 2],
            "total_conversion_value": [30.0, 5.0, 40.0],
            "total_null": [2, 5, 1],
        }
    )
    frame.to_csv(path, index=False)
    out, toml, png = tmp_path / "out", tmp_path / "journey.toml", tmp_path / "a.png"
    args = [
        "attribution",
        str(path),
        "--out",
        str(out),
        "--scenario",
        str(toml),
        "--plot",
        str(png),
    ]
    assert main(args) == 0
    assert "3 channels (Markov order 1), 6 conversions" in capsys.readouterr().out
    assert (out / "attribution.csv").exists() and png.stat().st_size > 0
    assert cjsim.load_scenario(toml).touchpoints["conversion"].purchase
    assert main(["attribution", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {c["channel"] for c in data["channels"]} == {"a", "b", "c"}
    assert main(["attribution", str(path), "--order", "2", "--scenario", str(toml)]) == 0
    assert "3 channels" in capsys.readouterr().out
    assert cjsim.load_scenario(toml).touchpoints["b__after__a"].memory_of == "b"
    assert main(["attribution", str(path), "--order", "0"]) == 2
    assert "order=0" in capsys.readouterr().err
    assert main(["attribution", str(path), "--path-column", "paths"]) == 2
    assert "missing column 'paths'" in capsys.readouterr().err
    assert main(["attribution", str(tmp_path / "none.csv")]) == 2
    assert read_paths(path).total_conversions == 6


def test_the_real_data_script_checks_itself_against_the_exact_chain(tmp_path, capsys):
    """``calibration/channel_attribution.py --file`` (the 10,000-path sample is fetched at
    run time; here a small table) prints the largest removal-effect difference at orders
    1 and 2."""
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "calibration" / "channel_attribution.py"
    spec = importlib.util.spec_from_file_location("channel_attribution", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = tmp_path / "paths.csv"
    random_table_frame().to_csv(path, index=False)
    assert module.main(["--file", str(path)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()[-2:]
    for order, line in enumerate(lines, start=1):
        assert line.startswith(f"order {order}:")
        gap = float(line.split("largest removal-effect difference ")[1].split(" ")[0])
        assert gap < 1e-9
    assert module.main(["--file", str(tmp_path / "none.csv")]) == 2
