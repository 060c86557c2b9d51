"""Simulations of batch normalization: Monte-Carlo of batch noise and teacher–student solvers.

NumPy by default, CuPy when asked (``backend="cupy"``) or available (``"auto"``); CuPy is never
imported otherwise, and only :mod:`sim` imports it.  All randomness comes from
:class:`numpy.random.SeedSequence` (every public function takes one, or a non-negative integer).

The inner kernels that :mod:`bench` times are in :mod:`sim.kernels`, outside this top-level API.
"""

from . import kernels as kernels
from ._backend import BACKENDS as BACKENDS
from ._backend import DTYPES as DTYPES
from ._backend import array_namespace as array_namespace
from ._backend import backend_name as backend_name
from ._backend import check_dtype as check_dtype
from ._backend import cuda_status as cuda_status
from ._backend import default_rng as default_rng
from ._backend import get_xp as get_xp
from ._backend import lambdify_modules as lambdify_modules
from ._backend import resolve_backend as resolve_backend
from ._backend import to_numpy as to_numpy
from ._seeds import SeedLike as SeedLike
from ._seeds import as_seed_sequence as as_seed_sequence
from ._seeds import keyed_seed as keyed_seed
from ._streaming import Estimate as Estimate
from ._ts_bn import BNState as BNState
from ._ts_bn import bn_test_errors as bn_test_errors
from ._ts_bn import train_bn as train_bn
from ._ts_bn_prediction import closed_prediction as bn_closed_prediction
from ._ts_bn_prediction import mean_se as mean_se
from ._ts_bn_prediction import paired_drift as paired_drift
from ._ts_bn_prediction import paired_mean as paired_mean
from ._ts_bn_prediction import stationary_point as bn_stationary_point
from ._ts_bn_prediction import stationary_prediction as bn_stationary_prediction
from ._ts_data import teacher_data as teacher_data
from ._ts_linear import RidgeSpectrum as RidgeSpectrum
from ._ts_linear import min_norm_least_squares as min_norm_least_squares
from ._ts_store import Job as Job
from ._ts_store import SweepStore as SweepStore
from ._ts_store import run_jobs as run_jobs
from ._ts_store import run_points as run_points
from .batch_noise import GLM as GLM
from .batch_noise import BatchNoiseResult as BatchNoiseResult
from .batch_noise import simulate_batch_noise as simulate_batch_noise
from .cnn import CNNRun as CNNRun
from .cnn import ImageData as ImageData
from .cnn import load_images as load_images
from .cnn import train_cnn as train_cnn
from .executor import Executor as Executor
from .executor import make_executor as make_executor
from .input_distributions import InputSampler as InputSampler
from .pn_wn import PNWNFit as PNWNFit
from .pn_wn import simulate_pn_wn as simulate_pn_wn
from .teacher_student import BNConfig as BNConfig
from .teacher_student import GridPoint as GridPoint
from .teacher_student import SweepOptions as SweepOptions
from .teacher_student import SweepPlan as SweepPlan
from .teacher_student import ZetaFit as ZetaFit
from .teacher_student import bn_point as bn_point
from .teacher_student import fit_effective_zeta as fit_effective_zeta
from .teacher_student import linear_point as linear_point
from .teacher_student import plan_sweep_grid as plan_sweep_grid
from .teacher_student import samples_for as samples_for
from .teacher_student import sweep as sweep
from .teacher_student import sweep_grid as sweep_grid

__all__ = [
    "array_namespace",
    "as_seed_sequence",
    "backend_name",
    "BACKENDS",
    "BatchNoiseResult",
    "bn_closed_prediction",
    "bn_point",
    "bn_stationary_point",
    "bn_stationary_prediction",
    "bn_test_errors",
    "BNConfig",
    "BNState",
    "check_dtype",
    "CNNRun",
    "cuda_status",
    "default_rng",
    "DTYPES",
    "Estimate",
    "Executor",
    "fit_effective_zeta",
    "get_xp",
    "GLM",
    "GridPoint",
    "ImageData",
    "InputSampler",
    "Job",
    "keyed_seed",
    "kernels",
    "lambdify_modules",
    "linear_point",
    "load_images",
    "make_executor",
    "mean_se",
    "min_norm_least_squares",
    "paired_drift",
    "paired_mean",
    "plan_sweep_grid",
    "PNWNFit",
    "resolve_backend",
    "RidgeSpectrum",
    "run_jobs",
    "run_points",
    "samples_for",
    "SeedLike",
    "simulate_batch_noise",
    "simulate_pn_wn",
    "sweep",
    "sweep_grid",
    "SweepOptions",
    "SweepPlan",
    "SweepStore",
    "teacher_data",
    "to_numpy",
    "train_bn",
    "train_cnn",
    "ZetaFit",
]
