"""Low-level kernels of the teacher–student simulations, public for the benchmarks (``bench/``).

These are the inner loops that :func:`sim.train_bn`, :func:`sim.min_norm_least_squares` and
:func:`sim.sweep` are built from; ``bench/`` times them against reference implementations.  They are
not part of :mod:`sim`'s top-level API: most users want the functions re-exported by :mod:`sim`.
"""

from ._ts_bn import batch_products as batch_products
from ._ts_bn import bn_gradients as bn_gradients
from ._ts_bn import row_gather as row_gather
from ._ts_linear import gradient_descents as gradient_descents
from ._ts_linear import smaller_gram as smaller_gram

__all__ = ["batch_products", "bn_gradients", "gradient_descents", "row_gather", "smaller_gram"]
