"""Journeys with memory from an event log (``calibrate(order=...)``, :mod:`.memory`).

The recovery test: customers go ``s -> m``; at ``m`` after ``s`` half go on to ``r`` and
half are lost; ``r`` leads back to ``m``, where after ``r`` 90 % buy.  The share of
customers who ever reach ``r`` (the stage ``return``) is 1/2.  A first-order chain pools
``m``'s two rows (``r`` with probability 1/3 of each visit) and says 1/3.  ``order="auto"``
must pick 2, and the fitted journey's reach must then match the log's share within four
standard errors of a share, while the first-order fit misses it by more than that.  A log
where ``m``'s next step does not depend on where the customer came from must keep order 1.
"""

import dataclasses

import numpy as np
import pandas as pd
import pytest

import cjsim
from cjsim.calibration.events import map_events
from cjsim.calibration.memory import MIN_VISITS, choose_order, histories, kept_states
from cjsim.cli import main
from cjsim.engines.analytic import solve
from cjsim.errors import CalibrationError, ModelError
from cjsim.model import CohortArrivals

MAPPING = {
    "touchpoints": {"s": ["s"], "m": ["m"], "r": ["r"]},
    "outcomes": {"bought": ["buy"], "lost": ["lose"]},
    "stages": {"s": "visit", "m": "visit", "r": "return"},
    "cutoff": "2021-04-01",
}
COLUMNS = cjsim.EventColumns(value=None, segment=None)


def memory_log(n=3000, seed=0, memory=True, start=0.0):
    """The process of the module's docstring (``memory=False``: at ``m`` every visit goes
    on to ``r`` with probability 1/3, buys with 0.3, else is lost; ``r`` -> ``m``)."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n):
        t = start + rng.uniform(0, 100)
        path, came_from = ["s", "m"], "s"
        while path[-1] == "m":
            u = rng.random()
            if memory:
                nxt = (
                    ("r" if u < 0.5 else "lose")
                    if came_from == "s"
                    else ("buy" if u < 0.9 else "lose")
                )
            else:
                nxt = "r" if u < 1 / 3 else "buy" if u < 1 / 3 + 0.3 else "lose"
            path += [nxt, "m"] if nxt == "r" else [nxt]
            came_from = nxt
        for event in path:
            rows.append((f"c{seed}-{c}", t, event))
            t += rng.exponential(1.0)
    frame = pd.DataFrame(rows, columns=["customer_id", "day", "event"])
    frame["timestamp"] = pd.Timestamp("2021-01-01") + pd.to_timedelta(frame["day"], unit="D")
    return frame.drop(columns="day")


@pytest.fixture(scope="module")
def log():
    return memory_log()


@pytest.fixture(scope="module")
def fits(log):
    return {order: cjsim.calibrate(log, MAPPING, COLUMNS, order=order) for order in (1, "auto")}


def _observed_reach(log):
    before = log[log["timestamp"] < pd.Timestamp(MAPPING["cutoff"])]
    started = before.loc[before["event"] == "s", "customer_id"].unique()
    reached = before.loc[before["event"] == "r", "customer_id"].unique()
    return len(reached) / len(started), len(started)


def test_auto_picks_order_two_and_the_funnel_then_matches_the_log(log, fits):
    share, n = _observed_reach(log)
    tolerance = 4 * np.sqrt(share * (1 - share) / n)
    auto = fits["auto"]
    assert auto.mapping.order == 2
    table = auto.report["memory"].set_index("order")
    assert table["bic"].idxmin() == 2 and table.loc[1, "bic"] > table.loc[2, "bic"]
    reach = {k: solve(f.scenario, removal=False, elasticity=False) for k, f in fits.items()}
    assert abs(reach["auto"]["stage_reach[return]"] - share) < tolerance
    assert abs(reach[1]["stage_reach[return]"] - share) > tolerance  # the wrong model
    assert reach[1]["stage_reach[return]"] == pytest.approx(1 / 3, abs=tolerance)


def test_auto_keeps_order_one_when_the_next_step_has_no_memory():
    log = memory_log(seed=5, memory=False)
    fit = cjsim.calibrate(log, MAPPING, COLUMNS, order="auto")
    assert fit.mapping.order == 1 and not fit.mapping.memory
    assert set(fit.scenario.touchpoints) == {"s", "m", "r"}
    assert fit.report["memory"].set_index("order")["bic"].idxmin() == 1


def test_the_states_add_up_to_the_original_touchpoints(fits):
    sc = fits["auto"].scenario
    assert set(sc.originals()) == {"s", "m", "r"}
    assert sc.touchpoints["m__after__r"].memory_of == "m"
    exact = solve(sc, removal=True, elasticity=False)
    visits = exact.per_node("visits")
    assert set(visits.index) == {"s", "m", "r"}
    assert visits["m"] == pytest.approx(1 + visits["r"])  # every r leads back to m
    assert set(exact.tables["removal_effects"]["touchpoint"]) == {"s", "m", "r"}
    # a cohort simulated to the end by des reaches r as often as the exact engine says,
    # and not as often as the first-order fit says
    cohort = sc.replace(
        population=dataclasses.replace(
            sc.population, arrivals=CohortArrivals(2000), warm_start=None
        ),
        horizon_days=400.0,
    )
    des = cjsim.simulate(cohort, engine="des", replications=6, seed=3)
    values = des.tables["replications"]["stage_reach[return]"].to_numpy()
    se = values.std(ddof=1) / np.sqrt(len(values))
    assert abs(values.mean() - exact["stage_reach[return]"]) < 4 * se
    first = solve(fits[1].scenario, removal=False, elasticity=False)
    assert abs(values.mean() - first["stage_reach[return]"]) > 4 * se


def test_the_summary_and_the_command_line_say_which_order(log, fits, tmp_path, capsys):
    assert "memory: order 2 chosen by BIC" in fits["auto"].summary()
    events, mapping = tmp_path / "log.csv", tmp_path / "map.toml"
    log.to_csv(events, index=False)
    mapping.write_text(
        '[touchpoints]\ns = ["s"]\nm = ["m"]\nr = ["r"]\n[outcomes]\nbought = ["buy"]\n'
        'lost = ["lose"]\n'
    )
    out = tmp_path / "fit.toml"
    args = ["calibrate", str(events), "--mapping", str(mapping), "--out", str(out)]
    assert main([*args, "--value-column", "", "--segment-column", "", "--order", "2"]) == 0
    assert "memory: order 2, 4 states" in capsys.readouterr().out
    assert cjsim.load_scenario(out).touchpoints["m__after__s"].memory_of == "m"
    assert main([*args, "--order", "4"]) == 2
    assert "order must be a whole number from 1 to 3" in capsys.readouterr().err


@pytest.mark.parametrize("order", [0, 4, "two", 1.5, True])
def test_an_order_other_than_one_to_three_or_auto_is_refused(log, order):
    with pytest.raises(CalibrationError, match="order must be"):
        cjsim.calibrate(log, MAPPING, COLUMNS, order=order)


def test_a_saved_fit_keeps_its_states_and_maps_a_holdout_into_them(fits, tmp_path):
    fit = fits["auto"]
    fit.save(tmp_path)
    back = cjsim.load_fit(tmp_path)
    assert back.mapping.memory == fit.mapping.memory and back.mapping.order == 2
    holdout = memory_log(n=200, seed=9)
    mapped = map_events(holdout, back.mapping).events
    states = mapped.loc[mapped["node"].isin(list(back.mapping.touchpoints)), "node"]
    assert set(states) == {"s__after__start", "m__after__s", "m__after__r", "r__after__m"}
    # the holdout's funnel is by original touchpoint
    v = cjsim.validate(back, pd.concat([memory_log(), holdout]), replications=2, seed=1)
    new = v.funnel[v.funnel["group"] == "new"].set_index("node")
    assert {"s", "m", "r", "bought", "lost"} <= set(new.index)
    assert not any("__after__" in n for n in new.index)
    # a step m -> r is always into the state of r after m
    after = mapped.groupby("customer_id")["node"].shift(-1)
    assert set(after[mapped["node"] == "m__after__s"].dropna()) <= {"r__after__m", "lost"}


def test_a_history_with_few_visits_backs_off_to_its_touchpoint_alone():
    frame = pd.DataFrame(
        {"customer_id": ["a"] * 2 + ["b"] * 2, "node": ["x", "m", "y", "m"]},
    )
    many = pd.concat(
        [frame.assign(customer_id=frame["customer_id"] + str(i)) for i in range(MIN_VISITS)]
    ).reset_index(drop=True)
    rare = pd.concat([many, pd.DataFrame({"customer_id": ["z"] * 2, "node": ["w", "m"]})])
    rare = rare.reset_index(drop=True)
    kept = kept_states(histories(rare, ["x", "y", "w", "m"], 2))
    assert ("x", "m") in kept and ("y", "m") in kept
    assert ("w", "m") not in kept and ("m",) in kept  # z's visit of m has no state of its own
    assert ("^", "w") not in kept and ("w",) in kept


def test_choose_order_ties_go_to_the_lower_order(log):
    from cjsim.calibration.stages import prepare_log

    prepared = prepare_log(log, MAPPING, COLUMNS)
    choice = choose_order(prepared.events, prepared.touchpoints)
    table = choice.table.set_index("order")
    assert table.loc[2, "bic"] == pytest.approx(table.loc[3, "bic"])  # nothing more to learn
    assert choice.chosen == 2


def test_a_state_names_its_original_touchpoint_in_the_file_format(fits, tmp_path):
    sc = fits["auto"].scenario
    path = tmp_path / "memory.toml"
    cjsim.save_scenario(sc, path)
    assert cjsim.load_scenario(path).originals() == sc.originals()
    tp = sc.touchpoints["m__after__s"]
    for bad, words in (("lost", "is an outcome"), ("m__after__r", "is itself a state")):
        changed = {**sc.touchpoints, tp.name: tp.__class__(**{**vars(tp), "memory_of": bad})}
        with pytest.raises(ModelError, match=words):
            sc.replace(touchpoints=changed)


def test_the_journey_graph_draws_the_original_touchpoints(fits):
    import matplotlib

    matplotlib.use("Agg")
    from cjsim.plotting import edge_flows, journey_graph

    sc = fits["auto"].scenario
    flows = edge_flows(sc).set_index(["source", "target"])
    assert set(flows.index.get_level_values("source")) == {"s", "m", "r"}
    exact = solve(sc, removal=False, elasticity=False)
    assert flows.loc[("m", "r"), "flow"] == pytest.approx(exact.per_node("visits")["r"])
    out_of_m = flows.loc["m", "probability"].sum()
    assert out_of_m == pytest.approx(1.0)
    ax = journey_graph(sc)
    labels = {t.get_text().split("\n")[0] for t in ax.texts}
    assert {"s", "m", "r"} <= labels and "m__after__s" not in labels
