"""``python -m bench [--quick] [--only NAME ...] [--backend numpy|cupy] [--dtype float64|float32]
[--threads T] [--json PATH]``: run the benchmarks and print every ratio, BN training against
batched PyTorch first (float64 and float32, at the thread count of the run: by default the libraries'
own, one per core), then the naive ratios; the one-thread (core for core) figures are a second run,
``--only bn --threads 1``, named at the end."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time

from threadpoolctl import threadpool_limits

from sim import get_xp
from theory.cli import Parser, atomic_write, int_in, run_main
from theory.errors import BadInput

from . import Report, bn_training, cpu_seconds, disturbance, format_table, gd_solvers, machine, monte_carlo, ridge_sweep

BENCHMARKS = {"bn": bn_training, "ridge": ridge_sweep, "gd": gd_solvers, "mc": monte_carlo}
SIZES = {  # full, quick
    "machine": ({"n": 2048, "megabytes": 512}, {"n": 1024, "megabytes": 64}),
    "bn": (bn_training.BNSize(), bn_training.BNSize(N=1024, replicas=(16, 128), long_epochs=4, long_replicas=32)),
    "ridge": (ridge_sweep.RidgeSize(), ridge_sweep.RidgeSize(N=1024)),
    "gd": (gd_solvers.GDSize(), gd_solvers.GDSize(N=1024)),
    "mc": (monte_carlo.MCSize(), monte_carlo.MCSize(samples=2**22)),
}


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="python -m bench", description="bnreg against its baselines: every ratio.")
    parser.add_argument("--quick", action="store_true", help="small sizes (seconds, not minutes)")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), help="run only these benchmarks")
    parser.add_argument("--backend", choices=("numpy", "cupy"), default="numpy")
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                        help="precision of the ridge sweep, the Monte-Carlo and the single-replica BN runs "
                             "(the BN replica sweep runs both)")
    parser.add_argument("--threads", type=int_in(1, 1024), metavar="T",
                        help="BLAS and OpenMP threads of every library (default: one per core); "
                             "--threads 1 compares the libraries core for core on a busy machine")
    parser.add_argument("--json", metavar="PATH", help="also write the rows and targets as JSON")
    args = parser.parse_args(argv)
    if args.json and not os.path.isdir(os.path.dirname(os.path.abspath(args.json))):
        raise BadInput(f"--json: no folder for {args.json!r}")
    xp = get_xp(args.backend)  # ValueError (one line, status 2) when CuPy or a device is missing
    if "bn" in (args.only or BENCHMARKS):
        try:
            import torch  # noqa: F401, PLC0415
        except ImportError:
            raise BadInput("the BN benchmark needs PyTorch: pip install -e '.[bench]' "
                             "(or --only ridge gd mc)") from None
    pick = 1 if args.quick else 0
    if args.threads:
        threadpool_limits(args.threads)  # this process's BLAS and OpenMP (the BN libraries: bn_training)
    sizes = {name: pair[pick] for name, pair in SIZES.items()}
    sizes["bn"] = dataclasses.replace(sizes["bn"], threads=args.threads)
    start, cpu = time.perf_counter(), cpu_seconds()
    limits = machine.measure(xp, **sizes["machine"])
    threads = f"{args.threads} per library" if args.threads else f"default (one per core: {os.cpu_count()})"
    print(f"# {limits.description}; backend {args.backend}, dtype {args.dtype}{', quick' if args.quick else ''}; "
          f"threads {threads}", flush=True)
    report, disturbed = Report(machine.rows(limits), []), {}
    for name in args.only or BENCHMARKS:
        t, cpu_bench = time.perf_counter(), cpu_seconds()
        rows, targets = BENCHMARKS[name].run(limits, xp, sizes[name], args.dtype)
        report.rows.extend(rows)
        report.targets.extend(targets)
        flops = machine.matmul_gflops(xp, "float64", sizes["machine"]["n"]) / limits.gflops["float64"]
        cache = machine.cache_copy_gbs(xp) / limits.cache_copy_gbs
        disturbed[name] = (f"{disturbance(cpu_bench, time.perf_counter() - t)}; after it matmul {flops:.0%}, "
                           f"cache copy {cache:.0%} of the start")
        print(f"# {name}: {time.perf_counter() - t:.1f} s; {disturbed[name]}", flush=True)
    print(format_table(report))
    print(f"\n# wall {time.perf_counter() - start:.1f} s; {disturbance(cpu, time.perf_counter() - start)} "
          "(timings are disturbed where these are not ~0 or the machine drifts)")
    if "bn" in (args.only or BENCHMARKS) and args.threads != 1:
        print("# the BN ratios above are at this run's thread count; one thread per library (core for core, "
              "robust on a busy machine): python -m bench --only bn --threads 1")
    if args.json:
        meta = {"machine": limits.description, "args": vars(args), "disturbance": disturbed}
        atomic_write(args.json, json.dumps(meta | report.to_dict(), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main, prog="python -m bench"))
