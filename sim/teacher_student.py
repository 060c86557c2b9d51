"""Teacher–student solvers of seed §2.3 at any N (default 4096), replicas batched, resumable sweeps.

* :func:`linear_point` — (a) min-norm least squares by a stable solve and plain GD from zero,
  (b) WN + gamma decay = ridge for every zeta from one eigendecomposition, (d) WN without decay.
* :func:`bn_point` — (c) the BN student trained by minibatch SGD (see :mod:`sim._ts_bn`).
* :func:`sweep_grid` — either solver over N x M x alpha x data sets on an executor, saved task by
  task (JSON + ``.npz``) and resumed; :func:`sweep` — the same at one N, keyed by alpha;
  :func:`plan_sweep_grid` — its tasks, for :func:`sim.run_jobs` to run several sweeps as one queue.
* :func:`fit_effective_zeta` — (e) the gamma decay that best explains a curve, with its interval.

Replicas come as ``datasets`` input matrices times ``teachers`` teachers on each matrix: the
solvers read a matrix once for all its teachers (matrix products, one factorization).  Data set
``g`` at ``N, P`` is the same for every solver (keyed by ``N, P, g``), so the BN and ridge points
at one alpha see identical data, and points of different N never share a stream.  Replicas on one
matrix are not independent: standard errors must be computed over data sets (``dataset`` labels
each replica).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Literal, cast

import numpy as np

from theory.errors import BadInput

from ._backend import check_dtype, get_xp, resolve_backend, to_numpy
from ._seeds import SeedLike, as_seed_sequence, keyed_seed
from ._ts_bn import BNConfig, bn_test_errors, initial_weights, train_bn
from ._ts_bn_prediction import CentredDesign, closed_prediction, stationary_prediction
from ._ts_data import check_count, check_size, teacher_data
from ._ts_fit import ZetaFit, fit_effective_zeta
from ._ts_linear import (
    RidgeSpectrum,
    effective_error,
    gradient_descents,
    min_norm_least_squares,
    smaller_gram,
)
from ._ts_store import Job, SweepStore, run_jobs
from .executor import Executor

__all__ = ["BNConfig", "GridPoint", "SweepOptions", "SweepPlan", "ZetaFit", "bn_point", "fit_effective_zeta",
           "linear_point", "plan_sweep_grid", "samples_for", "sweep", "sweep_grid"]


def samples_for(N: int, alpha: float) -> int:
    """``P = round(alpha N)``; ValueError for ``alpha <= 0`` or ``N < 2``.

    Parameters
    ----------
    N : int
        Input dimension, >= 2.
    alpha : float
        Samples per dimension, > 0.

    Returns
    -------
    int
        ``P``, at least 1.

    Raises
    ------
    BadInput
        If ``alpha <= 0`` or ``N < 2``.
    """
    if not np.isfinite(alpha) or alpha <= 0:
        raise BadInput(f"alpha must be finite and > 0, got {alpha!r}")
    check_size(N, 1, 0.0)
    return max(1, int(round(alpha * N)))


def _check_zetas(zetas) -> tuple[float, ...] | None:
    z = None if zetas is None else np.asarray(zetas, dtype=float)
    if z is not None and (z.ndim != 1 or z.size == 0 or np.any(~np.isfinite(z)) or np.any(z <= 0)):
        raise BadInput(f"zetas must be None or a non-empty 1-D array of values > 0, got {zetas!r}")
    return None if z is None else tuple(float(v) for v in z)


@dataclass(frozen=True)
class SweepOptions:
    """Everything a teacher–student task needs besides its (N, M, alpha, data set): picklable, so
    executors ship it to workers, and the source of a sweep's manifest (:meth:`manifest`).

    Build it with :meth:`make`, which validates every field and resolves the backend once.

    Parameters
    ----------
    kind : {"linear", "bn"}
        The solvers: least squares, ridge, GD and WN; or the BN student.
    seed : numpy.random.SeedSequence
        Root of the keyed random streams.
    datasets : int
        Input matrices per point.
    teachers : int, default 1
        Teachers per input matrix.
    delta : float, default 0.5
        Label noise level.
    zetas : tuple of float, optional
        Ridge-convention zetas (linear only).
    config : BNConfig, optional
        The BN student's training setup.
    gd, wn : bool, default False
        Also run gradient descent / weight normalization.
    backend : str, default "numpy"
        The resolved backend.
    dtype : {"float64", "float32"}, default "float64"
        The floating-point type of the computation.
    progress : bool or None, default None
        Progress bar on stderr; None: only on a TTY.
    prediction_epochs : int, default 0
        BN: epochs of batches behind the paired predictions (0: none).
    """

    kind: Literal["linear", "bn"]
    seed: np.random.SeedSequence
    datasets: int
    teachers: int = 1
    delta: float = 0.5
    zetas: tuple[float, ...] | None = None
    config: BNConfig = BNConfig()
    gd: bool = False
    wn: bool = False
    backend: str = "numpy"
    dtype: str = "float64"
    progress: bool | None = None
    prediction_epochs: int = 0  #: BN: epochs of batches behind each replica's paired predictions (0: none)

    @classmethod
    def make(cls, kind: str, *, seed: SeedLike, datasets: int, teachers: int = 1, delta: float = 0.5, zetas=None,
             config: BNConfig | None = None, gd: bool = False, wn: bool = False, backend: str = "numpy",
             dtype: str = "float64", progress: bool | None = None, predict: bool | int = True) -> SweepOptions:
        """Validated options from :func:`sweep_grid`'s arguments.

        Parameters
        ----------
        kind : {"linear", "bn"}
            The solvers: least squares, ridge, GD and WN; or the BN student.
        seed : numpy.random.SeedSequence or int
            Root of the keyed random streams.
        datasets : int
            Input matrices per point.
        teachers : int, default 1
            Teachers per input matrix.
        delta : float, default 0.5
            Label noise level, >= 0.
        zetas : sequence of float, optional
            Ridge-convention zetas of the ridge solver (linear only).
        config : BNConfig, optional
            The BN student's training setup (BN only).
        gd, wn : bool, default False
            Also run gradient descent / weight normalization (linear only).
        backend : {"numpy", "cupy", "auto"}, default "numpy"
            The array backend.
        dtype : {"float64", "float32"}, default "float64"
            The floating-point type of the computation.
        progress : bool or None, default None
            Progress bar on stderr; None: only on a TTY.
        predict : bool or int, default True
            BN only: paired predictions per replica (an int: over that many epochs of batches).

        Returns
        -------
        SweepOptions
            The options.

        Raises
        ------
        BadInput
            If an argument is out of range.
        """
        if kind not in ("linear", "bn"):
            raise BadInput(f"kind must be 'linear' or 'bn', got {kind!r}")
        check_count("datasets", datasets, 1)
        check_count("teachers", teachers, 1)
        if not np.isfinite(delta) or delta < 0:
            raise BadInput(f"delta must be finite and >= 0, got {delta!r}")
        checked = cast(Literal["linear", "bn"], kind)  # one of the two, checked above
        return cls(checked, as_seed_sequence(seed), int(datasets), int(teachers), float(delta), _check_zetas(zetas),
                   config or BNConfig(), bool(gd), bool(wn), resolve_backend(backend), check_dtype(dtype), progress,
                   _prediction_epochs(predict))

    def manifest(self) -> dict:
        """The JSON-serialisable settings a resumable sweep's store is keyed by.

        Returns
        -------
        dict
            The settings.
        """
        settings = {
            "kind": self.kind, "delta": self.delta, "teachers": self.teachers, "backend": self.backend,
            "dtype": self.dtype, "seed_entropy": str(self.seed.entropy), "spawn_key": list(self.seed.spawn_key),
            "zetas": None if self.zetas is None else list(self.zetas),
            "bn": {k: v for k, v in self.config.to_dict().items() if k != "M"} if self.kind == "bn" else None,
            "gd": self.gd, "wn": self.wn,
        }
        if self.kind == "bn" and self.prediction_epochs:  # stores written without predictions keep their settings
            settings["prediction"] = {"epochs": self.prediction_epochs, "checkpoints": list(CHECKPOINTS)}
        return settings

    def check_point(self, N: int, alpha: float, M: int | None = None) -> int:
        """``P`` for one point, after checking N, alpha and (BN) the batch size against P.

        Parameters
        ----------
        N : int
            Input dimension.
        alpha : float
            Samples per dimension.
        M : int, optional
            The BN batch size.

        Returns
        -------
        int
            ``P``.

        Raises
        ------
        BadInput
            If ``N``, ``alpha`` or ``M`` is out of range (``M`` > ``P``).
        """
        P = samples_for(N, alpha)
        check_size(N, P, self.delta)
        if self.kind == "bn":
            replace(self.config, M=self.config.M if M is None else M).steps(P)
        return P


def _prediction_epochs(predict: bool | int) -> int:
    """``predict``: True (:data:`PREDICTION_EPOCHS` epochs of batches), False (no predictions) or a
    number of epochs >= 1."""
    if isinstance(predict, bool):
        return PREDICTION_EPOCHS if predict else 0
    if not isinstance(predict, int | np.integer) or predict < 1:
        raise BadInput(f"predict must be True, False or a number of epochs >= 1, got {predict!r}")
    return int(predict)


def _data(N: int, P: int, dataset: int, options: SweepOptions):
    return teacher_data(N, P, options.delta, keyed_seed(options.seed, "data", N, P, dataset), get_xp(options.backend),
                        options.dtype, options.teachers)


#: how :func:`_concat` joins each array of a per-data-set result (default: along the replica axis 0)
_SHARED = {"zetas", "checkpoints"}
_PER_DATASET = {"ridge_conditional", "ridge_variance", "stieltjes", "gd_iterations", "wn_iterations"}
_REPLICA_AXIS = {"trajectory": 1, "gamma_trajectory": 1, "eta_trajectory": 1, "paired_eps": 1, "paired_gamma": 1,
                 "closed_paired_eps": 1}
#: epochs of random batches over which the stationary point of the expected batch loss is taken
PREDICTION_EPOCHS = 200
#: fractions of a BN run at which the test error is recorded (the drift check uses them)
CHECKPOINTS = (0.5, 0.75, 1.0)


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Join per-data-set results: replica arrays along their replica axis, per-data-set rows stacked;
    ``dataset`` labels each replica with its data set."""
    out = {}
    for key, first in parts[0].items():
        if key in _SHARED:
            out[key] = first
        elif key in _PER_DATASET:
            out[key] = np.stack([p[key] for p in parts])
        else:
            out[key] = np.concatenate([p[key] for p in parts], axis=_REPLICA_AXIS.get(key, 0))
    return out


def _linear_dataset(N: int, alpha: float, dataset: int, options: SweepOptions) -> dict[str, np.ndarray]:
    P, T = samples_for(N, alpha), options.teachers
    X, Y, W_star = _data(N, P, dataset, options)
    gram = smaller_gram(X)  # one Gram matrix for every solver of this data set
    out = {"ls": effective_error(min_norm_least_squares(X, Y, gram=gram), W_star) if abs(P - N) > 1
           else np.full(T, np.nan)}
    if options.zetas is not None:
        zetas = np.asarray(options.zetas)
        spectrum = RidgeSpectrum.from_data(X, Y, W_star, gram=gram)
        out.update(ridge=spectrum.errors(zetas), ridge_conditional=spectrum.conditional_mean(zetas, options.delta),
                   ridge_variance=spectrum.conditional_variance(zetas, options.delta),
                   stieltjes=spectrum.stieltjes(zetas), zetas=zetas)
    wanted = tuple(name for name, on in (("gd", options.gd), ("wn", options.wn)) if on)
    descents = gradient_descents(X, Y, wanted, gram=gram) if wanted else {}
    for name in wanted:
        res = descents[name]
        out[name] = effective_error(res.weights, W_star)
        out[f"{name}_iterations"] = np.asarray(res.iterations if res.converged else -1)
    out["dataset"] = np.full(T, dataset)
    return out


def _bn_dataset(N: int, alpha: float, dataset: int, options: SweepOptions, M: int | None = None,
                checkpoints: tuple[float, ...] = CHECKPOINTS) -> dict[str, np.ndarray]:
    P = samples_for(N, alpha)
    config = options.config if M is None else replace(options.config, M=M)
    X, Y, W_star = _data(N, P, dataset, options)
    # not keyed by M: runs that differ only in the batch size share initial weights and permutations
    run_seed = keyed_seed(options.seed, "bn", N, P, dataset, config.w_init, config.gamma_init)
    states = train_bn(X, Y, config, run_seed, checkpoints=checkpoints, progress=options.progress)
    errors = [bn_test_errors(s, X, W_star) for s in states]
    final = errors[-1]
    out = {
        "bn": final["population"],
        "bn_train_stats": final["train_stats"],
        "gamma": final["gamma"],
        "w_norm": final["w_norm"],
        "trajectory": np.stack([e["population"] for e in errors]),
        "gamma_trajectory": np.stack([e["gamma"] for e in errors]),
        "eta_trajectory": np.stack([_effective_rate(config, P, c, e["w_norm"]) for c, e in zip(checkpoints, errors)]),
        "checkpoints": np.asarray(checkpoints, dtype=float),
        "dataset": np.full(options.teachers, dataset),
    }
    if options.prediction_epochs:
        w0 = initial_weights(N, options.teachers, config, run_seed, get_xp(options.backend))
        seed = keyed_seed(options.seed, "bn_prediction", N, P, dataset, config.M)
        out.update(_paired(X, Y, W_star, config.M, w0, errors, seed, options.prediction_epochs))
    return out


def _effective_rate(config: BNConfig, P: int, fraction: float, w_norm: np.ndarray) -> np.ndarray:
    """``lr_w s(t) / |w|^2`` at a checkpoint: the step BN's scale invariance makes effective on the
    direction (the rate SGD's stationary bias is proportional to)."""
    total = config.steps(P)
    step = max(1, int(round(fraction * total))) - 1
    return config.lr_w * config.schedule(step, total) / np.asarray(w_norm, dtype=float) ** 2


def _paired(X, Y, W_star, M: int, w0, errors: list[dict], seed: np.random.SeedSequence,
            epochs: int) -> dict[str, np.ndarray]:
    """Each replica's paired predictions (stationary point and closed form, from its own data and
    the run's ``w_0``) and the paired differences BN - prediction at every checkpoint."""
    design = CentredDesign.from_inputs(X)
    norms = [e["w_norm"] for e in errors]
    stat = stationary_prediction(X, Y, W_star, M, seed=seed, epochs=epochs, w0=w0, w_norm=norms[-1],
                                 design=design)
    # with P <= N + 1 the direction depends on the run's norm (the conserved part of w_0): one per checkpoint;
    # gamma does not (every interpolant has C_B = sigma_B(y))
    closed = [closed_prediction(X, Y, W_star, M, w0=w0, w_norm=n, design=design)
              for n in (norms if design.interpolating else norms[-1:])]
    closed = closed * (len(errors) if len(closed) == 1 else 1)
    w2 = np.asarray(to_numpy((W_star * W_star).sum(axis=0)), dtype=float)
    g = stat["gamma"]
    if design.interpolating:
        stat_eps = [g**2 - 2 * g * c["overlap"] + w2 for c in closed]
    else:
        stat_eps = [stat["eps"]] * len(errors)
    return {
        "pred_eps": stat_eps[-1], "pred_gamma": g, "pred_overlap": stat["overlap"],
        "pred_iterations": stat["iterations"],
        "closed_eps": closed[-1]["eps"], "closed_gamma": closed[-1]["gamma"], "closed_overlap": closed[-1]["overlap"],
        "paired_eps": np.stack([e["population"] - p for e, p in zip(errors, stat_eps)]),
        # (gamma, w) and (-gamma, -w) are the same student: compare |gamma|
        "paired_gamma": np.stack([np.abs(e["gamma"]) - g for e in errors]),
        "closed_paired_eps": np.stack([e["population"] - c["eps"] for e, c in zip(errors, closed)]),
    }


def linear_point(N: int, alpha: float, zetas=None, delta: float = 0.5, *, datasets: int, teachers: int = 1,
                 seed: SeedLike, gd: bool = False, wn: bool = False,
                 backend: str = "numpy", dtype: str = "float64") -> dict[str, np.ndarray]:
    """Solvers (a), (b), (d) on ``datasets`` input matrices with ``teachers`` teachers each, at
    ``P = round(alpha N)``; ``R = datasets * teachers`` replicas, data set ``g`` holding replicas
    ``g T ... g T + T - 1`` (``dataset`` (R,) says which).

    Returns ``ls`` (R,); unless ``zetas`` is None, ``ridge`` (R, Z) — ``||v - w*||^2`` at every
    ridge-convention zeta —, and per data set (G, Z): ``ridge_conditional`` — ``E[eps | X]``
    (exact given the spectrum) —, ``ridge_variance`` — ``Var[eps | X]`` of one replica, exact —,
    ``stieltjes`` — ``(1/N) tr (S + zeta)^{-1}``; when asked ``gd``/``wn`` (R,) with their
    iteration counts (G,) (-1: not converged).  ``ls`` is NaN when ``|P - N| <= 1``.

    Parameters
    ----------
    N : int
        Input dimension.
    alpha : float
        Samples per dimension.
    zetas : sequence of float, optional
        Ridge-convention zetas.
    delta : float, default 0.5
        Label noise level.
    datasets : int
        Number of input matrices.
    teachers : int, default 1
        Teachers per input matrix.
    seed : numpy.random.SeedSequence or int
        The root of every random stream (a non-negative integer is ``SeedSequence(seed)``).
    gd, wn : bool, default False
        Also run gradient descent / weight normalization.
    backend : {"numpy", "cupy", "auto"}, default "numpy"
        The array backend.
    dtype : {"float64", "float32"}, default "float64"
        The floating-point type of the computation.

    Returns
    -------
    dict of str to ndarray
        The arrays described above.

    Raises
    ------
    BadInput
        If an argument is out of range.
    """
    options = SweepOptions.make("linear", seed=seed, datasets=datasets, teachers=teachers, delta=delta, zetas=zetas,
                                gd=gd, wn=wn, backend=backend, dtype=dtype)
    options.check_point(N, alpha)
    return _concat([_linear_dataset(N, alpha, g, options) for g in range(datasets)])


def bn_point(N: int, alpha: float, delta: float = 0.5, *, datasets: int, teachers: int = 1,
             seed: SeedLike, config: BNConfig = BNConfig(), backend: str = "numpy",
             dtype: str = "float64", checkpoints: tuple[float, ...] = CHECKPOINTS,
             progress: bool | None = None, predict: bool | int = True) -> dict[str, np.ndarray]:
    """Solver (c): the BN student at ``P = round(alpha N)`` on ``datasets`` input matrices, the
    ``teachers`` of one matrix trained together (one read of each batch for all of them).

    Returns, per replica (R = datasets * teachers), ``bn`` (population-statistics test error, the
    primary number), ``bn_train_stats``, ``gamma``, ``w_norm`` at the end, ``dataset``, and
    ``trajectory`` (C, R) of the primary error at each checkpoint, ``gamma_trajectory`` (C, R) and
    ``eta_trajectory`` (C, R), the effective direction step ``lr_w s(t)/|w|^2`` there.

    With ``predict`` (default True: over :data:`PREDICTION_EPOCHS` epochs of batches; or a number
    of epochs) each replica also carries its paired predictions from its own data
    (:mod:`sim._ts_bn_prediction`): ``pred_eps``, ``pred_gamma``, ``pred_overlap`` — the stationary
    point of the expected batch loss (``pred_iterations``: steps of its solver) —, ``closed_eps``,
    ``closed_gamma``, ``closed_overlap`` — the leading-order closed form —, and the paired
    differences at each checkpoint, ``paired_eps``, ``paired_gamma`` (BN's ``|gamma|`` - stationary) and
    ``closed_paired_eps`` (BN - closed form), each (C, R).  For ``P <= N + 1`` the predictions use
    the run's own ``w_0`` (its conserved part) and the norm at each checkpoint.

    Parameters
    ----------
    N : int
        Input dimension.
    alpha : float
        Samples per dimension.
    delta : float, default 0.5
        Label noise level.
    datasets : int
        Number of input matrices.
    teachers : int, default 1
        Teachers per input matrix.
    seed : numpy.random.SeedSequence or int
        The root of every random stream (a non-negative integer is ``SeedSequence(seed)``).
    config : BNConfig, optional
        The training setup.
    backend : {"numpy", "cupy", "auto"}, default "numpy"
        The array backend.
    dtype : {"float64", "float32"}, default "float64"
        The floating-point type of the computation.
    checkpoints : tuple of float
        Fractions of the run at which the errors are recorded.
    progress : bool or None, default None
        Progress bar on stderr; None: only on a TTY.
    predict : bool or int, default True
        BN only: paired predictions per replica (an int: over that many epochs of batches).

    Returns
    -------
    dict of str to ndarray
        The arrays described above.

    Raises
    ------
    BadInput
        If an argument is out of range.
    """
    options = SweepOptions.make("bn", seed=seed, datasets=datasets, teachers=teachers, delta=delta, config=config,
                                backend=backend, dtype=dtype, progress=progress, predict=predict)
    options.check_point(N, alpha)
    return _concat([_bn_dataset(N, alpha, g, options, checkpoints=checkpoints) for g in range(datasets)])


@dataclass(frozen=True)
class GridPoint:
    """One point of :func:`sweep_grid`: the dimension, the BN batch size (None for the linear
    solvers) and ``alpha``.

    Parameters
    ----------
    N : int
        Input dimension.
    M : int or None
        BN batch size (None for the linear solvers).
    alpha : float
        Samples per dimension.
    """

    N: int
    M: int | None
    alpha: float


def _sweep_task(options: SweepOptions, tasks: dict[str, tuple[GridPoint, int]], key: str) -> tuple[dict, dict]:
    """One (N, M, alpha, data set) of a sweep; module-level so that executors can ship it to workers."""
    point, g = tasks[key]
    if options.kind == "linear":
        arrays = _linear_dataset(point.N, point.alpha, g, options)
    else:
        arrays = _bn_dataset(point.N, point.alpha, g, options, M=point.M)
    return arrays, {"N": point.N, "M": point.M, "alpha": point.alpha, "P": samples_for(point.N, point.alpha),
                    "dataset": g}


@dataclass(frozen=True)
class SweepPlan:
    """A sweep ready to run: its tasks as a :class:`Job` (one per point and data set) and the
    points they make up.  :func:`sweep_grid` runs one; :func:`run_jobs` runs several as one queue.

    Parameters
    ----------
    job : Job
        The tasks.
    points : tuple of GridPoint
        The points.
    kind : str
        ``"linear"`` or ``"bn"``.
    datasets : int
        Input matrices per point.
    """

    job: Job
    points: tuple[GridPoint, ...]
    kind: str
    datasets: int

    def collect(self, done: dict[str, dict[str, np.ndarray]]) -> dict[GridPoint, dict[str, np.ndarray]]:
        """The arrays of every point from the job's results (``run_jobs``' entry for this job).

        Parameters
        ----------
        done : dict of str to dict
            The job's results by task key.

        Returns
        -------
        dict of GridPoint to dict
            Every point's arrays.
        """
        return {p: _concat([done[_task_key(self.kind, p, g)] for g in range(self.datasets)]) for p in self.points}


def plan_sweep_grid(kind: Literal["linear", "bn"], Ns, alphas, *, Ms=None, seed: SeedLike, datasets: int,
                    teachers: int = 1, delta: float = 0.5, zetas=None, config: BNConfig | None = None,
                    gd: bool = False, wn: bool = False, backend: str = "numpy", dtype: str = "float64",
                    directory: str | Path | None = None, parallel: bool = False, progress: bool | None = None,
                    predict: bool | int = True) -> SweepPlan:
    """The tasks of :func:`sweep_grid` (same arguments; ``parallel``: they will run on workers,
    so no task draws its own progress bar), every argument checked, nothing run yet.

    Parameters
    ----------
    kind : {"linear", "bn"}
        The solvers: least squares, ridge, GD and WN; or the BN student.
    Ns : sequence of int
        Dimensions.
    alphas : sequence of float
        Samples per dimension.
    Ms : sequence of int, optional
        BN batch sizes (default ``config.M``).
    seed : numpy.random.SeedSequence or int
        Root of the keyed random streams.
    datasets : int
        Input matrices per point.
    teachers : int, default 1
        Teachers per input matrix.
    delta : float, default 0.5
        Label noise level, >= 0.
    zetas : sequence of float, optional
        Ridge-convention zetas of the ridge solver (linear only).
    config : BNConfig, optional
        The BN student's training setup (BN only).
    gd, wn : bool, default False
        Also run gradient descent / weight normalization (linear only).
    backend : {"numpy", "cupy", "auto"}, default "numpy"
        The array backend.
    dtype : {"float64", "float32"}, default "float64"
        The floating-point type of the computation.
    directory : str or Path, optional
        Folder of a resumable :class:`SweepStore`.
    parallel : bool, default False
        The tasks will run on workers.
    progress : bool or None, default None
        Progress bar on stderr; None: only on a TTY.
    predict : bool or int, default True
        BN only: paired predictions per replica (an int: over that many epochs of batches).

    Returns
    -------
    SweepPlan
        The plan.

    Raises
    ------
    BadInput
        If an argument is out of range (checked before anything runs).
    """
    options = SweepOptions.make(kind, seed=seed, datasets=datasets, teachers=teachers, delta=delta, zetas=zetas,
                                config=config, gd=gd, wn=wn, backend=backend, dtype=dtype,
                                # one bar per worker would garble the terminal: inner bars only in this process
                                progress=False if parallel else progress, predict=predict)
    points = _grid(options, Ns, alphas, Ms)
    store = SweepStore(directory, options.manifest()) if directory is not None else None
    tasks = {_task_key(kind, p, g): (p, g) for p in points for g in range(datasets)}
    return SweepPlan(Job(tuple(tasks), partial(_sweep_task, options, tasks), store), tuple(points), kind, datasets)


def sweep_grid(kind: Literal["linear", "bn"], Ns, alphas, *, Ms=None, seed: SeedLike, datasets: int,
               teachers: int = 1, delta: float = 0.5, zetas=None, config: BNConfig | None = None, gd: bool = False,
               wn: bool = False, backend: str = "numpy", dtype: str = "float64", directory: str | Path | None = None,
               executor: Executor | None = None, progress: bool | None = None,
               predict: bool | int = True) -> dict[GridPoint, dict[str, np.ndarray]]:
    """Every point of the grid ``Ns`` x ``Ms`` x ``alphas`` (``Ms``: batch sizes of the BN student,
    default ``config.M``; None for ``kind="linear"``), each with the arrays of :func:`linear_point`
    / :func:`bn_point`.

    The work is split into one task per (N, M, alpha, data set), run by ``executor`` (default: in
    this process; see :func:`sim.executor.make_executor` for local processes and Dask).  With
    ``directory`` each finished task is saved as it arrives and a rerun (after an interruption)
    computes only the missing ones.  Results do not depend on the executor or on the order in
    which tasks finish: every task draws from its own keyed stream (data keyed by N, P and the
    data set, so points of different N or alpha never share data; BN runs that differ only in M
    share initial weights and permutations).  ``predict`` (BN only, default True): every replica
    carries its paired predictions (see :func:`bn_point`); it is part of the stored settings.

    Parameters
    ----------
    kind : {"linear", "bn"}
        The solvers: least squares, ridge, GD and WN; or the BN student.
    Ns : sequence of int
        Dimensions.
    alphas : sequence of float
        Samples per dimension.
    Ms : sequence of int, optional
        BN batch sizes (default ``config.M``).
    seed : numpy.random.SeedSequence or int
        Root of the keyed random streams.
    datasets : int
        Input matrices per point.
    teachers : int, default 1
        Teachers per input matrix.
    delta : float, default 0.5
        Label noise level, >= 0.
    zetas : sequence of float, optional
        Ridge-convention zetas of the ridge solver (linear only).
    config : BNConfig, optional
        The BN student's training setup (BN only).
    gd, wn : bool, default False
        Also run gradient descent / weight normalization (linear only).
    backend : {"numpy", "cupy", "auto"}, default "numpy"
        The array backend.
    dtype : {"float64", "float32"}, default "float64"
        The floating-point type of the computation.
    directory : str or Path, optional
        Folder of a resumable :class:`SweepStore`.
    executor : Executor, optional
        Runs the tasks (default: this process).
    progress : bool or None, default None
        Progress bar on stderr; None: only on a TTY.
    predict : bool or int, default True
        BN only: paired predictions per replica (an int: over that many epochs of batches).

    Returns
    -------
    dict of GridPoint to dict
        Every point's arrays.

    Raises
    ------
    BadInput
        If an argument is out of range (checked before anything runs).
    """
    plan = plan_sweep_grid(kind, Ns, alphas, Ms=Ms, seed=seed, datasets=datasets, teachers=teachers, delta=delta,
                           zetas=zetas, config=config, gd=gd, wn=wn, backend=backend, dtype=dtype, directory=directory,
                           parallel=executor is not None and executor.name != "serial", progress=progress,
                           predict=predict)
    return plan.collect(run_jobs([plan.job], executor=executor, progress=progress)[0])


def _grid(options: SweepOptions, Ns, alphas, Ms) -> list[GridPoint]:
    """The grid's points, each checked (N, alpha, and the batch size against P)."""
    N_list = _items(Ns)
    alpha_list = [float(a) for a in np.atleast_1d(np.asarray(alphas, dtype=float))]
    if options.kind == "linear":
        if Ms is not None:
            raise BadInput("Ms is for the BN student; the linear solvers take no batch size")
        M_list: list[int | None] = [None]
    else:
        M_list = [replace(options.config, M=m).M for m in _items(options.config.M if Ms is None else Ms)]
    if not N_list or not alpha_list:
        raise BadInput("Ns and alphas must not be empty")
    points = [GridPoint(N, M, a) for N in N_list for M in M_list for a in alpha_list]
    for p in points:
        options.check_point(p.N, p.alpha, p.M)
    return points


def _items(values) -> list:
    """A scalar or a sequence as a list, NumPy integers as ``int`` (checked by the caller)."""
    return [int(v) if isinstance(v, np.integer) else v for v in np.atleast_1d(np.asarray(values, dtype=object))]


def _task_key(kind: str, point: GridPoint, dataset: int) -> str:
    batch = "" if point.M is None else f"_M_{point.M}"
    return f"{kind}_N_{point.N}{batch}_alpha_{point.alpha:.6g}_data_{dataset}"


def sweep(kind: Literal["linear", "bn"], N: int, alphas, *, seed: SeedLike, datasets: int,
          teachers: int = 1, delta: float = 0.5, zetas=None, config: BNConfig | None = None, gd: bool = False,
          wn: bool = False, backend: str = "numpy", dtype: str = "float64", directory: str | Path | None = None,
          executor: Executor | None = None, progress: bool | None = None,
          predict: bool | int = True) -> dict[float, dict[str, np.ndarray]]:
    """:func:`sweep_grid` at one ``N`` (and the BN student at ``config.M``), keyed by alpha.

    Parameters
    ----------
    kind : {"linear", "bn"}
        The solvers: least squares, ridge, GD and WN; or the BN student.
    N : int
        Input dimension.
    alphas : sequence of float
        Samples per dimension.
    seed : numpy.random.SeedSequence or int
        Root of the keyed random streams.
    datasets : int
        Input matrices per point.
    teachers : int, default 1
        Teachers per input matrix.
    delta : float, default 0.5
        Label noise level, >= 0.
    zetas : sequence of float, optional
        Ridge-convention zetas of the ridge solver (linear only).
    config : BNConfig, optional
        The BN student's training setup (BN only).
    gd, wn : bool, default False
        Also run gradient descent / weight normalization (linear only).
    backend : {"numpy", "cupy", "auto"}, default "numpy"
        The array backend.
    dtype : {"float64", "float32"}, default "float64"
        The floating-point type of the computation.
    directory : str or Path, optional
        Folder of a resumable :class:`SweepStore`.
    executor : Executor, optional
        Runs the tasks (default: this process).
    progress : bool or None, default None
        Progress bar on stderr; None: only on a TTY.
    predict : bool or int, default True
        BN only: paired predictions per replica (an int: over that many epochs of batches).

    Returns
    -------
    dict of float to dict
        Every alpha's arrays.

    Raises
    ------
    BadInput
        If an argument is out of range (checked before anything runs).
    """
    grid = sweep_grid(kind, [N], alphas, seed=seed, datasets=datasets, teachers=teachers, delta=delta, zetas=zetas,
                      config=config, gd=gd, wn=wn, backend=backend, dtype=dtype, directory=directory,
                      executor=executor, progress=progress, predict=predict)
    return {p.alpha: arrays for p, arrays in grid.items()}
