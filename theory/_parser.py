"""A safe parser for activation functions typed by a user, e.g. ``x*sigmoid(1.702*x)``.

The text is parsed by :func:`ast.parse` (which never runs code), only whitelisted node types are
accepted, and the SymPy tree is built directly from SymPy classes and the fixed table in
:mod:`theory._parser_functions`.  User text never reaches ``eval``, ``exec``, ``sympify``,
``parse_expr`` or ``lambdify``, and no :class:`sympy.Symbol` is made from a name the user chose:
the only symbol is :data:`X`.

Bounds, checked on the text, then on the syntax tree (without recursion), then on every
sub-expression as SymPy builds it:

* at most :data:`MAX_LENGTH` characters, printable ASCII on one line;
* at most :data:`MAX_NODES` syntax nodes; nesting depth at most :data:`MAX_DEPTH` (brackets,
  calls, powers and signs nest; long sums and products do not);
* exact numbers only (``0.1`` is ``1/10``), each with at most :data:`MAX_DIGITS` digits in its
  numerator and denominator, literal or computed;
* every constant sub-expression (no ``x``) is a finite real number of size at most
  ``10**MAX_DIGITS``: ``1/0``, ``log(0)``, ``sqrt(-1)``, ``exp(exp(1000))`` are refused;
* a numeric exponent is real with ``|p| <= MAX_EXPONENT``, checked before SymPy evaluates a power
  and again after SymPy combines powers, so ``x**(10**10)``, ``9**9**9``, ``(x**64)**64`` and
  ``x**64*x**64`` are refused; exponents containing ``x`` (``x**x``) are allowed;
* the built expression, written out as a tree, has at most :data:`MAX_TREE` nodes (helpers such as
  ``gelu`` repeat their argument, so ``gelu(gelu(...))`` would otherwise grow exponentially);
* SymPy's own simplification while building (e.g. ``Max`` comparing many equal constants) gets
  :data:`MAX_SECONDS` of wall-clock time: enforced by a timer signal where the calling thread can
  set one and none is running, and by a check after every sub-expression always.
"""

from __future__ import annotations

import ast
import signal
import time
import warnings
from fractions import Fraction

import sympy as sp

from ._parser_functions import CONSTANTS, describe_functions, lookup
from ._timeout import TimeLimitExceeded, can_limit, time_limit
from .errors import BadInput
from .symbols import X  # the one variable of every activation formula (real, as h is)

MAX_LENGTH = 2000
MAX_NODES = 500
MAX_DEPTH = 50
MAX_EXPONENT = 64
MAX_DIGITS = 100
MAX_TREE = 5000
MAX_SECONDS = 2.0

_ECHO = 40  # longest piece of user text quoted back in an error message
_CHAINS = ((ast.Add, ast.Sub), (ast.Mult, ast.Div))  # left-associative, built by a loop
_OPERATOR_TEXT = {
    ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
    ast.BitOr: "|", ast.BitAnd: "&", ast.Not: "not", ast.Invert: "~",
}
_NOT_ALLOWED = {
    ast.Attribute: "attribute access is", ast.Subscript: "subscripts are",
    ast.Lambda: "lambdas are", ast.ListComp: "comprehensions are",
    ast.SetComp: "comprehensions are", ast.DictComp: "comprehensions are",
    ast.GeneratorExp: "comprehensions are", ast.NamedExpr: "assignment expressions (:=) are",
    ast.Starred: "starred arguments are", ast.JoinedStr: "f-strings are",
    ast.Compare: "comparisons are", ast.BoolOp: "'and'/'or' are",
    ast.IfExp: "conditional expressions are", ast.List: "lists are", ast.Tuple: "tuples are",
    ast.Set: "sets are", ast.Dict: "dicts are", ast.Slice: "slices are",
    ast.Await: "await is", ast.Yield: "yield is", ast.YieldFrom: "yield is",
}


class FormulaError(BadInput):
    """A formula outside the grammar or its bounds; the message says what and where (bad input:
    a :class:`~theory.errors.BadInput`, so a ``ValueError``)."""


def parse_expression(text: str, *, variable: str = "x") -> sp.Expr:
    """The SymPy expression in :data:`X` that ``text`` denotes (``variable`` is the name ``text``
    uses for it); :class:`FormulaError` for anything outside the grammar or its bounds.

    Parameters
    ----------
    text : str
        The formula, e.g. ``"x + tanh(x)/2"``.
    variable : str, default "x"
        The name of the variable in ``text``; an identifier that is not a function or constant.

    Returns
    -------
    sympy.Expr
        The expression in :data:`X`.

    Raises
    ------
    BadInput
        If ``variable`` is not a valid name.
    FormulaError
        If ``text`` is not a string, is outside the grammar or its bounds, or takes too long to build.
    """
    if not variable.isidentifier() or variable in CONSTANTS or lookup(variable) is not None:
        raise BadInput(f"variable must be an identifier that is not a function or constant, got {variable!r}")
    if not isinstance(text, str):
        raise FormulaError(f"a formula must be text, not {type(text).__name__}")
    _check_text(text)
    body = text.strip(" \t")
    offset = len(text) - len(text.lstrip(" \t"))
    tree = _parse(body, offset)
    builder = _Builder(body, variable, offset, deadline=time.monotonic() + MAX_SECONDS)
    if not (can_limit() and signal.getitimer(signal.ITIMER_REAL)[0] == 0):
        return builder.build(tree)  # another limit is running, or this thread cannot set one
    try:
        with time_limit(MAX_SECONDS):
            return builder.build(tree)
    except TimeLimitExceeded:
        raise FormulaError(_too_slow()) from None


def describe_grammar() -> str:
    """What a formula may contain, in a paragraph for a CLI's ``--help``.

    Returns
    -------
    str
        One paragraph of plain text.
    """
    return (
        "A formula in x: numbers (1, 2.5, 1e-3; read exactly), + - * / ** (not ^), unary + -, "
        f"parentheses, the constants pi and E (also e), and the functions {describe_functions()}. "
        f"Bounds: {MAX_LENGTH} characters, {MAX_NODES} syntax nodes, nesting depth {MAX_DEPTH}, "
        f"numbers of at most {MAX_DIGITS} digits, constants of size at most 1e{MAX_DIGITS}, "
        f"numeric exponents of size at most {MAX_EXPONENT} (also after SymPy combines powers, "
        f"so (x**64)**2 is refused), expressions of at most {MAX_TREE} tree nodes, "
        f"{MAX_SECONDS:g} s to build."
    )


def _check_text(text: str) -> None:
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"formula is too long: {len(text)} characters, at most {MAX_LENGTH}")
    for column, char in enumerate(text, start=1):
        if not (" " <= char <= "~" or char == "\t"):
            raise FormulaError(f"character {char!r} is not allowed (column {column})")
    depth = 0
    for column, char in enumerate(text, start=1):
        depth += (char in "([{") - (char in ")]}")
        if depth > MAX_DEPTH:
            raise FormulaError(f"brackets nested more than {MAX_DEPTH} deep (column {column})")


def _parse(body: str, offset: int) -> ast.expr:
    """:func:`ast.parse` (warnings silenced, its own limits caught), then size and depth."""
    if not body:
        raise FormulaError("formula is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. SyntaxWarning for '1if x else 2'
            tree = ast.parse(body, mode="eval")
    except SyntaxError as exc:
        where = f" (column {exc.offset + offset})" if exc.offset else ""
        raise FormulaError(f"syntax error: {exc.msg}{where}") from None
    except (RecursionError, MemoryError, ValueError):
        raise FormulaError("formula is nested too deeply to parse") from None
    count, stack = 0, [(tree.body, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise FormulaError(f"formula is too large: more than {MAX_NODES} syntax nodes")
        if depth > MAX_DEPTH:
            raise FormulaError(f"formula nested more than {MAX_DEPTH} deep (column {_column(node, offset)})")
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                stack.append((child, depth if _continues_chain(node, child) else depth + 1))
    return tree.body


def _chain(node: ast.AST) -> tuple[type, ...] | None:
    """The chain (``+ -`` or ``* /``) a binary operation belongs to, or None."""
    if not isinstance(node, ast.BinOp):
        return None
    return next((chain for chain in _CHAINS if isinstance(node.op, chain)), None)


def _continues_chain(parent: ast.AST, child: ast.AST) -> bool:
    """``child`` is the left operand of ``parent`` in a chain such as ``a - b + c``."""
    return child is getattr(parent, "left", None) and _chain(parent) is not None and _chain(parent) == _chain(child)


def _column(node: ast.AST, offset: int) -> int:
    """1-based column of ``node``; of ``b`` in ``a.b`` and of ``[`` in ``a[b]``."""
    if isinstance(node, ast.Attribute) and node.end_col_offset is not None:
        return node.end_col_offset - len(node.attr) + offset + 1
    if isinstance(node, ast.Subscript) and node.value.end_col_offset is not None:
        return node.value.end_col_offset + offset + 1
    return getattr(node, "col_offset", 0) + offset + 1


def _quote(text: str) -> str:
    return repr(text if len(text) <= _ECHO else text[:_ECHO] + "...")


class _Builder:
    """Builds the SymPy tree of a parsed formula, checking each new sub-expression."""

    def __init__(self, source: str, variable: str, offset: int, *, deadline: float) -> None:
        self._source = source
        self._variable = variable
        self._offset = offset
        self._deadline = deadline
        self._size: dict[sp.Basic, int] = {}  # checked sub-expressions -> size as a tree

    def build(self, node: ast.expr) -> sp.Expr:
        return self._node(node)

    def _fail(self, node: ast.AST, what: str) -> FormulaError:
        return FormulaError(f"{what} (column {_column(node, self._offset)})")

    def _node(self, node: ast.expr) -> sp.Expr:
        if isinstance(node, ast.BinOp) and (chain := _chain(node)):
            return self._sum_or_product(node, chain)
        if isinstance(node, ast.BinOp):
            return self._power(node)
        if isinstance(node, ast.UnaryOp):
            return self._unary(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.Constant):
            return self._constant(node)
        what = _NOT_ALLOWED.get(type(node), f"{type(node).__name__} expressions are")
        raise self._fail(node, f"{what} not allowed")

    def _checked(self, node: ast.AST, expr: sp.Expr) -> sp.Expr:
        """``expr`` once every sub-expression not seen before is within the bounds."""
        if time.monotonic() > self._deadline:
            raise FormulaError(_too_slow())
        stack = [(expr, False)]
        while stack:
            sub, children_done = stack.pop()
            if sub in self._size:
                continue
            if not children_done:
                stack.append((sub, True))
                stack.extend((arg, False) for arg in sub.args)
                continue
            size = 1 + sum(self._size[arg] for arg in sub.args)
            problem = _tree_problem(size) or _value_problem(sub)
            if problem:
                raise self._fail(node, problem)
            self._size[sub] = size
        return expr

    def _sum_or_product(self, node: ast.BinOp, chain: tuple[type, ...]) -> sp.Expr:
        """``a + b - c ...`` or ``a * b / c ...`` (``chain``, that of ``node``) as one SymPy Add or Mul."""
        operands: list[tuple[ast.operator, ast.expr]] = []
        left: ast.expr = node
        while isinstance(left, ast.BinOp) and _chain(left) == chain:
            operands.append((left.op, left.right))
            left = left.left
        terms = [self._node(left)]
        for op, right in reversed(operands):
            term = self._node(right)
            if isinstance(op, ast.Sub):
                term = -term
            elif isinstance(op, ast.Div):
                term = sp.Pow(term, -1)
            terms.append(self._checked(right, term))
        return self._checked(node, (sp.Add if chain[0] is ast.Add else sp.Mul)(*terms))

    def _power(self, node: ast.BinOp) -> sp.Expr:
        if isinstance(node.op, ast.BitXor):
            raise self._fail(node, "'^' is not allowed, use '**' for powers")
        if not isinstance(node.op, ast.Pow):
            text = _OPERATOR_TEXT.get(type(node.op), type(node.op).__name__)
            raise self._fail(node, f"operator {text!r} is not allowed")
        base, exponent = self._node(node.left), self._node(node.right)
        problem = _exponent_problem(exponent)  # before SymPy evaluates e.g. 9**387420489
        if problem:
            raise self._fail(node, problem)
        return self._checked(node, sp.Pow(base, exponent))

    def _unary(self, node: ast.UnaryOp) -> sp.Expr:
        if not isinstance(node.op, (ast.UAdd, ast.USub)):
            raise self._fail(node, f"operator {_OPERATOR_TEXT[type(node.op)]!r} is not allowed")
        operand = self._node(node.operand)
        return self._checked(node, -operand if isinstance(node.op, ast.USub) else operand)

    def _call(self, node: ast.Call) -> sp.Expr:
        if isinstance(node.func, ast.Attribute):
            raise self._fail(node.func, "attribute access is not allowed")
        if not isinstance(node.func, ast.Name):
            raise self._fail(node, "only named functions may be called, e.g. exp(x)")
        name = node.func.id
        function = lookup(name)
        if function is None:
            raise self._fail(node, f"unknown function {_quote(name)}")
        if node.keywords:
            raise self._fail(node.keywords[0], "keyword arguments are not allowed")
        count = len(node.args)
        if count < function.min_args or function.max_args is not None and count > function.max_args:
            raise self._fail(node, f"{name}{function.signature()} got {count} argument(s)")
        args = [self._node(arg) for arg in node.args]
        for (param, _), arg, source in zip(function.params, args[1:], node.args[1:]):
            if not arg.is_number:
                raise self._fail(source, f"{name}'s parameter {param} must be a number")
        problem = _tree_problem(function.copies * sum(self._size.get(arg, 1) for arg in args))
        if problem:  # before SymPy builds it
            raise self._fail(node, problem)
        try:
            built = function.build(*args) if function.variadic else function.call(*args)
        except ValueError as exc:  # a parameter out of its range, e.g. softplus(x, 0)
            raise self._fail(node, str(exc)) from None
        return self._checked(node, built)

    def _name(self, node: ast.Name) -> sp.Expr:
        if node.id == self._variable:
            return X
        if node.id in CONSTANTS:
            return self._checked(node, CONSTANTS[node.id])
        if lookup(node.id) is not None:
            raise self._fail(node, f"function {_quote(node.id)} must be called, e.g. {node.id}(x)")
        allowed = ", ".join([self._variable, *CONSTANTS])
        raise self._fail(node, f"unknown name {_quote(node.id)} (names allowed: {allowed})")

    def _constant(self, node: ast.Constant) -> sp.Expr:
        value = node.value
        if isinstance(value, str):
            raise self._fail(node, "strings are not allowed")
        if isinstance(value, bytes):
            raise self._fail(node, "bytes are not allowed")
        if isinstance(value, complex):
            raise self._fail(node, "complex numbers are not allowed")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self._fail(node, f"constant {value!r} is not allowed")
        if isinstance(value, int):
            if abs(value) >= 10**MAX_DIGITS:
                raise self._fail(node, f"a number has more than {MAX_DIGITS} digits")
            return self._checked(node, sp.Integer(value))
        return self._checked(node, self._decimal(node, value))

    def _decimal(self, node: ast.Constant, value: float) -> sp.Rational:
        """The exact value of a float literal: ``0.1`` is ``1/10``."""
        text = self._source[node.col_offset : node.end_col_offset].replace("_", "")
        if value == 0 and not any(digit in "123456789" for digit in text.lower().partition("e")[0]):
            return sp.Integer(0)
        if not 10.0 ** -(MAX_DIGITS + 1) < abs(value) < 10.0 ** (MAX_DIGITS + 1):
            raise self._fail(node, f"number {_quote(text)} is out of range")
        exact = Fraction(text)  # cheap: in range, so the exponent in text is small
        return sp.Rational(exact.numerator, exact.denominator)


def _too_slow() -> str:
    return f"formula takes too long to build: more than {MAX_SECONDS:g} s"


def _tree_problem(size: int) -> str | None:
    if size > MAX_TREE:
        return f"expression is too large: more than {MAX_TREE} nodes once written out"
    return None


def _exponent_problem(exponent: sp.Expr) -> str | None:
    """A numeric exponent must be real with ``|p| <= MAX_EXPONENT``; one with ``x`` is fine."""
    if exponent.is_number:
        value = sp.N(exponent, 15)
        if not (value.is_Float and abs(value) <= MAX_EXPONENT):
            return (
                f"exponent {_short(exponent)} is out of range: "
                f"a numeric exponent must be real and at most {MAX_EXPONENT} in size"
            )
    return None


def _value_problem(expr: sp.Basic) -> str | None:
    """What is wrong with one sub-expression whose arguments passed, or None."""
    if expr in (sp.zoo, sp.oo, -sp.oo, sp.nan):
        return "the value is infinite or undefined (division by zero?)"
    if expr.is_Rational:
        if max(abs(expr.p), expr.q) >= 10**MAX_DIGITS:
            return f"a number has more than {MAX_DIGITS} digits"
        return None
    if isinstance(expr, sp.Pow) and (problem := _exponent_problem(expr.exp)):
        return problem
    if expr.is_number:
        value = sp.N(expr, 15)
        if not value.is_Float:
            return f"constant {_short(expr)} does not evaluate to a real number"
        if abs(value) > 10**MAX_DIGITS:
            return f"constant {_short(expr)} is larger than 1e{MAX_DIGITS}"
    return None


def _short(expr: sp.Basic) -> str:
    text = sp.sstr(expr)
    return text if len(text) <= _ECHO else text[:_ECHO] + "..."
