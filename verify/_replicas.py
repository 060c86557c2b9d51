"""Means and standard errors of teacher–student replicas: replicas that share an input matrix
(the teachers of one data set) are correlated through it, so the independent units are the data
sets."""

from __future__ import annotations

import math

import numpy as np


def mean_se(values: np.ndarray, dataset: np.ndarray | None = None) -> tuple[float, float]:
    """Mean and standard error over independent units: the values themselves, or, with ``dataset``
    labels, the per-data-set means."""
    values = np.asarray(values, dtype=float)
    if dataset is not None:
        values = np.array([values[dataset == g].mean() for g in np.unique(dataset)])
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(values.size))


def replica_mean_se(point: dict[str, np.ndarray], key: str) -> tuple[float, float]:
    """Mean and SE over data sets of the replica array ``point[key]``."""
    return mean_se(point[key], point["dataset"])


def units(point: dict[str, np.ndarray]) -> int:
    """Number of independent data sets behind a point."""
    return int(np.unique(point["dataset"]).size)
