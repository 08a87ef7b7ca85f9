"""An immutable, hashable, picklable mapping for model objects (it lives in :mod:`cjsim._io`,
below every layer, so the economics layer's ``Costs`` can use it too).

>>> m = FrozenMap({"a": 1})
>>> m["a"], len(m), m == {"a": 1}
(1, 1, True)
"""

from __future__ import annotations

from cjsim._io import FrozenMap

__all__ = ["FrozenMap"]
