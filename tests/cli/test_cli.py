"""The ``cjsim`` command: check, run, schema, and the error contract.

Most tests call ``cjsim.cli.main`` in-process; one runs the installed console path
(``python -m cjsim``) to prove the real process behaves the same.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import cjsim
from cjsim.cli import main
from tests.shops import calm_fashion_file

ROOT = Path(__file__).resolve().parents[2]
FASHION = calm_fashion_file()  # FashionFusion without satisfaction (tests/shops.py)


def test_run_json_is_keyed_by_kpi_names_and_matches_the_engine(capsys):
    assert main(["run", FASHION, "--engine", "analytic", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    expected = cjsim.solve_analytic(cjsim.load_scenario(FASHION))
    for kpi in (
        "conversion_rate",
        "revenue_per_customer",
        "clv",
        "visits[checkout]",
        "stage_reach[purchase]",
        "absorption[churned]",
        "population_multiplier",
    ):
        assert data["kpis"][kpi]["mean"] == pytest.approx(expected[kpi], rel=1e-12)
    assert data["engine"] == "analytic"
    assert {r["touchpoint"] for r in data["removal_effects"]} == set(
        cjsim.load_scenario(FASHION).touchpoints
    )
    assert data["elasticities"] and data["notes"]


def test_run_prints_tables_that_fit_100_columns(capsys):
    assert main(["run", FASHION]) == 0
    out = capsys.readouterr().out
    assert "conversion_rate" in out and "Removal effects" in out
    assert max(len(line) for line in out.splitlines()) <= 100


def test_run_out_writes_files_atomically(tmp_path, capsys):
    out = tmp_path / "results"
    assert main(["run", FASHION, "--out", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        ".cjsim-set.json",
        "elasticities.csv",
        "kpis.csv",
        "kpis.json",
        "removal_effects.csv",
    ]
    assert [p.name for p in tmp_path.iterdir()] == ["results"]  # no temporary folder left
    assert json.loads((out / "kpis.json").read_text())["scenario"] == "FashionFusion"


def test_run_out_onto_a_file_is_refused_without_touching_it(tmp_path, capsys):
    target = tmp_path / "notes.txt"
    target.write_text("keep me")
    assert main(["run", FASHION, "--out", str(target)]) == 2
    assert target.read_text() == "keep me"
    assert "not a directory" in capsys.readouterr().err


def test_check_summarises_a_valid_file(capsys):
    assert main(["check", FASHION]) == 0
    out = capsys.readouterr().out
    for word in ("OK", "stages", "entry", "outcomes", "warnings", "support_chat*", "checkout$"):
        assert word in out
    assert max(len(line) for line in out.splitlines()) <= 100


def test_check_lists_every_problem_one_per_line(tmp_path, capsys):
    text = (ROOT / "tests/scenario/malformed/_valid_base.toml").read_text()
    bad = tmp_path / "two_problems.toml"
    bad.write_text(
        text.replace("gross_margin = 0.4", "gross_margin = 4.0").replace(
            'stage = "awareness"', 'stage = "awarenes"', 1
        )
    )
    assert main(["check", str(bad)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2
    assert all(line.startswith(str(bad)) for line in lines)
    assert any("did you mean 'awareness'" in line for line in lines)


def test_check_reports_unreachable_touchpoints_as_warnings(tmp_path, capsys):
    text = (ROOT / "tests/scenario/malformed/_valid_base.toml").read_text()
    orphan = (
        text.replace("[outcomes]", '[touchpoints.orphan]\nstage = "retention"\n\n[outcomes]')
        + 'orphan = { rest = "lost" }\n'
    )
    path = tmp_path / "orphan.toml"
    path.write_text(orphan)
    assert main(["check", str(path)]) == 0
    assert "'orphan' cannot be reached" in capsys.readouterr().out


def test_schema_is_json_schema(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["type"] == "object" and "touchpoints" in schema["properties"]


def test_unknown_engine_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", FASHION, "--engine", "quantum"])
    assert info.value.code == 2


def test_console_entry_point_runs_in_a_real_process():
    done = subprocess.run(
        [sys.executable, "-m", "cjsim", "run", FASHION, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["kpis"]["conversion_rate"]["mean"] > 0


@pytest.mark.parametrize("command", ["check", "run", "schema"])
def test_help_has_an_example(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    assert "example" in out and "cjsim " in out


def test_run_des_writes_every_output_file(tmp_path, capsys):
    out = tmp_path / "des"
    code = main(
        [
            "run",
            FASHION,
            "--engine",
            "des",
            "--replications",
            "2",
            "--seed",
            "1",
            "--events",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    names = {p.name for p in out.iterdir()}
    assert {"kpis.csv", "kpis.json", "timeseries.csv", "events.parquet"} <= names
    import pandas as pd

    events = pd.read_parquet(out / "events.parquet")
    sc = cjsim.load_scenario(FASHION)
    visits = events["stage"] != ""  # the other rows are absorptions into an outcome
    assert set(events.loc[visits, "touchpoint"]) <= set(sc.touchpoints)
    assert set(events.loc[~visits, "touchpoint"]) <= set(sc.outcomes)
    text = capsys.readouterr().out
    assert "95 % interval" in text and "seed 1" in text
    assert max(len(line) for line in text.splitlines()) <= 100


def test_run_vectorized_on_a_model_with_queues_is_refused_with_a_reason(capsys):
    assert main(["run", FASHION, "--engine", "vectorized", "--replications", "2"]) == 2
    err = capsys.readouterr().err
    assert "have capacity" in err and "ignore_capacity" in err and "Traceback" not in err


def test_events_without_out_is_refused(capsys):
    assert main(["run", FASHION, "--engine", "des", "--events"]) == 2
    assert "--events needs --out" in capsys.readouterr().err


def test_same_seed_same_json_from_the_command_line(capsys):
    args = [
        "run",
        FASHION,
        "--engine",
        "vectorized",
        "--ignore-capacity",
        "--replications",
        "2",
        "--seed",
        "9",
        "--json",
    ]
    main(args)
    first = json.loads(capsys.readouterr().out)
    main([*args, "--workers", "2"])
    second = json.loads(capsys.readouterr().out)
    assert first["kpis"] == second["kpis"]
    assert (first["meta"]["executor"], second["meta"]["executor"]) == ("serial", "process")


INVESTMENTS = str(ROOT / "scenarios" / "fashionfusion_investments.toml")


def test_compare_prints_a_ranked_table_a_planner_can_read(capsys):
    code = main(["compare", FASHION, "--interventions", INVESTMENTS, "--engine", "analytic"])
    assert code == 0
    out = capsys.readouterr().out
    assert "Investments ranked by incremental profit" in out
    for name in ("better_size_guide", "loyalty_program", "faster_returns"):
        assert name in out
    assert "cannot see all of its effect (queues)" in out
    assert max(len(line) for line in out.splitlines()) <= 100


def test_compare_json_and_out(tmp_path, capsys):
    code = main(
        [
            "compare",
            FASHION,
            "--interventions",
            INVESTMENTS,
            "--engine",
            "analytic",
            "--json",
            "--out",
            str(tmp_path / "cmp"),
        ]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert {r["variant"] for r in data["ranking"]} >= {"loyalty_program", "better_size_guide"}
    assert (tmp_path / "cmp" / "ranking.csv").exists()


def test_compare_with_a_bad_interventions_file_is_refused(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[interventions]]\nname = "x"\nchanges = [{ op = "scale_transition", '
        'from = "webiste", to = "checkout", factor = 2.0 }]\n'
    )
    assert main(["compare", FASHION, "--interventions", str(bad), "--engine", "analytic"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{bad}: interventions[x].changes[0] (scale_transition)"), err
    assert "did you mean 'website'" in err and "Traceback" not in err
    assert main(["compare", FASHION, "--interventions", str(tmp_path / "none.toml")]) == 2
    assert "file not found" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["compare", "report"])
def test_a_bad_interventions_file_stops_before_anything_is_written(tmp_path, capsys, command):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[interventions]]\nname = "baseline"\ncosts = { fixed = -1000000 }\n'
        '[[interventions]]\nname = "a"\ncombine = ["a"]\n'
    )
    out = tmp_path / ("cmp" if command == "compare" else "report.html")
    args = [command, FASHION, "--interventions", str(bad), "--out", str(out)]
    assert main([*args, "--engine", "analytic"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(": ")[1] for line in lines] == [
        "interventions[0].name",
        "interventions[0].costs.fixed",
        "interventions[1].combine[0]",
    ]
    assert all(line.startswith(f"{bad}: ") for line in lines), lines
    assert not out.exists()


def test_compare_with_a_budget_adds_the_portfolio(capsys):
    code = main(
        [
            "compare",
            FASHION,
            "--interventions",
            INVESTMENTS,
            "--engine",
            "analytic",
            "--budget",
            "10000",
        ]
    )
    assert code == 0
    assert "Portfolios within a budget of 10,000" in capsys.readouterr().out


BUNDLED_FASHION = str(ROOT / "scenarios" / "fashionfusion.toml")  # with satisfaction


def test_run_defaults_to_des_for_a_scenario_the_analytic_engine_refuses(capsys):
    args = ["run", BUNDLED_FASHION, "--replications", "2", "--seed", "1", "--horizon", "10"]
    assert main([*args, "--json"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["engine"] == "des"
    assert "running the des engine" in out.err and "satisfaction model" in out.err
    assert main(["run", BUNDLED_FASHION, "--engine", "analytic"]) == 2
    err = capsys.readouterr().err
    assert "satisfaction model" in err and "--engine des" in err and "Traceback" not in err


def test_check_says_its_conversion_is_of_the_untilted_chain(capsys):
    assert main(["check", BUNDLED_FASHION]) == 0
    assert "choices untilted by satisfaction" in capsys.readouterr().out
