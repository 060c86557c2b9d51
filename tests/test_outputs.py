"""What a run writes: its report, arrays and figures under ``results/`` (git-ignored) by default,
README's tables rendered from a report, and no tracked file touched."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from verify.markdown import blocks, main, render, splice

ROOT = Path(__file__).resolve().parent.parent


def _git_status() -> str:
    return subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs a git checkout")
def test_a_default_run_changes_no_tracked_file(tmp_path):
    before = _git_status()
    run = subprocess.run([sys.executable, "-m", "verify.all", "--quick", "--parts", "pn_wn", "--markdown",
                          str(tmp_path / "tables.md")], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert _git_status() == before
    report = json.loads((ROOT / "results" / "report.json").read_text())
    assert [c["id"] for c in report["claims"]] == ["pn-wn"]
    assert (tmp_path / "tables.md").read_text() == render(report)


def _report() -> dict:
    check = {"kind": "zeta", "detectable_relative_error": 0.05}
    claim = {"section": "1.4", "printed": "ζ = 3/(4M)", "verdict": "leading-order", "correction": "first order",
             "evidence_text": "simulated 0.0237 ± 0.0001"}
    return {"checks": [check, dict(check, detectable_relative_error=0.02)],
            "claims": [claim, dict(claim, section="2.3", verdict="contradicted", printed="a | b")]}


def test_tables_render_from_the_report():
    tables = blocks(_report())
    assert "| `zeta` | 2 | 2 % – 5 % |" in tables["detectable-errors"]
    assert "| 1.4 | ζ = 3/(4M) | leading-order | first order; simulated 0.0237 ± 0.0001 |" in tables["claims-part1"]
    assert "**contradicted**" in tables["claims-part2"] and "a \\| b" in tables["claims-part2"]


def test_splice_replaces_only_the_marked_blocks(tmp_path):
    text = "intro\n<!-- generated:claims-part1 -->\nold\n<!-- end:claims-part1 -->\noutro\n"
    new = splice(text, blocks(_report()))
    assert new.startswith("intro\n") and new.endswith("outro\n") and "\nold\n" not in new
    assert splice(new, blocks(_report())) == new
    with pytest.raises(ValueError, match="nope"):
        splice("<!-- generated:nope -->\nx\n<!-- end:nope -->", blocks(_report()))
    report, readme = tmp_path / "r.json", tmp_path / "README.md"
    report.write_text(json.dumps(_report()))
    readme.write_text(text)
    assert main([str(report), "--readme", str(readme)]) == 0 and readme.read_text() == new


def test_readme_tables_and_figures_come_from_the_committed_full_run():
    """README's generated blocks are those of ``figures/report_full.json``, and every figure README
    shows is committed (redraw both with the command README gives)."""
    report = json.loads((ROOT / "figures" / "report_full.json").read_text())
    readme = (ROOT / "README.md").read_text()
    assert splice(readme, blocks(report)) == readme, "run python -m verify.markdown figures/report_full.json --readme"
    shown = re.findall(r"!\[[^\]]*\]\((figures/[^)]+)\)", readme)
    assert shown and all((ROOT / f).is_file() for f in shown), shown
    assert report["mode"] == "full" and report["passed"]
