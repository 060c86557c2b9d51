"""Simulations of batch normalization: Monte-Carlo of batch noise and teacher–student solvers.

NumPy by default, CuPy when asked (``backend="cupy"``) or available (``"auto"``); CuPy is never
imported otherwise.  All randomness comes from :class:`numpy.random.SeedSequence`.
"""

from ._backend import array_namespace as array_namespace
from ._backend import cuda_status as cuda_status
from ._backend import default_rng_for as default_rng_for
from ._backend import get_xp as get_xp
from ._streaming import Estimate as Estimate
from .executor import Executor as Executor
from .executor import make_executor as make_executor
from .batch_noise import GLM as GLM
from .batch_noise import BatchNoiseResult as BatchNoiseResult
from .batch_noise import simulate_batch_noise as simulate_batch_noise
from .input_distributions import InputSampler as InputSampler
from ._ts_bn_prediction import closed_prediction as bn_closed_prediction
from ._ts_bn_prediction import paired_drift as paired_drift
from ._ts_bn_prediction import paired_extrapolation as paired_extrapolation
from ._ts_bn_prediction import paired_mean as paired_mean
from ._ts_bn_prediction import stationary_point as bn_stationary_point
from ._ts_bn_prediction import stationary_prediction as bn_stationary_prediction
from .teacher_student import BNConfig as BNConfig
from .teacher_student import GridPoint as GridPoint
from .teacher_student import ZetaFit as ZetaFit
from .teacher_student import bn_point as bn_point
from .teacher_student import fit_effective_zeta as fit_effective_zeta
from .teacher_student import linear_point as linear_point
from .teacher_student import samples_for as samples_for
from .teacher_student import sweep as sweep
from .teacher_student import sweep_grid as sweep_grid

__all__ = ["GLM", "BNConfig", "BatchNoiseResult", "Estimate", "Executor", "GridPoint", "InputSampler", "ZetaFit",
           "array_namespace", "bn_closed_prediction", "bn_point", "bn_stationary_point",
           "bn_stationary_prediction", "paired_drift", "paired_extrapolation", "paired_mean", "cuda_status", "default_rng_for", "fit_effective_zeta", "get_xp",
           "linear_point", "make_executor", "samples_for", "simulate_batch_noise", "sweep", "sweep_grid"]
