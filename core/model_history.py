"""Model history: the versions kept in the model folder, and what changed between two of them.

Retraining on a schedule (see the README's *Scheduled retraining*) leaves a trail of versions
(``ModelStore`` keeps the newest few and the current one). ``history`` lists them with what
each manifest says; ``compare`` answers "what changed?" the way a label asks it: for the
artists in both versions, how many of their 10 most similar artists are new, with the artists
whose top 10 changed most first, plus the artists that entered or left the model and the
training parameters that differ. The Train page and ``artist_listener_models`` both call these.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.errors import InsightsError
from core.model import Model, ModelStore

#: similar artists compared per artist (the answers the CLI and dashboard show)
TOP_N = 10

ALIASES = ("current", "previous")


def history(store: ModelStore) -> pd.DataFrame:
    """One row per kept version, oldest first: when, from where, how, how big."""
    current = store.current_version()
    rows = []
    for version in store.versions():
        try:
            manifest = _manifest(store, version)
        except (OSError, ValueError):  # unreadable: listed, with nothing known about it
            rows.append({"version": version, "current": version == current})
            continue
        counts = manifest.get("counts", {})
        params = manifest.get("params", {})
        rows.append({
            "version": version,
            "current": version == current,
            "created_at": manifest.get("created_at"),
            "warehouse": manifest.get("warehouse"),
            "mode": manifest.get("mode", "memory"),
            "artists": counts.get("artists"),
            "listeners": counts.get("users"),
            "pairs": counts.get("pairs"),
            "features": manifest.get("num_features", params.get("num_features")),
            "explained_variance": manifest.get("explained_variance"),
            "data_fingerprint": str(manifest.get("data_fingerprint", ""))[:12] or None,
        })
    columns = ["version", "current", "created_at", "warehouse", "mode", "artists", "listeners",
               "pairs", "features", "explained_variance", "data_fingerprint"]
    return pd.DataFrame(rows, columns=columns)


def _manifest(store: ModelStore, version: str) -> dict[str, Any]:
    """The manifest alone (not the arrays): listing versions must stay cheap."""
    return json.loads((store.root / version / "manifest.json").read_text("utf-8"))


def resolve_version(store: ModelStore, name: str) -> str:
    """A version name, or ``current`` / ``previous`` (the kept version before the current)."""
    versions = store.versions()
    current = store.current_version()
    if name == "current":
        if current is None:
            raise InsightsError(f"no current model in {store.root}")
        return current
    if name == "previous":
        older = [v for v in versions if current is None or v < current]
        if not older:
            raise InsightsError(f"no version older than the current one in {store.root}")
        return older[-1]
    if name in versions:
        return name
    matches = [v for v in versions if v.startswith(name)]
    if len(matches) == 1:
        return matches[0]
    kept = ", ".join(versions) or "none"
    raise InsightsError(f"model version {name!r} is not kept in {store.root} (kept: {kept})")


@dataclass(frozen=True)
class ModelComparison:
    """What changed from ``old`` to ``new``."""

    old: str
    new: str
    top_n: int
    #: per artist in both: artistnum, artist, same (of top_n), changed, entered, left
    artists: pd.DataFrame
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    #: parameter -> (old value, new value), for parameters that differ
    params: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    @property
    def mean_overlap(self) -> float:
        """Average share of an artist's top ``top_n`` that stayed (1.0: nothing changed)."""
        if self.artists.empty:
            return float("nan")
        return float(self.artists["same"].mean() / self.top_n)

    def most_changed(self, limit: int = 20) -> pd.DataFrame:
        return self.artists.head(limit).reset_index(drop=True)


def _top_ids(model: Model, top_n: int) -> dict[int, list[int]]:
    ids = model.artists["artistnum"].to_numpy(np.int64)
    k = min(top_n, model.neighbour_idx.shape[1])
    lists = {}
    for row, neighbours in enumerate(model.neighbour_idx[:, :k]):
        lists[int(ids[row])] = [int(ids[j]) for j in neighbours if j >= 0]
    return lists


def compare(old: Model, new: Model, top_n: int = TOP_N) -> ModelComparison:
    """Compare two models artist by artist (matched by ``artistnum``)."""
    if top_n < 1:
        raise InsightsError("top-n must be at least 1")
    before, after = _top_ids(old, top_n), _top_ids(new, top_n)
    names = dict(zip(new.artists["artistnum"].astype(np.int64), new.artists["artistname"],
                     strict=True))
    names |= {k: v for k, v in zip(old.artists["artistnum"].astype(np.int64),
                                   old.artists["artistname"], strict=True) if k not in names}
    listeners = dict(zip(new.artists["artistnum"].astype(np.int64), new.artists["listeners"],
                         strict=True))
    rows = []
    for artist in sorted(before.keys() & after.keys()):
        was, now = before[artist], after[artist]
        same = len(set(was) & set(now))
        rows.append({
            "artistnum": artist,
            "artist": names.get(artist),
            "listeners": int(listeners.get(artist, 0)),
            "same": same,
            "changed": max(len(was), len(now)) - same,
            "entered": ", ".join(str(names.get(a)) for a in now if a not in was),
            "left": ", ".join(str(names.get(a)) for a in was if a not in now),
        })
    table = pd.DataFrame(rows, columns=["artistnum", "artist", "listeners", "same", "changed",
                                        "entered", "left"])
    table = table.sort_values(["changed", "listeners", "artistnum"], ascending=[False, False, True],
                              ignore_index=True)
    old_params, new_params = old.manifest.get("params", {}), new.manifest.get("params", {})
    params = {k: (old_params.get(k), new_params.get(k))
              for k in sorted(old_params.keys() | new_params.keys())
              if old_params.get(k) != new_params.get(k)}
    return ModelComparison(
        old.version, new.version, top_n, table,
        added=sorted(str(names[a]) for a in after.keys() - before.keys()),
        removed=sorted(str(names[a]) for a in before.keys() - after.keys()),
        params=params,
    )


def compare_versions(store: ModelStore, old: str = "previous", new: str = "current",
                     top_n: int = TOP_N) -> ModelComparison:
    """``compare`` for two kept versions, by name or alias."""
    return compare(store.load(resolve_version(store, old)),
                   store.load(resolve_version(store, new)), top_n)
