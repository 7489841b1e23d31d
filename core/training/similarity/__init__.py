"""Artist-to-artist similarity: methods behind one interface, and the default (the hybrid).

``base`` holds the interface and shared top-k, ``topk`` the selection, ``weights`` the matrix
weights (BM25, the listener cap), ``cosine`` the feature cosine, ``colistening`` the compiled
kernels and ``default`` the default method.
"""

from core.training.similarity.base import BLOCK_ROWS, SimilarityMethod, SparseSimilarity
from core.training.similarity.cosine import FeatureCosine
from core.training.similarity.default import HybridSimilarity
from core.training.similarity.topk import top_k_indices, top_k_rows
from core.training.similarity.weights import binary, bm25_weight, cap_listeners

__all__ = [
    "BLOCK_ROWS",
    "FeatureCosine",
    "HybridSimilarity",
    "SimilarityMethod",
    "SparseSimilarity",
    "binary",
    "bm25_weight",
    "cap_listeners",
    "top_k_indices",
    "top_k_rows",
]
