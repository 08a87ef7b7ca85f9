"""Lazy public names (:mod:`cjsim._lazy`): ``import cjsim`` and ``cjsim --help`` load no
heavy library, and every public name still resolves to what it did when imported eagerly."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "cjsim"
HEAVY = ("pandas", "scipy.stats", "matplotlib", "simpy", "dask", "distributed")


def loaded_after(code: str) -> list[str]:
    """The heavy modules in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return done.stdout.split()


def test_import_cjsim_loads_no_heavy_library() -> None:
    assert loaded_after("import cjsim") == []


def test_help_loads_no_heavy_library() -> None:
    code = "import contextlib, io\nfrom cjsim.cli import main\n"
    code += "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
    code += "    main(['compare', '--help'])"
    assert loaded_after(code) == []


def test_a_simulation_worker_loads_no_scipy_stats() -> None:
    """What a process-pool or Dask worker imports to run a des task: every worker pays it."""
    found = loaded_after("import cjsim.experiment.runner, cjsim.engines.des")
    assert "scipy.stats" not in found and "matplotlib" not in found and "dask" not in found


def test_the_probe_sees_an_eager_import() -> None:
    """The same check on a module that needs pandas and SciPy reports them."""
    found = loaded_after("import cjsim.calibration.stages")
    assert {"pandas", "scipy.stats"} <= set(found)


def test_first_use_loads_the_module() -> None:
    assert "pandas" in loaded_after("import cjsim\ncjsim.calibrate")


def lazy_packages() -> list[Path]:
    return [p for p in sorted(PACKAGE.rglob("__init__.py")) if "attach(" in p.read_text()]


def tables(path: Path) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """The names imported under ``TYPE_CHECKING`` and the names given to ``attach``, by
    module, from the source of ``path``."""
    tree = ast.parse(path.read_text())
    typed: dict[str, set[str]] = {}
    attached: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for sub in node.body:
                if isinstance(sub, ast.ImportFrom) and (sub.module or "").startswith("cjsim"):
                    typed.setdefault(sub.module or "", set()).update(
                        a.name if a.asname is None else f"{a.name} as {a.asname}" for a in sub.names
                    )
        if isinstance(node, ast.Assign) and "attach(" in ast.unparse(node.value):
            call = node.value
            assert isinstance(call, ast.Call)
            attached = {m: set(n) for m, n in ast.literal_eval(call.args[1]).items()}
    return typed, attached


@pytest.mark.parametrize("path", lazy_packages(), ids=lambda p: p.parent.name)
def test_type_checkers_see_the_names_attach_loads(path: Path) -> None:
    typed, attached = tables(path)
    assert attached and typed == attached


def test_a_missing_type_checking_import_is_seen(tmp_path: Path) -> None:
    init = tmp_path / "__init__.py"
    init.write_text(
        "if TYPE_CHECKING:\n    from cjsim.model import Scenario\n"
        "__getattr__, __dir__ = attach(__name__, {'cjsim.model': ('Scenario', 'Segment')})\n"
    )
    typed, attached = tables(init)
    assert typed != attached


@pytest.mark.parametrize("path", lazy_packages(), ids=lambda p: p.parent.name)
def test_every_public_name_resolves(path: Path) -> None:
    parts = path.relative_to(PACKAGE.parent).parent.parts
    module = importlib.import_module(".".join(parts))
    for name in module.__all__:
        assert getattr(module, name) is not None
        assert name in dir(module)
    with pytest.raises(AttributeError, match="has no attribute 'nonexistent'"):
        module.nonexistent  # noqa: B018


def test_the_top_level_names_are_the_originals() -> None:
    import cjsim
    from cjsim.calibration.validate import validate
    from cjsim.engines.analytic import solve
    from cjsim.experiment.simulate import simulate

    assert cjsim.simulate is simulate and cjsim.validate is validate
    assert cjsim.solve_analytic is solve
    assert cjsim.engines.engine_names() == ("analytic", "des", "vectorized")


def test_a_public_name_wins_over_its_submodule() -> None:
    """``cjsim/experiment/simulate.py`` loaded first does not hide the function."""
    code = (
        "import cjsim.experiment.simulate, cjsim.calibration.validate\n"
        "import cjsim\n"
        "print(type(cjsim.experiment.simulate).__name__, type(cjsim.calibration.validate).__name__)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.split() == ["function", "function"]


def test_the_command_line_offers_every_pace() -> None:
    from cjsim.calibration.choices import PACE_NAMES
    from cjsim.calibration.mixing import PACES

    assert tuple(PACES) == PACE_NAMES
