"""Properties of theory's helpers that the sampled mutation run of theory/ and sim/ found unpinned
(docs/mutation.md, issue "house second pass", item 6): the equality check behind the LaTeX round trip,
the exact zeros of powers, and the grammar's description of its functions.  Each test states its property
and gets the expected value by an independent route (a known identity, a closed-form root, the table
itself)."""

from __future__ import annotations

import math

import pytest
import sympy as sp

from theory import FormulaError, describe_grammar, parse_expression
from theory._identity import same_function
from theory._mpeval import evaluate
from theory._parser_functions import FUNCTIONS
from theory._zeros import Unlocatable, zeros_in
from theory.symbols import X


def test_same_function_asks_for_relative_agreement_of_large_values():
    r"""Agreement to 40 significant digits is relative: :math:`a` and :math:`a(1+10^{-45})` count as one
    function for :math:`a=10^{30}\cosh^2 x` (values near :math:`10^{30}`, differences near :math:`10^{-15}`),
    and a relative change of :math:`10^{-30}` is a different function.  Kills the tolerance
    ``_AGREE * max(1, |a|, |b|)`` made ``_AGREE / max(...)`` (an absolute tolerance that shrinks with the
    values)."""
    a = sp.Integer(10) ** 30 * sp.cosh(X) ** 2
    assert same_function(a, a * (1 + sp.Integer(10) ** -45))
    assert not same_function(a, a * (1 + sp.Integer(10) ** -30))


def test_same_function_draws_a_real_symbol_off_the_integers():
    r""":math:`\sin(\pi x)` vanishes at every integer but is not 0: a real symbol is drawn from (-2, 2), not from
    the integers 3..60 that an integer symbol gets.  Kills ``interval is None and symbol.is_integer`` made
    ``or``."""
    assert not same_function(sp.sin(sp.pi * X), sp.Integer(0))
    n = sp.Symbol("n", integer=True)
    assert same_function(sp.sin(sp.pi * n), sp.Integer(0))  # an integer symbol: zero at every draw


def test_zeros_of_an_even_power_come_in_pairs():
    r""":math:`\sin^2 x=1/4` on [-1, 1] is :math:`x=\pm\arcsin(1/2)=\pm\pi/6`, from :math:`\sin x=\pm 1/2`.
    Kills the root :math:`|c|^{1/2}` of ``theory._zeros._power`` replaced by None."""
    found = zeros_in(sp.sin(X) ** 2, sp.Rational(1, 4), -1.0, 1.0)
    assert found.points == (-sp.pi / 6, sp.pi / 6)
    assert found.complete  # the window lies within the periods searched


def test_an_exponential_is_inverted_only_for_a_positive_base_other_than_one():
    r""":math:`2^x=8` at :math:`x=3`; :math:`x^x=4` has neither a constant base nor a constant exponent, and
    bnreg says it cannot locate its zeros rather than answer.  Kills ``not base.has(X) and sign(base) > 0
    and base != 1`` made ``... or base != 1``."""
    assert zeros_in(sp.Integer(2) ** X, sp.Integer(8), -10.0, 10.0).points == (3,)
    with pytest.raises(Unlocatable, match="cannot locate"):
        zeros_in(X**X, sp.Integer(4), 0.1, 10.0)


def test_the_grammar_describes_each_function_with_its_meaning():
    """``--help``'s grammar lists every function with its signature and, where the table gives one, its
    meaning (``exp(z) = e**z``).  Kills the meaning dropped from ``describe_functions``."""
    text = describe_grammar()
    documented = [(name, f) for name, f in FUNCTIONS.items() if f.doc]
    assert documented
    for name, f in FUNCTIONS.items():
        assert name + f.signature() + (f" = {f.doc}" if f.doc else "") in text


def test_an_arctangent_is_inverted_inside_its_range():
    r""":math:`\arctan x=1/2` at :math:`x=\tan(1/2)`; :math:`\arctan x=2` never (:math:`|\arctan|<\pi/2`).  Kills
    the inverse of atan replaced by None."""
    assert zeros_in(sp.atan(X), sp.Rational(1, 2), -10.0, 10.0).points == (sp.tan(sp.Rational(1, 2)),)
    assert zeros_in(sp.atan(X), sp.Integer(2), -10.0, 10.0).points == ()


def test_the_factors_of_a_product_are_solved_in_the_window_asked_for():
    r""":math:`x\sin x=0` on [100, 110] is :math:`x=k\pi`, k = 32..35: a periodic factor is searched in the window
    asked for, not only in the periods around 0.  Kills the window dropped when ``solve`` splits a product."""
    found = zeros_in(X * sp.sin(X), sp.Integer(0), 100.0, 110.0)
    assert found.points == tuple(k * sp.pi for k in range(32, 36))


def test_nesting_counts_every_change_of_operator_even_on_the_left():
    """A chain ``a + b - c`` or ``a * b / c`` is one level however long, but a product inside a sum is a level
    deeper, also as its left operand: 30 brackets of ``(... * x + x)`` nest 60 levels, beyond the limit of 50;
    20 of them (40 levels) parse.  Kills the left operand counted as continuing any parent's chain."""
    with pytest.raises(FormulaError, match="nested more than 50 deep"):
        parse_expression("(" * 30 + "x" + "*x+x)" * 30)
    assert parse_expression("(" * 20 + "x" + "*x+x)" * 20).free_symbols == {X}


def test_heaviside_is_evaluated_at_its_argument():
    """The certified evaluator reads H(x - 1) as 0 left of x = 1 and 1 right of it, and H(x) at 0 as 1/2: the
    step of its argument, not of SymPy's second argument H(0) = 1/2.  Kills ``node.args[0]`` made
    ``node.args[1]``."""
    assert [float(evaluate(sp.Heaviside(X - 1), x, 30)) for x in (0, 2)] == [0.0, 1.0]
    assert float(evaluate(sp.Heaviside(X), 0, 30)) == 0.5


def test_pythons_own_parser_limit_is_a_formula_error(monkeypatch):
    """Should Python's parser itself give up on a formula (RecursionError, MemoryError), the user reads one
    line, "formula is nested too deeply to parse", not a traceback.  Kills that message altered."""
    import ast
    from types import SimpleNamespace

    import theory._parser as parser

    def give_up(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    # the parser module's own view of ast, not the ast module every other caller (pytest too) uses
    monkeypatch.setattr(parser, "ast", SimpleNamespace(**{**vars(ast), "parse": give_up}))
    with pytest.raises(FormulaError) as raised:
        parse_expression("x + 1")
    assert str(raised.value) == "formula is nested too deeply to parse"


def test_a_sum_of_negative_terms_and_an_unlisted_symbol_print():
    """A sum whose every term is negative prints as it stands (``- x - 1``: there is no positive term to move
    to the front), and a symbol outside the notation table prints under SymPy's own name.  Kills the
    "no positive term" default dropped (StopIteration) and the symbol not passed to SymPy's printer."""
    from theory import notation

    assert notation.latex(-X - 1) == "- x - 1" and notation.text(-X - 1) == "-x - 1"
    assert notation.latex(sp.Symbol("q")) == "q" and notation.latex(sp.Symbol("q_1") ** 2) == "q_{1}^{2}"


def test_the_two_roots_of_a_quadratic_kink():
    r"""The kinks of :math:`|x^2-3x+2|` are the roots 1 and 2 of :math:`x^2-3x+2`, from
    :math:`(-b\pm\sqrt{b^2-4ac})/(2a)`.  Kills :math:`-b` made :math:`+b` in the first root, and
    :math:`4ac` made :math:`4c/a`."""
    from theory._pieces import real_roots

    assert real_roots(X**2 - 3 * X + 2) == [1, 2]
    assert real_roots(2 * X**2 - 6 * X + 4) == [1, 2]  # a != 1: the discriminant is b^2 - 4ac, not b^2 - 4c/a



def test_a_finite_zeta_whose_monte_carlo_variance_is_infinite():
    r"""For :math:`g=e^{x^2/4}` (:math:`A''=g'=\tfrac x2e^{x^2/4}`) under a Gaussian input, :math:`\mathbb E|A''|`
    exists but :math:`\mathbb E|A''|^2` does not (:math:`|A''|^2\sim x^2e^{x^2/2}` against the density
    :math:`e^{-x^2/2}`), so the Monte-Carlo check has no standard error; for :math:`e^{x^2/5}` both exist.
    Kills the squared curvature's tail decided from :math:`A''` itself (``power > 1`` made ``power > 2``)."""
    from theory.gamma_decay import zeta

    note = zeta("exp(x**2/4)", 16).monte_carlo
    assert note is not None and note.startswith("the Monte-Carlo variance is infinite: |A''(h)|^2 grows")
    assert zeta("exp(x**2/5)", 16).monte_carlo is None


def test_zeta_zero_by_symmetry_is_exact_also_by_quadrature():
    r""":math:`g=\min(|x|,1)` is even, so :math:`A''` is odd and, under the symmetric logistic input with
    :math:`\beta=0`, :math:`\mathbb E[A''z^k]=0` for even :math:`k` exactly: ζ is 0 with error 0, not a
    quadrature estimate of 0 with its own error.  Kills the symmetry test ``== 0`` made ``== 1``."""
    from theory.gamma_decay import zeta

    r = zeta("Min(abs(x), 1)", 32, input="logistic", method="quadrature")
    assert (r.method, r.value, r.error) == ("quadrature", 0.0, 0.0)
    assert r.scale > 0


def test_a_failed_folder_write_raises_its_own_error_even_if_the_clean_up_finds_nothing(tmp_path, monkeypatch):
    """The clean-up after a failed write never masks the write's error: here the rename fails after the
    file system has already dropped the temporary folder, and the caller still sees the rename's error.
    Kills ``ignore_errors=True`` made ``None`` in that clean-up."""
    import os
    import shutil

    from theory.cli import atomic_write_folder

    def rename_lost(src, dst):
        shutil.rmtree(src)
        raise OSError("rename lost")

    monkeypatch.setattr(os, "replace", rename_lost)
    with pytest.raises(OSError, match="rename lost"):
        atomic_write_folder(tmp_path / "out", {"a.txt": "A"}, ".marker")
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_the_formula_listing_carries_each_formulas_fields_under_their_names():
    """``--json``'s listing is a schema users read: for every formula, its fields under their own names (the
    note None where it has none, ``defines`` the defined symbol's name or None), its snippet's file name, and the
    equation as exported.  Kills a key renamed (``note``, ``defines``) or a field dropped."""
    from theory._document import listing
    from theory.latex import all_formulas

    formulas = all_formulas()
    entries = listing(formulas)["formulas"]
    assert [e["label"] for e in entries] == [f.tex_label for f in formulas]
    for e, f in zip(entries, formulas):
        assert {k: e[k] for k in ("title", "section", "assumptions", "note", "lhs")} == {
            "title": f.title, "section": f.section, "assumptions": f.assumptions, "note": f.note, "lhs": f.lhs}
        assert (e["snippet"], e["latex"], e["defines"]) == (
            f"{f.label}.tex", f.latex(), None if f.defines is None else f.defines.name)
    assert any(e["note"] for e in entries) and any(e["defines"] for e in entries)


def test_the_standalone_document_ends_its_environment():
    r"""The document opens and closes ``document`` once each, the close last.  Kills ``\end{document}``
    altered."""
    from theory._document import document
    from theory.latex import all_formulas

    tex = document(all_formulas())
    assert tex.count(r"\begin{document}") == tex.count(r"\end{document}") == 1
    assert tex.rstrip().endswith(r"\end{document}")


def test_a_long_sum_is_cut_where_the_next_terms_middle_passes_the_target_width():
    r""":math:`a+bb+ccc+dddd` in two lines: widths 1, 3, 4, 5 (a sign counts), target 6.5; ``+ ccc`` starts
    at 4 and its middle (6) is inside the target, so the cut comes before ``+ dddd``.  Kills the first
    line's running width starting at 1 instead of 0."""
    from theory.notation import latex_lines

    a, bb, ccc, dddd = sp.symbols("a bb ccc dddd", real=True)
    assert latex_lines(a + bb + ccc + dddd, 2) == ["a + bb + ccc", "+ dddd"]


def test_an_activation_not_real_on_part_of_the_input_says_how_likely_that_part_is():
    r""":math:`\sqrt x` is not real for :math:`h<0`, probability 1/2 under a standard Gaussian; :math:`\arcsin x`
    for :math:`|h|>1`, :math:`2\Phi(-1)=0.317`.  Kills the interval's ends made None (the probability is
    computed in-process here; the command-line tests reach it only in a subprocess)."""
    from theory.gamma_decay import zeta

    with pytest.raises(ValueError, match=r"h < 0, which has probability 0\.5 "):
        zeta("sqrt(x)", 32)
    with pytest.raises(ValueError, match=r"h < -1 or h > 1, which has probability 0\.317"):
        zeta("asin(x)", 32)


def test_zeros_of_a_positive_power_are_those_of_its_base_and_a_negative_power_has_none():
    r""":math:`\sin^3x=0` on [-4, 4] at :math:`-\pi, 0, \pi`; :math:`(x-1)^{-3}` is never 0.  Kills the base's
    zeros solved for the window instead of 0."""
    assert zeros_in(sp.sin(X) ** 3, sp.Integer(0), -4.0, 4.0).points == (-sp.pi, 0, sp.pi)
    assert zeros_in((X - 1) ** -3, sp.Integer(0), -5.0, 5.0).points == ()


def test_the_latex_commands_help_names_the_command(capsys):
    """``python -m theory.latex --help`` shows its own invocation.  Kills the program name altered."""
    from theory.latex import main

    with pytest.raises(SystemExit) as stop:
        main(["--help"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.startswith("usage: python -m theory.latex")


def test_a_bad_argument_of_the_finite_n_wn_error_is_named():
    """``wn_error_finite`` refuses a non-positive ζ by its name.  Kills the name in the message altered."""
    from theory.teacher_student import wn_error_finite

    with pytest.raises(ValueError, match=r"^zeta must be finite and > 0"):
        wn_error_finite(2.0, -0.1, 0.5, 64)


def test_the_closed_form_of_a_polynomial_times_exponential_curvature_is_its_quadrature():
    r""":math:`g=(x-1)e^x` has :math:`A''=xe^x`, a polynomial times an exponential: at :math:`\beta=0.5` the
    closed form of ζ (through :math:`(\gamma z+\beta)^n`) equals the quadrature's.  Kills ``+ b`` made ``- b``
    in the polynomial's argument (invisible at :math:`\beta=0` or :math:`n=0`)."""
    from theory.gamma_decay import zeta

    closed = zeta("(x-1)*exp(x)", 32, beta=0.5, method="closed form")
    numeric = zeta("(x-1)*exp(x)", 32, beta=0.5, method="quadrature")
    assert (closed.method, numeric.method) == ("closed form", "quadrature")
    assert closed.value == pytest.approx(numeric.value, rel=1e-10)


def test_zero_to_a_constant_power_is_one_at_power_zero_and_refused_at_a_negative_power():
    r""":math:`0^0=1` (SymPy's and Python's convention), also for an exponent that is a constant equal to 0 which
    SymPy does not fold (:math:`\cos^2 1+\sin^2 1-1`); :math:`0^{-1}` is a division by zero, refused.  Kills the
    refusal ``exponent < 0`` made ``exponent <= 0``."""
    from theory._mpeval import Unreliable

    zero = sp.cos(1) ** 2 + sp.sin(1) ** 2 - 1
    assert isinstance(X**zero, sp.Pow)  # not folded to 1
    assert float(evaluate(X**zero, 0, 30)) == 1.0
    with pytest.raises(Unreliable, match="division by zero"):
        evaluate(1 / X, 0, 30)


def test_a_periodic_function_of_a_polynomial_reaches_the_periods_of_its_arguments_whole_range():
    r""":math:`\sin(x^2+1)=0` on [-4, 4]: the argument :math:`x^2+1` runs over [1, 17] (its minimum at the
    critical point 0, not at an end), so it passes :math:`k\pi` for k = 1 to 5, at :math:`x=\pm\sqrt{k\pi-1}`:
    ten zeros.  Kills the critical points of ``theory._zeros._range`` dropped (the ends alone give [17, 17], and
    only the periods next to 17 are searched: four zeros)."""
    found = zeros_in(sp.sin(X**2 + 1), sp.Integer(0), -4.0, 4.0)
    expected = sorted(s * (k * math.pi - 1) ** 0.5 for k in range(1, 6) for s in (-1, 1))
    assert sorted(float(p) for p in found.points) == pytest.approx(expected)
    assert all(any(sp.simplify(p**2 - (k * sp.pi - 1)) == 0 for k in range(1, 6)) for p in found.points)
    assert found.complete


def test_the_documents_notation_table_explains_every_symbol_and_function_it_uses():
    """The standalone document's notation table has a row for every symbol the formulas print (its LaTeX and
    meaning, from ``theory.notation``) and for every special function they use, one row a line and nothing else.
    Kills the symbols' rows replaced by the functions' rows (``+=`` made ``=``) and rows joined by anything but a
    line break."""
    from theory import notation
    from theory._document import document
    from theory.latex import all_formulas

    formulas = all_formulas()
    tex = document(formulas)
    used = {s.name for f in formulas for s in f.printed.free_symbols}
    rows = [rf"${e.latex}$ & {e.meaning}\\" for name, e in notation.NOTATION.items() if name in used]
    functions = [rf"${name}$ & {meaning}\\" for name, (func, meaning) in notation.FUNCTIONS.items()
                 if any(f.printed.has(func) for f in formulas)]
    assert len(rows) > 10 and functions
    table = tex.split("\\section*{Notation}\n\\begin{tabular}{@{}lp{0.85\\linewidth}@{}}\n", 1)[1]
    assert table.split("\n\\end{tabular}", 1)[0].split("\n") == rows + functions  # one row a line, nothing else


def test_a_function_without_an_mpmath_evaluation_is_named_when_refused():
    """The certified evaluator refuses a function it has no mpmath form for, and says which.  Kills the message
    made None."""
    from theory._mpeval import Unreliable

    with pytest.raises(Unreliable) as refused:
        evaluate(sp.Function("kummer")(X), 1, 30)
    assert str(refused.value) == "no mpmath evaluation of kummer"


def test_the_latex_command_says_what_it_wrote(tmp_path, capsys):
    """``python -m theory.latex`` ends with one line on stderr naming every file and folder it wrote.  Kills the
    line made None."""
    from theory.latex import main

    out, snippets = tmp_path / "f.tex", tmp_path / "snippets"
    assert main(["--out", str(out), "--snippets", str(snippets)]) == 0
    assert capsys.readouterr().err == f"wrote {out}, {snippets}\n"


@pytest.mark.parametrize(("formula", "message"), [("1 +", "syntax error: invalid syntax"),
                                                  ("(", "syntax error: '(' was never closed (column 1)")])
def test_a_syntax_error_names_its_column_only_where_python_gives_one(formula, message):
    """Python's parser gives no position (offset 0) for some errors, an incomplete ``1 +``; the message then
    names no column rather than a wrong one.  Kills the column printed for every error."""
    with pytest.raises(FormulaError) as refused:
        parse_expression(formula)
    assert str(refused.value) == message


def test_a_function_not_real_between_two_points_is_refused_there():
    r""":math:`\sqrt{(x-1)(x-3)}` is not real on (1, 3): the sign of :math:`(x-1)(x-3)` on each interval between
    its zeros is read at a point inside it (2, not an end or a point outside).  Kills the interval's midpoint
    :math:`(a+b)/2` made :math:`(a+b)\cdot2`."""
    from theory.errors import BadInput
    from theory.gamma_decay import zeta

    with pytest.raises(BadInput) as refused:
        zeta("sqrt((x-1)*(x-3))", 16)
    assert str(refused.value) == ("sqrt((x - 3)*(x - 1)) is not real for 1 < h < 3, which has probability 0.157 "
                                  "under gaussian(γ=1, β=0)")


def test_a_periodic_function_is_evaluated_only_where_its_arguments_last_digits_are_resolved():
    """A sine of an argument whose absolute error at the working precision may exceed 2**-40 has no known value
    (and mpmath would reduce ``exp(10**6)`` modulo pi without end): it is refused, while the same sine at enough
    digits, and the sine of an exact large point, agree with mpmath's own at that precision."""
    import mpmath

    from theory._mpeval import Unreliable

    with pytest.raises(Unreliable, match="sin of an argument too large"):
        evaluate(sp.sin(sp.exp(X)), 1000, 60)  # e**1000 ~ 10**434: its last digit at 60 digits is ~10**374
    with mpmath.workdps(500):
        assert evaluate(sp.sin(sp.exp(X)), 1000, 500) == mpmath.sin(mpmath.exp(1000))
    with mpmath.workdps(60):
        assert evaluate(sp.cos(X), 10**30, 60) == mpmath.cos(mpmath.mpf(10) ** 30)
        # the bound itself: 60 digits are 203 bits, so arguments up to 2**163 are resolved to 2**-40
        assert evaluate(sp.sin(X), 2**160, 60) == mpmath.sin(mpmath.mpf(2) ** 160)
    with pytest.raises(Unreliable, match="sin of an argument too large"):
        evaluate(sp.sin(X), 2**166, 60)


@pytest.mark.parametrize(("name", "side", "limit"), [("tanh", 1, 1), ("tanh", -1, -1), ("exp", -1, 0), ("erfc", 1, 0),
                                                    ("erfc", -1, 2)])
def test_a_saturating_function_of_a_doubly_exponential_argument_is_its_limit(name, side, limit):
    """Beyond 2**200 an exponential-type function is its limit at any precision below 2**200 bits (mpmath itself
    raises MemoryError or computes ln 2 to that many bits); where it has none it is refused as doubly exponential
    growth, and just inside the bound it is mpmath's own value."""
    import mpmath

    from theory._mpeval import Unreliable

    expr = getattr(sp, name)(X)  # the side in the point: SymPy writes tanh(-x) as -tanh(x), erfc(-x) as 2 - erfc(x)
    assert evaluate(expr, side * 2**201, 60) == limit
    with pytest.raises(Unreliable, match="doubly exponential growth"):
        evaluate(sp.exp(X), 2**201, 60)
    with mpmath.workdps(60):
        assert evaluate(expr, side * 2**199, 60) == getattr(mpmath, name)(side * mpmath.mpf(2) ** 199)


def test_a_moments_quadrature_error_is_the_sum_of_its_pieces_estimates():
    """:math:`|x|^3` is :math:`\\max(x,0)^3 + \\max(-x,0)^3` piece by piece, so its moments by quadrature are the
    sums of theirs, and so are the error estimates: every piece's estimate counts, not only the last one's (each of
    the two halves has one piece that is identically zero, so its estimate is its other piece's).  Kills ``+=`` made
    ``=`` in the sum of the estimates."""
    from theory._classify import classify
    from theory._curvature_moments import quadrature_moments

    def moments(formula):
        return quadrature_moments(classify(parse_expression(formula), "gaussian", 1.0, 0.0), (0, 1, 2))

    (values, errors), left, right = moments("abs(x)**3"), moments("Max(-x, 0)**3"), moments("Max(x, 0)**3")
    assert min(left[1]) > 0 and min(right[1]) > 0
    assert errors == [a + b for a, b in zip(left[1], right[1])]
    assert values == pytest.approx([a + b for a, b in zip(left[0], right[0])], rel=1e-14, abs=1e-14)


def test_a_bounded_exponential_passes_nan_through_and_refuses_a_huge_complex_argument():
    """Only a real argument beyond the bound takes a limit: NaN stays NaN (the evaluator then refuses it as not
    finite), and a complex one there is refused, not compared with 0 (which raises TypeError)."""
    import mpmath

    from theory._mpeval import Unreliable, bounded_functions

    functions = bounded_functions(200, -40)
    assert all(mpmath.isnan(functions[name](mpmath.nan)) for name in ("exp", "tanh", "erfc"))
    with pytest.raises(Unreliable, match="doubly exponential growth"):
        functions["tanh"](mpmath.mpc(2**201, 1))


def test_a_sum_that_cancels_below_the_working_precision_is_refused_and_says_so():
    """e^x - 1 - x at x = 1e-30 is 5e-61 while its terms are of order one: at 15 digits that is no value at all, and
    the evaluator says why rather than returning the rounding error."""
    from theory._mpeval import Unreliable

    with pytest.raises(Unreliable) as refused:
        evaluate(sp.exp(X) - 1 - X, "1e-30", 15)
    assert str(refused.value) == "a sum cancels below the working precision"
    assert float(evaluate(sp.exp(X) - 1 - X, "1e-30", 100)) == pytest.approx(5e-61, rel=1e-12)
