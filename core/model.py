"""The trained model as a versioned directory of plain files, and the store that keeps them.

No pickles: arrays are ``.npy``/``.npz`` loaded with ``allow_pickle=False``, tables Parquet and
metadata JSON, so a model can be inspected with any tool and loading one runs no code.
A model is written to a hidden folder and published by an atomic rename of the ``CURRENT``
pointer, so a crash mid-write leaves the previous model in use.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.errors import ModelNotFoundError, UnknownArtistError
from core.names import NameIndex

FORMAT_VERSION = 1
POINTER = "CURRENT"
KEEP_VERSIONS = 3
_ARRAYS = ("features", "neighbour_idx", "neighbour_sim", "neighbour_shared",
           "geo_peer_idx", "geo_peer_sim", "explained_variance_ratio")
_TABLES = ("artists", "markets", "excluded")


@dataclass
class Model:
    """Everything insights need, as plain arrays and tables.

    ``artists`` has one row per modelled artist (row number = array row): artistnum,
    artistname, listeners, streams, genre, countrylist, cluster. ``markets`` holds positive
    streams per (row, countryname, storename). ``excluded`` lists artists left out of training
    (too few listeners) so a query for one can say why.
    """

    artists: pd.DataFrame
    features: np.ndarray
    neighbour_idx: np.ndarray
    neighbour_sim: np.ndarray
    neighbour_shared: np.ndarray
    geo_peer_idx: np.ndarray
    geo_peer_sim: np.ndarray
    markets: pd.DataFrame
    excluded: pd.DataFrame
    explained_variance_ratio: np.ndarray
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return str(self.manifest.get("version", "unsaved"))

    @cached_property
    def names(self) -> NameIndex:
        return NameIndex(self.artists["artistname"].tolist(), self.artists["listeners"].to_numpy())

    def resolve(self, name: str) -> int:
        """Row of the artist called ``name``; ``UnknownArtistError`` with suggestions otherwise."""
        row = self.names.find(name)
        if row is not None:
            return row
        raise UnknownArtistError(name.strip(), self.names.suggest(name), self._why_missing(name))

    def _why_missing(self, name: str) -> str | None:
        from core.names import normalize_name

        if self.excluded.empty:
            return None
        key = normalize_name(name)
        hits = self.excluded[self.excluded["artistname"].map(normalize_name) == key]
        if hits.empty:
            return None
        minimum = self.manifest.get("params", {}).get("min_listeners")
        n = int(hits["listeners"].max())
        return (
            f"left out of training: {n} listener{'s' if n != 1 else ''}, "
            f"below the minimum of {minimum} (MIN_LISTENERS)"
        )

    # -- files ---------------------------------------------------------------------------------
    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=False)
        for name in _ARRAYS:
            np.save(directory / f"{name}.npy", np.ascontiguousarray(getattr(self, name)))
        for name in _TABLES:
            getattr(self, name).to_parquet(directory / f"{name}.parquet", index=False)
        manifest = {**self.manifest, "format_version": FORMAT_VERSION}
        (directory / "manifest.json").write_text(
            json.dumps(manifest, indent=2, sort_keys=True, default=_json_default)
        )

    @classmethod
    def load(cls, directory: Path) -> Model:
        manifest = json.loads((directory / "manifest.json").read_text())
        if manifest.get("format_version") != FORMAT_VERSION:
            raise ModelNotFoundError(
                f"model at {directory} has format {manifest.get('format_version')}, "
                f"this version reads {FORMAT_VERSION}; retrain with artist_listener_train"
            )
        arrays = {n: np.load(directory / f"{n}.npy", allow_pickle=False) for n in _ARRAYS}
        tables = {n: pd.read_parquet(directory / f"{n}.parquet") for n in _TABLES}
        return cls(**arrays, **tables, manifest=manifest)


def _json_default(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in the manifest")


class ModelStore:
    """A folder of model versions with an atomically switched ``CURRENT`` pointer."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def current_version(self) -> str | None:
        pointer = self.root / POINTER
        if not pointer.exists():
            return None
        version = pointer.read_text().strip()
        return version if (self.root / version / "manifest.json").exists() else None

    def versions(self) -> list[str]:
        if not self.root.exists():
            return []
        return sorted(
            p.name for p in self.root.iterdir()
            if p.is_dir() and not p.name.startswith(".") and (p / "manifest.json").exists()
        )

    def load(self, version: str | None = None) -> Model:
        version = version or self.current_version()
        if version is None:
            raise ModelNotFoundError(
                f"no trained model in {self.root}; run `artist_listener_train` "
                "(or `make model`) first"
            )
        return Model.load(self.root / version)

    def save(self, model: Model) -> str:
        """Write ``model`` as a new version and make it current; returns the version name."""
        self.root.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        fingerprint = str(model.manifest.get("data_fingerprint", ""))[:8] or "nodata"
        version = f"{stamp}-{fingerprint}"
        model.manifest = {**model.manifest, "version": version,
                          "saved_at": datetime.now(UTC).isoformat(timespec="seconds")}
        staging = self.root / f".incoming-{uuid.uuid4().hex}"
        try:
            model.save(staging)
            _fsync_tree(staging)
            staging.rename(self.root / version)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        pointer_tmp = self.root / f".{POINTER}.{uuid.uuid4().hex}"
        pointer_tmp.write_text(version + "\n")
        os.replace(pointer_tmp, self.root / POINTER)
        self._prune(keep=version)
        return version

    def _prune(self, keep: str) -> None:
        """Keep the newest versions (and the current one), drop older ones and stale temp dirs."""
        versions = self.versions()
        for old in versions[:-KEEP_VERSIONS]:
            if old != keep:
                shutil.rmtree(self.root / old, ignore_errors=True)


def _fsync_tree(directory: Path) -> None:
    for path in directory.iterdir():
        with open(path, "rb") as fh:
            os.fsync(fh.fileno())
