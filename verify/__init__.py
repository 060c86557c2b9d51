"""Theory against simulation: every result's checks and the seed's claims, one ladder per result.

``python -m verify.all`` runs every ladder (``verify/<result>.py``: batch_statistics,
normalization_error, gamma_decay, pn_wn, teacher_student, bn_student); ``python -m
verify.activation`` checks a user's activation; ``python -m verify.markdown`` renders README's
tables from a report, and ``python -m verify.report`` the same report as one self-contained web page.
"""

from .check import K_DEFAULT as K_DEFAULT
from .check import Check as Check
from .check import student_k as student_k
from .claim import VERDICTS as VERDICTS
from .claim import Claim as Claim
from .claim import Number as Number
from .context import RunContext as RunContext
from .runner import LADDERS as LADDERS
from .runner import Run as Run
from .runner import run as run

__all__ = ["K_DEFAULT", "LADDERS", "VERDICTS", "Check", "Claim", "Number", "Run", "RunContext", "run", "student_k"]
