"""The cases whose printed numbers must never drift: ``cjsim run --json`` (and ``compare
--json``) for each engine, on the bundled scenarios and on random journeys.

``python tests/golden/cases.py`` records them into ``run_outputs.json``; do that only when a
change of numbers is intended, and say why in the commit.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
RECORD = HERE / "run_outputs.json"

BUNDLED = ("fashionfusion", "saas_trial")
ENGINES = ("analytic", "vectorized", "des")
#: Cases an engine refuses: FashionFusion's satisfaction is out of the analytic engine's
#: reach (tests/engines/test_base.py checks the refusal).
REFUSED = {("fashionfusion", "analytic")}
RANDOM = (  # seed, options of random_journey
    (0, {}),
    (1, {"referrals": True}),
    (2, {"segments": True}),
    (3, {"n_touchpoints": 12, "refunds": False}),
)


def cases(folder: Path) -> dict[str, list[str]]:
    """Case name -> ``cjsim`` arguments; random journeys are written into ``folder``."""
    from cjsim.model.synthetic import random_journey
    from cjsim.scenario import save_scenario

    out: dict[str, list[str]] = {}
    files = {name: str(ROOT / "scenarios" / f"{name}.toml") for name in BUNDLED}
    for seed, options in RANDOM:
        path = folder / f"random{seed}.toml"
        save_scenario(random_journey(np.random.default_rng(seed), **options), path)
        files[f"random{seed}"] = str(path)
    for name, path in files.items():
        for engine in ENGINES:
            if (name, engine) in REFUSED:
                continue
            args = ["run", path, "--engine", engine, "--seed", "7", "--json", "--quiet"]
            if engine != "analytic":
                args += ["--replications", "2"]
            if engine == "vectorized":
                args += ["--ignore-capacity"]
            if engine == "des" and name in BUNDLED:
                args += ["--horizon", "120"]
            out[f"{name}/{engine}"] = args
    invest = str(ROOT / "scenarios" / "fashionfusion_investments.toml")
    for engine in ("des", "vectorized"):
        out[f"compare/{engine}"] = [
            "compare", files["fashionfusion"], "--interventions", invest, "--engine", engine,
            "--seed", "3", "--replications", "2", "--workers", "1", "--json", "--quiet",
            "--ignore-capacity", "--horizon", "90",
        ]  # fmt: skip
    return out


def run(args: list[str]) -> dict:
    from cjsim.cli import main

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(args)
    assert code == 0, (args, code)
    return json.loads(buffer.getvalue())


def numbers(doc: object, prefix: str = "") -> dict[str, float]:
    """Every number in a JSON document, by its path."""
    found: dict[str, float] = {}
    if isinstance(doc, dict):
        for key, value in doc.items():
            found |= numbers(value, f"{prefix}/{key}")
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            found |= numbers(value, f"{prefix}/{i}")
    elif isinstance(doc, bool) or doc is None or isinstance(doc, str):
        pass
    elif isinstance(doc, int | float):
        found[prefix] = float(doc)
    return found


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        record = {name: run(args) for name, args in cases(Path(tmp)).items()}
    for doc in record.values():
        doc.get("meta", {}).pop("source", None)
    RECORD.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    print(f"wrote {RECORD} ({len(record)} cases)", file=sys.stderr)
