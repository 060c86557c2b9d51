"""The baselines of the BN benchmark, each replaying the draws of :func:`sim.train_bn` (initial
weights, then one permutation per epoch) so that it follows bnreg's trajectory step for step.

- :func:`torch_batched`, the strongest: the R replicas are the R features of one
  ``nn.Linear(N, R, bias=False)`` + ``nn.BatchNorm1d(R)``.  Per-feature batch statistics are
  exactly per-replica statistics and feature ``r`` fits label column ``r``; the loss is the sum of
  the replicas' losses, so each replica's gradient is its own single-replica gradient (the
  replicas share no parameter).
- the naive one: the same with ``R = 1`` (``Linear(N, 1)`` + ``BatchNorm1d(1)``), one replica at a
  time, as a researcher first writes it.
- :func:`numpy_loop`: the plain per-step NumPy loop for one replica.

All use plain SGD with one step size for ``w`` and one for ``gamma``, set from the schedule every
step, ``beta`` frozen at 0 and BN's ``eps`` = 1e-30 (adds nothing to ``sigma_B^2 ~ 1`` in float64
or float32).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from sim import BNConfig, array_namespace, default_rng, to_numpy

#: BN's epsilon in the PyTorch baselines: negligible against sigma_B^2 ~ 1 in float32 and float64
TORCH_EPS = 1e-30


def replay_draws(xp: ModuleType, seed: np.random.SeedSequence, cfg: BNConfig, N: int, P: int, R: int,
                 dtype: str) -> tuple[Any, list[Any]]:
    """``train_bn``'s initial weights (N, R) and its permutation of each epoch, drawn the same way."""
    rng = default_rng(seed, xp)
    w0 = (rng.standard_normal((N, R)) * (cfg.w_init / np.sqrt(N))).astype(dtype)
    epochs = -(-cfg.steps(P) // (P // cfg.M))
    return w0, [xp.argsort(rng.random(P)) for _ in range(epochs)]


def batches(cfg: BNConfig, P: int, orders: list[Any]):
    """``(t, s(t), idx)`` of every step: the step, its schedule factor and its batch's rows."""
    M, per_epoch, total = cfg.M, P // cfg.M, cfg.steps(P)
    for t in range(total):
        k = t % per_epoch
        yield t, cfg.schedule(t, total), orders[t // per_epoch][k * M:(k + 1) * M]


def numpy_loop(X: Any, y: Any, w0: Any, orders: list[Any], cfg: BNConfig) -> tuple[Any, float]:
    """The straightforward per-step loop for one replica (``y``, ``w0``: (P,), (N,))."""
    xp = array_namespace(X)
    P, N = X.shape
    M = cfg.M
    w, gamma = w0.copy(), float(cfg.gamma_init)
    for _, s, idx in batches(cfg, P, orders):
        xb, yb = X[idx], y[idx]
        h = xb @ w
        c = h - h.mean()
        sigma = xp.sqrt((c * c).mean())
        n = c / sigma
        r = gamma * n - yb
        g = (2 / M) * gamma * r
        dh = (g - g.mean() - n * (g * n).mean()) / sigma
        w -= (cfg.lr_w * M / N * s) * (xb.T @ dh)
        gamma -= cfg.lr_gamma * s * float((2 / M) * (r * n).sum())
    return w, gamma


def torch_inputs(X: Any, Y: Any, w0: Any, orders: list[Any], device: str) -> tuple[Any, ...]:
    """The baseline's data, labels (P, R), initial weights (R, N) and batch orders as tensors on
    ``device`` (built before its clock starts)."""
    import torch  # noqa: PLC0415 - the benchmark-only extra

    def tensor(a):
        return torch.as_tensor(to_numpy(a), device=device)

    return tensor(X), tensor(Y), tensor(w0.T).contiguous(), [tensor(o) for o in orders]


def torch_batched(X: Any, Y: Any, Wt0: Any, orders: list[Any], cfg: BNConfig) -> tuple[np.ndarray, np.ndarray]:
    """R replicas as the features of ``Linear(N, R, bias=False)`` -> ``BatchNorm1d(R)``, loss
    ``sum_r (1/M) sum_B (phi_r - y_r)^2``; tensors from :func:`torch_inputs`.  Returns ``w`` (N, R)
    and ``gamma`` (R,)."""
    import torch  # noqa: PLC0415

    P, N = X.shape
    R = Y.shape[1]
    linear = torch.nn.Linear(N, R, bias=False, device=X.device, dtype=X.dtype)
    # no running statistics: they are not used, and tracking them only adds work
    bn = torch.nn.BatchNorm1d(R, eps=TORCH_EPS, track_running_stats=False, device=X.device, dtype=X.dtype)
    with torch.no_grad():
        linear.weight.copy_(Wt0)
        bn.weight.fill_(cfg.gamma_init)
    bn.bias.requires_grad_(False)
    model = torch.nn.Sequential(linear, bn)
    opt = torch.optim.SGD([{"params": [linear.weight], "lr": cfg.lr_w * cfg.M / N},
                           {"params": [bn.weight], "lr": cfg.lr_gamma}])
    for _, s, idx in batches(cfg, P, orders):
        opt.param_groups[0]["lr"] = cfg.lr_w * cfg.M / N * s
        opt.param_groups[1]["lr"] = cfg.lr_gamma * s
        opt.zero_grad()
        # summed over replicas: d(loss)/d(w_r) is replica r's own gradient
        loss = torch.nn.functional.mse_loss(model(X[idx]), Y[idx], reduction="sum") / cfg.M
        loss.backward()
        opt.step()
    return linear.weight.detach().cpu().numpy().T, bn.weight.detach().cpu().numpy()


def population_errors(w: Any, gamma: Any, w_star: Any) -> np.ndarray:
    """``||gamma w/||w|| - w*||^2`` per replica (columns of ``w`` (N, R), ``w_star`` (N, R)) in float64."""
    w = np.asarray(to_numpy(w), dtype=np.float64).reshape(len(w_star), -1)
    gamma = np.asarray(to_numpy(gamma), dtype=np.float64).reshape(-1)
    w_star = np.asarray(to_numpy(w_star), dtype=np.float64).reshape(len(w_star), -1)
    return ((gamma * w / np.linalg.norm(w, axis=0) - w_star) ** 2).sum(axis=0)
