"""Journey templates: the well-known journey frameworks as complete, runnable scenarios.

Each template is a documented scenario file shipped inside the package
(``cjsim/templates/NAME.toml``, package data like the bundled examples): every number
carries a note on why it is plausible, and the ones to set from your own data first are
marked ``REPLACE``. ``cjsim new --template NAME OUT.toml`` writes one; ``docs/templates.md``
describes the frameworks. A template's description is its file's first comment line.

>>> template_names()
('five_stages', 'lifecycle', 'mckinsey_loop', 'race')
>>> load_template("race").stages
('reach', 'act', 'convert', 'engage')
>>> get_template("mckinsey")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
cjsim.errors.OptionError: unknown template 'mckinsey' — did you mean 'mckinsey_loop'? The ...
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING

from cjsim._io import atomic_write_text, unwritable
from cjsim.errors import CJSimError, OptionError, closest
from cjsim.scenario.examples import file_description

if TYPE_CHECKING:
    from cjsim.model import Scenario

__all__ = [
    "Template",
    "get_template",
    "load_template",
    "template_names",
    "templates",
    "write_template",
]

SUFFIX = ".toml"


@dataclass(frozen=True)
class Template:
    """One journey template.

    Parameters
    ----------
    name : str
        Its name, e.g. ``"mckinsey_loop"`` (the file name without ``.toml``).
    description : str
        One line: the framework and the business it is set in.
    source : Traversable
        Where the installed package holds its file.
    """

    name: str
    description: str
    source: Traversable

    def text(self) -> str:
        """The template's scenario file, comments included."""
        return self.source.read_text(encoding="utf-8")

    def scenario(self) -> Scenario:
        """The template as a validated :class:`~cjsim.model.Scenario`."""
        from cjsim.scenario import scenario_from_dict

        return scenario_from_dict(tomllib.loads(self.text()), source=f"template {self.name}")


def _folder() -> Traversable:
    return resources.files("cjsim").joinpath("templates")


def templates() -> list[Template]:
    """Every template, sorted by name.

    Returns
    -------
    list of Template
    """
    files = [f for f in _folder().iterdir() if f.is_file() and f.name.endswith(SUFFIX)]
    return [
        Template(f.name.removesuffix(SUFFIX), file_description(f.read_text(encoding="utf-8")), f)
        for f in sorted(files, key=lambda f: f.name)
    ]


def template_names() -> tuple[str, ...]:
    """The names of the templates, sorted."""
    return tuple(t.name for t in templates())


def get_template(name: str) -> Template:
    """The template called ``name``.

    Raises
    ------
    OptionError
        No template has that name; the message suggests a close one and lists them all.
    """
    found = {t.name: t for t in templates()}
    if name in found:
        return found[name]
    match = closest(name, found)
    hint = f"did you mean {match!r}? " if match else ""
    raise OptionError(
        f"unknown template {name!r} — {hint}The templates are: {', '.join(sorted(found))}"
    )


def load_template(name: str) -> Scenario:
    """The template called ``name`` as a validated scenario (see :func:`get_template`)."""
    return get_template(name).scenario()


def write_template(name: str, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write the template called ``name`` to ``path``, comments included, atomically.

    Parameters
    ----------
    name : str
        A template name (:func:`template_names`).
    path : str or Path
        The scenario file to write; its name ends in ``.toml`` and its folder exists.
    overwrite : bool, default False
        Replace ``path`` when it exists; without it an existing file is left untouched.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    OptionError
        An unknown template, or a file name that does not end in ``.toml``.
    CJSimError
        ``path`` exists (and ``overwrite`` is False), is a folder, or cannot be written.
    """
    template = get_template(name)
    target = Path(path)
    _check_target(target, name=name, overwrite=overwrite)
    atomic_write_text(target, template.text())
    return target


def _check_target(target: Path, *, name: str, overwrite: bool) -> None:
    if target.is_dir():
        raise CJSimError(f"{target}: is a folder — give a file name, e.g. {target / name}{SUFFIX}")
    if target.suffix != SUFFIX:
        raise OptionError(
            f"{target}: a scenario file's name ends in {SUFFIX} — e.g. {target}{SUFFIX}"
        )
    if target.exists() and not overwrite:
        raise CJSimError(
            f"{target}: exists already — nothing written; choose another file name, or "
            "overwrite it with --force (overwrite=True in Python)"
        )
    why = unwritable(target)
    if why:
        raise CJSimError(f"{target}: {why} — choose a file you can write")
    if not target.resolve().parent.is_dir():
        raise CJSimError(
            f"{target}: folder {target.parent} does not exist — create it first or choose "
            "an existing folder"
        )
