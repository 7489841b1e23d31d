"""The trained model as a versioned directory of plain files, and the store that keeps them.

No pickles: arrays are ``.npy``/``.npz`` loaded with ``allow_pickle=False``, tables Parquet and
metadata JSON, so a model can be inspected with any tool and loading one runs no code.
A model is written to a hidden folder and published by an atomic rename of the ``CURRENT``
pointer, so a crash mid-write leaves the previous model in use.

The manifest holds the size and SHA-256 of every file, checked at load: a truncated or
corrupted file is named, and the store falls back to the newest older version that is whole
(with a warning) instead of serving it. ``CURRENT`` must name a version inside the folder.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
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

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
POINTER = "CURRENT"
KEEP_VERSIONS = 3
#: held by a training while it writes into the model folder (``core.training.train_and_save``)
TRAIN_LOCK = ".train.lock"
#: what a killed training leaves: its staging folder and a pointer about to be renamed
LITTER = (".incoming-*", f".{POINTER}.*")
_VERSION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_HASH_CHUNK = 1 << 20
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
    #: problems met while loading (e.g. a damaged newer version skipped); shown, never saved
    warnings: list[str] = field(default_factory=list)

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
        files = {path.name: _file_record(path) for path in sorted(directory.iterdir())}
        manifest = {**self.manifest, "format_version": FORMAT_VERSION, "files": files}
        self.manifest = manifest
        (directory / "manifest.json").write_text(
            json.dumps(manifest, indent=2, sort_keys=True, default=_json_default)
        )

    @classmethod
    def load(cls, directory: Path) -> Model:
        """Read and verify a model folder; ``DamagedModelError`` names the first bad file."""
        manifest_path = directory / "manifest.json"
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelNotFoundError(f"no model at {directory} (no manifest.json)") from None
        except (ValueError, UnicodeDecodeError):
            raise DamagedModelError(manifest_path, "not valid JSON") from None
        except OSError as exc:
            raise ModelNotFoundError(f"cannot read {manifest_path}: {exc.strerror}") from None
        if not isinstance(manifest, dict):
            raise DamagedModelError(manifest_path, "not a JSON object")
        if manifest.get("format_version") != FORMAT_VERSION:
            raise ModelNotFoundError(
                f"model at {directory} has format {manifest.get('format_version')}, "
                f"this version reads {FORMAT_VERSION}; retrain with artist_listener_train"
            )
        _verify_files(directory, manifest.get("files"))
        arrays = {n: _read(directory / f"{n}.npy", _load_array) for n in _ARRAYS}
        tables = {n: _read(directory / f"{n}.parquet", pd.read_parquet) for n in _TABLES}
        model = cls(**arrays, **tables, manifest=manifest)
        model._check_consistent(directory)
        return model

    def _check_consistent(self, directory: Path) -> None:
        """Shapes that must agree and numbers that must be finite: a damaged file that has no
        checksum (a model saved before checksums) still cannot be served as NaN."""
        rows = len(self.artists)
        for name in ("features", "neighbour_idx", "neighbour_sim", "neighbour_shared",
                     "geo_peer_idx", "geo_peer_sim"):
            array = getattr(self, name)
            if array.ndim != 2 or array.shape[0] != rows:
                raise DamagedModelError(directory / f"{name}.npy",
                                        f"shape {array.shape} does not fit {rows} artists")
            if array.dtype.kind == "f" and not np.isfinite(array).all():
                raise DamagedModelError(directory / f"{name}.npy", "holds NaN or infinite numbers")
            if name.endswith("_idx") and array.size and (array.max() >= rows or array.min() < -1):
                raise DamagedModelError(directory / f"{name}.npy", "points at artists that do not exist")
        for table, column in (("artists", "streams"), ("markets", "streams")):
            values = getattr(self, table).get(column)
            if values is not None and not np.isfinite(values.to_numpy(np.float64)).all():
                raise DamagedModelError(directory / f"{table}.parquet", "holds NaN or infinite streams")


class DamagedModelError(ModelNotFoundError):
    """A model file is missing, truncated or changed since it was written."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        super().__init__(f"model file {path} is damaged ({problem}); retrain with "
                         "artist_listener_train")


def _file_record(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            digest.update(chunk)
    return {"bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def _verify_files(directory: Path, files: object) -> None:
    """Sizes first (cheap, catches truncation), then checksums. Models saved before checksums
    have none and are checked by ``_read`` and ``_check_consistent`` only."""
    if files is None:
        return
    if not isinstance(files, dict):
        raise DamagedModelError(directory / "manifest.json", "its file list is not an object")
    expected = {f"{n}.npy" for n in _ARRAYS} | {f"{n}.parquet" for n in _TABLES}
    missing = sorted(expected - set(files))
    if missing:
        raise DamagedModelError(directory / missing[0], "not listed in the manifest")
    for name in sorted(files):
        path = directory / name
        record = files[name]
        if not path.is_file():
            raise DamagedModelError(path, "missing")
        if not isinstance(record, dict) or path.stat().st_size != record.get("bytes"):
            raise DamagedModelError(path, "size differs from the manifest: truncated or replaced")
    for name in sorted(files):
        if _file_record(directory / name)["sha256"] != files[name].get("sha256"):
            raise DamagedModelError(directory / name, "checksum differs from the manifest")


def _load_array(path: Path) -> np.ndarray:
    return np.load(path, allow_pickle=False)


def _read(path: Path, reader: Any) -> Any:
    """``reader(path)``, with any failure to parse the file reported as damage to it."""
    try:
        return reader(path)
    except FileNotFoundError:
        raise DamagedModelError(path, "missing") from None
    except Exception as exc:  # numpy/pyarrow raise many types for a damaged file
        raise DamagedModelError(path, f"{type(exc).__name__}: {exc}".splitlines()[0][:200]) from None


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

    def _pointed(self) -> str | None:
        """The version named by ``CURRENT``, refused when it leaves the model folder."""
        pointer = self.root / POINTER
        try:
            version = pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            raise ModelNotFoundError(f"MODEL_DIR {self.root} is a file, not a folder") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ModelNotFoundError(f"cannot read {pointer}: {exc}") from None
        self._check_name(version, f"{pointer} names {version!r}, which")
        return version

    def _check_name(self, version: str, what: str) -> None:
        if not _VERSION_NAME.match(version) or Path(version).name != version:
            raise ModelNotFoundError(
                f"{what} is not a version in {self.root}; a version is a folder name inside "
                "MODEL_DIR (retrain, or write one of `artist_listener_train`'s versions there)"
            )
        target = (self.root / version).resolve()
        if target.parent != self.root.resolve():
            raise ModelNotFoundError(f"{what} leaves the model folder {self.root}; refusing it")

    def current_version(self) -> str | None:
        version = self._pointed()
        return version if version and (self.root / version / "manifest.json").exists() else None

    def versions(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(
            p.name for p in self.root.iterdir()
            if p.is_dir() and not p.name.startswith(".") and (p / "manifest.json").exists()
        )

    def load(self, version: str | None = None, *, fallback: bool | None = None) -> Model:
        """The model of ``version`` (default: the current one), verified.

        With ``fallback`` (the default for the current version) a damaged model gives way to
        the newest older version that is whole, with the reason in ``model.warnings``.
        """
        if self.root.exists() and not self.root.is_dir():
            raise ModelNotFoundError(f"MODEL_DIR {self.root} is a file, not a folder")
        if fallback is None:
            fallback = version is None
        if version is not None:
            self._check_name(version, f"model version {version!r}")
            if not (self.root / version).is_dir():
                known = self.versions()
                raise ModelNotFoundError(
                    f"unknown model version {version!r} in {self.root}; "
                    + (f"available: {', '.join(known)}" if known else "no model trained yet")
                )
        version = version or self.current_version()
        if version is None:
            raise ModelNotFoundError(
                f"no trained model in {self.root}; run `artist_listener_train` "
                "(or `make model`) first"
            )
        try:
            return Model.load(self.root / version)
        except DamagedModelError as damage:
            if not fallback:
                raise
            for older in reversed([v for v in self.versions() if v < version]):
                try:
                    model = Model.load(self.root / older)
                except ModelNotFoundError:
                    continue
                note = (f"{damage}; using the previous model {older} until then")
                log.warning("%s", note)
                model.warnings.append(note)
                return model
            raise

    def save(self, model: Model) -> str:
        """Write ``model`` as a new version and make it current; returns the version name."""
        try:
            return self._save(model)
        except OSError as exc:  # a full, read-only or misplaced MODEL_DIR: one line naming it
            from core.failures import os_error

            raise os_error(exc, "MODEL_DIR", self.root) from None

    def _save(self, model: Model) -> str:
        if self.root.exists() and not self.root.is_dir():
            raise ModelNotFoundError(f"MODEL_DIR {self.root} is a file, not a folder")
        self.root.mkdir(parents=True, exist_ok=True)
        self.clean_litter()
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
        try:
            pointer_tmp.write_text(version + "\n")
            os.replace(pointer_tmp, self.root / POINTER)
        except BaseException:
            pointer_tmp.unlink(missing_ok=True)
            raise
        self._prune(keep=version)
        return version

    def clean_litter(self) -> list[Path]:
        """Remove what killed trainings left, unless another training is running right now
        (its ``.incoming-*`` folder is work in progress). Called by every save."""
        from core.litter import remove_unless_busy

        return remove_unless_busy(self.root, LITTER, self.root / TRAIN_LOCK, "training")

    def _prune(self, keep: str) -> None:
        """Keep the newest versions (and the current one), drop older ones."""
        versions = self.versions()
        for old in versions[:-KEEP_VERSIONS]:
            if old != keep:
                shutil.rmtree(self.root / old, ignore_errors=True)


def _fsync_tree(directory: Path) -> None:
    for path in directory.iterdir():
        with open(path, "rb") as fh:
            os.fsync(fh.fileno())
