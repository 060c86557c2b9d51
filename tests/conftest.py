"""Shared test settings: strict numerics, deterministic hypothesis profiles, the gpu marker."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# Deterministic in CI: derandomized examples, no example database, no deadline (SymPy and BLAS
# warm-up make first calls slow).  HYPOTHESIS_PROFILE=dev runs fewer examples.
settings.register_profile("ci", derandomize=True, database=None, deadline=None, max_examples=25,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", derandomize=True, database=None, deadline=None, max_examples=8,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_addoption(parser):
    parser.addoption("--require-gpu", action="store_true", help="fail (not skip) gpu tests without CUDA")


def pytest_collection_modifyitems(config, items):
    from sim import cuda_status

    gpu_items = [item for item in items if "gpu" in item.keywords]
    if not gpu_items:
        return
    ok, reason = cuda_status()
    if ok:
        return
    if config.getoption("--require-gpu"):
        raise pytest.UsageError(f"--require-gpu given but {reason}")
    for item in gpu_items:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _strict_numpy():
    """Floating-point overflow, division by zero and invalid operations raise in tests."""
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        yield


@pytest.fixture(autouse=True)
def _uncached_for_mutation_stats():
    """mutmut's stats run (``MUTANT_UNDER_TEST=stats``) records which functions each test reaches, and runs a
    mutant against those tests only.  A derivation cached by an earlier test would hide its helpers from every
    later test (each helper would be tried against one test), so there every test starts with the caches of
    theory and sim empty (docs/mutation.md).  Any other run keeps its caches."""
    if os.environ.get("MUTANT_UNDER_TEST") == "stats":
        for name, module in list(sys.modules.items()):
            if name.partition(".")[0] in ("theory", "sim"):
                for value in list(vars(module).values()):
                    if callable(getattr(value, "cache_clear", None)):
                        value.cache_clear()
    yield


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory):
    """Every ladder at ``--quick`` size, once per test session (two worker processes), with its
    figures and resumable sweeps in a temporary folder: ``(run, root)``."""
    from sim import make_executor
    from verify import RunContext, run

    root = tmp_path_factory.mktemp("quick")
    ctx = RunContext(mode="quick", results_dir=str(root / "sweeps"))
    with make_executor("process", workers=2) as executor:
        result = run(ctx, executor=executor, figures=root / "figures")
    return result, root
