"""Monte-Carlo of batch noise: :func:`sim.simulate_batch_noise` against the bare cost of
drawing the same random numbers the same way (one generator per chunk, ``(b, M)`` normals,
plus the label noise when a GLM draws labels)."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

import numpy as np

from sim import GLM, backend_name, default_rng, simulate_batch_noise
from theory import curvature
from theory.activations import NAMED, log_partition

from . import Row, Target, best_time
from .machine import Machine

SEED = np.random.SeedSequence(20240613)


@dataclass(frozen=True)
class MCSize:
    M: int = 32
    samples: int = 2**24
    chunk_samples: int = 2**20  # as Part 1 runs it
    repeat: int = 3


def identity_glm() -> dict[str, GLM]:
    """The identity (Gaussian) GLM as Part 1 uses it: labels drawn, loss gap computed."""
    g = NAMED["identity"]
    return {"identity": GLM(curvature(g), g, log_partition(g))}


def bare_draws(xp: ModuleType, size: MCSize, dtype: str, arrays: int) -> None:
    """The random numbers of one run, drawn as the engine draws them and nothing else."""
    per_chunk = size.chunk_samples // size.M
    batches = size.samples // size.M
    children = np.random.SeedSequence(SEED.entropy).spawn(-(-batches // per_chunk))
    for i, child in enumerate(children):
        rng = default_rng(child, xp)
        b = min(per_chunk, batches - i * per_chunk)
        for _ in range(arrays):
            rng.standard_normal((b, size.M), dtype=dtype)


def run(machine: Machine, xp: ModuleType = np, size: MCSize = MCSize(), dtype: str = "float64"
        ) -> tuple[list[Row], list[Target]]:
    backend = backend_name(xp)
    samples = size.samples // size.M * size.M
    rows, targets = [], []
    for label, glms, arrays in (("no GLM", None, 1), ("identity GLM (labels drawn)", identity_glm(), 2)):
        def sim(glms=glms):
            simulate_batch_noise(size.M, glms=glms, samples=size.samples, seed=SEED, backend=backend, dtype=dtype,
                                 chunk_samples=size.chunk_samples, progress=False)

        sim()  # warm-up
        t_bare, t_sim = float("inf"), float("inf")
        for _ in range(size.repeat):  # interleaved, so that a disturbance hits both alike
            t_bare = min(t_bare, best_time(lambda a=arrays: bare_draws(xp, size, dtype, a), 1, xp, warmup=0))
            t_sim = min(t_sim, best_time(sim, 1, xp, warmup=0))
        written = arrays * samples * np.dtype(dtype).itemsize / t_bare / 1e9
        rows += [Row("mc", f"bare RNG, {arrays} normal(s) per sample, {dtype}", samples / t_bare, "samples/s",
                     note=f"writes {written:.1f} GB/s = {written / machine.copy_gbs:.0%} of the copy bandwidth: "
                          "compute-bound"),
                 Row("mc", f"simulate_batch_noise M={size.M}, {label}, {dtype}", samples / t_sim, "samples/s",
                     t_bare / t_sim, "bare RNG", f"{t_sim / t_bare:.2f}x the RNG's time")]
        targets.append(Target(f"Monte-Carlo {label}: time / bare RNG time", t_sim / t_bare, 2.0, False,
                              f"per sample: RNG {t_bare / samples * 1e9:.1f} ns, statistics "
                              f"{(t_sim - t_bare) / samples * 1e9:.1f} ns (about 20 passes over the chunk: "
                              "mu_B, sigma_B, the error, 7 bins, the GLM terms)"))
    return rows, targets
