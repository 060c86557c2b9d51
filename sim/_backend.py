"""The one seam between bnreg and its array backends (NumPy always, CuPy when asked or present).

Following einops, the backend of an array is read from the array's type, and CuPy is imported
only when the caller names it (``"cupy"``) or asks for ``"auto"``; importing :mod:`sim` never
imports CuPy.  Random numbers are not part of the array API, so they live here too: every
generator is built from a :class:`numpy.random.SeedSequence` (NumPy's ``PCG64`` or CuPy's
default generator), never from global state.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

import numpy as np

BACKENDS: tuple[str, ...] = ("auto", "numpy", "cupy")
DTYPES: tuple[str, ...] = ("float64", "float32")


def check_dtype(dtype: str) -> str:
    """``dtype`` if it is one of :data:`DTYPES` (float64 by default everywhere); ValueError otherwise."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    return dtype


def resolve_backend(backend: str) -> str:
    """``"numpy"`` or ``"cupy"`` for ``backend`` in :data:`BACKENDS`: what an entry point resolves
    once (``"auto"`` becomes CuPy only when a device is there); ValueError for a missing CuPy."""
    return backend_name(get_xp(backend))


def cuda_status() -> tuple[bool, str]:
    """Whether CuPy is importable and sees a CUDA device, with the reason when it is not."""
    try:
        import cupy  # noqa: PLC0415 - imported only on request
    except Exception as exc:  # ImportError, or a broken CUDA install raising on import
        return False, f"CuPy is not importable ({type(exc).__name__}: {exc})"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:
        return False, f"CuPy found no CUDA device ({type(exc).__name__}: {exc})"
    if count < 1:
        return False, "CuPy found no CUDA device"
    return True, f"{count} CUDA device(s)"


def get_xp(backend: str = "numpy") -> ModuleType:
    """The array module for ``backend`` in ``{"auto", "numpy", "cupy"}``.

    ``"auto"`` is CuPy when it imports and sees a device, NumPy otherwise; ``"cupy"`` without a
    device raises :class:`ValueError` with the reason.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "numpy":
        return np
    ok, reason = cuda_status()
    if ok:
        import cupy  # noqa: PLC0415

        return cupy
    if backend == "cupy":
        raise ValueError(f"backend 'cupy' is not available: {reason}")
    return np


def array_namespace(x: Any) -> ModuleType:
    """NumPy or CuPy, read from the type of ``x`` (CuPy only if the caller already imported it)."""
    cupy = sys.modules.get("cupy")
    if cupy is not None and isinstance(x, cupy.ndarray):
        return cupy
    return np


def to_numpy(x: Any) -> np.ndarray:
    """A NumPy copy of a NumPy or CuPy array."""
    if array_namespace(x) is np:
        return np.asarray(x)
    return x.get()


def default_rng(seed: np.random.SeedSequence, xp: ModuleType = np) -> Any:
    """A generator for ``xp`` seeded from ``seed`` (NumPy: PCG64; CuPy: its default, XORWOW).

    NumPy and CuPy streams differ, so results agree across backends only statistically.
    """
    if not isinstance(seed, np.random.SeedSequence):
        raise ValueError(f"seed must be a numpy.random.SeedSequence, got {type(seed).__name__}")
    if xp is np:
        return np.random.Generator(np.random.PCG64(seed))
    return xp.random.default_rng(seed)


def lambdify_modules(xp: ModuleType) -> list | None:
    """``lambdify`` modules that evaluate a SymPy expression on ``xp``'s arrays (None: theory's
    NumPy default).  CuPy's are built here, so that only :mod:`sim` ever imports CuPy."""
    if xp is np:
        return None
    import cupyx.scipy.special as special  # noqa: PLC0415 - only when CuPy is in use

    def heaviside(x, h0=0.5):
        return xp.where(x > 0, 1.0, xp.where(x < 0, 0.0, h0))

    return [{"Heaviside": heaviside, "erf": special.erf, "erfc": special.erfc}, "cupy"]


def backend_name(xp: ModuleType) -> str:
    return "numpy" if xp is np else "cupy"


def default_rng_for(seed: np.random.SeedSequence) -> np.random.Generator:
    """A NumPy generator (PCG64) from ``seed``: for the small host-side draws of the verifier."""
    return default_rng(seed, np)
