"""Which territories each artist's answer lists, and in which order: the one ranking behind the
JSON, the dashboard and the upload tables, over any number of artists at once.

* top markets: territories with actual streams, most actual streams first, then most modeled;
* recommendations: the other territories with modeled streams, most modeled first, then most
  actual (the seed's rule);
* opportunities: territories with a positive gap (expected − actual) that enough market peers
  back, biggest gap first; thin evidence: the same without that backing.

Remaining ties go to the territory whose name sorts first.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

TOP_MARKET = "top_market"
RECOMMENDATION = "recommendation"
OPPORTUNITY = "opportunity"
THIN_EVIDENCE = "thin_evidence"
#: ``kind`` codes of ``rank_territories`` index this tuple
KINDS = (TOP_MARKET, RECOMMENDATION, OPPORTUNITY, THIN_EVIDENCE)


def rank_territories(artist: np.ndarray, territory: np.ndarray, actual: np.ndarray,
                     modeled: np.ndarray, gap: np.ndarray, backed: np.ndarray, top_n: int,
                     kinds: Sequence[str] = KINDS) -> pd.DataFrame:
    """The ``top_n`` territories of each kind of each artist, from one entry per (artist,
    territory): ``territory`` is a code that sorts like the territory's name, ``backed`` whether
    enough peers stream there.

    Columns: position (the entry's index in the inputs), kind (a code into ``KINDS``) and rank
    (1 = first), ordered by kind, then artist, then rank.
    """
    artist, territory = np.asarray(artist), np.asarray(territory)
    actual, modeled, gap = np.asarray(actual), np.asarray(modeled), np.asarray(gap)
    backed = np.asarray(backed, dtype=bool)

    def best(candidates: np.ndarray, *keys: np.ndarray) -> np.ndarray:
        """Positions of each artist's first ``top_n`` candidates, sorted by ``keys`` descending."""
        found = np.flatnonzero(candidates)
        order = found[np.lexsort((territory[found], *(-k[found] for k in reversed(keys)),
                                  artist[found]))]
        return order[_rank_in_group(artist[order]) <= top_n]

    chosen: dict[str, np.ndarray] = {TOP_MARKET: best(actual > 0, actual, modeled)}
    if RECOMMENDATION in kinds:
        is_top = np.zeros(len(artist), dtype=bool)
        is_top[chosen[TOP_MARKET]] = True
        chosen[RECOMMENDATION] = best(~is_top & (modeled > 0), modeled, actual)
    if OPPORTUNITY in kinds:
        chosen[OPPORTUNITY] = best((gap > 0) & backed, gap)
    if THIN_EVIDENCE in kinds:
        chosen[THIN_EVIDENCE] = best((gap > 0) & ~backed, gap)
    parts = [(KINDS.index(kind), chosen[kind]) for kind in KINDS if kind in kinds]
    return pd.DataFrame({
        "position": np.concatenate([positions for _, positions in parts]).astype(np.int64),
        "kind": np.concatenate([np.full(len(p), code, np.int8) for code, p in parts]),
        "rank": np.concatenate([_rank_in_group(artist[p]) for _, p in parts]).astype(np.int64),
    })


def _rank_in_group(group: np.ndarray) -> np.ndarray:
    """1-based position of each element within its run of equal values in sorted ``group``."""
    if len(group) == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.r_[0, np.flatnonzero(group[1:] != group[:-1]) + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(group)]))
    return np.arange(len(group)) - run_start + 1
