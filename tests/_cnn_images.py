"""Synthetic images for the CNN tests: Gaussian pixels, four classes read from two half-image means
(a task a small CNN learns in a few steps)."""

from __future__ import annotations

import numpy as np

from sim.cnn import ImageData


def synthetic_images(n_train: int = 120, n_test: int = 40, size: int = 12, seed: int = 0) -> ImageData:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_train + n_test, 1, size, size)).astype(np.float32)
    top = x[:, 0, : size // 2].mean(axis=(1, 2)) > 0
    left = x[:, 0, :, : size // 2].mean(axis=(1, 2)) > 0
    y = top.astype(np.int64) + 2 * left.astype(np.int64)
    return ImageData("synthetic", x[:n_train], y[:n_train], x[n_train:], y[n_train:], 4, f"synthetic {size}x{size}")
