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


def exact_order(table, order, remove=None):
    """P(conversion) of the paths' chain of order ``order``, with channel ``remove`` cut
    out (every state whose latest channel it is sends its inflow to null).

    Written apart from :mod:`cjsim.model.memory`: a state is the window of the last
    ``order`` symbols of the path padded on the left with ``order`` copies of a start
    symbol, so the start of a path is remembered like a channel (a repeat of a channel,
    ``a > a``, is a window like any other).  The chain is solved by value iteration to
    a fixed point, not by a factorisation."""
    pad = ("<s>",) * order
    index, edges = {}, {}

    def state(window):
        return index.setdefault(window, len(index))

    for path, conv, null in zip(table.paths, table.conversions, table.nulls, strict=True):
        seq = pad + tuple(path)
        windows = [seq[i : i + order] for i in range(len(seq) - order + 1)]
        for a, b in itertools.pairwise(windows):
            key = (state(a), state(b))
            edges[key] = edges.get(key, 0.0) + conv + null
        last = state(windows[-1])
        edges[(last, "conv")] = edges.get((last, "conv"), 0.0) + conv
        edges[(last, "null")] = edges.get((last, "null"), 0.0) + null
    n = len(index)
    counts = np.zeros((n, n + 2))  # the last two columns: conversion, null
    for (a, b), w in edges.items():
        counts[a, n if b == "conv" else n + 1 if b == "null" else b] += w
    if remove is not None:
        gone = [i for window, i in index.items() if window[-1] == remove]
        counts[:, n + 1] += counts[:, gone].sum(axis=1)
        counts[:, gone] = 0.0
    out = counts.sum(axis=1, keepdims=True)
    p = np.divide(counts, out, out=np.zeros_like(counts), where=out > 0)
    value = np.zeros(n)
    for _ in range(100_000):
        new = p[:, :n] @ value + p[:, n]
        if np.max(np.abs(new - value)) < 1e-15:
            break
        value = new
    return float(new[index[pad]])
