"""The DES engine's numpy lockstep with satisfaction, against its scalar walk.

The lockstep carries satisfaction in its state arrays (effects, the curve, tilted rows)
and hands it over with the customer; the replication must equal the scalar walk's
(counts exactly, sums to 1e-9 relative; the comparison of ``test_lockstep``), on a
journey whose every customer starts at 0 (rows untilted until a first effect), one that
starts elsewhere (rows tilted from the first step), and one with a desk that waits,
reneging and refunds make customers feel.  A lockstep run of the wrong start is
rejected by the same comparison.
"""

import dataclasses
from pathlib import Path

import pytest

import cjsim
from cjsim.engines import des
from cjsim.engines._lockstep import Lockstep
from cjsim.model import Exponential, Feeling

from .test_lockstep import differences, replicate

MOODS = Path(__file__).resolve().parents[1] / "data" / "moods.toml"


def moods(start=0.0, desk=False):
    sc = cjsim.load_scenario(MOODS).replace(horizon_days=200.0)
    sc = sc.replace(satisfaction=dataclasses.replace(sc.satisfaction, start=start))
    if not desk:
        return sc
    returns = dataclasses.replace(
        sc.touchpoints["returns"],
        capacity=2,
        service=Exponential(1.0),
        patience=Exponential(1.5),
        renege_to="churned",
        feeling=Feeling(visit=-0.5, wait_over_days=0.3, wait=-1.0, renege=-2.0, refund=0.3),
    )
    return sc.replace(touchpoints={**sc.touchpoints, "returns": returns})


@pytest.mark.parametrize(
    ("start", "desk"), [(0.0, False), (0.4, False), (0.0, True)], ids=["zero", "start", "desk"]
)
def test_lockstep_equals_the_scalar_walk_with_satisfaction(start, desk, monkeypatch):
    sc = moods(start, desk)
    scalar = replicate(sc, lockstep=False)
    assert scalar.promoters > 0 and scalar.detractors > 0
    walked = []
    walk = Lockstep.walk

    def spy(self, banks, times, segs, entry):
        hand, state = walk(self, banks, times, segs, entry)
        walked.append((len(times), len(hand.index)))
        return hand, state

    monkeypatch.setattr(Lockstep, "walk", spy)
    monkeypatch.setattr(des, "CHUNK_BATCHES", 16)
    assert differences(scalar, replicate(sc, lockstep=True)) == []
    arrived, handed = sum(w for w, _ in walked), sum(h for _, h in walked)
    assert handed < 0.5 * arrived, "the lockstep carries satisfaction: it walks most"


def test_the_same_comparison_rejects_a_lockstep_that_forgets_the_start():
    scalar = replicate(moods(0.4), lockstep=False)
    wrong = replicate(moods(0.0), lockstep=True)
    assert differences(scalar, wrong)
