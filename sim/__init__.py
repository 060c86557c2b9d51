"""Simulations of batch normalization: Monte-Carlo of batch noise and teacher–student solvers.

NumPy by default, CuPy when asked (``backend="cupy"``) or available (``"auto"``); CuPy is never
imported otherwise.  All randomness comes from :class:`numpy.random.SeedSequence`.
"""

from ._backend import array_namespace as array_namespace
from ._backend import cuda_status as cuda_status
from ._backend import default_rng_for as default_rng_for
from ._backend import get_xp as get_xp
from ._streaming import Estimate as Estimate
from .batch_noise import GLM as GLM
from .batch_noise import BatchNoiseResult as BatchNoiseResult
from .batch_noise import simulate_batch_noise as simulate_batch_noise
from .input_distributions import InputSampler as InputSampler

__all__ = ["GLM", "BatchNoiseResult", "Estimate", "InputSampler", "array_namespace", "cuda_status", "default_rng_for", "get_xp",
           "simulate_batch_noise"]
