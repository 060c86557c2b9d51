"""What one run of the verifier is: its size (quick/default/full), backend, dtype and seed."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Literal

import numpy as np

Mode = Literal["quick", "default", "full"]
MODES: tuple[str, ...] = ("quick", "default", "full")


@dataclass(frozen=True)
class RunContext:
    """Settings shared by every check of a run.

    ``seed_sequence(name)`` gives each check its own stream, keyed by the check's name, so a
    check's numbers do not change when other checks are added or removed.
    """

    mode: Mode = "quick"
    backend: str = "numpy"
    seed: int = 20190506
    dtype: str = "float64"
    #: where resumable sweeps keep finished points (None: keep nothing)
    results_dir: str | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")
        if self.dtype not in ("float64", "float32"):
            raise ValueError(f"dtype must be 'float64' or 'float32', got {self.dtype!r}")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed!r}")

    def seed_sequence(self, name: str) -> np.random.SeedSequence:
        return np.random.SeedSequence(self.seed, spawn_key=(zlib.crc32(name.encode()),))

    def pick(self, quick, default, full):
        """The value for this run's mode."""
        return {"quick": quick, "default": default, "full": full}[self.mode]
