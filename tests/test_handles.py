"""Results by handle: a ladder's plan maps handles to requests, a claim's needs are checked against
the plan before any simulation starts, and every result is checked against its handle's settings
where it comes back."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from sim import BNConfig, GridPoint, make_executor
from theory.errors import BadInput
from verify import RunContext, _streams, run
from verify._ladder import collect
from verify.requests import BatchNoiseRequest, SweepRequest, by_alpha

#: the quick plan without M = 8, which the claim normalization-error-second-order reads
NO_M8 = _streams.MonteCarloSize(2**14, (32, 128))


def test_a_plan_without_a_claimed_size_fails_at_once_naming_the_claim(monkeypatch):
    monkeypatch.setitem(_streams.SIZES, "quick", NO_M8)
    monkeypatch.setattr(BatchNoiseRequest, "run", lambda self, ctx: pytest.fail("a simulation ran"))
    with pytest.raises(BadInput) as err:  # before any simulation (one would fail the test): no timing needed
        run(RunContext(mode="quick"), ["normalization_error"])
    message = str(err.value)
    assert "\n" not in message and "normalization_error_second_order" in message and "M=8" in message


def test_verify_all_refuses_such_a_plan_with_one_line_and_status_2(tmp_path):
    script = f"""
import sys
from theory.cli import run_main
from verify import _streams, normalization_error
from verify.all import main
from verify.requests import BatchNoiseRequest, SweepRequest, by_alpha
_streams.SIZES["quick"] = _streams.MonteCarloSize(2**14, (32, 128))
def ran(self, ctx):
    raise SystemExit("a simulation ran")
BatchNoiseRequest.run = ran
sys.exit(run_main(main, ["--quick", "--parts", "normalization_error", "--report", {str(tmp_path / "r.json")!r}],
                  prog="python -m verify.all"))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "normalization_error_second_order" in lines[0], out.stderr
    assert not (tmp_path / "r.json").exists()


def test_a_result_that_is_not_its_handles_is_refused(monkeypatch):
    monkeypatch.setitem(_streams.SIZES, "quick", _streams.MonteCarloSize(2**12, (8, 32, 128)))
    original = _streams.Stream.request

    def planted(self, ctx, glms=()):  # a request that drifted from its stream: another batch size
        return dataclasses.replace(original(self, ctx, glms), M=2 * self.M)

    monkeypatch.setattr(_streams.Stream, "request", planted)
    with make_executor("serial") as ex, pytest.raises(ValueError, match="M=16, not 8"):
        run(RunContext(mode="quick"), ["batch_statistics"], executor=ex)


def test_collect_keys_results_by_handle_in_plan_order():
    plan = {_streams.GAUSSIAN_32: "a", _streams.GAUSSIAN_8: "b"}
    result = dataclasses.make_dataclass("R", ["M"])
    sims = {"a": result(32), "b": result(8)}
    assert collect(plan, sims) == {_streams.GAUSSIAN_32: sims["a"], _streams.GAUSSIAN_8: sims["b"]}
    with pytest.raises(ValueError, match="gaussian,M=8 has M=32"):
        collect({_streams.GAUSSIAN_8: "a"}, sims)


def test_a_sweeps_result_must_have_the_grid_points_its_request_asked_for():
    request = SweepRequest("linear", 32, (0.5, 2.0), 2, 1, 0.5)
    asked = {GridPoint(32, None, 0.5): {}, GridPoint(32, None, 2.0): {}}
    assert request.grid() == set(asked)
    assert collect({"linear": request}, {request: asked}) == {"linear": asked}
    for planted in ({GridPoint(64, None, 0.5): {}, GridPoint(64, None, 2.0): {}},  # another N
                    {GridPoint(32, None, 0.5): {}}):  # a point missing
        with pytest.raises(ValueError, match=r"grid points \(N, M, alpha\)"):
            collect({"linear": request}, {request: planted})


def test_a_bn_sweeps_grid_has_each_batch_size_or_its_configurations():
    config = BNConfig(M=16)
    assert SweepRequest("bn", 32, (1.0,), 2, 1, 0.5, config=config).grid() == {GridPoint(32, 16, 1.0)}
    assert SweepRequest("bn", 32, (1.0,), 2, 1, 0.5, config=config, Ms=(4, 8)).grid() == {
        GridPoint(32, 4, 1.0), GridPoint(32, 8, 1.0)}


def test_the_teacher_student_checks_read_n_from_the_result():
    grid = {GridPoint(48, None, 0.5): {"a": 1}, GridPoint(48, None, 2.0): {"a": 2}}
    assert by_alpha(grid) == (48, {0.5: {"a": 1}, 2.0: {"a": 2}})
    with pytest.raises(ValueError, match="one N"):
        by_alpha({**grid, GridPoint(64, None, 1.0): {}})
