"""Numbers pinned in a JSON file and compared with a run's (``tests/test_seeded_streams.py``,
``tests/test_activation_answers.py``): nine significant digits, far below any change a test should see and far
above the last-bit differences of another CPU's BLAS, SIMD or libm."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from sim import Estimate

RELATIVE, ABSOLUTE = 1e-9, 1e-12
#: fields that are not a function of the inputs and the seed (the wall-clock time of a run)
UNPINNED = frozenset({"seconds"})


def plain(value: object) -> object:
    """``value`` as JSON's types: dataclasses and dicts as dicts, arrays and tuples as lists."""
    if isinstance(value, Estimate):
        return [plain(value.value), plain(value.stderr), value.units]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name not in UNPINNED}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items() if k not in UNPINNED}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray | np.generic):
        return plain(value.tolist())
    return value


def differences(expected: object, actual: object, where: str = "") -> list[str]:
    """Where ``actual`` is not ``expected``: numbers to RELATIVE (ABSOLUTE near 0), the rest exactly."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        return [d for k in sorted(expected.keys() | actual.keys())
                for d in differences(expected.get(k), actual.get(k), f"{where}.{k}")]
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [d for i, (e, a) in enumerate(zip(expected, actual)) for d in differences(e, a, f"{where}[{i}]")]
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (expected, actual))
    if numbers and (math.isclose(expected, actual, rel_tol=RELATIVE, abs_tol=ABSOLUTE)
                    or (math.isnan(expected) and math.isnan(actual))):
        return []
    return [] if not numbers and expected == actual else [f"{where}: {expected!r} -> {actual!r}"]
