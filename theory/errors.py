"""Whose fault an error is: :class:`BadInput` is the user's, anything else is a bug in bnreg.

Every check of what a *user* gives bnreg (a command-line option, a formula, a parameter of a public
function, a file) raises :class:`BadInput`; it is a :class:`ValueError`, so API callers that catch
``ValueError`` keep working.  :func:`theory.cli.run_main` reports ``BadInput`` (and ``OSError``, a
file the user named that cannot be read or written) as one line with exit status 2, and every
other exception -- a plain ``ValueError`` raised by NumPy or SymPy inside bnreg, a broken internal
invariant, an ``AssertionError``, a ``KeyError`` -- as an internal error with exit status 3.

The batch size :math:`M` is validated here, once, for theory and sim alike.  The rule: :math:`M` is a
finite number >= 2, and integer-valued wherever it counts the samples of a batch (a simulation, an
exact finite-:math:`M` distribution, a prediction of a simulated student): :func:`batch_size` (a
scalar, returned as ``int``) and :func:`batch_sizes` (an array, the same rule element-wise).  Only a
formula that is a series in :math:`1/M` (the gamma decay :math:`\\zeta`) is a function of a real
:math:`M`, and :func:`real_batch_size` drops the integer requirement for it.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["BadInput", "batch_size", "batch_sizes", "real_batch_size"]


class BadInput(ValueError):
    """The user's input is wrong (out of range, malformed, unsupported); the message says how."""


def _integer_valued(values: np.ndarray) -> bool:
    """Whether every entry of ``values`` is an integer or a finite float equal to one (a bool is not)."""
    if values.dtype == bool:
        return False
    if np.issubdtype(values.dtype, np.integer):
        return True
    return bool(np.issubdtype(values.dtype, np.floating) and np.all(np.isfinite(values))
                and np.all(values == np.round(values)))


def batch_sizes(M: object, *, name: str = "M") -> np.ndarray:
    """Batch sizes that count samples, element-wise: integer-valued and >= 2.

    Parameters
    ----------
    M : int or array_like
        The batch size(s): integers, or floats equal to integers (a bool is not a batch size).
    name : str, default "M"
        The argument's name in the message.

    Returns
    -------
    numpy.ndarray
        ``M`` as a float array (for formulas in :math:`M`).

    Raises
    ------
    BadInput
        If an entry is not integer-valued or is < 2.
    """
    values = np.asarray(M)
    if not _integer_valued(values) or np.any(values < 2):
        raise BadInput(f"{name} must be an integer >= 2, got {M!r}")
    return values.astype(float)


def batch_size(M: object, *, name: str = "M") -> int:
    """A batch size that counts samples: one integer-valued number >= 2 (the rule of :func:`batch_sizes`).

    Parameters
    ----------
    M : int
        The batch size: an integer, or a float equal to one (a bool is not a batch size).
    name : str, default "M"
        The argument's name in the message.

    Returns
    -------
    int
        ``M`` as a Python ``int``.

    Raises
    ------
    BadInput
        If ``M`` is not one integer-valued number >= 2.
    """
    if isinstance(M, (bool, np.bool_)) or not isinstance(M, (int, float, np.integer, np.floating)):
        raise BadInput(f"{name} must be an integer >= 2, got {M!r}")
    return int(batch_sizes(M, name=name))


def real_batch_size(M: object, *, name: str = "M") -> float:
    """A batch size as the real variable of a series in :math:`1/M`: any finite number >= 2.

    The gamma decay :math:`\\zeta` (:mod:`theory.gamma_decay`) is a truncated series in :math:`1/M`, a
    function of a real :math:`M` (an effective batch size need not be an integer), so it does not
    ask for the integer that :func:`batch_size` asks for where :math:`M` counts samples.

    Parameters
    ----------
    M : float
        The batch size.
    name : str, default "M"
        The argument's name in the message.

    Returns
    -------
    float
        ``M`` as a float.

    Raises
    ------
    BadInput
        If ``M`` is not a real number, not finite, or < 2.
    """
    try:
        value = float(M)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise BadInput(f"{name} must be a real number, got {M!r}") from None
    if not math.isfinite(value):
        raise BadInput(f"{name} must be finite, got {M!r}")
    if value < 2:
        raise BadInput(f"{name} (batch size) must be >= 2, got {M!r}")
    return value
