"""Sweep executors: serial, local processes and a Dask LocalCluster give the same points, resume from
a store, propagate worker errors and refuse bad input."""

from __future__ import annotations

import functools
import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import sim.executor as executor_module
from sim import Job, SweepStore, run_jobs, run_points
from sim.executor import make_executor
from sim.teacher_student import sweep

KEYS = [f"p{i}" for i in range(4)]


def _draw(i: int) -> np.ndarray:
    """A deterministic point that also goes through BLAS."""
    a = np.random.default_rng(np.random.SeedSequence(1234, spawn_key=(i,))).standard_normal((12, 12))
    return a @ a.T


def _point(key: str, calls: Path | None = None, delay: float = 0.0) -> tuple[dict, dict]:
    """``run_points`` compute; each call leaves a file under ``calls``; earlier keys finish later."""
    i = KEYS.index(key)
    if calls is not None:
        (calls / key).touch()
    time.sleep(delay * (len(KEYS) - i))
    return {"x": _draw(i), "i": np.int64(i)}, {"by": "run"}


def _point_failing(key: str, calls: Path, fail: str) -> tuple[dict, dict]:
    if key == fail:
        raise ArithmeticError(f"point {key} failed")
    return _point(key, calls)


def _fail(i: int) -> int:
    if i == 3:
        raise ArithmeticError(f"point {i} failed")
    return i


def _blas_threads(_: int) -> int:
    return max((lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"), default=1)


@pytest.fixture(scope="module")
def dask_executor():
    with make_executor("dask", workers=2) as ex:
        yield ex


@pytest.fixture(scope="module")
def process_executor():
    with make_executor("process", workers=2) as ex:
        yield ex


@pytest.fixture(params=["serial", "process", "dask"])
def executor(request):
    if request.param == "serial":
        return make_executor("serial")
    return request.getfixturevalue(f"{request.param}_executor")


def test_map_unordered_matches_serial(executor):
    got = dict(executor.map_unordered(_draw, range(6)))
    assert sorted(got) == list(range(6))
    for i in range(6):
        np.testing.assert_array_equal(got[i], _draw(i))


def test_run_points_resumes_in_key_order(executor, tmp_path):
    store = SweepStore(tmp_path / "store", {"test": "resume"})
    for key in KEYS[1:3]:
        arrays, _ = _point(key)
        store.save(key, arrays, {"by": "pre"})
    calls = tmp_path / "calls"
    calls.mkdir()
    compute = functools.partial(_point, calls=calls, delay=0.05)
    out = run_points(KEYS, compute, store, executor=executor, progress=False)
    assert list(out) == KEYS
    assert sorted(p.name for p in calls.iterdir()) == [KEYS[0], KEYS[3]]
    assert {k: store.load(k)[1]["by"] for k in KEYS} == {"p0": "run", "p1": "pre", "p2": "pre", "p3": "run"}
    expected = run_points(KEYS, _point)
    for key in KEYS:
        assert out[key].keys() == expected[key].keys()
        for name in expected[key]:
            np.testing.assert_array_equal(out[key][name], expected[key][name])


def test_jobs_share_one_queue(executor, tmp_path):
    """A stored sweep, an unstored one and plain tasks in one call: each job gets its own results in
    key order, only the stored job writes files, and the tasks run as one queue (serially: job after
    job, in key order)."""
    calls = tmp_path / "calls"
    calls.mkdir()
    stored = Job(tuple(KEYS[:2]), functools.partial(_point, calls=calls), SweepStore(tmp_path / "a", {"job": "a"}))
    plain = Job((3, 1, 2), _draw, sweep=False)
    unstored = Job(tuple(KEYS[2:]), _point)
    a, b, c = run_jobs([stored, plain, unstored], executor=executor, progress=False)
    assert list(a) == KEYS[:2] and list(b) == [3, 1, 2] and list(c) == KEYS[2:]
    for i in (1, 2, 3):
        np.testing.assert_array_equal(b[i], _draw(i))
    for key, arrays in {**a, **c}.items():
        np.testing.assert_array_equal(arrays["x"], _draw(KEYS.index(key)))
    assert sorted(p.name for p in (tmp_path / "a").glob("*.npz")) == ["p0.npz", "p1.npz"]
    assert sorted(p.name for p in calls.iterdir()) == KEYS[:2]
    if executor.name == "serial":
        order = []
        run_jobs([Job((0, 1), functools.partial(_logged, order, "x"), sweep=False),
                  Job((0,), functools.partial(_logged, order, "y"), sweep=False)], executor=executor)
        assert order == [("x", 0), ("x", 1), ("y", 0)]


def _logged(order: list, name: str, item: int) -> int:
    order.append((name, item))
    return item


def test_interrupted_run_points_resumes(executor, tmp_path):
    store = SweepStore(tmp_path / "store", {"test": "interrupted"})
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    with pytest.raises(ArithmeticError, match="point p2 failed"):
        run_points(KEYS, functools.partial(_point_failing, calls=first, fail="p2"), store, executor=executor)
    saved = {k for k in KEYS if store.done(k)}
    assert "p2" not in saved
    out = run_points(KEYS, functools.partial(_point, calls=second), store, executor=executor)
    assert {p.name for p in second.iterdir()} == set(KEYS) - saved
    for key in KEYS:
        np.testing.assert_array_equal(out[key]["x"], _draw(KEYS.index(key)))


def test_worker_exception_propagates(executor):
    with pytest.raises(ArithmeticError, match="point 3 failed"):
        dict(executor.map_unordered(_fail, range(6)))
    assert dict(executor.map_unordered(_fail, range(2))) == {0: 0, 1: 1}  # still usable afterwards


@pytest.mark.parametrize("kind", ["process", "dask"])
def test_workers_share_the_cores(kind, request):
    ex = request.getfixturevalue(f"{kind}_executor")
    threads = {n for _, n in ex.map_unordered(_blas_threads, range(4))}
    assert max(threads) <= max(1, (os.cpu_count() or 1) // 2)


def test_small_sweep_on_local_cluster(dask_executor, tmp_path):
    kwargs = {"seed": np.random.SeedSequence(1), "datasets": 2, "teachers": 2, "zetas": [0.1, 1.0]}
    got = sweep("linear", 32, (0.5, 2.0), **kwargs, executor=dask_executor, directory=tmp_path / "s")
    expected = sweep("linear", 32, (0.5, 2.0), **kwargs, executor=make_executor("serial"))
    assert list(got) == list(expected)
    for alpha in expected:
        assert got[alpha].keys() == expected[alpha].keys()
        for name in expected[alpha]:
            np.testing.assert_array_equal(got[alpha][name], expected[alpha][name])


def test_names_and_single_worker():
    assert make_executor("serial").name == "serial"
    assert make_executor("process", workers=1).name == "serial"  # no pool for one worker


@pytest.mark.parametrize("kwargs, match", [
    ({"kind": "threads"}, "executor kind must be one of serial, process, dask"),
    ({"kind": "process", "workers": 0}, "workers must be at least 1"),
    ({"kind": "process", "scheduler": "tcp://127.0.0.1:8786"}, "scheduler address needs the dask executor"),
    ({"kind": "dask", "workers": 2, "scheduler": "tcp://127.0.0.1:8786"},
     r"^workers cannot be set with a scheduler address: the cluster has its own workers$"),
])
def test_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_executor(**kwargs)


def test_unreachable_scheduler_fails_instead_of_waiting(monkeypatch):
    monkeypatch.setattr(executor_module, "CONNECT_TIMEOUT", 1.0)  # the bound on the wait is the timeout
    with pytest.raises(ValueError, match="cannot reach a Dask scheduler at 'tcp://127.0.0.1:1' within 1 s"):
        make_executor("dask", scheduler="tcp://127.0.0.1:1")


def test_dask_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if not installed
    with pytest.raises(ValueError, match=(r"^the dask executor needs dask\.distributed: "
                                          r"pip install 'bnreg\[dask\]'$")):
        make_executor("dask")


#: a module setting a worker reads: changed in the parent after import, it shows how the worker started
_STARTED_AS = "imported"


def _started_as(_: int) -> str:
    return _STARTED_AS


def test_process_workers_start_fresh_rather_than_as_forks_of_the_parent(monkeypatch):
    """Workers are spawned: a fork would copy the parent's threads' locks (BLAS, a Dask client) mid-state and can
    deadlock, and would see the parent's later changes of module state, as this one would."""
    monkeypatch.setattr(sys.modules[__name__], "_STARTED_AS", "changed in the parent")
    with make_executor("process", workers=2) as ex:
        assert dict(ex.map_unordered(_started_as, [0, 1])) == {0: "imported", 1: "imported"}


def test_a_dask_executor_does_not_become_the_default_client(dask_executor):
    """The cluster bnreg starts serves its own sweeps only: a user's own ``dask.compute`` in the same process is not
    routed to it, nor broken once bnreg closes it."""
    from distributed import default_client

    assert dict(dask_executor.map_unordered(_draw, range(1)))  # the client is up and used
    with pytest.raises(ValueError, match="No clients found"):
        default_client()
