"""Streaming mean and standard error of i.i.d. units, merged chunk by chunk (Chan et al.'s
pairwise update), so a Monte-Carlo run of any length holds O(1) numbers per quantity."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Estimate:
    """A Monte-Carlo mean with its standard error over ``units`` i.i.d. units.

    Parameters
    ----------
    value : float
        The mean.
    stderr : float
        Its standard error.
    units : int
        Number of i.i.d. units behind it.
    """

    value: float
    stderr: float
    units: int

    def to_dict(self) -> dict:
        """The estimate as a JSON-ready dict.

        Returns
        -------
        dict
            ``value``, ``stderr`` and ``units``.
        """
        return {"value": self.value, "stderr": self.stderr, "units": self.units}


class RunningMean:
    """Accumulates count, mean and centred sum of squares of scalar units."""

    __slots__ = ("count", "mean", "m2")

    def __init__(self) -> None:
        self.count, self.mean, self.m2 = 0, 0.0, 0.0

    def add_chunk(self, count: int, mean: float, m2: float) -> None:
        if count == 0:
            return
        total = self.count + count
        delta = mean - self.mean
        self.mean += delta * count / total
        self.m2 += m2 + delta * delta * self.count * count / total
        self.count = total

    def add(self, xp, values) -> None:
        """Add a 1-D array of units (NumPy or CuPy); the reduction runs on the array's device."""
        n = int(values.shape[0])
        if n == 0:
            return
        mean = xp.mean(values, dtype=xp.float64)
        m2 = xp.sum((values - mean) ** 2, dtype=xp.float64)
        self.add_chunk(n, float(mean), float(m2))

    def estimate(self) -> Estimate:
        if self.count < 2:
            return Estimate(self.mean, math.inf, self.count)
        var = self.m2 / (self.count - 1)
        return Estimate(self.mean, math.sqrt(var / self.count), self.count)


class RunningRatio:
    """A ratio of sums :math:`\\sum a_b/\\sum c_b` over i.i.d. units with its delta-method error
    (used for averages inside bins of :math:`\\bar n`, where counts per batch vary)."""

    __slots__ = ("a", "c", "aa", "cc", "ac", "n")

    def __init__(self) -> None:
        self.a = self.c = self.aa = self.cc = self.ac = 0.0
        self.n = 0

    def add_sums(self, n: int, a: float, c: float, aa: float, cc: float, ac: float) -> None:
        self.n += n
        self.a += a
        self.c += c
        self.aa += aa
        self.cc += cc
        self.ac += ac

    def estimate(self) -> Estimate:
        if self.c == 0 or self.n < 2:
            return Estimate(math.nan, math.inf, self.n)
        r = self.a / self.c
        # Var(a_b - r c_b) per unit, around its (zero) mean
        var = (self.aa - 2 * r * self.ac + r * r * self.cc) / (self.n - 1)
        cbar = self.c / self.n
        return Estimate(r, math.sqrt(max(var, 0.0) / self.n) / cbar, self.n)


class RunningVariance:
    """Variance of i.i.d. units with the standard error of the sample variance (needs m4)."""

    def __init__(self, shift: float) -> None:
        self.shift = shift
        self.n = 0
        self.s = [0.0, 0.0, 0.0, 0.0]

    def add(self, xp, values) -> None:
        v = values - self.shift
        self.n += int(v.shape[0])
        v2 = v * v  # products, not v**k: pow of a negative base is ~70x slower in libm
        for k, power in enumerate((v, v2, v2 * v, v2 * v2)):
            self.s[k] += float(xp.sum(power, dtype=xp.float64))

    def estimate(self) -> Estimate:
        n = self.n
        m1, m2, m3, m4 = (s / n for s in self.s)
        var = m2 - m1 * m1
        mu4 = m4 - 4 * m3 * m1 + 6 * m2 * m1 * m1 - 3 * m1**4
        se = math.sqrt(max(mu4 - var * var * (n - 3) / (n - 1), 0.0) / n)
        return Estimate(var * n / (n - 1), se, n)
