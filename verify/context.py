"""What one run of the verifier is: its size (quick/default/full), backend, dtype, seed and
where its resumable results live.  Resolved once by the entry point (``verify.all``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np

from sim import DTYPES, keyed_seed
from theory.errors import BadInput

Mode = Literal["quick", "default", "full"]
MODES: tuple[str, ...] = ("quick", "default", "full")
T = TypeVar("T")


@dataclass(frozen=True)
class RunContext:
    """Settings shared by every check of a run (picklable: executors ship it to workers).

    ``seed_sequence(name)`` gives each simulation its own stream, keyed by its name, so its
    numbers do not change when other checks are added or removed.  ``backend`` is already
    resolved (``"numpy"`` or ``"cupy"``, never ``"auto"``).

    Parameters
    ----------
    mode : {"quick", "default", "full"}, default "quick"
        The run's size.
    backend : {"numpy", "cupy"}, default "numpy"
        The resolved array backend.
    seed : int, default 20190506
        The root seed, >= 0.
    dtype : {"float64", "float32"}, default "float64"
        The floating-point type of the computation.
    results_dir : str or None, default None
        Where resumable sweeps keep finished points (None: nowhere).

    Raises
    ------
    BadInput
        If a field is out of range.
    """

    mode: Mode = "quick"
    backend: str = "numpy"
    seed: int = 20190506
    dtype: str = "float64"
    #: where resumable sweeps keep finished points (None: keep nothing)
    results_dir: str | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise BadInput(f"mode must be one of {MODES}, got {self.mode!r}")
        if self.dtype not in DTYPES:
            raise BadInput(f"dtype must be one of {DTYPES}, got {self.dtype!r}")
        if self.backend not in ("numpy", "cupy"):
            raise BadInput(f"backend must be resolved to 'numpy' or 'cupy', got {self.backend!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise BadInput(f"seed must be a non-negative integer, got {self.seed!r}")

    def seed_sequence(self, name: str) -> np.random.SeedSequence:
        """The random stream of the simulation ``name``.

        Parameters
        ----------
        name : str
            The simulation's name.

        Returns
        -------
        numpy.random.SeedSequence
            Its keyed stream.
        """
        return keyed_seed(self.seed, name)

    def pick(self, sizes: dict[str, T]) -> T:
        """This run's entry of ``sizes`` (a size for each mode).

        Parameters
        ----------
        sizes : dict
            A size for each mode.

        Returns
        -------
        object
            ``sizes[mode]``.
        """
        return sizes[self.mode]
