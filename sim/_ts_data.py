"""Teacher data for the teacher–student model (seed §2.1): ``y = w*^T x + eps``."""

from __future__ import annotations

import zlib
from types import ModuleType
from typing import Any

import numpy as np

from ._backend import default_rng


def child_seed(seed: np.random.SeedSequence, *keys: str | int) -> np.random.SeedSequence:
    """A stream keyed by ``keys`` under ``seed`` (stable: does not depend on call order)."""
    if not isinstance(seed, np.random.SeedSequence):
        raise ValueError(f"seed must be a numpy.random.SeedSequence, got {type(seed).__name__}")
    extra = tuple(k if isinstance(k, int) else zlib.crc32(str(k).encode()) for k in keys)
    return np.random.SeedSequence(seed.entropy, spawn_key=tuple(seed.spawn_key) + extra)


def check_size(N: int, P: int, delta: float) -> None:
    """ValueError naming the bad argument."""
    for name, value, low in (("N", N, 2), ("P", P, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if not np.isfinite(delta) or delta < 0:
        raise ValueError(f"delta must be finite and >= 0, got {delta!r}")


def teacher_data(N: int, P: int, delta: float, seed: np.random.SeedSequence, xp: ModuleType = np,
                 dtype: str = "float64") -> tuple[Any, Any, Any]:
    """``X`` (P, N) with N(0,1) entries, ``w*`` ~ N(0, I/N), ``y = X w* + delta * noise``."""
    check_size(N, P, delta)
    rng = default_rng(seed, xp)
    X = rng.standard_normal((P, N), dtype=dtype)
    w_star = rng.standard_normal(N, dtype=dtype) / np.sqrt(N)
    y = X @ w_star + delta * rng.standard_normal(P, dtype=dtype)
    return X, y, w_star
