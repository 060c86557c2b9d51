"""``python -m verify.activation EXPR``: the gamma decay ζ(h) of an activation, derived, evaluated
and checked against a Monte-Carlo simulation of real batches.

EXPR is a named activation (``relu``, ``gelu``, ...) or a formula in ``x`` read by the safe
parser :mod:`theory._parser` (never by ``eval``).  Exit status: 0 when the check holds; 1 when
theory and simulation disagree, ζ does not exist (diverges) or the Monte-Carlo check is not
meaningful (infinite variance); 2 on bad input, e.g. a formula not real where h has mass (one
line on stderr).  Formulas print in Unicode; ``--json`` keeps LaTeX in its ``latex`` field;
``--html PAGE`` also writes the result as a self-contained web page, its formulas typeset.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sympy as sp

from theory import INPUT_FAMILIES as FAMILIES
from theory import NAMED_ACTIVATIONS as NAMED
from theory import describe_grammar, notation, parse_expression, zeta_formula
from theory.cli import Parser, atomic_write, finite_float, int_in, run_main
from theory.errors import BadInput
from theory.symbols import RHO, SKEW

from ._activation_page import activation_page
from ._html import checked_page_path

PROG = "python -m verify.activation"
EXIT_NOT_CONFIRMED = 1
_STATUS_TEXT = {
    "holds": "holds: the simulation agrees with ζ within the stated tolerance",
    "disagrees": "disagrees: the simulation is outside the stated tolerance",
    "undefined": "undefined: ζ does not exist for this input",
    "unverifiable": "unverifiable: ζ is reported, but a Monte-Carlo check of it is not meaningful",
}


def build_parser() -> Parser:
    """The command line of ``verify.activation``."""
    parser = Parser(
        prog=PROG,
        description="Derive the gamma decay zeta(h) of an activation g (A'' = g'), evaluate it, "
        "and check it against a Monte-Carlo simulation of batch normalization. "
        "Exit status: 0 the check holds; 1 theory and simulation disagree, zeta diverges for this input "
        "(undefined) or its Monte-Carlo check is not meaningful (unverifiable); 2 bad input.",
        epilog=f"EXPR is one of {', '.join(NAMED)}, or a formula. {describe_grammar()} "
        "Put '--' before a formula that starts with '-'.",
        hint="a formula starting with '-' goes after '--'; see --help",
    )
    parser.add_argument("expr", metavar="EXPR", help="a named activation or a formula in x, e.g. 'x*sigmoid(1.702*x)'")
    parser.add_argument("--M", type=int_in(2, 1_000_000), default=32, help="batch size (default 32)")
    parser.add_argument("--gamma", type=finite_float(), default=1.0, help="BN scale gamma (default 1.0)")
    parser.add_argument("--beta", type=finite_float(), default=0.0, help="BN shift beta (default 0.0)")
    parser.add_argument(
        "--input", choices=tuple(FAMILIES), default="gaussian", help="distribution of h (default gaussian)"
    )
    parser.add_argument(
        "--samples", type=int_in(100, 10**9), default=2**22, help="Monte-Carlo samples (default 2**22)"
    )
    parser.add_argument("--seed", type=int_in(0, 2**63 - 1), default=20190506, help="random seed (default 20190506)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument("--html", type=Path, default=None, metavar="PAGE",
                        help="also write the result as a self-contained web page (.html)")
    return parser


def activation_of(text: str) -> str | sp.Expr:
    """A known name as is, anything else through the safe parser (FormulaError if it fails)."""
    name = text.strip()
    return name if name in NAMED else parse_expression(text)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.gamma <= 0:
        raise BadInput(f"--gamma must be > 0, got {args.gamma:g}")
    if args.html is not None:
        checked_page_path("--html", args.html)
    activation = activation_of(args.expr)
    from verify.zeta_check import activation_check  # noqa: PLC0415 - heavy; only after the input is valid

    outcome = activation_check(activation, args.M, gamma=args.gamma, beta=args.beta, input=args.input,
                               samples=args.samples, seed=args.seed)
    report = _report(args, outcome)
    print(json.dumps(report, allow_nan=False) if args.json else _text(report, outcome))
    if args.html is not None:
        atomic_write(args.html, activation_page(report, _STATUS_TEXT[outcome.status]))
    return 0 if outcome.status == "holds" else EXIT_NOT_CONFIRMED


def _number(value: float | None) -> float | None:
    """A JSON-safe float: None for None, inf and nan."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _mc(check) -> dict[str, Any]:
    if check is None:
        return dict.fromkeys(("value", "stderr", "z", "samples", "theory", "tolerance"))
    return {"value": _number(check.simulated), "stderr": _number(check.stderr), "z": _number(check.z),
            "samples": int(check.samples), "theory": _number(check.theory), "tolerance": _number(check.tolerance)}


def _report(args: argparse.Namespace, outcome) -> dict[str, Any]:
    r = outcome.result
    theory: dict[str, float | None] = {
        key: None for key in ("F_gamma", "mu_d2A", "rho", "sigma_term", "mu_term", "skew_term", "zeta")}
    if r is not None:
        theory = {"F_gamma": _number(r.F_gamma), "mu_d2A": _number(r.mu_d2A), "rho": _number(r.rho),
                  "sigma_term": _number(r.sigma_term), "mu_term": _number(r.mu_term),
                  "skew_term": _number(r.skew_term), "zeta": _number(r.value)}
    return {
        "activation": sp.sstr(outcome.activation),
        "derivative": sp.sstr(outcome.d2A),
        "activation_latex": notation.latex(outcome.activation),
        "derivative_latex": notation.latex(outcome.d2A),
        "closed_form": None if r is None or r.expression is None else sp.sstr(r.expression),
        "latex": "" if r is None else r.latex,
        **theory,
        "method": "none" if r is None else r.method,
        "deltas": [] if r is None else [list(d) for d in r.deltas],
        "mc": _mc(outcome.check),
        "warnings": [] if r is None else list(r.warnings),
        "reason": outcome.reason,
        "parameters": {"M": args.M, "gamma": args.gamma, "beta": args.beta, "input": args.input, "seed": args.seed},
        "status": outcome.status,
    }




def unicode_formula(expr: sp.Expr) -> str:
    """One line of readable Unicode, printed by the one notation table (:func:`theory.notation.text`):
    ``3/(8M)``, ``x²``, ``π·√2``.

    Parameters
    ----------
    expr : sympy.Expr
        A derived expression (an activation, its curvature, zeta).

    Returns
    -------
    str
        The expression on one line.
    """
    return notation.text(expr)


def _short(value: Any) -> str:
    """A float with 6 significant digits for reading, None as n/a."""
    if value is None:
        return "n/a"
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _text(report: dict[str, Any], outcome) -> str:
    r = outcome.result
    mc = {key: _short(value) for key, value in report["mc"].items()}
    lines = [f"activation      g(x) = {unicode_formula(outcome.activation)}",
             f"curvature       A''(x) = g'(x) = {unicode_formula(outcome.d2A)}"]
    if r is not None:
        general = sum(zeta_formula(r.bias).values()).subs({RHO: r.rho, SKEW: r.skew})
        lines += [
            f"ζ(h)            = {unicode_formula(r.expression if r.expression is not None else general)}"
            + ("" if r.expression is not None else "   (no closed form: moments by quadrature)"),
            *(f"Dirac term      {w:.6g}·δ(x - {b:.6g})  (g jumps by {w:.6g} at x = {b:.6g})" for b, w in r.deltas),
            f"F_γ             = {_short(report['F_gamma'])}",
            f"μ_{{d²A}}         = {_short(report['mu_d2A'])}",
            f"ρ               = {_short(report['rho'])}",
            f"σ_B term        = {_short(report['sigma_term'])}",
            f"μ_B term        = {_short(report['mu_term'])}",
            f"skewness term   = {_short(report['skew_term'])}",
            f"ζ               = {_short(report['zeta'])}   ({report['method']})",
        ]
    if outcome.check is not None:
        lines += [f"Monte-Carlo     = {mc['value']} ± {mc['stderr']}   ({mc['samples']} samples)",
                  f"compared with   ζ + ζ₂ = {mc['theory']} (the derived M⁻² term added): z = {mc['z']}, "
                  f"tolerance {mc['tolerance']} = 4.5 SE + bias bound"]
    lines += [f"limit           {w}" for w in report["warnings"]]
    if outcome.reason:
        lines.append(f"reason          {outcome.reason}")
    lines.append(f"verdict         {_STATUS_TEXT[outcome.status]}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(run_main(main, prog=PROG))
