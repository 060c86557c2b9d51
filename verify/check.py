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


def student_k(units: int, k: float = K_DEFAULT, *, level: float | None = None) -> float:
    """k for an SE estimated from ``units`` independent units: the Student-t quantile (``units - 1``
    dof) with the same two-sided tail probability as ``k`` for a known SE, so a check with few
    units has the same false-alarm rate as one with many.  bnreg's one Student-t multiplier: a
    claim judged at a conventional one-sided ``level`` (the CNN study's 97.5%) asks for that level
    instead of ``k`` (it is ``k`` = the normal ``level`` quantile, without rounding ``k``).

    Parameters
    ----------
    units : int
        Number of independent units behind the SE, >= 2.
    k : float, default K_DEFAULT
        The multiplier for a known SE.
    level : float, optional
        A one-sided confidence level in (0.5, 1) to use instead of ``k``: the Student-t ``level`` quantile.

    Returns
    -------
    float
        The Student-t multiplier.

    Raises
    ------
    ValueError
        If ``units`` < 2 (one unit estimates no SE).
    """
    if units < 2:
        raise ValueError(f"a standard error needs at least 2 independent units, got {units}")
    if level is not None:
        return float(stats.t.ppf(level, units - 1))
    tail = 2 * stats.norm.sf(k)
    return float(stats.t.isf(tail / 2, units - 1))


def z_score(difference: float, stderr: float) -> float:
    """A difference in units of its standard error: 0 when both are 0, +-inf when only the SE is.

    Parameters
    ----------
    difference : float
        Estimate minus reference.
    stderr : float
        The estimate's standard error, >= 0.

    Returns
    -------
    float
        ``difference / stderr``.
    """
    if stderr == 0:
        return 0.0 if difference == 0 else math.copysign(math.inf, difference)
    return difference / stderr


def within_tolerance(difference: float, stderr: float, k: float, bias: float) -> bool:
    """bnreg's one acceptance rule, for checks and claims alike: :math:`|d| \\le k\\,\\mathrm{SE} + b`
    (with SE = 0 the difference must be within the bias bound :math:`b`).

    Parameters
    ----------
    difference : float
        Estimate minus reference.
    stderr : float
        The estimate's standard error, >= 0.
    k : float
        Number of standard errors allowed.
    bias : float
        Bound on the estimate's bias, >= 0.

    Returns
    -------
    bool
        Whether the difference is within ``k * stderr + bias``.
    """
    return abs(difference) <= k * stderr + bias


def series_terms(values: list[float]) -> tuple[float, float]:
    """The theory value and bias bound of a truncated series: the sum of all but the last derived
    term, and twice the last (it bounds the omitted orders while the series converges)."""
    return sum(values[:-1]), 2 * abs(values[-1])


@dataclass(frozen=True)
class Check:
    """A theory value, a simulated value with its standard error, and the tolerance model.

    ``kind`` says what is compared (e.g. ``"Var mu_B"``, ``"zeta"``): checks of one kind share a
    theory, a tolerance rule and a planted-error size in the tests; ``name`` adds the case.

    Parameters
    ----------
    name : str
        The case.
    section : str
        The seed's section it checks.
    theory : float
        The theory value.
    simulated : float
        The simulated value.
    stderr : float
        Its standard error, >= 0.
    bias_bound : float
        Bound :math:`b` on the simulation's bias, >= 0.
    reason : str
        Where the bias bound comes from.
    k : float, default K_DEFAULT
        Multiplier of the SE in the tolerance, > 0.
    samples : int, default 0
        Units behind the estimate.
    scale : float or None, default None
        Size errors are measured against (checks whose theory value is 0).
    kind : str
        What is compared (keyword only, required).

    Raises
    ------
    ValueError
        If a number is not finite, ``stderr`` or ``bias_bound`` < 0, ``k`` or ``scale`` not > 0, or
        ``kind`` is empty.
    """

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
        """Simulated minus theory."""
        return self.simulated - self.theory

    @property
    def z(self) -> float:
        """Difference in units of the simulation's standard error (inf when SE is 0)."""
        return z_score(self.difference, self.stderr)

    @property
    def holds(self) -> bool:
        """Whether the difference is within the tolerance."""
        return within_tolerance(self.difference, self.stderr, self.k, self.bias_bound)

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
        """The check as a JSON-ready dict.

        Returns
        -------
        dict
            The fields with the tolerance, z and the verdict.
        """
        out = asdict(self)
        out.update(
            tolerance=self.tolerance,
            z=self.z if math.isfinite(self.z) else None,
            holds=self.holds,
            detectable_relative_error=self.detectable_relative_error,
        )
        return out
