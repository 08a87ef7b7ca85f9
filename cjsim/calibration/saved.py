"""A fit's files, written together and read back whole.

:meth:`Fit.save <cjsim.calibration.Fit.save>` writes three files side by side:

- ``<stem>.toml``: the fitted scenario (:func:`cjsim.scenario.save_scenario`);
- ``<stem>.warm_start.csv``: its warm start, when there is one;
- ``<stem>.calibration.json``: everything else — :meth:`Fit.to_dict
  <cjsim.calibration.Fit.to_dict>`, each customer's state at the cut-off, the SHA-256 of
  the two files above, and the fitted model (mixture, pooled exits, rows, arrivals, dwell
  by destination and the :class:`~.assembler.Assembler`) in a tagged JSON form.

:func:`read_fit` checks that the scenario and warm-start files are the ones the JSON file
was written with (so a scenario from one calibration is never paired with the customers
of another) and rebuilds the fit's fields, so posterior draws work on a fit read back.

The JSON form (:func:`encode`, :func:`decode`): numbers, strings, lists and dicts as
themselves (lists read back as tuples); numpy arrays, DataFrames, timestamps, pydantic
models and frozen dataclasses of cjsim as objects tagged ``"__cjsim__"``.  Only cjsim's
own classes are rebuilt, by their constructor.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from cjsim._io import atomic_write_text
from cjsim.calibration.events import EventColumns, Mapping
from cjsim.errors import CalibrationError
from cjsim.scenario.files import MAX_WARM_START_BYTES, FileRefused, read_capped

if TYPE_CHECKING:
    from cjsim.calibration.fit import Fit

__all__ = [
    "FIT_FILE",
    "VERSION",
    "calibration_file",
    "decode",
    "encode",
    "json_ready",
    "read_fit",
    "scenario_path",
    "write_fit",
]

VERSION = 2  # of the calibration file; 1 had no model and no file digests
FIT_FILE = "fitted.toml"  # the scenario's name when a fit is saved to a directory
TAG = "__cjsim__"
MODEL_FIELDS = ("assembler", "mixture", "competing", "exits", "rows", "arrivals")


def json_ready(value: Any) -> Any:
    """``value`` with numpy scalars as Python numbers and NaN or infinities as None."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _class_path(value: Any) -> str:
    cls = type(value)
    return f"{cls.__module__}:{cls.__qualname__}"


def _class(path: str) -> Any:
    module, _, name = path.partition(":")
    if not module.startswith("cjsim."):
        raise ValueError(f"{path!r} is not a cjsim class")
    cls = getattr(importlib.import_module(module), name, None)
    if not isinstance(cls, type):
        raise ValueError(f"{path!r} is not a class")
    return cls


def _encode_array(a: np.ndarray) -> dict[str, Any]:
    """An array with its memory order (sums over a Fortran-ordered array are added in
    another order, so its layout is kept for the same results to the last bit)."""
    fortran = a.flags["F_CONTIGUOUS"] and not a.flags["C_CONTIGUOUS"]
    order = "F" if fortran else "C"
    data = a.ravel(order="F" if fortran else "C").tolist()
    return {
        TAG: "array",
        "dtype": a.dtype.str,
        "shape": list(a.shape),
        "order": order,
        "data": data,
    }


def encode(value: Any) -> Any:
    """``value`` in the tagged JSON form (see the module docstring).

    Raises
    ------
    TypeError
        For a value of another kind, or a dict key that is not a string.
    """
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return _encode_array(value)
    if isinstance(value, pd.DataFrame):
        columns = {str(c): encode(value[c].to_numpy()) for c in value.columns}
        return {TAG: "frame", "columns": columns}
    if isinstance(value, pd.Timestamp):
        return {TAG: "timestamp", "iso": value.isoformat()}
    if isinstance(value, BaseModel):
        return {TAG: "model", "class": _class_path(value), "data": value.model_dump()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {
            f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init
        }
        return {TAG: "dataclass", "class": _class_path(value), "fields": fields}
    if isinstance(value, dict):
        if not all(isinstance(k, str) and k != TAG for k in value):
            raise TypeError(f"dict keys must be strings other than {TAG!r}: {list(value)[:5]}")
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    raise TypeError(f"cannot write a {type(value).__name__} in a calibration file")


def decode(value: Any) -> Any:
    """The value :func:`encode` wrote (lists come back as tuples).

    Raises
    ------
    ValueError
        For an unknown tag or a class outside cjsim.
    """
    if isinstance(value, list):
        return tuple(decode(v) for v in value)
    if not isinstance(value, dict):
        return value
    kind = value.get(TAG)
    if kind is None:
        return {k: decode(v) for k, v in value.items()}
    if kind == "array":
        flat = np.array(value["data"], dtype=np.dtype(value["dtype"]))
        return flat.reshape(value["shape"], order=value.get("order", "C"))
    if kind == "frame":
        return pd.DataFrame({c: decode(v) for c, v in value["columns"].items()})
    if kind == "timestamp":
        return pd.Timestamp(value["iso"])
    if kind == "model":
        return _class(value["class"]).model_validate(value["data"])
    if kind == "dataclass":
        return _class(value["class"])(**{k: decode(v) for k, v in value["fields"].items()})
    raise ValueError(f"unknown tag {kind!r}")


def calibration_file(scenario_path: str | Path) -> Path:
    """``<stem>.calibration.json`` beside a fitted scenario file."""
    p = Path(scenario_path)
    return p.with_name(f"{p.stem}.calibration.json")


def scenario_path(target: str | Path) -> Path:
    """The scenario file of a fit saved at ``target``: ``target`` itself when it is a
    ``.toml`` file, else :data:`FIT_FILE` in the directory ``target``."""
    p = Path(target)
    return p if p.suffix.lower() == ".toml" and not p.is_dir() else p / FIT_FILE


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _customers_to_json(customers: pd.DataFrame) -> dict[str, list[Any]]:
    state = customers.copy()
    state["first_time"] = state["first_time"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    return state.to_dict(orient="list")  # type: ignore[return-value]


def _customers_from_json(data: dict[str, list[Any]]) -> pd.DataFrame:
    state = pd.DataFrame(data)
    state["customer_id"] = state["customer_id"].astype(str)
    state["first_time"] = pd.to_datetime(state["first_time"])
    return state


def write_fit(fit: Fit, target: str | Path) -> list[Path]:
    """Write ``fit``'s three files (two without a warm start) for ``target`` (a ``.toml``
    path or a directory, created when missing); each file atomically, the JSON last."""
    from cjsim.scenario import save_scenario
    from cjsim.scenario.warm_start import warm_start_file_name

    path = scenario_path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_scenario(fit.scenario, path)
    written = [path]
    files: dict[str, Any] = {"scenario": {"name": path.name, "sha256": _digest(path)}}
    files["warm_start"] = None
    if fit.scenario.population.warm_start is not None:
        written.append(path.with_name(warm_start_file_name(path)))
        files["warm_start"] = {"name": written[-1].name, "sha256": _digest(written[-1])}
    model = {name: getattr(fit, name) for name in MODEL_FIELDS}
    model["assembler"] = dataclasses.replace(fit.assembler, warm=None)  # it is in the CSV
    doc = {
        "cjsim_calibration": VERSION,
        **fit.to_dict(),
        "customers": _customers_to_json(fit.customers),
        "files": files,
        "model": encode(model),
    }
    written.append(calibration_file(path))
    atomic_write_text(written[-1], json.dumps(doc, default=str))
    return written


def _read_doc(path: Path, side: Path) -> dict[str, Any]:
    if not side.exists():
        raise CalibrationError(
            f"{path}: no {side.name} beside it — validate needs a scenario written by "
            "`cjsim calibrate` (or Fit.save), which keeps the customers' state there"
        )
    try:
        doc = json.loads(read_capped(side, MAX_WARM_START_BYTES).decode("utf-8"))
    except FileRefused as exc:
        raise CalibrationError(f"{side}: {exc.what} — {exc.hint}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise CalibrationError(
            f"{side}: cannot read it ({exc}) — write it again with `cjsim calibrate`"
        ) from None
    version = doc.get("cjsim_calibration") if isinstance(doc, dict) else None
    if version != VERSION:
        what = "not a cjsim calibration file" if version is None else f"version {version}"
        raise CalibrationError(
            f"{side}: {what}, expected version {VERSION} — write it again with "
            "`cjsim calibrate` (or Fit.save)"
        )
    return doc


def _check_files(path: Path, side: Path, files: dict[str, Any]) -> None:
    """Refuse a scenario or warm-start file other than the one ``side`` was written with."""
    for role in ("scenario", "warm_start"):
        entry = files.get(role)
        if entry is None:
            continue
        file = path if role == "scenario" else path.with_name(entry["name"])
        if not file.exists():
            raise CalibrationError(
                f"{side}: its {role.replace('_', ' ')} file {file} is missing — keep the "
                "files `cjsim calibrate` wrote together"
            )
        if _digest(file) != entry["sha256"]:
            raise CalibrationError(
                f"{file} does not belong with {side}: it is not the file that calibration "
                "wrote (its SHA-256 differs) — the files come from different calibrations "
                "or were edited; keep the files of one `cjsim calibrate --out` together, "
                "or calibrate again"
            )


def read_fit(target: str | Path) -> dict[str, Any]:
    """The fields of the :class:`~cjsim.calibration.Fit` saved at ``target`` (a ``.toml``
    path or a directory), after checking that its files belong together.

    Raises
    ------
    CalibrationError
        When the JSON file is missing, unreadable, of another version, or written with
        another scenario or warm-start file.
    """
    from cjsim.scenario import load_scenario

    path = scenario_path(target)
    side = calibration_file(path)
    doc = _read_doc(path, side)
    _check_files(path, side, doc.get("files") or {})
    scenario = load_scenario(path)
    try:
        model = decode(doc["model"])
        fields = {
            "scenario": scenario,
            **{name: model[name] for name in MODEL_FIELDS},
            "customers": _customers_from_json(doc["customers"]),
            "cutoff": pd.Timestamp(doc["cutoff"]),
            "mapping": Mapping.model_validate(doc["mapping"]),
            "columns": EventColumns(**doc["columns"]),
            "warnings": tuple(doc.get("warnings", ())),
            "report": {k: pd.DataFrame(v) for k, v in doc.get("report", {}).items()},
        }
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CalibrationError(
            f"{side}: cannot read it ({exc}) — write it again with `cjsim calibrate`"
        ) from None
    warm = scenario.population.warm_start
    fields["assembler"] = dataclasses.replace(fields["assembler"], warm=warm)
    return fields
