"""Standardized draws of the pre-activation (mean 0, variance 1) for the Monte-Carlo engine.

``input`` is the name of a family of the registry :data:`theory.INPUT_FAMILIES` (which owns each
law's density and sampler), any frozen ``scipy.stats`` continuous distribution (NumPy only), or a
1-D sample array (resampled with replacement after standardizing)."""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np

from theory import INPUT_FAMILIES


class InputSampler:
    """``draw(rng, shape, dtype)`` -> standardized array on the sampler's backend ``xp``."""

    def __init__(self, input: Any, xp: ModuleType = np) -> None:
        self.xp = xp
        if isinstance(input, str):
            if input not in INPUT_FAMILIES:
                raise ValueError(f"input must be one of {', '.join(INPUT_FAMILIES)}, a scipy.stats distribution "
                                 f"or a sample, got {input!r}")
            self.name, self._draw = input, INPUT_FAMILIES[input].draw
        elif hasattr(input, "rvs") and hasattr(input, "stats") and hasattr(input, "dist"):
            if xp is not np:
                raise ValueError("scipy.stats inputs run on the NumPy backend only")
            mean, var = (float(v) for v in input.stats(moments="mv"))
            if not (math.isfinite(mean) and math.isfinite(var) and var > 0):
                raise ValueError("input distribution must have a finite mean and a positive finite variance")
            self.name = input.dist.name

            def draw(rng, shape, dtype):
                return ((input.rvs(size=shape, random_state=rng) - mean) / math.sqrt(var)).astype(dtype)
            self._draw = draw
        else:
            arr = np.asarray(input, dtype=np.float64).ravel()
            if arr.size < 8 or not np.all(np.isfinite(arr)) or arr.std() == 0:
                raise ValueError("input sample must hold at least 8 finite, not all equal values")
            sample = xp.asarray((arr - arr.mean()) / arr.std())
            self.name = "sample"

            def draw(rng, shape, dtype):
                return sample[rng.integers(0, sample.shape[0], size=shape)].astype(dtype)
            self._draw = draw

    def draw(self, rng: Any, shape: tuple[int, ...], dtype: str = "float64"):
        return self._draw(rng, shape, dtype)
