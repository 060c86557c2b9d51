"""Part 2 of the seed (§2.1–2.3): teacher–student theory against its solvers, the seed's Part-2
formulas as printed, the BN-versus-WN+gamma-decay claim, and the figure.

Conventions: ``zeta`` in the checks and in the seed's G is the **ridge convention**
(``v = (X^T X/N + zeta)^{-1} X^T y/N``); the per-sample-loss ``zeta_L`` of the WN loss and of
Part 1 maps to ``zeta_R = alpha zeta_L``.  The BN test error uses the input distribution's
statistics (``mu_P = 0``, ``sigma_P = ||w||``); the training-set-statistics error is reported too.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import sympy as sp
from scipy import stats

from sim.executor import Executor
from sim.teacher_student import BNConfig, fit_effective_zeta, samples_for, sweep
from theory import teacher_student as ts

from .check import K_DEFAULT, Check
from .context import RunContext
from .registry import Claim
from ._part import PartResult

SECTION = "2.3"
DELTA = 0.5  # delta^2 = 0.25, the seed's value
M = 32
#: The O(N^-2) remainder of the ridge mean after the 1/N correction, bounded by REMAINDER |c|/N^2.
#: Measured, not derived: at N = 64 over alpha in {0.5, 1, 2}, zeta in {1/64, 1/4} the remainder
#: was at most 13 |c|/N^2 (tests/test_teacher_student_sim.py re-measures it at N = 64).
REMAINDER = 16.0
#: Relative error planted in each check family's theory value; tests/test_part2.py shows every
#: check fails with it at the quick size.
PLANTED = {"ls": 0.20, "gd": 0.20, "wn0": 0.20, "ridge_solver": 0.20, "ridge_mp": 0.02}


def _size(ctx: RunContext) -> dict:
    """Replicas are ``*_datasets`` input matrices times ``*_teachers`` teachers on each (the solvers
    read a matrix once for all its teachers); standard errors are taken over data sets."""
    return ctx.pick(
        dict(N=256, lin_datasets=48, lin_teachers=2, bn_datasets=4, bn_teachers=4,
             lin_alphas=(0.25, 0.5, 1.0, 2.0, 4.0), bn_alphas=(0.25, 0.5, 1.0, 2.0, 4.0), gd_alphas=(0.5, 2.0),
             epochs=240, min_steps=2000),
        dict(N=512, lin_datasets=32, lin_teachers=4, bn_datasets=4, bn_teachers=4,
             lin_alphas=(0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 4.0),
             bn_alphas=(0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0), gd_alphas=(0.5, 2.0), epochs=480,
             min_steps=4000),
        dict(N=4096, lin_datasets=6, lin_teachers=8, bn_datasets=4, bn_teachers=8, lin_alphas=(0.5, 1.0, 2.0, 4.0),
             bn_alphas=(0.1, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0), gd_alphas=(0.5, 2.0), epochs=480,
             min_steps=4000),
    )


def check_zetas() -> np.ndarray:
    """Ridge-convention zetas checked at every alpha: the seed's 1/(2M), Part 1's 3/(2M), and 0.25."""
    return np.array([1 / (2 * M), 3 / (2 * M), 0.25])


def panel_zetas() -> np.ndarray:
    return np.unique(np.concatenate([np.geomspace(1e-3, 10, 17), check_zetas()]))


def _mean_se(values: np.ndarray, dataset: np.ndarray | None = None) -> tuple[float, float]:
    """Mean and standard error over independent units: the values themselves, or, with ``dataset``
    labels, the per-data-set means (replicas sharing an input matrix are correlated through it)."""
    values = np.asarray(values, dtype=float)
    if dataset is not None:
        values = np.array([values[dataset == g].mean() for g in np.unique(dataset)])
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(values.size))


def _replica_mean_se(point: dict[str, np.ndarray], key: str) -> tuple[float, float]:
    return _mean_se(point[key], point["dataset"])


def _units(point: dict[str, np.ndarray]) -> int:
    """Number of independent data sets behind a point."""
    return int(np.unique(point["dataset"]).size)


def student_k(samples: int) -> float:
    """k for an SE estimated from ``samples`` replicas: the Student-t quantile (``samples - 1`` dof)
    with the same two-sided tail probability as ``K_DEFAULT`` for a known SE, so a check with few
    replicas has the same false-alarm rate (6.8e-6) as one with many."""
    tail = 2 * stats.norm.sf(K_DEFAULT)
    return float(stats.t.isf(tail / 2, samples - 1))


# ----------------------------------------------------------------------------- checks
def linear_checks(N: int, alpha: float, point: dict[str, np.ndarray]) -> list[Check]:
    """Solvers (a), (b), (d) against theory at one alpha."""
    P = samples_for(N, alpha)
    out: list[Check] = []
    exact = ts.sgd_error_finite(N, P, DELTA)
    if abs(alpha - 1) >= 0.25 and math.isfinite(exact):
        for family, label in (("ls", "min-norm least squares (solve)"), ("gd", "plain GD from 0"),
                              ("wn0", "WN without gamma decay (GD)")):
            key = "wn" if family == "wn0" else family
            if key not in point:
                continue
            mean, se = _replica_mean_se(point, key)
            iterations = point.get(f"{key}_iterations")
            if iterations is not None and np.any(np.asarray(iterations) < 0):
                raise RuntimeError(f"{label} did not converge at alpha={alpha:g}: its check would be meaningless")
            out.append(Check(f"ts.{family}.alpha={alpha:g}", SECTION, exact, mean, se, 0.0 if family == "ls" else 1e-6,
                             f"{label} vs the exact finite-N inverse-Wishart mean; no approximation"
                             + ("" if family == "ls" else "; bias bound 1e-6 covers the GD stopping tolerance")
                             + "; SE over data sets (teachers on one X averaged first), k: Student-t for few of them",
                             k=student_k(_units(point)), samples=int(point[key].size)))
    for j, zeta in enumerate(point.get("zetas", ())):
        if not np.any(np.isclose(zeta, check_zetas())):
            continue
        reps, units = point["ridge"].shape[0], _units(point)
        cond_mean, cond_se = _mean_se(point["ridge_conditional"][:, j])
        # replicas are independent given their X (own w*, own noise): Var of the mean is
        # sum_r Var[eps_r | X_r] / R^2, each data set's variance counted once per teacher
        exact_se = math.sqrt(float(point["ridge_variance"][:, j].sum()) * reps / units) / reps
        out.append(Check(f"ts.ridge_solver.alpha={alpha:g}.zeta={zeta:.4g}", SECTION, cond_mean,
                         float(point["ridge"][:, j].mean()), exact_se, 0.0,
                         "ridge from one eigendecomposition vs its exact mean over w*, noise given X; "
                         "SE exact given X (sum of squared Gaussians); no approximation", samples=reps))
        corr = float(ts.ridge_correction(alpha, zeta, DELTA))
        out.append(Check(f"ts.ridge_mp.alpha={alpha:g}.zeta={zeta:.4g}", SECTION,
                         float(ts.wn_error_finite(alpha, zeta, DELTA, N)), cond_mean, cond_se,
                         REMAINDER * abs(corr) / N**2,
                         "E[eps|X] over data sets vs Marchenko-Pastur eps_wn + c/N (Bai-Silverstein); "
                         f"bias bound {REMAINDER:g}|c|/N^2 for the O(N^-2) remainder (measured at N = 64); "
                         "SE over data sets, k: Student-t for few of them", k=student_k(units), samples=units))
    return out


# ----------------------------------------------------------------------------- seed as printed
def printed_formulas() -> dict[str, sp.Expr]:
    """The seed's §2.3 formulas typed as printed (not corrected)."""
    a, z, d2 = ts.alpha, ts.zeta, ts.delta2
    g = (1 - a - z + sp.sqrt(z + (1 + sp.sqrt(a)) ** 2 * (z + (1 - a) ** 2))) / (2 * z)
    return {
        "sgd_below": 1 - a + a * d2 / (1 - a),
        "sgd_above": d2 / (1 - a),
        "G": g,
        "eps_wn": d2 * sp.diff(z * g, z) - z**2 * sp.diff(g, z),
    }


def _num(expr: sp.Expr, alpha: float, zeta: float = 0.0) -> float:
    return float(expr.subs({ts.alpha: alpha, ts.zeta: zeta, ts.delta2: DELTA**2}))


def formula_claims(N: int, lin: dict[float, dict[str, np.ndarray]]) -> list[Claim]:
    printed = printed_formulas()
    below, above = ts.sgd_error_branches()
    claims = []
    a_lo = min(a for a in lin if a < 0.9)
    a_hi = max(a for a in lin if a > 1.1)
    lo_sim, lo_se = _replica_mean_se(lin[a_lo], "ls")
    hi_sim, hi_se = _replica_mean_se(lin[a_hi], "ls")
    exact_lo = ts.sgd_error_finite(N, samples_for(N, a_lo), DELTA)
    exact_hi = ts.sgd_error_finite(N, samples_for(N, a_hi), DELTA)
    same_lo = sp.simplify(printed["sgd_below"] - below) == 0
    claims.append(Claim(
        "seed.2.3.sgd_alpha_lt_1", SECTION, r"\epsilon^{sgd}_{gen} = 1-\alpha+\alpha\delta^2/(1-\alpha), \alpha<1",
        sp.latex(below), "confirmed" if same_lo else "contradicted",
        f"symbolically equal to the zeta->0 limit of ridge: {same_lo}; N={N}, alpha={a_lo:g}: least squares "
        f"{lo_sim:.4f} +- {lo_se:.4f}, exact finite-N mean {exact_lo:.4f}, N->oo {float(ts.sgd_error(a_lo, DELTA)):.4f}",
        _num(printed["sgd_below"], a_lo), float(ts.sgd_error(a_lo, DELTA)), lo_sim, lo_se,
        None if same_lo else sp.latex(below)))
    same_hi = sp.simplify(printed["sgd_above"] - above) == 0
    claims.append(Claim(
        "seed.2.3.sgd_alpha_gt_1", SECTION, r"\epsilon^{sgd}_{gen} = \delta^2/(1-\alpha), \alpha>1",
        sp.latex(above), "confirmed" if same_hi else "contradicted",
        f"printed value at alpha={a_hi:g} is {_num(printed['sgd_above'], a_hi):.4f} (negative for every alpha>1); "
        f"least squares {hi_sim:.4f} +- {hi_se:.4f}, exact finite-N mean {exact_hi:.4f}, derived N->oo "
        f"{float(ts.sgd_error(a_hi, DELTA)):.4f}",
        _num(printed["sgd_above"], a_hi), float(ts.sgd_error(a_hi, DELTA)), hi_sim, hi_se,
        None if same_hi else r"\delta^2/(\alpha-1)"))
    # G as printed vs derived vs (1/N) tr (S + zeta)^{-1}
    zeta_g = 0.25
    j = int(np.argmin(np.abs(lin[a_hi]["zetas"] - zeta_g)))
    g_sim, g_se = _mean_se(lin[a_hi]["stieltjes"][:, j])
    g_derived = float(ts.mp_stieltjes(a_hi, zeta_g))
    g_printed = _num(printed["G"], a_hi, zeta_g)
    claims.append(Claim(
        "seed.2.3.G", SECTION,
        r"G=\frac{1-\alpha-\zeta+\sqrt{(\zeta+(1+\sqrt\alpha)^2(\zeta+(1-\alpha)^2))}}{2\zeta}",
        sp.latex(ts.mp.stieltjes()), "confirmed" if abs(g_printed - g_derived) <= 1e-9 * abs(g_derived) else "contradicted",
        f"alpha={a_hi:g}, zeta={zeta_g}: printed {g_printed:.4f}, derived {g_derived:.4f}, "
        f"(1/N) tr(S+zeta)^-1 at N={N}: {g_sim:.4f} +- {g_se:.4f}. The printed bracket multiplies "
        r"(1+\sqrt\alpha)^2 into the second factor and has (1-\alpha)^2 for (1-\sqrt\alpha)^2",
        g_printed, g_derived, g_sim, g_se,
        r"G=\frac{1-\alpha-\zeta+\sqrt{(\zeta+(1+\sqrt\alpha)^2)(\zeta+(1-\sqrt\alpha)^2)}}{2\zeta}"))
    # eps_wn structure: identity with a generic G, and the ridge solver at the seed's zeta
    zeta_e = 1 / (2 * M)
    j = int(np.argmin(np.abs(lin[a_hi]["zetas"] - zeta_e)))
    e_sim, e_se = _mean_se(lin[a_hi]["ridge"][:, j], lin[a_hi]["dataset"])
    e_fin = float(ts.wn_error_finite(a_hi, zeta_e, DELTA, N))
    claims.append(Claim(
        "seed.2.3.eps_wn", SECTION, r"\epsilon^{wn}_{gen}=\delta^2\partial_\zeta(\zeta G)-\zeta^2\partial_\zeta G",
        "per-mode bias zeta^2/(l+zeta)^2 + variance delta^2 l/(l+zeta)^2, averaged: the same functional",
        "confirmed" if ts.resolvent_identity_holds() else "contradicted",
        f"structure derived exactly (ridge convention). With the derived G at alpha={a_hi:g}, zeta=1/(2M): "
        f"{float(ts.wn_error(a_hi, zeta_e, DELTA)):.4f} (N->oo), {e_fin:.4f} (N={N} with 1/N term); ridge solver "
        f"{e_sim:.4f} +- {e_se:.4f}. With the printed G it gives {_num(printed['eps_wn'], a_hi, zeta_e):.4f}",
        _num(printed["eps_wn"], a_hi, zeta_e), float(ts.wn_error(a_hi, zeta_e, DELTA)), e_sim, e_se))
    return claims


def optimal_zeta_claim(N: int, lin: dict[float, dict[str, np.ndarray]]) -> Claim:
    best = {a: float(p["zetas"][int(np.argmin(p["ridge_conditional"].mean(axis=0)))]) for a, p in sorted(lin.items())}
    derived = float(ts.optimal_zeta(DELTA))
    rows = ", ".join(f"alpha={a:g}: zeta_R={z:.3g} (zeta_L={z / a:.3g})" for a, z in best.items())
    # judged by the derivation, in the convention of the seed's own G (its red curve is drawn from
    # it); the simulated argmin is the evidence. In the seed's per-sample loss convention the optimum
    # is zeta_R*/alpha instead (stated in the evidence and the note)
    holds = abs(derived - 0.25) < 1e-12
    return Claim(
        "seed.2.3.optimal_zeta", SECTION, r"\zeta=0.25 is best (= \delta^2, 'cancels the teacher noise')",
        r"\zeta_R^*=\delta^2 (ridge convention, every \alpha); \zeta_L^*=\delta^2/\alpha in the seed's loss "
        r"(1/P)\sum(\phi-y)^2+\zeta\gamma^2", "confirmed" if holds else "contradicted",
        f"d eps/d zeta = (delta^2 - zeta)(2G' + zeta G''), 2G'+zeta G''<0: optimum zeta_R = {derived:g} for every alpha. "
        f"Simulated argmin of E[eps|X] over a zeta grid, N={N}: {rows}. The seed attaches zeta to its per-sample "
        "loss, where the optimum is delta^2/alpha: 0.25 only at alpha = 1",
        0.25, derived, best.get(1.0), None,
        None if holds else r"\zeta^*=\delta^2 holds for the ridge convention (X^TX/N+\zeta); for the seed's "
        r"per-sample loss \zeta_L^*=\delta^2/\alpha")


def converged(point: dict[str, np.ndarray], half: dict[str, np.ndarray]) -> bool:
    """Training-length check: halving the epochs (same data, same SGD stream) moves the mean BN error
    by less than one standard error of that mean over seeds, so the remaining drift is below noise."""
    change = float(np.mean(point["bn"] - half["bn"]))
    return abs(change) <= _replica_mean_se(point, "bn")[1]


def bn_claims(N: int, bn: dict[float, dict[str, np.ndarray]], fits: dict,
              bn_init: dict[float, dict[str, np.ndarray]], bn_half: dict[float, dict[str, np.ndarray]]) -> list[Claim]:
    alphas = np.array(sorted(bn))
    means = np.array([bn[a]["bn"].mean() for a in alphas])
    ses = np.array([_replica_mean_se(bn[a], "bn")[1] for a in alphas])
    seed_zeta = 1 / (2 * M)
    theory = np.array([float(ts.wn_error_finite(a, seed_zeta, DELTA, N)) for a in alphas])
    z = (means - theory) / ses
    rows = "; ".join(f"alpha={a:g}: BN {m:.4f}+-{s:.4f} vs {t:.4f} (z={zz:+.1f})"
                     for a, m, s, t, zz in zip(alphas, means, ses, theory, z))
    bad = alphas[np.abs(z) > K_DEFAULT]
    moving = ", ".join(f"{a:g} ({bn_half[a]['bn'].mean():.4f} -> {bn[a]['bn'].mean():.4f})"
                       for a in alphas if not converged(bn[a], bn_half[a]))
    init = "; ".join(f"alpha={a:g}: w_init=0.1 gives {bn_init[a]['bn'].mean():.4f}+-{_replica_mean_se(bn_init[a], 'bn')[1]:.4f}"
                     f" vs w_init=1 {bn[a]['bn'].mean():.4f}" for a in sorted(bn_init) if a in bn)
    explain = "; ".join(
        f"alpha={a:g}: PN-with-training-statistics prediction {float(ts.bn_interpolation_error(a, ts.bn_equivalent_zeta(M), DELTA)):.4f}"
        f" (zeta_L=3/(2M)) vs BN from w_init=0.1 {bn_init[a]['bn'].mean():.4f}+-{_replica_mean_se(bn_init[a], 'bn')[1]:.4f}"
        for a in sorted(bn_init) if a < 1)
    match = Claim(
        "seed.2.3.bn_matches_wn", SECTION,
        r"BN (M=32, SGD) matches \epsilon^{wn}_{gen} at \zeta=1/(2M) (seed's G convention)",
        "compared point by point, finite-N ridge theory, |z| <= 4.5", "confirmed" if bad.size == 0 else "contradicted",
        f"N={N}, {_units(bn[alphas[0]])} data sets x {bn[alphas[0]]['bn'].size // _units(bn[alphas[0]])} teachers "
        f"(SE over data sets): {rows}. Not converged (halving the epochs moves the error "
        f"by more than 1 SE; half -> full): {moving or 'none'}. Initialization: {init}. For alpha<1: with P<N the training-set "
        f"normalisation lets BN interpolate, so BN learns the least-squares direction rescaled to |gamma|, "
        f"not ridge: {explain}. Caution: a paired review at N=256 found BN's direction closer to the "
        f"least-squares direction than to the best ridge one at alpha=1.5, 2, 4 as well, with gamma shrunk "
        f"by about 1 - E sigma_B ~ 3/(4M); the ridge fits below describe the curve, not the mechanism", None, None, None, None,
        None if bad.size == 0 else f"disagrees at alpha in {[float(a) for a in bad]}; on the converged alpha>1 "
        f"points the best constant fits are zeta_L={fits['loss'].zeta:.4g} [{fits['loss'].lower:.4g}, "
        f"{fits['loss'].upper:.4g}] (chi2/dof={fits['loss'].chi2:.1f}/{fits['loss'].dof}) and zeta_R="
        f"{fits['ridge'].zeta:.4g} [{fits['ridge'].lower:.4g}, {fits['ridge'].upper:.4g}] "
        f"(chi2/dof={fits['ridge'].chi2:.1f}/{fits['ridge'].dof}); for alpha<=1 see the evidence")
    fit, ridge_fit = fits["loss"], fits["ridge"]
    p_loss, p_ridge = (float(stats.chi2.sf(f.chi2, f.dof)) for f in (fit, ridge_fit))
    inside_seed = fit.lower <= seed_zeta <= fit.upper
    derived = ts.bn_equivalent_zeta(M)
    holds = inside_seed and p_loss >= 0.01  # a constant zeta_L must also describe the curve
    best = ridge_fit if p_ridge > p_loss else fit
    zeta_claim = Claim(
        "seed.2.3.bn_equivalent_zeta", SECTION, r"\zeta=\frac{1}{2M} for the BN student (\rho=0)",
        r"Part 1 with A''=2, \rho=0: \zeta_L=3/(2M) with mean-centering, 1/(2M) without",
        "confirmed" if holds else "contradicted",
        f"fitted to the converged BN points at alpha>1 ({fits['alphas']}). Loss convention (zeta_R = alpha zeta_L): "
        f"zeta_L = {fit.zeta:.4g} [{fit.lower:.4g}, {fit.upper:.4g}], chi2={fit.chi2:.2f}/{fit.dof} (p={p_loss:.2g}); "
        f"ridge convention: zeta_R = {ridge_fit.zeta:.4g} [{ridge_fit.lower:.4g}, {ridge_fit.upper:.4g}], "
        f"chi2={ridge_fit.chi2:.2f}/{ridge_fit.dof} (p={p_ridge:.2g}). 1/(2M)={seed_zeta:.4g}, 3/(2M)={derived:.4g}; "
        f"inside the loss-convention interval: 1/(2M) {inside_seed}, 3/(2M) {fit.lower <= derived <= fit.upper}; "
        f"inside the ridge-convention interval: 1/(2M) {ridge_fit.lower <= seed_zeta <= ridge_fit.upper}, "
        f"3/(2M) {ridge_fit.lower <= derived <= ridge_fit.upper}",
        seed_zeta, derived, fit.zeta, (fit.upper - fit.lower) / 2,
        None if holds else f"best constant description: zeta_{'R' if best is ridge_fit else 'L'} = {best.zeta:.4g} "
        f"[{best.lower:.4g}, {best.upper:.4g}] ({best.convention} convention, chi2={best.chi2:.2f}/{best.dof})")
    one = min(alphas, key=lambda a: abs(a - 1))
    traj = bn[one]["trajectory"].mean(axis=1)
    no_div = Claim(
        "seed.2.3.bn_no_divergence", SECTION, r"at \alpha=1 BN no longer diverges (gamma stays bounded)",
        "|v| = |gamma| is bounded by the gamma decay, so eps <= (|gamma|+1)^2",
        "confirmed" if np.isfinite(means[alphas == one][0]) else "contradicted",
        f"alpha={one:g}, N={N}: BN {means[alphas == one][0]:.4f} +- {ses[alphas == one][0]:.4f}, gamma "
        f"{bn[one]['gamma'].mean():.3f}; least squares diverges. Test error along training "
        f"(checkpoints {bn[one]['checkpoints'].tolist()}): {np.round(traj, 4).tolist()} — it is finite but still "
        "drifts upward with training: without gamma decay on w's direction, the BN minimiser at alpha<=1 "
        "interpolates the noise", float("inf"), None, float(means[alphas == one][0]), float(ses[alphas == one][0]))
    return [match, zeta_claim, no_div]


def teacher_claim() -> Claim:
    w2 = sp.Symbol("E|w*|^2", positive=True)
    var_y = (w2 + ts.delta2).subs(w2, 1)  # E[(w*^T x)^2] = E|w*|^2 = N * (1/N)
    verdict = "confirmed" if sp.simplify(var_y - (1 + ts.delta2)) == 0 else "contradicted"
    return Claim("seed.2.1.teacher_output", "2.1", r"y\sim\mathcal N(0, 1+\delta^2)", sp.latex(var_y), verdict,
                 "E[y^2] = E|w*|^2 + delta^2 = 1 + delta^2 (x ~ N(0,I), w* ~ N(0,I/N), independent)",
                 1 + DELTA**2, float(var_y.subs(ts.delta2, DELTA**2)))


# ----------------------------------------------------------------------------- figure
def draw_figure(path: Path, N: int, bn: dict[float, dict[str, np.ndarray]], panel: dict[str, np.ndarray],
                panel_alpha: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid = np.linspace(0.1, 4, 400)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [1.6, 1]})
    with np.errstate(all="ignore"):
        left.plot(grid, ts.sgd_error(grid, DELTA), color="tab:blue", label="least squares (SGD), $N\\to\\infty$")
    for zeta, color, label in ((1 / (2 * M), "tab:green", r"WN+$\gamma$ decay, $\zeta_R=1/(2M)$ (seed's G convention)"),
                               (0.25, "tab:red", r"WN+$\gamma$ decay, $\zeta_R=0.25=\delta^2$ (optimal)")):
        left.plot(grid, ts.wn_error(grid, zeta, DELTA), color=color, label=label)
    left.plot(grid, ts.wn_error(grid, ts.zeta_map(ts.bn_equivalent_zeta(M), grid), DELTA), "--", color="gray",
              label=r"WN+$\gamma$ decay, $\zeta_L=3/(2M)$ (Part 1, loss convention)")
    below = grid[grid < 0.97]
    left.plot(below, ts.bn_interpolation_error(below, ts.bn_equivalent_zeta(M), DELTA), ":", color="k",
              label=r"BN predicted for $\alpha<1$: PN (training statistics) + $\gamma$ decay, $w_0\to0$")
    alphas = np.array(sorted(bn))
    mean = np.array([bn[a]["bn"].mean() for a in alphas])
    se = np.array([_replica_mean_se(bn[a], "bn")[1] for a in alphas])
    left.errorbar(alphas, mean, yerr=se, fmt="s", color="k", capsize=3,
                  label=f"BN, M={M}, N={N}, {bn[alphas[0]]['bn'].size} replicas ($\\sigma_P=\\|w\\|$)")
    tr = np.array([bn[a]["bn_train_stats"].mean() for a in alphas])
    left.plot(alphas, tr, "s", mfc="none", color="k", alpha=0.6, label="BN, training-set statistics at test")
    left.set(xlabel=r"$\alpha=P/N$", ylabel=r"$\epsilon_{gen}$", ylim=(0, 2.0), xlim=(0, 4.1),
             title=rf"Teacher–student, $\delta^2={DELTA**2:g}$")
    left.legend(fontsize=7)
    zetas = panel["zetas"]
    fine = np.geomspace(zetas.min(), zetas.max(), 200)
    right.semilogx(fine, ts.wn_error(panel_alpha, fine, DELTA), color="tab:red", label=r"WN+$\gamma$ decay theory")
    m_cond = panel["ridge"].mean(axis=0)
    s_cond = np.array([_mean_se(col, panel["dataset"])[1] for col in panel["ridge"].T])
    right.errorbar(zetas, m_cond, yerr=s_cond, fmt="o", ms=3, color="tab:red", label=f"ridge solver, N={N}")
    one = min(alphas, key=lambda a: abs(a - panel_alpha))
    b_m, b_s = mean[alphas == one][0], se[alphas == one][0]
    right.axhspan(b_m - b_s, b_m + b_s, color="k", alpha=0.2, label=f"BN at $\\alpha$={one:g}")
    for zeta, ls in ((1 / (2 * M), ":"), (3 / (2 * M), "--"), (DELTA**2, "-.")):
        right.axvline(zeta, ls=ls, color="gray", lw=0.8)
    right.set(xlabel=r"$\zeta$ (ridge convention)", ylabel=r"$\epsilon_{gen}$",
              title=rf"$\alpha={panel_alpha:g}$ (least squares: $\infty$); $\zeta$ = 1/(2M), 3/(2M), $\delta^2$",
              ylim=(0, 2.0))
    right.title.set_fontsize(9)
    right.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
    plt.close(fig)


# ----------------------------------------------------------------------------- entry point
def run(ctx: RunContext, figures_dir: Path, *, executor: Executor | None = None,
        progress: bool | None = None) -> PartResult:
    """Part 2: checks of (a), (b), (d), the seed's formulas and BN claims, and the figure; the
    sweeps' tasks (alpha x data set) run on ``executor`` (default: here)."""
    size = _size(ctx)
    N = size["N"]
    seed = ctx.seed_sequence("part2.teacher_student")
    start = time.process_time()
    wall = time.perf_counter()
    results_dir = None if ctx.results_dir is None else Path(ctx.results_dir) / "part2"
    store = (lambda name: None) if results_dir is None else (lambda name: results_dir / name)
    lin_kw = dict(seed=seed, datasets=size["lin_datasets"], teachers=size["lin_teachers"], delta=DELTA,
                  backend=ctx.backend, progress=progress)  # linear algebra stays float64: exact checks
    bn_kw = dict(seed=seed, datasets=size["bn_datasets"], teachers=size["bn_teachers"], delta=DELTA,
                 backend=ctx.backend, dtype=ctx.dtype, progress=progress)
    config = BNConfig(M=M, epochs=size["epochs"], min_steps=size["min_steps"])
    half = BNConfig(M=M, epochs=size["epochs"] // 2, min_steps=size["min_steps"] // 2)
    small_init = BNConfig(M=M, epochs=size["epochs"], min_steps=size["min_steps"], w_init=0.1)
    lin = sweep("linear", N, size["lin_alphas"], zetas=panel_zetas(), directory=store("linear"),
                executor=executor, **lin_kw)
    gd_pts = sweep("linear", N, size["gd_alphas"], gd=True, wn=True, directory=store("gd"), executor=executor,
                   **lin_kw)
    bn = sweep("bn", N, size["bn_alphas"], config=config, directory=store("bn"), executor=executor, **bn_kw)
    bn_half = sweep("bn", N, size["bn_alphas"], config=half, directory=store("bn_half"), executor=executor,
                    **bn_kw)
    bn_init = sweep("bn", N, (0.5, 2.0), config=small_init, directory=store("bn_init"), executor=executor,
                    **bn_kw)
    result = PartResult()
    for a, point in lin.items():
        result.checks += linear_checks(N, a, point)
    for a, point in gd_pts.items():
        result.checks += [c for c in linear_checks(N, a, point) if not c.name.startswith("ts.ls")]
    above = np.array([a for a in sorted(bn) if a > 1 and converged(bn[a], bn_half[a])])
    if above.size < 2:  # too few converged points: fit all alpha > 1 and say so in the claim
        above = np.array([a for a in sorted(bn) if a > 1])
    fits = {conv: fit_effective_zeta(above, [bn[a]["bn"].mean() for a in above],
                                     [_replica_mean_se(bn[a], "bn")[1] for a in above], DELTA, convention=conv, N=N)
            for conv in ("loss", "ridge")}
    fits["alphas"] = [float(a) for a in above]
    panel_alpha = 1.0 if 1.0 in lin else min(lin, key=lambda a: abs(a - 1))
    result.claims += [teacher_claim(), *formula_claims(N, lin), optimal_zeta_claim(N, lin),
                      *bn_claims(N, bn, fits, bn_init, bn_half)]
    figure = Path(figures_dir) / "teacher_student.png"
    draw_figure(figure, N, bn, lin[panel_alpha], panel_alpha)
    result.figures.append(str(figure))
    alphas = np.array(sorted(bn))
    result.arrays.update({
        "ts_bn_alpha": alphas,
        "ts_bn_eps": np.stack([bn[a]["bn"] for a in alphas]),
        "ts_bn_eps_train_stats": np.stack([bn[a]["bn_train_stats"] for a in alphas]),
        "ts_bn_trajectory": np.stack([bn[a]["trajectory"] for a in alphas]),
        "ts_bn_eps_half_epochs": np.stack([bn_half[a]["bn"] for a in alphas]),
        "ts_panel_zetas": lin[panel_alpha]["zetas"],
        "ts_panel_ridge": lin[panel_alpha]["ridge"],
    })
    result.info["part2"] = {
        "N": N, "delta2": DELTA**2, "M": M, "size": {k: list(v) if isinstance(v, tuple) else v for k, v in size.items()},
        "bn_config": config.to_dict(), "fits": {k: v if k == "alphas" else v.to_dict() for k, v in fits.items()},
        "cpu_seconds": time.process_time() - start, "wall_seconds": time.perf_counter() - wall,
        "conventions": "zeta in checks/figure: ridge convention (X^TX/N + zeta); zeta_L (loss) = zeta_R/alpha; "
                       "BN test error with sigma_P = ||w||, mu_P = 0",
    }
    return result
