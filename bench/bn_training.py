"""BN teacher-student training: bnreg's batched solver against the PyTorch reference a
researcher would write (``nn.Linear`` + ``nn.BatchNorm1d`` + ``optim.SGD``) and a plain NumPy
loop, on the same data, initialization, batch order, step sizes and epochs.

The references replay the draws of :func:`sim._ts_bn.train_bn` (initial weights, then one
permutation per epoch), so their single run is replica 0 of bnreg's run step for step.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from sim import (
    BNConfig,
    array_namespace,
    batch_products,
    bn_test_errors,
    default_rng,
    keyed_seed,
    row_gather,
    teacher_data,
    to_numpy,
    train_bn,
)

from . import Row, Target, best_time, sync
from .machine import Machine

SEED = np.random.SeedSequence(20240611)
#: |eps - eps_ref| allowed between two computations of one trajectory (roundoff only)
AGREEMENT = {"float64": 1e-8, "float32": 1e-3}


@dataclass(frozen=True)
class BNSize:
    N: int = 4096
    alpha: float = 2.0
    M: int = 32
    delta: float = 0.5
    epochs: int = 4  # of each timed run
    replicas: tuple[int, ...] = (16, 64, 128)
    long_epochs: int = 16  # float32 against float64, over long_replicas teachers
    long_replicas: int = 128


def config(size: BNSize, epochs: int) -> BNConfig:
    return BNConfig(M=size.M, epochs=epochs, min_steps=0)


def replay_draws(xp: ModuleType, seed: np.random.SeedSequence, cfg: BNConfig, N: int, P: int, R: int,
                 dtype: str) -> tuple[Any, list[Any]]:
    """``train_bn``'s initial weights (N, R) and its permutation of each epoch, drawn the same way."""
    rng = default_rng(seed, xp)
    w0 = (rng.standard_normal((N, R)) * (cfg.w_init / np.sqrt(N))).astype(dtype)
    epochs = -(-cfg.steps(P) // (P // cfg.M))
    return w0, [xp.argsort(rng.random(P)) for _ in range(epochs)]


def numpy_loop(X: Any, y: Any, w0: Any, orders: list[Any], cfg: BNConfig) -> tuple[Any, float]:
    """The straightforward per-step loop for one replica (``y``, ``w0``: (P,), (N,))."""
    xp = array_namespace(X)
    P, N = X.shape
    M, per_epoch, total = cfg.M, P // cfg.M, cfg.steps(P)
    w, gamma = w0.copy(), float(cfg.gamma_init)
    for t in range(total):
        idx = orders[t // per_epoch][(t % per_epoch) * M:(t % per_epoch + 1) * M]
        xb, yb = X[idx], y[idx]
        h = xb @ w
        c = h - h.mean()
        sigma = xp.sqrt((c * c).mean())
        n = c / sigma
        r = gamma * n - yb
        g = (2 / M) * gamma * r
        dh = (g - g.mean() - n * (g * n).mean()) / sigma
        s = cfg.schedule(t, total)
        w -= (cfg.lr_w * M / N * s) * (xb.T @ dh)
        gamma -= cfg.lr_gamma * s * float((2 / M) * (r * n).sum())
    return w, gamma


def torch_device(xp: ModuleType) -> str:
    import torch  # noqa: PLC0415 - the benchmark-only extra

    return "cuda" if xp is not np and torch.cuda.is_available() else "cpu"


def torch_inputs(X: Any, y: Any, w0: Any, orders: list[Any], device: str) -> tuple[Any, ...]:
    """The reference's data, initial weights and batch orders as tensors on ``device`` (built
    before its clock starts)."""
    import torch  # noqa: PLC0415

    def tensor(a):
        return torch.as_tensor(to_numpy(a), device=device)

    return tensor(X), tensor(y).reshape(-1, 1), tensor(w0).reshape(1, -1), [tensor(o) for o in orders]


def torch_reference(X: Any, y: Any, w0: Any, orders: list[Any], cfg: BNConfig) -> tuple[np.ndarray, float]:
    """What a researcher writes: ``Linear(N, 1, bias=False)`` -> ``BatchNorm1d(1)`` (beta frozen at
    0; eps 1e-30, which adds nothing to ``sigma_B^2`` ~ 1 in float64 or float32), MSE loss, SGD with
    one parameter group per step size, set from the schedule every step.  Tensors from
    :func:`torch_inputs`; returns ``w`` (N,) and ``gamma``."""
    import torch  # noqa: PLC0415

    P, N = X.shape
    linear = torch.nn.Linear(N, 1, bias=False, device=X.device, dtype=X.dtype)
    bn = torch.nn.BatchNorm1d(1, eps=1e-30, device=X.device, dtype=X.dtype)
    with torch.no_grad():
        linear.weight.copy_(w0)
        bn.weight.fill_(cfg.gamma_init)
    bn.bias.requires_grad_(False)
    model = torch.nn.Sequential(linear, bn)
    opt = torch.optim.SGD([{"params": [linear.weight], "lr": cfg.lr_w * cfg.M / N},
                           {"params": [bn.weight], "lr": cfg.lr_gamma}])
    M, per_epoch, total = cfg.M, P // cfg.M, cfg.steps(P)
    for t in range(total):
        idx = orders[t // per_epoch][(t % per_epoch) * M:(t % per_epoch + 1) * M]
        s = cfg.schedule(t, total)
        opt.param_groups[0]["lr"] = cfg.lr_w * M / N * s
        opt.param_groups[1]["lr"] = cfg.lr_gamma * s
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(X[idx]), y[idx])
        loss.backward()
        opt.step()
    return linear.weight.detach().cpu().numpy().ravel(), float(bn.weight.detach().cpu()[0])


def population_error(w: Any, gamma: float, w_star: np.ndarray) -> float:
    """``||gamma w/||w|| - w*||^2`` in float64."""
    w = np.asarray(to_numpy(w), dtype=np.float64)
    return float(((gamma * w / np.linalg.norm(w) - w_star) ** 2).sum())


def _timed(fn, sync_fn, repeat: int = 2) -> tuple[Any, float]:
    """``fn()``'s result and its best wall time over ``repeat`` runs (the first run after another
    library's parallel work can lose a core to that library's spinning threads)."""
    best = float("inf")
    for _ in range(repeat):
        sync_fn()
        start = time.perf_counter()
        out = fn()
        sync_fn()
        best = min(best, time.perf_counter() - start)
    return out, best


def step_phases(X: Any, R: int, order: Any, M: int) -> tuple[float, float]:
    """Seconds per step of two phases of ``train_bn``'s step, over one epoch of its batches: the
    row gather and the two products on the gathered batch, with the same functions it uses."""
    xp = array_namespace(X)
    P, N = X.shape
    steps = P // M
    batch = xp.empty((M, N), dtype=X.dtype)
    Wt, dH = xp.zeros((R, N), dtype=X.dtype), xp.asfortranarray(xp.ones((M, R), dtype=X.dtype))
    gather_rows = row_gather(X, batch)
    forward, update = batch_products(xp, R, X.dtype)

    def gather():
        for k in range(steps):
            gather_rows(order[k * M:(k + 1) * M])

    def products():
        for _ in range(steps):
            forward(batch, Wt)
            update(Wt, dH, batch)

    return tuple(best_time(f, 1, xp) / steps for f in (gather, products))


def run(machine: Machine, xp: ModuleType = np, size: BNSize = BNSize(), dtype: str = "float64"
        ) -> tuple[list[Row], list[Target]]:
    """Every BN case; ``dtype`` is the precision of the single-replica runs (bnreg R = 1, the
    NumPy loop); the PyTorch reference and the replica sweep run in float64 and float32."""
    import torch  # noqa: PLC0415

    torch.set_num_threads(len(os.sched_getaffinity(0)))
    device = torch_device(xp)
    torch_sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    N, P, M = size.N, int(size.alpha * size.N), size.M
    cfg, per_epoch, R_max = config(size, size.epochs), P // size.M, max(size.replicas)
    X64, Y64, W_star = teacher_data(N, P, size.delta, keyed_seed(SEED, "data"), xp, "float64",
                                    max(R_max, size.long_replicas))
    data = {"float64": (X64, Y64), "float32": (X64.astype("float32"), Y64.astype("float32"))}
    seed = keyed_seed(SEED, "train")
    w_star = to_numpy(W_star)[:, 0]
    rows: list[Row] = []
    targets: list[Target] = []

    def bnreg(X, Y, R):
        Y = xp.ascontiguousarray(Y[:, :R])
        train_bn(X, Y, BNConfig(M=M, epochs=0, min_steps=1), seed)  # warm-up step
        states, sec = _timed(lambda: train_bn(X, Y, cfg, seed), lambda: sync(xp))
        return bn_test_errors(states[-1], X, W_star[:, :R])["population"], sec

    torch_rate, eps_torch, draws = {}, {}, {}
    for dt, (X, Y) in data.items():
        w0, orders = draws[dt] = replay_draws(xp, seed, cfg, N, P, R_max, dt)
        args = (X, Y[:, 0], w0[:, 0], orders)
        tensors = torch_inputs(*args, device)
        torch_reference(*tensors, BNConfig(M=M, epochs=0, min_steps=2))  # warm-up
        (w, g), sec = _timed(lambda t=tensors: torch_reference(*t, cfg), torch_sync)
        torch_rate[dt], eps_torch[dt] = size.epochs / sec, population_error(w, g, w_star)
        rows.append(Row("bn", f"PyTorch {device} {dt}, R=1", torch_rate[dt], "replica-epochs/s",
                        note=f"{sec / (size.epochs * per_epoch) * 1e6:.0f} us/step; eps {eps_torch[dt]:.6f}; "
                             f"torch {torch.__version__}, {torch.get_num_threads()} threads"))
        if dt == dtype:
            numpy_loop(*args, BNConfig(M=M, epochs=0, min_steps=2))
            (w, g), sec = _timed(lambda a=args: numpy_loop(*a, cfg), lambda: sync(xp))
            eps = population_error(w, g, w_star)
            rows.append(Row("bn", f"NumPy loop {dt}, R=1", size.epochs / sec, "replica-epochs/s",
                            size.epochs / sec / torch_rate[dt], f"PyTorch {dt}",
                            f"{sec / (size.epochs * per_epoch) * 1e6:.0f} us/step; eps {eps:.6f}"))
            targets.append(_agreement(f"NumPy loop {dt}", eps, eps_torch[dt], dt))

    X, Y = data[dtype]
    _, sec = bnreg(X, Y, 1)
    step = sec / (size.epochs * per_epoch)
    read = P * N * np.dtype(dtype).itemsize / (machine.read_gbs * 1e9) / per_epoch
    gather, products = step_phases(X, 1, draws[dtype][1][0], M)
    rows.append(Row("bn", f"bnreg {dtype}, R=1", size.epochs / sec, "replica-epochs/s",
                    size.epochs / sec / torch_rate[dtype], f"PyTorch {dtype}",
                    f"{step * 1e6:.0f} us/step = {step / read:.2f}x one read of its rows ({read * 1e6:.0f} us at "
                    f"{machine.read_gbs:.0f} GB/s)"))
    targets.append(Target(f"bnreg R=1 {dtype}: epoch time / one read of X", step / read, 3.0, False,
                          f"per step: gather of {M} rows {gather * 1e6:.0f} us (one thread), "
                          f"products {products * 1e6:.0f} us, BN head + updates + Python "
                          f"{(step - gather - products) * 1e6:.0f} us; the bound {read * 1e6:.0f} us"))

    for dt, (X, Y) in data.items():
        for R in size.replicas:
            eps, sec = bnreg(X, Y, R)
            step = sec / (size.epochs * per_epoch)
            gflops = 4 * M * N * R / step / 1e9
            ratio = R * size.epochs / sec / torch_rate[dt]
            rows.append(Row("bn", f"bnreg {dt}, R={R}", R * size.epochs / sec, "replica-epochs/s", ratio,
                            f"PyTorch {dt}", f"{step * 1e6:.0f} us/step; {gflops:.1f} GFLOP/s = "
                                             f"{gflops / machine.gflops[dt]:.0%} of matmul"))
            if R == R_max:
                gather, products = step_phases(X, R, draws[dt][1][0], M)
                targets.append(Target(
                    f"bnreg R={R} {dt} / PyTorch {dt} (replica-epochs/s)", ratio, 20.0, True,
                    f"per step {step * 1e6:.0f} us: products {products * 1e6:.0f} us (at matmul peak "
                    f"{4 * M * N * R / machine.gflops[dt] / 1e3:.0f} us), gather {gather * 1e6:.0f} us, the rest "
                    f"(BN head, gamma, Python) {(step - gather - products) * 1e6:.0f} us"))
                targets.append(_agreement(f"PyTorch {dt}", eps_torch[dt], float(eps[0]), dt, "bnreg replica 0"))
    rows.append(_float32_against_float64(data, W_star, size, seed, xp))
    return rows, targets


def _agreement(what: str, eps: float, eps_ref: float, dtype: str, ref: str = "PyTorch") -> Target:
    """|eps - eps_ref| of one trajectory computed twice: roundoff only (1e-8 float64, 1e-3 float32)."""
    return Target(f"eps_gen {what} - {ref} (same trajectory)", abs(eps - eps_ref), AGREEMENT[dtype], False,
                  f"eps {eps:.8f} vs {eps_ref:.8f}: roundoff of {dtype} over the run")


def _float32_against_float64(data, W_star, size: BNSize, seed, xp) -> Row:
    """Paired float32 - float64 eps over teachers after a longer run (same X, teachers,
    initialization and batch order: only the precision differs)."""
    cfg, R = config(size, size.long_epochs), size.long_replicas
    eps = {}
    for dt, (X, Y) in data.items():
        state = train_bn(X, xp.ascontiguousarray(Y[:, :R]), cfg, seed)[-1]
        eps[dt] = bn_test_errors(state, data["float64"][0], W_star[:, :R])["population"]
    diff = eps["float32"] - eps["float64"]
    mean, se = float(diff.mean()), float(diff.std(ddof=1) / np.sqrt(R))
    verdict = "acceptable: no difference beyond" if abs(mean) <= 3 * se else "DIFFERS by more than"
    return Row("bn", f"eps float32 - float64, {size.long_epochs} epochs, R={R}", mean, "eps",
               note=f"+- {se:.2g} (SE, paired by teacher); eps {eps['float64'].mean():.4f} +- "
                    f"{eps['float64'].std(ddof=1):.3f} (SD over teachers); float32 {verdict} 3 SE")
