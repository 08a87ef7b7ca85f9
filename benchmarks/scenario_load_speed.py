"""How long a scenario of N touchpoints takes to load and check.

Issue 14 asks that 10,000 touchpoints load and check (read, build and validate) in
under 5 s. The time is printed beside a reference measured in the same run
(``tomllib.loads`` of the same text), so the ratio is comparable across machines. The
time of the analytic solve that ``cjsim check`` adds is printed too (issue 15: under 2 s at
10,000 touchpoints), against one sparse factorisation and solve of the same chain
(``scipy.sparse.linalg.splu(I - Q).solve(entry)``, best of five), with the memory the
engine's transition matrix takes (CSR from ``SPARSE_FROM`` touchpoints on, not ``n^2``).

    python benchmarks/scenario_load_speed.py [N | --small]
"""

from __future__ import annotations

import sys
import tempfile
import time
import tomllib
from pathlib import Path

import scipy.sparse as sp
import scipy.sparse.linalg as spla

from cjsim.engines._arrays import to_arrays
from cjsim.engines._matrix import is_sparse
from cjsim.engines.analytic import solve
from cjsim.model import Scenario
from cjsim.scenario import load_scenario


def chain_toml(n: int) -> str:
    """A scenario of ``n`` touchpoints in a chain, each passing half on and losing half."""
    lines = [
        '[scenario]\nname = "chain"\nhorizon_days = 30\n',
        '[population]\narrivals = { kind = "poisson", rate_per_day = 1.0 }\n'
        "entry = { tp0 = 1.0 }\n",
        "[outcomes]\nlost = {}\n",
        "[touchpoints]",
    ]
    lines += [f'tp{i} = {{ stage = "awareness" }}' for i in range(n)]
    lines.append("\n[transitions]")
    lines += [f'tp{i} = {{ tp{i + 1} = 0.5, rest = "lost" }}' for i in range(n - 1)]
    lines.append(f'tp{n - 1} = {{ rest = "lost" }}')
    return "\n".join(lines) + "\n"


def sparse_reference(scenario: Scenario) -> float:
    """Seconds of one sparse LU factorisation and solve of ``I - Q`` (best of five)."""
    a = to_arrays(scenario, sparse=True)
    n = a.n
    matrix = (sp.identity(n, format="csc") - sp.csc_matrix(a.base[:, :n])).tocsc()
    times = []
    for _ in range(5):
        start = time.perf_counter()
        spla.splu(matrix).solve(a.entry)
        times.append(time.perf_counter() - start)
    return min(times)


def matrix_megabytes(scenario: Scenario) -> tuple[str, float, float]:
    """The form of the engine's transition matrix, its megabytes, and a dense one's."""
    base = to_arrays(scenario).base
    dense = base.shape[0] * base.shape[1] * 8 / 1e6
    if not is_sparse(base):
        return "dense", dense, dense
    held = base.data.nbytes + base.indices.nbytes + base.indptr.nbytes
    return "CSR", held / 1e6, dense


def main(n: int = 10_000) -> None:
    text = chain_toml(n)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "chain.toml"
        path.write_text(text, encoding="utf-8")
        start = time.perf_counter()
        tomllib.loads(text)
        reference = time.perf_counter() - start
        start = time.perf_counter()
        scenario = load_scenario(path)
        seconds = time.perf_counter() - start
        start = time.perf_counter()
        solve(scenario, removal=False, elasticity=False)
        solved = time.perf_counter() - start
    n = len(scenario.touchpoints)
    factor = sparse_reference(scenario)
    form, held, dense = matrix_megabytes(scenario)
    print(f"{n} touchpoints: load and check {seconds:.2f} s (target < 5 s)")
    print(f"tomllib.loads of the same text: {reference:.3f} s (ratio {seconds / reference:.1f})")
    print(f"{n} touchpoints: the analytic solve `cjsim check` adds {solved:.2f} s (target < 2 s)")
    print(
        f"one sparse factorisation + solve of the same chain: {factor * 1e3:.2f} ms "
        f"(the solve is {solved / factor:.0f}x it, {solved / seconds:.2f}x the load and check)"
    )
    print(f"transition matrix held {form}: {held:.2f} MB (dense would be {dense:.1f} MB)")


if __name__ == "__main__":
    arg = sys.argv[1] if len(sys.argv) > 1 else "10000"
    main(1_000 if arg == "--small" else int(arg))
