"""The LaTeX export: every formula present, and the document compiles with pdflatex."""

import shutil
import subprocess
import sys

import pytest

from theory.latex import all_formulas, document


def test_document_has_every_formula(tmp_path):
    formulas = all_formulas()
    tex = document(formulas)
    assert tex.count(r"\begin{equation*}") == len(formulas)
    assert r"\zeta" in tex and "Part 2" in tex
    assert {f.section[0] for f in formulas} >= {"1", "2"}


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed (CI installs it)")
def test_generated_latex_compiles(tmp_path):
    out = tmp_path / "formulas.tex"
    run = subprocess.run([sys.executable, "-m", "theory.latex", "--out", str(out)], capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr
    pdf = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", out.name], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert pdf.returncode == 0, pdf.stdout[-2000:]
    assert (tmp_path / "formulas.pdf").stat().st_size > 1000


@pytest.mark.parametrize("args", [["--out", "/nonexistent-folder/x.tex"], ["--out", "x.pdf"], [], ["--bogus"]])
def test_bad_input_is_one_line_and_exit_2(args, tmp_path):
    run = subprocess.run([sys.executable, "-m", "theory.latex", *args], capture_output=True, text=True, cwd=tmp_path,
                         timeout=120)
    assert run.returncode == 2
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr
    assert not list(tmp_path.iterdir())
