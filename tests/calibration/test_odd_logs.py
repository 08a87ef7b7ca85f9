"""Logs that once crashed a fit (issue 12: ``--dwell-by-destination`` on a subscription log
ended in ``math domain error``): deliveries at exactly the same interval, steps of no
time at all, a mix of both, fitted with dwell by destination chosen (the default,
``"auto"``), forced and refused, and with each dwell family.  Every one gives a fit or
a :class:`~cjsim.errors.CalibrationError`, never another exception, and a fitted
scenario's dwells are finite and positive."""

import itertools
import math
import warnings

import numpy as np
import pandas as pd
import pytest

import cjsim
from cjsim.calibration.families import PLAUSIBLE

START = pd.Timestamp("2023-01-01")
MAPPING = {
    "touchpoints": {"signup": ["signup"], "delivery": ["delivery"], "pause": ["pause"]},
    "outcomes": {"cancelled": ["cancel"]},
    "purchases": ["delivery"],
    "cutoff": "2024-01-15",
}


def subscription(kind: str, seed: int = 0, n: int = 200) -> pd.DataFrame:
    """Sign-ups over 60 days, then deliveries every 30 days (``exact``), half of them
    on the same instant as the step before (``instant``), or mostly 30 days with some
    short gaps (``mixed``); 10 % pauses, 5 % cancellations."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n):
        t = rng.uniform(0, 60)
        rows.append((c, "signup", t))
        while True:
            if kind == "exact":
                t += 30.0
            elif kind == "instant":
                t += 0.0 if rng.random() < 0.5 else rng.exponential(20)
            else:
                t += 30.0 if rng.random() < 0.8 else rng.exponential(5)
            if t >= 370:
                break
            r = rng.random()
            event = "cancel" if r < 0.05 else ("pause" if r < 0.15 else "delivery")
            rows.append((c, event, t))
            if event == "cancel":
                break
    log = pd.DataFrame(rows, columns=["customer_id", "event", "day"])
    log["timestamp"] = START + pd.to_timedelta(log.pop("day"), unit="D")
    log["value"] = 12.0
    return log


CASES = [
    (kind, by, families)
    for kind, by, families in itertools.product(
        ["exact", "instant", "mixed"],
        ["auto", True, False],
        [None, ("empirical",), ("lognormal",), ("gamma",), ("weibull",), ("exponential",)],
    )
    if by or families != ("empirical",)
]


@pytest.mark.parametrize(("kind", "by_destination", "families"), CASES)
def test_odd_subscription_logs_fit_or_say_why(kind, by_destination, families):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = cjsim.calibrate(
                subscription(kind),
                MAPPING,
                dwell_by_destination=by_destination,
                dwell_families=families,
            )
    except cjsim.CalibrationError:
        return
    for tp in fit.scenario.touchpoints.values():
        mean = tp.dwell.mean
        # no spell is longer than the log (about 380 days): a plausible mean is below
        # PLAUSIBLE times that
        assert math.isfinite(mean) and 0 <= mean <= PLAUSIBLE * 380, (tp.name, mean)


def test_an_implausible_family_is_refused_by_name_or_replaced_by_kaplan_meier():
    """Near-instant steps mixed with long ones: a lognormal alone fits a mean of about
    10^12 days.  Without dwell by destination that is refused, naming the touchpoint
    (the wrong answer would be a silently absurd scenario); with it, the destinations
    where no lognormal is plausible get the Kaplan-Meier dwell."""
    log = subscription("instant")
    with pytest.raises(cjsim.CalibrationError, match="touchpoint 'signup': no plausible dwell"):
        cjsim.calibrate(log, MAPPING, dwell_families=("lognormal",), dwell_by_destination=False)
    fit = cjsim.calibrate(log, MAPPING, dwell_by_destination=True, dwell_families=("lognormal",))
    kinds = fit.report["destinations"]["dwell"]
    assert (kinds == "empirical").any()
    assert fit.report["destinations"]["dwell_mean_days"].max() < 100
