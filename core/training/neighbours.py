"""Evidence for each precomputed similar pair: how many listeners the two artists share."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

SHARED_BLOCK_ROWS = 256


def shared_listeners(listened: sp.csr_matrix, indices: np.ndarray) -> np.ndarray:
    """For each artist row and each of its neighbours, how many listeners they have in common.

    Works block by block on the binary matrix so memory stays bounded by the block; padding
    entries (-1, "no further neighbour") get 0.
    """
    binary = listened.copy().tocsr()
    binary.data = np.ones_like(binary.data, dtype=np.float32)
    transposed = binary.T.tocsr()
    out = np.zeros(indices.shape, dtype=np.int32)
    for start in range(0, binary.shape[0], SHARED_BLOCK_ROWS):
        stop = start + SHARED_BLOCK_ROWS
        block = (binary[start:stop] @ transposed).toarray()
        cols = indices[start:stop]
        rows = np.arange(block.shape[0])[:, None]
        out[start:stop] = np.where(cols >= 0, block[rows, np.maximum(cols, 0)], 0)
    return out
