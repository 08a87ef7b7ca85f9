"""population.warm_start: the WarmStart table, its CSV beside the TOML, and every way it
can be wrong (a clear line per problem naming the scenario file, the key, the CSV, its
line and the customer, with a hint)."""

import dataclasses
import os
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cjsim
from cjsim.model import WarmStart
from cjsim.scenario import scenario_from_dict, scenario_to_dict, scenario_to_toml

BASE = Path(__file__).parent / "malformed" / "_valid_base.toml"
HEADER = "customer,touchpoint,elapsed_days,segment,probability\n"


def table() -> WarmStart:
    rng = np.random.default_rng(5)
    return WarmStart(
        ["a", "a", "007", "x,y", "b"],
        ["website", "website", "returns", "review", "checkout"],
        rng.exponential(3.0, 5),
        ["bargain_hunter", "regular", "", "", "regular"],
        [1 / 3, 0.4, 1.0, 0.123456789012345678, 0.9],
    )


def with_warm_start(ws: WarmStart | None) -> cjsim.Scenario:
    sc = cjsim.load_scenario(BASE)
    return sc.replace(population=dataclasses.replace(sc.population, warm_start=ws))


def scenario_using(tmp_path: Path, csv_text: str | bytes | None, name: str = "w.csv") -> Path:
    """A copy of the valid base scenario with ``warm_start = name`` and that CSV."""
    text = BASE.read_text().replace(
        "[[population.segments]]", f'warm_start = "{name}"\n\n[[population.segments]]', 1
    )
    toml = tmp_path / "shop.toml"
    toml.write_text(text)
    if isinstance(csv_text, bytes):
        (tmp_path / name).write_bytes(csv_text)
    elif csv_text is not None:
        (tmp_path / name).write_text(csv_text)
    return toml


def error_line(path: Path) -> str:
    with pytest.raises(cjsim.ScenarioFileError) as info:
        cjsim.load_scenario(path)
    lines = str(info.value).splitlines()
    assert all(line.startswith(f"{path}: population.warm_start: ") for line in lines), lines
    return lines[0]


# ------------------------------------------------------------------ the table
def test_a_warm_start_counts_customers_and_expected_customers():
    ws = table()
    assert len(ws) == 4 and ws.n_rows == 5
    assert ws.expected_customers == pytest.approx(1 / 3 + 0.4 + 1 + 0.123456789012345678 + 0.9)
    assert "4 customers" in repr(ws)


def test_from_frame_fills_the_optional_columns():
    ws = WarmStart.from_frame(
        pd.DataFrame(
            {"customer": [1, 2], "touchpoint": ["website", "review"], "elapsed_days": [0, 2]}
        )
    )
    assert ws.customer.tolist() == ["1", "2"]
    assert ws.segment.tolist() == ["", ""] and ws.probability.tolist() == [1.0, 1.0]
    assert WarmStart.from_frame(ws.to_frame()) == ws
    assert list(ws.to_frame().columns) == [
        "customer",
        "touchpoint",
        "elapsed_days",
        "segment",
        "probability",
    ]


def test_warm_starts_compare_and_hash_by_value():
    a, b = table(), WarmStart.from_frame(table().to_frame())
    assert a == b and hash(a) == hash(b)
    changed = dataclasses.replace(a, elapsed_days=a.elapsed_days + 1.0)
    assert changed != a
    assert with_warm_start(a) == with_warm_start(b) != with_warm_start(changed)
    assert hash(with_warm_start(a)) == hash(with_warm_start(b))
    with pytest.raises(ValueError):
        a.elapsed_days[0] = 3.0  # read-only columns


def test_columns_of_different_length_are_refused():
    with pytest.raises(cjsim.ModelError, match="columns differ in length"):
        WarmStart(["a", "b"], ["website"], [1.0, 2.0])


@pytest.mark.parametrize(
    ("row", "words"),
    [
        (
            ("c9", "webiste", 1.0, "", 1.0),
            ["unknown touchpoint 'webiste'", "did you mean 'website'"],
        ),
        (("c9", "lost", 1.0, "", 1.0), ["'lost' is an outcome", "drop the row"]),
        (("c9", "website", 1.0, "regulr", 1.0), ["unknown segment 'regulr'", "'regular'"]),
        (("c9", "website", -2.0, "", 1.0), ["elapsed_days must be a finite number >= 0, got -2.0"]),
        (("c9", "website", float("inf"), "", 1.0), ["got inf"]),
        (("c9", "website", 1.0, "", 0.0), ["probability must be in (0, 1], got 0.0"]),
        (("c9", "website", 1.0, "", 1.5), ["got 1.5"]),
        (("b", "website", 1.0, "", 0.2), ["[4]: customer 'b'", "sum to 1.1", "at most 1"]),
        (("", "website", 1.0, "", 1.0), ["customer '': customer is empty"]),
    ],
)
def test_model_validation_names_the_row_and_what_to_fix(row, words):
    frame = pd.concat([table().to_frame(), pd.DataFrame([row], columns=HEADER.strip().split(","))])
    with pytest.raises(cjsim.ModelError) as info:
        with_warm_start(WarmStart.from_frame(frame.reset_index(drop=True)))
    text = str(info.value)
    assert text.startswith("population.warm_start["), text
    assert "[5]: " in text or "[4]: customer 'b'" in text, text
    for w in words:
        assert w in text


def test_many_bad_rows_are_counted_not_listed():
    n = 50
    ws = WarmStart([f"c{i}" for i in range(n)], ["webiste"] * n, [1.0] * n)
    with pytest.raises(cjsim.ModelError) as info:
        with_warm_start(ws)
    assert str(info.value).count("\n") == 0
    assert "(49 more rows like this)" in str(info.value)


# ------------------------------------------------------------------ files
def test_save_writes_the_csv_beside_the_toml_and_load_gives_it_back(tmp_path):
    sc = with_warm_start(table())
    cjsim.save_scenario(sc, tmp_path / "fitted.toml")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fitted.toml", "fitted.warm_start.csv"]
    data = tomllib.loads((tmp_path / "fitted.toml").read_text())
    assert data["population"]["warm_start"] == "fitted.warm_start.csv"
    assert (tmp_path / "fitted.warm_start.csv").read_text().startswith(HEADER)
    again = cjsim.load_scenario(tmp_path / "fitted.toml")
    assert again == sc
    cjsim.save_scenario(again, tmp_path / "fitted.toml")
    assert (tmp_path / "fitted.toml").read_text() == scenario_to_toml(sc, "fitted.warm_start.csv")
    assert again != with_warm_start(None)


def test_the_csv_is_found_relative_to_the_scenario_not_the_working_directory(tmp_path):
    (tmp_path / "deep").mkdir()
    cjsim.save_scenario(with_warm_start(table()), tmp_path / "deep" / "s.toml")
    cwd = Path.cwd()
    try:
        os.chdir(tmp_path)
        assert cjsim.load_scenario(Path("deep") / "s.toml") == with_warm_start(table())
    finally:
        os.chdir(cwd)


def test_dicts_take_a_built_warm_start_and_toml_text_needs_a_file_name():
    sc = with_warm_start(table())
    assert scenario_from_dict(scenario_to_dict(sc)) == sc
    data = scenario_to_dict(sc)
    data["population"]["warm_start"] = table().to_frame()
    assert scenario_from_dict(data) == sc
    with pytest.raises(cjsim.ScenarioFileError, match="kept in a CSV file beside"):
        scenario_to_toml(sc)


def test_a_file_name_without_a_scenario_path_is_explained():
    data = tomllib.loads(BASE.read_text())
    data["population"]["warm_start"] = "w.csv"
    with pytest.raises(cjsim.ScenarioFileError) as info:
        scenario_from_dict(data)
    assert "population.warm_start: the warm-start file 'w.csv' needs the scenario's path" in str(
        info.value
    )
    assert "load_scenario(path)" in str(info.value)


def test_missing_csv(tmp_path):
    line = error_line(scenario_using(tmp_path, None, "fitted.csv"))
    assert "fitted.csv: warm-start file not found" in line
    assert str(tmp_path / "fitted.csv") in line
    assert "relative to the scenario file's directory" in line


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("", ["w.csv: the file is empty", "header customer,touchpoint,elapsed_days"]),
        (b"\xff\xfe\x00\x01abc", ["w.csv: not a text file (not UTF-8)"]),
        (
            "customer,touchpoint,elapsed_days\na,website,1\nb,website,2,3,4\n",
            ["w.csv: not a valid CSV file", "line 3", "check commas and quotes"],
        ),
        (
            "customer,touchpoint,elapsed\na,website,1\n",
            ["w.csv: missing column elapsed_days", "header is customer,touchpoint"],
        ),
        (
            "customer,touchpoint,elapsed_days,probabilty\na,website,1,0.5\n",
            ["w.csv: unknown column 'probabilty'", "did you mean 'probability'?"],
        ),
        (
            "customer,touchpoint,elapsed_days\na,website,1\nb,website,two\n",
            ["w.csv, line 3: customer 'b': elapsed_days must be a number, got 'two'"],
        ),
        (
            "customer,touchpoint,elapsed_days\na,website,1\nb,,2\n",
            ["w.csv, line 3: customer 'b': touchpoint is empty"],
        ),
        (
            "customer,touchpoint,elapsed_days,probability\na,website,1,\n",
            ["w.csv, line 2: customer 'a': probability is empty", "drop the column"],
        ),
        (
            "customer,touchpoint,elapsed_days\na,website,1\nb,webiste,2\n",
            ["w.csv, line 3: customer 'b': unknown touchpoint 'webiste'", "'website'"],
        ),
        (
            "customer,touchpoint,elapsed_days,segment\na,website,1,regular\nb,review,2,vip\n",
            ["w.csv, line 3: customer 'b': unknown segment 'vip'"],
        ),
        (
            "customer,touchpoint,elapsed_days\na,website,-1\n",
            ["w.csv, line 2: customer 'a': elapsed_days must be a finite number >= 0"],
        ),
        (
            "customer,touchpoint,elapsed_days,probability\na,website,1,0.7\na,review,1,0.6\n",
            ["w.csv, line 2: customer 'a'", "sum to 1.3, more than 1", "at most 1"],
        ),
    ],
)
def test_bad_csv_files_give_clear_lines(tmp_path, content, words):
    line = error_line(scenario_using(tmp_path, content))
    for w in words:
        assert w in line, line


def test_warm_start_must_be_a_file_name(tmp_path):
    data = tomllib.loads(BASE.read_text())
    data["population"]["warm_start"] = 5
    with pytest.raises(cjsim.ScenarioFileError, match=r"population\.warm_start: expected text"):
        scenario_from_dict(data, source=str(tmp_path / "x.toml"))


def test_schema_describes_warm_start():
    pop = cjsim.json_schema()["$defs"]["PopulationSpec"]["properties"]
    assert "customer,touchpoint,elapsed_days" in pop["warm_start"]["description"]


def test_an_empty_customer_id_is_refused():
    ws = WarmStart(["a", ""], ["website", "review"], [1.0, 2.0])
    with pytest.raises(cjsim.ModelError, match=r"warm_start\[1\]: customer '': the customer id"):
        with_warm_start(ws)


def test_a_warm_start_pickles_without_its_cached_hash():
    import pickle

    ws = table()
    hash(ws)
    again = pickle.loads(pickle.dumps(ws))
    assert again == ws and "_hash" not in again.__dict__
    assert not again.probability.flags.writeable
