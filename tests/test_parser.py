"""The safe formula parser: its grammar, its bounds, and that user text never runs."""

from __future__ import annotations

import ast
import builtins
import inspect
import signal
import subprocess
import sys
import time

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from theory import FormulaError, _parser, _parser_functions, describe_grammar, parse_expression, symbols
from theory._parser import MAX_DEPTH, MAX_LENGTH, X

HANG_GUARD_S = 1.0  # generous: each rejection below takes milliseconds


def _sigmoid(z):
    return 1 / (1 + sp.exp(-z))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x", X),
        ("  x\t", X),
        ("2", sp.Integer(2)),
        ("0.1", sp.Rational(1, 10)),
        ("1.702*x", sp.Rational(851, 500) * X),
        ("1e-3", sp.Rational(1, 1000)),
        ("2.5E2", sp.Integer(250)),
        (".5", sp.Rational(1, 2)),
        ("1_000", sp.Integer(1000)),
        ("0e123456789", sp.Integer(0)),
        ("x + 1 - 2*x", 1 - X),
        ("x/2/3", X / 6),
        ("2**3**2", sp.Integer(512)),
        ("-x**2", -(X**2)),
        ("(-x)**2", X**2),
        ("+x", X),
        ("--x", X),
        ("x**-1", 1 / X),
        ("x**0.5", sp.sqrt(X)),
        ("x**x", X**X),
        ("pi*E*e", sp.pi * sp.E**2),
        ("exp(x) + log(x) + ln(x) + sqrt(x)", sp.exp(X) + 2 * sp.log(X) + sp.sqrt(X)),
        ("log(x, 2)", sp.log(X) / sp.log(2)),
        ("abs(x) + Abs(x)", 2 * sp.Abs(X)),
        ("sin(x)*cos(x)*tan(x)", sp.sin(X) * sp.cos(X) * sp.tan(X)),
        ("sinh(x)+cosh(x)+tanh(x)", sp.sinh(X) + sp.cosh(X) + sp.tanh(X)),
        ("asin(x)+acos(x)+atan(x)", sp.asin(X) + sp.acos(X) + sp.atan(X)),
        ("asinh(x)+acosh(x)+atanh(x)", sp.asinh(X) + sp.acosh(X) + sp.atanh(X)),
        ("erf(x) + erfc(x)", sp.erf(X) + sp.erfc(X)),
        ("sign(x)", sp.sign(X)),
        ("Heaviside(x) + heaviside(x)", 2 * sp.Heaviside(X)),
        ("Max(x, 0) + max(x, 1, 2)", sp.Max(X, 0) + sp.Max(X, 2)),
        ("Min(x, 0) + min(x, -1)", sp.Min(X, 0) + sp.Min(X, -1)),
        ("sigmoid(x)", _sigmoid(X)),
        ("softplus(x)", sp.Piecewise((X, X > 20), (sp.log(1 + sp.exp(X)), True))),
        ("softplus(x, 2, 10)", sp.Piecewise((X, X > 5), (sp.log(1 + sp.exp(2 * X)) / 2, True))),
        ("leaky_relu(x)", sp.Max(0, X) + sp.Min(0, X) / 100),
        ("leaky_relu(x, 0.2)", sp.Max(0, X) + sp.Min(0, X) / 5),
        ("threshold(x, 1, -2)", sp.Piecewise((X, X > 1), (-2, True))),
        ("elu(x)", sp.Piecewise((X, X > 0), (sp.exp(X) - 1, True))),
        ("relu(x)", sp.Max(0, X)),
        ("gelu(x)", X * (1 + sp.erf(X / sp.sqrt(2))) / 2),
        ("silu(x) - swish(x)", sp.Integer(0)),
        ("silu(2*x)", 2 * X * _sigmoid(2 * X)),
        ("softsign(x)", X / (1 + sp.Abs(X))),
        ("x*sigmoid(1.702*x)", X * _sigmoid(sp.Rational(851, 500) * X)),
        ("x**64", X**64),
        ("(x**8)**8", X**64),
        ("9" * 100, sp.Integer(int("9" * 100))),
        ("+".join(["x"] * 200), 200 * X),  # long sums do not count as nesting
    ],
)
def test_grammar(text, expected):
    result = parse_expression(text)
    assert isinstance(result, sp.Expr)
    assert sp.simplify(result - expected) == 0
    assert result.free_symbols <= {X}


def test_the_variable_is_the_shared_real_x():
    assert X == sp.Symbol("x", real=True) and X.is_real
    assert parse_expression("h**2 + pi", variable="h") == X**2 + sp.pi
    with pytest.raises(FormulaError, match="unknown name 'x'"):
        parse_expression("x", variable="h")
    with pytest.raises(ValueError, match="variable"):
        parse_expression("x", variable="exp")


OUT_OF_RANGE = "is out of range: a numeric exponent must be real and at most 64 in size (column 1)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "formula is empty"),
        ("   ", "formula is empty"),
        ("x +", "syntax error"),
        ("x y", "syntax error"),
        ("x.real", "attribute access is not allowed (column 3)"),
        ("exp(x).func", "attribute access is not allowed (column 8)"),
        ("x[0]", "subscripts are not allowed (column 2)"),
        ("x^2", "'^' is not allowed, use '**' for powers (column 1)"),
        ("x // 2", "operator '//' is not allowed (column 1)"),
        ("x % 2", "operator '%' is not allowed (column 1)"),
        ("x @ x", "operator '@' is not allowed (column 1)"),
        ("x | 1", "operator '|' is not allowed (column 1)"),
        ("~x", "operator '~' is not allowed (column 1)"),
        ("not x", "operator 'not' is not allowed (column 1)"),
        ("x < 1", "comparisons are not allowed (column 1)"),
        ("x and 1", "'and'/'or' are not allowed (column 1)"),
        ("x if x else 1", "conditional expressions are not allowed (column 1)"),
        ("lambda: 1", "lambdas are not allowed (column 1)"),
        ("[x for x in y]", "comprehensions are not allowed (column 1)"),
        ("(x for x in y)", "comprehensions are not allowed (column 1)"),
        ("{x: 1}", "dicts are not allowed (column 1)"),
        ("(x, 1)", "tuples are not allowed (column 1)"),
        ("[x]", "lists are not allowed (column 1)"),
        ("{x}", "sets are not allowed (column 1)"),
        ("(y := 2)", "assignment expressions (:=) are not allowed (column 2)"),
        ("exp(*x)", "starred arguments are not allowed (column 5)"),
        ("exp(x=1)", "keyword arguments are not allowed (column 5)"),
        ("'x'", "strings are not allowed (column 1)"),
        ("b'x'", "bytes are not allowed (column 1)"),
        ("f'{x}'", "f-strings are not allowed (column 1)"),
        ("1j", "complex numbers are not allowed (column 1)"),
        ("x + 2j", "complex numbers are not allowed (column 5)"),
        ("True", "constant True is not allowed (column 1)"),
        ("None", "constant None is not allowed (column 1)"),
        ("...", "constant Ellipsis is not allowed (column 1)"),
        ("y", "unknown name 'y' (names allowed: x, pi, E, e) (column 1)"),
        ("__builtins__", "unknown name '__builtins__' (names allowed: x, pi, E, e) (column 1)"),
        ("x + __class__", "unknown name '__class__' (names allowed: x, pi, E, e) (column 5)"),
        ("exp", "function 'exp' must be called, e.g. exp(x) (column 1)"),
        ("eval('1')", "unknown function 'eval' (column 1)"),
        ("exec('1')", "unknown function 'exec' (column 1)"),
        ("__import__('os')", "unknown function '__import__' (column 1)"),
        ("x(1)", "unknown function 'x' (column 1)"),
        ("(x)(1)", "unknown function 'x' (column 1)"),
        ("exp(x)(1)", "only named functions may be called, e.g. exp(x) (column 1)"),
        ("exp(x, x)", "exp(z) got 2 argument(s) (column 1)"),
        ("Max()", "Max(a[, b, ...]) got 0 argument(s) (column 1)"),
        ("threshold(x)", "threshold(z, threshold, value) got 1 argument(s) (column 1)"),
        ("leaky_relu(x, x)", "leaky_relu's parameter negative_slope must be a number (column 15)"),
        ("softplus(x, 0)", "softplus's beta must be > 0, got 0 (column 1)"),
        ("hardtanh(x, 1, -1)", "hardtanh needs min_val < max_val, got 1 and -1 (column 1)"),
        ("softshrink(x, -1)", "softshrink's lambd must be >= 0, got -1 (column 1)"),
        ("x\n", "character '\\n' is not allowed (column 2)"),
        ("\u0445", "character 'х' is not allowed (column 1)"),  # Cyrillic x, not ASCII
        ("1/0", "the value is infinite or undefined (division by zero?) (column 3)"),
        ("log(0)", "the value is infinite or undefined (division by zero?) (column 1)"),
        ("tan(pi/2)", "the value is infinite or undefined (division by zero?) (column 1)"),
        ("sqrt(-1)", "constant I does not evaluate to a real number (column 1)"),
        ("log(-2)", "constant I does not evaluate to a real number (column 1)"),
        ("asin(2)", "constant asin(2) does not evaluate to a real number (column 1)"),
        ("exp(1000)", "constant exp(1000) is larger than 1e100 (column 1)"),
        ("exp(exp(exp(100)))", "constant exp(exp(100)) is larger than 1e100 (column 5)"),
        ("1e999", "number '1e999' is out of range (column 1)"),
        ("1e-999", "number '1e-999' is out of range (column 1)"),
        ("1" + "0" * 100, "a number has more than 100 digits (column 1)"),
        ("0." + "1" * 101, "a number has more than 100 digits (column 1)"),
        ("(1/7)**64 * (1/7)**64", "a number has more than 100 digits (column 1)"),
        ("x**65", f"exponent 65 {OUT_OF_RANGE}"),
        ("x**(1/(1/65))", f"exponent 65 {OUT_OF_RANGE}"),
        ("x**(30*pi)", f"exponent 30*pi {OUT_OF_RANGE}"),
        ("x**sqrt(-1)", "constant I does not evaluate to a real number (column 4)"),
        ("(x**64)**2", f"exponent 128 {OUT_OF_RANGE}"),
        ("x**64*x", f"exponent 65 {OUT_OF_RANGE}"),
        ("*".join(["x"] * 65), f"exponent 65 {OUT_OF_RANGE}"),
    ],
)
def test_rejected_with_what_and_where(text, message):
    """Each refusal says what is wrong and where, in exactly these words (a syntax error's wording is Python's)."""
    with pytest.raises(FormulaError) as refused:
        parse_expression(text)
    if message.startswith("syntax error"):
        assert str(refused.value).startswith("syntax error: "), refused.value
    else:
        assert str(refused.value) == message


def test_slow_sympy_simplification_is_cut_off():
    """Max/Min compare every pair of arguments; equal constants make each comparison slow."""
    text = "Min(" + ",".join(f"sin({i})**2+cos({i})**2" for i in range(1, 30)) + ")"
    start = time.perf_counter()
    with pytest.raises(FormulaError, match="takes too long to build"):
        parse_expression(text)
    assert time.perf_counter() - start < _parser.MAX_SECONDS + HANG_GUARD_S


def test_the_time_limit_does_not_cancel_a_callers_timer():
    """Inside a caller's own timer (e.g. theory's time_limit) the parser leaves the timer alone."""
    signal.setitimer(signal.ITIMER_REAL, 60.0)
    try:
        assert parse_expression("x*sigmoid(x)") == X / (1 + sp.exp(-X))
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 50.0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def test_error_is_a_value_error():
    assert issubclass(FormulaError, ValueError)
    with pytest.raises(FormulaError, match="must be text"):
        parse_expression(b"x")  # type: ignore[arg-type]


SECURITY_PAYLOADS = [
    "__import__('os').system('touch {sentinel}')",
    "__import__('subprocess').run(['touch', '{sentinel}'])",
    "open('{sentinel}', 'w')",
    "eval(\"open('{sentinel}', 'w')\")",
    "exec(\"open('{sentinel}', 'w')\")",
    "compile(\"open('{sentinel}', 'w')\", 'f', 'exec')",
    "().__class__.__base__.__subclasses__()",
    "x.__class__.__init__.__globals__['os'].system('touch {sentinel}')",
    "(lambda: open('{sentinel}', 'w'))()",
    "[open('{sentinel}', 'w') for _ in (1,)]",
    "{{open('{sentinel}', 'w'): 1}}",
    "(f := open('{sentinel}', 'w'))",
    "f\"{{open('{sentinel}', 'w')}}\"",
    "exp(*[open('{sentinel}', 'w')])",
    "exp(x=open('{sentinel}', 'w'))",
    "x if open('{sentinel}', 'w') else x",
    "sympify(\"open('{sentinel}', 'w')\")",
    "Symbol('__import__(\"os\").system(\"touch {sentinel}\")')",
    "exp(x)[open('{sentinel}', 'w')]",
    "getattr(x, '__class__')",
    "x + __import__('os').system('touch {sentinel}')",
]

BOUND_PAYLOADS = [
    "x**(10**10)",
    "9**9**9",
    "(x**64)**64**64",
    "((x**64)**64)**64",
    "2**2**2**2**2**2",
    "10**10**10",
    "exp(exp(exp(exp(10))))",
    "(" * 5000 + "x" + ")" * 5000,
    "(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1),
    "-" * 100000 + "x",
    "-" * (MAX_LENGTH - 1) + "x",
    "exp(" * 60 + "x" + ")" * 60,
    "x" * 10**6,
    "+".join(["x"] * 400),
    "gelu(" * 40 + "x" + ")" * 40,
    "1" * 1999,
    "0." + "1" * 1990 + "e-1990",
]


@pytest.mark.parametrize("payload", SECURITY_PAYLOADS + BOUND_PAYLOADS)
def test_hostile_input_is_refused_quickly_and_nothing_runs(payload, tmp_path):
    sentinel = tmp_path / "pwned"
    text = payload.format(sentinel=sentinel) if payload in SECURITY_PAYLOADS else payload
    start = time.perf_counter()
    with pytest.raises(FormulaError):
        parse_expression(text)
    assert time.perf_counter() - start < HANG_GUARD_S
    assert not sentinel.exists()


def test_the_sentinel_payloads_are_live(tmp_path):
    """Control: run as Python, the first payload does create its file, so the absence of the
    file above means the parser ran nothing."""
    sentinel = tmp_path / "pwned"
    code = SECURITY_PAYLOADS[2].format(sentinel=sentinel)
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)
    assert sentinel.exists()


@pytest.mark.parametrize(
    "text", ["x*sigmoid(1.702*x)", "gelu(x) + relu(x) - softplus(x)**2", "log(1 + exp(x)) / 2", "x**x + 0.5"]
)
def test_user_text_reaches_only_ast_parse(text, monkeypatch):
    """While parsing, compile() is only asked for a syntax tree, and no string reaches eval,
    exec, sympify or parse_expr."""
    real_compile = builtins.compile

    def ast_only_compile(source, filename, mode, flags=0, *args, **kwargs):
        assert flags & ast.PyCF_ONLY_AST, "compile() asked for code"
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    def refuse(*args, **kwargs):
        raise AssertionError("user text reached eval/exec")

    def no_strings(real):
        def guarded(a, *args, **kwargs):
            assert not isinstance(a, str), "a string reached sympify/parse_expr"
            return real(a, *args, **kwargs)

        return guarded

    monkeypatch.setattr(builtins, "compile", ast_only_compile)
    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)
    monkeypatch.setattr(sp, "sympify", no_strings(sp.sympify))
    monkeypatch.setattr(sp, "parse_expr", no_strings(sp.parse_expr))
    sympify_module = sys.modules["sympy.core.sympify"]
    monkeypatch.setattr(sympify_module, "sympify", no_strings(sympify_module.sympify))
    assert isinstance(parse_expression(text), sp.Expr)


def test_source_has_no_dynamic_evaluation():
    """The parser's source calls nothing that turns text into code or names into objects: the
    one Symbol, X, comes from theory.symbols, and getattr only ever gets a literal attribute name."""
    forbidden = {"eval", "exec", "compile", "sympify", "parse_expr", "lambdify", "S", "Symbol", "symbols", "__import__"}
    found = []
    for module in (_parser, _parser_functions):
        for node in ast.walk(ast.parse(inspect.getsource(module))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            literal_getattr = name == "getattr" and isinstance(node.args[1], ast.Constant)
            if name in forbidden or name in {"getattr", "setattr"} and not literal_getattr:
                found.append(ast.unparse(node))
    assert found == []
    assert _parser.X is symbols.X


def test_describe_grammar_lists_every_function():
    text = describe_grammar()
    for name in ("exp", "log", "sigmoid", "softplus", "relu", "Heaviside", "Max", "Min", "pi", "**"):
        assert name in text
    assert "\n" not in text


TOKENS = [
    "x", "pi", "E", "e", "0", "1", "2.5", "1e3", "64", "10", "(", ")", ",", "+", "-", "*", "/", "**",
    "^", "exp", "log", "sqrt", "sigmoid", "relu", "Max", "gelu", "erf", "Heaviside", " ", ".", "[",
    "]", "'", "__import__", "lambda", ":", "=", "if", "for", "y", "_",
]


def _assert_expr_or_formula_error(text: str) -> None:
    try:
        result = parse_expression(text)
    except FormulaError:
        return
    assert isinstance(result, sp.Expr)
    assert result.free_symbols <= {X}


FUZZ = settings(
    derandomize=True, database=None, deadline=None, max_examples=300,
    suppress_health_check=[HealthCheck.too_slow],
)


@FUZZ
@given(st.text(max_size=80))
def test_fuzz_random_text(text):
    _assert_expr_or_formula_error(text)


@FUZZ
@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80))
def test_fuzz_ascii_text(text):
    _assert_expr_or_formula_error(text)


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join))
def test_fuzz_token_soup(text):
    _assert_expr_or_formula_error(text)


_LEAVES = st.sampled_from(["x", "pi", "E", "0", "1", "0.5", "-1", "64", "65", "1e-3", "1e99"])
_CALLABLE = sorted([*_parser_functions.FUNCTIONS, *_parser_functions.ALIASES])


def _compound(inner):
    return st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**"]), inner).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
        st.tuples(st.sampled_from(_CALLABLE), st.lists(inner, min_size=1, max_size=3)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"
        ),
        inner.map(lambda text: f"-{text}"),
    )


@FUZZ
@given(st.recursive(_LEAVES, _compound, max_leaves=25))
def test_fuzz_well_formed_formulas(text):
    """Formulas inside the grammar exercise SymPy's side: still only an Expr or FormulaError."""
    _assert_expr_or_formula_error(text)

