r"""Part 1 of the seed (§1.1–1.5) against Monte-Carlo of real BN: the checks and their figures.

Tolerance policy (every check): :math:`|\hat s-t|\le 4.5\,\mathrm{SE}+b`.  Where the theory is
exact (Gaussian finite-:math:`M` results, :math:`\operatorname{Var}\mu_B`, symmetry zeros) the
bias bound :math:`b` is 0.  Where it is an expansion in :math:`1/M`, the theory value is the
expansion through the highest order whose next term is derived, and :math:`b` is twice that
next derived term (the factor 2 covers the orders beyond it while the series converges; the
tests check it against the exact Gaussian values).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

import mpmath
import numpy as np
import sympy as sp

from sim import GLM, BatchNoiseResult, simulate_batch_noise
from sim.executor import Executor
from theory import (
    INPUT_FAMILIES,
    NAMED_ACTIVATIONS,
    conditional_error_coefficients,
    conditional_mean_coefficients,
    cov_mu_sigma_B_series,
    curvature,
    mean_sigma_B_gaussian,
    overall_error,
    var_sigma_B_series,
    zeta,
)
from theory.symbols import M as M_SYM
from theory.symbols import N_BAR, SIGMA_P, X
from theory.normalization_error import average_over_n
from theory.activations import log_partition

from ._part import PartResult
from .check import Check
from .context import RunContext
from .zeta_check import zeta_check

EXACT = "4.5 SE (false alarm 7e-6 per check); the theory is exact at this M, so no bias allowance"
SERIES = "4.5 SE + twice the first omitted, derived term of the 1/M expansion"
ZERO = "4.5 SE; exactly 0 by symmetry (z -> -z) or because labels follow the model (E[y|x] = A'), no bias"

GLM_NAMES = ("identity", "squared_loss", "relu", "softplus", "sigmoid", "tanh")


@dataclass(frozen=True)
class Stream:
    """One Monte-Carlo run: input family, batch size, gamma, beta, whether BN subtracts the mean."""

    input: str
    M: int
    gamma: float = 1.0
    beta: float = 0.0
    bias: bool = True
    activations: tuple[str, ...] = GLM_NAMES

    @property
    def key(self) -> str:
        extra = "" if (self.gamma, self.beta) == (1.0, 0.0) else f",gamma={self.gamma},beta={self.beta}"
        return f"{self.input},M={self.M}{extra}{'' if self.bias else ',no-bias'}"


def streams(ctx: RunContext) -> list[Stream]:
    gauss_M = ctx.pick((8, 32, 128), (8, 16, 32, 64, 128), (4, 8, 16, 32, 64, 128, 256))
    out = [Stream("gaussian", M) for M in gauss_M]
    out += [Stream(f, 128, activations=("identity", "relu", "sigmoid", "tanh")) for f in ("laplace", "uniform")]
    out += [Stream("exponential", 128, activations=("identity", "relu", "tanh"))]
    out += [Stream("gaussian", 32, gamma=1.5, beta=0.5, activations=("relu", "softplus", "sigmoid", "tanh"))]
    out += [Stream("gaussian", 32, bias=False, activations=("identity", "squared_loss", "relu"))]
    return out


def _glm(name: str) -> GLM:
    g = NAMED_ACTIVATIONS[name]
    quadratic = name in ("identity", "squared_loss")  # A''' = 0: the loss gap is exactly the 2nd-order term
    return GLM(curvature(g), g, log_partition(g) if quadratic else None)


#: labels y = h_bar + c He_3(n) (+ noise): the PN least-squares optimum is unchanged (He_3 is
#: orthogonal to 1 and n under a Gaussian), but E[y|x] != A'(h_bar) pointwise
MISFIT_C = sp.Rational(1, 4)
MISFIT = MISFIT_C * (X**3 - 3 * X)
MISSPECIFIED = "identity, labels + He3/4"


def _has_misspecified(s: Stream) -> bool:
    return (s.input, s.M, s.bias, s.gamma, s.beta) == ("gaussian", 32, True, 1.0, 0.0)


def run_stream(ctx: RunContext, s: Stream) -> BatchNoiseResult:
    samples = ctx.pick(2**22, 2**24, 2**26)
    glms = {a: _glm(a) for a in s.activations}
    if _has_misspecified(s):
        g = NAMED_ACTIVATIONS["identity"]
        glms[MISSPECIFIED] = GLM(curvature(g), g, misfit=MISFIT)
    return simulate_batch_noise(
        s.M, input=s.input, glms=glms, gamma=s.gamma, beta=s.beta, bias=s.bias,
        samples=samples, seed=ctx.seed_sequence(s.key), backend=ctx.backend, dtype=ctx.dtype,
        chunk_samples=2**20, progress=None,
    )


# ------------------------------------------------------------------------------------------------
# theory values


def gaussian_mean_sigma(M: int) -> float:
    """Exact :math:`\\mathbb E\\sigma_B/\\sigma_P` for Gaussian h (ddof 0)."""
    return float(sp.N(mean_sigma_B_gaussian(0).subs({SIGMA_P: 1, M_SYM: M}), 30))


def _family_value(expr: sp.Expr, family: str, M: int) -> float:
    return float(INPUT_FAMILIES[family].substitute(expr).subs(M_SYM, M))


def _series_with_bound(orders: list[sp.Expr], family: str, M: int) -> tuple[float, float]:
    """(sum of all but the last term, twice the last term) for a family and M."""
    values = [_family_value(e, family, M) for e in orders]
    return sum(values[:-1]), 2 * abs(values[-1])


def bin_average(poly: sp.Expr, family: str, lo: float, hi: float) -> float:
    fam = INPUT_FAMILIES[family]
    f = sp.lambdify(fam.variable, fam.substitute(poly).subs(N_BAR, fam.variable) * fam.density, "mpmath")
    p = sp.lambdify(fam.variable, fam.density, "mpmath")
    a, b = max(lo, float(fam.support[0])), min(hi, float(fam.support[1]))
    if a >= b:
        raise ValueError(f"bin [{lo}, {hi}) lies outside the support of {family}")
    with mpmath.workdps(25):
        return float(mpmath.quad(f, [a, b]) / mpmath.quad(p, [a, b]))


# ------------------------------------------------------------------------------------------------
# checks


def _error_series_check(s: Stream, r: BatchNoiseResult) -> Check:
    orders = [overall_error(j, centered=s.bias) for j in (1, 2, 3)]
    theory, bound = _series_with_bound([orders[0], orders[1] - orders[0], orders[2] - orders[1]], s.input, s.M)
    return Check(f"E(h_hat-h_bar)^2 [{s.key}]", "1.3", theory, r.error.value, r.error.stderr, bound, SERIES,
                 samples=r.samples)


def statistics_checks(s: Stream, r: BatchNoiseResult) -> list[Check]:
    M, k = s.M, s.key
    if not s.bias:  # no mean subtraction: only the error has a theory here
        return [_error_series_check(s, r)]
    out = [
        Check(f"Var mu_B [{k}]", "1.3", 1.0 / M, r.var_mu_B.value, r.var_mu_B.stderr, 0.0,
              "4.5 SE; Var mu_B = sigma_P^2/M is exact for any distribution", samples=r.samples),
    ]
    if INPUT_FAMILIES[s.input].skewness == 0:
        out.append(Check(f"Cov(mu_B, sigma_B) [{k}]", "1.3", 0.0, r.cov_mu_sigma_B.value, r.cov_mu_sigma_B.stderr,
                         0.0, ZERO, samples=r.samples, scale=1.0 / (2 * M)))
    else:
        c1 = cov_mu_sigma_B_series(1)
        theory, bound = _series_with_bound([c1, cov_mu_sigma_B_series(2) - c1], s.input, M)
        out.append(Check(f"Cov(mu_B, sigma_B) [{k}]", "1.3", theory, r.cov_mu_sigma_B.value, r.cov_mu_sigma_B.stderr,
                         bound, SERIES, samples=r.samples))
    if s.input == "gaussian":
        e = gaussian_mean_sigma(M)
        out += [
            Check(f"E sigma_B [{k}]", "1.3", e, r.mean_sigma_B.value, r.mean_sigma_B.stderr, 0.0, EXACT,
                  samples=r.samples),
            Check(f"Var sigma_B [{k}]", "1.3", (M - 1) / M - e * e, r.var_sigma_B.value, r.var_sigma_B.stderr, 0.0,
                  EXACT, samples=r.samples),
            Check(f"E(h_hat-h_bar)^2 [{k}]", "1.1", 2 * (1 - e), r.error.value, r.error.stderr, 0.0,
                  EXACT + " (2(1 - E sigma_B), exchangeability)", samples=r.samples),
        ]
    else:
        t1, t2, t3 = (var_sigma_B_series(k) for k in (1, 2, 3))
        theory, bound = _series_with_bound([t1, t2 - t1, t3 - t2], s.input, M)
        out.append(Check(f"Var sigma_B [{k}]", "1.3", theory, r.var_sigma_B.value, r.var_sigma_B.stderr, bound,
                         SERIES, samples=r.samples))
        out.append(_error_series_check(s, r))
    return out


def conditional_checks(s: Stream, r: BatchNoiseResult) -> list[Check]:
    out = []
    c = [conditional_error_coefficients(j) / M_SYM**j for j in (1, 2, 3)]
    for (lo, hi), est in zip(zip(r.bin_edges, r.bin_edges[1:]), r.conditional):
        if not np.isfinite(est.stderr):
            continue
        terms = [bin_average(ck.subs(M_SYM, s.M), s.input, lo, hi) for ck in c]
        out.append(Check(f"E[(h_hat-h_bar)^2 | n in [{lo:g},{hi:g})] [{s.key}]", "1.3", terms[0] + terms[1],
                         est.value, est.stderr, 2 * abs(terms[2]), SERIES, samples=r.samples))
    return out


def misspecified_first_order(M: int) -> tuple[float, float]:
    """Theory of the first-order term for :data:`MISFIT` labels, through M^-2, and its bias bound:
    :math:`-\\mathbb E[\\mathrm{misfit}(\\bar n)\\,\\mathbb E[\\hat h-\\bar h\\mid\\bar n]]/\\gamma^2`."""
    fam = INPUT_FAMILIES["gaussian"]
    terms = [-average_over_n(MISFIT.subs(X, N_BAR) * fam.substitute(conditional_mean_coefficients(k)), fam.moment)
             / M**k for k in (1, 2, 3)]
    values = [float(t) for t in terms]
    return values[0] + values[1], 2 * abs(values[2])


def misspecified_check(s: Stream, r: BatchNoiseResult) -> Check:
    theory, bound = misspecified_first_order(s.M)
    est = r.first_order[MISSPECIFIED]
    return Check(f"first-order term, misspecified labels [{s.key}]", "1.3", theory, est.value, est.stderr, bound,
                 SERIES, samples=r.samples)


def gamma_decay_checks(s: Stream, r: BatchNoiseResult) -> list[Check]:
    out = [misspecified_check(s, r)] if MISSPECIFIED in r.first_order else []
    for a in s.activations:
        res = zeta(a, s.M, gamma=s.gamma, beta=s.beta, input=s.input, bias=s.bias, method="quadrature")
        out.append(zeta_check(f"zeta[{a}] [{s.key}]", "1.3-1.4", res, r.second_order[a], r.samples))
        if a in r.first_order:
            est = r.first_order[a]
            out.append(Check(f"first-order term [{a}] [{s.key}]", "1.3", 0.0, est.value, est.stderr, 0.0, ZERO,
                             samples=r.samples, scale=res.value))
        if a in r.loss_gap and s.input == "gaussian" and s.bias:
            # quadratic A: the gap is (A''/2) E(h_hat - h_bar)^2 + first order, exactly
            scale = float(curvature(NAMED_ACTIVATIONS[a]))
            gap = scale / 2 * 2 * (1 - gaussian_mean_sigma(s.M))
            est = r.loss_gap[a]
            out.append(Check(f"loss gap E l(h_hat) - E l(h_bar) [{a}] [{s.key}]", "1.3", gap, est.value, est.stderr,
                             0.0, EXACT, samples=r.samples))
    return out


def run(ctx: RunContext, figures_dir: Path, *, executor: Executor | None = None) -> PartResult:
    """Every Part-1 check, the claims of the seed's Part 1, and the Part-1 figures; the Monte-Carlo
    streams (independent, each with its own keyed seed) run on ``executor`` (default: here)."""
    from . import _claims_part1, _figures_part1  # noqa: PLC0415 - keep import of matplotlib lazy

    result = PartResult()
    sims: dict[str, tuple[Stream, BatchNoiseResult]] = {}
    todo = streams(ctx)
    done = dict((executor or Executor()).map_unordered(partial(run_stream, ctx), todo))
    for s in todo:
        r = done[s]
        sims[s.key] = (s, r)
        result.checks += statistics_checks(s, r) + gamma_decay_checks(s, r)
        if (s.input, s.M, s.bias, s.gamma) in (("gaussian", 32, True, 1.0), ("exponential", 128, True, 1.0)):
            result.checks += conditional_checks(s, r)
        result.info[s.key] = {"samples": r.samples, "seconds": r.seconds, "backend": r.backend}
    result.claims += _claims_part1.claims(ctx, sims)
    result.figures += _figures_part1.draw(sims, figures_dir)
    result.arrays.update(_figures_part1.arrays(sims))
    return result
