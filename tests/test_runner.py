"""The runner: every distinct simulation runs once, merged streams keep each ladder's numbers, and
the serial, process and Dask executors give the same checks and claims with the same numbers."""

from __future__ import annotations

import math

import pytest

import verify.requests as requests_module
from sim import BNConfig, make_executor
from theory import NAMED_ACTIVATIONS, curvature
from verify import RunContext, _streams, run
from verify import bn_student as vbn
from verify import teacher_student as vts
from verify.requests import BatchNoiseRequest, PNWNRequest, run_requests

#: every ladder at a toy size: the numbers mean little, but each code path runs
TINY_MC = _streams.MonteCarloSize(2**14, (8, 32, 128))
TINY_TS = vts.TeacherStudentSize(64, 4, 2, (0.5, 2.0, 4.0), (0.5, 2.0))
TINY_BN = vbn.BNStudentSize(64, 4, 1, (2.0,), (1.0,), (0.5,), (0.5,), 64, (2.0,), (8,), 4, 1, 10, unpaired_Ms=(4,))


@pytest.fixture
def tiny(monkeypatch):
    """The quick sizes shrunk (requests carry their sizes, so workers see the same)."""
    monkeypatch.setitem(_streams.SIZES, "quick", TINY_MC)
    monkeypatch.setitem(vts.SIZES, "quick", TINY_TS)
    monkeypatch.setitem(vbn.SIZES, "quick", TINY_BN)
    return RunContext(mode="quick")


def _glm(name: str):
    return name, requests_module.GLM(curvature(NAMED_ACTIVATIONS[name]), NAMED_ACTIVATIONS[name])


def _numbers(result) -> list:
    return [c.to_dict() for c in result.checks] + [c.to_dict() for c in result.claims]


def _close(a, b) -> bool:
    """Equal, up to the summation order of a different BLAS thread count (1e-9 relative)."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return a == b or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15)
    return a == b


def test_executors_give_the_same_report(tiny, tmp_path):
    reports = {}
    for kind in ("serial", "process", "dask"):
        ctx = RunContext(mode="quick", results_dir=str(tmp_path / kind))
        with make_executor(kind, workers=None if kind == "serial" else 2) as ex:
            reports[kind] = _numbers(run(ctx, executor=ex))
    names = [c["name"] for c in reports["serial"] if "name" in c]
    assert len(names) > 100
    for kind in ("process", "dask"):
        assert _close(reports[kind], reports["serial"]), kind


def test_each_distinct_simulation_runs_once_and_merged_heads_keep_their_numbers(tiny, monkeypatch):
    calls = []
    original = BatchNoiseRequest.run

    def counted(self, ctx):
        calls.append(self)
        return original(self, ctx)

    monkeypatch.setattr(BatchNoiseRequest, "run", counted)
    stream = _streams.GAUSSIAN_32
    bare, relu, both = stream.request(tiny), stream.request(tiny, (_glm("relu"),)), stream.request(
        tiny, (_glm("tanh"), _glm("relu")))
    pn = PNWNRequest(4.0, 1.3, 0.2, (0.65,), samples=1000)
    with make_executor("serial") as ex:
        out = run_requests([bare, relu, both, pn, relu], tiny, ex)
    assert len(calls) == 1 and [name for name, _ in calls[0].glms] == ["relu", "tanh"]  # fixed order
    assert out[bare] is out[relu] is out[both]
    alone = original(stream.request(tiny, (_glm("relu"), _glm("tanh"))), tiny)
    assert out[relu].first_order["tanh"] == alone.first_order["tanh"]


def test_a_stream_asked_with_two_different_heads_of_one_name_is_refused(tiny):
    stream = _streams.GAUSSIAN_8
    a = stream.request(tiny, (("g", requests_module.GLM(curvature(NAMED_ACTIVATIONS["relu"]))),))
    b = stream.request(tiny, (("g", requests_module.GLM(curvature(NAMED_ACTIVATIONS["tanh"]))),))
    with make_executor("serial") as ex, pytest.raises(ValueError, match="different heads"):
        run_requests([a, b], tiny, ex)


def test_a_sweep_request_keeps_its_tasks_in_a_folder_named_by_its_settings(tiny, tmp_path):
    ctx = RunContext(mode="quick", results_dir=str(tmp_path))
    a = vts.linear_request(ctx)
    b = requests_module.SweepRequest("bn", 64, (2.0,), 1, 1, 0.5, config=BNConfig(epochs=1, min_steps=10))
    assert a.directory(ctx) == vts.linear_request(ctx).directory(ctx) != b.directory(ctx)
    assert RunContext(mode="quick").results_dir is None and a.directory(RunContext(mode="quick")) is None


def test_sgd_epochs_keep_the_steps_of_alpha_two_above_it():
    """Up to alpha = 2 the whole budget of epochs; above it as many SGD steps as at alpha = 2 (so the
    slowest direction mode, rate (1 - alpha^-1/2)^2 per step, relaxes further), and the full run uses the rule."""
    assert {vbn.sgd_epochs(a) for a in (0.25, 0.5, 1.0, 1.5, 2.0)} == {vbn.EPOCHS}
    M, N = 32, 4096
    at_two = vbn.EPOCHS * (2 * N // M)
    for alpha in (2.5, 3.0, 4.0, 8.0, 16.0):
        steps = vbn.sgd_epochs(alpha) * (round(alpha * N) // M)
        assert at_two <= steps < at_two + round(alpha * N) // M
    requests = [r for r in vbn._requests(RunContext(mode="full")).values() if r.N == vbn.SIZES["full"].N]
    assert {r.alphas[0]: r.config.epochs for r in requests if r.config.w_init == 1.0 and r.alphas[0] > 1} == {
        2.0: vbn.EPOCHS, 3.0: 320, 4.0: 240}
