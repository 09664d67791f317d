"""``autograd.scipy.linalg``: ``wengert.scipy.linalg`` (solve_triangular, solve_banded, sqrtm,
solve_sylvester, cholesky, cho_factor/cho_solve, lu_factor/lu_solve, solve, eigh, svd, inv, det, block_diag, expm,
logm), and
SciPy's other names on plain arrays.
"""

import wengert.scipy.linalg as _wsl
from wengert.scipy.linalg import *  # noqa: F403 - the namespace is the point of this module

from ._scipy_names import add_scipy_names

add_scipy_names(globals(), "scipy.linalg", _wsl.__all__)
