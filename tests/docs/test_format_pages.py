"""The format pages of the documentation site say what the code accepts.

The intervention page's operation table lists every operation with its required and
optional keys; the mapping page names every key of the mapping. (The site itself is built
by CI with ``mkdocs build --strict``.)
"""

import re
from pathlib import Path

from cjsim.calibration.events import Mapping
from cjsim.interventions.operations import OPERATIONS

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _keys(cell: str) -> tuple[str, ...]:
    return tuple(re.findall(r"`([a-z_]+)`", cell))


def operation_rows(text: str) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and re.fullmatch(r"`[a-z_]+`", cells[0]) and cells[1] != "required keys":
            rows[cells[0].strip("`")] = (_keys(cells[1]), _keys(cells[2]))
    return rows


def test_the_operation_table_matches_the_registry():
    rows = operation_rows((DOCS / "intervention_format.md").read_text(encoding="utf-8"))
    assert rows == {name: (op.required, op.optional) for name, op in OPERATIONS.items()}


def test_the_check_sees_a_missing_key():
    text = "| `scale_dwell` | `node` | | the dwell |\n"
    assert operation_rows(text) == {"scale_dwell": (("node",), ())}
    assert operation_rows(text)["scale_dwell"] != (OPERATIONS["scale_dwell"].required, ())


def test_the_mapping_page_names_every_key():
    text = (DOCS / "mapping_format.md").read_text(encoding="utf-8")
    assert [k for k in Mapping.model_fields if f"| `{k}` |" not in text] == []
