"""A model's manifest in words, the same for ``artist_listener_train`` and the Train page."""

from __future__ import annotations

from typing import Any

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
