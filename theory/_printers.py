"""SymPy printers that read symbols from :mod:`theory.notation`'s table: LaTeX for papers,
one-line Unicode for terminals."""

from __future__ import annotations

import re
from collections.abc import Mapping

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

#: LaTeX that can take a superscript as it is: one letter or command, primes, one subscript
_ATOMIC_LATEX = re.compile(r"^(\\[A-Za-z]+|[A-Za-z])(\{[A-Za-z]\})?'*(_\{(?:[^{}\s]|\{[^{}]*\})*\}|_[A-Za-z0-9])?$")
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_RELATIONS = {"==": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}


class NotationLatexPrinter(LatexPrinter):
    """:class:`~sympy.printing.latex.LatexPrinter` with the notation table's LaTeX for symbols,
    ``H(x)`` for the Heaviside step, and parentheses around any symbol's LaTeX that cannot take a
    superscript as it is (``\\delta^{2}`` squared is ``\\left(\\delta^{2}\\right)^{2}``)."""

    def __init__(self, table: Mapping, settings: dict | None = None) -> None:
        super().__init__({"fold_frac_powers": True, **(settings or {})})
        self._table = table

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        row = self._table.get(expr.name)
        return row.latex if row is not None else super()._print_Symbol(expr, style)

    def _as_ordered_terms(self, expr: sp.Expr, order: str | None = None) -> list[sp.Expr]:
        """SymPy's order of a sum's terms, except that a sum does not open with a minus sign: its
        leading negative terms move behind the other terms but before a constant (``P - N - 1``,
        not ``- N + P - 1``).  A sum that opens with a positive term keeps SymPy's order."""
        return _no_leading_minus(super()._as_ordered_terms(expr, order=order))

    def parenthesize_super(self, s: str) -> str:
        return s if _ATOMIC_LATEX.match(s) else self._add_parens(s)

    def _print_Heaviside(self, expr: sp.Heaviside, exp: str | None = None) -> str:
        tex = r"H\left(%s\right)" % self._print(expr.args[0])
        return tex if exp is None else r"\left(%s\right)^{%s}" % (tex, exp)

    def add_lines(self, expr: sp.Expr, lines: int) -> list[str]:
        """``expr`` (a sum) printed as about ``lines`` lines of similar width, cut before a
        top-level ``+`` or ``-``; each line after the first starts with its sign."""
        if lines == 1 or not isinstance(expr, sp.Add):
            return [self.doprint(expr)]
        pieces = []
        for i, term in enumerate(self._as_ordered_terms(expr)):
            sign = "" if i == 0 else "+ "
            if i and term.could_extract_minus_sign():
                sign, term = "- ", -term
            tex = self._print(term)
            pieces.append(sign + (r"\left(%s\right)" % tex if self._needs_add_brackets(term) else tex))
        target = sum(map(_width, pieces)) / lines
        rows: list[list[str]] = [[]]
        width = 0.0
        for piece in pieces:
            if rows[-1] and width + _width(piece) / 2 > target and len(rows) < lines:
                rows.append([])
                width = 0.0
            rows[-1].append(piece)
            width += _width(piece)
        return [" ".join(row) for row in rows]


class NotationTextPrinter(StrPrinter):
    """:class:`~sympy.printing.str.StrPrinter` with the table's Unicode for symbols, superscript
    powers, ``√``, juxtaposed products (``2M``, ``σ_P²(ρ + 2)``) and ``a = b`` for equations."""

    def __init__(self, table: Mapping) -> None:
        super().__init__({})
        self._table = table

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        row = self._table.get(expr.name)
        return row.text if row is not None else expr.name

    def _as_ordered_terms(self, expr: sp.Expr, order: str | None = None) -> list[sp.Expr]:
        return _no_leading_minus(super()._as_ordered_terms(expr, order=order))

    def _print_Relational(self, expr: sp.core.relational.Relational) -> str:
        op = _RELATIONS.get(expr.rel_op, expr.rel_op)
        return f"{self._print(expr.lhs)} {op} {self._print(expr.rhs)}"

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        base, exp = expr.base, expr.exp
        if exp.is_negative and exp.is_Rational:
            return "1/" + self.parenthesize(base**-exp, PRECEDENCE["Mul"], strict=True)
        if exp == sp.S.Half:
            inner = self._print(base)
            return "√" + (inner if base.is_Atom else f"({inner})")
        text = self.parenthesize(base, PRECEDENCE["Pow"], strict=True)
        if base.is_Symbol and (re.search("[⁰¹²³⁴⁵⁶⁷⁸⁹^]", text) or not re.fullmatch(r"[^\s/]+", text)):
            text = f"({text})"
        if exp.is_Integer:
            return text + str(exp).translate(_SUPERSCRIPT)
        power = self._print(exp)
        return f"{text}^{power}" if exp.is_Symbol else f"{text}^({power})"

    def _print_Mul(self, expr: sp.Mul) -> str:
        coeff, factors = expr.as_coeff_mul()
        sign = "-" if coeff < 0 else ""
        coeff = abs(coeff)
        numer = [f for f in factors if not (f.is_Pow and f.exp.is_negative and f.exp.is_Rational)]
        denom = [1 / f for f in factors if f not in numer]
        if coeff.is_Rational:
            top = self._product(([sp.Integer(coeff.p)] if coeff.p != 1 or not numer else []) + numer)
            bottom = self._product(([sp.Integer(coeff.q)] if coeff.q != 1 else []) + denom)
        else:
            top, bottom = self._product([coeff, *numer]), self._product(denom)
        if not bottom:
            return sign + top
        many = len(denom) + (coeff.is_Rational and coeff.q != 1) > 1
        return f"{sign}{top}/" + (f"({bottom})" if many else bottom)

    def _product(self, factors: list[sp.Expr]) -> str:
        out, after_number = "", False
        for f in factors:
            piece = self.parenthesize(f, PRECEDENCE["Mul"], strict=False)
            if out and not after_number and not piece.startswith("("):
                out += "·"
            out, after_number = out + piece, f.is_Number
        return out

    def _print_gamma(self, expr: sp.gamma) -> str:
        return f"Γ({self._print(expr.args[0])})"

    def _print_Heaviside(self, expr: sp.Heaviside) -> str:
        return f"H({self._print(expr.args[0])})"

    def _print_Pi(self, expr) -> str:
        return "π"

    def _print_Infinity(self, expr) -> str:
        return "∞"



def _width(tex: str) -> float:
    """A rough printed width of LaTeX: characters left after dropping markup (a fraction counts
    its longer part, approximately half of what both parts add up to)."""
    plain = re.sub(r"\\(left|right|mathcal|mathbb|mathrm|frac|sqrt)", "", tex)
    plain = re.sub(r"\\[A-Za-z]+", "x", plain)
    weight = 0.6 if "frac" in tex else 1.0
    return weight * len(re.sub(r"[{}^_\s]", "", plain))


def _no_leading_minus(terms: list[sp.Expr]) -> list[sp.Expr]:
    """Leading negative terms moved behind the others but before a constant (``P - N - 1``)."""
    lead = next((i for i, t in enumerate(terms) if not t.could_extract_minus_sign()), 0)
    if lead == 0:
        return terms
    rest = terms[lead:] + terms[:lead]
    return [t for t in rest if not t.is_Number] + [t for t in rest if t.is_Number]
