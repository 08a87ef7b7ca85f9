"""The installed package's version, read from its metadata (``pyproject.toml`` is the one
place it is written)."""

from __future__ import annotations

from importlib import metadata

__all__ = ["package_version"]


def package_version() -> str:
    """The version of the installed ``cjsim`` distribution.

    Returns
    -------
    str
        For example ``"0.1.0"``; ``"unknown (not installed)"`` when cjsim is imported from a
        source tree that was never installed.
    """
    try:
        return metadata.version("cjsim")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"
