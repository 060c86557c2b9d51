"""Simulations of batch normalization: Monte-Carlo of batch noise and teacher–student solvers.

NumPy by default, CuPy when asked (``backend="cupy"``) or available (``"auto"``); CuPy is never
imported otherwise.  All randomness comes from :class:`numpy.random.SeedSequence`.
"""

from ._backend import array_namespace as array_namespace
from ._backend import cuda_status as cuda_status
from ._backend import default_rng_for as default_rng_for
from ._backend import get_xp as get_xp
from ._streaming import Estimate as Estimate
from ._ts_store import SweepStore as SweepStore
from ._ts_store import run_points as run_points
from .cnn import CNNRun as CNNRun
from .cnn import ImageData as ImageData
from .cnn import load_images as load_images
from .cnn import train_cnn as train_cnn
from .executor import Executor as Executor
from .executor import make_executor as make_executor
from .batch_noise import GLM as GLM
from .batch_noise import BatchNoiseResult as BatchNoiseResult
from .batch_noise import simulate_batch_noise as simulate_batch_noise
from .input_distributions import InputSampler as InputSampler
from .teacher_student import BNConfig as BNConfig
from .teacher_student import GridPoint as GridPoint
from .teacher_student import ZetaFit as ZetaFit
from .teacher_student import bn_point as bn_point
from .teacher_student import fit_effective_zeta as fit_effective_zeta
from .teacher_student import linear_point as linear_point
from .teacher_student import samples_for as samples_for
from .teacher_student import sweep as sweep
from .teacher_student import sweep_grid as sweep_grid

__all__ = ["GLM", "BNConfig", "BatchNoiseResult", "CNNRun", "Estimate", "ImageData", "SweepStore",
           "Executor", "GridPoint", "InputSampler", "ZetaFit", "array_namespace", "bn_point", "cuda_status",
           "default_rng_for", "fit_effective_zeta", "get_xp", "linear_point", "load_images", "make_executor",
           "run_points", "samples_for", "simulate_batch_noise", "sweep", "sweep_grid", "train_cnn"]
