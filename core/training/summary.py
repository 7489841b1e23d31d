"""A model's manifest in words, the same for ``artist_listener_train`` and the Train page."""

from __future__ import annotations

from typing import Any

import pandas as pd

from core.training.mode import where_trained
from core.training.pipeline import STEPS

#: (manifest count, what it counts); the pushdown rows only for a model trained in the warehouse
COUNTS = (
    ("rows_total", "rows read"),
    ("rows_null_streams", "dropped: NULL or non-numeric streams"),
    ("rows_nonfinite_streams", "dropped: NaN or infinite streams"),
    ("rows_nonpositive_streams", "dropped: zero or negative streams"),
    ("rows_unknown_ids", "dropped: unknown ids"),
    ("rows_duplicate", "merged duplicate (listener, artist) rows"),
    ("pairs", "(listener, artist) pairs"),
    ("users", "listeners"),
    ("artists_total", "artists seen"),
    ("artists_excluded_min_listeners", "artists left out (< {min_listeners} listeners)"),
    ("artists", "artists in model"),
    ("artists_with_market_data", "artists with market data"),
    ("artists_with_genre", "artists with a genre"),
    ("artists_market_peers_from_features", "artists whose market peers come from features alone"),
    ("market_rows_unknown_artist", "market rows of unknown or left-out artists"),
    ("country_rows_unusable", "market rows dropped (streams, id or NULL name)"),
    ("country_rows_blank_name", "market rows without a country or store name"),
    ("country_spellings_merged", "country spellings merged (case, white space)"),
    ("genre_rows_duplicate", "genre rows merged (same artist name)"),
    ("genre_names_conflicting", "artist names with conflicting genres"),
)
PUSHDOWN_COUNTS = (
    ("bytes_fetched", "bytes fetched from the warehouse"),
    ("bytes_fetched_similarity", "  of which similar-artist candidates"),
    ("co_listening_join_rows", "co-listening join rows"),
)


#: training parameter -> what it means, for the Train page's table and its "what changed" line
PARAMETERS = {
    "num_features": "features (SVD components)",
    "num_clusters": "clusters",
    "min_listeners": "minimum listeners per artist",
    "top_k": "similar artists kept per artist",
    "market_peers": "market peers per artist",
    "clustering": "clustering method",
    "similarity": "similarity method",
    "rp3_beta": "RP3beta popularity damping (β)",
    "svd_weight": "weight of the feature cosine",
    "bm25_weight": "weight of BM25",
    "shrinkage": "shrinkage of thin evidence",
    "listener_cap": "top artists per listener counted (0: all)",
    "candidates": "candidates re-ranked per artist",
    "market_candidates": "extra candidates with market data",
    "random_state": "random seed",
    "batch_rows": "rows read per batch",
    "mode": "where to train",
}
#: training step -> what it does (the pipeline's STEPS order)
STEP_LABELS = {
    "read": "read the listens",
    "weight": "weight listens",
    "factorize": "factorize (SVD)",
    "normalize": "normalize features",
    "cluster": "cluster artists",
    "neighbours": "find similar artists",
    "markets": "markets and names",
}
#: model history column -> heading; the fingerprint, listener and pair counts are left out
#: (all columns would not fit a 1280 px screen; the Current model section has the counts) and
#: "where" joins the source
HISTORY_COLUMNS = {
    "version": "Version", "current": "In use", "created_at": "Trained (UTC)",
    "warehouse": "Trained from", "artists": "Artists", "features": "Features",
    "explained_variance": "Explained variance",
}
#: "what changed" column -> heading (the artist number is left out: the name says it)
CHANGE_COLUMNS = {
    "artist": "Artist", "listeners": "Listeners", "same": "Unchanged", "changed": "Changed",
    "entered": "New in top list", "left": "Left top list",
}


def plain(key: str, labels: dict[str, str] | None = None) -> str:
    """A manifest key in words: its label, else the key with spaces for underscores."""
    return (labels or PARAMETERS).get(key, key.replace("_", " "))


def format_seconds(seconds: float) -> str:
    """"2.1 s", or "850 ms" below a second (four decimals of a second tell nobody anything)."""
    if seconds < 0.001:
        return "< 1 ms"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:,.1f} s"


def format_value(value: Any) -> str:
    """A parameter value as text: thousands separators, yes/no, no float noise."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,g}"
    return str(value)


def parameter_rows(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """(meaning, value) for every training parameter the manifest records, the ones a user
    sets first (``PARAMETERS`` order), unknown ones last."""
    params = manifest.get("params", {})
    order = [k for k in PARAMETERS if k in params] + [k for k in params if k not in PARAMETERS]
    return [(plain(k), format_value(params[k])) for k in order]


def timing_rows(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """(step in words, "2.1 s") per training step in pipeline order."""
    return [(plain(k, STEP_LABELS), format_seconds(v)) for k, v in step_seconds(manifest).items()]


def history_table(versions: pd.DataFrame) -> pd.DataFrame:
    """``core.model_history.history`` with plain headings, "source (where)" in one column and
    the trained time without "T" or seconds."""
    shown = versions.copy()
    shown["created_at"] = shown["created_at"].astype("string").str.replace("T", " ").str[:16]
    modes = shown["mode"].map(lambda m: where_trained(m) if isinstance(m, str) else None)
    shown["warehouse"] = [f"{w} ({m})" if isinstance(w, str) and m else w
                          for w, m in zip(shown["warehouse"], modes, strict=True)]
    return shown.reindex(columns=list(HISTORY_COLUMNS)).rename(columns=HISTORY_COLUMNS)


def changes_table(changes: pd.DataFrame) -> pd.DataFrame:
    """``ModelComparison.most_changed`` with plain headings."""
    return changes.reindex(columns=list(CHANGE_COLUMNS)).rename(columns=CHANGE_COLUMNS)


def count_rows(manifest: dict[str, Any]) -> list[tuple[str, int]]:
    """(label, count) for every count a manifest records, 0 where an older model lacks one."""
    counts = manifest.get("counts", {})
    minimum = manifest.get("params", {}).get("min_listeners", "?")
    shown = COUNTS + (PUSHDOWN_COUNTS if manifest.get("mode") == "pushdown" else ())
    return [(label.format(min_listeners=minimum), int(counts.get(key, 0))) for key, label in shown]


def step_seconds(manifest: dict[str, Any]) -> dict[str, float]:
    """Seconds per training step in pipeline order (steps it does not know last)."""
    timings = manifest.get("timings_seconds", {})
    return {step: float(timings[step]) for step in [*STEPS, *timings] if step in timings}


def how_trained(manifest: dict[str, Any]) -> str:
    """E.g. "in memory; similarity: hybrid (...)"."""
    similarity = manifest.get("steps", {}).get("similarity", "?")
    return f"{where_trained(manifest.get('mode'))}; similarity: {similarity}"


def format_manifest(manifest: dict[str, Any]) -> str:
    """The console summary of a freshly trained model: counts, features, where, step seconds."""
    rows = count_rows(manifest)
    width = max(len(label) for label, _ in rows)
    seconds = step_seconds(manifest)
    lines = [f"model {manifest['version']} trained on {manifest['warehouse']}"]
    lines += [f"  {label:<{width}}  {value:>12,}" for label, value in rows]
    lines.append(
        f"features {manifest['num_features']}, explained variance {manifest['explained_variance']:.1%}"
    )
    lines.append(f"trained {how_trained(manifest)}")
    lines.append("seconds per step: " + ", ".join(f"{k} {v:.2f}" for k, v in seconds.items())
                 + f" (total {sum(seconds.values()):.2f})")
    return "\n".join(lines)
