"""``python -m verify.cnn``: bad input is one line and exit 2, PyTorch stays out of the core, a
tiny study runs end to end, resumes after an interruption, judges every §2.4 claim, and its
gamma-decay check fails for a planted error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from verify import cnn as study
from verify._cnn_claims import LEVEL, Judge, correction
from verify._cnn_plan import SECTIONS, Size, configurations, runs
from verify.check import student_k
from verify.claim import VERDICTS, Direction

from ._cnn_images import synthetic_images
from .helpers import plant

ROOT = Path(__file__).resolve().parent.parent


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "verify.cnn", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


@pytest.mark.parametrize("args, message", [
    (("--seeds", "2"), "--seeds"),
    (("--device", "tpu"), "--device"),
    (("--data", "cifar10"), "needs --data-dir"),
    (("--data", "cifar10", "--data-dir", "/no/such/folder"), "not a folder"),
    (("--quick", "--full"), "not allowed with"),
])
def test_bad_input_is_one_line_and_exit_2(args, message, tmp_path, capsys):
    try:  # argparse exits by itself; the other errors come back from run_main
        code = study.run_main(study.main, [*args, "--results", str(tmp_path)], prog="python -m verify.cnn")
    except SystemExit as exc:
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and message in err and "Traceback" not in err


def test_command_line_bad_input_exits_2():
    out = _cli("--seeds", "x")
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1 and "--seeds" in out.stderr


def test_torch_is_not_imported_by_the_core():
    code = "import sys, sim, verify.all, verify.cnn, sim.cnn; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.stdout.strip() == "False", out.stderr


def test_plan_shares_configurations_between_sections():
    configs = configurations()
    assert len(configs) == len(set(configs)) == 34 + 19  # 19 fixed-rate configurations at M != 64
    assert ("bn", 64) in SECTIONS["2.4.1"] and ("bn", 64) in SECTIONS["2.4.2"] and ("bn", 64) in SECTIONS["2.4.4"]
    assert {("pn", 64), ("pn_derived", 64), ("pn_gd", 64)} <= set(SECTIONS["2.4.1"])
    assert not [c for c in configs if c[2] == "fixed" and c[1] == 64]  # shared with the linear protocol
    plan = runs(Size(train=10, test=10, epochs=1, seeds=3), 1, "cpu")
    assert len(plan) == 159 and len({r.key for r in plan}) == 159


def test_k_is_the_student_t_quantile_and_direction_verdicts():
    assert student_k(3, level=LEVEL) == pytest.approx(4.302653, rel=1e-6)
    assert student_k(5, level=LEVEL) == pytest.approx(2.776445, rel=1e-6)
    # the same multiplier as a known-SE k at the normal LEVEL quantile (one formula, two parametrizations)
    assert student_k(3, level=LEVEL) == pytest.approx(student_k(3, float(stats.norm.ppf(LEVEL))), rel=1e-12)
    judge = Judge({}, 3, "test")
    assert judge.direction("d", np.array([1.0, 1.1, 0.9])).verdict() == "confirmed"
    assert judge.direction("d", np.array([-1.0, -1.1, -0.9])).verdict() == "contradicted"
    assert judge.direction("d", np.array([1.0, -1.0, 0.5])).verdict() == "not supported"
    missing = judge.direction("d", np.array([1.0, np.nan, 0.5]))
    assert missing.verdict() == "not supported" and "does not exist" in correction(missing)
    assert correction(Direction(1.0, 0.1, 4.3, "d")) is None


def _synthetic():
    return synthetic_images(256, 64, 10)


TINY = Size(train=256, test=64, epochs=1, seeds=3, pn_sample=256, pn_refresh=4, eval_train=64, pn_hessian=128,
            derived_audit_batches=16)


def test_tiny_study_runs_resumes_and_judges_every_claim(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    from sim import cnn as sim_cnn

    monkeypatch.setattr(study, "study_data", lambda *args: _synthetic())
    monkeypatch.setitem(study.SIZES["mnist5k"], "quick", TINY)
    calls = []

    def counted(run, data):
        calls.append(run.key)
        if len(calls) == 10 and interrupt:
            raise KeyboardInterrupt
        return sim_cnn.train_cnn(run, data)

    monkeypatch.setattr(study, "train_cnn", counted)
    argv = ["--quick", "--workers", "1", "--results", str(tmp_path)]
    interrupt = True
    assert study.run_main(study.main, argv, prog="verify.cnn") == 130  # interrupted after 9 saved runs
    interrupt = False
    calls.clear()
    assert study.main(argv) == 0
    assert len(calls) == 159 - 9  # the 9 finished runs were not trained again
    folder = next(tmp_path.iterdir())
    report = json.loads((folder / "report.json").read_text())
    claims = {c["id"]: c for c in report["claims"]}
    assert len(claims) == 10 + 6 and {c["section"] for c in claims.values()} == {"2.4.1", "2.4.2", "2.4.3", "2.4.4"}
    assert all(c["verdict"] in VERDICTS and "3 seeds" in c["scale"] for c in claims.values())
    fixed = [c for c in claims if c.endswith(".fixed_lr")]
    assert len(fixed) == 6 and all("learning rate fixed" in claims[c]["scale"] for c in fixed)
    assert all("learning-rate protocols" in claims[c]["notes"][-1] for c in fixed)
    assert "seed.2.4.1.pn_derived_decay" in claims
    assert "seed's reading" in claims["seed.2.4.1.pn_gamma_decay"]["notes"][0]
    assert len(report["checks"]) == 5 + 6 and all(c["holds"] for c in report["checks"]), report["checks"]
    for name in ("cnn_2_4_1.png", "cnn_2_4_2.png", "cnn_2_4_3.png", "cnn_2_4_4.png"):
        assert (folder / "figures" / name).stat().st_size > 10_000
    # a saved run is what a fresh run of the same key gives (deterministic, stored without loss)
    store = study.SweepStore(folder, json.loads((folder / "sweep.json").read_text())["config"])
    plan = {r.key: r for r in runs(TINY, 20190506, "cpu")}
    saved, _ = store.load("pn_gd-M64-s1")
    fresh, _ = sim_cnn.train_cnn(plan["pn_gd-M64-s1"], _synthetic())
    assert saved.keys() == fresh.keys()
    for k in fresh:
        np.testing.assert_array_equal(saved[k], fresh[k])


def test_gamma_decay_check_fails_for_a_planted_error():
    pytest.importorskip("torch")
    from sim.cnn import CNNRun, train_cnn
    from verify._cnn_audit import audit_checks

    run = CNNRun("pn_gd", 64, 0, epochs=1, pn_sample=256, eval_train=64)
    arrays, _ = train_cnn(run, _synthetic())
    checks = audit_checks({run.key: arrays}, {run.key: run})
    assert len(checks) == 5 and all(c.holds for c in checks)
    for c in checks:
        assert not plant(c, 1e-5).holds  # 10x the bias bound: the float32 statistics cannot hide it


def test_settings_from_the_verifier_context(tmp_path):
    from verify.context import RunContext

    settings = study.CNNSettings.from_context(RunContext(mode="quick", seed=5, results_dir=str(tmp_path)))
    assert (settings.mode, settings.root_seed, settings.results_dir) == ("quick", 5, str(tmp_path / "cnn"))
    assert settings.size.seeds == 3
    with pytest.raises(ValueError, match="at least 3"):
        study.CNNSettings(seeds=2)


def test_the_study_is_an_opt_in_ladder_of_verify_all(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    from sim import make_executor
    from verify import LADDERS, RunContext, run

    assert "cnn" not in LADDERS  # opt-in: it needs the cnn extra
    monkeypatch.setattr(study, "study_data", lambda *args: _synthetic())
    monkeypatch.setitem(study.SIZES["mnist5k"], "quick", TINY)
    ctx = RunContext(mode="quick", results_dir=str(tmp_path / "runs"))
    with make_executor("serial") as ex:
        result = run(ctx, ("cnn",), executor=ex, figures=tmp_path / "figures")
    assert len(result.claims) == 16 and len(result.checks) == 11
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == [f"cnn_2_4_{k}.png" for k in range(1, 5)]
