"""``I - Q`` factorised once and solved both ways: by its inverse, densely or sparsely, by size."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

__all__ = ["BATCH_LIMIT", "DENSE_LIMIT", "ILL_CONDITIONED", "INVERSE_LIMIT", "LinearSystem"]

DENSE_LIMIT = 400
"""Chains with at most this many transient steps are solved densely."""
BATCH_LIMIT = 32
"""Strongly connected components up to this many steps are solved stacked, by size."""
INVERSE_LIMIT = 64
"""Chains with at most this many transient steps compute their whole
fundamental matrix: one inverse gives the return visits
for less than finding the loops and inverting each, and each solve is then a
product."""
ILL_CONDITIONED = 1e-8
"""Relative residual above which results are flagged as ill-conditioned."""


class LinearSystem:
    """``A = I - Q`` factorised once, solved for ``A x = b`` and ``A^T x = b``."""

    def __init__(self, n: int, rows: Any, cols: Any, vals: Any) -> None:
        import numpy as np

        self.n = n
        self.residual = 0.0
        self._inverse = None
        if n <= DENSE_LIMIT:
            dense = np.eye(n)
            np.subtract.at(dense, (rows, cols), vals)
            self._dense = dense
            self._lu = None
            self._matrix = dense
            if n <= INVERSE_LIMIT:  # each solve is then one product, cheaper than a call to numpy's solver
                self._inverse = np.linalg.inv(dense)
        else:
            from scipy.sparse import coo_matrix, identity
            from scipy.sparse.linalg import splu

            q = coo_matrix((vals, (rows, cols)), shape=(n, n)).tocsc()
            matrix = (identity(n, format="csc") - q).tocsc()
            self._dense = None
            self._lu = splu(matrix)
            self._matrix = matrix

    @property
    def dense(self) -> np.ndarray | None:
        """``I - Q`` as a dense array, for a chain solved densely (None for a sparse one)."""
        return self._dense

    @property
    def inverse(self) -> np.ndarray | None:
        """``(I - Q)^-1``, the fundamental matrix, for a chain of at most :data:`INVERSE_LIMIT` steps (else None)."""
        return self._inverse

    def solve(self, b: np.ndarray, transpose: bool = False) -> np.ndarray:
        import numpy as np

        if self.n == 0:
            return np.zeros_like(b, dtype=float)
        if self._inverse is not None:
            x = (self._inverse.T if transpose else self._inverse) @ b
        elif self._dense is not None:
            x = np.linalg.solve(self._dense.T if transpose else self._dense, b)
        else:
            x = self._lu.solve(b, trans="T" if transpose else "N")
        matrix = self._matrix.T if transpose else self._matrix
        scale = float(np.abs(b).max()) or 1.0
        residual = float(np.abs(matrix @ x - b).max()) / scale
        self.residual = max(self.residual, residual)
        return x
