"""What each part of the verifier hands back to :mod:`verify.all`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .check import Check
from .registry import Claim


@dataclass
class PartResult:
    """Checks (pass/fail), claims (verdicts), figure paths written, and arrays for the ``.npz``."""

    checks: list[Check] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    info: dict = field(default_factory=dict)
