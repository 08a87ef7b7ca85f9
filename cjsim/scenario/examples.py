"""The bundled example files, shipped inside the package as ``cjsim/examples``.

In a clone ``cjsim/examples`` is a link to the top-level ``scenarios/`` folder, where the
files live; a wheel carries copies of them as package data. The description of each file
is its first comment line.

>>> [e.name for e in bundled_examples()]
['fashionfusion.toml', 'fashionfusion_investments.toml', 'saas_trial.toml']
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from cjsim.errors import CJSimError

__all__ = ["Example", "bundled_examples", "copy_examples", "file_description"]


@dataclass(frozen=True)
class Example:
    """One bundled file.

    Parameters
    ----------
    name : str
        File name, e.g. ``"fashionfusion.toml"``.
    description : str
        The file's first comment line.
    source : Traversable
        Where the installed package holds it.
    """

    name: str
    description: str
    source: Traversable


def _folder() -> Traversable:
    return resources.files("cjsim").joinpath("examples")


def file_description(text: str) -> str:
    """A bundled file's one-line description: its first comment line, without the ``#``.

    >>> file_description("# Five stages: a shop.")
    'Five stages: a shop.'
    """
    first = text.lstrip().splitlines()[0] if text.strip() else ""
    return first.lstrip("#").strip()


def bundled_examples() -> list[Example]:
    """The bundled scenario and intervention files, sorted by name.

    Returns
    -------
    list of Example
    """
    files = [f for f in _folder().iterdir() if f.is_file() and f.name.endswith(".toml")]
    return [
        Example(f.name, file_description(f.read_text(encoding="utf-8")), f)
        for f in sorted(files, key=lambda f: f.name)
    ]


def copy_examples(folder: str | Path, *, overwrite: bool = False) -> list[Path]:
    """Copy every bundled file into ``folder`` (created if missing).

    Parameters
    ----------
    folder : str or Path
        Destination folder.
    overwrite : bool, default False
        Replace files that already exist there; without it nothing is copied when any
        of them exists.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    CJSimError
        ``folder`` is a file, some files exist and ``overwrite`` is False, or the
        folder cannot be written.
    """
    target = Path(folder)
    if target.exists() and not target.is_dir():
        raise CJSimError(f"{target}: exists and is not a folder — choose a new or existing folder")
    examples = bundled_examples()
    clashes = [target / e.name for e in examples if (target / e.name).exists()]
    if clashes and not overwrite:
        names = ", ".join(p.name for p in clashes)
        raise CJSimError(
            f"{target}: {len(clashes)} of the {len(examples)} files exist already ({names}) "
            "— nothing copied; choose another folder or pass --force to overwrite them"
        )
    try:
        target.mkdir(parents=True, exist_ok=True)
        written = []
        for example in examples:
            path = target / example.name
            path.write_bytes(example.source.read_bytes())
            written.append(path)
    except OSError as exc:
        raise CJSimError(
            f"{target}: cannot write there ({exc.strerror}) — choose another folder"
        ) from exc
    return written
