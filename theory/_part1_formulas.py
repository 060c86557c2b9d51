r"""The derived formulas of seed Part 1 (§1.1--1.5) for the LaTeX export, each with the form a
paper prints it in (factored, collected by powers of :math:`1/M` or :math:`\bar n`, or with the
mean of a :math:`\chi` variable named)."""

from __future__ import annotations

import sympy as sp

from ._formula import Formula
from .symbols import N_BAR, RHO, SIGMA_P, M

#: mean of a chi variable with M - 1 degrees of freedom, the factor of E sigma_B for Gaussian h
CHI_M = sp.Symbol("chi_M", positive=True)

_IID = (r"$h_1,\dots,h_M$ i.i.d.\ with mean $\mu_{\mathcal{P}}$, standard deviation $\sigma_{\mathcal{P}}$, "
        r"skewness $s$ and excess kurtosis $\rho$; the sample is in its own batch")
_GAUSS = r"Gaussian $h$ ($s=\rho=0$), $d=0$"


def series_in_inverse(expr: sp.Expr, var: sp.Symbol) -> sp.Expr:
    r"""A polynomial in ``1/var`` (or in ``var``) with each coefficient factored:
    :math:`1-\frac{\rho+6}{8M}+\dots` instead of the expanded sum."""
    parts = sp.collect(sp.expand(expr), var, evaluate=False)
    return sp.Add(*(sp.factor(c) * power for power, c in parts.items()))


def collect_factors(expr: sp.Expr, var: sp.Symbol) -> sp.Expr:
    r"""``expr`` factored, each factor that is a sum collected in ``var``:
    :math:`(M-1)\,((M-1)\rho+2M)` instead of :math:`(M-1)(M\rho+2M-\rho)`."""
    return sp.Mul(*(sp.collect(f, var) if f.is_Add else f for f in sp.Mul.make_args(sp.factor(expr))))


def _statistics() -> list[Formula]:
    from sympy.stats import Chi, E  # noqa: PLC0415 - heavy import, used here only

    from . import batch_statistics as bs  # noqa: PLC0415

    k = sp.Symbol("k", positive=True, integer=True)
    chi_mean = sp.simplify(E(Chi("c", k))).subs(k, M - 1)
    var_unbiased = bs.var_sigma2_B(1)
    return [
        Formula("var-mu-b", r"Variance of $\mu_{\mathcal{B}}$", "1.3", r"\operatorname{Var}\mu_{\mathcal{B}}",
                bs.var_mu_B(), _IID + "; exact"),
        Formula("var-sigma2-b-biased", r"Variance of $\sigma_{\mathcal{B}}^2$, divisor $M$ ($d=0$)", "1.3",
                r"\operatorname{Var}\sigma_{\mathcal{B}}^{2}", bs.var_sigma2_B(0), _IID + "; exact",
                display=collect_factors(bs.var_sigma2_B(0), RHO)),
        Formula("var-sigma2-b-unbiased", r"Variance of $\sigma_{\mathcal{B}}^2$, divisor $M-1$ ($d=1$)", "1.3",
                r"\operatorname{Var}\sigma_{\mathcal{B}}^{2}", var_unbiased, _IID + "; exact",
                display=SIGMA_P**4 * sp.apart(var_unbiased / SIGMA_P**4, M)),
        Formula("var-sigma-b", r"Variance of $\sigma_{\mathcal{B}}$", "1.3", r"\operatorname{Var}\sigma_{\mathcal{B}}",
                bs.var_sigma_B_leading(0), _IID + r"; delta method, leading order in $1/M$ (both $d$)"),
        Formula("cov-mu-sigma-b", r"Covariance of $\mu_{\mathcal{B}}$ and $\sigma_{\mathcal{B}}$", "1.3",
                r"\operatorname{Cov}(\mu_{\mathcal{B}},\sigma_{\mathcal{B}})", bs.cov_mu_sigma_B_leading(0),
                _IID + "; delta method, leading order"),
        Formula("chi-mean", r"Mean of a $\chi$ variable with $M-1$ degrees of freedom", "1.3", r"\chi_{M}",
                chi_mean, r"$\chi_M=\mathbb{E}\sqrt{Q}$ for $Q\sim\chi^2_{M-1}$ (SymPy's $\chi$ distribution)",
                display=chi_mean.replace(lambda e: isinstance(e, sp.gamma), lambda e: sp.gamma(sp.factor(e.args[0]))),
                defines=CHI_M),
        Formula("mean-sigma-b-gaussian", r"Mean of $\sigma_{\mathcal{B}}$, Gaussian $h$", "1.3",
                r"\mathbb{E}\sigma_{\mathcal{B}}", bs.mean_sigma_B_gaussian(0),
                _GAUSS + r"; exact, $M\sigma_{\mathcal{B}}^2/\sigma_{\mathcal{P}}^2\sim\chi^2_{M-1}$",
                display=SIGMA_P * CHI_M / sp.sqrt(M)),
        Formula("mean-sigma-b-series", r"Mean of $\sigma_{\mathcal{B}}$, any $h$", "1.3",
                r"\mathbb{E}\sigma_{\mathcal{B}}/\sigma_{\mathcal{P}}", bs.mean_sigma_B_series(2, 0),
                _IID + r"; $d=0$; to $O(M^{-2})$", display=series_in_inverse(bs.mean_sigma_B_series(2, 0), M)),
    ]


def _normalization_error() -> list[Formula]:
    from .normalization_error import (  # noqa: PLC0415
        conditional_error_coefficients,
        exact_error_from_mean_sigma,
        overall_error,
    )

    c1, c2 = conditional_error_coefficients(1), conditional_error_coefficients(2)
    expansion = (r"$\mathbb{E}[(\hat h-\bar h)^2\mid\bar n]/\gamma^2=c_1(\bar n)/M+c_2(\bar n)/M^2+O(M^{-3})$")
    return [
        Formula("error-exact-identity", "Normalization error, exact identity", "1.1",
                r"\mathbb{E}[(\hat h-\bar h)^2]/\gamma^2", exact_error_from_mean_sigma(0)[0],
                _IID + r"; $d=0$; exact (exchangeability of the batch)"),
        Formula("conditional-error-c1", "Conditional normalization error, first order", "1.3", r"c_1(\bar n)",
                c1, _IID + "; " + expansion, display=series_in_inverse(c1, N_BAR)),
        Formula("conditional-error-c2", r"Conditional normalization error, $M^{-2}$ coefficient", "1.3",
                r"c_2(\bar n)", c2, _IID + r"; $d=0$; $m_k=\mathbb{E}\bar n^k$", display=series_in_inverse(c2, N_BAR),
                lines=2),
        Formula("error-second-order", r"Normalization error to $O(M^{-2})$", "1.1, 1.3",
                r"\mathbb{E}[(\hat h-\bar h)^2]/\gamma^2", overall_error(2), _IID + r"; $d=0$",
                display=series_in_inverse(overall_error(2), M)),
    ]


def _gamma_decay() -> list[Formula]:
    from .activations import relu_curvature_from_softplus  # noqa: PLC0415
    from .gamma_decay import zeta, zeta_formula  # noqa: PLC0415

    glm = r"GLM loss $A(\hat h)-y\hat h$ with $A'=g$; second-order Taylor expansion; $O(1/M)$"
    out = [
        Formula("zeta", r"Gamma decay $\zeta(h)$", "1.3", r"\zeta", sum(zeta_formula(True).values()), glm),
        Formula("zeta-no-bias", r"Gamma decay without $\mu_{\mathcal{B}}$ (no bias)", "1.4", r"\zeta_{\text{no bias}}",
                sum(zeta_formula(False).values()), r"BN without mean subtraction, $\mu_{\mathcal{P}}=0$"),
        Formula("relu-curvature", "ReLU curvature as the softplus limit", "1.4", r"A''_{\mathrm{ReLU}}(x)",
                relu_curvature_from_softplus(),
                r"limit $t\to\infty$ of $\frac{d}{dx}\frac1t\log(1+e^{tx})$ on each side of $0$; "
                r"$H$ is the Heaviside step"),
    ]
    for name, title in (("identity", "identity"), ("squared_loss", "squared loss"), ("relu", "ReLU")):
        closed = zeta(name, 32, method="closed form").expression
        out.append(Formula(f"zeta-gaussian-{name.replace('_', '-')}", rf"$\zeta$ for {title}, Gaussian $h$", "1.4",
                           rf"\zeta_{{\text{{{title}}}}}", closed,
                           r"$\gamma=1$, $\beta=0$, Gaussian $h$; closed form, first order"))
    return out


def _pn_as_wn() -> list[Formula]:
    from .pn_wn import pn_as_wn  # noqa: PLC0415

    sol = pn_as_wn()
    inputs = r"$x\sim\mathcal{N}(m,aI)$, $a$ a variance"
    return [
        Formula("pn-as-wn-scale", "PN as WN: scale", "1.5", "v", sol["v"], inputs),
        Formula("pn-as-wn-offset", "PN as WN: offset", "1.5", "b", sol["b"], inputs),
    ]


def formulas() -> list[Formula]:
    """Every derived Part-1 formula, in the seed's order."""
    return _statistics() + _normalization_error() + _gamma_decay() + _pn_as_wn()
