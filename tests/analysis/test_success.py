"""Journey success scores (``cjsim.analysis.success``), work in progress: the journeys'
scenarios and the attainment of targets.

The decomposition check: with the analytic engine, the journeys of every entry channel
(or segment), weighted by their shares of the arrivals, give back the conversion rate and
revenue per customer of the whole scenario without referrals exactly (to 1e-12); the
same sum with two shares swapped — a wrong model — does not.
"""

from __future__ import annotations

import pytest

import cjsim
from cjsim.analysis.success import (
    attainment,
    journey_scenario,
    success_scores,
    without_referrals,
)
from cjsim.errors import CJSimError
from cjsim.model import CohortArrivals, JourneyGoal, Population
from cjsim.scenario import scenario_from_dict
from cjsim.scenario.save import scenario_to_dict
from tests.shops import calm_fashion_file

FASHION = calm_fashion_file()  # FashionFusion without satisfaction (tests/shops.py)


@pytest.fixture(scope="module")
def sc():
    return cjsim.load_scenario(FASHION)


def kpi(scenario, name):
    table = cjsim.simulate(scenario, engine="analytic").kpis.set_index("kpi")
    return float(table.at[name, "mean"])


@pytest.mark.parametrize("name", ["conversion_rate", "revenue_per_customer"])
def test_entry_journeys_add_up_to_the_whole(sc, name):
    parts = []
    for channel in sc.population.entry:
        alone, share = journey_scenario(sc, JourneyGoal(channel, {name: 1.0}, entry=channel))
        parts.append((share, kpi(alone, name)))
    whole = kpi(without_referrals(sc), name)
    assert sum(s for s, _ in parts) == pytest.approx(1.0, abs=1e-12)
    assert sum(s * v for s, v in parts) == pytest.approx(whole, rel=1e-12)
    swapped = [(parts[1][0], parts[0][1]), (parts[0][0], parts[1][1]), *parts[2:]]
    assert sum(s * v for s, v in swapped) != pytest.approx(whole, rel=1e-6)


def test_segment_journeys_add_up_to_the_whole(sc):
    parts = [
        journey_scenario(sc, JourneyGoal(s.name, {"conversion_rate": 1.0}, segment=s.name))
        for s in sc.population.segments
    ]
    total = sum(share * kpi(alone, "conversion_rate") for alone, share in parts)
    assert total == pytest.approx(kpi(without_referrals(sc), "conversion_rate"), rel=1e-12)


@pytest.mark.parametrize(
    ("name", "actual", "target", "want"),
    [
        ("conversion_rate", 0.03, 0.06, 0.5),
        ("conversion_rate", 0.07, 0.06, 1.0),
        ("cost_per_customer", 2.0, 1.0, 0.5),
        ("cost_per_customer", 0.5, 1.0, 1.0),
        ("profit_per_customer", -1.0, 2.0, 0.0),
    ],
)
def test_attainment_follows_the_kpis_better_direction(name, actual, target, want):
    assert attainment(name, actual, target) == pytest.approx(want)


def test_scores_of_the_file_journeys(sc):
    goals = (
        JourneyGoal(
            "social", {"conversion_rate": 0.06, "cost_per_customer": 1.0}, entry="social_ad"
        ),
        JourneyGoal("easy", {"conversion_rate": 0.001}, segment="trend_seeker"),
    )
    found = success_scores(sc.replace(journeys=goals))
    scores = found.scores.set_index("journey")
    assert scores.at["easy", "score"] == 100.0 and bool(scores.at["easy", "met"])
    assert 0 < scores.at["social", "score"] < 100 and not bool(scores.at["social", "met"])
    assert len(found.targets) == 3


def test_a_journey_nobody_enters_is_a_warning_and_is_not_scored(sc):
    goals = (
        JourneyGoal("web", {"conversion_rate": 0.1}, entry="website"),
        JourneyGoal("search", {"conversion_rate": 0.1}, entry="search"),
    )
    with_goals = sc.replace(journeys=goals)
    assert any("no customer enters at 'website'" in w.message for w in with_goals.warnings)
    found = success_scores(with_goals)
    assert list(found.scores["journey"]) == ["search"]
    assert any("web: no customer arrives" in n for n in found.meta["notes"])
    stale = sc.replace(journeys=(JourneyGoal("x", {"conversion_rate": 0.1}, segment="nobody"),))
    assert any("unknown segment 'nobody'" in w.message for w in stale.warnings)


def test_an_intervention_may_reroute_a_scored_entry(sc):
    from cjsim.interventions import Change, Intervention, apply

    everyone_searches = Intervention("x", (Change("set_entry", {"entry": {"search": 1.0}}),))
    assert apply(sc, everyone_searches).population.entry == {"search": 1.0}


def test_a_scenario_without_journeys_is_refused_with_a_hint(sc):
    with pytest.raises(CJSimError, match="add \\[\\[journeys\\]\\]"):
        success_scores(sc.replace(journeys=()))


@pytest.mark.parametrize(
    ("goal", "message"),
    [
        (JourneyGoal("x", {"conversion_rate": 0.1}, entry="nowhere"), "unknown touchpoint"),
        (JourneyGoal("x", {"conversion_rate": 0.1}), "exactly one of entry, segment or from"),
        (JourneyGoal("x", {"customers": 10}, entry="search"), "cannot be a journey target"),
        (JourneyGoal("x", {"conversion_rate": float("nan")}, entry="search"), "finite number"),
    ],
)
def test_bad_journeys_are_refused_naming_the_key(sc, goal, message):
    with pytest.raises(CJSimError, match=message):
        sc.replace(journeys=(goal,))


def test_value_at_stake_of_an_order_value_target_is_its_closed_form(sc):
    """Scaling order values by f raises profit by margin x revenue x (f - 1) and the
    average order value by f, so a target AOV is worth exactly that (analytic engine)."""
    goal = JourneyGoal("search", {"average_order_value": 100.0}, entry="search")
    alone, _ = journey_scenario(sc, goal)
    table = cjsim.simulate(alone, engine="analytic").kpis.set_index("kpi")
    aov, revenue = table.at["average_order_value", "mean"], table.at["revenue", "mean"]
    found = success_scores(sc.replace(journeys=(goal,)))
    stake = found.scores.at[0, "value_at_stake"]
    margin = sc.economics.gross_margin
    assert stake == pytest.approx(margin * revenue * (100.0 / aov - 1.0), rel=1e-5)
    assert stake != pytest.approx(margin * revenue * (100.0 / aov), rel=1e-2), "foil"


def test_the_conversion_driver_meets_the_target(sc):
    from cjsim.analysis.success import DRIVERS, driver_changes, solve_driver
    from cjsim.experiment import RunOptions
    from cjsim.interventions import Intervention, apply

    goal = JourneyGoal("social", {"conversion_rate": 0.05}, entry="social_ad")
    alone, _ = journey_scenario(sc, goal)
    opts = RunOptions(engine="analytic")
    factor, reached = solve_driver(alone, "conversion_rate", 0.05, opts)
    changed = apply(
        alone, Intervention("met", driver_changes(alone, DRIVERS["conversion_rate"], factor))
    )
    assert reached and factor > 1
    assert kpi(changed, "conversion_rate") == pytest.approx(0.05, rel=1e-5)


def test_journeys_are_ranked_by_value_at_stake(sc):
    goals = (
        JourneyGoal("social", {"conversion_rate": 0.05}, entry="social_ad"),
        JourneyGoal("search", {"conversion_rate": 0.05}, entry="search"),
        JourneyGoal("met already", {"conversion_rate": 0.001}, entry="referral_link"),
    )
    scores = success_scores(sc.replace(journeys=goals)).scores
    assert list(scores["value_at_stake"]) == sorted(scores["value_at_stake"], reverse=True)
    assert scores.set_index("journey").at["met already", "value_at_stake"] == 0.0


def test_fashionfusion_journeys_are_scored_and_ranked_from_the_command_line(tmp_path, capsys):
    from cjsim.cli import main

    plot = tmp_path / "scores.png"
    assert main(["scores", FASHION, "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    assert "Journeys ranked by the value at stake" in out and "paid social" in out
    assert max(map(len, out.splitlines())) <= 100 and plot.stat().st_size > 0
    assert main(["scores", FASHION, "--json"]) == 0
    data = __import__("json").loads(capsys.readouterr().out)
    stakes = [row["value_at_stake"] for row in data["scores"]]
    assert stakes == sorted(stakes, reverse=True) and len(stakes) == 6


def test_cli_scores_without_journeys_exits_2(tmp_path, capsys):
    from cjsim.cli import main

    plain = tmp_path / "plain.toml"
    cjsim.save_scenario(cjsim.load_scenario(FASHION).replace(journeys=()), plain)
    assert main(["scores", str(plain)]) == 2
    assert "add [[journeys]]" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["conversion_rate", "revenue_per_customer"])
def test_a_sub_path_every_sale_passes_gives_back_the_whole(sc, name):
    """Every purchase in FashionFusion comes after a website visit, so the customers who
    reach the website, from there on and weighted by that share, give back the whole
    scenario's conversion and revenue per customer without referrals exactly; the size
    guide, which many sales bypass, does not (the same check rejects it)."""
    whole = kpi(without_referrals(sc), name)
    site, share = journey_scenario(sc, JourneyGoal("site", {name: 1.0}, start="website"))
    assert share * kpi(site, name) == pytest.approx(whole, rel=1e-12)
    guide, part = journey_scenario(sc, JourneyGoal("guide", {name: 1.0}, start="size_guide"))
    assert part * kpi(guide, name) != pytest.approx(whole, rel=1e-3)


def test_the_reach_of_a_touchpoint_is_the_simulated_share_that_visits_it(sc):
    """The hitting probability against the share of 6,000 des customers who ever visit
    the touchpoint (4 binomial standard errors); another touchpoint's reach is rejected."""
    from cjsim.engines.flows import touchpoint_reach

    n = 6000
    pop = Population(CohortArrivals(n), sc.population.entry, sc.population.segments)
    cohort = without_referrals(sc).replace(population=pop, horizon_days=3000.0)
    events = cjsim.simulate(cohort, engine="des", replications=1, seed=5, events=True).events
    seen = events.loc[events["touchpoint"] == "returns", "customer"].nunique() / n

    def z(p):
        return abs(seen - p) / (p * (1 - p) / n) ** 0.5

    shares = {s.name: s.share for s in sc.population.segments}
    mix = sum(shares.values())

    def overall(touchpoint):
        return sum(shares[k] / mix * r for k, r in touchpoint_reach(sc, touchpoint).items())

    assert z(overall("returns")) < 4
    assert z(overall("size_guide")) > 4


def test_a_sub_path_from_an_unknown_touchpoint_and_two_selectors_are_refused(sc):
    goal = {"name": "back", "from": "retuns", "targets": {"conversion_rate": 0.2}}
    data = scenario_to_dict(sc)
    with pytest.raises(CJSimError, match=r"journeys\[0\]\.from: unknown touchpoint 'retuns'"):
        scenario_from_dict({**data, "journeys": [goal]})
    both = {**goal, "from": "returns", "entry": "search"}
    with pytest.raises(CJSimError, match="exactly one of entry, segment or from"):
        scenario_from_dict({**data, "journeys": [both]})
    fine = scenario_from_dict({**data, "journeys": [{**goal, "from": "returns"}]})
    assert fine.journeys[0].selector == ("from", "returns")
    assert scenario_from_dict(scenario_to_dict(fine)).journeys == fine.journeys


def test_a_sub_path_key_is_named_as_in_the_file_and_an_outcome_is_refused(sc):
    data = scenario_to_dict(sc)
    typo = {"name": "back", "frm": "returns", "targets": {"conversion_rate": 0.2}}
    with pytest.raises(CJSimError, match=r"journeys\[0\]\.frm: unknown key .*'from'"):
        scenario_from_dict({**data, "journeys": [typo]})
    lost = {"name": "back", "from": "lost", "targets": {"conversion_rate": 0.2}}
    with pytest.raises(CJSimError, match=r"journeys\[0\]\.from: 'lost' is an outcome"):
        scenario_from_dict({**data, "journeys": [lost]})


def test_exact_scores_record_no_seed_or_replications(sc):
    goal = JourneyGoal("site", {"conversion_rate": 0.2}, start="website")
    found = success_scores(sc.replace(journeys=(goal,)))
    assert found.meta["engine"] == "analytic"
    assert found.meta["seed"] is None and found.meta["replications"] is None


def test_a_sub_path_from_a_remembered_touchpoint_names_its_states():
    import pandas as pd

    from cjsim.channels.markov import journey
    from cjsim.channels.paths import read_paths

    paths = pd.DataFrame(
        {
            "path": ["a > b", "b > a", "a", "b > b"],
            "total_conversions": [3, 2, 1, 1],
            "total_conversion_value": [30.0, 20.0, 10.0, 10.0],
            "total_null": [4, 5, 6, 2],
        }
    )
    memory = journey(read_paths(paths), order=2)
    goal = JourneyGoal("b", {"conversion_rate": 0.5}, start="b")
    with pytest.raises(CJSimError, match="b__after__start, b__after__a, b__after__b"):
        memory.replace(journeys=(goal,))
    state = JourneyGoal("b", {"conversion_rate": 0.5}, start="b__after__a")
    assert memory.replace(journeys=(state,)).journeys == (state,)
