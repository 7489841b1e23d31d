"""Evidence for each precomputed similar pair: how many listeners the two artists share."""

from __future__ import annotations

import threading

import numpy as np
import scipy.sparse as sp

from core.training.parallel import parallel_map

SHARED_BLOCK_ROWS = 256


def shared_listeners(listened: sp.csr_matrix, indices: np.ndarray) -> np.ndarray:
    """For each artist row and each of its neighbours, how many listeners they have in common.

    Works block by block on the binary matrix so memory stays bounded by the block, one block
    per core; padding entries (-1, "no further neighbour") get 0. Sorting each block product's
    rows for a lookup cost as much as the product, and scipy's sparse fancy indexing more.
    """
    n_artists = listened.shape[0]
    binary = sp.csr_matrix(
        (np.ones(listened.nnz, np.float32), listened.indices, listened.indptr), shape=listened.shape
    )
    transposed = binary.T.tocsr()
    out = np.zeros(indices.shape, dtype=np.int32)
    scratch = threading.local()

    def one_block(start: int) -> None:
        stop = min(start + SHARED_BLOCK_ROWS, n_artists)
        block = binary[start:stop] @ transposed
        # scatter the block into a zeroed dense buffer, read the neighbours' cells, zero them
        # again: cheaper than sorting the block's rows for a binary search
        if getattr(scratch, "dense", None) is None:
            scratch.dense = np.zeros(SHARED_BLOCK_ROWS * n_artists, np.float32)
        dense = scratch.dense
        cells = np.repeat(np.arange(stop - start, dtype=np.int64) * n_artists, np.diff(block.indptr))
        cells += block.indices
        dense[cells] = block.data
        cols = indices[start:stop]
        rows, slots = np.nonzero(cols >= 0)
        out[start + rows, slots] = dense[rows.astype(np.int64) * n_artists + cols[rows, slots]]
        dense[cells] = 0.0

    parallel_map(one_block, range(0, n_artists, SHARED_BLOCK_ROWS))
    return out
