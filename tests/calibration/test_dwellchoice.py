"""``calibrate(dwell_by_destination="auto")``: one dwell or one per destination, chosen
per touchpoint by BIC, with a guarded family (fixed delay for near-instant steps,
Kaplan-Meier where no family passes the goodness-of-fit test).

Logs from a support desk with known dwells: a ticket is solved after about a day or
escalated after about ten (strongly destination-dependent), or both after the same
gamma dwell (pooled truth).  The reference for case durations is the closed form of the
truth's case duration; tolerances are 4 standard errors of a median (``sqrt(1/4n) /
f(median)``, with the truth's density at its median), for the log's cases and the
simulated ones.  Fixed seeds."""

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

import cjsim
from cjsim.calibration.competing import fit_competing
from cjsim.calibration.goodness import GOF_LEVEL, passes
from cjsim.calibration.stages import prepare_log

START = pd.Timestamp("2024-01-01")
DESK = {
    "touchpoints": {"ticket": ["open"], "escalated": ["escalate"]},
    "outcomes": {"solved": ["solve"]},
    "never_silent": ["escalated"],
    "cutoff": "2024-07-19",  # day 200
}
SOLVE = stats.gamma(4.0, scale=0.25)  # ticket -> solved: about a day
ESCALATE = stats.expon(scale=10.0)  # ticket -> escalated: about ten days
SECOND_LINE = stats.expon(scale=5.0)  # escalated -> solved
P_SOLVE, P_SILENT = 0.6, 0.1


def desk_log(seed: int, n: int = 3000, pooled: bool = False) -> pd.DataFrame:
    """Tickets opened uniformly over 200 days; 10 % leave silently, 60 % of the rest are
    solved after SOLVE, 40 % escalated after ESCALATE (with ``pooled``: both after a
    gamma of mean 4 days) and solved after SECOND_LINE."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n):
        t = rng.uniform(0, 200)
        rows.append((c, "open", t))
        if rng.random() < P_SILENT:
            continue
        solved = rng.random() < P_SOLVE
        if pooled:
            t += rng.gamma(2.0, 2.0)
        else:
            t += (SOLVE if solved else ESCALATE).rvs(random_state=rng)
        if not solved:
            rows.append((c, "escalate", t))
            t += SECOND_LINE.rvs(random_state=rng)
        rows.append((c, "solve", t))
    log = pd.DataFrame(rows, columns=["customer_id", "event", "day"])
    log["timestamp"] = START + pd.to_timedelta(log.pop("day"), unit="D")
    return log


def _true_cdf(t: float) -> float:
    """Case duration of the destination-dependent desk (silent exits have none): solved
    at once, or escalated and then solved (a hypoexponential of rates 1/10 and 1/5)."""
    a, b = 1 / ESCALATE.mean(), 1 / SECOND_LINE.mean()
    two = 1 - (b * math.exp(-a * t) - a * math.exp(-b * t)) / (b - a)
    return P_SOLVE * float(SOLVE.cdf(t)) + (1 - P_SOLVE) * two


TRUE_MEDIAN = optimize.brentq(lambda t: _true_cdf(t) - 0.5, 1e-6, 100.0)
TRUE_DENSITY = (_true_cdf(TRUE_MEDIAN + 1e-4) - _true_cdf(TRUE_MEDIAN - 1e-4)) / 2e-4


def simulated_median(fit: cjsim.calibration.Fit, seed: int) -> tuple[float, int]:
    """The fitted scenario's median days from entry to ``solved`` for new customers (no
    warm start), simulated, and how many cases it is from."""
    sc = fit.scenario
    sc = dataclasses.replace(sc, population=dataclasses.replace(sc.population, warm_start=None))
    ev = cjsim.simulate(sc, engine="vectorized", replications=1, seed=seed, events=True).events
    first = ev.groupby("customer")["time"].min()
    solved = ev[ev["touchpoint"] == "solved"].groupby("customer")["time"].min()
    early = first[first < 200.0].index  # cases end within the 365-day horizon
    days = (solved - first).reindex(early).dropna()
    return float(days.median()), len(days)


def _median_se(n: int) -> float:
    return math.sqrt(1 / (4 * n)) / TRUE_DENSITY


@pytest.fixture(scope="module")
def desk():
    return desk_log(seed=1)


@pytest.fixture(scope="module")
def desk_fits(desk):
    return {by: cjsim.calibrate(desk, DESK, dwell_by_destination=by) for by in ("auto", "no")}


def test_auto_gives_the_ticket_a_dwell_per_destination(desk_fits):
    choice = desk_fits["auto"].report["dwell_choice"].set_index("touchpoint")
    assert choice.loc["ticket", "dwell"] == "by destination"
    assert choice.loc["ticket", "bic_by_destination"] < choice.loc["ticket", "bic_pooled"]
    assert choice.loc["escalated", "reason"] == "one destination"
    assert "ticket_to_solved" in desk_fits["auto"].scenario.touchpoints
    summary = desk_fits["auto"].summary()
    assert "dwell (chosen by BIC): by destination at ticket" in summary
    assert "ticket: to escalated" in summary


def test_auto_recovers_the_median_case_duration_and_one_dwell_does_not(desk, desk_fits):
    """Against the closed form: within 4 SE of the log's cases and the simulated ones
    with the auto choice; the pooled dwell (the wrong model) is further off."""
    cases = int((desk["event"] == "solve").sum())
    auto, n_auto = simulated_median(desk_fits["auto"], seed=3)
    tolerance = 4 * math.hypot(_median_se(cases), _median_se(n_auto))
    assert abs(auto - TRUE_MEDIAN) <= tolerance, (auto, TRUE_MEDIAN, tolerance)
    pooled, n_pooled = simulated_median(desk_fits["no"], seed=3)
    tolerance = 4 * math.hypot(_median_se(cases), _median_se(n_pooled))
    assert abs(pooled - TRUE_MEDIAN) > tolerance, (pooled, TRUE_MEDIAN, tolerance)


def test_auto_keeps_one_dwell_when_the_destinations_share_it():
    fit = cjsim.calibrate(desk_log(seed=2, pooled=True), DESK)
    choice = fit.report["dwell_choice"].set_index("touchpoint")
    assert choice.loc["ticket", "dwell"] == "pooled"
    assert choice.loc["ticket", "bic_pooled"] < choice.loc["ticket", "bic_by_destination"]
    assert "ticket_to_solved" not in fit.scenario.touchpoints


def test_auto_means_one_dwell_with_latent_classes(desk):
    fit = cjsim.calibrate(desk, DESK, latent_segments=2, seed=0)
    choice = fit.report["dwell_choice"]
    assert (choice["dwell"] == "pooled").all()
    assert (choice["reason"] == "classes or heterogeneity: pooled").all()
    assert fit.competing is None
    assert "dwell (one per touchpoint: classes or a continuous heterogeneity" in fit.summary()


def test_requested_dwell_by_destination_is_reported_as_requested(desk):
    fit = cjsim.calibrate(desk, DESK, dwell_by_destination=True)
    choice = fit.report["dwell_choice"].set_index("touchpoint")
    assert (choice["reason"] == "requested").all()
    assert choice.loc["ticket", "dwell"] == "by destination"


def receipt_log(seed: int, n: int = 1000) -> pd.DataFrame:
    """Receipts scanned, then checked within 2 to 40 seconds (an automatic step), then
    booked after about two days; one in ten is rescanned after about three days."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n):
        t = rng.uniform(0, 100)
        rows.append((c, "scan", t))
        if rng.random() < 0.1:
            t += rng.exponential(3.0)
            rows.append((c, "scan_again", t))
            continue
        t += rng.uniform(2, 40) / 86400
        rows.append((c, "check", t))
        t += rng.gamma(2.0, 1.0)
        rows.append((c, "book", t))
    log = pd.DataFrame(rows, columns=["customer_id", "event", "day"])
    log["timestamp"] = START + pd.to_timedelta(log.pop("day"), unit="D")
    return log


RECEIPTS = {
    "touchpoints": {"scan": ["scan"], "check": ["check"], "rescan": ["scan_again"]},
    "outcomes": {"booked": ["book"]},
    "cutoff": "2024-04-20",  # day 110
}


def test_near_instant_steps_are_a_fixed_delay_not_an_absurd_fit():
    """The check follows the scan within 40 seconds: a fixed delay of their mean.  The
    scan's mean time to its next event (reference: the completed spells' mean, 4 SE)
    holds with it, and not with one lognormal dwell for the scan (the wrong model)."""
    log = receipt_log(seed=0)
    fit = cjsim.calibrate(log, RECEIPTS)
    dest = fit.report["destinations"].set_index(["touchpoint", "destination"])
    near = dest.loc[("scan", "check")]
    assert near["dwell"] == "fixed"
    assert 2 / 86400 <= near["dwell_mean_days"] <= 40 / 86400
    assert fit.scenario.touchpoints["scan_to_check"].dwell.kind == "fixed"
    spells = prepare_log(log, RECEIPTS).at("scan")["days"]  # none is open at the cut-off
    tolerance = 4 * spells.std() / math.sqrt(len(spells))
    used = fit.report["exits"].set_index("touchpoint").loc["scan"]
    assert used["dwell"] == "by destination"
    assert abs(used["dwell_mean_days"] - spells.mean()) <= tolerance
    wrong = cjsim.calibrate(log, RECEIPTS, dwell_by_destination="no", dwell_families=("lognormal",))
    one = wrong.report["exits"].set_index("touchpoint").loc["scan"]
    assert abs(one["dwell_mean_days"] - spells.mean()) > tolerance


def two_humps(rng: np.random.Generator, n: int) -> np.ndarray:
    """Half the spells about a day, half about twenty days: no family fits both."""
    days = rng.gamma(50.0, 1 / 50, n)
    return np.where(rng.random(n) < 0.5, days, days * 20)


def test_a_dwell_no_family_fits_is_kaplan_meier():
    """Two humps fail every family's goodness-of-fit test: Kaplan-Meier, whose median is
    the sample's; one hump (the paired check) keeps a parametric family."""
    rng = np.random.default_rng(5)
    done = two_humps(rng, 600)
    fit = fit_competing(done, np.zeros(600, int), np.zeros(0), ("next",))
    assert fit.kinds == ("empirical",)
    median = float(fit.dists[0].quantile(np.array([0.5]))[0])
    assert median == pytest.approx(np.median(done), rel=0.05)
    one = fit_competing(done[done < 5], np.zeros(int((done < 5).sum()), int), np.zeros(0), ("x",))
    assert one.kinds[0] in {"gamma", "lognormal", "weibull"}


def test_the_goodness_of_fit_test_holds_its_level_and_rejects_a_wrong_family():
    """Censored gamma spells tested against their own fitted gamma: at most the level's
    share of 200 samples rejected, plus 4 binomial SE (the test is conservative with
    estimated parameters); against a fitted exponential (the wrong family) most are."""
    rng = np.random.default_rng(7)
    own = wrong = 0
    for _ in range(200):
        days = rng.gamma(3.0, 1.0, 300)
        window = rng.uniform(2.0, 30.0, 300)
        done, opened = days[days <= window], window[days > window]
        w = np.ones(len(opened))
        gamma = fit_competing(done, np.zeros(len(done), int), opened, ("x",), ("gamma",))
        own += not passes("gamma", *gamma.params[0], done, opened, w)
        expon = fit_competing(done, np.zeros(len(done), int), opened, ("x",), ("exponential",))
        wrong += not passes("exponential", *expon.params[0], done, opened, w)
    assert own <= 200 * GOF_LEVEL + 4 * math.sqrt(200 * GOF_LEVEL * (1 - GOF_LEVEL)), own
    assert wrong >= 150, wrong


def humps_log(seed: int, n: int = 800) -> pd.DataFrame:
    """A form filled in, then filed after :func:`two_humps` days."""
    rng = np.random.default_rng(seed)
    start = rng.uniform(0, 100, n)
    rows = [(c, "fill", t) for c, t in enumerate(start)]
    done = start + two_humps(rng, n)
    rows += [(c, "file", t) for c, t in enumerate(done)]
    log = pd.DataFrame(rows, columns=["customer_id", "event", "day"])
    log["timestamp"] = START + pd.to_timedelta(log.pop("day"), unit="D")
    return log


HUMPS = {"touchpoints": {"form": ["fill"]}, "outcomes": {"filed": ["file"]}}


def test_a_fit_with_chosen_dwells_saves_loads_and_draws(tmp_path):
    """A pooled Kaplan-Meier dwell (one destination, no family passes) is the
    touchpoint's own dwell, without transit touchpoints; it survives save and load, and
    posterior draws keep it."""
    fit = cjsim.calibrate(humps_log(seed=4), HUMPS)
    choice = fit.report["dwell_choice"].set_index("touchpoint").loc["form"]
    assert (choice["dwell"], choice["families"]) == ("pooled", "empirical")
    assert fit.scenario.touchpoints["form"].dwell.kind == "empirical"
    assert "form_to_filed" not in fit.scenario.touchpoints
    assert "form: pooled empirical" in fit.summary()
    loaded = cjsim.load_fit(fit.save(tmp_path / "fit.toml")[0])
    assert loaded.summary() == fit.summary()
    assert loaded.competing is not None and loaded.competing["form"].pooled
    for draw in loaded.sample_scenarios(3, seed=1):
        assert draw.touchpoints["form"].dwell.kind == "empirical"
        assert set(draw.touchpoints) == {"form"}
