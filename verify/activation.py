"""``python -m verify.activation EXPR``: the gamma decay ζ(h) of an activation, derived, evaluated
and checked against a Monte-Carlo simulation of real batches.

EXPR is a named activation (``relu``, ``gelu``, ...) or a formula in ``x`` read by the safe
parser :mod:`theory._parser` (never by ``eval``).  Exit status: 0 when the check holds, 1 when
theory and simulation disagree, 2 on bad input (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sympy as sp

from theory import DivergentExpectation, describe_grammar, parse_expression
from theory.activations import NAMED
from theory.cli import Parser, finite_float, int_in, run_main
from theory.input_families import FAMILIES

if TYPE_CHECKING:
    from theory.gamma_decay import ZetaResult

    from .check import Check

PROG = "python -m verify.activation"
EXIT_DISAGREES = 1


def build_parser() -> Parser:
    """The command line of ``verify.activation``."""
    parser = Parser(
        prog=PROG,
        description="Derive the gamma decay zeta(h) of an activation g (A'' = g'), evaluate it, "
        "and check it against a Monte-Carlo simulation of batch normalization. "
        "Exit status: 0 the check holds, 1 theory and simulation disagree or zeta diverges for this input, "
        "2 bad input.",
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
    return parser


def activation_of(text: str) -> str | sp.Expr:
    """A known name as is, anything else through the safe parser (FormulaError if it fails)."""
    name = text.strip()
    return name if name in NAMED else parse_expression(text)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    activation = activation_of(args.expr)
    from verify.zeta_check import activation_check  # noqa: PLC0415 - heavy; only after the input is valid

    try:
        result, check = activation_check(
            activation, args.M, gamma=args.gamma, beta=args.beta, input=args.input, samples=args.samples,
            seed=args.seed,
        )
    except DivergentExpectation as exc:  # the theory's limit, not bad input: say so, report what is known
        report = _divergent_report(args, activation, str(exc))
        print(json.dumps(report, allow_nan=False) if args.json else _text(report))
        return EXIT_DISAGREES
    report = _report(args, result, check)
    print(json.dumps(report, allow_nan=False) if args.json else _text(report))
    return 0 if check.holds else EXIT_DISAGREES


def _divergent_report(args: argparse.Namespace, activation: str | sp.Expr, reason: str) -> dict[str, Any]:
    from theory import activation_expression, curvature  # noqa: PLC0415

    g = activation_expression(activation)
    keys = ("closed_form", "F_gamma", "mu_d2A", "sigma_term", "mu_term", "skew_term", "zeta")
    return {
        "activation": sp.sstr(g), "derivative": sp.sstr(curvature(g)), "latex": "", "rho": None,
        **dict.fromkeys(keys), "method": "none",
        "mc": {"value": None, "stderr": None, "z": None, "samples": 0, "theory": None, "tolerance": None},
        "warnings": [reason], "status": "undefined",
        "parameters": {"M": args.M, "gamma": args.gamma, "beta": args.beta, "input": args.input, "seed": args.seed},
    }


def _short(value: Any) -> Any:
    """A float with 6 significant digits for reading, None as n/a, anything else as is."""
    if value is None:
        return "n/a"
    return f"{value:.6g}" if isinstance(value, float) else value


def _number(value: float) -> float | None:
    """A JSON-safe float: None for inf and nan."""
    value = float(value)
    return value if math.isfinite(value) else None


def _report(args: argparse.Namespace, result: ZetaResult, check: Check) -> dict[str, Any]:
    return {
        "activation": sp.sstr(result.activation),
        "derivative": sp.sstr(result.d2A),
        "closed_form": None if result.expression is None else sp.sstr(result.expression),
        "latex": result.latex,
        "F_gamma": _number(result.F_gamma),
        "mu_d2A": _number(result.mu_d2A),
        "rho": _number(result.rho),
        "sigma_term": _number(result.sigma_term),
        "mu_term": _number(result.mu_term),
        "skew_term": _number(result.skew_term),
        "zeta": _number(result.value),
        "method": result.method,
        "mc": {
            "value": _number(check.simulated),
            "stderr": _number(check.stderr),
            "z": _number(check.z),
            "samples": int(check.samples),
            "theory": _number(check.theory),
            "tolerance": _number(check.tolerance),
        },
        "warnings": list(result.warnings),
        "parameters": {"M": args.M, "gamma": args.gamma, "beta": args.beta, "input": args.input, "seed": args.seed},
        "status": "holds" if check.holds else "disagrees",
    }


def _text(report: dict[str, Any]) -> str:
    mc = {key: _short(value) for key, value in report["mc"].items()}
    closed = report["closed_form"] or "(no closed form found; evaluated by quadrature)"
    report = {key: _short(value) for key, value in report.items()}
    lines = [
        f"activation      g(x) = {report['activation']}",
        f"curvature       A''(x) = g'(x) = {report['derivative']}",
        f"zeta(h)         = {closed}",
        f"LaTeX           {report['latex']}",
        f"F_gamma         = {report['F_gamma']}",
        f"mu_d2A          = {report['mu_d2A']}",
        f"rho             = {report['rho']}",
        f"sigma_B term    = {report['sigma_term']}",
        f"mu_B term       = {report['mu_term']}",
        f"skewness term   = {report['skew_term']}",
        f"zeta            = {report['zeta']}   ({report['method']})",
        f"Monte-Carlo     = {mc['value']} +- {mc['stderr']}   ({mc['samples']} samples)",
        f"compared with   zeta + zeta_2 = {mc['theory']} (the derived M^-2 term added): z = {mc['z']}, "
        f"tolerance {mc['tolerance']} = 4.5 SE + 2|zeta_3|",
        *(f"limit           {warning}" for warning in report["warnings"]),
        f"verdict         {report['status']}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(run_main(main, prog=PROG))
