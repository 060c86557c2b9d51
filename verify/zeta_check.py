r"""The gamma-decay check: :math:`\zeta` of :mod:`theory` against BN simulated on real batches.

The simulated quantity is :math:`\tfrac12\mathbb E[A''(\bar h)(\hat h-\bar h)^2]/\gamma^2` from
:func:`sim.simulate_batch_noise`.  The theory side is :math:`\zeta+\zeta_2` (first order plus the
derived :math:`M^{-2}` term); the bias bound is :math:`2|\zeta_3|`, twice the derived
:math:`M^{-3}` term, which covers the truncated orders as long as the series is converging
(the tests check this assumption on the exact Gaussian results).

**Dirac terms.**  The simulation evaluates the curvature at the sampled :math:`\bar h`, where a
:math:`J\delta(h-b)` (a jump of :math:`g`) is invisible.  It is simulated as a box
:math:`J\,\mathbf 1_{|h-b|<\epsilon}/(2\epsilon)` of half-width :math:`\epsilon=` :data:`BOX_HALF_WIDTH`
:math:`\cdot\gamma`, whose expectation is exactly the average of
:math:`q(y)=p_h(y)\,\mathbb E[(\hat h-\bar h)^2/\gamma^2\mid\bar h=y]` over the box instead of
:math:`q(b)`.  The difference is derived (with :math:`q` through :math:`c_1/M+c_2/M^2`) and
twice its size is added to the bias bound; it is :math:`O(\epsilon^2)` where the density is smooth
at :math:`b` and :math:`O(\epsilon)` at a kink of the density (Laplace at 0).

**ζ = 0** (an odd :math:`A''` under a symmetric input) is a result: the check then holds when
:math:`|\hat s|\le 4.5\,\mathrm{SE}+b`, with ``scale`` the same formula on :math:`|A''|`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import mpmath
import numpy as np
import sympy as sp

from sim import GLM, Estimate, simulate_batch_noise
from theory import (
    INPUT_FAMILIES,
    DivergentExpectation,
    ZetaResult,
    activation_expression,
    conditional_error_coefficients,
    curvature,
    curvature_parts,
    zeta,
    zeta_corrections,
)
from theory.errors import batch_size
from theory.symbols import N_BAR, X

from .check import Check

#: why the zeta checks' tolerance is what it is (printed in the report)
ZETA_REASON = (
    "4.5 SE (false alarm 7e-6 per check) + 2|zeta_3|: theory is zeta + zeta_2 (derived M^-2 term); "
    "the truncated M^-3.. orders are bounded by twice the derived M^-3 term"
)
#: half-width, in units of gamma (so in standardized z), of the box a Dirac term is simulated as
BOX_HALF_WIDTH = 0.02
BOX_REASON = (f"; each Dirac term of A'' simulated as a box of half-width {BOX_HALF_WIDTH} gamma, "
              "plus twice its derived smoothing shift")
Status = Literal["holds", "disagrees", "undefined", "unverifiable"]


def zeta_check(name: str, section: str, result: ZetaResult, simulated: Estimate, samples: int,
               *, smoothing_bias: float = 0.0) -> Check:
    """Compare a simulated gamma-decay term with ``result`` (a family input); ``smoothing_bias``
    bounds the shift of simulating Dirac terms as boxes (0 without them)."""
    z2, z3 = zeta_corrections(result.activation, result.M, gamma=result.gamma, beta=result.beta,
                              input=result.input, bias=result.bias)
    return Check(
        name=name, section=section, theory=result.value + z2, simulated=simulated.value,
        stderr=simulated.stderr, bias_bound=2 * abs(z3) + result.error + smoothing_bias,
        reason=ZETA_REASON + (BOX_REASON if result.deltas else ""), samples=samples,
        scale=result.scale if result.scale > 0 else None, kind="zeta",
    )


def simulated_curvature(g: sp.Expr, gamma: float) -> sp.Expr:
    """:math:`A''` with each Dirac term replaced by its box (what the simulation evaluates)."""
    regular, deltas = curvature_parts(g)
    eps = sp.Rational(repr(BOX_HALF_WIDTH * gamma))
    boxes = sum((w * (sp.Heaviside(X - b + eps) - sp.Heaviside(X - b - eps)) / (2 * eps) for b, w in deltas),
                sp.Integer(0))
    return regular + boxes


def smoothing_shift(result: ZetaResult) -> float:
    r""":math:`\sum_j\tfrac{J_j}{2\gamma}\big[\overline{pc}-p c\,(z_j)\big]`: the exact change of the
    simulated term from boxes instead of deltas, with :math:`c=c_1/M+c_2/M^2`."""
    family = INPUT_FAMILIES[result.input]
    c = sum(family.substitute(conditional_error_coefficients(k, centered=result.bias)) / result.M**k for k in (1, 2))
    lo, hi = (float(e) for e in family.support)
    z = family.variable
    f = sp.lambdify(z, family.density * c.subs(N_BAR, z), modules="mpmath")

    def weight(t):
        return f(t) if lo <= t <= hi else 0

    total = 0.0
    for b, w in result.deltas:
        zb = (b - result.beta) / result.gamma
        ends = [mpmath.mpf(zb - BOX_HALF_WIDTH), mpmath.mpf(zb), mpmath.mpf(zb + BOX_HALF_WIDTH)]
        ends = sorted({*ends, *(mpmath.mpf(e) for e in (lo, hi, *map(float, family.kinks)) if ends[0] < e < ends[-1])})
        with mpmath.workdps(30):
            average = mpmath.quad(weight, ends) / (2 * BOX_HALF_WIDTH)
        at = sp.N(family.density.subs(z, sp.Rational(repr(zb))) * c.subs(N_BAR, sp.Rational(repr(zb))), 30)
        if zb in (lo, hi):
            at = at / 2
        total += w / (2 * result.gamma) * (float(average) - float(at))
    return total


#: fewest expected samples inside each Dirac term's box: below it the estimate is a mean of rare
#: large values whose standard error is itself unreliable (the Gaussian approximation of the
#: check's 4.5 SE fails), so the check is not run
MIN_BOX_HITS = 500


def fewest_box_hits(result: ZetaResult, samples: int) -> float:
    """The smallest expected number of simulated values inside a Dirac term's box."""
    family = INPUT_FAMILIES[result.input]
    f = sp.lambdify(family.variable, family.density, modules="mpmath")
    lo, hi = (float(e) for e in family.support)
    hits = []
    for b, _ in result.deltas:
        zb = (b - result.beta) / result.gamma
        a, c = max(lo, zb - BOX_HALF_WIDTH), min(hi, zb + BOX_HALF_WIDTH)
        inner = [mpmath.mpf(float(k)) for k in family.kinks if a < float(k) < c]
        with mpmath.workdps(20):
            hits.append(samples * float(mpmath.quad(f, [mpmath.mpf(a), *inner, mpmath.mpf(c)])) if a < c else 0.0)
    return min(hits, default=math.inf)


@dataclass(frozen=True)
class ActivationCheck:
    """What ``verify.activation`` reports: the status, the theory (None when ζ does not exist),
    the Monte-Carlo check (None when it is not meaningful) and why."""

    status: Status
    activation: sp.Expr
    d2A: sp.Expr
    result: ZetaResult | None = None
    check: Check | None = None
    reason: str | None = None

    def __iter__(self):
        """``result, check = activation_check(...)`` as before this type existed."""
        return iter((self.result, self.check))


def _simulate(result: ZetaResult, samples: int, seed, backend: str) -> tuple[Estimate, int]:
    M = batch_size(result.M, name="M (batch size)")  # the simulation needs a whole batch
    glm = GLM(simulated_curvature(result.activation, result.gamma))
    with np.errstate(all="ignore"):  # Piecewise branches are evaluated everywhere, used only on their piece
        sim = simulate_batch_noise(M, input=result.input, glms={"g": glm}, gamma=result.gamma, beta=result.beta,
                                   bias=result.bias, samples=samples, seed=seed, backend=backend)
    return sim.second_order["g"], sim.samples


def activation_check(
    activation: str | sp.Expr,
    M: int,
    *,
    gamma: float = 1.0,
    beta: float = 0.0,
    input: str = "gaussian",
    samples: int = 2**22,
    seed: int | np.random.SeedSequence = 0,
    backend: str = "numpy",
) -> ActivationCheck:
    """Derive :math:`\\zeta` for ``activation`` and check it against a simulation of ``samples``
    values; ``ValueError`` for bad input (not real on the support, undecidable, malformed)."""
    g = activation_expression(activation)
    try:
        result = zeta(g, M, gamma=gamma, beta=beta, input=input)
    except DivergentExpectation as exc:
        return ActivationCheck("undefined", g, curvature(g), reason=str(exc))
    if result.monte_carlo is not None:
        return ActivationCheck("unverifiable", g, result.d2A, result, reason=result.monte_carlo)
    try:
        zeta_corrections(g, M, gamma=gamma, beta=beta, input=input)
    except DivergentExpectation as exc:
        return ActivationCheck("unverifiable", g, result.d2A, result,
                               reason=f"the M^-2 and M^-3 terms the check needs do not exist: {exc}")
    if (hits := fewest_box_hits(result, samples)) < MIN_BOX_HITS:
        return ActivationCheck("unverifiable", g, result.d2A, result, reason=(
            f"only {hits:.0f} of the {samples} simulated values are expected inside the box of a Dirac term "
            f"(at least {MIN_BOX_HITS} are needed for its standard error): use more samples"))
    seed = np.random.SeedSequence(seed) if isinstance(seed, (int, np.integer)) else seed
    estimate, n = _simulate(result, samples, seed, backend)
    if not (math.isfinite(estimate.value) and math.isfinite(estimate.stderr)):
        return ActivationCheck("unverifiable", g, result.d2A, result,
                               reason="the simulated term is not finite at some sampled h")
    label = f"zeta[{activation if isinstance(activation, str) else sp.sstr(activation)}, {input}, M={M}]"
    check = zeta_check(label, "1.3", result, estimate, n, smoothing_bias=2 * abs(smoothing_shift(result)))
    return ActivationCheck("holds" if check.holds else "disagrees", g, result.d2A, result, check)
