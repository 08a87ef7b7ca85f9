"""Each latent class with its own dwell shape (``calibrate(..., class_shapes="own")``).

Reference: a log generated from a known two-class mixture of per-class lognormal gaps
between purchases — different medians *and* different sigmas, and different silent-exit
probabilities; nobody's class nor exit is in the log.  EM with two latent classes and
own shapes must recover each class's log median and log sigma within the 95 % intervals
of the fit's standard errors (``Mixture.dwell_se``) at close to nominal coverage over a
few seeds; the shared-shape fit of the same logs (the wrong model: one sigma for both
classes) must miss at least one sigma by the same check, on every seed.
"""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import cjsim
from cjsim.calibration.fit import calibrate
from cjsim.calibration.stages import prepare_log
from cjsim.errors import CalibrationError
from cjsim.model import LogNormal
from tests.calibration.synthetic import buys, shop_log

CLASSES = {"fast": (0.4, 8.0, 0.5, 0.1), "slow": (0.6, 40.0, 1.2, 0.3)}  # share, median, sigma, q
MAPPING = {"touchpoints": {"shop": ["shop"]}, "purchases": ["shop"], "cutoff": "2021-01-01"}
START = pd.Timestamp("2020-01-01")
N = 800
Z95 = 1.959964


def generate(seed, n=N):
    """First purchases over 60 days; after each purchase the customer leaves silently
    with their class's q, else buys again after a lognormal gap (the class's median and
    sigma); the log stops at the cut-off (day 366)."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n):
        kind = "fast" if rng.random() < CLASSES["fast"][0] else "slow"
        _, median, sigma, q = CLASSES[kind]
        gap = lambda _t, m=median, s=sigma: m * np.exp(s * rng.standard_normal())  # noqa: E731
        rows += [(str(c), t) for t in buys(rng, rng.uniform(0, 60), 366.0, q, gap)]
    frame = shop_log(rows, START)
    frame["value"] = rng.gamma(4.0, 10.0, len(frame))
    return frame


def fit_log(log, class_shapes):
    return calibrate(
        log,
        MAPPING,
        cjsim.EventColumns(segment=None),
        latent_segments=2,
        dwell_families=("lognormal",),
        class_shapes=class_shapes,
        seed=1,
    )


def z_scores(mix):
    """Per class (fast, slow): (log median, log sigma) errors over their standard errors."""
    fast = int(np.argmin(mix.scale[:, 0]))
    out = {}
    for k, name in ((fast, "fast"), (1 - fast, "slow")):
        _, median, sigma, _ = CLASSES[name]
        est = np.log([mix.scale[k, 0], mix.class_shape(k, 0)])
        out[name] = (est - np.log([median, sigma])) / mix.dwell_se[k, 0]
    return out


def coverage(seeds, class_shapes):
    """(intervals covering the truth, intervals, any sigma missed on every seed)."""
    covered = total = 0
    missed_sigma = []
    for seed in seeds:
        z = z_scores(fit_log(generate(seed), class_shapes).mixture)
        hits = np.abs(np.concatenate(list(z.values()))) <= Z95
        covered, total = covered + int(hits.sum()), total + len(hits)
        missed_sigma.append(any(abs(v[1]) > Z95 for v in z.values()))
    return covered, total, all(missed_sigma)


@pytest.fixture(scope="module")
def log():
    return generate(0)


@pytest.fixture(scope="module")
def own_fit(log):
    return fit_log(log, "own")


def test_own_shapes_recover_each_class_within_its_intervals():
    covered, total, _ = coverage(range(3), "own")
    # 12 intervals at 95 %: at least 10 (P(fewer) = 2 % under nominal coverage)
    assert covered >= 10, (covered, total)


def test_shared_shape_misses_a_sigma():
    _, _, missed = coverage(range(3), "shared")
    assert missed


@pytest.mark.slow
def test_own_shapes_coverage_over_more_seeds():
    covered, total, _ = coverage(range(3, 23), "own")
    lower = stats.binom.ppf(0.005, total, 0.95)
    assert covered >= lower, (covered, total)
    _, _, missed = coverage(range(3, 13), "shared")
    assert missed


def test_own_shapes_fit_the_share_and_exits(own_fit):
    mix = own_fit.mixture
    assert mix.own_shapes and mix.shape.shape == (2, 1)
    fast = int(np.argmin(mix.scale[:, 0]))
    assert mix.share[fast] == pytest.approx(0.4, abs=4 * np.sqrt(0.24 / N))
    for k, name in ((fast, "fast"), (1 - fast, "slow")):
        assert abs(mix.q[k, 0] - CLASSES[name][3]) < 4 * mix.q_se[k, 0], name


def test_segments_carry_each_class_own_dwell(own_fit):
    mix = own_fit.mixture
    segments = {s.name: s for s in own_fit.scenario.population.segments}
    for k, name in enumerate(mix.names):
        dist = segments[name].dwell["shop"]
        want = LogNormal.from_median_sigma(float(mix.scale[k, 0]), mix.class_shape(k, 0))
        assert isinstance(dist, LogNormal)
        assert dist.mean == pytest.approx(want.mean, rel=1e-12)
        assert dist.cv == pytest.approx(want.cv, rel=1e-12)
        assert dict(segments[name].dwell_multipliers) == {}
    table = own_fit.report["segments"].set_index("segment")["dwell_mean_days"]
    for k, name in enumerate(mix.names):
        mean = LogNormal.from_median_sigma(float(mix.scale[k, 0]), mix.class_shape(k, 0)).mean
        assert table[name] == pytest.approx(mean, rel=1e-12)


def test_warm_start_uses_each_class_own_survival(log, own_fit):
    """P(class k, still in the model | quiet for e days) = r_k S_k(e) / (q_k + (1 - q_k)
    S_k(e)) with class k's own lognormal survival S_k (silent leavers who have not yet
    left stay in the model until the end of their dwell)."""
    mix = own_fit.mixture
    warm = own_fit.scenario.population.warm_start
    frame = pd.DataFrame(
        {
            "customer": warm.customer,
            "segment": warm.segment,
            "elapsed": warm.elapsed_days,
            "p": warm.probability,
        }
    ).head(50)
    rows = prepare_log(log, own_fit.mapping, own_fit.columns).customers
    for row in frame.itertuples():
        k = mix.names.index(row.segment)
        sigma, median = mix.class_shape(k, 0), mix.scale[k, 0]
        sf = stats.lognorm.sf(max(row.elapsed, 1e-9), sigma, scale=median)
        q = mix.q[k, 0]
        here = sf / (q + (1 - q) * sf)
        want = mix.responsibility[rows[row.customer], k] * here
        assert row.p == pytest.approx(want, rel=1e-6, abs=1e-9)


def test_shared_is_the_default_and_writes_multipliers(log):
    fit = calibrate(
        log,
        MAPPING,
        cjsim.EventColumns(segment=None),
        latent_segments=2,
        dwell_families=("lognormal",),
        seed=1,
    )
    assert not fit.mixture.own_shapes
    for s in fit.scenario.population.segments:
        assert dict(s.dwell) == {} and "shop" in s.dwell_multipliers


def test_own_shapes_round_trip_through_save(own_fit, tmp_path):
    own_fit.save(tmp_path / "fit")
    back = cjsim.calibration.load_fit(tmp_path / "fit")
    assert np.array_equal(back.mixture.shape, own_fit.mixture.shape)
    assert back.assembler.class_shape == own_fit.assembler.class_shape


def test_class_shapes_must_be_shared_or_own(log):
    with pytest.raises(CalibrationError, match="class_shapes"):
        fit_log(log, "each")
