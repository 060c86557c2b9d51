"""verify/_part2.py at the quick size: every check holds, every check fails with its planted error,
the seed's Part-2 claims get their verdicts, the figure is written, and a rerun resumes."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from theory import teacher_student as ts
from verify import _part2
from verify.context import RunContext
from verify.registry import VERDICTS


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    root = tmp_path_factory.mktemp("part2")
    result = _part2.run(RunContext(mode="quick", results_dir=str(root / "results")), root / "figures")
    return root, result


def test_every_check_holds_with_a_stated_reason(quick):
    _, result = quick
    assert len(result.checks) >= 30
    for check in result.checks:
        assert check.holds, check.to_dict()
        assert check.reason and math.isfinite(check.z)


def test_every_check_fails_with_its_planted_error(quick):
    """Power at the quick size: each family's theory value off by PLANTED[family] fails."""
    _, result = quick
    for check in result.checks:
        family = check.name.split(".")[1]
        rel = _part2.PLANTED[family]
        assert not check.planted(rel).holds, (check.name, rel, check.detectable_relative_error)
        assert not check.planted(-rel).holds, (check.name, -rel, check.detectable_relative_error)


def test_claim_verdicts(quick):
    _, result = quick
    claims = {c.id: c for c in result.claims}
    assert all(c.verdict in VERDICTS and c.evidence for c in claims.values())
    assert claims["seed.2.3.sgd_alpha_lt_1"].verdict == "confirmed"
    assert claims["seed.2.3.sgd_alpha_gt_1"].verdict == "contradicted"
    assert claims["seed.2.3.sgd_alpha_gt_1"].printed_value < 0 < claims["seed.2.3.sgd_alpha_gt_1"].derived_value
    assert claims["seed.2.3.G"].verdict == "contradicted"
    g = claims["seed.2.3.G"]
    assert abs(g.simulated - g.derived_value) < 5 * g.stderr < abs(g.printed_value - g.derived_value)
    assert claims["seed.2.3.eps_wn"].verdict == "confirmed"
    assert claims["seed.2.3.optimal_zeta"].verdict == "confirmed"  # in the convention of the seed's own G
    assert "BN" in claims["seed.2.3.bn_matches_wn"].evidence
    assert "fitted" in claims["seed.2.3.bn_equivalent_zeta"].evidence
    assert "gamma" in claims["seed.2.3.bn_no_divergence"].evidence


def test_figure_and_arrays(quick):
    root, result = quick
    path = root / "figures" / "teacher_student.png"
    assert result.figures == [str(path)]
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 20_000
    assert result.arrays["ts_bn_eps"].shape == (len(result.arrays["ts_bn_alpha"]), 16)  # 4 data sets x 4 teachers
    fits = result.info["part2"]["fits"]
    assert fits["loss"]["lower"] <= fits["loss"]["zeta"] <= fits["loss"]["upper"]


def test_rerun_resumes_from_saved_points_with_identical_numbers(quick):
    root, result = quick
    again = _part2.run(RunContext(mode="quick", results_dir=str(root / "results")), root / "figures2")
    assert [c.to_dict() for c in again.checks] == [c.to_dict() for c in result.checks]
    assert again.info["part2"]["wall_seconds"] < result.info["part2"]["wall_seconds"]


@settings(derandomize=True, database=None, deadline=None, max_examples=25)
@given(st.floats(1.01, 50.0))
def test_printed_alpha_above_one_branch_is_negative(alpha):
    printed = _part2.printed_formulas()["sgd_above"]
    assert float(printed.subs({ts.alpha: alpha, ts.delta2: 0.25})) < 0 < ts.sgd_error(alpha, 0.5)


def test_printed_G_is_not_the_stieltjes_transform_but_the_rebracketed_one_is():
    printed = _part2.printed_formulas()["G"]
    fixed = (1 - ts.alpha - ts.zeta + sp.sqrt((ts.zeta + (1 + sp.sqrt(ts.alpha)) ** 2)
                                              * (ts.zeta + (1 - sp.sqrt(ts.alpha)) ** 2))) / (2 * ts.zeta)
    for alpha, zeta in ((0.5, 0.1), (2.0, 0.25), (4.0, 1 / 64)):
        point = {ts.alpha: alpha, ts.zeta: zeta}
        assert float(fixed.subs(point)) == pytest.approx(ts.mp_stieltjes(alpha, zeta), rel=1e-12)
        assert float(printed.subs(point)) != pytest.approx(ts.mp_stieltjes(alpha, zeta), rel=1e-2)


def test_student_k_matches_gaussian_rate_for_many_samples():
    assert _part2.student_k(10_000) == pytest.approx(4.5, rel=1e-3)
    assert _part2.student_k(8) > _part2.student_k(48) > 4.5
    assert np.isfinite(_part2.student_k(2))
