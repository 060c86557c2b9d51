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

from theory.errors import BadInput

BACKENDS: tuple[str, ...] = ("auto", "numpy", "cupy")
DTYPES: tuple[str, ...] = ("float64", "float32")


def check_dtype(dtype: str) -> str:
    """``dtype`` if it is one of :data:`DTYPES` (float64 by default everywhere); ValueError otherwise.

    Parameters
    ----------
    dtype : str
        The name of a dtype.

    Returns
    -------
    str
        ``dtype``.

    Raises
    ------
    BadInput
        If ``dtype`` is not in :data:`DTYPES`.
    """
    if dtype not in DTYPES:
        raise BadInput(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    return dtype


def resolve_backend(backend: str) -> str:
    """``"numpy"`` or ``"cupy"`` for ``backend`` in :data:`BACKENDS`: what an entry point resolves
    once (``"auto"`` becomes CuPy only when a device is there); ValueError for a missing CuPy.

    Parameters
    ----------
    backend : {"numpy", "cupy", "auto"}
        The requested backend.

    Returns
    -------
    str
        ``"numpy"`` or ``"cupy"``.

    Raises
    ------
    BadInput
        If ``backend`` is unknown, or ``"cupy"`` without CuPy or a device.
    """
    return backend_name(get_xp(backend))


def cuda_status() -> tuple[bool, str]:
    """Whether CuPy is importable and sees a CUDA device, with the reason when it is not.

    Returns
    -------
    ok : bool
        Whether CuPy works here.
    reason : str
        The devices found, or why not.
    """
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

    Parameters
    ----------
    backend : {"numpy", "cupy", "auto"}, default "numpy"
        The requested backend.

    Returns
    -------
    module
        :mod:`numpy` or :mod:`cupy`.

    Raises
    ------
    BadInput
        If ``backend`` is unknown, or ``"cupy"`` without CuPy or a device.
    """
    if backend not in BACKENDS:
        raise BadInput(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "numpy":
        return np
    ok, reason = cuda_status()
    if ok:
        import cupy  # noqa: PLC0415

        return cupy
    if backend == "cupy":
        raise BadInput(f"backend 'cupy' is not available: {reason}")
    return np


def array_namespace(x: Any) -> ModuleType:
    """NumPy or CuPy, read from the type of ``x`` (CuPy only if the caller already imported it).

    Parameters
    ----------
    x : array
        A NumPy or CuPy array (or anything else: NumPy).

    Returns
    -------
    module
        :mod:`numpy` or :mod:`cupy`.
    """
    cupy = sys.modules.get("cupy")
    if cupy is not None and isinstance(x, cupy.ndarray):
        return cupy
    return np


def to_numpy(x: Any) -> np.ndarray:
    """A NumPy copy of a NumPy or CuPy array.

    Parameters
    ----------
    x : array
        A NumPy or CuPy array.

    Returns
    -------
    ndarray
        ``x`` on the host.
    """
    if array_namespace(x) is np:
        return np.asarray(x)
    return x.get()


def default_rng(seed: np.random.SeedSequence, xp: ModuleType = np) -> Any:
    """A generator for ``xp`` seeded from ``seed`` (NumPy: PCG64; CuPy: its default, XORWOW).

    NumPy and CuPy streams differ, so results agree across backends only statistically.

    Parameters
    ----------
    seed : numpy.random.SeedSequence
        The random stream.
    xp : module, default numpy
        :mod:`numpy` or :mod:`cupy`.

    Returns
    -------
    Generator
        A random generator of ``xp``.

    Raises
    ------
    BadInput
        If ``seed`` is not a :class:`~numpy.random.SeedSequence`.
    """
    if not isinstance(seed, np.random.SeedSequence):
        raise BadInput(f"seed must be a numpy.random.SeedSequence, got {type(seed).__name__}")
    if xp is np:
        return np.random.Generator(np.random.PCG64(seed))
    return xp.random.default_rng(seed)


def lambdify_modules(xp: ModuleType) -> list | None:
    """``lambdify`` modules that evaluate a SymPy expression on ``xp``'s arrays (None: theory's
    NumPy default).  CuPy's are built here, so that only :mod:`sim` ever imports CuPy.

    Parameters
    ----------
    xp : module
        :mod:`numpy` or :mod:`cupy`.

    Returns
    -------
    list or None
        The ``modules`` argument of :func:`sympy.lambdify`.
    """
    if xp is np:
        return None
    import cupyx.scipy.special as special  # noqa: PLC0415 - only when CuPy is in use

    def heaviside(x, h0=0.5):
        return xp.where(x > 0, 1.0, xp.where(x < 0, 0.0, h0))

    return [{"Heaviside": heaviside, "erf": special.erf, "erfc": special.erfc}, "cupy"]


def backend_name(xp: ModuleType) -> str:
    """The name of the array module ``xp``.

    Parameters
    ----------
    xp : module
        :mod:`numpy` or :mod:`cupy`.

    Returns
    -------
    str
        ``"numpy"`` or ``"cupy"``.
    """
    return "numpy" if xp is np else "cupy"
