"""Each benchmark at a tiny size: the references compute what bnreg computes, and every ratio is
a finite positive number.  No speed is asserted here (speed is measured by ``python -m bench``)."""

from __future__ import annotations

import math

import pytest

from bench import Report, bn_training, format_table, machine, monte_carlo, ridge_sweep

TINY = {
    "bn": bn_training.BNSize(N=64, replicas=(2, 4), epochs=1, long_epochs=2, long_replicas=4),
    "ridge": ridge_sweep.RidgeSize(N=64, zetas=20, timed=4),
    "mc": monte_carlo.MCSize(M=8, samples=2**14, chunk_samples=2**12, repeat=1),
}


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
        if t.name.startswith(("eps_gen", "ridge eps_gen")):  # same numbers, not speed
            assert t.met, t


def test_machine_limits(limits, capsys):
    _check(machine.rows(limits), [], capsys)
    assert all(v > 0 for v in limits.gflops.values()) and limits.copy_gbs > 0 and limits.read_gbs > 0


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_bn_references_agree_with_bnreg(limits, capsys, dtype):
    pytest.importorskip("torch")
    _check(*bn_training.run(limits, size=TINY["bn"], dtype=dtype), capsys)


def test_ridge_sweep_agrees_with_per_zeta_solve(limits, capsys):
    _check(*ridge_sweep.run(limits, size=TINY["ridge"]), capsys)


def test_monte_carlo_ratio(limits, capsys):
    _check(*monte_carlo.run(limits, size=TINY["mc"]), capsys)
