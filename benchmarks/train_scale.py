"""Training at scale on generated data: our pipeline against the seed design and ``implicit``.

Every measurement runs in its own subprocess, so each one's peak memory is its own (the worker
reports ``getrusage(RUSAGE_SELF).ru_maxrss``; the parent also samples the child with psutil so
a run killed at the timeout still has a figure) and a run that exceeds ``--timeout`` is killed
and reported as such.

Variants (all on the same generated DuckDB files, see ``generate_data.py``):

* ``memory``   - ``core.training.train`` (``mode="memory"``, the default hybrid similarity) +
  ``ModelStore.save``: warehouse -> saved model;
* ``memory-nocap`` - the same without the per-listener cap (``LISTENER_CAP=0``);
* ``previous`` - the previous engine (blockwise numpy hybrid), the ``memory`` worker of another
  checkout given with ``--previous PATH`` (e.g. ``git worktree add /tmp/prev 2ea4880``);
* ``cosine``   - the same with ``--similarity cosine`` (the faster, lower-quality option);
* ``seed``     - the seed design: whole table to pandas, log, TruncatedSVD(1000), Normalizer,
  BayesianGaussianMixture(10);
* ``implicit`` - the factorization step with ``implicit`` ALS (64 factors, 15 iterations,
  BM25 weighting), compared with our weight + factorize steps;
* ``pushdown`` - ``core.training.pushdown.PushdownSVD`` alone (the factorization run inside
  DuckDB, ``--duckdb-memory`` bounding DuckDB's own memory); reports bytes fetched;
* ``pushdown-train`` - the whole product training with ``mode="pushdown"`` (what ``auto``
  picks for a table too large for memory): pushed-down SVD and the same hybrid similarity,
  its co-listening pairs computed in DuckDB (``--duckdb-memory``, else the product's default
  limit; spilling to ``--duckdb-temp``, whose peak size is reported), saved model.

Sizes name folders ``gen-SIZE`` under ``--data``; ``10M-heavy`` is the heavy-tailed table
(``generate_data.py --listener-tail lognormal``).

Usage::

    .venv/bin/python benchmarks/train_scale.py --sizes 100k,1M,10M,50M \\
        --variants memory,cosine,seed,implicit --timeout 900
    .venv/bin/python benchmarks/train_scale.py --sizes 50M,200M --variants pushdown --tag pushdown

Prints one table, writes ``benchmarks/results/train_scale[-TAG].csv`` and ``.png``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import itertools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESULTS = PROJECT_ROOT / "benchmarks" / "results"
DATA = PROJECT_ROOT / "var" / "bench"
TARGETS = {"seconds_50M": 60.0, "rss_gb_50M": 3.5, "seed_speedup": 20.0,
           "implicit_share_10M": 0.5, "pushdown_rss_growth": 1.25}
#: plot legends: which variants are a whole training and which only a part of one
LABELS = {"memory": "memory (hybrid, whole training)", "cosine": "cosine (whole training)",
          "memory-nocap": "memory, no listener cap", "previous": "previous engine (whole training)",
          "implicit": "implicit (read + BM25 + ALS only)", "seed": "seed (whole pipeline)",
          "pushdown": "pushdown (factorization only)", "pushdown-train": "pushdown (whole training)"}


# --------------------------------------------------------------------------------------------
# Workers (run in a subprocess; print one JSON line)
# --------------------------------------------------------------------------------------------


def _timed(steps: dict[str, float], name: str, start: float) -> float:
    now = time.perf_counter()
    steps[name] = round(now - start, 3)
    return now


def work_memory(db: str, similarity: str = "hybrid", mode: str = "memory",
                duckdb_memory: str | None = None, duckdb_temp: str | None = None,
                **params: Any) -> dict[str, Any]:
    """Warehouse to saved model through the product's own ``train`` and ``ModelStore``;
    ``duckdb_memory`` and ``duckdb_temp`` are what ``DUCKDB_MEMORY_LIMIT`` and
    ``DUCKDB_TEMP_DIRECTORY`` would set for a pushed-down training."""
    from core.model import ModelStore
    from core.training import TrainingParams, train
    from core.warehouse.duckdb import DuckDBWarehouse

    warehouse = (DuckDBWarehouse(db, memory_limit=duckdb_memory, temp_directory=duckdb_temp)
                 if duckdb_temp else DuckDBWarehouse(db, memory_limit=duckdb_memory))
    model = train(warehouse, TrainingParams(mode=mode, similarity=similarity,
                                            **{k: v for k, v in params.items() if v is not None}))
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        ModelStore(tmp).save(model)
    steps = dict(model.manifest["timings_seconds"])
    steps["save"] = round(time.perf_counter() - start, 3)
    counts = model.manifest["counts"]
    out = {"steps": steps, "artists": int(counts["artists"]), "pairs": int(counts["pairs"]),
           "similarity": model.manifest["params"]["similarity"]}
    for key in ("bytes_fetched", "co_listening_parts", "candidate_rows"):
        if key in counts:
            out[key] = int(counts[key])
    return out


def work_seed(db: str) -> dict[str, Any]:
    """The seed design, step for step: everything in pandas, then sklearn."""
    import duckdb
    import numpy as np
    import scipy.sparse as sp
    from sklearn.decomposition import TruncatedSVD
    from sklearn.mixture import BayesianGaussianMixture
    from sklearn.preprocessing import Normalizer

    steps: dict[str, float] = {}
    t = time.perf_counter()
    con = duckdb.connect(db, read_only=True)
    frame = con.execute('SELECT * FROM "USER_ARTIST_STREAMS_FILTERED_WITH_IDS"').df()
    con.close()
    frame = frame[frame["total_streams"] > 0]
    artists = frame["artistnum"].astype("category")
    users = frame["usernum"].astype("category")
    matrix = sp.csr_matrix(
        (np.log(frame["total_streams"].to_numpy(np.float64)),
         (artists.cat.codes.to_numpy(), users.cat.codes.to_numpy())),
        shape=(len(artists.cat.categories), len(users.cat.categories)),
    )
    t = _timed(steps, "read", t)
    k = min(1000, min(matrix.shape) - 1)
    raw = TruncatedSVD(k, random_state=0).fit_transform(matrix)
    t = _timed(steps, "factorize", t)
    features = Normalizer().fit_transform(raw)
    t = _timed(steps, "normalize", t)
    BayesianGaussianMixture(n_components=10, random_state=0).fit(features)
    _timed(steps, "cluster", t)
    return {"steps": steps, "artists": int(matrix.shape[0]), "pairs": int(matrix.nnz)}


def work_implicit(db: str) -> dict[str, Any]:
    """``implicit`` ALS as the factorization step, on the matrix our read step builds."""
    import numpy as np
    from implicit.cpu.als import AlternatingLeastSquares
    from implicit.nearest_neighbours import bm25_weight
    from threadpoolctl import threadpool_limits

    from core.training.matrix import build_listen_matrix
    from core.warehouse.duckdb import DuckDBWarehouse

    steps: dict[str, float] = {}
    t = time.perf_counter()
    listens = build_listen_matrix(DuckDBWarehouse(db).iter_listens())
    listens = listens.keep_artists(listens.listeners >= 2)
    t = _timed(steps, "read", t)
    weighted = bm25_weight(listens.streams, K1=100, B=0.8).astype(np.float32)
    t = _timed(steps, "weight", t)
    # as implicit asks ("OpenBLAS is configured to use 2 threads ... severe performance
    # issues"): BLAS on one thread, implicit's own threads on every core
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(factors=64, iterations=15, regularization=0.05,
                                        random_state=0)
        model.fit(weighted.T.tocsr(), show_progress=False)  # users x items; artists are items
    _timed(steps, "factorize", t)
    return {"steps": steps, "artists": int(listens.streams.shape[0]),
            "pairs": int(listens.streams.nnz)}


def work_pushdown(db: str, memory_limit: str | None, n_iter: int | None) -> dict[str, Any]:
    """The factorization pushed down into DuckDB: only artist-side numbers come back."""
    import duckdb

    from core.training.pushdown import N_ITER, PushdownSVD

    t = time.perf_counter()
    con = duckdb.connect(db, read_only=True)
    svd = PushdownSVD(n_iter=N_ITER if n_iter is None else n_iter, memory_limit=memory_limit)
    svd.fit(con)
    ids, counts = svd.artist_ids_, svd.counts_
    con.close()
    steps = {f"pd_{k}": v for k, v in counts["seconds"].items()}
    steps["factorize"] = round(time.perf_counter() - t, 3)
    return {"steps": steps, "artists": len(ids), "pairs": counts["pairs"],
            "bytes_fetched": counts["bytes_fetched"], "passes": counts["passes"],
            "user_side_parts": counts["user_side_parts"]}


def worker(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(PROJECT_ROOT))
    import resource

    # A runaway variant must fail here, not wake the kernel's OOM killer on a shared machine.
    cap = int(args.max_memory_gb * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    start = time.perf_counter()
    if args.worker == "pushdown":
        out = work_pushdown(args.db, args.duckdb_memory, args.pushdown_n_iter)
    elif args.worker == "memory":
        out = work_memory(args.db)
    elif args.worker == "memory-nocap":
        out = work_memory(args.db, listener_cap=0)
    elif args.worker == "cosine":
        out = work_memory(args.db, "cosine")
    elif args.worker == "pushdown-train":
        # fewer SVD passes where the full run does not fit a session (memory and bytes
        # fetched do not depend on the number of passes)
        out = work_memory(args.db, mode="pushdown", duckdb_memory=args.duckdb_memory,
                          duckdb_temp=args.duckdb_temp, power_iterations=args.pushdown_n_iter)
    else:
        out = {"seed": work_seed, "implicit": work_implicit}[args.worker](args.db)
    out["wall"] = round(time.perf_counter() - start, 3)
    out["rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print("RESULT " + json.dumps(out), flush=True)
    return 0


# --------------------------------------------------------------------------------------------
# Parent: run, time out, sample memory
# --------------------------------------------------------------------------------------------


@dataclass
class Run:
    variant: str
    size: str
    status: str = "ok"
    wall: float = float("nan")
    rss_mb: float = float("nan")
    steps: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def folder_bytes(path: Path) -> int:
    """Bytes of the files under ``path`` (DuckDB's spill files), 0 when it does not exist."""
    total = 0
    with contextlib.suppress(OSError):
        for root, _, files in os.walk(path):
            for name in files:
                with contextlib.suppress(OSError):
                    total += os.path.getsize(os.path.join(root, name))
    return total


def run_one(variant: str, size: str, db: Path, timeout: float, duckdb_memory: str | None,
            max_memory_gb: float, pushdown_n_iter: int | None = None,
            previous: Path | None = None, duckdb_temp: Path | None = None) -> Run:
    import psutil

    script, cwd = Path(__file__), PROJECT_ROOT
    if variant == "previous":
        if previous is None:
            return Run(variant, size, "skipped: no --previous")
        script, cwd = previous / "benchmarks" / "train_scale.py", previous
    cmd = [sys.executable, str(script), "--worker", "memory" if variant == "previous" else variant,
           "--db", str(db), "--max-memory-gb", str(max_memory_gb)]
    if duckdb_memory:
        cmd += ["--duckdb-memory", duckdb_memory]
    if duckdb_temp is not None and variant == "pushdown-train":
        cmd += ["--duckdb-temp", str(duckdb_temp)]
    if pushdown_n_iter is not None:
        cmd += ["--pushdown-n-iter", str(pushdown_n_iter)]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    load = round(os.getloadavg()[0], 2)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=str(cwd))
    peak, handle, spill = 0, psutil.Process(proc.pid), 0
    while proc.poll() is None:
        with contextlib.suppress(psutil.Error):
            peak = max(peak, handle.memory_info().rss)
        if duckdb_temp is not None and variant == "pushdown-train":
            spill = max(spill, folder_bytes(duckdb_temp))
        if time.perf_counter() - start > timeout:
            proc.kill()
            proc.wait()
            return Run(variant, size, f"timeout>{timeout:.0f}s", rss_mb=round(peak / 2**20, 1),
                       extra={"load": load})
        time.sleep(0.2)
    out, err = proc.communicate()
    lines = [line for line in out.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        tail = (err.strip().splitlines() or ["?"])[-1][:120]
        return Run(variant, size, f"failed: {tail}", rss_mb=round(peak / 2**20, 1),
                   extra={"load": load})
    data = json.loads(lines[-1][len("RESULT "):])
    steps = data.pop("steps")
    if variant == "pushdown-train":
        data["spill_mb"] = round(spill / 2**20)
    return Run(variant, size, "ok", data.pop("wall"), max(data.pop("rss_mb"), peak / 2**20),
               steps, {**data, "load": load})


def factorize_seconds(run: Run) -> float:
    """The factorization step as compared with implicit: weighting + factorization."""
    return run.steps.get("weight", 0.0) + run.steps.get("factorize", float("nan"))


def machine() -> dict[str, str]:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "ram": f"{kb / 2**20:.1f} GiB",
            "python": platform.python_version(),
            "load": " ".join(f"{x:.2f}" for x in os.getloadavg())}


def rows_of(size: str) -> int:
    """Rows of a size name; ``10M-heavy`` is a 10M table of another shape."""
    sys.path.insert(0, str(Path(__file__).parent))
    from generate_data import parse_rows

    return parse_rows(size.split("-")[0])


def report(runs: list[Run], tag: str) -> str:
    """The printed table, the CSV and the plot; returns the table text."""
    lines = ["generated data (benchmarks/generate_data.py); machine: "
             + ", ".join(f"{k} {v}" for k, v in machine().items())]
    header = (f"{'variant':<9} {'rows':>6} {'status':<14} {'wall s':>8} {'peak RSS MB':>11} "
              f"{'load':>5}  steps (s)")
    lines += [header, "-" * len(header)]
    for r in runs:
        steps = ", ".join(f"{k} {v:.1f}" for k, v in r.steps.items())
        extra = "".join(f", {k} {v:,}" if isinstance(v, int) else f", {k} {v}"
                        for k, v in r.extra.items()
                        if k in ("bytes_fetched", "passes", "user_side_parts", "similarity",
                                 "co_listening_parts", "spill_mb"))
        lines.append(f"{r.variant:<9} {r.size:>6} {r.status[:14]:<14} {r.wall:>8.1f} "
                     f"{r.rss_mb:>11.0f} {r.extra.get('load', float('nan')):>5.2f}  {steps}{extra}"
                     + (f"  [{r.status}]" if len(r.status) > 14 else "")
                     + (f"  [earlier run: {r.extra['earlier']}]" if "earlier" in r.extra else ""))
    earlier = sorted({r.extra["earlier"] for r in runs if "earlier" in r.extra})
    lines += ["", "ratios (same data, same run):" if not earlier else
              f"ratios (same data, same machine; rows marked earlier are from {', '.join(earlier)}):"]
    by = {(r.variant, r.size): r for r in runs}
    sizes = list(dict.fromkeys(r.size for r in runs))
    for ours in ("memory", "cosine", "memory-nocap"):
        for size in sizes:
            mine = by.get((ours, size))
            if not mine or mine.status != "ok":
                continue
            nocap = by.get(("memory-nocap", size))
            if ours == "memory" and nocap and nocap.status == "ok":
                lines.append(f"  memory vs no cap   {size:>5}: no-cap wall / capped = "
                             f"{nocap.wall / mine.wall:6.2f}x (neighbours "
                             f"{nocap.steps.get('neighbours', float('nan')):.1f} s vs "
                             f"{mine.steps.get('neighbours', float('nan')):.1f} s)")
            prev = by.get(("previous", size))
            if ours == "memory" and prev and prev.status == "ok":
                lines.append(f"  memory vs previous {size:>5}: previous wall / ours = "
                             f"{prev.wall / mine.wall:6.2f}x ({prev.wall:.1f} s vs {mine.wall:.1f} s)")
            imp = by.get(("implicit", size))
            if imp and imp.status == "ok":
                lines.append(f"  {ours} vs implicit {size:>5}: whole training / implicit read + "
                             f"BM25 + ALS = {mine.wall / imp.wall:5.2f} ({mine.wall:.1f} s vs "
                             f"{imp.wall:.1f} s)")
            seed, imp = by.get(("seed", size)), by.get(("implicit", size))
            if seed and seed.status == "ok":
                lines.append(f"  {ours} vs seed     {size:>5}: seed wall / ours = "
                             f"{seed.wall / mine.wall:6.1f}x")
            elif seed and seed.status.startswith("timeout"):
                lines.append(f"  {ours} vs seed     {size:>5}: seed {seed.status}; ours "
                             f"{mine.wall:.1f} s, so > {float(seed.status[8:-1]) / mine.wall:.1f}x")
            if imp and imp.status == "ok":
                lines.append(f"  {ours} vs implicit {size:>5}: factorization step implicit / ours"
                             f" = {factorize_seconds(imp) / factorize_seconds(mine):6.2f}x "
                             f"({factorize_seconds(imp):.2f} s vs {factorize_seconds(mine):.2f} s)")
    lines += ["", "scaling (per million rows, between consecutive sizes):", *scaling(runs)]
    lines += ["", "targets:", *check_targets(runs)]
    text = "\n".join(lines)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "train_scale" + (f"-{tag}" if tag else "")
    with open(RESULTS / f"{name}.csv", "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["data", "variant", "size", "rows", "status", "wall_s", "peak_rss_mb", "step",
                      "step_s", "extra"])
        for r in runs:
            for step, seconds in (r.steps or {"-": float("nan")}).items():
                out.writerow(["generated", r.variant, r.size, rows_of(r.size), r.status, r.wall,
                              r.rss_mb, step, seconds, json.dumps(r.extra)])
    (RESULTS / f"{name}.txt").write_text(text + "\n")
    try:
        plot(runs, RESULTS / f"{name}.png")
    except ImportError as error:  # after hours of training, the figures matter more than a PNG
        text += f"\n\n(no plot: {error}; pip install -r benchmarks/requirements-bench.txt)"
    return text


def scaling(runs: list[Run]) -> list[str]:
    """Marginal seconds and MB per million rows from one size to the next: near-constant
    figures mean linear scaling; a jump says where the curve bends."""
    out = []
    for variant in dict.fromkeys(r.variant for r in runs):
        ok = sorted((r for r in runs if r.variant == variant and r.status == "ok"),
                    key=lambda r: rows_of(r.size))
        for lo, hi in itertools.pairwise(ok):
            millions = (rows_of(hi.size) - rows_of(lo.size)) / 1e6
            out.append(f"  {variant:<9} {lo.size:>5} -> {hi.size:>5}: "
                       f"{(hi.wall - lo.wall) / millions:6.2f} s and "
                       f"{(hi.rss_mb - lo.rss_mb) / millions:6.1f} MB per extra million rows")
    return out


def check_targets(runs: list[Run]) -> list[str]:
    """The engine issue's targets, each MET or MISSED with the figure behind it."""
    out = []
    by = {(r.variant, r.size): r for r in runs}
    big = by.get(("memory", "50M"))
    if big is not None:
        ok_t = big.status == "ok" and big.wall <= TARGETS["seconds_50M"]
        gb = big.rss_mb * 2**20 / 1e9
        ok_m = big.status == "ok" and gb <= TARGETS["rss_gb_50M"]
        out.append(f"  memory: 50M end to end <= 60 s: {'MET' if ok_t else 'MISSED'} "
                   f"({big.status}, {big.wall:.1f} s); peak RSS <= 3.5 GB: "
                   f"{'MET' if ok_m else 'MISSED'} ({gb:.2f} GB = {big.rss_mb:,.0f} MiB)")
    mine, imp = by.get(("memory", "10M")), by.get(("implicit", "10M"))
    if mine and imp and mine.status == imp.status == "ok":
        share = mine.wall / imp.wall
        out.append(f"  memory: 10M end to end <= 0.5 x implicit's read + BM25 + fit: "
                   f"{'MET' if share <= TARGETS['implicit_share_10M'] else 'MISSED'} "
                   f"({mine.wall:.1f} s vs {imp.wall:.1f} s = {share:.2f}x)")
    for variant in ("pushdown", "pushdown-train"):
        done = [r for r in runs if r.variant == variant and r.status == "ok"]
        if len(done) >= 2:
            lo = min(done, key=lambda r: rows_of(r.size))
            hi = max(done, key=lambda r: rows_of(r.size))
            growth = hi.rss_mb / lo.rss_mb
            out.append(f"  {variant}: peak RSS flat in rows ({lo.size} {lo.rss_mb:.0f} MB -> "
                       f"{hi.size} {hi.rss_mb:.0f} MB, x{growth:.2f}): "
                       f"{'MET' if growth < TARGETS['pushdown_rss_growth'] else 'MISSED'}")
    return out


def plot(runs: list[Run], path: Path) -> None:
    """Wall time and peak RSS against rows, log-log, one line per variant."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(11, 4.2))
    for variant in dict.fromkeys(r.variant for r in runs):
        mine = sorted((r for r in runs if r.variant == variant), key=lambda r: rows_of(r.size))
        ok = [r for r in mine if r.status == "ok"]
        if ok:
            xs = [rows_of(r.size) for r in ok]
            label = LABELS.get(variant, variant)
            ax_t.plot(xs, [r.wall for r in ok], "o-", label=label)
            ax_m.plot(xs, [r.rss_mb / 1024 for r in ok], "o-", label=label)
        for r in mine:
            if r.status.startswith("timeout"):
                ax_t.plot([rows_of(r.size)], [float(r.status[8:-1])], "x", color="red")
                ax_t.annotate(f"{variant} timeout", (rows_of(r.size), float(r.status[8:-1])),
                              fontsize=7)
    for ax, label in ((ax_t, "wall seconds"), (ax_m, "peak RSS (GiB)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("rows (generated data)")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    ax_t.axhline(60, color="grey", ls="--", lw=0.8)
    ax_m.axhline(4e9 / 2**30, color="grey", ls="--", lw=0.8)  # the 4 GB target, in GiB
    fig.suptitle(f"Training at scale — generated data — load {machine()['load']}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def wait_for_quiet(max_minutes: float, threshold: float = 1.5) -> None:
    """Other people's jobs share this machine: wait (up to ``max_minutes``) for the 1-minute
    load to drop to ``threshold``; either way the load is recorded beside every figure."""
    deadline = time.monotonic() + max_minutes * 60
    while os.getloadavg()[0] > threshold and time.monotonic() < deadline:
        print(f"load {os.getloadavg()[0]:.2f} > {threshold}; waiting", flush=True)
        time.sleep(60)
    print(f"starting at load {os.getloadavg()[0]:.2f}", flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="1M,10M,50M")
    p.add_argument("--variants", default="memory,cosine,seed,implicit")
    p.add_argument("--data", type=Path, default=DATA, help="holds gen-SIZE/warehouse.duckdb")
    p.add_argument("--timeout", type=float, default=900.0)
    p.add_argument("--duckdb-memory", help="DuckDB's memory limit for the pushdown variants, e.g. "
                   "2GB (default: the product's, core.warehouse.pushdown_sql.default_duckdb_memory)")
    p.add_argument("--max-memory-gb", type=float, default=14.0,
                   help="address-space cap per run (a larger need fails as MemoryError)")
    p.add_argument("--pushdown-n-iter", type=int,
                   help="power iterations for pushdown (default: the module's; 0 = 3 passes, "
                        "to show memory at sizes where the full run does not fit the session)")
    p.add_argument("--previous", type=Path,
                   help="a checkout of the previous engine, for the 'previous' variant")
    p.add_argument("--duckdb-temp", type=Path, default=DATA / "duckdb-tmp",
                   help="DuckDB's spill folder for pushdown-train (its peak size is reported)")
    p.add_argument("--tag", default="")
    p.add_argument("--merge", type=Path, metavar="CSV",
                   help="an earlier run's CSV: its (variant, size) figures that this run does not "
                        "measure again join the report, marked as earlier (the seed takes ~20 min)")
    p.add_argument("--max-wait-minutes", type=float, default=20.0,
                   help="wait at most this long for the 1-minute load to fall to 1.5")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--db", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return worker(args)
    wait_for_quiet(args.max_wait_minutes)
    runs: list[Run] = []
    gave_up: set[str] = set()
    for size in args.sizes.split(","):
        db = args.data / f"gen-{size}" / "warehouse.duckdb"
        if not db.exists():
            print(f"missing {db}; run generate_data.py --rows {size} --out {db.parent}")
            return 2
        for variant in args.variants.split(","):
            if variant in gave_up:
                # it timed out on a smaller size: a larger one cannot finish in time either
                runs.append(Run(variant, size, "skipped"))
                continue
            run = run_one(variant, size, db, args.timeout, args.duckdb_memory,
                          args.max_memory_gb, args.pushdown_n_iter, args.previous,
                          args.duckdb_temp)
            print(f"{variant:<9} {size:>5} {run.status:<14} {run.wall:8.1f} s "
                  f"{run.rss_mb:8.0f} MB  {run.steps}", flush=True)
            runs.append(run)
            if run.status.startswith("timeout"):
                gave_up.add(variant)
    if args.merge:
        runs = merge_earlier(runs, args.merge)
    print()
    print(report(runs, args.tag))
    return 0


def merge_earlier(runs: list[Run], path: Path) -> list[Run]:
    """This run's figures plus an earlier run's (from its CSV) for the pairs not run now."""
    done = {(r.variant, r.size) for r in runs}
    earlier: dict[tuple[str, str], Run] = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            key = (row["variant"], row["size"])
            if key in done:
                continue
            if key not in earlier:
                extra = json.loads(row["extra"] or "{}")
                extra["earlier"] = path.name
                earlier[key] = Run(row["variant"], row["size"], row["status"],
                                   float(row["wall_s"]), float(row["peak_rss_mb"]), {}, extra)
            if row["step"] != "-":
                earlier[key].steps[row["step"]] = float(row["step_s"])
    order = ["memory", "memory-nocap", "previous", "cosine", "pushdown-train", "pushdown",
             "implicit", "seed"]
    merged = [*earlier.values(), *runs]
    return sorted(merged, key=lambda r: (rows_of(r.size), order.index(r.variant)
                                         if r.variant in order else len(order)))


if __name__ == "__main__":
    raise SystemExit(main())
