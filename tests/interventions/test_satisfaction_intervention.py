"""An intervention that improves one touchpoint's experience changes churn through
satisfaction alone.

Reference: the same intervention on the same journey with every link coefficient
beta = 0, where satisfaction cannot change behaviour: churn must not move at all (the
DES uses common random numbers, so every replication is identical). With the link, the
paired difference of churn is many standard errors from 0 (z > 4, fixed seed).
"""

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import cjsim
from cjsim.interventions import Change, Intervention, apply
from cjsim.model import CohortArrivals, Population

MOODS = Path(__file__).resolve().parents[1] / "data" / "moods.toml"
REPS = 10
# a pleasanter delivery: its satisfaction effect per visit doubled; nothing else changes
BETTER_DELIVERY = Intervention(
    "better_delivery", (Change("scale_satisfaction", {"node": "delivery", "factor": 2.0}),)
)


@pytest.fixture(scope="module")
def moods():
    sc = cjsim.load_scenario(MOODS)
    pop = Population(CohortArrivals(3000), sc.population.entry)
    return sc.replace(population=pop, horizon_days=1500.0)


def paired_churn(sc):
    """Per replication: churn (share ending churned) of the variant minus the baseline."""

    def churn(s):
        res = cjsim.simulate(s, engine="des", replications=REPS, seed=21)
        return res.tables["replications"].set_index("replication")["absorption[churned]"]

    return (churn(apply(sc, BETTER_DELIVERY)) - churn(sc)).to_numpy(float)


def test_the_intervention_touches_only_satisfaction(moods):
    variant = apply(moods, BETTER_DELIVERY)
    assert variant.transitions == moods.transitions
    assert variant.touchpoints["delivery"].feeling.visit == 2 * (
        moods.touchpoints["delivery"].feeling.visit
    )


def test_a_better_experience_lowers_churn_through_satisfaction(moods):
    diff = paired_churn(moods)
    z = diff.mean() / (diff.std(ddof=1) / np.sqrt(len(diff)))
    assert z < -4, (diff.mean(), z)


def test_with_beta_zero_the_same_intervention_changes_nothing(moods):
    link = dict.fromkeys(moods.satisfaction.link, 0.0)
    flat = moods.replace(satisfaction=dataclasses.replace(moods.satisfaction, link=link))
    assert np.array_equal(paired_churn(flat), np.zeros(REPS))
