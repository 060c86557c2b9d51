"""``python -m verify.all``: every theory-vs-simulation check and the registry of the seed's claims.

Prints a table (check, theory, simulation ± SE, z, tolerance, status) and the claims' verdicts,
writes a JSON report (seed, backend, versions, timings, every check and claim) with a ``.npz``
of the arrays beside it, draws the figures into ``figures/``, and exits 0 if and only if every
check holds.  A contradicted claim of the seed is a finding, not a failure.
"""

from __future__ import annotations

import importlib
import io
import json
import platform
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING
from importlib import metadata
from pathlib import Path

import numpy as np

from theory.cli import Parser, atomic_write, int_in, run_main
from ._part import PartResult
from .context import RunContext

if TYPE_CHECKING:
    from sim.executor import Executor

PARTS: tuple[str, ...] = ("verify._part1", "verify._part2")
ROOT = Path(__file__).resolve().parent.parent


def build_parser() -> Parser:
    p = Parser(prog="python -m verify.all", description=__doc__.splitlines()[0])
    size = p.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_const", const="quick", dest="mode", help="small samples (< 2 min on 2 cores)")
    size.add_argument("--full", action="store_const", const="full", dest="mode", help="paper scale (N = 4096, 2^26 MC samples)")
    p.add_argument("--backend", choices=("auto", "numpy", "cupy"), default="numpy")
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    p.add_argument("--seed", type=int_in(0, 2**63 - 1), default=20190506, help="root seed (a non-negative integer)")
    p.add_argument("--report", type=Path, default=ROOT / "results" / "report.json", help="JSON report path (.npz beside it)")
    p.add_argument("--figures", type=Path, default=ROOT / "figures", help="folder for the figures")
    p.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated subset of {','.join(PARTS)}")
    p.add_argument("--executor", choices=("serial", "process", "dask"), default="process",
                   help="where the teacher-student sweeps run: this process, local worker processes (default), "
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


def _claims_text(claims) -> str:
    lines = []
    for c in claims:
        lines.append(f"[{c.verdict:^13}] §{c.section} {c.id}: {c.printed}")
        if c.correction:
            lines.append(f"{'':16}-> {c.correction}")
    return "\n".join(lines)


def _check_paths(report: Path, figures: Path) -> None:
    if report.suffix != ".json":
        raise ValueError(f"--report must end in .json, got {str(report)!r}")
    if report.exists() and report.is_dir():
        raise ValueError(f"--report is a folder: {str(report)!r}")
    if figures.exists() and not figures.is_dir():
        raise ValueError(f"--figures is not a folder: {str(figures)!r}")


def _run_part(name: str, ctx: RunContext, figures: Path, executor: Executor, total: PartResult,
              timings: dict) -> None:
    t0 = time.perf_counter()
    part = importlib.import_module(name).run(ctx, figures, executor=executor)
    timings[name] = time.perf_counter() - t0
    total.checks += part.checks
    total.claims += part.claims
    total.figures += part.figures
    total.arrays.update(part.arrays)
    total.info[name] = part.info
    print(f"{name}: {len(part.checks)} checks, {len(part.claims)} claims in {timings[name]:.1f} s", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown or not parts:
        raise ValueError(f"--parts must name some of {', '.join(PARTS)}; unknown: {', '.join(unknown) or 'none given'}")
    _check_paths(args.report, args.figures)
    from sim import get_xp  # noqa: PLC0415

    from sim._backend import backend_name  # noqa: PLC0415
    from sim.executor import make_executor  # noqa: PLC0415

    backend = backend_name(get_xp(args.backend))  # resolves 'auto'; raises ValueError for a missing cupy
    if args.scheduler is not None and args.executor != "dask":
        raise ValueError("--scheduler needs --executor dask")
    ctx = RunContext(mode=args.mode, backend=backend, seed=args.seed, dtype=args.dtype,
                     results_dir=str(args.report.parent / f"sweeps-{args.mode}-{backend}-{args.dtype}-seed{args.seed}"))
    total = PartResult()
    timings = {}
    start = time.perf_counter()
    # one GPU: local workers would only queue on it
    workers = 1 if backend == "cupy" and args.executor == "process" and args.workers is None else args.workers
    with make_executor(args.executor, workers=workers, scheduler=args.scheduler) as executor:
        for name in parts:
            _run_part(name, ctx, args.figures, executor, total, timings)
    elapsed = time.perf_counter() - start
    failed = [c for c in total.checks if not c.holds]
    print(_table(total.checks))
    print()
    print("Claims of the seed (verdicts):")
    print(_claims_text(total.claims))
    print()
    verdicts = {v: sum(c.verdict == v for c in total.claims) for v in ("confirmed", "leading-order", "contradicted")}
    print(f"{len(total.checks) - len(failed)} passed, {len(failed)} failed checks; claims: "
          + ", ".join(f"{n} {v}" for v, n in verdicts.items()) + f"; {elapsed:.1f} s")
    report = {
        "seed": args.seed, "mode": args.mode, "backend": backend, "dtype": args.dtype, "executor": args.executor,
        "versions": _versions(),
        "timings_s": {**timings, "total": elapsed}, "passed": not failed,
        "checks": [c.to_dict() for c in total.checks], "claims": [c.to_dict() for c in total.claims],
        "figures": [str(Path(f).resolve().relative_to(ROOT)) if Path(f).resolve().is_relative_to(ROOT) else f
                    for f in total.figures],
        "info": total.info,
    }
    args.report.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **total.arrays)
    atomic_write(args.report.with_suffix(".npz"), buffer.getvalue())
    atomic_write(args.report, json.dumps(report, indent=1, default=float) + "\n")
    print(f"report: {args.report}", file=sys.stderr)
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(run_main(main, prog="python -m verify.all"))
