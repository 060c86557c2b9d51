r"""Batch statistics :math:`\mu_B,\sigma_B` (seed §1.3): :mod:`theory.batch_statistics` against the
Monte-Carlo of real batches, and the seed's statements about their distributions.

Tolerance (every check): :math:`|\hat s-t|\le 4.5\,\mathrm{SE}+b` with :math:`b=0` where the theory
is exact (:math:`\operatorname{Var}\mu_B`, the Gaussian chi law, symmetry zeros) and twice the first
omitted derived term of the :math:`1/M` series otherwise.
"""

from __future__ import annotations

import sympy as sp

from sim import BatchNoiseResult
from theory import INPUT_FAMILIES, cov_mu_sigma_B_series, mean_sigma_B_series, var_mu_B, var_sigma_B_series
from theory.batch_statistics import gaussian_sigma_B_mean, var_sigma_B_leading
from theory.notation import text
from theory.symbols import RHO, SIGMA_P
from theory.symbols import M as M_SYM

from . import _streams
from ._ladder import Ladder
from .check import Check, series_terms
from .claim import Claim, Equality, Number
from .context import RunContext
from .requests import BatchNoiseRequest

LADDER = Ladder("batch_statistics", "Batch statistics mu_B, sigma_B (§1.3)")

EXACT = "4.5 SE (false alarm 7e-6 per check); the theory is exact at this M, so no bias allowance"
SERIES = "4.5 SE + twice the first omitted, derived term of the 1/M expansion"
ZERO = "4.5 SE; exactly 0 by symmetry (z -> -z), no bias"


@LADDER.requests
def _requests(ctx: RunContext) -> dict[_streams.Stream, BatchNoiseRequest]:
    return {s: s.request(ctx) for s in _streams.plan(ctx) if s.bias}


def _series(family: str, M: int, orders: list[sp.Expr]) -> tuple[float, float]:
    """Theory value and bias bound of a series given by its partial sums through orders 1, 2, ..."""
    fam = INPUT_FAMILIES[family]
    terms = [orders[0]] + [b - a for a, b in zip(orders, orders[1:])]
    return series_terms([fam.value(t, M) for t in terms])


def _var_mu(s: _streams.Stream, r: BatchNoiseResult) -> Check:
    return Check(f"Var mu_B [{s.key}]", "1.3", 1.0 / s.M, r.var_mu_B.value, r.var_mu_B.stderr, 0.0,
                 "4.5 SE; Var mu_B = sigma_P^2/M is exact for any distribution", samples=r.samples, kind="Var mu_B")


def _cov(s: _streams.Stream, r: BatchNoiseResult) -> Check:
    est, name = r.cov_mu_sigma_B, f"Cov(mu_B, sigma_B) [{s.key}]"
    if INPUT_FAMILIES[s.input].skewness == 0:
        return Check(name, "1.3", 0.0, est.value, est.stderr, 0.0, ZERO, samples=r.samples, scale=1.0 / (2 * s.M),
                     kind="Cov(mu_B, sigma_B)")
    theory, bound = _series(s.input, s.M, [cov_mu_sigma_B_series(1), cov_mu_sigma_B_series(2)])
    return Check(name, "1.3", theory, est.value, est.stderr, bound, SERIES, samples=r.samples,
                 kind="Cov(mu_B, sigma_B)")


def _sigma(s: _streams.Stream, r: BatchNoiseResult) -> list[Check]:
    if s.input != "gaussian":
        theory, bound = _series(s.input, s.M, [var_sigma_B_series(k) for k in (1, 2, 3)])
        return [Check(f"Var sigma_B [{s.key}]", "1.3", theory, r.var_sigma_B.value, r.var_sigma_B.stderr, bound,
                      SERIES, samples=r.samples, kind="Var sigma_B")]
    e = gaussian_sigma_B_mean(s.M)
    return [
        Check(f"E sigma_B [{s.key}]", "1.3", e, r.mean_sigma_B.value, r.mean_sigma_B.stderr, 0.0, EXACT,
              samples=r.samples, kind="E sigma_B"),
        Check(f"Var sigma_B [{s.key}]", "1.3", (s.M - 1) / s.M - e * e, r.var_sigma_B.value, r.var_sigma_B.stderr,
              0.0, EXACT, samples=r.samples, kind="Var sigma_B"),
    ]


@LADDER.checks
def statistics_checks(ctx: RunContext, sims) -> list[Check]:
    return [c for s, r in sims.items() for c in (_var_mu(s, r), _cov(s, r), *_sigma(s, r))]


@LADDER.claim(needs=(_streams.GAUSSIAN_32,))
def mu_B_distribution(ctx: RunContext, sims) -> Claim:
    s = _streams.GAUSSIAN_32
    est = sims[s].var_mu_B
    return Claim(
        "mu_B-distribution", "1.3", "μ_B ~ N(μ_P, σ_P²/M)",
        Equality(SIGMA_P**2 / M_SYM, var_mu_B()),
        derived="Var μ_B = σ_P²/M exactly (normal only as M → ∞ for non-Gaussian h)",
        evidence=(Number(f"Var μ_B, Gaussian h, M = {s.M}: simulated", est.value, est.stderr),
                  Number("exact", 1 / s.M, exact=True)),
        printed_expr=SIGMA_P**2 / M_SYM, derived_expr=var_mu_B())


@LADDER.claim(needs=(_streams.GAUSSIAN_32,))
def sigma_B_distribution(ctx: RunContext, sims) -> Claim:
    s = _streams.GAUSSIAN_32
    r = sims[s]
    printed = (RHO + 2) / (4 * M_SYM)
    return Claim(
        "sigma_B-distribution", "1.3", "σ_B ~ N(σ_P, (ρ+2)/(4M))",
        Equality(printed, var_sigma_B_series(2), leading=var_sigma_B_leading().subs(SIGMA_P, 1)),
        derived=(f"Var σ_B = {text(var_sigma_B_leading())} + O(M⁻²); "
                 f"E σ_B/σ_P = {text(sp.expand(mean_sigma_B_series(1)))} + O(M⁻²)"),
        evidence=(Number(f"Var σ_B, Gaussian h, M = {s.M}: simulated", r.var_sigma_B.value, r.var_sigma_B.stderr),
                  Number("printed", 2 / (4 * s.M), exact=True),
                  Number("exact (chi law)", (s.M - 1) / s.M - gaussian_sigma_B_mean(s.M) ** 2, exact=True),
                  Number("E σ_B: simulated", r.mean_sigma_B.value, r.mean_sigma_B.stderr)),
        correction="holds to first order for σ_P = 1; in general Var σ_B = σ_P²(ρ+2)/(4M), and σ_B is biased low: "
                   "E σ_B = σ_P(1 − (ρ+6)/(8M)) + O(M⁻²)",
        printed_expr=printed, derived_expr=var_sigma_B_leading())
