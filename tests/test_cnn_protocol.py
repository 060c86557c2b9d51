"""The learning-rate protocols of the CNN study: linear scaling and a fixed rate (equal epochs), runs
shared at M = 64, unique keys, old keys unchanged, and claims judged per protocol with the registry
saying where the verdicts differ."""

from __future__ import annotations

import numpy as np
import pytest

from sim.cnn import LR_FIXED_BATCH, CNNRun, run_key
from verify._cnn_claims import all_claims
from verify._cnn_plan import PROTOCOL_SECTIONS, SECTIONS, Size, configurations, runs


def test_fixed_rate_is_that_of_m64_and_linear_scales():
    linear = [CNNRun("bn", M, 0).lr for M in (32, 64, 256)]
    fixed = [CNNRun("bn", M, 0, lr_protocol="fixed").lr for M in (32, 64, 256)]
    assert linear == pytest.approx([0.1 * 32 / 256, 0.1 * 64 / 256, 0.1])
    assert fixed == pytest.approx([0.1 * LR_FIXED_BATCH / 256] * 3)
    with pytest.raises(ValueError, match="lr_protocol"):
        CNNRun("bn", 64, 0, lr_protocol="sqrt")


def test_keys_old_runs_unchanged_m64_shared_and_unique():
    assert CNNRun("bn", 256, 3).key == "bn-M256-s3" == run_key("bn", 256, 3)  # saved runs keep their key
    assert CNNRun("bn", 256, 3, lr_protocol="fixed").key == "bn-M256-fixed-s3"
    shared = CNNRun("bn", 64, 3, lr_protocol="fixed")
    assert shared.key == "bn-M64-s3" and shared == CNNRun("bn", 64, 3)  # one run for both protocols
    plan = runs(Size(train=10, test=10, epochs=1, seeds=3), 1, "cpu")
    assert len({r.key for r in plan}) == len(plan)
    fixed = {(v, M) for v, M, p in configurations() if p == "fixed"}
    dependent = {c for name in PROTOCOL_SECTIONS for c in SECTIONS[name] if c[1] != LR_FIXED_BATCH}
    assert fixed == dependent and "2.4.2" not in PROTOCOL_SECTIONS


def _results(seeds: int, fixed_penalty: float) -> dict:
    """Synthetic runs: every configuration of the plan; test error grows with M under the linear rate
    and falls under the fixed one (by ``fixed_penalty`` per doubling, with small seed noise)."""
    rng = np.random.default_rng(0)
    out = {}
    for v, M, protocol in configurations():
        slope = 0.01 if protocol == "linear" else fixed_penalty
        for s in range(seeds):
            error = 0.05 + slope * np.log2(M / 64) + 1e-4 * rng.standard_normal()
            out[run_key(v, M, s, protocol)] = {"test_error": error, "gap": error, "gamma2": np.ones(5),
                                               "gamma2_switched": 1.0}
    return out


def test_claims_per_protocol_and_differing_verdicts_are_said():
    claims = {c.id: c for c in all_claims(_results(3, -0.01), 3, "synthetic")}
    linear, fixed = claims["seed.2.4.4.bn_large_batch"], claims["seed.2.4.4.bn_large_batch.fixed_lr"]
    assert (linear.verdict, fixed.verdict) == ("confirmed", "contradicted")
    assert all("THE VERDICTS DIFFER" in c.notes[-1] for c in (linear, fixed))
    assert "learning rate linear in M" in linear.scale and "learning rate fixed at 0.025" in fixed.scale
    same = {c.id: c for c in all_claims(_results(3, 0.01), 3, "synthetic")}
    assert "(the same verdict)" in same["seed.2.4.4.bn_large_batch.fixed_lr"].notes[-1]
    assert not [c for c in claims if c.startswith("seed.2.4.2") and c.endswith("fixed_lr")]


def test_store_folder_names_its_version_so_older_runs_are_not_read(tmp_path):
    from verify import cnn as study

    settings = study.CNNSettings(mode="quick", results_dir=str(tmp_path))
    store = study._store(settings, ("mnist5k", None, 10, 10))
    assert store.directory.name.endswith(f"-v{study.STORE_VERSION}") and study.STORE_VERSION >= 2
    assert store.manifest["config"]["pn_hessian"] == settings.size.pn_hessian  # the new settings are in it
