"""Every notebook in ``notebooks/`` runs top to bottom in its small setting.

Each notebook has one cell tagged ``parameters``; the test inserts a cell after it that
overrides those values with small ones (the papermill convention), runs the notebook with
nbclient in a fresh kernel from the ``notebooks/`` folder, and fails on any error.  The
notebooks are committed without outputs.
"""

import ast
import time
from pathlib import Path

import nbformat
import pytest

nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SMALL = {
    "REPLICATIONS": 2,
    "HORIZON_DAYS": 60.0,
    "WORKERS": 1,
    "TORNADO_REPLICATIONS": 1,
    "LATENT_SEGMENTS": 2,
}
LIMIT_SECONDS = 120
LONG = {"simulate", "compare", "portfolio", "sensitivity", "validate", "RunOptions"}  # minutes


def _without_progress(source: str) -> list[str]:
    """The calls in ``source`` that can run for minutes at full settings and pass
    neither ``progress=True`` nor ``options`` (which carry their own)."""
    missing = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        given = {k.arg: k.value for k in node.keywords}
        shown = isinstance(given.get("progress"), ast.Constant) and given["progress"].value is True
        if name in LONG and not shown and "options" not in given:
            missing.append(name)
    return missing


def test_the_five_notebooks_are_there():
    names = [p.stem for p in NOTEBOOKS]
    assert names == [
        "01_quickstart",
        "02_what_if",
        "03_investment_planning",
        "04_calibration",
        "05_build_your_own_journey",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs_and_with_one_parameters_cell(path):
    book = nbformat.read(path, as_version=4)
    code = [c for c in book.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_long_cell_shows_progress(path):
    book = nbformat.read(path, as_version=4)
    code = [c.source for c in book.cells if c.cell_type == "code"]
    assert [name for source in code for name in _without_progress(source)] == []


def test_the_progress_check_sees_a_silent_run():
    assert _without_progress("r = cjsim.compare(sc, ivs, progress=False)") == ["compare"]
    assert _without_progress("o = cjsim.RunOptions(engine='des')") == ["RunOptions"]
    assert _without_progress("r = compare(sc, ivs, options=o)") == []


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_in_its_small_setting(path):
    book = nbformat.read(path, as_version=4)
    index = next(i for i, c in enumerate(book.cells) if "parameters" in c.metadata.get("tags", []))
    names = set()
    for line in book.cells[index].source.splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            names.add(line.split("=")[0].strip())
    overrides = "\n".join(f"{k} = {v!r}" for k, v in SMALL.items() if k in names)
    book.cells.insert(index + 1, nbformat.v4.new_code_cell(overrides or "pass"))
    client = nbclient.NotebookClient(
        book,
        timeout=LIMIT_SECONDS,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    took = time.perf_counter() - start
    assert took < LIMIT_SECONDS, f"{path.name} took {took:.0f} s"
