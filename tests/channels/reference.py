"""The exact conversion probability of a path table's first-order chain, written
independently of cjsim's scenario and engines (a dense linear solve), for the tests and
for ``calibration/channel_attribution.py``."""

import itertools

import numpy as np


def exact(table, remove=None, renormalise=False):
    """P(conversion) from the start of the paths' first-order chain, with ``remove``
    cut out: its inflow to null (ChannelAttribution's removal), or with ``renormalise``
    dropped from every row and the rest scaled up (the wrong removal)."""
    states = ["start", *table.channels, "conv", "null"]
    at = {s: i for i, s in enumerate(states)}
    counts = np.zeros((len(states), len(states)))
    for path, conv, null in zip(table.paths, table.conversions, table.nulls, strict=True):
        seq = ["start", *path]
        for a, b in itertools.pairwise(seq):
            counts[at[a], at[b]] += conv + null
        counts[at[path[-1]], at["conv"]] += conv
        counts[at[path[-1]], at["null"]] += null
    if remove is not None:
        j = at[remove]
        if renormalise:
            counts[:, j] = 0.0
        else:
            counts[:, at["null"]] += counts[:, j]
            counts[:, j] = 0.0
    out = counts.sum(axis=1, keepdims=True)
    p = np.divide(counts, out, out=np.zeros_like(counts), where=out > 0)
    transient = list(range(len(states) - 2))
    q = p[np.ix_(transient, transient)]
    r = p[transient, at["conv"]]
    return float(np.linalg.solve(np.eye(len(transient)) - q, r)[0])
