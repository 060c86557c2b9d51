r"""Monte-Carlo of real batch normalization (seed §1.1, §1.3).

Batches of :math:`M` standardized values :math:`z` are drawn, each value is normalized with its
own batch's statistics, :math:`\hat n=(z-\mu_B)/\sigma_B`, and compared with population
normalization :math:`\bar n=z`.  Every estimate averages first within a batch (the values of a
batch share :math:`\mu_B,\sigma_B`) and treats batches as the i.i.d. units of its standard error.
Runs stream in chunks of ``chunk_samples`` values, so memory stays bounded for 1e8+ samples.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp
from tqdm.auto import tqdm

from theory import _symbols
from theory._numeric import numeric_function

from ._backend import backend_name, default_rng, get_xp
from ._streaming import Estimate, RunningMean, RunningRatio, RunningVariance
from .input_distributions import InputSampler

X = _symbols.X
DEFAULT_BINS: tuple[float, ...] = (-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0)


@dataclass(frozen=True)
class GLM:
    r"""A GLM head for the loss-gap measurement: activation :math:`g=A'`, curvature :math:`A''`,
    and (optionally) :math:`A` itself.  Labels are drawn at the model's optimum with the
    exponential family's conditional moments, :math:`y=g(\bar h)+\sqrt{A''(\bar h)}\,\varepsilon`,
    :math:`\varepsilon\sim\mathcal N(0,1)` (exact for the Gaussian GLM of the identity)."""

    d2A: sp.Expr
    g: sp.Expr | None = None
    A: sp.Expr | None = None
    #: optional misspecification: labels get ``misfit(z)`` added (z the standardized input), so
    #: E[y|x] != A'(h_bar) pointwise
    misfit: sp.Expr | None = None


@dataclass(frozen=True)
class BatchNoiseResult:
    """Estimates (mean ± stderr over batches) from one Monte-Carlo run."""

    M: int
    input: str
    gamma: float
    beta: float
    bias: bool
    ddof: int
    samples: int
    batches: int
    seconds: float
    backend: str
    dtype: str
    var_mu_B: Estimate
    mean_sigma_B: Estimate
    var_sigma_B: Estimate
    cov_mu_sigma_B: Estimate
    error: Estimate
    bin_edges: tuple[float, ...]
    conditional: tuple[Estimate, ...]
    second_order: dict[str, Estimate] = field(default_factory=dict)
    first_order: dict[str, Estimate] = field(default_factory=dict)
    loss_gap: dict[str, Estimate] = field(default_factory=dict)


def _validate(M, samples, gamma, beta, ddof, chunk_samples):
    if isinstance(M, bool) or not isinstance(M, (int, np.integer)) or M < 2:
        raise ValueError(f"M (batch size) must be an integer >= 2, got {M!r}")
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 2 * M:
        raise ValueError(f"samples must be an integer >= 2*M, got {samples!r}")
    for name, v in (("gamma", gamma), ("beta", beta)):
        if not math.isfinite(float(v)):
            raise ValueError(f"{name} must be finite, got {v!r}")
    if gamma <= 0:
        raise ValueError(f"gamma must be > 0, got {gamma!r}")
    if ddof not in (0, 1):
        raise ValueError(f"ddof must be 0 or 1, got {ddof!r}")
    if chunk_samples < M:
        raise ValueError(f"chunk_samples must be >= M, got {chunk_samples!r}")


def simulate_batch_noise(
    M: int,
    *,
    input: Any = "gaussian",
    glms: dict[str, GLM] | None = None,
    gamma: float = 1.0,
    beta: float = 0.0,
    bias: bool = True,
    ddof: int = 0,
    samples: int = 2**22,
    seed: np.random.SeedSequence | int = 0,
    backend: str = "numpy",
    dtype: str = "float64",
    chunk_samples: int = 2**20,
    bins: tuple[float, ...] = DEFAULT_BINS,
    progress: bool | None = None,
) -> BatchNoiseResult:
    r"""Simulate BN on ``samples`` values in batches of ``M`` and estimate, with standard errors,
    :math:`\operatorname{Var}\mu_B`, :math:`\mathbb E\sigma_B`, :math:`\operatorname{Var}\sigma_B`,
    :math:`\operatorname{Cov}(\mu_B,\sigma_B)`, :math:`\mathbb E[(\hat h-\bar h)^2]/\gamma^2` overall and
    in bins of :math:`\bar n`, and for each GLM the second-order term
    :math:`\tfrac12\mathbb E[A''(\bar h)(\hat h-\bar h)^2]/\gamma^2` (the simulated :math:`\zeta`),
    the first-order term :math:`\mathbb E[(A'(\bar h)-y)(\hat h-\bar h)]/\gamma^2` and the full gap
    :math:`(\mathbb E\ell(\hat h)-\mathbb E\ell(\bar h))/\gamma^2`.

    ``bias=False`` normalizes without the mean (:math:`\sigma_B^2=\tfrac1M\sum z^2`).
    """
    _validate(M, samples, gamma, beta, ddof, chunk_samples)
    if dtype not in ("float64", "float32"):
        raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        seed = np.random.SeedSequence(int(seed))
    xp = get_xp(backend)
    sampler = InputSampler(input, xp)
    glms = dict(glms or {})
    funcs = {
        name: (
            numeric_function(glm.d2A, X, xp),
            None if glm.g is None else numeric_function(glm.g, X, xp),
            None if glm.A is None or glm.g is None else numeric_function(glm.A, X, xp),
            None if glm.misfit is None else numeric_function(glm.misfit, X, xp),
        )
        for name, glm in glms.items()
    }
    edges = tuple(float(b) for b in bins)
    per_chunk = max(chunk_samples // M, 1)
    batches_total = samples // M
    n_chunks = -(-batches_total // per_chunk)
    # spawn from a copy: the caller's SeedSequence is not advanced, so reusing it repeats the run
    children = np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key, pool_size=seed.pool_size).spawn(n_chunks)

    acc_mu, acc_cov, acc_err = RunningMean(), RunningMean(), RunningMean()
    acc_sigma_mean, acc_sigma_var = RunningMean(), RunningVariance(shift=1.0)
    acc_bins = [RunningRatio() for _ in edges[:-1]]
    acc_second = {k: RunningMean() for k in funcs}
    acc_first = {k: RunningMean() for k, f in funcs.items() if f[1] is not None}
    acc_gap = {k: RunningMean() for k, f in funcs.items() if f[2] is not None}

    start = time.perf_counter()
    done = 0
    # progress: True always shows the bar, None only on a terminal (tqdm's disable=None), False never
    bar = tqdm(children, desc=f"BN Monte-Carlo M={M}", unit="chunk", leave=False,
               disable=None if progress is None else not progress)
    for child in bar:
        rng = default_rng(child, xp)
        b = min(per_chunk, batches_total - done)
        done += b
        z = sampler.draw(rng, (b, M), dtype)
        if bias:
            mu = z.mean(axis=1)
            centred = z - mu[:, None]
        else:
            mu = xp.zeros(b, dtype=z.dtype)
            centred = z
        sigma = xp.sqrt((centred * centred).sum(axis=1) / (M - ddof))
        d = centred / sigma[:, None] - z  # (h_hat - h_bar)/gamma
        d2 = d * d
        acc_mu.add(xp, mu * mu)
        acc_cov.add(xp, mu * sigma)
        acc_sigma_mean.add(xp, sigma)
        acc_sigma_var.add(xp, sigma)
        acc_err.add(xp, d2.mean(axis=1))
        for k, (lo, hi) in enumerate(zip(edges, edges[1:])):
            mask = ((z >= lo) & (z < hi)).astype(z.dtype)
            a_b = (mask * d2).sum(axis=1, dtype=xp.float64)
            c_b = mask.sum(axis=1, dtype=xp.float64)
            acc_bins[k].add_sums(b, float(a_b.sum()), float(c_b.sum()), float((a_b * a_b).sum()),
                                 float((c_b * c_b).sum()), float((a_b * c_b).sum()))
        if funcs:
            h_bar = gamma * z + beta
            diff = gamma * d
            for name, (d2a, g, A, misfit) in funcs.items():
                curv = d2a(h_bar)
                acc_second[name].add(xp, (0.5 * curv * d2).mean(axis=1))
                if g is None:
                    continue
                y = g(h_bar) + xp.sqrt(xp.maximum(curv, 0)) * rng.standard_normal(z.shape, dtype=dtype)
                if misfit is not None:
                    y = y + misfit(z)
                residual = g(h_bar) - y
                acc_first[name].add(xp, (residual * diff).mean(axis=1) / gamma**2)
                if A is not None:
                    gap = A(h_bar + diff) - A(h_bar) - y * diff
                    acc_gap[name].add(xp, gap.mean(axis=1) / gamma**2)
    seconds = time.perf_counter() - start
    return BatchNoiseResult(
        M=int(M), input=sampler.name, gamma=float(gamma), beta=float(beta), bias=bool(bias), ddof=int(ddof),
        samples=batches_total * M, batches=batches_total, seconds=seconds, backend=backend_name(xp), dtype=dtype,
        var_mu_B=acc_mu.estimate(), mean_sigma_B=acc_sigma_mean.estimate(), var_sigma_B=acc_sigma_var.estimate(),
        cov_mu_sigma_B=acc_cov.estimate(), error=acc_err.estimate(), bin_edges=edges,
        conditional=tuple(a.estimate() for a in acc_bins),
        second_order={k: a.estimate() for k, a in acc_second.items()},
        first_order={k: a.estimate() for k, a in acc_first.items()},
        loss_gap={k: a.estimate() for k, a in acc_gap.items()},
    )
