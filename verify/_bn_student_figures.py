"""The BN student's figures: the test error against alpha (BN simulated, derived, PN, least squares
and the seed's WN + gamma decay curves), the effective ridge zeta, the paired gap along training;
and the test error against the batch size."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim import mean_se
from theory import bn_student_error, effective_ridge_zeta, pn_student_error
from theory import teacher_student as ts

from ._ladder import pyplot, save_figure


def _mean_se(run, key: str) -> tuple[float, float]:
    value = run.arrays[key]
    return mean_se(value[-1] if value.ndim == 2 else value, run.arrays["dataset"])


def _curves(ax, M: int, delta: float) -> None:
    below, above = np.linspace(0.05, 0.985, 200), np.linspace(1.015, 4.2, 300)
    for part in (below, above):
        first = part is below
        ax.plot(part, bn_student_error(part, M, delta), color="k", label=f"BN derived, M={M}" if first else None)
        ax.plot(part, pn_student_error(part, delta), "--", color="tab:purple", label="PN (M → ∞)" if first else None)
        with np.errstate(all="ignore"):
            ax.plot(part, ts.sgd_error(part, delta), color="tab:blue", lw=0.8, label="least squares" if first else None)
    grid = np.concatenate([below, above])
    ax.plot(grid, ts.wn_error(grid, 1 / (2 * M), delta), color="tab:green",
            label=r"seed: WN+$\gamma$ decay, $\zeta_R=1/(2M)$")
    ax.plot(grid, ts.wn_error(grid, ts.zeta_map(3 / (2 * M), grid), delta), ":", color="tab:green",
            label=r"WN+$\gamma$ decay, $\zeta_L=3/(2M)$")


def _points(ax, runs, slow) -> None:
    for group, marker, label in (("above", "s", "BN simulated (SGD)"), ("below", "o", "BN, $w_{init}=0.1$"),
                                 ("w0", "^", r"BN, $w_0\sim N(0,I/N)$")):
        chosen = [r for r in runs if r.group == group]
        for done in (True, False):
            pts = [r for r in chosen if (r.alpha not in slow) == done]
            if not pts:
                continue
            stats = np.array([_mean_se(r, "bn") for r in pts])
            ax.errorbar([r.alpha for r in pts], stats[:, 0], yerr=stats[:, 1], fmt=marker, color="k", capsize=3,
                        mfc="k" if done else "none",
                        label=f"{label}, N={pts[0].N}" + ("" if done else " (not converged)"))
        if group == "w0":
            ax.plot([r.alpha for r in chosen], [r.mean("pred_eps") for r in chosen], "x", color="tab:red",
                    label="its paired prediction (conserved $w_0$ part)")


def _zeta_panel(ax, M: int, delta: float) -> None:
    grid = np.linspace(1.02, 4.2, 200)
    ax.plot(grid, effective_ridge_zeta(grid, M, delta), color="k", label=r"$\zeta_{\rm eff}$ (ridge), derived")
    ax.plot(grid, effective_ridge_zeta(grid, M, delta) / grid, "--", color="k",
            label=r"$\zeta_{\rm eff}/\alpha$ (loss)")
    for zeta, ls, name in ((1 / (2 * M), ":", "1/(2M)"), (3 / (2 * M), "-.", "3/(2M)")):
        ax.axhline(zeta, ls=ls, color="tab:green", label=rf"$\zeta={name}$")
    ax.set(xlabel=r"$\alpha$", ylabel=r"$\zeta$", title="BN-equivalent ridge strength", ylim=(0, 0.08))
    ax.legend(fontsize=7)


def _trajectory_panel(ax, runs) -> None:
    for run in runs:
        if run.group != "above":
            continue
        gap = run.arrays["paired_eps"]
        means = [mean_se(row, run.arrays["dataset"]) for row in gap]
        ax.errorbar(run.arrays["checkpoints"], [m for m, _ in means], yerr=[s for _, s in means], marker="o",
                    capsize=2, label=rf"$\alpha={run.alpha:g}$")
    ax.axhline(0, color="gray", lw=0.8)
    ax.set(xlabel="fraction of training", ylabel=r"$\epsilon_{BN}-\epsilon_{\rm stationary}$ (paired)",
           title="SGD approaching its stationary point")
    ax.legend(fontsize=7)


def draw_alpha(runs, slow, M: int, delta: float, folder: Path) -> Path:
    plt = pyplot()
    fig, (left, mid, right) = plt.subplots(1, 3, figsize=(15, 4.3), gridspec_kw={"width_ratios": [1.5, 1, 1]})
    _curves(left, M, delta)
    _points(left, runs, slow)
    left.set(xlabel=r"$\alpha=P/N$", ylabel=r"$\epsilon_{gen}$", ylim=(0, 2.4), xlim=(0, 4.2),
             title=rf"BN student vs its derivation, $\delta^2={delta**2:g}$, $\sigma_P=\|w\|$")
    left.legend(fontsize=6.5)
    _zeta_panel(mid, M, delta)
    _trajectory_panel(right, runs)
    return save_figure(plt, fig, Path(folder) / "bn_student.png", dpi=130)


def draw_batch_size(runs, delta: float, folder: Path) -> Path:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.3))
    fine = np.geomspace(4, 160, 200)
    for alpha, color in zip(sorted({r.alpha for r in runs}), ("tab:blue", "tab:orange", "tab:green")):
        pts = sorted((r for r in runs if r.alpha == alpha), key=lambda r: r.M)
        stats = np.array([_mean_se(r, "bn") for r in pts])
        ax.errorbar([r.M for r in pts], stats[:, 0], yerr=stats[:, 1], fmt="s", color=color, capsize=3,
                    label=rf"BN simulated, $\alpha={alpha:g}$, N={pts[0].N}")
        paired = [r for r in pts if "pred_eps" in r.arrays]
        ax.plot([r.M for r in paired], [r.mean("pred_eps") for r in paired], "x", color=color, label="stationary point")
        ax.plot(fine, bn_student_error(alpha, np.round(fine), delta), color=color, label="derived")
        ax.axhline(float(pn_student_error(alpha, delta)), ls="--", color=color, lw=0.8, label="PN (M → ∞)")
    ax.set(xscale="log", xlabel="batch size M", ylabel=r"$\epsilon_{gen}$", title="BN student vs the batch size")
    ax.legend(fontsize=6.5)
    return save_figure(plt, fig, Path(folder) / "bn_student_vs_M.png", dpi=130)
