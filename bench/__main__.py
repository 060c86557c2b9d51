"""``python -m bench [--quick] [--only NAME ...] [--backend numpy|cupy] [--dtype float64|float32]
[--json PATH]``: run the benchmarks and print every ratio."""

from __future__ import annotations

import json
import os
import sys
import time

from sim import get_xp
from theory.cli import Parser, atomic_write, run_main

from . import Report, bn_training, format_table, machine, monte_carlo, ridge_sweep

BENCHMARKS = {"bn": bn_training, "ridge": ridge_sweep, "mc": monte_carlo}
SIZES = {  # full, quick
    "machine": ({"n": 2048, "megabytes": 512}, {"n": 1024, "megabytes": 64}),
    "bn": (bn_training.BNSize(), bn_training.BNSize(N=1024, replicas=(16, 64), long_epochs=4, long_replicas=32)),
    "ridge": (ridge_sweep.RidgeSize(), ridge_sweep.RidgeSize(N=1024)),
    "mc": (monte_carlo.MCSize(), monte_carlo.MCSize(samples=2**22)),
}


def cpu_seconds() -> tuple[float, float, float]:
    """CPU seconds so far: busy on this machine, stolen by the hypervisor, and used by this
    process; their differences over a benchmark show how much other work ran beside it."""
    own = sum(os.times()[:4])
    try:
        with open("/proc/stat") as f:
            user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in f.readline().split()[1:9])
    except (OSError, ValueError):
        return float("nan"), float("nan"), own
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / tick, steal / tick, own


def disturbance(before: tuple[float, float, float], seconds: float) -> str:
    """Cores used by other processes (and stolen) on average since ``before``."""
    busy, steal, own = (b - a for a, b in zip(before, cpu_seconds()))
    return f"other processes {max(busy - own, 0) / seconds:.2f} cores, stolen {steal / seconds:.2f} cores"


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="python -m bench", description="bnreg against its baselines: every ratio.")
    parser.add_argument("--quick", action="store_true", help="small sizes (seconds, not minutes)")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), help="run only these benchmarks")
    parser.add_argument("--backend", choices=("numpy", "cupy"), default="numpy")
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                        help="precision of the ridge sweep, the Monte-Carlo and the single-replica BN runs "
                             "(the BN replica sweep runs both)")
    parser.add_argument("--json", metavar="PATH", help="also write the rows and targets as JSON")
    args = parser.parse_args(argv)
    if args.json and not os.path.isdir(os.path.dirname(os.path.abspath(args.json))):
        raise ValueError(f"--json: no folder for {args.json!r}")
    xp = get_xp(args.backend)  # ValueError (one line, status 2) when CuPy or a device is missing
    if "bn" in (args.only or BENCHMARKS):
        try:
            import torch  # noqa: F401, PLC0415
        except ImportError:
            raise ValueError("the BN benchmark needs PyTorch: pip install -e '.[bench]' (or --only ridge mc)") from None
    pick = 1 if args.quick else 0
    start, cpu = time.perf_counter(), cpu_seconds()
    limits = machine.measure(xp, **SIZES["machine"][pick])
    print(f"# {limits.description}; backend {args.backend}, dtype {args.dtype}{', quick' if args.quick else ''}",
          flush=True)
    report, disturbed = Report(machine.rows(limits), []), {}
    for name in args.only or BENCHMARKS:
        t, cpu_bench = time.perf_counter(), cpu_seconds()
        rows, targets = BENCHMARKS[name].run(limits, xp, SIZES[name][pick], args.dtype)
        report.rows.extend(rows)
        report.targets.extend(targets)
        flops = machine.matmul_gflops(xp, "float64", SIZES["machine"][pick]["n"]) / limits.gflops["float64"]
        cache = machine.cache_copy_gbs(xp) / limits.cache_copy_gbs
        disturbed[name] = (f"{disturbance(cpu_bench, time.perf_counter() - t)}; after it matmul {flops:.0%}, "
                           f"cache copy {cache:.0%} of the start")
        print(f"# {name}: {time.perf_counter() - t:.1f} s; {disturbed[name]}", flush=True)
    print(format_table(report))
    print(f"\n# wall {time.perf_counter() - start:.1f} s; {disturbance(cpu, time.perf_counter() - start)} "
          "(timings are disturbed where these are not ~0 or the machine drifts)")
    if args.json:
        meta = {"machine": limits.description, "args": vars(args), "disturbance": disturbed}
        atomic_write(args.json, json.dumps(meta | report.to_dict(), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main, prog="python -m bench"))
