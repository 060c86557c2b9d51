"""Teacher data for the teacher–student model (seed §2.1): ``y = w*^T x + eps``.

One data set is one input matrix ``X`` shared by ``teachers`` independent teachers (their own
``w*`` and label noise), so the solvers read ``X`` once for all of them.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from theory.errors import BadInput

from ._backend import check_dtype, default_rng
from ._seeds import keyed_seed


def check_count(name: str, value: Any, low: int) -> None:
    """ValueError unless ``value`` is an integer ``>= low``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise BadInput(f"{name} must be an integer >= {low}, got {value!r}")


def check_size(N: int, P: int, delta: float) -> None:
    """ValueError naming the bad argument."""
    check_count("N", N, 2)
    check_count("P", P, 1)
    if not np.isfinite(delta) or delta < 0:
        raise BadInput(f"delta must be finite and >= 0, got {delta!r}")


def teacher_data(N: int, P: int, delta: float, seed: np.random.SeedSequence, xp: ModuleType = np,
                 dtype: str = "float64", teachers: int = 1) -> tuple[Any, Any, Any]:
    r"""``X`` (P, N) with N(0,1) entries; per teacher ``t``: ``w*_t ~ N(0, I/N)`` and
    ``y_t = X w*_t + \delta\,\xi_t`` — returned as columns of ``Y`` (P, T) and ``W*`` (N, T).

    ``X`` comes from the stream ``seed/"inputs"`` and teacher ``t`` from ``seed/"teacher"/t``, so
    adding teachers leaves the first ones unchanged; everything is drawn in float64 and rounded to
    ``dtype``, so the data do not depend on it.

    Parameters
    ----------
    N : int
        Input dimension.
    P : int
        Number of samples.
    delta : float
        Label noise level.
    seed : numpy.random.SeedSequence
        The random stream.
    xp : module, default numpy
        :mod:`numpy` or :mod:`cupy`.
    dtype : {"float64", "float32"}, default "float64"
        The floating-point type of the computation.
    teachers : int, default 1
        Number of teachers ``T``.

    Returns
    -------
    X : array, shape (P, N)
        The inputs.
    Y : array, shape (P, T)
        The labels.
    W_star : array, shape (N, T)
        The teachers.
    """
    check_size(N, P, delta)
    check_count("teachers", teachers, 1)
    check_dtype(dtype)
    X = default_rng(keyed_seed(seed, "inputs"), xp).standard_normal((P, N))
    W_star = xp.empty((N, teachers))
    noise = xp.empty((P, teachers))
    for t in range(teachers):
        rng = default_rng(keyed_seed(seed, "teacher", t), xp)
        W_star[:, t] = rng.standard_normal(N) / np.sqrt(N)
        noise[:, t] = rng.standard_normal(P)
    Y = X @ W_star + delta * noise
    # drawn in float64 and rounded: a float32 run sees the same data as a float64 one
    return X.astype(dtype, copy=False), Y.astype(dtype, copy=False), W_star.astype(dtype, copy=False)
