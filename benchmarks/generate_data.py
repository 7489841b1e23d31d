"""Generated source tables at scale, shaped like the real demo tables, with planted communities.

Why generated: the demo warehouse (HetRec Last.fm, 92,834 rows) is far too small to show where
training bends, and no larger real table may be shipped. Every figure made on this data must
say "generated".

What is reproduced (measured from the demo listens table by ``measure_shape``, never typed in):

* artists per listener: the demo's whole histogram (Last.fm kept each user's top 50 artists,
  so almost every listener has exactly 50) -- or, with ``--listener-tail lognormal``, a heavy
  tail like a label's real stream tables (see below);
* listeners per artist: the demo's heavy tail, as its Lorenz curve (share of all listens held by
  the top x% of artists), stretched over the requested number of artists;
* plays per row: the demo's quantile function, in log space.

What is planted: every artist belongs to one of ``communities`` listener communities and every
listener to one home community; a share ``affinity`` of each listener's artists is drawn from
the home community, the rest from the whole catalogue. A correct model puts artists of one
community next to each other (``tests/test_generate_data.py`` checks it).

Heavy-tailed listeners (``--listener-tail lognormal [--tail-p99 2000] [--tail-sigma 1.5]``):
each listener's number of artists is drawn from a log-normal with that 99th percentile and
sigma (so median = p99 / exp(2.326 sigma), about 61; mean = median * exp(sigma^2 / 2), about
189), rounded, at least 1 and capped at the catalogue size. ``--rows N`` still writes exactly
N rows (fewer, heavier listeners). A heavy listener's artists follow the same home-community /
popularity mixture as everyone's; those the batched redraws cannot fill are drawn by weighted
sampling without replacement from that mixture. Without the option the generated rows are
exactly those made before the option existed, so earlier figures stay valid.

The table is streamed: listeners are generated a chunk at a time (about ``chunk_rows`` rows)
and each chunk is appended to the DuckDB file and/or the Parquet file before the next one is
made, so memory does not grow with the requested size.

Usage::

    .venv/bin/python benchmarks/generate_data.py --rows 50M --out var/bench/gen-50M \\
        [--format duckdb|parquet|both] [--artists N] [--communities 40] [--seed 0] \\
        [--listener-tail demo|lognormal] [--tail-p99 2000] [--tail-sigma 1.5]
    .venv/bin/python benchmarks/generate_data.py --stats var/bench/gen-*/warehouse.duckdb
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from scipy import stats

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from core.tables import ARTIST_GENRES, COUNTRY_STREAMS, USER_ARTIST_STREAMS  # noqa: E402

DEMO_PARQUET = PROJECT_ROOT / "data" / "demo" / f"{USER_ARTIST_STREAMS.name.lower()}.parquet"
#: probabilities at which the demo's plays-per-row quantile function is kept
_PLAY_PROBS = np.concatenate([[0.0], np.logspace(-4, 0, 200)[:-1], 1 - np.logspace(-1, -5, 60)])
#: rank fractions at which the demo's Lorenz curve of listeners per artist is kept
_LORENZ_X = np.concatenate([[0.0], np.logspace(-4.5, 0, 300)])
COUNTRIES = (
    "Argentina", "Australia", "Austria", "Belgium", "Brazil", "Canada", "Chile", "Colombia",
    "Czechia", "Denmark", "Finland", "France", "Germany", "Greece", "Hungary", "Indonesia",
    "Ireland", "Italy", "Japan", "Mexico", "Netherlands", "New Zealand", "Norway", "Peru",
    "Philippines", "Poland", "Portugal", "Spain", "Sweden", "Switzerland", "Turkey",
    "United Kingdom", "United States",
)
STORES = ("spotify", "apple")


# --------------------------------------------------------------------------------------------
# The demo's shape
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """The distributions a generated table reproduces, as measured on a real listens table."""

    degree_values: np.ndarray  # artists per listener: values seen ...
    degree_probs: np.ndarray  # ... and how often
    lorenz_x: np.ndarray  # rank fraction of artists (most listened first)
    lorenz_y: np.ndarray  # share of all (listener, artist) rows those artists hold
    play_probs: np.ndarray  # plays per row: probabilities ...
    play_log_quantiles: np.ndarray  # ... and log(plays) at them
    market_share: float  # share of artists that have country/store rows
    genre_share: float  # share of genre rows whose genre is set

    @property
    def mean_degree(self) -> float:
        return float(self.degree_values @ self.degree_probs)


def measure_shape(listens: pd.DataFrame, market_share: float = 557 / 17632,
                  genre_share: float = 1 - 5499 / 17632) -> Shape:
    """The three distributions of a cleaned listens frame ``(usernum, artistnum, streams)``.

    The defaults of the two small shares are the demo's (557 of 17,632 artists have chart rows;
    5,499 of 17,632 genre rows have no genre): they shape only the two small tables.
    """
    pairs = listens.groupby(["usernum", "artistnum"], as_index=False)["streams"].sum()
    degrees = pairs.groupby("usernum").size().to_numpy()
    values, counts = np.unique(degrees, return_counts=True)
    listeners = np.sort(pairs.groupby("artistnum").size().to_numpy())[::-1]
    cum = np.concatenate([[0.0], np.cumsum(listeners) / listeners.sum()])
    ranks = np.arange(len(listeners) + 1) / len(listeners)
    plays = np.log(pairs["streams"].to_numpy(np.float64))
    return Shape(
        degree_values=values.astype(np.int64), degree_probs=counts / counts.sum(),
        lorenz_x=_LORENZ_X, lorenz_y=np.interp(_LORENZ_X, ranks, cum),
        play_probs=_PLAY_PROBS, play_log_quantiles=np.quantile(plays, _PLAY_PROBS),
        market_share=market_share, genre_share=genre_share,
    )


def demo_shape() -> Shape:
    """The shape of the committed demo listens table (read from its Parquet file)."""
    raw = pd.read_parquet(DEMO_PARQUET, columns=["usernum", "artistnum", "total_streams"])
    streams = pd.to_numeric(raw["total_streams"], errors="coerce")
    keep = (streams > 0) & raw["usernum"].notna() & raw["artistnum"].notna()
    frame = pd.DataFrame({"usernum": raw.loc[keep, "usernum"].astype(np.int64),
                          "artistnum": raw.loc[keep, "artistnum"].astype(np.int64),
                          "streams": streams[keep].astype(np.float64)})
    return measure_shape(frame)


def _count_stats(degrees: np.ndarray, listeners: np.ndarray) -> dict[str, float]:
    """Artists per listener (its tail included) and the head share of listeners per artist."""
    listeners = np.sort(listeners)[::-1]
    top = lambda share: listeners[: max(1, round(share * len(listeners)))].sum() / listeners.sum()  # noqa: E731
    return {
        "artists_per_listener_mean": float(degrees.mean()),
        **{f"artists_per_listener_p{q}": float(np.percentile(degrees, q)) for q in (10, 50, 90, 99)},
        "artists_per_listener_max": float(degrees.max()),
        "top_1pct_artists_share": float(top(0.01)),
        "top_10pct_artists_share": float(top(0.10)),
    }


def shape_stats(listens: pd.DataFrame) -> dict[str, float]:
    """The few numbers compared between the demo and a generated table (and printed)."""
    plays = listens["streams"].to_numpy(np.float64)
    return {
        **_count_stats(listens.groupby("usernum").size().to_numpy(),
                       listens.groupby("artistnum").size().to_numpy()),
        "plays_p25": float(np.percentile(plays, 25)),
        "plays_median": float(np.median(plays)),
        "plays_p90": float(np.percentile(plays, 90)),
    }


def warehouse_stats(path: Path) -> dict[str, float]:
    """``shape_stats`` of a DuckDB warehouse's listens table, aggregated inside DuckDB (a 200M
    row table never comes into memory)."""
    t = f'"{USER_ARTIST_STREAMS.name}"'
    con = duckdb.connect(str(path), read_only=True)
    try:
        degrees = con.execute(f"SELECT COUNT(*) AS n FROM {t} GROUP BY usernum").fetchnumpy()["n"]
        listeners = con.execute(f"SELECT COUNT(*) AS n FROM {t} GROUP BY artistnum").fetchnumpy()["n"]
        plays = con.execute(
            f"SELECT quantile_cont(total_streams, [0.25, 0.5, 0.9]) AS q FROM {t}").fetchone()[0]
    finally:
        con.close()
    return {
        **_count_stats(degrees, listeners),
        "plays_p25": float(plays[0]), "plays_median": float(plays[1]), "plays_p90": float(plays[2]),
    }


# --------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------


def parse_rows(text: str) -> int:
    """``1M``, ``50M``, ``200k`` or a plain number."""
    text = text.strip().lower().replace("_", "")
    scale = {"k": 1_000, "m": 1_000_000, "g": 1_000_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if scale > 1 else text) * scale)


def default_artists(rows: int) -> int:
    """Catalogue size for ``rows``: grows like sqrt(rows) from the demo's 17,632 artists at
    92,834 rows (Heaps' law; Last.fm 360K, 17.5M rows, has ~160-290k artists), capped at
    100,000 — the catalogue a label's listener table realistically spans."""
    return int(min(100_000, max(1_000, round(17_632 * math.sqrt(rows / 92_834)))))


_Z99 = float(stats.norm.ppf(0.99))


@dataclass(frozen=True)
class LogNormalTail:
    """Artists per listener from a log-normal with this 99th percentile and sigma (of the log),
    instead of the demo's histogram: real stream tables have listeners with thousands."""

    p99: float = 2000.0
    sigma: float = 1.5

    def __post_init__(self) -> None:
        if not (self.sigma > 0 and math.isfinite(self.sigma)):
            raise ValueError(f"tail sigma must be a positive number, got {self.sigma}")
        if not (self.p99 >= 2 and math.isfinite(self.p99)):
            raise ValueError(f"tail p99 must be at least 2 artists, got {self.p99}")

    @property
    def median(self) -> float:
        return self.p99 / math.exp(_Z99 * self.sigma)

    @property
    def mean(self) -> float:
        """Of the continuous log-normal, before rounding and the catalogue cap."""
        return self.median * math.exp(self.sigma**2 / 2)


@lru_cache(maxsize=8)
def _lognormal_degrees(tail: LogNormalTail, cap: int) -> tuple[np.ndarray, np.ndarray]:
    """The log-normal rounded to 1, 2, ..., ``cap`` (the mass above ``cap`` lands on it)."""
    edges = np.concatenate([[0.0], np.arange(1, cap) + 0.5, [np.inf]])
    probs = np.diff(stats.lognorm.cdf(edges, s=tail.sigma, scale=tail.median))
    return np.arange(1, cap + 1, dtype=np.int64), probs / probs.sum()


@dataclass(frozen=True)
class Spec:
    """What to generate; everything else follows from the demo's ``Shape``."""

    rows: int
    artists: int
    communities: int = 40
    affinity: float = 0.6
    seed: int = 0
    chunk_rows: int = 2_000_000
    tail: LogNormalTail | None = None  # artists per listener; None: the demo's histogram


def listener_degrees(spec: Spec, shape: Shape) -> tuple[np.ndarray, np.ndarray]:
    """Artists per listener to draw from: values and their probabilities."""
    if spec.tail is None:
        return shape.degree_values, shape.degree_probs
    return _lognormal_degrees(spec.tail, spec.artists)


def mean_degree(spec: Spec, shape: Shape) -> float:
    values, probs = listener_degrees(spec, shape)
    return float(values @ probs)


@dataclass(frozen=True)
class Catalogue:
    """Per-artist facts fixed before any listener is drawn."""

    popularity: np.ndarray  # target share of rows, by artistnum
    weight: np.ndarray  # draw weight, calibrated so realized shares meet ``popularity``
    community: np.ndarray  # planted community, by artistnum
    community_order: np.ndarray  # artistnums grouped by community
    community_cum: np.ndarray  # c + cumulative weight within community c, same order
    global_cum: np.ndarray  # cumulative weight by artistnum

    def reweighted(self, weight: np.ndarray) -> Catalogue:
        """The same catalogue drawing with ``weight`` instead."""
        order, community = self.community_order, self.community[self.community_order]
        within = weight[order]
        n_comm = int(self.community.max()) + 1
        sums = np.bincount(community, weights=within, minlength=n_comm)
        cum = np.cumsum(within)
        starts = np.minimum(np.searchsorted(community, np.arange(n_comm)), len(order) - 1)
        cum = cum - np.repeat(cum[starts] - within[starts], np.diff(np.append(starts, len(order))))
        return Catalogue(self.popularity, weight, self.community, order,
                         community + cum / sums[community], np.cumsum(weight))


def catalogue(spec: Spec, shape: Shape, calibrate: bool = True) -> Catalogue:
    """Popularity from the demo's Lorenz curve; ids shuffled so id order says nothing.

    Draw weights are then calibrated on a sample of listeners: a listener keeps an artist once
    however often it is drawn, and community draws concentrate on fewer listeners, so raw
    weights would flatten the head of the tail; a few multiplicative corrections restore it.
    """
    rng = np.random.default_rng([spec.seed, 1])
    n = spec.artists
    by_rank = np.diff(np.interp(np.arange(n + 1) / n, shape.lorenz_x, shape.lorenz_y))
    by_rank = np.maximum(by_rank, 1e-12)
    popularity = np.empty(n)
    popularity[rng.permutation(n)] = by_rank / by_rank.sum()
    community = rng.integers(0, spec.communities, n)
    order = np.lexsort((np.arange(n), community))
    cat = Catalogue(popularity, popularity, community, order, np.empty(0), np.empty(0))
    cat = cat.reweighted(popularity)
    if not calibrate:
        return cat
    # about a million rows (20,000 demo listeners), however heavy the listeners are
    sample_users = min(listener_count(spec, shape), 20_000,
                       int(1_000_000 / mean_degree(spec, shape)))
    for step in range(5):
        frame = _draw(spec, shape, cat, np.arange(sample_users),
                      np.random.default_rng([spec.seed, 5, step]))
        got = np.bincount(frame["artistnum"], minlength=n)
        # shrunk towards 1 where few draws were seen, so sampling noise is not amplified
        ratio = (popularity * len(frame) + 5.0) / (got + 5.0)
        cat = cat.reweighted(cat.weight * np.clip(ratio, 0.2, 5.0))
    return cat


def listener_count(spec: Spec, shape: Shape) -> int:
    """How many listeners ``spec.rows`` rows hold on average."""
    return int(math.ceil(spec.rows / mean_degree(spec, shape)))


def _draw(spec: Spec, shape: Shape, cat: Catalogue, users: np.ndarray,
          rng: np.random.Generator) -> pd.DataFrame:
    """The listens of ``users``: ``(usernum, artistnum, streams, community)``, sorted."""
    home = rng.integers(0, spec.communities, len(users))
    values, probs = listener_degrees(spec, shape)
    degree = rng.choice(values, size=len(users), p=probs)
    kept_user, kept_artist = np.empty(0, np.int64), np.empty(0, np.int64)
    need = degree.copy()
    for _ in range(8):  # redraw for listeners still short of their artist count
        short = np.flatnonzero(need > 0)
        if len(short) == 0:
            break
        user_of = np.repeat(short, need[short] + need[short] // 2 + 4)
        from_home = rng.random(len(user_of)) < spec.affinity
        u = rng.random(len(user_of))
        artist = np.empty(len(user_of), np.int64)
        pos = np.searchsorted(cat.community_cum, home[user_of[from_home]] + u[from_home],
                              side="right")
        artist[from_home] = cat.community_order[np.minimum(pos, spec.artists - 1)]
        artist[~from_home] = np.minimum(
            np.searchsorted(cat.global_cum, u[~from_home] * cat.global_cum[-1], side="right"),
            spec.artists - 1)
        # drop repeats (earlier draws win), then keep each listener's first ``degree`` artists
        all_user = np.concatenate([kept_user, user_of])
        all_artist = np.concatenate([kept_artist, artist])
        _, first = np.unique(all_user * spec.artists + all_artist, return_index=True)
        first = first[np.lexsort((first, all_user[first]))]
        by_user = all_user[first]
        rank = np.arange(len(first)) - np.searchsorted(by_user, by_user)
        first = first[rank < degree[by_user]]
        kept_user, kept_artist = all_user[first], all_artist[first]
        need = degree - np.bincount(kept_user, minlength=len(users))
    # only with a tail: the demo path keeps its output byte for byte (at catalogues of a few
    # thousand artists some of its listeners end a few artists short)
    if spec.tail is not None and need.any():
        extra_user, extra_artist = _fill_short(spec, cat, home, kept_user, kept_artist, need, rng)
        kept_user = np.concatenate([kept_user, extra_user])
        kept_artist = np.concatenate([kept_artist, extra_artist])
    frame = pd.DataFrame({"usernum": users[kept_user], "artistnum": kept_artist})
    frame = frame.sort_values(["usernum", "artistnum"], ignore_index=True)
    logs = np.interp(rng.random(len(frame)), shape.play_probs, shape.play_log_quantiles)
    frame["streams"] = np.maximum(1, np.rint(np.exp(logs))).astype(np.int64)
    frame["community"] = home[np.searchsorted(users, frame["usernum"].to_numpy())].astype(np.int16)
    return frame


def _fill_short(spec: Spec, cat: Catalogue, home: np.ndarray, kept_user: np.ndarray,
                kept_artist: np.ndarray, need: np.ndarray, rng: np.random.Generator,
                ) -> tuple[np.ndarray, np.ndarray]:
    """The missing artists of listeners the redraws left short (heavy listeners keep drawing
    artists they already have), by weighted sampling without replacement (Efraimidis-Spirakis
    keys) from the same mixture: ``affinity`` home community, the rest the whole catalogue."""
    community_weight = np.bincount(cat.community, weights=cat.weight, minlength=spec.communities)
    anywhere = (1 - spec.affinity) * cat.weight / cat.weight.sum()
    at_home = spec.affinity * cat.weight / community_weight[cat.community]
    starts = np.searchsorted(kept_user, np.arange(len(need) + 1))  # kept_user is sorted
    extra_user, extra_artist = [], []
    for user in np.flatnonzero(need):
        weight = anywhere + np.where(cat.community == home[user], at_home, 0.0)
        # floored so a zero weight (affinity 1, away from home) still ranks before a kept artist
        keys = rng.exponential(size=spec.artists) / np.maximum(weight, 1e-300)
        keys[kept_artist[starts[user]:starts[user + 1]]] = np.inf
        extra_artist.append(np.argpartition(keys, need[user] - 1)[: need[user]])
        extra_user.append(np.full(need[user], user))
    return np.concatenate(extra_user), np.concatenate(extra_artist)


def listen_chunks(spec: Spec, shape: Shape, cat: Catalogue | None = None,
                  ) -> Iterator[pd.DataFrame]:
    """``(usernum, artistnum, streams, community)`` frames, one chunk of listeners each.

    Exactly ``spec.rows`` rows in all, no duplicate (listener, artist) pair; listeners are
    numbered 0, 1, 2, ... and added until the requested rows are reached.
    """
    cat = cat or catalogue(spec, shape)
    users_per_chunk = max(1, int(spec.chunk_rows / mean_degree(spec, shape)))
    left, first, chunk = spec.rows, 0, 0
    while left > 0:
        users = np.arange(first, first + users_per_chunk)
        frame = _draw(spec, shape, cat, users, np.random.default_rng([spec.seed, 2, chunk]))
        frame = frame.iloc[:left]
        left -= len(frame)
        first += users_per_chunk
        chunk += 1
        yield frame


def artist_name(artistnum: np.ndarray) -> np.ndarray:
    return np.char.add("Generated Artist ", np.char.zfill(artistnum.astype(str), 6))


def _listens_arrow(frame: pd.DataFrame, names: pa.Array) -> pa.Table:
    """The contract's columns; names dictionary-encoded so no per-row Python string is made."""
    artists = pa.array(frame["artistnum"].to_numpy(np.int64))
    users = frame["usernum"].to_numpy(np.int64)
    uniq, inverse = np.unique(users, return_inverse=True)
    user_dict = pa.array(np.char.add("g", uniq.astype(str)))
    return pa.table({
        "artistname": pa.DictionaryArray.from_arrays(
            pa.array(frame["artistnum"].to_numpy(np.int32)), names).cast(pa.string()),
        "artistnum": artists,
        "userid": pa.DictionaryArray.from_arrays(pa.array(inverse.astype(np.int32)),
                                                 user_dict).cast(pa.string()),
        "usernum": pa.array(users),
        "total_streams": pa.array(frame["streams"].to_numpy(np.int64)),
    })


def genre_table(spec: Spec, shape: Shape, cat: Catalogue) -> pd.DataFrame:
    """One row per artist; the genre follows the planted community (unset for some, as in the
    demo), countries a few drawn per artist."""
    rng = np.random.default_rng([spec.seed, 3])
    n = spec.artists
    genre = np.char.add("genre-", np.char.zfill(cat.community.astype(str), 2)).astype(object)
    genre[rng.random(n) > shape.genre_share] = None
    countries = np.array(COUNTRIES, dtype=object)
    picks = rng.integers(0, len(COUNTRIES), (n, 2))
    countrylist = [f"{countries[a]},{countries[b]}" if a != b else countries[a] for a, b in picks]
    return pd.DataFrame({"artistname": artist_name(np.arange(n)), "countrylist": countrylist,
                         "genreid": genre})


def country_table(spec: Spec, shape: Shape, cat: Catalogue) -> pd.DataFrame:
    """Chart streams for the most popular ``market_share`` of artists, in every country and
    store, with each community preferring its own countries (so market peers mean something)."""
    rng = np.random.default_rng([spec.seed, 4])
    n_market = max(1, round(shape.market_share * spec.artists))
    artists = np.argsort(-cat.popularity, kind="stable")[:n_market]
    taste = rng.gamma(0.5, 1.0, (spec.communities, len(COUNTRIES)))
    a, c, s = np.meshgrid(artists, np.arange(len(COUNTRIES)), np.arange(len(STORES)),
                          indexing="ij")
    a, c, s = a.ravel(), c.ravel(), s.ravel()
    level = cat.popularity[a] * 1e9 * taste[cat.community[a], c] * np.where(s == 0, 1.0, 0.3)
    streams = np.rint(level * rng.lognormal(0, 0.5, len(a))).astype(np.int64)
    frame = pd.DataFrame({"artistnum": a, "artistname": artist_name(a),
                          "countryname": np.array(COUNTRIES)[c], "storename": np.array(STORES)[s],
                          "total_streams": streams})
    return frame[frame["total_streams"] > 0].reset_index(drop=True)


_LISTEN_DDL = ("artistname VARCHAR, artistnum BIGINT, userid VARCHAR, usernum BIGINT, "
               "total_streams BIGINT")


def write(spec: Spec, out: Path, formats: tuple[str, ...] = ("duckdb",), shape: Shape | None = None,
          progress: bool = True) -> dict[str, object]:
    """Write the three tables under ``out`` (``warehouse.duckdb`` and/or ``*.parquet``).

    The DuckDB file is written as ``.partial`` and renamed when complete, so an interrupted run
    never leaves a file that looks finished.
    """
    shape = shape or demo_shape()
    cat = catalogue(spec, shape)
    out.mkdir(parents=True, exist_ok=True)
    names = pa.array(artist_name(np.arange(spec.artists)))
    con, writer, db_path = None, None, out / "warehouse.duckdb"
    partial = db_path.with_name(db_path.name + ".partial")
    if "duckdb" in formats:
        partial.unlink(missing_ok=True)
        con = duckdb.connect(str(partial))
        con.execute(f'CREATE TABLE "{USER_ARTIST_STREAMS.name}" ({_LISTEN_DDL})')
    parquet = out / f"{USER_ARTIST_STREAMS.name.lower()}.parquet"
    start, rows, listeners = time.perf_counter(), 0, 0
    try:
        for frame in listen_chunks(spec, shape, cat):
            table = _listens_arrow(frame, names)
            if con is not None:
                con.register("chunk", table)
                con.execute(f'INSERT INTO "{USER_ARTIST_STREAMS.name}" SELECT * FROM chunk')
                con.unregister("chunk")
            if "parquet" in formats:
                if writer is None:
                    writer = pq.ParquetWriter(parquet, table.schema, compression="zstd")
                writer.write_table(table)
            rows += len(frame)
            listeners = int(frame["usernum"].iat[-1]) + 1  # numbered 0, 1, ...; none is empty
            if progress:
                print(f"\r{rows:,} / {spec.rows:,} rows ({time.perf_counter() - start:.0f} s)",
                      end="", file=sys.stderr, flush=True)
        genres, country = genre_table(spec, shape, cat), country_table(spec, shape, cat)
        if con is not None:
            for contract, small in ((ARTIST_GENRES, genres), (COUNTRY_STREAMS, country)):
                con.register("small", small)
                con.execute(f'CREATE TABLE "{contract.name}" AS SELECT * FROM small')
                con.unregister("small")
            con.close()
            con = None
            partial.replace(db_path)
        if "parquet" in formats:
            genres.to_parquet(out / f"{ARTIST_GENRES.name.lower()}.parquet", index=False)
            country.to_parquet(out / f"{COUNTRY_STREAMS.name.lower()}.parquet", index=False)
    finally:
        if writer is not None:
            writer.close()
        if con is not None:
            con.close()
    if progress:
        print(file=sys.stderr)
    np.save(out / "communities.npy", cat.community)
    return {"rows": rows, "listeners": listeners, "seconds":
            round(time.perf_counter() - start, 1), **asdict(spec)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", help="e.g. 1M, 10M, 50M, 200M")
    p.add_argument("--out", type=Path, help="folder (keep it under var/bench)")
    p.add_argument("--stats", type=Path, nargs="*", metavar="WAREHOUSE",
                   help="instead: compare the shape of these DuckDB warehouses with the demo's")
    p.add_argument("--format", choices=["duckdb", "parquet", "both"], default="duckdb")
    p.add_argument("--artists", type=int, help="catalogue size (default grows with rows)")
    p.add_argument("--communities", type=int, default=40)
    p.add_argument("--affinity", type=float, default=0.6)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--listener-tail", choices=["demo", "lognormal"], default="demo",
                   help="artists per listener: the demo's histogram (Last.fm kept each user's "
                        "top 50) or a heavy log-normal tail like real stream tables")
    p.add_argument("--tail-p99", type=float, metavar="ARTISTS",
                   help=f"lognormal: 99th percentile of artists per listener "
                        f"(default {LogNormalTail.p99:g})")
    p.add_argument("--tail-sigma", type=float, metavar="SIGMA",
                   help=f"lognormal: sigma of log(artists per listener) "
                        f"(default {LogNormalTail.sigma:g})")
    args = p.parse_args(argv)
    if args.stats:
        demo = shape_stats(pd.read_parquet(DEMO_PARQUET).rename(columns={"total_streams": "streams"}))
        table = pd.DataFrame({"demo (real)": demo} | {f"generated {w.parent.name}": warehouse_stats(w)
                                                      for w in args.stats})
        print(table.round(3).to_string())
        return 0
    if not args.rows or not args.out:
        p.error("--rows and --out are required")
    rows = parse_rows(args.rows)
    artists = args.artists or default_artists(rows)
    tail = None
    if args.listener_tail == "lognormal":
        given = {"p99": args.tail_p99, "sigma": args.tail_sigma}
        try:
            tail = LogNormalTail(**{k: v for k, v in given.items() if v is not None})
        except ValueError as error:
            p.error(str(error))
        if tail.p99 > artists:
            p.error(f"--tail-p99 {tail.p99:g} exceeds the catalogue ({artists:,} artists)")
    elif args.tail_p99 is not None or args.tail_sigma is not None:
        p.error("--tail-p99 and --tail-sigma need --listener-tail lognormal")
    spec = Spec(rows, artists, args.communities, args.affinity, args.seed, tail=tail)
    formats = ("duckdb", "parquet") if args.format == "both" else (args.format,)
    info = write(spec, args.out, formats)
    print(f"generated data: {info}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
