"""The README's "Building interventions in Python" example runs as written."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Building interventions in Python", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    return code


def test_the_readme_builds_interventions_in_python(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    exec(compile(_example(), "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "guide_and_loyalty" in out
    assert "interventions[baseline].name: 'baseline' is reserved" in out
    assert "interventions[baseline].costs.fixed: is negative (-1,000)" in out
