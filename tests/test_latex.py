r"""The LaTeX export: faithful (every printed formula parses back to its derived expression),
typeset like a paper (compiles with no overfull box, no stray text glyphs), usable in pieces
(labels, snippets, JSON), and a CLI whose bad input is one line and exit 2."""

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace

import pytest
import sympy as sp
from sympy.core.function import AppliedUndef

from theory import notation
from theory._identity import expand_definitions, same_function
from theory.cli import atomic_write_folder, run_main
from theory.latex import FORMULA_SOURCES, SNIPPET_MARKER, all_formulas, definitions, document, main, unfaithful

pytest.importorskip("antlr4", reason="the round trip needs the ANTLR runtime of the test extra")
from sympy.parsing.latex import parse_latex  # noqa: E402


@pytest.fixture(scope="module")
def formulas():
    return all_formulas()


# ----------------------------------------------------------------------------- round trip
_PLACEHOLDER = r"\Xi_{%d}"


def parse_printed(tex: str, symbols: dict[str, sp.Symbol]) -> sp.Expr:
    """SymPy's LaTeX parser (ANTLR) applied to bnreg's own printed right side, read under the
    notation table: each symbol's LaTeX (longest first) becomes a placeholder the parser reads
    as one symbol, a table function (``\\Gamma``, ``H``) its SymPy function, and any other
    ``f(...)`` the parser took for a call the product it is."""
    tex = tex.replace(r"\\", " ").replace("&", " ").replace(r"\quad", " ")
    back = {}
    entries = sorted(notation.NOTATION.values(), key=lambda e: -len(e.latex))
    for k, e in enumerate(entries):
        if re.fullmatch("[A-Za-z]", e.latex):
            continue  # a single letter parses as itself
        pattern = re.escape(e.latex) + ("(?![A-Za-z])" if e.latex[-1].isalpha() else "")
        tex, count = re.subn(pattern, lambda _, k=k: " " + _PLACEHOLDER % k + " ", tex)
        if count:
            back[f"Xi_{{{k}}}"] = e.name
    parsed = parse_latex(tex, backend="antlr")
    functions = {name.lstrip("\\"): f for name, (f, _) in notation.FUNCTIONS.items()}

    def call(e):
        name = type(e).__name__
        if name in functions:
            return functions[name](*e.args)
        (arg,) = e.args
        return sp.Symbol(name) * arg

    parsed = parsed.replace(lambda e: isinstance(e, AppliedUndef), call)
    names = {s: symbols[back.get(s.name, s.name)] if back.get(s.name, s.name) in symbols else s
             for s in parsed.free_symbols}
    return parsed.xreplace(names).subs(sp.Symbol("pi"), sp.pi)


def _symbols(formulas) -> dict[str, sp.Symbol]:
    out = {}
    for f in formulas:
        for s in (f.rhs.free_symbols | f.printed.free_symbols):
            out.setdefault(s.name, s)
    return out


_PARSED: dict[str, sp.Expr] = {}  #: printed LaTeX -> parsed (the parser is the slow part)


def round_trips(formula, formulas, printed: dict[str, str] | None = None) -> bool:
    """The printed LaTeX of ``formula`` (``printed[label]`` overrides a formula's LaTeX), with each
    named intermediate replaced by the *parsed* LaTeX of its defining formula, equals the
    derived expression."""
    symbols = _symbols(formulas)
    printed = printed or {}

    def parsed(f):
        tex = printed.get(f.label, " ".join(f.rhs_lines()))
        if tex not in _PARSED:
            _PARSED[tex] = parse_printed(tex, symbols)
        return _PARSED[tex]

    defs = {f.defines.name: parsed(f) for f in formulas if f.defines is not None}
    return same_function(expand_definitions(parsed(formula), defs), formula.rhs, formula.region)


def test_every_printed_formula_round_trips(formulas):
    failed = [f.label for f in formulas if not round_trips(f, formulas)]
    assert failed == []


@pytest.mark.parametrize("label, old, new", [
    ("zeta", "8 M", "4 M"),  # a wrong constant
    ("wn-error", r"\zeta^{2}", r"\zeta^{3}"),  # a wrong power
    ("var-sigma2-b-biased", r"\left(M - 1\right) \left(2 M", r"\left(M + 1\right) \left(2 M"),  # a sign
    ("mp-stieltjes", r"2 \zeta", r"2"),  # a typo in a definition, caught where G is used too
    ("bn-student-error-below", r"- 2 \sqrt{\alpha} c_{M}", r"- 3 \sqrt{\alpha} c_{M}"),  # BN student, in alpha < 1
    ("bn-student-direction-term", r"{4 \alpha^{3/2}", r"{2 \alpha^{3/2}"),  # a split display's 2nd line, alpha > 1
])
def test_planted_typo_fails_the_round_trip(formulas, label, old, new):
    by_label = {f.label: f for f in formulas}
    tex = " ".join(by_label[label].rhs_lines())
    assert old in tex
    printed = {label: tex.replace(old, new, 1)}
    assert not round_trips(by_label[label], formulas, printed)
    if label == "mp-stieltjes":
        assert not round_trips(by_label["wn-error"], formulas, printed)


def test_compact_forms_equal_the_derivations(formulas):
    assert unfaithful(formulas) == []
    assert set(definitions(formulas)) >= {"G", "G'", "D", "lambda_-", "lambda_+", "chi_M", "gamma_*"}
    wrong = [replace(f, display=f.printed * (1 + 1 / sp.Integer(10**6))) if f.label == "wn-error" else f
             for f in formulas]
    assert unfaithful(wrong) == ["wn-error"]


def test_registration_and_labels(formulas):
    assert FORMULA_SOURCES == ("theory._part1_formulas", "theory.teacher_student", "theory.bn_student",
                               "theory.network_regularizer")
    labels = [f.label for f in formulas]
    assert len(labels) == len(set(labels))
    assert {"zeta-gaussian-identity", "wn-error", "mp-stieltjes", "ridge-correction-below", "bn-student-error-above",
            "bn-student-error-below", "pn-student-error-above", "bn-chi-factor"} <= set(labels)
    with pytest.raises(ValueError, match="label"):
        replace(formulas[0], label="Bad Label")


# ----------------------------------------------------------------------------- notation
def test_notation_prints_what_was_derived():
    delta2 = sp.Symbol("delta2", positive=True)
    assert notation.latex(delta2 / (sp.Symbol("alpha", positive=True) - 1)) == r"\frac{\delta^{2}}{\alpha - 1}"
    assert notation.latex(delta2**2) == r"\left(\delta^{2}\right)^{2}"
    assert notation.latex(sp.Symbol(r"\mu_{\mathcal{P}}") ** 2) == r"\mu_{\mathcal{P}}^{2}"
    assert notation.latex(sp.Heaviside(sp.Symbol("x"))) == r"H\left(x\right)"
    assert notation.latex(sp.Symbol("N") - sp.Symbol("P") - 1) == "N - P - 1"  # positive terms first


def test_every_printed_symbol_is_in_the_table(formulas):
    assert [(f.label, notation.missing(f.printed)) for f in formulas if notation.missing(f.printed)] == []
    assert notation.missing(sp.Symbol("not_in_table")) == ["not_in_table"]


def test_register_is_idempotent_and_refuses_a_second_meaning():
    e = notation.register("delta2", r"\delta^{2}", "δ²", "ignored: already registered")
    assert e.latex == r"\delta^{2}"
    with pytest.raises(ValueError, match="already printed"):
        notation.register("delta2", r"\delta_{2}", "δ₂", "another quantity")
    with pytest.raises(ValueError, match="no entry"):
        notation.entry("not_in_table")


@pytest.mark.parametrize("expr, text", [
    (sp.Eq(sp.Symbol("zeta"), 1 / (2 * sp.Symbol("M"))), "ζ = 1/(2M)"),
    (sp.Symbol("delta2"), "δ²"),
    (sp.Symbol(r"\mu_{\mathcal{P}}"), "μ_P"),
    (sp.Eq(sp.Symbol("rho"), 0), "ρ = 0"),
    (sp.Symbol(r"\sigma_{\mathcal{P}}") ** 2 * (sp.Symbol("rho") + 2) / (4 * sp.Symbol("M")), "σ_P²(ρ + 2)/(4M)"),
    (sp.Symbol("delta2") ** 2, "(δ²)²"),
    (sp.sqrt(2) * sp.gamma(sp.Symbol("M") / 2), "√2·Γ(M/2)"),
    (sp.sqrt(1 + sp.Symbol("alpha")), "√(α + 1)"),
    (sp.Symbol("M") ** sp.Rational(-3, 2), "1/M^(3/2)"),
    (sp.Lt(sp.Symbol("alpha"), 1), "α < 1"),
])
def test_text_is_readable_unicode(expr, text):
    assert notation.text(expr) == text


def test_text_of_every_formula_is_one_line_without_latex(formulas):
    for f in formulas:
        t = notation.text(f.printed)
        assert "\n" not in t and "\\" not in t and "**" not in t, (f.label, t)


# ----------------------------------------------------------------------------- document and CLI
def test_document_has_every_formula_labelled_and_nothing_shrunk(formulas):
    tex = document(formulas)
    assert tex.count(r"\begin{equation}") == len(formulas)
    for f in formulas:
        assert tex.count(rf"\label{{{f.tex_label}}}") == 1
    assert r"\resizebox" not in tex and r"\scalebox" not in tex
    assert r"\delta_{2}" not in tex and "Part 2" in tex


@pytest.fixture(scope="module")
def exported(tmp_path_factory, formulas):
    """The CLI's three outputs, written in-process (the derivations are cached from ``formulas``)."""
    folder = tmp_path_factory.mktemp("latex")
    assert main(["--out", str(folder / "formulas.tex"), "--snippets", str(folder / "snippets"),
                 "--json", str(folder / "formulas.json")]) == 0
    return folder


def _cli(args, cwd):
    return subprocess.run([sys.executable, "-m", "theory.latex", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600)


def test_snippets_and_listing(exported, formulas):
    listing = json.loads((exported / "formulas.json").read_text())
    entries = {e["label"]: e for e in listing["formulas"]}
    assert len(entries) == len(formulas)
    wn = entries["eq:wn-error"]
    assert wn["section"] == "2.3" and set(wn["uses"]) == {"eq:mp-stieltjes", "eq:mp-stieltjes-derivative"}
    assert wn["requires"] == ["eq:mp-edge-lower", "eq:mp-edge-upper", "eq:mp-discriminant", "eq:mp-stieltjes",
                              "eq:mp-stieltjes-derivative"]
    assert wn["text"] == "δ²(G + G'·ζ) - G'·ζ²"
    assert wn["srepr"] == sp.srepr({f.label: f for f in formulas}["wn-error"].rhs)
    assert {"name": "delta2", "latex": r"\delta^{2}", "text": "δ²"}.items() <= {
        **next(e for e in listing["notation"] if e["name"] == "delta2")}.items()
    files = sorted(p.name for p in (exported / "snippets").iterdir())
    assert files == sorted([SNIPPET_MARKER] + [f"{f.label}.tex" for f in formulas])
    text = (exported / "snippets" / "wn-error.tex").read_text()
    assert r"\label{eq:wn-error}" in text and text.count(r"\begin{equation}") == 1
    assert "\\input first: mp-edge-lower.tex, mp-edge-upper.tex" in text


def test_snippets_folder_is_replaced_whole_or_not_at_all(tmp_path, monkeypatch):
    target = tmp_path / "snippets"
    atomic_write_folder(target, {"a.tex": "A", "b.tex": "B"}, SNIPPET_MARKER)
    atomic_write_folder(target, {"c.tex": "C"}, SNIPPET_MARKER)  # a re-run replaces the folder whole
    assert sorted(p.name for p in target.iterdir()) == sorted([SNIPPET_MARKER, "c.tex"])
    real_replace = os.replace

    def fail_on_new_folder(src, dst):
        if str(src).endswith(".tmp"):
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", fail_on_new_folder)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_folder(target, {"d.tex": "D"}, SNIPPET_MARKER)
    monkeypatch.undo()
    assert sorted(p.name for p in target.iterdir()) == sorted([SNIPPET_MARKER, "c.tex"])  # the old one, intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snippets"]  # no temporary folder left
    with pytest.raises(ValueError, match="bad file name"):
        atomic_write_folder(tmp_path / "other", {"../x.tex": "X"}, SNIPPET_MARKER)
    assert not (tmp_path / "other").exists()


def test_a_folder_the_command_did_not_write_is_refused(tmp_path):
    foreign = tmp_path / "paper"
    foreign.mkdir()
    (foreign / "main.tex").write_text("mine")
    run = _cli(["--out", "x.tex", "--snippets", "paper"], tmp_path)
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1
    assert [p.name for p in foreign.iterdir()] == ["main.tex"] and not (tmp_path / "x.tex").exists()
    with pytest.raises(ValueError, match="refusing"):
        atomic_write_folder(foreign, {"a.tex": "A"}, SNIPPET_MARKER)


@pytest.mark.parametrize("args", [
    ["--out", "/nonexistent-folder/x.tex"], ["--out", "x.pdf"], [], ["--bogus"],
    ["--out", "x.tex", "--json", "x.txt"], ["--out", "x.tex", "--json", "/nonexistent-folder/x.json"],
    ["--out", "x.tex", "--snippets", "/nonexistent-folder/s"],
])
def test_bad_input_is_one_line_and_exit_2(args, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    try:
        code = run_main(main, args, prog="python -m theory.latex")
    except SystemExit as stop:  # argparse's errors
        code = stop.code
    assert code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not list(tmp_path.iterdir())


def test_the_command_line_itself(tmp_path):
    run = _cli(["--out", "x.pdf"], tmp_path)
    assert run.returncode == 2 and run.stderr.startswith("python -m theory.latex: error: --out must end in .tex")


# ----------------------------------------------------------------------------- compiled PDF
_OVERFULL = re.compile(r"Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\)")
_MAX_OVERFULL_PT = 5.0  #: a box a few points too wide is invisible; more runs into the margin


def overfull_points(log: str) -> list[float]:
    return [float(m) for m in _OVERFULL.findall(log)]


def stray_glyphs(text: str) -> list[str]:
    """What pdftotext shows when text-mode LaTeX went wrong: ``¡``/``¿`` for ``<``/``>``, a raw
    ``{}`` or ``_``."""
    return [g for g in ("¡", "¿", "{}", "_") if g in text]


def test_log_and_text_checks_catch_what_they_should():
    log = "Overfull \\hbox (12.3pt too wide) in paragraph\nOverfull \\hbox (0.5pt too wide) detected"
    assert overfull_points(log) == [12.3, 0.5]
    assert stray_glyphs("alpha ¡ 1, O(M{}-2), h_1") == ["¡", "{}", "_"]
    assert stray_glyphs("ζ = 3/(4M)") == []


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed (CI installs it)")
def test_document_compiles_without_overfull_boxes_or_stray_glyphs(exported):
    for _ in range(2):  # the second run resolves \eqref
        pdf = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "formulas.tex"],
                             cwd=exported, capture_output=True, text=True, timeout=300)
        assert pdf.returncode == 0, pdf.stdout[-2000:]
    log = (exported / "formulas.log").read_text(errors="replace")
    assert [p for p in overfull_points(log) if p > _MAX_OVERFULL_PT] == []
    assert "There were undefined references" not in log
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", "formulas.pdf", "-"], cwd=exported, capture_output=True,
                          text=True, timeout=120, check=True).stdout
    assert stray_glyphs(text) == []
    assert "(1)" in text


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed (CI installs it)")
def test_a_paper_can_input_a_snippet_and_what_it_requires(exported):
    listing = json.loads((exported / "formulas.json").read_text())
    wn = next(e for e in listing["formulas"] if e["label"] == "eq:wn-error")
    pieces = [label.removeprefix("eq:") for label in wn["requires"]] + ["wn-error"]
    paper = "\n".join([r"\documentclass{article}", r"\usepackage{amsmath,amssymb}", r"\begin{document}",
                       *(rf"\input{{snippets/{p}}}" for p in pieces),
                       r"As (\ref{eq:wn-error}) shows, \dots", r"\end{document}"])
    (exported / "paper.tex").write_text(paper)
    for _ in range(2):
        run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "paper.tex"], cwd=exported,
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stdout[-2000:]
    log = (exported / "paper.log").read_text(errors="replace")
    assert "undefined" not in log.lower() and "Overfull" not in log
