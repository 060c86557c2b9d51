"""Each benchmark at a tiny size: the baselines compute what bnreg computes, and every ratio is
a finite positive number.  No speed is asserted here (speed is measured by ``python -m bench``)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bench import Report, bn_references, bn_training, format_table, gd_solvers, machine, monte_carlo, ridge_sweep
from sim import BNConfig, keyed_seed, teacher_data, train_bn

TINY = {
    "bn": bn_training.BNSize(N=64, replicas=(2, 4), epochs=1, rounds=1, long_epochs=2, long_replicas=4),
    "ridge": ridge_sweep.RidgeSize(N=64, zetas=20, timed=4),
    "gd": gd_solvers.GDSize(N=64, teachers=3),
    "mc": monte_carlo.MCSize(M=8, samples=2**14, chunk_samples=2**12, repeat=1),
}
SEED = np.random.SeedSequence(7)


@pytest.fixture(scope="module")
def limits() -> machine.Machine:
    return machine.measure(n=128, megabytes=8)


def _check(rows, targets, capsys) -> None:
    with capsys.disabled():
        print("\n" + format_table(Report(rows, targets)))
    for r in rows:
        assert math.isfinite(r.value)
        assert r.ratio is None or (math.isfinite(r.ratio) and r.ratio > 0), r
    for t in targets:
        assert math.isfinite(t.value) and t.value >= 0, t
        if t.name.startswith(("eps_gen", "ridge eps_gen", "gd/wn weights")):  # same numbers, not speed
            assert t.met, t


def test_machine_limits(limits, capsys):
    _check(machine.rows(limits), [], capsys)
    assert all(v > 0 for v in limits.gflops.values()) and limits.copy_gbs > 0 and limits.read_gbs > 0


def test_bn_benchmark_runs_each_library_in_its_process(limits, capsys):
    pytest.importorskip("torch")
    rows, targets = bn_training.run(limits, size=TINY["bn"])
    _check(rows, targets, capsys)
    assert [r.vs.split(" ")[0] for r in rows if r.headline] == ["batched"] * 2 + ["naive:"] * 2  # headline first
    assert all(r.headline for r in rows[:4]) and not any(r.headline for r in rows[4:])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_every_baseline_follows_bnregs_trajectory(dtype):
    """Replica by replica, batched PyTorch, PyTorch one replica at a time and the NumPy loop end
    where bnreg ends: one trajectory computed four ways, equal to roundoff (relative 1e-10 in
    float64, 1e-4 in float32; measured ~1e-15 and ~1e-7)."""
    torch = pytest.importorskip("torch")
    N, P, R = 32, 256, 3
    cfg = BNConfig(M=16, epochs=3, min_steps=0)
    X, Y, W_star = teacher_data(N, P, 0.5, keyed_seed(SEED, "data"), np, dtype, R)
    state = train_bn(X, Y, cfg, keyed_seed(SEED, "train"))[-1]
    ours = bn_references.population_errors(state.w, state.gamma, W_star)
    w0, orders = bn_references.replay_draws(np, keyed_seed(SEED, "train"), cfg, N, P, R, dtype)
    Xt, Yt, Wt0, orders_t = bn_references.torch_inputs(X, Y, w0, orders, "cpu")
    torch.set_num_threads(1)
    one = (Yt[:, :1].contiguous(), Wt0[:1].contiguous())
    baselines = {
        "batched": bn_references.torch_batched(Xt, Yt, Wt0, orders_t, cfg),
        "one replica": bn_references.torch_batched(Xt, *one, orders_t, cfg),
        "NumPy loop": bn_references.numpy_loop(X, Y[:, 0], w0[:, 0], orders, cfg),
    }
    for name, (w, gamma) in baselines.items():
        eps = bn_references.population_errors(w, gamma, W_star[:, :np.size(gamma)])
        rel = np.abs(eps - ours[:len(eps)]) / ours[:len(eps)]
        assert rel.max() <= bn_training.AGREEMENT[dtype], (name, rel)
    assert len(set(np.round(ours, 6))) == R  # the replicas are different runs, not copies


def test_batched_loss_gives_each_replica_its_own_gradient():
    """Summing the replicas' losses over BatchNorm1d features gives each replica's weights and
    gamma exactly the gradient of its own one-replica model."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    M, N, R = 8, 5, 3
    x, y, w, gamma = (torch.randn(M, N, dtype=torch.float64), torch.randn(M, R, dtype=torch.float64),
                      torch.randn(R, N, dtype=torch.float64), torch.rand(R, dtype=torch.float64) + 0.5)

    def grads(rows):
        linear = torch.nn.Linear(N, len(rows), bias=False, dtype=torch.float64)
        bn = torch.nn.BatchNorm1d(len(rows), eps=bn_references.TORCH_EPS, track_running_stats=False,
                                  dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(w[rows])
            bn.weight.copy_(gamma[rows])
        loss = torch.nn.functional.mse_loss(bn(linear(x)), y[:, rows], reduction="sum") / M
        loss.backward()
        return linear.weight.grad, bn.weight.grad

    together = grads(list(range(R)))
    for r in range(R):
        alone = grads([r])
        torch.testing.assert_close(together[0][r:r + 1], alone[0], rtol=1e-13, atol=1e-15)
        torch.testing.assert_close(together[1][r:r + 1], alone[1], rtol=1e-13, atol=1e-15)


def test_ridge_sweep_agrees_with_per_zeta_solve(limits, capsys):
    _check(*ridge_sweep.run(limits, size=TINY["ridge"]), capsys)


def test_gd_solvers_agree_with_the_column_form(limits, capsys):
    _check(*gd_solvers.run(limits, size=TINY["gd"]), capsys)


def test_monte_carlo_ratio(limits, capsys):
    _check(*monte_carlo.run(limits, size=TINY["mc"]), capsys)
