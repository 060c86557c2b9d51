"""The registry of the seed's claims: each statement as printed, the toolkit's own value, a
simulation where one applies, and a verdict.

Verdicts
--------
``confirmed``
    The printed statement agrees with the derivation (and the simulation) exactly, or to the
    simulation's resolution where nothing else is claimed.
``leading-order``
    It holds to the order the seed states; ``correction`` gives the measured/derived next term.
``contradicted``
    It disagrees; ``correction`` gives the corrected statement and ``evidence`` the numbers.

A contradicted claim is a *finding*, never a failure of the run: the run fails only when the
toolkit's own derivation disagrees with its own simulation (see :mod:`verify.check`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Verdict = Literal["confirmed", "leading-order", "contradicted"]
VERDICTS: tuple[str, ...] = ("confirmed", "leading-order", "contradicted")


@dataclass(frozen=True)
class Claim:
    """One checkable statement of the seed and what the toolkit found about it."""

    id: str
    section: str
    printed: str
    derived: str
    verdict: Verdict
    evidence: str
    printed_value: float | None = None
    derived_value: float | None = None
    simulated: float | None = None
    stderr: float | None = None
    correction: str | None = None

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"Claim {self.id!r}: verdict must be one of {VERDICTS}")
        if self.verdict != "confirmed" and not self.correction:
            raise ValueError(f"Claim {self.id!r}: a {self.verdict} claim needs a correction")

    def to_dict(self) -> dict:
        return asdict(self)
