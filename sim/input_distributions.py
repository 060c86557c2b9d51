"""Standardized draws of the pre-activation (mean 0, variance 1) for the Monte-Carlo engine.

``input`` is a family name of :mod:`theory.input_families` (``gaussian``, ``laplace``,
``uniform``, ``exponential``), any frozen ``scipy.stats`` continuous distribution, or a 1-D sample array
(resampled with replacement after standardizing)."""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np

FAMILY_NAMES: tuple[str, ...] = ("gaussian", "laplace", "uniform", "exponential")


class InputSampler:
    """``draw(rng, shape, dtype)`` -> standardized array on the sampler's backend."""

    def __init__(self, input: Any, xp: ModuleType = np) -> None:
        self.xp = xp
        if isinstance(input, str):
            if input not in FAMILY_NAMES:
                raise ValueError(f"input must be one of {FAMILY_NAMES}, a scipy.stats distribution or a sample, got {input!r}")
            self.kind, self.name = "family", input
        elif hasattr(input, "rvs") and hasattr(input, "stats") and hasattr(input, "dist"):
            mean, var = (float(v) for v in input.stats(moments="mv"))
            if not (math.isfinite(mean) and math.isfinite(var) and var > 0):
                raise ValueError("input distribution must have a finite mean and a positive finite variance")
            self.kind, self.name, self._dist = "scipy", input.dist.name, input
            self._mean, self._std = mean, math.sqrt(var)
        else:
            arr = np.asarray(input, dtype=np.float64).ravel()
            if arr.size < 8 or not np.all(np.isfinite(arr)) or arr.std() == 0:
                raise ValueError("input sample must hold at least 8 finite, not all equal values")
            self.kind, self.name = "sample", "sample"
            self._sample = xp.asarray((arr - arr.mean()) / arr.std())

    def draw(self, rng: Any, shape: tuple[int, ...], dtype: str = "float64"):
        xp = self.xp
        if self.kind == "family":
            if self.name == "gaussian":
                return rng.standard_normal(shape, dtype=dtype)
            if self.name == "exponential":
                return rng.standard_exponential(shape, dtype=dtype) - 1
            if self.name == "uniform":
                return (2 * rng.random(shape, dtype=dtype) - 1) * math.sqrt(3)
            # Laplace with variance 1 (scale 1/sqrt 2) as a difference of exponentials: never infinite
            e = rng.standard_exponential((2, *shape), dtype=dtype)
            return (e[0] - e[1]) / math.sqrt(2)
        if self.kind == "scipy":
            if xp is not np:
                raise ValueError("scipy.stats inputs run on the NumPy backend only")
            draws = self._dist.rvs(size=shape, random_state=rng)
            return ((draws - self._mean) / self._std).astype(dtype)
        idx = rng.integers(0, self._sample.shape[0], size=shape)
        return self._sample[idx].astype(dtype)
