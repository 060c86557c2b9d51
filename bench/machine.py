"""The machine's limits, measured in the same run as the benchmarks: matrix-product FLOP/s
(float64 and float32) and memory bandwidth (copy and read)."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from . import Row, best_time


@dataclass(frozen=True)
class Machine:
    gflops: dict[str, float]  # dtype -> matmul GFLOP/s
    copy_gbs: float  # bytes read + written per second / 1e9
    read_gbs: float  # bytes read per second / 1e9 (dot of a vector with itself)
    cache_copy_gbs: float  # copy within the last-level cache (8 MB arrays)
    description: str


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe(xp: ModuleType) -> str:
    """CPU, cores, and the versions of the array libraries and BLAS."""
    from threadpoolctl import threadpool_info  # noqa: PLC0415

    blas = ", ".join(f"{i['internal_api']} {i.get('version') or ''} in "
                     f"{os.path.basename(os.path.dirname(i['filepath']))} "
                     f"({i.get('architecture') or i['user_api']} kernels, {i['num_threads']} threads)"
                     for i in threadpool_info())
    text = f"{cpu_model()}, {os.cpu_count()} cores; numpy {np.__version__}; BLAS: {blas}"
    if xp is not np:
        name = xp.cuda.runtime.getDeviceProperties(0)["name"].decode()
        text += f"; GPU {name}, cupy {xp.__version__}"
    return text


def matmul_gflops(xp: ModuleType, dtype: str, n: int, repeat: int = 3) -> float:
    """GFLOP/s of an ``n x n`` matrix product (``2 n^3`` flops)."""
    rng = np.random.default_rng(0)
    a = xp.asarray(rng.standard_normal((n, n)), dtype=dtype)
    b = xp.asarray(rng.standard_normal((n, n)), dtype=dtype)
    return 2 * n**3 / best_time(lambda: a @ b, repeat, xp) / 1e9


def bandwidth_gbs(xp: ModuleType, megabytes: int, repeat: int = 5) -> tuple[float, float]:
    """(copy, read) GB/s over float64 arrays of ``megabytes`` (larger than the caches)."""
    src = xp.ones(megabytes * 2**20 // 8)
    dst = xp.empty_like(src)
    copy = 2 * src.nbytes / best_time(lambda: xp.copyto(dst, src), repeat, xp)
    read = src.nbytes / best_time(lambda: src @ src, repeat, xp)
    return copy / 1e9, read / 1e9


def cache_copy_gbs(xp: ModuleType) -> float:
    """Copy GB/s of 8 MB arrays: cache-resident unless something else thrashes the shared cache."""
    return bandwidth_gbs(xp, 8, repeat=20)[0]


def measure(xp: ModuleType = np, *, n: int = 2048, megabytes: int = 512) -> Machine:
    gflops = {dt: matmul_gflops(xp, dt, n) for dt in ("float64", "float32")}
    copy, read = bandwidth_gbs(xp, megabytes)
    return Machine(gflops, copy, read, cache_copy_gbs(xp), describe(xp))


def rows(m: Machine) -> list[Row]:
    out = [Row("machine", f"matmul {dt}", v, "GFLOP/s") for dt, v in m.gflops.items()]
    return out + [Row("machine", "memory copy", m.copy_gbs, "GB/s", note="read + write bytes"),
                  Row("machine", "memory read", m.read_gbs, "GB/s", note="dot(x, x)"),
                  Row("machine", "cache copy (8 MB)", m.cache_copy_gbs, "GB/s", note="read + write bytes")]
