"""A wall-clock limit for SymPy calls that may run for ever (e.g. ``integrate`` on a hard integrand)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class TimeLimitExceeded(BaseException):
    """Raised inside the limited block; a BaseException so SymPy's ``except Exception`` cannot swallow it."""


def can_limit() -> bool:
    """Only the main thread of a Unix process can be interrupted by a timer signal."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`TimeLimitExceeded` in the block after ``seconds`` (needs :func:`can_limit`)."""
    if not can_limit():
        raise RuntimeError("time_limit needs the main thread on a Unix system")

    def _expire(signum, frame):
        raise TimeLimitExceeded

    previous = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
