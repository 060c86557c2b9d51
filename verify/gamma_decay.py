r"""Gamma decay :math:`\zeta(h)` (seed §1.3–1.4): :func:`theory.zeta` against the simulated
second-order term on real batches, the first-order Taylor term and the loss gap, and the seed's
statements about :math:`\zeta` and its special cases.

The zeta checks compare :math:`\zeta+\zeta_2` with the simulation and allow 4.5 SE +
:math:`2|\zeta_3|` (:mod:`verify.zeta_check`); the first-order term is exactly 0 for labels that
follow the model; for a quadratic :math:`A` the loss gap is exact at finite M.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import sympy as sp

from sim import GLM, BatchNoiseResult
from theory import (
    INPUT_FAMILIES,
    NAMED_ACTIVATIONS,
    conditional_mean_coefficients,
    curvature,
    zeta,
    zeta_corrections,
    zeta_formula,
)
from theory.activations import log_partition, relu_curvature_from_softplus, softplus
from theory.batch_statistics import gaussian_sigma_B_mean
from theory.gamma_decay import F_GAMMA, MU_D2A
from theory.normalization_error import misspecified_first_order_terms
from theory.notation import text
from theory.symbols import BETA, N_BAR, RHO, SKEW, T, X
from theory.symbols import M as M_SYM

from . import _streams
from ._ladder import Ladder, pyplot, save_figure
from .check import Check, series_terms
from .claim import Agreement, Claim, Derived, Equality, Number
from .context import RunContext
from .requests import BatchNoiseRequest
from .zeta_check import zeta_check

LADDER = Ladder("gamma_decay", "Gamma decay zeta(h) (§1.3–1.4)")

EXACT = "4.5 SE (false alarm 7e-6 per check); the theory is exact at this M, so no bias allowance"
SERIES = "4.5 SE + twice the first omitted, derived term of the 1/M expansion"
ZERO = "4.5 SE; exactly 0 because labels follow the model (E[y|x] = A'), no bias"
#: labels y = h_bar + c He_3(n) (+ noise): the PN least-squares optimum is unchanged (He_3 is
#: orthogonal to 1 and n under a Gaussian), but E[y|x] != A'(h_bar) pointwise
MISFIT = sp.Rational(1, 4) * (X**3 - 3 * X)
MISSPECIFIED = "identity, labels + He3/4"
#: the M^-2 and higher terms of zeta, derived (theory.zeta_corrections) and not zero
HIGHER_ORDERS = sp.Symbol("zeta_{2+}")


def _glm(name: str) -> GLM:
    g = NAMED_ACTIVATIONS[name]
    quadratic = name in ("identity", "squared_loss")  # A''' = 0: the loss gap is exactly the 2nd-order term
    return GLM(curvature(g), g, log_partition(g) if quadratic else None)


#: the stream whose labels are also drawn misspecified (a second, identity head)
MISSPECIFIED_STREAM = _streams.GAUSSIAN_32


def _request(ctx: RunContext, s: _streams.Stream) -> BatchNoiseRequest:
    glms = tuple((a, _glm(a)) for a in s.activations)
    if s == MISSPECIFIED_STREAM:
        g = NAMED_ACTIVATIONS["identity"]
        glms += ((MISSPECIFIED, GLM(curvature(g), g, misfit=MISFIT)),)
    return s.request(ctx, glms)


@LADDER.requests
def _requests(ctx: RunContext) -> dict[_streams.Stream, BatchNoiseRequest]:
    return {s: _request(ctx, s) for s in _streams.plan(ctx)}


def _misspecified_theory(M: int) -> tuple[float, float]:
    """Theory (through M^-2) and bias bound of the first-order term for the MISFIT labels."""
    return series_terms(list(misspecified_first_order_terms(MISFIT.subs(X, N_BAR), INPUT_FAMILIES["gaussian"], M)))


def misspecified_check(s: _streams.Stream, r: BatchNoiseResult) -> Check:
    theory, bound = _misspecified_theory(s.M)
    est = r.first_order[MISSPECIFIED]
    return Check(f"first-order term, misspecified labels [{s.key}]", "1.3", theory, est.value, est.stderr, bound,
                 SERIES, samples=r.samples, kind="first-order term, misspecified labels")


def activation_checks(s: _streams.Stream, r: BatchNoiseResult, a: str) -> list[Check]:
    """zeta, the first-order term (0 for model labels) and, for a quadratic A, the exact loss gap."""
    res = zeta(a, s.M, gamma=s.gamma, beta=s.beta, input=s.input, bias=s.bias, method="quadrature")
    out = [zeta_check(f"zeta[{a}] [{s.key}]", "1.3-1.4", res, r.second_order[a], r.samples)]
    if a in r.first_order:
        est = r.first_order[a]
        out.append(Check(f"first-order term [{a}] [{s.key}]", "1.3", 0.0, est.value, est.stderr, 0.0, ZERO,
                         samples=r.samples, scale=res.value, kind="first-order term"))
    if a in r.loss_gap and s.input == "gaussian" and s.bias:
        # quadratic A: the gap is (A''/2) E(h_hat - h_bar)^2 + first order, exactly
        gap = float(curvature(NAMED_ACTIVATIONS[a])) / 2 * 2 * (1 - gaussian_sigma_B_mean(s.M))
        est = r.loss_gap[a]
        out.append(Check(f"loss gap E l(h_hat) - E l(h_bar) [{a}] [{s.key}]", "1.3", gap, est.value, est.stderr,
                         0.0, EXACT, samples=r.samples, kind="loss gap"))
    return out


@LADDER.checks
def gamma_decay_checks(ctx: RunContext, sims) -> list[Check]:
    out = []
    for s, r in sims.items():
        if s == MISSPECIFIED_STREAM:
            out.append(misspecified_check(s, r))
        for a in s.activations:
            out += activation_checks(s, r, a)
    return out


def _zeta(bias: bool = True) -> sp.Expr:
    return sum(zeta_formula(bias).values())


def _printed_zeta() -> sp.Expr:
    return (RHO + 2) / (8 * M_SYM) * F_GAMMA + MU_D2A / (2 * M_SYM)


def _first_order_rule(printed: sp.Expr, derived: sp.Expr) -> Equality:
    """A printed first-order zeta against the derivation (first order + the derived higher orders)."""
    return Equality(printed, derived + HIGHER_ORDERS, leading=derived)


@LADDER.claim(needs=(_streams.GAUSSIAN_32,))
def zeta_symmetric(ctx: RunContext, sims) -> Claim:
    s = _streams.GAUSSIAN_32
    relu, est = zeta("relu", s.M), sims[s].second_order["relu"]
    symmetric = _zeta().subs(SKEW, 0)
    return Claim(
        "zeta", "1.3", "ζ = (ρ+2)/(8M) F_γ + μ_d²A/(2M)  (h symmetric)", _first_order_rule(_printed_zeta(), symmetric),
        derived=f"ζ = {text(_zeta())} + O(M⁻²)",
        evidence=(Number(f"Gaussian, ReLU, M = {s.M}: ζ", relu.value, exact=True),
                  Number("ζ + ζ₂", relu.value + zeta_corrections("relu", s.M)[0], exact=True),
                  Number("simulated", est.value, est.stderr)),
        notes=("all symmetric-input zeta checks pass",),
        correction="holds to first order in 1/M for symmetric h; the M⁻² term ζ₂ is derived in theory.zeta_corrections",
        printed_expr=_printed_zeta(), derived_expr=symmetric)


@LADDER.claim(needs=(_streams.EXPONENTIAL_128,))
def zeta_skewed(ctx: RunContext, sims) -> Claim:
    s = _streams.EXPONENTIAL_128
    relu = zeta("relu", s.M, input=s.input, method="quadrature")
    printed_value = relu.sigma_term + relu.mu_term
    z2, _ = zeta_corrections("relu", s.M, input=s.input)
    est = sims[s].second_order["relu"]
    return Claim(
        "zeta-skewed", "1.3",
        "ζ = (ρ+2)/(8M) F_γ + μ_d²A/(2M) for any h (§1.4: no assumption on the distribution)",
        _first_order_rule(_printed_zeta(), _zeta()),
        derived=f"ζ = {text(_zeta())}: the mixed μ_B/σ_B term s E[A''(h̄) n̄]/(2M) comes from "
                "Cov(μ_B, σ_B) = s σ_P²/(2M)",
        evidence=(Number(f"ReLU, exponential input (s = 2), M = {s.M}: printed", printed_value, exact=True),
                  Number("derived ζ + ζ₂", relu.value + z2, exact=True), Number("simulated", est.value, est.stderr),
                  Number("z of printed", (est.value - printed_value) / est.stderr, exact=True)),
        correction="ζ = (ρ+2)/(8M) F_γ + μ_d²A/(2M) + s E[A''(h̄) n̄]/(2M)",
        printed_expr=_printed_zeta(), derived_expr=_zeta())


@LADDER.claim(needs=(MISSPECIFIED_STREAM,))
def first_order_term(ctx: RunContext, sims) -> Claim:
    well = [e for r in sims.values() for a, e in r.first_order.items() if a != MISSPECIFIED]
    s = MISSPECIFIED_STREAM
    g32 = sims[s]
    wrong = g32.first_order[MISSPECIFIED]
    theory, _ = _misspecified_theory(s.M)
    shift = conditional_mean_coefficients(1)
    return Claim(
        "first-order-term", "1.3",
        "the first-order term (A'(h̄) − y)(ĥ − h̄) is negligible, since A'(h̄) − E[y] = 0 at the optimum",
        Derived(sp.simplify(shift) == 0, "the argument needs E[ĥ − h̄ | n̄] = 0; the derived conditional bias "
                "E[ĥ − h̄ | n̄]/γ at first order in 1/M is compared with 0 exactly"),
        derived=(f"E[ĥ − h̄ | n̄] = γ({text(shift)})/M + O(M⁻²) is not 0, so the term is "
                 "−E[(y − A'(h̄)) E[ĥ − h̄ | n̄]]: 0 only when E[y|x] = A'(h̄) pointwise (a well-specified GLM), "
                 "not merely at the optimum"),
        evidence=(Number(f"well-specified labels, largest |z| of {len(well)} simulated terms",
                         max(abs(e.value / e.stderr) for e in well), exact=True),
                  Number(f"labels y = h̄ + He₃(n̄)/4 (PN optimum unchanged), identity, M = {s.M}: simulated",
                         wrong.value, wrong.stderr),
                  Number("derived", theory, exact=True), Number("ζ itself", g32.second_order["identity"].value,
                                                                g32.second_order["identity"].stderr)),
        correction="the term vanishes when E[y|x] = A'(h̄) for every x; otherwise it is "
                   "−E[(y − A'(h̄)) E[ĥ − h̄ | n̄]], of the same order 1/M as the gamma decay",
        derived_expr=shift / M_SYM)


@LADDER.claim
def relu_limit(ctx: RunContext, sims) -> Claim:
    d2a_soft = sp.diff(softplus(T), X)
    printed_d2a = sp.diff((1 + sp.exp(T * X)) / T, X)
    return Claim(
        "relu-limit", "1.4", "ReLU as f(h) = lim_{t→∞} (1/t)(1 + exp(t h)), A''(h) = f'(h) = lim σ(t h) = H(h)",
        Equality(printed_d2a, d2a_soft),
        derived=(f"as printed f' = {text(printed_d2a)}, which diverges for h > 0; with the log of softplus, "
                 f"d/dx (1/t) log(1 + exp(t x)) = {text(sp.simplify(d2a_soft))} → "
                 f"{text(relu_curvature_from_softplus())} (SymPy limit)"),
        notes=("SymPy: derivative of the printed f, and the limit t → ∞ on each side of 0 for the softplus",),
        correction="f(h) = lim_{t→∞} (1/t) log(1 + exp(t h)) (a typo: the log is missing); then A'' → H(h) holds",
        printed_expr=printed_d2a, derived_expr=d2a_soft)


@LADDER.claim(needs=(_streams.GAUSSIAN_32,))
def relu_zeta(ctx: RunContext, sims) -> Claim:
    s = _streams.GAUSSIAN_32
    relu, est = zeta("relu", s.M), sims[s].second_order["relu"]
    return Claim(
        "relu-zeta", "1.4", "ReLU: ζ = (ρ+2)/(8M) F_γ + H̄/(2M), H̄ the mean activation rate",
        _first_order_rule(_printed_zeta(), _zeta().subs(SKEW, 0)),
        derived=f"the general ζ with A'' = H(h̄) (μ_d²A = mean H); Gaussian, γ = 1, β = 0: {text(relu.expression)}",
        evidence=(Number(f"M = {s.M}: simulated", est.value, est.stderr), Number("ζ", relu.value, exact=True)),
        correction=f"first order in 1/M; at M = {s.M} the derived M⁻² term adds {zeta_corrections('relu', s.M)[0]:.3g}",
        printed_expr=_printed_zeta(), derived_expr=relu.expression)


@LADDER.claim(needs=(_streams.SHIFTED_32,))
def relu_sigmoid_approximation(ctx: RunContext, sims) -> Claim:
    s = _streams.SHIFTED_32
    relu = zeta("relu", s.M, gamma=s.gamma, beta=s.beta)
    soft = zeta("softplus", s.M, gamma=s.gamma, beta=s.beta, method="quadrature")  # its A'' is sigmoid
    approx = relu.sigma_term + soft.mu_term
    z2, z3 = zeta_corrections("relu", s.M, gamma=s.gamma, beta=s.beta)
    est = sims[s].second_order["relu"]
    rule = Agreement(approx + z2, est.value, est.stderr, k=4.5, bias=2 * abs(z3))
    return Claim(
        "relu-sigmoid-approximation", "1.4", "for ReLU, ζ ≈ (ρ+2)/(8M) F_γ + (1/(2M)) mean σ(h̄)", rule,
        derived=f"exact at β = 0 for symmetric h (both means are 1/2); at γ = 1.5, β = 0.5 it gives {approx:.6g} vs "
                f"{relu.value:.6g} ({100 * abs(approx - relu.value) / relu.value:.1f}% off, at every M)",
        evidence=(Number(f"γ = {s.gamma:g}, β = {s.beta:g}, M = {s.M}: simulated", est.value, est.stderr),
                  Number("approximation", approx, exact=True), Number("derived ζ", relu.value, exact=True),
                  Number("z of approximation + ζ₂", rule.z, exact=True)),
        notes=("judged by the simulation: contradicted when it tells the approximation (+ ζ₂) from the truth",),
        correction="use the activation rate mean H(h̄), not mean σ(h̄): they agree only when β = 0")


@LADDER.claim
def identity_mu_d2A(ctx: RunContext, sims) -> Claim:
    ident = zeta("identity", 32)
    return Claim(
        "identity-mu_d2A", "1.4", "identity: μ_d²A = (1/P) Σ_j h̄ʲ",
        Equality(BETA, sp.Rational(ident.mu_d2A)),
        derived="A'' = 1 for the identity, so μ_d²A = 1 (the mean of A'', not of h̄, which is β)",
        evidence=(Number("theory.zeta('identity'): μ_d²A", ident.mu_d2A, exact=True),),
        correction="μ_d²A = mean of A''(h̄) = 1", printed_expr=BETA, derived_expr=sp.Integer(1))


def _special_case(sims, s: _streams.Stream, claim_id: str, name: str, printed: sp.Expr) -> Claim:
    bias = s.bias
    res = zeta(name, s.M, bias=bias)
    est = sims[s].second_order[name]
    rule = _first_order_rule(printed, res.expression)
    return Claim(
        claim_id, "1.4", f"{name}{'' if bias else ' without mean subtraction'}: ζ = {text(printed)}", rule,
        derived=text(res.expression),
        evidence=(Number(f"M = {s.M}: simulated", est.value, est.stderr),
                  Number("printed", float(printed.subs(M_SYM, s.M)), exact=True), Number("ζ", res.value, exact=True)),
        correction="first order in 1/M (the M⁻² term is in theory.zeta_corrections)"
        if rule.verdict() == "leading-order" else f"ζ = {text(res.expression)}",
        printed_expr=printed, derived_expr=res.expression)


@LADDER.claim(needs=(_streams.GAUSSIAN_32,))
def identity_zeta(ctx: RunContext, sims) -> Claim:
    return _special_case(sims, _streams.GAUSSIAN_32, "identity-zeta", "identity", sp.Rational(3, 4) / M_SYM)


@LADDER.claim(needs=(_streams.GAUSSIAN_32,))
def squared_loss_zeta(ctx: RunContext, sims) -> Claim:
    return _special_case(sims, _streams.GAUSSIAN_32, "squared-loss-zeta", "squared_loss", sp.Rational(3, 2) / M_SYM)


@LADDER.claim(needs=(_streams.NO_BIAS_32,))
def no_bias_zeta(ctx: RunContext, sims) -> Claim:
    return _special_case(sims, _streams.NO_BIAS_32, "no-bias-zeta", "squared_loss", sp.Rational(1, 2) / M_SYM)


_FIGURE_ACTIVATIONS = ("identity", "relu", "tanh")


def _gaussian_rows(sims) -> list[tuple[int, BatchNoiseResult]]:
    return [(s.M, r) for s, r in sims.items() if s.input == "gaussian" and s.bias and (s.gamma, s.beta) == (1.0, 0.0)]


@LADDER.arrays
def zeta_arrays(ctx: RunContext, sims) -> dict[str, np.ndarray]:
    rows, out = _gaussian_rows(sims), {}
    for a in _FIGURE_ACTIVATIONS:
        out[f"part1_zeta_{a}"] = np.array([r.second_order[a].value for _, r in rows])
        out[f"part1_zeta_{a}_stderr"] = np.array([r.second_order[a].stderr for _, r in rows])
    return out


@LADDER.figure
def zeta_vs_M(ctx: RunContext, sims, folder: Path) -> Path:
    plt = pyplot()
    rows = _gaussian_rows(sims)
    Ms = np.array([M for M, _ in rows], dtype=float)
    grid = np.geomspace(Ms.min(), Ms.max(), 200)
    fig, ax = plt.subplots(figsize=(5.6, 4))
    for a, color in zip(_FIGURE_ACTIVATIONS, ("C0", "C1", "C2")):
        ax.errorbar(Ms, Ms * np.array([r.second_order[a].value for _, r in rows]),
                    yerr=4.5 * Ms * np.array([r.second_order[a].stderr for _, r in rows]), fmt="o", color=color,
                    label=f"{a}: simulated")
        # zeta is exactly c_1/M and zeta_2 exactly c_2/M^2 (their moments do not depend on M): evaluated once
        ref = float(Ms.min())
        c1 = zeta(a, ref, method="quadrature").value * ref
        c2 = zeta_corrections(a, ref)[0] * ref**2
        ax.plot(grid, np.full_like(grid, c1), color=color, lw=1, label=f"{a}: ζ (first order)")
        ax.plot(grid, c1 + c2 / grid, color=color, lw=1, ls="--", label=f"{a}: ζ + ζ₂")
    ax.set(xscale="log", xlabel="batch size M", ylabel="M · ζ", title="Gamma decay ζ(h) vs M (Gaussian h)")
    ax.legend(fontsize=7, ncol=2)
    return save_figure(plt, fig, folder / "zeta_vs_M.png")
