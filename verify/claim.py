"""Claims of the seed as data: the statement as printed, what bnreg derived, the rule that decides
the verdict, and the evidence as numbers with standard errors.  Nothing here is a typed verdict:
:attr:`Claim.verdict` is what the rule computes from its own inputs, and the prose of the report
and of README is rendered from the fields (:meth:`Claim.text`).

Verdicts
--------
``confirmed``
    The printed statement agrees with the derivation exactly, or (an empirical statement) the
    runs show it beyond their noise.
``leading-order``
    It holds to the order in 1/M the seed works at; ``correction`` names the next term.
``contradicted``
    It disagrees with the derivation, or the runs show the opposite beyond their noise.
``not supported``
    An empirical statement the runs at this scale neither show nor refute (within the noise).

A contradicted claim is a *finding*, never a failure of the run: the run fails only when bnreg's
own derivation disagrees with its own simulation (see :mod:`verify.check`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal, Protocol

import sympy as sp

from .check import within_tolerance, z_score

Verdict = Literal["confirmed", "leading-order", "contradicted", "not supported"]
VERDICTS: tuple[str, ...] = ("confirmed", "leading-order", "contradicted", "not supported")


def _finite_or_none(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class Number:
    """One piece of evidence: a labelled value with its standard error (None: exact or not
    applicable).  ``value=None`` means the quantity does not exist (e.g. a divergent mean).

    Parameters
    ----------
    label : str
        What the number is.
    value : float or None
        The value (None: the quantity does not exist).
    stderr : float or None, default None
        Its standard error (None: exact or not applicable).
    exact : bool, default False
        A derived value, not an estimate.
    """

    label: str
    value: float | None
    stderr: float | None = None
    exact: bool = False  #: a derived (exact or closed-form) value, not an estimate

    def text(self, digits: int = 6) -> str:
        """The number as one line of text.

        Parameters
        ----------
        digits : int, default 6
            Significant digits.

        Returns
        -------
        str
            ``label value`` (± SE).
        """
        if self.value is None:
            return f"{self.label}: does not exist"
        value = f"{self.value:.{digits}g}"
        if self.stderr is not None and self.stderr > 0:
            value += f" ± {self.stderr:.2g}"
        return f"{self.label} {value}"

    def to_dict(self) -> dict[str, Any]:
        """The number as a JSON-ready dict.

        Returns
        -------
        dict
            The fields, non-finite values as None.
        """
        return {"label": self.label, "value": _finite_or_none(self.value),
                "stderr": _finite_or_none(self.stderr), "exact": self.exact}


class Rule(Protocol):
    """How a claim's verdict is decided; ``describe()`` says it in words."""

    def verdict(self) -> Verdict: ...

    def describe(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


@lru_cache(maxsize=None)  # a claim's verdict is read several times (text, report, counts)
def same(a: sp.Expr, b: sp.Expr) -> bool:
    """Exact symbolic equality (SymPy simplifies the difference to 0)."""
    return sp.simplify(sp.expand(a - b)) == 0


@dataclass(frozen=True)
class Equality:
    """The printed expression against the derived one, exactly.

    ``leading`` (optional) is the derived expression's leading order: a printed formula equal to
    it but not to ``derived`` is ``leading-order``.  Without ``leading``: equal is confirmed,
    different is contradicted.
    """

    printed: sp.Expr
    derived: sp.Expr
    leading: sp.Expr | None = None

    def verdict(self) -> Verdict:
        if same(self.printed, self.derived):
            return "confirmed"
        if self.leading is not None and same(self.printed, self.leading):
            return "leading-order"
        return "contradicted"

    def describe(self) -> str:
        if self.leading is None:
            return "exact symbolic comparison of the printed formula with the derived one"
        return ("exact symbolic comparison: equal to the derived formula is confirmed, to its leading "
                "order in 1/M only is leading-order")

    def to_dict(self) -> dict[str, Any]:
        out = {"rule": "equality", "printed": sp.srepr(self.printed), "derived": sp.srepr(self.derived)}
        if self.leading is not None:
            out["leading"] = sp.srepr(self.leading)
        return out


@dataclass(frozen=True)
class Derived:
    """A statement decided by a derivation that returns true or false (``basis`` says which)."""

    holds: bool
    basis: str
    otherwise: Verdict = "contradicted"
    when_true: Verdict = "confirmed"

    def verdict(self) -> Verdict:
        return self.when_true if self.holds else self.otherwise

    def describe(self) -> str:
        return self.basis

    def to_dict(self) -> dict[str, Any]:
        return {"rule": "derived", "holds": bool(self.holds), "basis": self.basis}


@dataclass(frozen=True)
class Agreement:
    """A printed value against an estimate: confirmed when ``|estimate - printed| <= k SE + bias``,
    contradicted otherwise (``bias`` is the stated bound on the estimate's own bias)."""

    printed: float
    estimate: float
    stderr: float
    k: float
    bias: float = 0.0

    def verdict(self) -> Verdict:
        agrees = within_tolerance(self.estimate - self.printed, self.stderr, self.k, self.bias)
        return "confirmed" if agrees else "contradicted"

    @property
    def z(self) -> float:
        return z_score(self.estimate - self.printed, self.stderr)

    def describe(self) -> str:
        return f"|estimate - printed| <= {self.k:g} SE + {self.bias:.2g} (bias bound)"

    def to_dict(self) -> dict[str, Any]:
        return {"rule": "agreement", "printed": self.printed, "estimate": self.estimate, "stderr": self.stderr,
                "k": self.k, "bias": self.bias, "z": _finite_or_none(self.z)}


@dataclass(frozen=True)
class Direction:
    """An empirical "A is larger than B" statement judged from a (paired) difference ``A - B``
    with its standard error: confirmed when ``difference > k SE``, contradicted when
    ``difference < -k SE``, not supported in between (the runs cannot tell at this scale)."""

    difference: float
    stderr: float
    k: float
    what: str  #: the statement in words, e.g. "test error of BN at M = 256 minus at M = 64"

    def verdict(self) -> Verdict:
        if self.difference > self.k * self.stderr:
            return "confirmed"
        if self.difference < -self.k * self.stderr:
            return "contradicted"
        return "not supported"

    def describe(self) -> str:
        return f"{self.what} > {self.k:g} SE: confirmed; < -{self.k:g} SE: contradicted; else not supported"

    def to_dict(self) -> dict[str, Any]:
        return {"rule": "direction", "difference": self.difference, "stderr": self.stderr, "k": self.k,
                "what": self.what}


@dataclass(frozen=True)
class AllOf:
    """Every sub-rule confirmed: confirmed; any contradicted: contradicted; else the weakest."""

    rules: tuple[Rule, ...]
    basis: str

    def verdict(self) -> Verdict:
        verdicts = [r.verdict() for r in self.rules]
        for v in ("contradicted", "not supported", "leading-order"):
            if v in verdicts:
                return v
        return "confirmed"

    def describe(self) -> str:
        return self.basis

    def to_dict(self) -> dict[str, Any]:
        return {"rule": "all of", "basis": self.basis, "rules": [r.to_dict() for r in self.rules]}


@dataclass(frozen=True)
class Claim:
    """One checkable statement of the seed and what bnreg found about it.

    Parameters
    ----------
    id : str
        Stable key of the claim.
    section : str
        The seed's section.
    printed : str
        The statement as the seed prints it.
    rule : Rule
        Decides the verdict.
    derived : str, default ""
        What the derivation gives, in words.
    evidence : tuple of Number, default ()
        The numbers behind the verdict.
    correction : str or None, default None
        What holds instead, for a claim that is not confirmed.
    printed_expr, derived_expr : sympy.Basic or None, default None
        The printed and the derived expression.
    scale : str, default ""
        The scale it was judged at (empirical claims).
    notes : tuple of str, default ()
        Remarks.
    """

    id: str
    section: str
    printed: str  #: the statement as the seed prints it (plain text)
    rule: Rule
    derived: str = ""  #: what the derivation gives, in words (rendered with the formulas)
    evidence: tuple[Number, ...] = ()
    correction: str | None = None  #: what holds instead, for a claim that is not confirmed
    printed_expr: sp.Basic | None = None
    derived_expr: sp.Basic | None = None
    scale: str = ""  #: the scale it was judged at (sizes, seeds), for empirical claims
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"Claim {self.id!r}: its rule returned {self.verdict!r}, not one of {VERDICTS}")
        if self.verdict != "confirmed" and not self.correction:
            raise ValueError(f"Claim {self.id!r}: a {self.verdict} claim needs a correction")

    @property
    def verdict(self) -> Verdict:
        """The rule's verdict."""
        return self.rule.verdict()

    def evidence_text(self) -> str:
        """The evidence on one line.

        Returns
        -------
        str
            The evidence, ``;``-separated.
        """
        parts = [n.text() for n in self.evidence] + list(self.notes)
        if self.scale:
            parts.append(f"scale: {self.scale}")
        return "; ".join(parts)

    def text(self) -> str:
        """The claim in a few lines for a terminal: verdict, statement, correction, evidence.

        Returns
        -------
        str
            Several lines of text.
        """
        lines = [f"[{self.verdict:^13}] §{self.section} {self.id}: {self.printed}"]
        if self.correction:
            lines.append(f"{'':16}-> {self.correction}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The claim as a JSON-ready dict.

        Returns
        -------
        dict
            The claim with its verdict, expressions as strings.
        """
        return {
            "id": self.id, "section": self.section, "printed": self.printed, "verdict": self.verdict,
            "derived": self.derived, "correction": self.correction, "scale": self.scale,
            "rule": self.rule.to_dict(), "rule_text": self.rule.describe(),
            "evidence": [n.to_dict() for n in self.evidence], "notes": list(self.notes),
            "evidence_text": self.evidence_text(),
            "printed_latex": None if self.printed_expr is None else sp.latex(self.printed_expr),
            "derived_latex": None if self.derived_expr is None else sp.latex(self.derived_expr),
        }
