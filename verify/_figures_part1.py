"""Figures of Part 1: the normalization error against M, zeta against M, and the error
conditional on the standardized input (where the skewness term shows)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from theory import conditional_error_coefficients, zeta, zeta_corrections
from theory._moments import RHO
from theory.symbols import N_BAR
from theory.symbols import M as M_SYM

from ._part1 import bin_average, gaussian_mean_sigma


def _gaussian(sims):
    rows = [(s, r) for s, r in sims.values() if s.input == "gaussian" and s.bias and (s.gamma, s.beta) == (1.0, 0.0)]
    return sorted(rows, key=lambda sr: sr[0].M)


def arrays(sims) -> dict[str, np.ndarray]:
    rows = _gaussian(sims)
    out = {
        "part1_M": np.array([s.M for s, _ in rows], dtype=float),
        "part1_error": np.array([r.error.value for _, r in rows]),
        "part1_error_stderr": np.array([r.error.stderr for _, r in rows]),
    }
    for a in ("identity", "relu", "tanh"):
        out[f"part1_zeta_{a}"] = np.array([r.second_order[a].value for _, r in rows])
        out[f"part1_zeta_{a}_stderr"] = np.array([r.second_order[a].stderr for _, r in rows])
    return out


def draw(sims, figures_dir: Path) -> list[str]:
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    figures_dir.mkdir(parents=True, exist_ok=True)
    rows = _gaussian(sims)
    Ms = np.array([s.M for s, _ in rows], dtype=float)
    grid = np.geomspace(Ms.min(), Ms.max(), 200)
    exact = np.array([2 * (1 - gaussian_mean_sigma(int(m))) for m in np.unique(np.round(grid))])
    paths = []

    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    err = np.array([r.error.value for _, r in rows])
    se = np.array([r.error.stderr for _, r in rows])
    ax[0].errorbar(Ms, Ms * err, yerr=4.5 * Ms * se, fmt="s", color="k", label="simulated BN (±4.5 SE)")
    ax[0].plot(grid, np.full_like(grid, 1.5), label="first order 3/(2M)")
    ax[0].plot(np.unique(np.round(grid)), np.unique(np.round(grid)) * exact, label="exact 2(1 - E σ_B)")
    ax[0].plot(grid, 1.5 + 1.5 / grid, "--", label="seed: 3/(2M) + 3/(2M²)")
    ax[0].set(xscale="log", xlabel="batch size M", ylabel="M · E[(ĥ - h̄)²]/γ²",
              title="Normalization error (Gaussian h, §1.1)")
    ax[0].legend(fontsize=8)
    for a, color in (("identity", "C0"), ("relu", "C1"), ("tanh", "C2")):
        val = np.array([r.second_order[a].value for _, r in rows])
        sev = np.array([r.second_order[a].stderr for _, r in rows])
        ax[1].errorbar(Ms, Ms * val, yerr=4.5 * Ms * sev, fmt="o", color=color, label=f"{a}: simulated")
        first = np.array([zeta(a, m, method="quadrature").value for m in grid])
        ax[1].plot(grid, grid * first, color=color, lw=1, label=f"{a}: ζ (first order)")
        second = first + np.array([zeta_corrections(a, m)[0] for m in grid])
        ax[1].plot(grid, grid * second, color=color, lw=1, ls="--", label=f"{a}: ζ + ζ₂")
    ax[1].set(xscale="log", xlabel="batch size M", ylabel="M · ζ", title="Gamma decay ζ(h) vs M (Gaussian h)")
    ax[1].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    path = figures_dir / "part1_error_and_zeta_vs_M.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    paths.append(str(path))

    fig, ax = plt.subplots(figsize=(6, 4.2))
    c = [conditional_error_coefficients(k) / M_SYM**k for k in (1, 2)]
    seed_c1 = (1 + (RHO + 2) / 4 * N_BAR**2) / M_SYM
    for (key, label), color in zip((("gaussian,M=32", "Gaussian, M=32"), ("exponential,M=128", "exponential (s=2), M=128")),
                                   ("C0", "C3")):
        s, r = sims[key]
        edges = np.array(r.bin_edges)
        mids = (edges[:-1] + edges[1:]) / 2
        vals = np.array([e.value for e in r.conditional]) * s.M
        ses = np.array([e.stderr for e in r.conditional]) * s.M
        ok = np.isfinite(ses)
        ax.errorbar(mids[ok], vals[ok], yerr=4.5 * ses[ok], fmt="o", color=color, label=f"simulated, {label}")
        first_bin = int(np.argmax(ok))
        for k, (lo, hi) in enumerate(zip(edges, edges[1:])):
            if not ok[k]:
                continue
            first = s.M * bin_average(c[0].subs(M_SYM, s.M), s.input, lo, hi)
            second = first + s.M * bin_average(c[1].subs(M_SYM, s.M), s.input, lo, hi)
            ax.hlines(first, lo, hi, color=color, lw=1, label="derived, first order" if k == first_bin and color == "C0" else None)
            ax.hlines(second, lo, hi, color=color, lw=1, ls="--", label="derived, + M⁻² term" if k == first_bin and color == "C0" else None)
            if s.input == "exponential":
                seed = s.M * bin_average(seed_c1.subs(M_SYM, s.M), s.input, lo, hi)
                ax.hlines(seed, lo, hi, color="k", lw=1.5, ls=":", label="seed (no skewness term)" if k == first_bin else None)
    ax.set(xlabel="standardized input n̄", ylabel="M · E[(ĥ - h̄)² | n̄]/γ²", title="Conditional error, bin averages (§1.3)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    path = figures_dir / "part1_conditional_error.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    paths.append(str(path))
    return paths
