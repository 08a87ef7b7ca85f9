"""The package's shape, checked from the source: layers, cycles, private names, function size.

Layers (A ← B: B may import A at module level, never the other way):
utilities (``errors``, ``_io``, ``_version``, ``_lazy``, ``kpis``, ``intervals``) ← ``formatting``
(people-facing numbers, by KPI unit) ← ``model``, ``economics`` ←
``scenario``, ``engines`` ← ``templates`` (journey frameworks as scenario files) ←
``experiment`` ← ``interventions``, ``calibration``, ``channels`` ←
``analysis`` (sensitivity moves parameters as interventions) ← ``plotting`` ← ``report`` ←
``cli``.  Imports inside functions (lazy ``plot_*`` shortcuts) and under ``TYPE_CHECKING``
are not module-level and may go up.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "cjsim"

RANK = {
    "errors": 0,
    "_io": 0,
    "_version": 0,
    "_lazy": 0,
    "kpis": 0,
    "intervals": 0,
    "formatting": 0.5,
    "model": 1,
    "economics": 1,
    "scenario": 2,
    "engines": 2,
    "templates": 2.5,
    "experiment": 3,
    "interventions": 4,
    "analysis": 4.5,
    "calibration": 4,
    "channels": 4,
    "plotting": 5,
    "report": 6,
    "cli_format": 7,
    "cli_channels": 7,
    "cli_examples": 7,
    "cli_templates": 7,
    "cli_abtest": 7,
    "cli": 7,
    "__init__": 8,
    "__main__": 8,
}
MAX_LINES = 80


def _modules() -> dict[str, ast.Module]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(("cjsim", *path.relative_to(PACKAGE).with_suffix("").parts))
        out[name.removesuffix(".__init__")] = ast.parse(path.read_text(), str(path))
    return out


def _part(module: str) -> str:
    """The layer unit of a module: ``cjsim.engines.des`` -> ``engines``."""
    parts = module.split(".")
    part = parts[1] if len(parts) > 1 else "__init__"
    return "cli" if part.startswith("cli_") else part


def _top_level_imports(tree: ast.Module) -> list[ast.ImportFrom | ast.Import]:
    found: list[ast.ImportFrom | ast.Import] = []
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for sub in ast.walk(node):
            if isinstance(sub, ast.Import | ast.ImportFrom) and not _inside_function(node, sub):
                found.append(sub)
    return found


def _inside_function(root: ast.AST, target: ast.AST) -> bool:
    for node in ast.walk(root):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
            sub is target for sub in ast.walk(node)
        ):
            return True
    return False


def _targets(node: ast.ImportFrom | ast.Import) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.startswith("cjsim")]
    if node.module and node.module.startswith("cjsim") and node.level == 0:
        return [node.module]
    return []


def _edges() -> list[tuple[str, str, ast.ImportFrom | ast.Import]]:
    edges = []
    for module, tree in _modules().items():
        for node in _top_level_imports(tree):
            edges.extend((module, target, node) for target in _targets(node))
    return edges


def upward_imports() -> list[str]:
    bad = []
    for module, target, _ in _edges():
        a, b = _part(module), _part(target)
        if a == b or module == "cjsim":
            continue
        if RANK[b] > RANK[a] or (RANK[b] == RANK[a] and a != b):
            bad.append(f"{module} imports {target} ({a} may not import {b})")
    return bad


def package_cycles() -> list[str]:
    import networkx as nx

    graph = nx.DiGraph()
    for module, target, _ in _edges():
        a, b = _part(module), _part(target)
        if a != b and module != "cjsim":
            graph.add_edge(a, b)
    return [" -> ".join(c) for c in nx.simple_cycles(graph)]


def private_crossings() -> list[str]:
    bad = []
    for module, target, node in _edges():
        if _part(module) == _part(target):
            continue
        hidden = [p for p in target.split(".")[2:] if p.startswith("_")]
        names = [a.name for a in node.names] if isinstance(node, ast.ImportFrom) else []
        private = [n for n in names if n.startswith("_")]
        if hidden or private:
            bad.append(f"{module} imports private {target}:{','.join(private) or hidden[0]}")
    return bad


def long_functions() -> list[str]:
    bad = []
    for module, tree in _modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_LINES:
                    bad.append(f"{module}.{node.name}: {length} lines")
    return bad


def test_no_module_level_import_runs_up_the_layers() -> None:
    assert upward_imports() == []


def test_packages_form_no_cycle() -> None:
    assert package_cycles() == []


def test_no_private_name_is_imported_from_another_package() -> None:
    assert private_crossings() == []


def test_no_function_is_longer_than_80_lines() -> None:
    assert long_functions() == []


def test_the_checks_see_a_violation() -> None:
    tree = ast.parse("from cjsim.plotting import deltas\nfrom cjsim.engines._draws import _x\n")
    targets = [t for node in _top_level_imports(tree) for t in _targets(node)]
    assert targets == ["cjsim.plotting", "cjsim.engines._draws"]
    assert RANK[_part("cjsim.plotting")] > RANK[_part("cjsim.engines.des")]
