"""Means and standard errors of teacher–student replicas: replicas that share an input matrix
(the teachers of one data set) are correlated through it, so the independent units are the data
sets."""

from __future__ import annotations

import numpy as np

from sim import mean_se


def replica_mean_se(point: dict[str, np.ndarray], key: str) -> tuple[float, float]:
    """Mean and SE over data sets of the replica array ``point[key]``."""
    return mean_se(point[key], point["dataset"])


def units(point: dict[str, np.ndarray]) -> int:
    """Number of independent data sets behind a point."""
    return int(np.unique(point["dataset"]).size)
