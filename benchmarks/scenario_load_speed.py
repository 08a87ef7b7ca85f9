"""How long a scenario of N touchpoints takes to load and check.

Issue 14 asks that 10,000 touchpoints load and check (read, build and validate) in
under 5 s. The time is printed beside a reference measured in the same run
(``tomllib.loads`` of the same text), so the ratio is comparable across machines. The
time of the analytic solve that ``cjsim check`` adds is printed too.

    python benchmarks/scenario_load_speed.py [N | --small]
"""

from __future__ import annotations

import sys
import tempfile
import time
import tomllib
from pathlib import Path

from cjsim.engines.analytic import solve
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
    print(f"{n} touchpoints: load and check {seconds:.2f} s (target < 5 s)")
    print(f"tomllib.loads of the same text: {reference:.3f} s (ratio {seconds / reference:.1f})")
    print(f"{n} touchpoints: the analytic solve `cjsim check` adds {solved:.2f} s")


if __name__ == "__main__":
    arg = sys.argv[1] if len(sys.argv) > 1 else "10000"
    main(1_000 if arg == "--small" else int(arg))
