"""A tiny warehouse and model for dashboard tests, built in seconds from hand-made frames.

Three audiences ("scenes") that do not overlap, so similarity and clusters are predictable:
pop artists are similar to pop artists, metal to metal. Some details exist to be tested:

* "Beyoncé" (accent) and "Sigur Rós" for accent-insensitive search;
* "Quiet Pop" has listeners but no chart streams: the Markets page must explain and model it;
* "Lonely Busker" has one listener and is left out at ``min_listeners=2``;
* chart countries include "Singapore" (no shape on the 110m world map) and "Atlantis"
  (not a country), which must be listed under the map, not dropped.

Import the plain functions (not fixtures) so ``tests/conftest.py`` (shared) stays untouched.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.config import Settings
from core.tables import ARTIST_GENRES, COUNTRY_STREAMS, USER_ARTIST_STREAMS
from core.training import TrainingParams, train_and_save
from core.warehouse.duckdb import DuckDBWarehouse

PROJECT_ROOT = Path(__file__).resolve().parent.parent
APP = PROJECT_ROOT / "app.py"

SCENES: dict[str, list[str]] = {
    "pop": ["Lady Gaga", "Britney Spears", "Beyoncé", "Rihanna", "Katy Perry", "Madonna",
            "Quiet Pop"],
    "metal": ["Metallica", "Iron Maiden", "Slayer", "Megadeth", "Anthrax", "Sepultura"],
    "post-rock": ["Sigur Rós", "Mogwai", "Explosions in the Sky", "Godspeed You! Black Emperor",
                  "Mono"],
}
LONELY = "Lonely Busker"
NO_CHARTS = "Quiet Pop"
COUNTRIES = ("United States", "Germany", "Brazil", "Japan", "Singapore", "Atlantis")
STORES = ("spotify", "apple")
TRAIN_PARAMS = TrainingParams(num_features=6, num_clusters=3, min_listeners=2, top_k=15,
                              market_peers=3)


def source_frames(seed: int = 7) -> dict[str, pd.DataFrame]:
    """The three source tables as DataFrames, deterministic for a given seed."""
    rng = np.random.default_rng(seed)
    names = [n for scene in SCENES.values() for n in scene] + [LONELY]
    artistnum = {name: i for i, name in enumerate(names)}
    listens = []
    user = 0
    for scene in SCENES.values():
        for _ in range(24):
            picks = rng.choice(len(scene), size=min(4, len(scene)), replace=False)
            for p in picks:
                listens.append((scene[p], user, int(rng.integers(5, 400))))
            user += 1
    # Popularity order inside a scene: the first names get extra listeners.
    for scene in SCENES.values():
        for rank, name in enumerate(scene[:3]):
            for _ in range(6 - 2 * rank):
                listens.append((name, user, int(rng.integers(50, 900))))
                user += 1
    listens.append((LONELY, 0, 3))
    streams = pd.DataFrame({
        "artistname": [a for a, _, _ in listens],
        "artistnum": [artistnum[a] for a, _, _ in listens],
        "userid": [f"u{u:03d}" for _, u, _ in listens],
        "usernum": [u for _, u, _ in listens],
        "total_streams": [s for _, _, s in listens],
    })
    streams = streams.groupby(["artistname", "artistnum", "userid", "usernum"], as_index=False).sum()

    genres = pd.DataFrame({
        "artistname": names,
        "countrylist": ["United States,Germany"] * len(names),
        "genreid": [scene for scene, members in SCENES.items() for _ in members] + ["folk"],
    })

    charts = []
    for scene in SCENES.values():
        for name in scene:
            if name == NO_CHARTS:
                continue
            for c, country in enumerate(COUNTRIES):
                for s, store in enumerate(STORES):
                    if rng.random() < 0.25:
                        continue
                    charts.append((artistnum[name], name, country, store,
                                   int(1000 * (len(COUNTRIES) - c) * (s + 1) * rng.integers(1, 9))))
    country = pd.DataFrame(charts, columns=list(COUNTRY_STREAMS.columns))
    return {
        USER_ARTIST_STREAMS.name: streams[list(USER_ARTIST_STREAMS.columns)],
        ARTIST_GENRES.name: genres[list(ARTIST_GENRES.columns)],
        COUNTRY_STREAMS.name: country,
    }


def build_warehouse(path: Path) -> Path:
    """Write the three tables into a new DuckDB file at ``path``."""
    warehouse = DuckDBWarehouse(path)
    for table, frame in source_frames().items():
        warehouse.write_table(table, frame)
    return path


def tiny_env(root: Path, *, trained: bool = True) -> dict[str, str]:
    """A warehouse (and, if ``trained``, a model) under ``root``; returns the env vars to use."""
    root.mkdir(parents=True, exist_ok=True)
    db = root / "warehouse.duckdb"
    if not db.exists():
        build_warehouse(db)
    model_dir = root / "models"
    settings = Settings(duckdb_path=db, model_dir=model_dir)
    if trained and not (model_dir / "CURRENT").exists():
        train_and_save(settings, TRAIN_PARAMS)
    return {"DUCKDB_PATH": str(db), "MODEL_DIR": str(model_dir), "WAREHOUSE": "duckdb",
            "NUM_FEATURES": str(TRAIN_PARAMS.num_features),
            "NUM_CLUSTERS": str(TRAIN_PARAMS.num_clusters),
            "TOP_K": str(TRAIN_PARAMS.top_k)}


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Temporarily set environment variables (for code that reads ``Settings.from_env``)."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


# -- a real server and a real browser (tests/test_browser.py, benchmarks/dashboard_latency.py) ----

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROME_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run",
)


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_dashboard(env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen[bytes]:
    """``streamlit run app.py`` as a child process, output to ``log_path``; caller stops it."""
    streamlit = Path(sys.executable).with_name("streamlit")
    log = log_path.open("wb")
    return subprocess.Popen(
        [str(streamlit), "run", str(APP), "--server.port", str(port), "--server.headless", "true",
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=PROJECT_ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
    )


def wait_until_healthy(port: int, process: subprocess.Popen[bytes], timeout: float = 90.0) -> float:
    """Seconds until the server answers its health check; raises if it dies or times out."""
    import urllib.request

    started = time.perf_counter()
    url = f"http://127.0.0.1:{port}/_stcore/health"
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"streamlit did not answer {url} within {timeout:.0f} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server we started (this process only, by its id)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def make_chrome(user_data_dir: Path, width: int = 1440, height: int = 1800) -> Any:
    """Headless Debian Chromium through Selenium, with the network log enabled."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={user_data_dir}")
    options.add_argument(f"--window-size={width},{height}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


def network_problems(performance_log: list[dict[str, Any]], port: int) -> list[str]:
    """Failed requests, HTTP errors and any request that leaves localhost, from the CDP log."""
    import json

    problems: list[str] = []
    urls: dict[str, str] = {}
    for entry in performance_log:
        message = json.loads(entry["message"])["message"]
        method, params = message.get("method"), message.get("params", {})
        if method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            urls[params["requestId"]] = url
            if url.startswith(("http:", "https:", "ws:", "wss:")) and not url.startswith(
                    (f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}")):
                problems.append(f"outside request: {url}")
        elif method == "Network.loadingFailed":
            url = urls.get(params.get("requestId", ""), "?")
            problems.append(f"failed: {url} ({params.get('errorText')}"
                            f"{', canceled' if params.get('canceled') else ''})")
        elif method == "Network.responseReceived" and params["response"]["status"] >= 400:
            problems.append(f"HTTP {params['response']['status']}: {params['response']['url']}")
    return problems
