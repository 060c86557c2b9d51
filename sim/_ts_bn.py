"""The BN student of seed §2.3, ``phi = gamma (w^T x - mu_B)/sigma_B`` (beta = 0), trained by
minibatch SGD; replicas (teachers and initializations on one input matrix) are the columns of
one weight matrix.

Conventions (stated): ``sigma_B`` uses 1/M (as BN does), no epsilon; batches are consecutive
slices of a fresh random permutation of the P samples every epoch, the same for all replicas
(``P // M`` steps per epoch);
loss ``(1/M) sum_B (phi - y)^2``.  Plain SGD on ``w`` and ``gamma`` with
``lr_w(t) = lr_w * (M/N) * s(t)`` and ``lr_gamma(t) = lr_gamma * s(t)``; ``s = 1`` for the first
``hold`` fraction of the steps, then (``decay="cosine"``) a cosine decay to ``final_ratio``, or
(``decay="inverse"``) ``s = 1/(1 + (t - t_hold)/(tau T))``: under the inverse decay SGD's residual bias
falls like ``1/t``, so the paired drift between checkpoints at ``t/2`` and ``t`` measures it, while a
cosine decay freezes it in the slowest modes, where no drift between checkpoints shows it.
Initialization (stated, varied by the caller): ``w_0 ~ N(0, w_init^2 I/N)``, ``gamma_0 = gamma_init``.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from types import ModuleType
from typing import Any

import numpy as np
from scipy.linalg.blas import get_blas_funcs
from tqdm import tqdm

from theory.errors import BadInput, batch_size

from ._backend import array_namespace, default_rng, to_numpy
from ._seeds import SeedLike, as_seed_sequence


@dataclass(frozen=True)
class BNConfig:
    r"""How the BN student is trained (minibatch SGD, learning-rate schedule).

    Parameters
    ----------
    M : int, default 32
        Batch size, >= 2.
    epochs : int, default 100
        Epochs of training.
    min_steps : int, default 20000
        Minimum number of steps.
    lr_w, lr_gamma : float
        Learning rates of ``w`` and :math:`\gamma`, > 0.
    hold : float, default 0.5
        Fraction of the run at the full rate, in [0, 1).
    final_ratio : float, default 1e-3
        Final rate over initial rate (cosine decay).
    w_init, gamma_init : float, default 1.0
        Initial norm of ``w`` and initial :math:`\gamma`.
    decay : {"cosine", "inverse"}, default "cosine"
        The learning-rate decay after ``hold``.
    tau : float, default 0.05
        Time scale of the inverse decay, as a fraction of the run.

    Raises
    ------
    BadInput
        If a field is out of range.
    """

    M: int = 32
    epochs: int = 100
    min_steps: int = 20_000
    lr_w: float = 0.25
    lr_gamma: float = 0.05
    hold: float = 0.5
    final_ratio: float = 1e-3
    w_init: float = 1.0
    gamma_init: float = 1.0
    decay: str = "cosine"
    tau: float = 0.05

    def __post_init__(self) -> None:
        object.__setattr__(self, "M", batch_size(self.M))
        for name in ("epochs", "min_steps"):
            if getattr(self, name) < 0:
                raise BadInput(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if self.decay not in ("cosine", "inverse"):
            raise BadInput(f"decay must be 'cosine' or 'inverse', got {self.decay!r}")
        for name in ("lr_w", "lr_gamma", "w_init", "final_ratio", "tau"):
            if not getattr(self, name) > 0:
                raise BadInput(f"{name} must be > 0, got {getattr(self, name)!r}")
        if not 0 <= self.hold < 1:
            raise BadInput(f"hold must be in [0, 1), got {self.hold!r}")

    def steps(self, P: int) -> int:
        """Number of SGD steps on ``P`` samples.

        Parameters
        ----------
        P : int
            Training-set size, >= ``M``.

        Returns
        -------
        int
            The number of steps.

        Raises
        ------
        BadInput
            If ``P`` < ``M``.
        """
        if P < self.M:
            raise BadInput(f"P must be >= M = {self.M}, got P = {P}")
        return max(self.min_steps, self.epochs * (P // self.M))

    def schedule(self, t: int, total: int) -> float:
        """Learning-rate factor at step ``t`` of ``total``.

        Parameters
        ----------
        t : int
            The step.
        total : int
            The number of steps.

        Returns
        -------
        float
            The factor of the learning rates.
        """
        start = int(self.hold * total)
        if t < start:
            return 1.0
        if self.decay == "inverse":
            return 1.0 / (1.0 + (t - start) / (self.tau * total))
        frac = (t - start) / max(total - start, 1)
        return self.final_ratio + (1 - self.final_ratio) * 0.5 * (1 + math.cos(math.pi * frac))

    def to_dict(self) -> dict:
        """The configuration as a JSON-ready dict.

        Returns
        -------
        dict
            The fields.
        """
        return asdict(self)


@dataclass(frozen=True)
class BNState:
    """The BN students' weights and scales at one checkpoint.

    Parameters
    ----------
    w : array, shape (N, R)
        The weights, one column per replica.
    gamma : array, shape (R,)
        The scales.
    """

    w: Any  # (N, R): one column per replica
    gamma: Any  # (R,)


def bn_gradients(H: Any, Yb: Any, gamma: Any, scale: float = 1.0) -> tuple[Any, Any, Any]:
    r"""``scale * dL/dH``, ``dL/d\gamma`` and :math:`m = \overline{y\hat n}` for the pre-activations
    ``H`` (M, R) of one batch, labels ``Yb`` (M, R); ``H`` is overwritten (it becomes ``scale * dL/dH``).

    Forward: :math:`\hat n = (h - \mu_B)/\sigma_B`, :math:`L = \frac1M\sum_B(\gamma\hat n - y)^2`;
    backward through BN: :math:`\partial_h L = (g - \bar g - \hat n\,\overline{g\hat n})/\sigma_B`
    with :math:`g = \frac2M\gamma(\gamma\hat n - y)` and bars the batch means.  As
    :math:`\overline{\hat n} = 0` and :math:`\overline{\hat n^2} = 1`, with :math:`c = h - \mu_B`:
    :math:`\partial_\gamma L = 2(\gamma - m)` and
    :math:`\partial_h L = \frac{2\gamma}{M\sigma_B}\big(\frac{m}{\sigma_B}c - (y - \bar y)\big)`,
    four column sums and five element-wise passes over the (M, R) head (the direct form takes
    about twenty).

    Parameters
    ----------
    H : array, shape (M, R)
        Pre-activations of the batch; overwritten.
    Yb : array, shape (M, R)
        The batch's labels.
    gamma : array, shape (R,)
        The scales.
    scale : float, default 1.0
        Factor of the returned ``dL/dH``.

    Returns
    -------
    dH : array, shape (M, R)
        ``scale * dL/dH`` (``H`` itself).
    dgamma : array, shape (R,)
        ``dL/dgamma``.
    m : array, shape (R,)
        :math:`\overline{y\hat n}`.
    """
    xp = array_namespace(H)
    M = H.shape[0]
    centred = H
    centred -= H.sum(axis=0) / M
    inv_sigma = (xp.einsum("ij,ij->j", centred, centred) / M) ** -0.5
    m = xp.einsum("ij,ij->j", Yb, centred) * (inv_sigma / M)
    k = (2 * scale / M) * gamma * inv_sigma  # dL/dh = k (m c / sigma - y + y_mean)
    k_y_mean = k * (Yb.sum(axis=0) / M)
    centred *= k * m * inv_sigma
    dH = centred
    dH -= Yb * k
    dH += k_y_mean
    return dH, 2 * (gamma - m), m


def bn_head(H: Any, Yb: Any, gamma: Any, scale: float = 1.0) -> tuple[Any, Any, Any]:
    r"""Loss per replica, ``scale * dL/dH`` and ``dL/d\gamma`` (:func:`bn_gradients`), with
    :math:`L = \gamma^2 - 2\gamma m + \overline{y^2}`; ``H`` is overwritten."""
    xp = array_namespace(H)
    dH, grad_gamma, m = bn_gradients(H, Yb, gamma, scale)
    return gamma * gamma - 2 * gamma * m + xp.einsum("ij,ij->j", Yb, Yb) / Yb.shape[0], dH, grad_gamma


def bn_forward_backward(Xb: Any, Yb: Any, W: Any, gamma: Any) -> tuple[Any, Any, Any]:
    """Loss per replica and gradients for one batch ``Xb`` (M, N) shared by the replicas
    (columns of ``Yb`` (M, R), ``W`` (N, R))."""
    loss, dH, grad_gamma = bn_head(Xb @ W, Yb, gamma)
    return loss, Xb.T @ dH, grad_gamma


def train_bn(X: Any, Y: Any, config: BNConfig, seed: SeedLike, *,
             checkpoints: tuple[float, ...] = (1.0,), progress: bool | None = None) -> list[BNState]:
    """Minibatch SGD of ``R`` BN students on one input matrix ``X`` (P, N); replica ``r`` learns
    the labels ``Y[:, r]`` (P, R) from its own initialization.

    The replicas share the batch order, so each step reads its ``M`` rows of ``X`` once for all
    of them and both products are matrix products (``(M, N) @ (N, R)``), not ``R`` vector ones.
    Replicas that differ only in initialization repeat a column of ``Y``.  Returns the state at
    each fraction of the run in ``checkpoints`` (the last must be 1.0), so the caller can see
    whether the test error still drifts at the end.

    Parameters
    ----------
    X : array, shape (P, N)
        The training inputs.
    Y : array, shape (P, R)
        The labels, one column per replica.
    config : BNConfig
        The training setup.
    seed : numpy.random.SeedSequence or int
        The root of every random stream (a non-negative integer is ``SeedSequence(seed)``).
    checkpoints : tuple of float, default (1.0,)
        Fractions of the run in (0, 1], ending with 1.0.
    progress : bool or None, default None
        Progress bar on stderr; None: only on a TTY.

    Returns
    -------
    list of BNState
        The state at each checkpoint.

    Raises
    ------
    BadInput
        If ``Y`` does not have ``P`` rows, ``checkpoints`` is invalid or ``P`` < ``config.M``.
    """
    xp = array_namespace(X)
    P, N = X.shape
    if Y.ndim != 2 or Y.shape[0] != P:
        raise BadInput(f"Y must have shape (P, R) = ({P}, R), got {tuple(Y.shape)}")
    if not checkpoints or checkpoints[-1] != 1.0 or any(not 0 < c <= 1 for c in checkpoints):
        raise BadInput(f"checkpoints must be fractions in (0, 1] ending with 1.0, got {checkpoints!r}")
    R, M = Y.shape[1], config.M
    rng = default_rng(as_seed_sequence(seed), xp)
    W = _draw_initial(rng, N, R, config)
    Wt = xp.ascontiguousarray(W.T, dtype=X.dtype)  # (R, N) rows: both products run at full BLAS speed
    gamma = xp.full(R, config.gamma_init, dtype=X.dtype)
    total = config.steps(P)
    marks = {max(1, int(round(c * total))) for c in checkpoints}
    per_epoch = P // M
    batch = xp.empty((M, N), dtype=X.dtype)
    gather = row_gather(X, batch)
    labels = xp.empty((M, R), dtype=Y.dtype)
    gather_labels = row_gather(Y, labels)
    forward, update = batch_products(xp, R, X.dtype)
    order = None
    states = []
    show = sys.stderr.isatty() if progress is None else progress
    for t in tqdm(range(total), desc=f"BN SGD P={P} R={R}", file=sys.stderr, disable=not show, leave=False):
        k = t % per_epoch
        if k == 0:
            order = xp.argsort(rng.random(P))
        assert order is not None  # drawn at t = 0 (k == 0) and at the start of every epoch
        idx = order[k * M:(k + 1) * M]
        gather(idx)  # the one read of these M rows, shared by all replicas
        gather_labels(idx)
        s = config.schedule(t, total)
        # the step size folded into the small factor dH
        dH, grad_gamma, _ = bn_gradients(forward(batch, Wt), labels, gamma, config.lr_w * M / N * s)
        update(Wt, dH, batch)
        gamma -= X.dtype.type(config.lr_gamma * s) * grad_gamma
        if t + 1 in marks:
            states.append(BNState(Wt.T.copy(), gamma.copy()))
    return states


def _draw_initial(rng: Any, N: int, R: int, config: BNConfig) -> Any:
    # drawn in float64 whatever X's precision, so float32 and float64 runs start from the same
    # weights and see the same batch order
    return rng.standard_normal((N, R)) * (config.w_init / np.sqrt(N))


def initial_weights(N: int, R: int, config: BNConfig, seed: np.random.SeedSequence, xp: ModuleType = np) -> Any:
    """The ``w_0`` (N, R) that :func:`train_bn` starts from with this ``seed`` (its first draw)."""
    return _draw_initial(default_rng(as_seed_sequence(seed), xp), N, R, config)


def row_gather(X: Any, out: Any) -> Callable[[Any], None]:
    """``out[:] = X[idx]``.  NumPy's default ``mode="raise"`` buffers ``out`` (28 % of a
    one-replica step at N = 4096); the indices come from a permutation, so ``"clip"`` is exact.

    Parameters
    ----------
    X : array, shape (P, N)
        The rows to gather from.
    out : array, shape (M, N)
        The buffer.

    Returns
    -------
    callable
        ``gather(idx)``: fills ``out`` with ``X[idx]``.
    """
    if array_namespace(X) is np:
        return lambda idx: np.take(X, idx, axis=0, out=out, mode="clip")
    return lambda idx: X.take(idx, axis=0, out=out)


def batch_products(xp: ModuleType, R: int, dtype: Any
                   ) -> tuple[Callable[[Any, Any], Any], Callable[[Any, Any, Any], None]]:
    """``(forward, update)``: ``forward(batch, Wt) = batch Wt^T`` and ``update(Wt, dH, batch)``:
    ``Wt -= dH^T batch`` in place.

    On NumPy with several replicas both go through SciPy's BLAS ``gemm``; the update with
    ``beta = 1`` is then split over the cores like the product, instead of a product followed by
    a single-threaded subtraction (25-30 % of a step at R = 128).  Both must use the same BLAS:
    NumPy and SciPy each bring their own OpenBLAS, and alternating the two every step leaves
    one's spinning threads fighting the other's (100x slower).  For one replica NumPy's
    matrix-vector path is faster.

    Parameters
    ----------
    xp : module
        :mod:`numpy` or :mod:`cupy`.
    R : int
        Number of replicas.
    dtype : dtype
        The arrays' floating-point type.

    Returns
    -------
    forward : callable
        ``forward(batch, Wt)``.
    update : callable
        ``update(Wt, dH, batch)``, in place.
    """
    if xp is np and R >= 8:
        gemm = get_blas_funcs("gemm", dtype=dtype)

        # every operand handed over as the Fortran-order view of a C-order array: no copies
        def forward(batch, Wt):
            return gemm(1.0, batch.T, Wt.T, trans_a=1)  # (M, R), Fortran order

        def update(Wt, dH, batch):
            # Wt (R, N) in C order is Wt^T (N, R) in Fortran order: Wt^T <- Wt^T - batch^T dH
            gemm(-1.0, batch.T, dH, beta=1.0, c=Wt.T, overwrite_c=1)
        return forward, update

    def plain_update(Wt, dH, batch):
        Wt -= dH.T @ batch
    return (lambda batch, Wt: batch @ Wt.T), plain_update


def bn_test_errors(state: BNState, X: Any, w_star: Any) -> dict[str, np.ndarray]:
    """Exact test errors for ``x ~ N(0, I)`` from the effective weight, per replica (columns of
    ``state.w`` and of the teachers ``w_star`` (N, R); ``X`` is the training set).

    ``population``: inference with the input distribution's statistics, ``mu_P = 0``,
    ``sigma_P = ||w||``, so ``v = gamma w/||w||`` and ``eps = ||v - w*||^2``.
    ``train_stats``: inference with the training set's statistics (what running averages give),
    ``v = gamma w/sigma_T``, bias ``-gamma mu_T/sigma_T``: ``eps = ||v - w*||^2 + bias^2``.

    Parameters
    ----------
    state : BNState
        The students.
    X : array, shape (P, N)
        The training set.
    w_star : array, shape (N, R)
        The teachers.

    Returns
    -------
    dict of str to ndarray
        ``population`` and ``train_stats``, each (R,).
    """
    xp = array_namespace(state.w)
    w, gamma = state.w, state.gamma
    norm = xp.linalg.norm(w, axis=0)
    v_pop = gamma * w / norm
    h = X @ w
    mu_t, sigma_t = h.mean(axis=0), h.std(axis=0)
    v_tr = gamma * w / sigma_t
    bias = gamma * mu_t / sigma_t
    return {
        "population": to_numpy(((v_pop - w_star) ** 2).sum(axis=0)),
        "train_stats": to_numpy(((v_tr - w_star) ** 2).sum(axis=0) + bias**2),
        "gamma": to_numpy(gamma),
        "w_norm": to_numpy(norm),
    }
