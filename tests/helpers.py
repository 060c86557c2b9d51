"""Test support shared by the test modules (planted errors live here, not in production code)."""

from __future__ import annotations

import dataclasses

from verify import Check


def plant(check: Check, relative_error: float) -> Check:
    """The same check with ``relative_error * reference`` added to its theory value (the reference
    is |theory|, or the check's stated scale where the theory is 0)."""
    return dataclasses.replace(check, theory=check.theory + relative_error * check.reference)
