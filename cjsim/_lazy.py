"""Public names of a package that load when first used (PEP 562).

A package's ``__init__`` lists where each public name lives; the module behind a name is
imported on the first ``package.name`` (or ``from package import name``), so
``import cjsim`` stays cheap and pandas, SciPy, SimPy and matplotlib load only when a
function that needs them is called.  Type checkers read the same names from an
``if TYPE_CHECKING:`` block of imports, which ``tests/test_lazy.py`` keeps equal to the
table given here.

Where a public name is spelt like a submodule (``cjsim.experiment.simulate``, the function,
and ``cjsim/experiment/simulate.py``), the name wins, as it did when the package imported
it eagerly: loading the submodule later does not overwrite the package's attribute (the
package's module class refuses it, the documented way to customise setting a module's
attributes).

>>> import types
>>> sys.modules["demo"] = types.ModuleType("demo")
>>> __getattr__, __dir__ = attach("demo", {"cjsim.errors": ("ModelError as Wrong",)})
>>> __getattr__("Wrong").__name__
'ModelError'
>>> "Wrong" in __dir__()
True
>>> del sys.modules["demo"]
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable, Mapping

__all__ = ["attach"]


def attach(
    package: str,
    names: Mapping[str, tuple[str, ...]],
    *,
    submodules: tuple[str, ...] = (),
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The module ``__getattr__`` and ``__dir__`` of ``package``.

    Parameters
    ----------
    package : str
        The package's ``__name__``, e.g. ``"cjsim"``.
    names : mapping of str to tuple of str
        For each module, the public names taken from it, e.g.
        ``{"cjsim.calibration": ("calibrate", "validate")}``; ``"solve as solve_analytic"``
        renames as an import does.
    submodules : tuple of str, optional
        Subpackages and modules that ``package.<name>`` imports on first use, as if they
        had been imported by the package itself.

    Returns
    -------
    tuple of two callables
        ``__getattr__(name)``, which imports the module behind ``name``, keeps the value
        in the package's namespace (so the next access costs nothing) and returns it, and
        ``__dir__()``, the package's names including those not loaded yet.
    """
    home: dict[str, tuple[str, str]] = {}  # public name -> (module, name there)
    for module, found in names.items():
        for entry in found:
            source, _, public = entry.partition(" as ")
            home[public or source] = (module, source)

    def __getattr__(name: str) -> object:
        if name in submodules:
            return importlib.import_module(f"{package}.{name}")
        if name not in home:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, source = home[name]
        value = getattr(importlib.import_module(module), source)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *home, *submodules})

    class Package(types.ModuleType):
        def __setattr__(self, name: str, value: object) -> None:
            if name in home and getattr(value, "__name__", None) == f"{package}.{name}":
                return  # the import system naming the submodule: the public name wins
            super().__setattr__(name, value)

    sys.modules[package].__class__ = Package

    return __getattr__, __dir__
