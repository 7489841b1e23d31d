"""Hostile cases through the console scripts, run by hand against any checkout:

    python benchmarks/hostile_cases.py [--tree PATH] [--csv OUT]

Each case builds what a hostile user has (a table full of NaN, a DuckDB file held by another
writer, a truncated model file, a password inside NEO4J_URI, ...) in a temporary folder, runs
one console script of the checkout at ``--tree`` (default: this one) with ``PYTHONPATH`` set to
it, and sorts the outcome into one of:

  ok           exit 0 and the answer passed the case's check
  clear error  exit 2 with one ``error:`` line (what a user should see for a problem they can fix)
  traceback    a Python traceback on stderr
  secret       a configured secret in the output
  wrong        exit 0 but the answer failed the case's check (NaN in JSON, two spellings of one
               country, leftovers not removed, ...), or an error where an answer was possible
  other        anything else (e.g. a non-zero exit without a clear line)

The data is generated (a few hundred rows), so each case takes a couple of seconds; the full
run about two minutes. Needs root for the full-disk and read-only cases (a small tmpfs);
elsewhere those are reported as skipped.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent.parent
PASSWORD = "Hostile-pw-9f3"
#: NEO4J_PASSWORD in the cases whose URI carries PASSWORD: a scrubber must know both
OTHER_PASSWORD = "Other-pw-7c1"
LISTENS = "USER_ARTIST_STREAMS_FILTERED_WITH_IDS"
GENRES = "ARTIST_IDS_SINGLE_GENRE"
COUNTRY = "COUNTRY_ARTIST_STREAMS_BY_STORE"


# --------------------------------------------------------------------------------------------
# Generated source tables (every column text, as a loader from CSV would leave them)
# --------------------------------------------------------------------------------------------


def base_rows() -> dict[str, list[tuple]]:
    listens, country, genres = [], [], []
    for g in range(3):
        for u in range(8):
            user = g * 8 + u
            for a in range(5):
                artist = g * 5 + a
                listens.append((f"Artist {artist}", str(artist), f"u{user}", str(user), str(5 + u + a)))
    for artist in range(15):
        for c, land in enumerate(("United States", "Germany", "France", "Brazil")):
            if (artist + c) % 3:
                country.append((str(artist), f"Artist {artist}", land, "spotify", str(100 * (c + 1))))
        genres.append((f"Artist {artist}", "Germany,France", str(artist % 3)))
    return {LISTENS: listens, COUNTRY: country, GENRES: genres}


def write_warehouse(path: Path, tables: dict[str, list[tuple]], double_streams: bool = False,
                    text_ids: bool = False) -> None:
    """Streams as text (or DOUBLE holding real NaN and infinities), ids BIGINT (or text)."""
    columns = {LISTENS: ("artistname", "artistnum", "userid", "usernum", "total_streams"),
               COUNTRY: ("artistnum", "artistname", "countryname", "storename", "total_streams"),
               GENRES: ("artistname", "countrylist", "genreid")}
    con = duckdb.connect(str(path))
    try:
        for name, rows in tables.items():
            cols = columns[name]
            con.execute(f'CREATE OR REPLACE TABLE "{name}" ({", ".join(c + " VARCHAR" for c in cols)})')
            if rows:
                con.executemany(f'INSERT INTO "{name}" VALUES ({", ".join("?" for _ in cols)})', rows)
            if double_streams and "total_streams" in cols:
                con.execute(f'ALTER TABLE "{name}" ALTER total_streams TYPE DOUBLE '
                            "USING TRY_CAST(total_streams AS DOUBLE)")
            for column in ("artistnum", "usernum"):
                if column in cols and not text_ids:
                    con.execute(f'ALTER TABLE "{name}" ALTER {column} TYPE BIGINT '
                                f"USING TRY_CAST({column} AS BIGINT)")
    finally:
        con.close()


def with_rows(**extra: list[tuple]) -> dict[str, list[tuple]]:
    tables = base_rows()
    for key, rows in extra.items():
        tables[{"listens": LISTENS, "country": COUNTRY, "genres": GENRES}[key]] += rows
    return tables


# --------------------------------------------------------------------------------------------
# Running a case
# --------------------------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    group: str
    #: prepares the folder; returns (script, argv, extra env)
    setup: Callable[[Path, Env], tuple[str, list[str], dict[str, str]]]
    #: for exit 0: is the answer right? (stdout, folder) -> bool
    check: Callable[[str, Path], bool] = lambda out, folder: True
    #: exit 2 is the right outcome (bad input): anything else with exit 0 is "wrong"
    expect_error: bool = True
    needs_root: bool = False


@dataclass
class Env:
    tree: Path
    base_model: Path
    base_warehouse: Path
    secrets: list[str] = field(default_factory=lambda: [PASSWORD, OTHER_PASSWORD])

    def run(self, script: str, argv: list[str], env: dict[str, str],
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
        full = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "SNOWFLAKE_"))}
        full.update({"PYTHONPATH": str(self.tree), "WAREHOUSE": "duckdb", "NUM_FEATURES": "4",
                     "NUM_CLUSTERS": "2", **env})
        return subprocess.run([sys.executable, "-m", f"core.cli.{script}", *argv], cwd=self.tree,
                              env=full, capture_output=True, text=True, timeout=timeout, check=False)


def classify(case: Case, done: subprocess.CompletedProcess[str], env: Env, folder: Path) -> str:
    text = done.stdout + done.stderr
    if any(secret in text for secret in env.secrets):
        return "secret"
    if "Traceback" in done.stderr:
        return "traceback"
    lines = [line for line in done.stderr.splitlines() if line.strip() and not line.startswith("\r")
             and not line.startswith(("warning:", "removed ", "["))]
    if done.returncode == 0:
        return "ok" if not case.expect_error and case.check(done.stdout, folder) else "wrong"
    if done.returncode == 2 and len(lines) == 1 and lines[0].startswith("error:"):
        return "clear error"
    return "other"


# --------------------------------------------------------------------------------------------
# The cases
# --------------------------------------------------------------------------------------------


def train_on(tables: dict[str, list[tuple]], double: bool = False, text_ids: bool = False):
    def setup(folder: Path, env: Env):
        write_warehouse(folder / "w.duckdb", tables, double, text_ids)
        return "train", ["--quiet", "--json"], {
            "DUCKDB_PATH": str(folder / "w.duckdb"), "MODEL_DIR": str(folder / "models")}
    return setup


def model_is_finite(out: str, folder: Path) -> bool:
    """The trained model answers every artist with finite JSON (no NaN, no Infinity)."""
    import numpy as np

    root = folder / "models"
    version = (root / "CURRENT").read_text().strip()
    import pandas as pd

    for name in ("features", "neighbour_sim", "geo_peer_sim"):
        if not np.isfinite(np.load(root / version / f"{name}.npy")).all():
            return False
    if not np.isfinite(pd.read_parquet(root / version / "markets.parquet")["streams"]).all():
        return False
    return "NaN" not in out and "Infinity" not in out


def one_spelling_per_country(out: str, folder: Path) -> bool:
    import pandas as pd

    root = folder / "models"
    version = (root / "CURRENT").read_text().strip()
    markets = pd.read_parquet(root / version / "markets.parquet")
    keys = markets["countryname"].str.split().str.join(" ").str.casefold()
    stores = markets["storename"].str.strip().str.casefold()
    return bool(markets["countryname"].groupby(keys).nunique().max() == 1
                and markets["storename"].groupby(stores).nunique().max() == 1
                and model_is_finite(out, folder))


def insights(argv: list[str], damage: Callable[[Path], None] | None = None,
             env_extra: Callable[[Path], dict[str, str]] | None = None):
    def setup(folder: Path, env: Env):
        shutil.copytree(env.base_model, folder / "models")
        if damage:
            damage(folder / "models")
        extra = env_extra(folder) if env_extra else {}
        resolved = [str(folder / a[1:]) if a.startswith("@") else a for a in argv]
        return "insights", resolved, {"MODEL_DIR": str(folder / "models"), **extra}
    return setup


def upload(argv: list[str], env_extra: Callable[[Path], dict[str, str]] | None = None,
           prepare: Callable[[Path, Env], None] | None = None):
    def setup(folder: Path, env: Env):
        shutil.copytree(env.base_model, folder / "models")
        shutil.copy(env.base_warehouse, folder / "w.duckdb")
        if prepare:
            prepare(folder, env)
        extra = env_extra(folder) if env_extra else {}
        resolved = [str(folder / a[1:]) if a.startswith("@") else a for a in argv]
        return "upload", ["--quiet", *resolved], {"MODEL_DIR": str(folder / "models"),
                                                  "DUCKDB_PATH": str(folder / "w.duckdb"), **extra}
    return setup


def current_dir(models: Path) -> Path:
    return models / (models / "CURRENT").read_text().strip()


def second_version(models: Path) -> Path:
    """A copy of the current model as a newer version, made current (so an older one exists)."""
    old = current_dir(models)
    new = models / (old.name[:-1] + ("x" if old.name[-1] != "x" else "y"))
    shutil.copytree(old, new)
    manifest = json.loads((new / "manifest.json").read_text())
    manifest["version"] = new.name
    (new / "manifest.json").write_text(json.dumps(manifest))
    (models / "CURRENT").write_text(new.name + "\n")
    return new


def truncate(name: str, keep_previous: bool = True) -> Callable[[Path], None]:
    def damage(models: Path) -> None:
        target = (second_version(models) if keep_previous else current_dir(models)) / name
        target.write_bytes(target.read_bytes()[: max(1, target.stat().st_size // 3)])
    return damage


def flip(name: str) -> Callable[[Path], None]:
    def damage(models: Path) -> None:
        target = second_version(models) / name
        data = bytearray(target.read_bytes())
        data[len(data) - 5] ^= 0x7F
        target.write_bytes(bytes(data))
    return damage


def inject_nan(models: Path) -> None:
    import numpy as np

    target = second_version(models) / "neighbour_sim.npy"
    array = np.load(target)
    array[:, 0] = np.nan
    np.save(target, array)


def bad_manifest(models: Path) -> None:
    (second_version(models) / "manifest.json").write_text('{"format_version": 1,')


def delete(name: str) -> Callable[[Path], None]:
    return lambda models: (second_version(models) / name).unlink()


def pointer(value: Callable[[Path], str]) -> Callable[[Path], None]:
    def damage(models: Path) -> None:
        (models / "CURRENT").write_text(value(models) + "\n")
    return damage


def outside_copy(models: Path) -> str:
    outside = models.parent / "elsewhere"
    shutil.copytree(current_dir(models), outside)
    return str(outside)


def json_answers(out: str, folder: Path) -> bool:
    try:
        answer = json.loads(out, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    except ValueError:
        return False  # NaN / Infinity are not JSON
    return bool(answer)


@contextlib.contextmanager
def tmpfs(path: Path, size: str, read_only: bool = False) -> Iterator[bool]:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        yield False
        return
    ok = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                        capture_output=True, check=False).returncode == 0
    try:
        yield ok
    finally:
        if ok:
            subprocess.run(["umount", "-l", str(path)], check=False)


HOLDERS: list[subprocess.Popen[str]] = []


def hold(path: Path) -> None:
    """Another process writing to the DuckDB file at ``path`` for the rest of the case."""
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb,time; c=duckdb.connect({str(path)!r});"
                               "print('held', flush=True); time.sleep(120)"],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None
    holder.stdout.readline()
    HOLDERS.append(holder)


def held_train(folder: Path, env: Env):
    script, argv, extra = train_on(base_rows())(folder, env)
    hold(folder / "w.duckdb")
    return script, argv, extra


def litter_then_train(folder: Path, env: Env):
    script, argv, extra = train_on(base_rows())(folder, env)
    (folder / "models" / ".incoming-0123").mkdir(parents=True)
    (folder / "models" / ".incoming-0123" / "features.npy").write_bytes(b"\0" * 1000)
    return script, argv, extra


def no_litter(out: str, folder: Path) -> bool:
    return not list((folder / "models").glob(".incoming-*")) and model_is_finite(out, folder)


def partial_then_export(folder: Path, env: Env):
    script, argv, extra = upload(["neo4j-export", "--out", "@export"])(folder, env)
    (folder / "export").mkdir()
    (folder / "export" / f".nodes.csv.{'a' * 32}.partial").write_text("half")
    return script, argv, extra


def no_partial(out: str, folder: Path) -> bool:
    return not list((folder / "export").glob(".*.partial"))


def full_disk_train(folder: Path, env: Env):
    script, argv, extra = train_on(base_rows())(folder, env)
    disk = folder / "disk"
    ctx = tmpfs(disk, "64k")
    if not ctx.__enter__():
        raise RuntimeError("skip: needs root to mount a tmpfs")
    TEARDOWN.append(lambda: ctx.__exit__(None, None, None))
    with contextlib.suppress(OSError), open(disk / "filler", "wb") as fh:
        while True:
            fh.write(b"\0" * 4096)
    return script, argv, {**extra, "MODEL_DIR": str(disk / "models")}


def read_only_models(command: str):
    def setup(folder: Path, env: Env):
        disk = folder / "ro"
        ctx = tmpfs(disk, "8m")
        if not ctx.__enter__():
            raise RuntimeError("skip: needs root to mount a tmpfs")
        TEARDOWN.append(lambda: ctx.__exit__(None, None, None))
        shutil.copytree(env.base_model, disk, dirs_exist_ok=True)
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        shutil.copy(env.base_warehouse, folder / "w.duckdb")
        argv = ["--quiet"] if command == "train" else ["duckdb", "--quiet"]
        return command, argv, {"MODEL_DIR": str(disk), "DUCKDB_PATH": str(folder / "w.duckdb")}
    return setup


TEARDOWN: list[Callable[[], None]] = []


def names_file(content: bytes):
    def setup(folder: Path, env: Env):
        (folder / "names.txt").write_bytes(content)
        return insights(["similarity", "--names-file", "@names.txt"])(folder, env)
    return setup


def neo4j_env(uri: str) -> Callable[[Path], dict[str, str]]:
    return lambda folder: {"NEO4J_URI": uri, "NEO4J_USER": "ana", "NEO4J_PASSWORD": OTHER_PASSWORD}


def snowflake_env(folder: Path) -> dict[str, str]:
    return {"WAREHOUSE": "snowflake", "SNOWFLAKE_ACCOUNT": "acct", "SNOWFLAKE_USER": "ana",
            "SNOWFLAKE_PASSWORD": PASSWORD, "SNOWFLAKE_DATABASE": "DB", "SNOWFLAKE_SCHEMA": "S",
            "SNOWFLAKE_HOST": "127.0.0.1", "SNOWFLAKE_PORT": "1", "SNOWFLAKE_PROTOCOL": "http"}


def cases() -> list[Case]:
    nan_rows = [(f"Artist {a}", str(a), f"u{u}", str(u), v) for a, u, v in
                [(0, 1, "NaN"), (1, 2, "Infinity"), (2, 3, "-Infinity"), (3, 4, "1e400"), (4, 5, "nan")]]
    ok = {"expect_error": False}
    return [
        Case("NaN / Infinity text streams", "non-finite", train_on(with_rows(listens=nan_rows)),
             model_is_finite, **ok),
        Case("NaN / Infinity DOUBLE streams", "non-finite",
             train_on(with_rows(listens=nan_rows), True), model_is_finite, **ok),
        Case("only NaN streams for one artist", "non-finite", train_on(with_rows(listens=[
            ("Solo", "99", f"u{u}", str(u), "NaN") for u in range(5)])), model_is_finite, **ok),
        Case("Infinity market streams", "non-finite", train_on(with_rows(country=[
            ("0", "Artist 0", "Chile", "spotify", "Infinity"), ("1", "Artist 1", "Peru", "spotify", "NaN")])),
             model_is_finite, **ok),
        Case("VARCHAR ids that are not numbers", "non-finite", train_on(with_rows(listens=[
            ("Artist 0", "x", "u1", "1", "3"), ("Artist 0", "0", "u1", "abc", "3")]), text_ids=True),
             model_is_finite, **ok),
        Case("fractional ids", "non-finite", train_on(with_rows(listens=[
            ("Artist 0", "1.5", "u1", "1", "3"), ("Artist 0", "0", "u1", "2.5", "3")]), text_ids=True),
             model_is_finite, **ok),
        Case("id past BIGINT", "non-finite", train_on(with_rows(listens=[
            ("Artist 0", "99999999999999999999", "u1", "1", "3")]), text_ids=True),
             model_is_finite, **ok),
        Case("every stream unusable", "non-finite", train_on({LISTENS: nan_rows, COUNTRY: [], GENRES: []})),
        Case("country in other case and spacing", "names", train_on(with_rows(country=[
            ("0", "Artist 0", " united states ", "spotify", "50"),
            ("1", "Artist 1", "UNITED  STATES", "Spotify ", "50"),
            ("2", "Artist 2", "germany\t", "spotify", "50")])), one_spelling_per_country, **ok),
        Case("store in other case and spacing", "names", train_on(with_rows(country=[
            ("0", "Artist 0", "Germany", " SPOTIFY", "50")])), one_spelling_per_country, **ok),
        Case("conflicting duplicate genre rows", "names", train_on(with_rows(genres=[
            ("Artist 0", "Brazil", "2"), (" Artist 0 ", "Chile", "1")])), model_is_finite, **ok),
        Case("DUCKDB_PATH is a folder", "resources", lambda f, e: (
            f.joinpath("w.duckdb").mkdir(), ("train", ["--quiet"], {"DUCKDB_PATH": str(f / "w.duckdb"),
                                                                   "MODEL_DIR": str(f / "m")}))[1]),
        Case("DUCKDB_PATH is not a DuckDB file", "resources", lambda f, e: (
            f.joinpath("w.duckdb").write_text("hello"), ("train", ["--quiet"], {
                "DUCKDB_PATH": str(f / "w.duckdb"), "MODEL_DIR": str(f / "m")}))[1]),
        Case("DuckDB held by another writer (train)", "resources", held_train),
        Case("DuckDB held by another writer (upload)", "resources",
             upload(["duckdb"], prepare=lambda f, e: hold(f / "w.duckdb"))),
        Case("MODEL_DIR is a file (train)", "resources", lambda f, e: (
            train_on(base_rows())(f, e), f.joinpath("models").write_text("x"))[0]),
        Case("MODEL_DIR is a file (insights)", "resources", lambda f, e: (
            f.joinpath("models").write_text("x"), ("insights", ["similarity", "Artist 1"],
                                                   {"MODEL_DIR": str(f / "models")}))[1]),
        Case("MODEL_DIR on a full disk", "resources", full_disk_train, needs_root=True),
        Case("MODEL_DIR read-only (train)", "resources", read_only_models("train"), needs_root=True),
        Case("MODEL_DIR read-only (upload)", "resources", read_only_models("upload"),
             expect_error=False, needs_root=True),
        Case("truncated features.npy (older version exists)", "damaged model",
             insights(["similarity", "Artist 1", "--compact"], truncate("features.npy")), json_answers,
             expect_error=False),
        Case("truncated features.npy (only version)", "damaged model",
             insights(["similarity", "Artist 1"], truncate("features.npy", keep_previous=False))),
        Case("flipped byte in neighbour_sim.npy", "damaged model",
             insights(["similarity", "Artist 1", "--compact"], flip("neighbour_sim.npy")), json_answers,
             expect_error=False),
        Case("NaN written into neighbour_sim.npy", "damaged model",
             insights(["similarity", "Artist 1", "--compact"], inject_nan), json_answers, expect_error=False),
        Case("manifest.json not JSON", "damaged model",
             insights(["similarity", "Artist 1", "--compact"], bad_manifest), json_answers,
             expect_error=False),
        Case("markets.parquet deleted", "damaged model",
             insights(["geographic", "Artist 1", "--compact"], delete("markets.parquet")), json_answers,
             expect_error=False),
        Case("flipped byte in markets.parquet", "damaged model",
             insights(["geographic", "Artist 1", "--compact"], flip("markets.parquet")), json_answers,
             expect_error=False),
        Case("CURRENT -> ../../etc", "damaged model",
             insights(["similarity", "Artist 1"], pointer(lambda m: "../../etc"))),
        Case("CURRENT -> a folder outside", "damaged model",
             insights(["similarity", "Artist 1"], pointer(outside_copy))),
        Case("names file not UTF-8", "arguments", names_file(b"Artist 1\nCaf\xe9\n")),
        Case("unknown --model-version (insights)", "arguments",
             insights(["similarity", "Artist 1", "--model-version", "nope"])),
        Case("--model-version ../.. (insights)", "arguments",
             insights(["similarity", "Artist 1", "--model-version", "../.."])),
        Case("unknown --model-version (upload)", "arguments", upload(["duckdb", "--model-version", "nope"])),
        Case("negative --min-peers", "arguments", insights(["geographic", "Artist 1", "--min-peers", "-2"])),
        Case("negative --top-n (insights)", "arguments",
             insights(["similarity", "Artist 1", "--top-n", "-1"])),
        Case("negative --top-n (upload)", "arguments", upload(["duckdb", "--top-n", "-1"])),
        Case("password in NEO4J_URI", "secrets",
             upload(["neo4j"], env_extra=neo4j_env(f"bolt://ana:{PASSWORD}@127.0.0.1:1"))),
        Case("password in neo4j+s URI", "secrets",
             upload(["neo4j"], env_extra=neo4j_env(f"neo4j+s://ana:{PASSWORD}@127.0.0.1:1"))),
        Case("password in a wrong-scheme URI", "secrets",
             upload(["neo4j"], env_extra=neo4j_env(f"http://ana:{PASSWORD}@127.0.0.1:1"))),
        Case("Snowflake unreachable", "secrets",
             lambda f, e: ("train", ["--quiet"], {**snowflake_env(f), "MODEL_DIR": str(f / "m")})),
        Case("stale .incoming-* of a killed training", "litter", litter_then_train, no_litter, **ok),
        Case("stale .partial of a killed export", "litter", partial_then_export, no_partial, **ok),
    ]


def run_all(tree: Path) -> list[dict[str, str]]:
    results = []
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        root = Path(tmp)
        write_warehouse(root / "base.duckdb", base_rows())
        env = Env(tree, root / "base-models", root / "base.duckdb")
        trained = env.run("train", ["--quiet"], {"DUCKDB_PATH": str(env.base_warehouse),
                                                 "MODEL_DIR": str(env.base_model)})
        if trained.returncode != 0:
            raise SystemExit(f"cannot train the base model: {trained.stderr}")
        env.run("upload", ["duckdb", "--quiet"], {"DUCKDB_PATH": str(env.base_warehouse),
                                                  "MODEL_DIR": str(env.base_model)})
        for number, case in enumerate(cases()):
            folder = root / f"case{number}"
            folder.mkdir()
            started = time.perf_counter()
            try:
                script, argv, extra = case.setup(folder, env)
                done = env.run(script, argv, extra)
                outcome = classify(case, done, env, folder)
                detail = (done.stderr.strip().splitlines() or [""])[-1][:160]
            except RuntimeError as exc:
                outcome, detail = "skipped", str(exc)
            finally:
                for holder in HOLDERS:
                    holder.kill()
                    holder.wait()
                HOLDERS.clear()
                while TEARDOWN:
                    TEARDOWN.pop()()
            results.append({"case": case.name, "group": case.group, "outcome": outcome,
                            "seconds": f"{time.perf_counter() - started:.1f}", "last line": detail})
            print(f"{outcome:<12} {case.name:<48} {detail}", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree", type=Path, default=HERE, help="checkout whose `core` is run")
    parser.add_argument("--csv", type=Path, help="also write the results here")
    args = parser.parse_args()
    results = run_all(args.tree.resolve())
    print("\n" + ", ".join(f"{k}: {v}" for k, v in Counter(r["outcome"] for r in results).most_common()))
    if args.csv:
        with open(args.csv, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(results[0]))
            writer.writeheader()
            writer.writerows(results)


if __name__ == "__main__":
    main()
