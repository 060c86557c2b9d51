r"""Monte-Carlo of real batch normalization (seed §1.1, §1.3).

Batches of :math:`M` standardized values :math:`z` are drawn, each value is normalized with its
own batch's statistics, :math:`\hat n=(z-\mu_B)/\sigma_B`, and compared with population
normalization :math:`\bar n=z`.  Every estimate averages first within a batch (the values of a
batch share :math:`\mu_B,\sigma_B`) and treats batches as the i.i.d. units of its standard error.
Runs stream in chunks of ``chunk_samples`` values, so memory stays bounded for 1e8+ samples.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp
from tqdm.auto import tqdm

from theory import numeric_function, symbols
from theory.errors import BadInput, batch_size

from ._backend import backend_name, check_dtype, default_rng, get_xp, lambdify_modules, to_numpy
from ._seeds import SeedLike, as_seed_sequence
from ._streaming import Estimate, RunningMean, RunningRatio, RunningVariance
from .input_distributions import InputSampler

X = symbols.X
DEFAULT_BINS: tuple[float, ...] = (-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0)


@dataclass(frozen=True)
class GLM:
    r"""A GLM head for the loss-gap measurement: activation :math:`g=A'`, curvature :math:`A''`,
    and (optionally) :math:`A` itself.  Labels are drawn at the model's optimum with the
    exponential family's conditional moments, :math:`y=g(\bar h)+\sqrt{A''(\bar h)}\,\varepsilon`,
    :math:`\varepsilon\sim\mathcal N(0,1)` (exact for the Gaussian GLM of the identity).

    Parameters
    ----------
    d2A : sympy.Expr
        The curvature :math:`A''`.
    g : sympy.Expr, optional
        The activation :math:`g=A'`.
    A : sympy.Expr, optional
        The log-partition :math:`A`.
    misfit : sympy.Expr, optional
        Added to the labels (in the standardized input).
    """

    d2A: sp.Expr
    g: sp.Expr | None = None
    A: sp.Expr | None = None
    #: optional misspecification: labels get ``misfit(z)`` added (z the standardized input), so
    #: E[y|x] != A'(h_bar) pointwise
    misfit: sp.Expr | None = None


@dataclass(frozen=True)
class BatchNoiseResult:
    """Estimates (mean ± stderr over batches) from one Monte-Carlo run.

    Parameters
    ----------
    M : int
        Batch size.
    input : str
        The input distribution's name.
    gamma, beta : float
        BN's scale and shift.
    bias : bool
        Whether the batch mean is subtracted.
    ddof : int
        The variance's divisor ``M - ddof``.
    samples, batches : int
        Number of values and of batches.
    seconds : float
        Wall time.
    backend, dtype : str
        Where and in what type it ran.
    var_mu_B, mean_sigma_B, var_sigma_B, cov_mu_sigma_B : Estimate
        The batch statistics' moments.
    error : Estimate
        :math:`\\mathbb E[(\\hat h-\\bar h)^2]/\\gamma^2`.
    bin_edges : tuple of float
        Edges of the bins of :math:`\\bar n`.
    conditional : tuple of Estimate
        The error in each bin.
    second_order, first_order, loss_gap : dict of str to Estimate
        Per GLM: the second-order term, the first-order term and the loss gap.
    """

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


def _validate(M, samples, gamma, beta, ddof, chunk_samples) -> int:
    M = batch_size(M, name="M (batch size)")
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 2 * M:
        raise BadInput(f"samples must be an integer >= 2*M, got {samples!r}")
    for name, v in (("gamma", gamma), ("beta", beta)):
        if not math.isfinite(float(v)):
            raise BadInput(f"{name} must be finite, got {v!r}")
    if gamma <= 0:
        raise BadInput(f"gamma must be > 0, got {gamma!r}")
    if ddof not in (0, 1):
        raise BadInput(f"ddof must be 0 or 1, got {ddof!r}")
    if chunk_samples < M:
        raise BadInput(f"chunk_samples must be >= M, got {chunk_samples!r}")
    return M


def _row_sum(xp, a, weights=None):
    """Sum of each row of ``a`` (times ``weights``): one pass, no temporary."""
    return xp.einsum("ij->i", a) if weights is None else xp.einsum("ij,ij->i", a, weights)


def _distinct(a):
    """``a`` without its broadcast (stride-0) axes, which keep length 1: a constant curvature is
    one value, not a chunk of copies."""
    return a[tuple(slice(0, 1) if s == 0 else slice(None) for s in a.strides)]


def _buffers(xp, batches: int, M: int, dtype: str, glm: bool) -> dict[str, Any]:
    """Work arrays of the largest chunk, reused by every chunk (fresh chunk-sized temporaries
    cost page faults on every chunk)."""
    shape = (batches, M)
    buf = {"d": xp.empty(shape, dtype=dtype), "d2": xp.empty(shape, dtype=dtype),
           "slot": xp.empty(shape, dtype=xp.int8), "above": xp.empty(shape, dtype=bool),
           "labels": xp.empty(batches * M, dtype=xp.intp),
           "rows": xp.repeat(xp.arange(batches, dtype=xp.intp), M)}  # each value's batch
    if glm:
        buf.update(tmp=xp.empty(shape, dtype=dtype), h_hat=xp.empty(shape, dtype=dtype))
    return buf


def _bin_moments(xp, z, d2, edges: tuple[float, ...], buf: dict[str, Any]):
    """Per bin ``[edges[k], edges[k+1])``, over the batches: the sums of ``a``, ``c``, ``a^2``,
    ``c^2`` and ``a c`` (bins, 5), where ``a`` is a batch's sum of ``d2`` in the bin and ``c`` its
    count.  One ``bincount`` over (bin, batch) labels replaces a mask per bin."""
    b = z.shape[0]
    slot, above, labels = buf["slot"], buf["above"], buf["labels"]  # slot: 0 below edges[0], k + 1 in bin k
    slot.fill(0)
    for e in edges:  # edges increase: the slot is the number of edges <= z
        xp.greater_equal(z, e, out=above)
        slot += above.view(xp.int8)
    labels[...] = slot.ravel()
    labels *= b
    labels += buf["rows"]
    size = b * (len(edges) + 1)
    a = xp.bincount(labels, weights=d2.ravel(), minlength=size).reshape(-1, b)[1:-1]
    c = xp.bincount(labels, minlength=size).reshape(-1, b)[1:-1].astype(xp.float64)
    return xp.stack([a.sum(axis=1), c.sum(axis=1), (a * a).sum(axis=1), (c * c).sum(axis=1), (a * c).sum(axis=1)],
                    axis=1)


@dataclass(frozen=True)
class _Head:
    """A GLM as array functions: curvature, activation (labels), log-partition, misfit (or None)."""

    d2A: Any
    g: Any
    A: Any
    misfit: Any


def _heads(glms: dict[str, GLM], xp) -> dict[str, _Head]:
    modules = lambdify_modules(xp)

    def f(expr):
        return None if expr is None else numeric_function(expr, X, modules)

    return {name: _Head(f(glm.d2A), f(glm.g), f(glm.A) if glm.g is not None else None, f(glm.misfit))
            for name, glm in glms.items()}


class _Accumulators:
    """Running estimates of one simulation, fed chunk by chunk."""

    def __init__(self, edges: tuple[float, ...], heads: dict[str, _Head]) -> None:
        self.mu, self.cov, self.err, self.sigma_mean = RunningMean(), RunningMean(), RunningMean(), RunningMean()
        self.sigma_var = RunningVariance(shift=1.0)
        self.bins = [RunningRatio() for _ in edges[:-1]]
        self.second = {k: RunningMean() for k in heads}
        self.first = {k: RunningMean() for k, h in heads.items() if h.g is not None}
        self.gap = {k: RunningMean() for k, h in heads.items() if h.A is not None}

    def add_statistics(self, xp, z, mu, sigma, d2, edges, buf) -> None:
        M = z.shape[1]
        self.mu.add(xp, mu * mu)
        self.cov.add(xp, mu * sigma)
        self.sigma_mean.add(xp, sigma)
        self.sigma_var.add(xp, sigma)
        self.err.add(xp, _row_sum(xp, d2) / M)
        for acc, row in zip(self.bins, to_numpy(_bin_moments(xp, z, d2, edges, buf)).tolist()):
            acc.add_sums(z.shape[0], *row)


def _normalize(xp, z, buf, bias: bool, ddof: int):
    """``mu_B``, ``sigma_B`` per batch and ``d = (h_hat - h_bar)/gamma``, ``d^2`` in the buffers."""
    M = z.shape[1]
    d, d2 = buf["d"], buf["d2"]
    if bias:
        mu = _row_sum(xp, z) / M
        centred = xp.subtract(z, mu[:, None], out=d)
    else:
        mu = xp.zeros(z.shape[0], dtype=z.dtype)
        centred = z
    sigma = xp.sqrt(_row_sum(xp, centred, centred) / (M - ddof))
    xp.divide(centred, sigma[:, None], out=d)
    d -= z
    xp.multiply(d, d, out=d2)
    return mu, sigma, d, d2


def _add_glms(xp, acc: _Accumulators, heads: dict[str, _Head], rng, z, d, d2, buf, gamma: float, beta: float,
              dtype: str) -> None:
    """Second-order term, first-order term (labels drawn from ``rng``, in the order of ``heads``)
    and loss gap of every GLM for one chunk."""
    M = z.shape[1]
    h_bar = z if (gamma, beta) == (1.0, 0.0) else gamma * z + beta
    diff = d if gamma == 1.0 else gamma * d
    tmp, h_hat = buf["tmp"], None
    for name, head in heads.items():
        curv = head.d2A(h_bar)
        acc.second[name].add(xp, 0.5 * _row_sum(xp, curv, d2) / M)
        if head.g is None:
            continue
        g_bar = head.g(h_bar)
        y = rng.standard_normal(z.shape, dtype=dtype)
        c = _distinct(curv)
        root = tmp[: c.shape[0], : c.shape[1]]
        y *= xp.sqrt(xp.maximum(c, 0, out=root), out=root)
        y += g_bar
        if head.misfit is not None:
            y += head.misfit(z)
        acc.first[name].add(xp, _row_sum(xp, xp.subtract(g_bar, y, out=tmp), diff) / M / gamma**2)
        if head.A is not None:
            h_hat = xp.add(h_bar, diff, out=buf["h_hat"]) if h_hat is None else h_hat
            gap = xp.subtract(head.A(h_hat), head.A(h_bar), out=tmp)
            y *= diff
            gap -= y
            acc.gap[name].add(xp, _row_sum(xp, gap) / M / gamma**2)


def _check_bins(bins) -> tuple[float, ...]:
    edges = tuple(float(b) for b in bins)
    if len(edges) < 2 or any(not lo < hi for lo, hi in itertools.pairwise(edges)) or len(edges) > 100:
        raise BadInput(f"bins must be 2 to 100 increasing edges, got {bins!r}")
    return edges


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
    seed: SeedLike = 0,
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
    :math:`(\mathbb E\ell(\hat h)-\mathbb E\ell(\bar h))/\gamma^2` (seed §1.1, §1.3).

    ``bias=False`` normalizes without the mean (:math:`\sigma_B^2=\tfrac1M\sum z^2`).

    Parameters
    ----------
    M : int
        Batch size, >= 2.
    input : str, scipy.stats distribution or array_like, default "gaussian"
        An input family, a distribution or a sample (see :class:`InputSampler`).
    glms : dict of str to GLM, optional
        The GLM heads of the loss-gap terms.
    gamma : float, default 1.0
        BN's scale, > 0.
    beta : float, default 0.0
        BN's shift.
    bias : bool, default True
        Subtract the batch mean.
    ddof : {0, 1}, default 0
        The variance's divisor ``M - ddof``.
    samples : int, default 2**22
        Number of values.
    seed : numpy.random.SeedSequence or int
        The root of every random stream (a non-negative integer is ``SeedSequence(seed)``).
    backend : {"numpy", "cupy", "auto"}, default "numpy"
        The array backend.
    dtype : {"float64", "float32"}, default "float64"
        The floating-point type of the computation.
    chunk_samples : int, default 2**20
        Values per chunk (memory).
    bins : tuple of float
        Edges of the bins of :math:`\bar n`.
    progress : bool or None, default None
        Progress bar on stderr; None: only on a TTY.

    Returns
    -------
    BatchNoiseResult
        The estimates.

    Raises
    ------
    BadInput
        If an argument is out of range or of the wrong type.
    """
    M = _validate(M, samples, gamma, beta, ddof, chunk_samples)
    dtype, seed, xp = check_dtype(dtype), as_seed_sequence(seed), get_xp(backend)
    sampler = InputSampler(input, xp)
    heads = _heads(dict(glms or {}), xp)
    edges = _check_bins(bins)
    per_chunk = max(chunk_samples // M, 1)
    batches_total = samples // M
    # spawn from a copy: the caller's SeedSequence is not advanced, so reusing it repeats the run
    children = np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key, pool_size=seed.pool_size).spawn(
        -(-batches_total // per_chunk))
    acc = _Accumulators(edges, heads)
    buffers = _buffers(xp, min(per_chunk, batches_total), M, dtype, bool(heads))
    start, done = time.perf_counter(), 0
    # progress: True always shows the bar, None only on a terminal (tqdm's disable=None), False never
    for child in tqdm(children, desc=f"BN Monte-Carlo M={M}", unit="chunk", leave=False,
                      disable=None if progress is None else not progress):
        rng = default_rng(child, xp)
        b = min(per_chunk, batches_total - done)
        done += b
        z = sampler.draw(rng, (b, M), dtype)
        buf = {k: v[: b * M] if v.ndim == 1 else v[:b] for k, v in buffers.items()}
        mu, sigma, d, d2 = _normalize(xp, z, buf, bias, ddof)
        acc.add_statistics(xp, z, mu, sigma, d2, edges, buf)
        if heads:
            _add_glms(xp, acc, heads, rng, z, d, d2, buf, gamma, beta, dtype)
    return BatchNoiseResult(
        M=int(M), input=sampler.name, gamma=float(gamma), beta=float(beta), bias=bool(bias), ddof=int(ddof),
        samples=batches_total * M, batches=batches_total, seconds=time.perf_counter() - start,
        backend=backend_name(xp), dtype=dtype, var_mu_B=acc.mu.estimate(), mean_sigma_B=acc.sigma_mean.estimate(),
        var_sigma_B=acc.sigma_var.estimate(), cov_mu_sigma_B=acc.cov.estimate(), error=acc.err.estimate(),
        bin_edges=edges, conditional=tuple(a.estimate() for a in acc.bins),
        second_order={k: a.estimate() for k, a in acc.second.items()},
        first_order={k: a.estimate() for k, a in acc.first.items()},
        loss_gap={k: a.estimate() for k, a in acc.gap.items()},
    )
