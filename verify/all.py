"""``python -m verify.all``: every theory-vs-simulation check and the registry of the seed's claims.

Prints a table (check, theory, simulation ± SE, z, tolerance, status) and the claims' verdicts,
writes a JSON report (seed, backend, versions, timings, every check and claim) with a ``.npz``
of the arrays beside it, the report as a self-contained web page beside it (``results/report.html``,
see :mod:`verify.report`) and the figures into ``results/figures`` (``--figures DIR`` elsewhere, e.g.
the committed ``figures/`` after a ``--full`` run), and exits 0 if and only if every check holds.
A contradicted claim of the seed is a finding, not a failure.
"""

from __future__ import annotations

import io
import json
import platform
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import numpy as np

from sim import BACKENDS, DTYPES, make_executor, resolve_backend
from theory.cli import Parser, atomic_write, int_in, run_main, save_npz
from theory.errors import BadInput

from ._html import checked_page_path
from .claim import VERDICTS
from .context import RunContext
from .markdown import render
from .report import report_page
from .runner import LADDERS, OPTIONAL, Run, run

#: where a run writes by default: ``results/`` of the folder it runs in (git-ignored in the repository)
RESULTS = Path("results")


def build_parser() -> Parser:
    p = Parser(prog="python -m verify.all", description=__doc__.splitlines()[0])
    size = p.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_const", const="quick", dest="mode", help="small samples (< 1 min)")
    size.add_argument("--full", action="store_const", const="full", dest="mode",
                      help="paper scale (N = 4096, 2^26 Monte-Carlo samples per stream)")
    p.add_argument("--backend", choices=BACKENDS, default="numpy")
    p.add_argument("--dtype", choices=DTYPES, default="float64")
    p.add_argument("--seed", type=int_in(0, 2**63 - 1), default=20190506, help="root seed (a non-negative integer)")
    p.add_argument("--report", type=Path, default=RESULTS / "report.json", help="JSON report path (.npz beside it)")
    p.add_argument("--figures", type=Path, default=RESULTS / "figures",
                   help="folder for the figures (default results/figures; the committed figures/ only on request)")
    p.add_argument("--markdown", type=Path, default=None, help="also write README's tables (Markdown) to this file")
    page = p.add_mutually_exclusive_group()
    page.add_argument("--html", type=Path, default=None,
                      help="the report as a self-contained web page (default: beside --report, ending in .html)")
    page.add_argument("--no-html", action="store_true", help="write no web page")
    p.add_argument("--parts", default=",".join(LADDERS),
                   help=f"comma-separated ladders (default {','.join(LADDERS)}; opt-in: {','.join(OPTIONAL)}, which "
                        "need the cnn extra)")
    p.add_argument("--executor", choices=("serial", "process", "dask"), default="process",
                   help="where the simulations run: this process, local worker processes (default), "
                        "or a Dask cluster; results are the same")
    p.add_argument("--workers", type=int_in(1, 4096), default=None, help="worker processes (default: one per core)")
    p.add_argument("--scheduler", default=None,
                   help="Dask scheduler address (with --executor dask; default: a LocalCluster on this machine)")
    p.set_defaults(mode="default")
    return p


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("numpy", "scipy", "sympy", "mpmath", "matplotlib", "cupy-cuda12x"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def _table(checks) -> str:
    head = f"{'check':<58} {'theory':>12} {'simulated ± SE':>24} {'z':>7} {'tol':>9}  status"
    lines = [head, "-" * len(head)]
    for c in checks:
        sim = f"{c.simulated:.6g} ± {c.stderr:.2g}"
        z = f"{c.z:+.2f}" if np.isfinite(c.z) else "inf"
        lines.append(f"{c.name[:58]:<58} {c.theory:>12.6g} {sim:>24} {z:>7} {c.tolerance:>9.2g}  "
                     f"{'ok' if c.holds else 'FAIL'}")
    return "\n".join(lines)


def _check_paths(args) -> list[str]:
    """The ladders asked for, after checking every path argument (nothing is written before)."""
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(LADDERS + OPTIONAL))
    if unknown or not parts:
        raise BadInput(f"--parts must name some of {', '.join(LADDERS + OPTIONAL)}; "
                         f"unknown: {', '.join(unknown) or 'none given'}")
    if args.report.suffix != ".json":
        raise BadInput(f"--report must end in .json, got {str(args.report)!r}")
    if args.report.is_dir():
        raise BadInput(f"--report is a folder: {str(args.report)!r}")
    if args.figures.exists() and not args.figures.is_dir():
        raise BadInput(f"--figures is not a folder: {str(args.figures)!r}")
    if args.html is not None:
        checked_page_path("--html", args.html)
    if args.markdown is not None and args.markdown.suffix != ".md":
        raise BadInput(f"--markdown must end in .md, got {str(args.markdown)!r}")
    if args.scheduler is not None and args.executor != "dask":
        raise BadInput("--scheduler needs --executor dask")
    return parts


def _report(args, ctx: RunContext, result: Run, elapsed: float) -> dict:
    figures = [f for r in result.results.values() for f in r.figures]
    return {
        "seed": args.seed, "mode": args.mode, "backend": ctx.backend, "dtype": args.dtype, "executor": args.executor,
        "versions": _versions(), "timings_s": {**result.seconds, "total": elapsed},
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "passed": all(c.holds for c in result.checks),
        "checks": [c.to_dict() for c in result.checks], "claims": [c.to_dict() for c in result.claims],
        "figures": [str(Path(f).resolve().relative_to(Path.cwd())) if Path(f).resolve().is_relative_to(Path.cwd())
                    else f for f in figures],
        "info": {name: r.info for name, r in result.results.items() if r.info},
    }


def _write(args, report: dict, result: Run) -> None:
    args.report.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    save_npz(buffer, {k: v for r in result.results.values() for k, v in r.arrays.items()}, compressed=True)
    atomic_write(args.report.with_suffix(".npz"), buffer.getvalue())
    atomic_write(args.report, json.dumps(report, indent=1, default=float) + "\n")
    if args.markdown is not None:
        atomic_write(args.markdown, render(report))
    if not args.no_html:
        page = args.html if args.html is not None else args.report.with_suffix(".html")
        atomic_write(page, report_page(report, figures_near=args.figures))


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    parts = _check_paths(args)
    backend = resolve_backend(args.backend)  # resolves 'auto' once; ValueError for a missing CuPy
    ctx = RunContext(mode=args.mode, backend=backend, seed=args.seed, dtype=args.dtype,
                     results_dir=str(args.report.parent / f"sweeps-{args.mode}-{backend}-{args.dtype}-seed{args.seed}"))
    # one GPU: local workers would only queue on it
    workers = 1 if backend == "cupy" and args.executor == "process" and args.workers is None else args.workers
    start = time.perf_counter()
    with make_executor(args.executor, workers=workers, scheduler=args.scheduler) as executor:
        result = run(ctx, parts, executor=executor, figures=args.figures)
    elapsed = time.perf_counter() - start
    checks, claims = result.checks, result.claims
    failed = [c for c in checks if not c.holds]
    print(_table(checks))
    print("\nClaims of the seed (verdicts):")
    print("\n".join(c.text() for c in claims))
    verdicts = {v: sum(c.verdict == v for c in claims) for v in VERDICTS}
    print(f"\n{len(checks) - len(failed)} passed, {len(failed)} failed checks; claims: "
          + ", ".join(f"{n} {v}" for v, n in verdicts.items() if n) + f"; {elapsed:.1f} s")
    _write(args, _report(args, ctx, result, elapsed), result)
    print(f"report: {args.report}", file=sys.stderr)
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(run_main(main, prog="python -m verify.all"))
