"""One theory-versus-simulation comparison with an explicit, written-down tolerance.

A check holds when

.. math:: |\\hat s - t| \\le k\\,\\mathrm{SE}(\\hat s) + b,

where :math:`t` is the theory value, :math:`\\hat s` the simulated value, :math:`k` the
number of standard errors allowed (chosen from the false-alarm rate we accept) and :math:`b`
a stated bound on the bias of the approximation behind :math:`t` (e.g. its
:math:`O(1/M^2)` remainder).  Both numbers and the reason for them live in the check.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from scipy import stats

#: Default number of standard errors.  For a Gaussian estimator, |z| > 4.5 happens with
#: probability 6.8e-6 per check, so a report of ~50 checks raises a false alarm about once in
#: 3000 runs.
K_DEFAULT = 4.5


def student_k(units: int, k: float = K_DEFAULT) -> float:
    """k for an SE estimated from ``units`` independent units: the Student-t quantile (``units - 1``
    dof) with the same two-sided tail probability as ``k`` for a known SE, so a check with few
    units has the same false-alarm rate as one with many."""
    tail = 2 * stats.norm.sf(k)
    return float(stats.t.isf(tail / 2, units - 1))


def series_terms(values: list[float]) -> tuple[float, float]:
    """The theory value and bias bound of a truncated series: the sum of all but the last derived
    term, and twice the last (it bounds the omitted orders while the series converges)."""
    return sum(values[:-1]), 2 * abs(values[-1])


@dataclass(frozen=True)
class Check:
    """A theory value, a simulated value with its standard error, and the tolerance model.

    ``kind`` says what is compared (e.g. ``"Var mu_B"``, ``"zeta"``): checks of one kind share a
    theory, a tolerance rule and a planted-error size in the tests; ``name`` adds the case."""

    name: str
    section: str
    theory: float
    simulated: float
    stderr: float
    bias_bound: float
    reason: str
    k: float = K_DEFAULT
    samples: int = 0
    scale: float | None = None
    kind: str = field(default="", kw_only=True)

    def __post_init__(self) -> None:
        for name in ("theory", "simulated", "stderr", "bias_bound", "k"):
            value = getattr(self, name)
            if not math.isfinite(value):
                raise ValueError(f"Check {self.name!r}: {name} must be finite, got {value!r}")
        if self.scale is not None and not (math.isfinite(self.scale) and self.scale > 0):
            raise ValueError(f"Check {self.name!r}: scale must be positive and finite, got {self.scale!r}")
        if self.stderr < 0 or self.bias_bound < 0 or self.k <= 0:
            raise ValueError(f"Check {self.name!r}: stderr, bias_bound must be >= 0 and k > 0")
        if not self.kind:
            raise ValueError(f"Check {self.name!r}: kind must say what is compared")

    @property
    def tolerance(self) -> float:
        """:math:`k\\,\\mathrm{SE} + b`."""
        return self.k * self.stderr + self.bias_bound

    @property
    def difference(self) -> float:
        return self.simulated - self.theory

    @property
    def z(self) -> float:
        """Difference in units of the simulation's standard error (inf when SE is 0)."""
        if self.stderr == 0:
            return 0.0 if self.difference == 0 else math.copysign(math.inf, self.difference)
        return self.difference / self.stderr

    @property
    def holds(self) -> bool:
        return abs(self.difference) <= self.tolerance

    @property
    def reference(self) -> float:
        """The size errors are measured against: ``scale`` when given (checks whose theory
        value is 0), else :math:`|t|`."""
        return self.scale if self.scale is not None else abs(self.theory)

    @property
    def detectable_relative_error(self) -> float:
        """Smallest relative error (of :attr:`reference`) that fails this check in either direction.

        A theory value planted as :math:`t\\pm\\epsilon r` moves the difference by
        :math:`\\epsilon r`; it fails for sure once :math:`\\epsilon r > b + k\\mathrm{SE} + |\\hat s - t|`.
        """
        if self.reference == 0:
            return math.inf
        return (self.tolerance + abs(self.difference)) / self.reference

    def to_dict(self) -> dict:
        out = asdict(self)
        out.update(
            tolerance=self.tolerance,
            z=self.z if math.isfinite(self.z) else None,
            holds=self.holds,
            detectable_relative_error=self.detectable_relative_error,
        )
        return out
