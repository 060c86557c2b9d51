"""Standardized draws of the pre-activation (mean 0, variance 1) for the Monte-Carlo engine.

``input`` is the name of a family of the registry :data:`theory.INPUT_FAMILIES` (which owns each
law's density and sampler), any frozen ``scipy.stats`` continuous distribution (NumPy only), or a
1-D sample array (resampled with replacement after standardizing)."""

from __future__ import annotations

import math
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from theory import INPUT_FAMILIES
from theory.errors import BadInput


class InputSampler:
    """``draw(rng, shape, dtype)`` -> standardized array on the sampler's backend ``xp``.

    Parameters
    ----------
    input : str, scipy.stats distribution or array_like
        An input family of :data:`theory.INPUT_FAMILIES`, a frozen ``scipy.stats`` distribution
        (NumPy only) or a sample (at least 8 finite, not all equal values).
    xp : module, default numpy
        :mod:`numpy` or :mod:`cupy`.

    Raises
    ------
    BadInput
        If ``input`` is none of these or its variance is not finite and positive.
    """

    def __init__(self, input: Any, xp: ModuleType = np) -> None:
        self.xp = xp
        self._draw: Callable[[Any, tuple[int, ...], str], Any]
        if isinstance(input, str):
            if input not in INPUT_FAMILIES:
                raise BadInput(f"input must be one of {', '.join(INPUT_FAMILIES)}, a scipy.stats distribution "
                                 f"or a sample, got {input!r}")
            self.name, self._draw = input, INPUT_FAMILIES[input].draw
        elif hasattr(input, "rvs") and hasattr(input, "stats") and hasattr(input, "dist"):
            if xp is not np:
                raise BadInput("scipy.stats inputs run on the NumPy backend only")
            mean, var = (float(v) for v in input.stats(moments="mv"))
            if not (math.isfinite(mean) and math.isfinite(var) and var > 0):
                raise BadInput("input distribution must have a finite mean and a positive finite variance")
            self.name = input.dist.name

            def draw(rng: Any, shape: tuple[int, ...], dtype: str) -> Any:
                return ((input.rvs(size=shape, random_state=rng) - mean) / math.sqrt(var)).astype(dtype)
            self._draw = draw
        else:
            arr = np.asarray(input, dtype=np.float64).ravel()
            if arr.size < 8 or not np.all(np.isfinite(arr)) or arr.std() == 0:
                raise BadInput("input sample must hold at least 8 finite, not all equal values")
            sample = xp.asarray((arr - arr.mean()) / arr.std())
            self.name = "sample"

            def draw(rng: Any, shape: tuple[int, ...], dtype: str) -> Any:
                return sample[rng.integers(0, sample.shape[0], size=shape)].astype(dtype)
            self._draw = draw

    def draw(self, rng: Any, shape: tuple[int, ...], dtype: str = "float64"):
        """Draw standardized values.

        Parameters
        ----------
        rng : Generator
            A generator of ``xp``.
        shape : tuple of int
            The shape.
        dtype : {"float64", "float32"}, default "float64"
            The floating-point type of the computation.

        Returns
        -------
        array
            Standardized values.
        """
        return self._draw(rng, shape, dtype)
