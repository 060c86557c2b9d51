"""SymPy derivations of BN's implicit regularization (Luo et al., ICLR 2019; seed Part 1 and 2).

Every formula here comes out of a SymPy derivation from stated assumptions; numbers are exact,
or quadrature to 1e-10 relative with an error estimate.
"""

from . import notation as notation
from ._formula import Formula as Formula
from ._numeric import numeric_function as numeric_function
from ._parser import FormulaError as FormulaError
from ._parser import describe_grammar as describe_grammar
from ._parser import parse_expression as parse_expression
from ._quadrature import DivergentExpectation as DivergentExpectation
from .activations import NAMED as NAMED_ACTIVATIONS
from .activations import activation_expression as activation_expression
from .activations import curvature as curvature
from .activations import curvature_parts as curvature_parts
from .batch_statistics import cov_mu_sigma_B_leading as cov_mu_sigma_B_leading
from .batch_statistics import cov_mu_sigma_B_series as cov_mu_sigma_B_series
from .batch_statistics import mean_sigma2_B as mean_sigma2_B
from .batch_statistics import mean_sigma_B_gaussian as mean_sigma_B_gaussian
from .batch_statistics import mean_sigma_B_series as mean_sigma_B_series
from .batch_statistics import var_mu_B as var_mu_B
from .batch_statistics import var_sigma2_B as var_sigma2_B
from .batch_statistics import var_sigma_B_leading as var_sigma_B_leading
from .batch_statistics import var_sigma_B_series as var_sigma_B_series
from .bn_student import bn_chi_factor as bn_chi_factor
from .bn_student import bn_student_error as bn_student_error
from .bn_student import bn_student_gamma as bn_student_gamma
from .bn_student import bn_student_overlap as bn_student_overlap
from .bn_student import effective_ridge_zeta as effective_ridge_zeta
from .bn_student import formulas as bn_student_formulas
from .bn_student import pn_student_error as pn_student_error
from .errors import BadInput as BadInput
from .gamma_decay import CROSS as ZETA_CROSS
from .gamma_decay import F_GAMMA as F_GAMMA
from .gamma_decay import MU_D2A as MU_D2A
from .gamma_decay import ZetaResult as ZetaResult
from .gamma_decay import zeta as zeta
from .gamma_decay import zeta_corrections as zeta_corrections
from .gamma_decay import zeta_formula as zeta_formula
from .input_families import FAMILIES as INPUT_FAMILIES
from .normalization_error import conditional_error as conditional_error
from .normalization_error import conditional_error_coefficients as conditional_error_coefficients
from .normalization_error import conditional_mean_coefficients as conditional_mean_coefficients
from .normalization_error import exact_error_from_mean_sigma as exact_error_from_mean_sigma
from .normalization_error import overall_error as overall_error
from .pn_wn import pn_as_wn as pn_as_wn
from .teacher_student import bn_equivalent_zeta as bn_equivalent_zeta
from .teacher_student import bn_interpolation_error as bn_interpolation_error
from .teacher_student import formulas as teacher_student_formulas
from .teacher_student import mp_stieltjes as mp_stieltjes
from .teacher_student import optimal_zeta as optimal_zeta
from .teacher_student import ridge_correction as ridge_correction
from .teacher_student import sgd_error as sgd_error
from .teacher_student import sgd_error_finite as sgd_error_finite
from .teacher_student import wn_error as wn_error
from .teacher_student import wn_error_finite as wn_error_finite
from .teacher_student import zeta_map as zeta_map

__all__ = [
    "activation_expression",
    "BadInput",
    "bn_chi_factor",
    "bn_equivalent_zeta",
    "bn_interpolation_error",
    "bn_student_error",
    "bn_student_formulas",
    "bn_student_gamma",
    "bn_student_overlap",
    "conditional_error",
    "conditional_error_coefficients",
    "conditional_mean_coefficients",
    "cov_mu_sigma_B_leading",
    "cov_mu_sigma_B_series",
    "curvature",
    "curvature_parts",
    "describe_grammar",
    "DivergentExpectation",
    "effective_ridge_zeta",
    "exact_error_from_mean_sigma",
    "F_GAMMA",
    "Formula",
    "FormulaError",
    "INPUT_FAMILIES",
    "mean_sigma2_B",
    "mean_sigma_B_gaussian",
    "mean_sigma_B_series",
    "mp_stieltjes",
    "MU_D2A",
    "NAMED_ACTIVATIONS",
    "notation",
    "numeric_function",
    "optimal_zeta",
    "overall_error",
    "parse_expression",
    "pn_as_wn",
    "pn_student_error",
    "ridge_correction",
    "sgd_error",
    "sgd_error_finite",
    "teacher_student_formulas",
    "var_mu_B",
    "var_sigma2_B",
    "var_sigma_B_leading",
    "var_sigma_B_series",
    "wn_error",
    "wn_error_finite",
    "zeta",
    "zeta_corrections",
    "ZETA_CROSS",
    "zeta_formula",
    "zeta_map",
    "ZetaResult",
]
