"""The same seed gives the same numbers in every release: a small run of each simulation, pinned.

A report says which seed made it, and a reader who reruns that seed gets the same numbers ("the same seed
gives the same report on any machine"): this holds across versions of bnreg only while every random stream
(the keys of :func:`sim.keyed_seed`, the order of the draws, the split into chunks) and every computation on
the draws stay as they are.  The statistical tests cannot see a changed stream: another draw of the same
distribution passes them (sample G of docs/mutation.md renamed the BN student's seed key and no test
noticed).  Each run below is small (a few seconds in all) and its numbers are compared with
``tests/data/seeded_streams.json`` to nine significant digits, far below any statistical change (a standard
error of these runs is a few per cent) and far above the last-bit differences of another CPU's BLAS or SIMD
kernels.  After an intended change of a stream, rewrite the file with ``python -m tests.test_seeded_streams``,
review its diff and run the verifier."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from scipy import stats

from sim import (
    GLM,
    BNConfig,
    InputSampler,
    bn_point,
    linear_point,
    simulate_batch_noise,
    simulate_pn_wn,
    teacher_data,
)
from theory import NAMED_ACTIVATIONS, curvature
from theory.activations import log_partition
from theory.symbols import X

from ._pinned_numbers import differences, plain

SNAPSHOT = Path(__file__).parent / "data" / "seeded_streams.json"


def _glms() -> dict[str, GLM]:
    identity, softplus = NAMED_ACTIVATIONS["identity"], NAMED_ACTIVATIONS["softplus"]
    return {"identity": GLM(curvature(identity), identity, log_partition(identity)),
            "softplus": GLM(curvature(softplus), softplus),
            "misspecified": GLM(curvature(identity), identity, misfit=(X**3 - 3 * X) / 4),
            "curvature only": GLM(sp.exp(-X**2))}


def _audit(convolution: bool) -> object:
    import torch
    from torch import nn

    from sim.network_audit import audit_network

    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    if convolution:  # two BN layers, one over channels x positions
        model = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.Tanh(), nn.Flatten(), nn.Linear(36, 4),
                              nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 3))
        x = torch.randn(40, 2, 5, 6, generator=g)
    else:
        model = nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 3))
        x = torch.randn(40, 4, generator=g)
    y = torch.randint(0, 3, (40,), generator=g)
    return audit_network(model, x, y, nn.CrossEntropyLoss(reduction="none"), 8, batches=20, seed=5,
                         scaling_batches=10, activation="tanh" if convolution else "relu")


RUNS: dict[str, Callable[[], object]] = {
    "batch noise, laplace, gamma and beta": lambda: simulate_batch_noise(
        8, input="laplace", glms=_glms(), gamma=1.5, beta=0.3, samples=2**12, chunk_samples=2**10, seed=3),
    "batch noise, uniform, no mean, ddof 1": lambda: simulate_batch_noise(
        6, input="uniform", bias=False, ddof=1, samples=3 * 2**10, chunk_samples=2**9, seed=4),
    "input sampler, a sample and a scipy distribution": lambda: [
        InputSampler(np.linspace(-1.0, 2.0, 9) ** 2).draw(np.random.default_rng(np.random.SeedSequence(5)), (3, 4)),
        InputSampler(stats.t(7)).draw(np.random.default_rng(np.random.SeedSequence(6)), (2, 3))],
    "teacher data": lambda: teacher_data(5, 7, 0.5, np.random.SeedSequence(7), teachers=2),
    "linear point, ridge, gradient descent, weight normalization": lambda: linear_point(
        8, 1.5, zetas=(0.1, 1.0), datasets=2, teachers=2, seed=8, gd=True, wn=True),
    "bn point": lambda: bn_point(
        8, 2.0, datasets=1, teachers=2, seed=9, predict=2,
        config=BNConfig(M=4, epochs=3, min_steps=40)),
    "pn and wn": lambda: simulate_pn_wn(1.0, 1.5, 0.2, (0.5, 1.0, 2.0), dim=4, samples=2000, seed=10),
    "network audit": lambda: _audit(convolution=False),
    "network audit, a convolution": lambda: _audit(convolution=True),
}


def seeded_numbers() -> dict[str, object]:
    """Every run's result, as JSON would read it back."""
    return {name: json.loads(json.dumps(plain(run()))) for name, run in RUNS.items()}


@pytest.mark.parametrize("name", list(RUNS))
def test_a_seed_gives_the_numbers_it_gave_when_pinned(name):
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))[name]
    actual = json.loads(json.dumps(plain(RUNS[name]())))
    changed = differences(expected, actual)
    assert not changed, (f"{len(changed)} numbers of {name!r} changed, e.g. {changed[:3]} "
                         "(after an intended change of a stream: python -m tests.test_seeded_streams)")


def test_a_changed_number_a_missing_field_and_a_last_bit_are_told_apart():
    """The comparison itself: a change in the ninth digit and a missing field are reported, a change in the last
    bit is not."""
    pinned = {"a": [1.0, 2.5], "b": {"c": 0.0, "d": "numpy"}}
    assert differences(pinned, {"a": [1.0, 2.5 * (1 + 1e-15)], "b": {"c": 1e-14, "d": "numpy"}}) == []
    assert differences(pinned, {"a": [1.0, 2.5 * (1 + 1e-8)], "b": {"c": 0.0, "d": "numpy"}}) == [
        f".a[1]: 2.5 -> {2.5 * (1 + 1e-8)!r}"]
    assert differences(pinned, {"a": [1.0, 2.5], "b": {"c": 0.0}}) == [".b.d: 'numpy' -> None"]
    assert differences(pinned, {"a": [1.0], "b": {"c": 0.0, "d": "numpy"}}) == [".a: [1.0, 2.5] -> [1.0]"]


if __name__ == "__main__":
    SNAPSHOT.write_text(json.dumps(seeded_numbers(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {SNAPSHOT}")
