"""Seeds: every random stream of bnreg is a :class:`numpy.random.SeedSequence`, reached from the
caller's seed by a fixed key (never by call order, never from global state)."""

from __future__ import annotations

import zlib

import numpy as np

from theory.errors import BadInput

SeedLike = np.random.SeedSequence | int


def as_seed_sequence(seed: SeedLike) -> np.random.SeedSequence:
    """``seed`` itself, or ``SeedSequence(seed)`` for a non-negative integer; ValueError otherwise.

    Parameters
    ----------
    seed : numpy.random.SeedSequence or int
        A seed sequence or a non-negative integer.

    Returns
    -------
    numpy.random.SeedSequence
        The seed sequence.

    Raises
    ------
    BadInput
        If ``seed`` is neither.
    """
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        return np.random.SeedSequence(int(seed))
    raise BadInput(f"seed must be a numpy.random.SeedSequence or a non-negative integer, got {seed!r}")


def keyed_seed(seed: SeedLike, *keys: str | int | float) -> np.random.SeedSequence:
    """The stream keyed by ``keys`` under ``seed``: its spawn key extended by the keys (integers as
    they are, text and other numbers by the CRC-32 of their ``str``), so a stream does not depend
    on which other streams exist.

    Parameters
    ----------
    seed : numpy.random.SeedSequence or int
        The root (see :func:`as_seed_sequence`).
    *keys : str or int
        The keys of the stream.

    Returns
    -------
    numpy.random.SeedSequence
        The keyed stream.

    Raises
    ------
    BadInput
        If ``seed`` is not a seed sequence or a non-negative integer.
    """
    root = as_seed_sequence(seed)
    extra = tuple(int(k) if isinstance(k, (int, np.integer)) else zlib.crc32(str(k).encode()) for k in keys)
    return np.random.SeedSequence(root.entropy, spawn_key=tuple(root.spawn_key) + extra)
