"""How fast the dashboard feels: server start to first table, and typing to updated table.

Measured end to end in headless Chromium (Selenium), as an analyst would feel it:

* start: from launching ``streamlit run app.py`` until the Artist search page shows its
  similar-artists table (server start + first session + model load + first render);
* typing: from the first keystroke of an artist's name in the search box until the table of
  artists similar to it is on screen. This includes the search box's 250 ms typing pause
  (``live=True``), which is part of what the analyst waits for.

Usage (uses MODEL_DIR / DUCKDB_PATH like the app; defaults to the demo model in var/)::

    .venv/bin/python benchmarks/dashboard_latency.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from core.config import Settings  # noqa: E402
from core.model import ModelStore  # noqa: E402
from testkit.browser import (  # noqa: E402
    CHROMIUM,
    free_port,
    make_chrome,
    start_dashboard,
    stop,
    wait_until_healthy,
)

#: (what is typed, the artist the page should then show); names from the demo data
QUERIES = (("beyonce", "Beyoncé"), ("radiohead", "Radiohead"), ("metallica", "Metallica"),
           ("eminem", "Eminem"), ("sigur ros", "Sigur Rós"))
TIMEOUT = 120.0


def machine_info() -> dict[str, str]:
    """What the figures were measured on, so they can be compared with another run."""
    import streamlit

    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "?"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    try:
        chromium = subprocess.run([str(CHROMIUM), "--version"], capture_output=True, text=True,
                                  timeout=30).stdout.strip()
    except OSError:
        chromium = "?"
    return {
        "machine": f"{platform.system()} {platform.release()} {platform.machine()}",
        "cpu": f"{cpu} ({os.cpu_count()} logical cores)",
        "memory": memory,
        "python": platform.python_version(),
        "streamlit": streamlit.__version__,
        "browser": chromium or "?",
    }


_HAS_TEXT = "return document.body.innerText.includes(arguments[0]);"


def _has_text(driver: Any, text: str) -> bool:
    """A cheap in-page check: polling WebElement.text of the whole page would itself take
    a good part of the time being measured."""
    return bool(driver.execute_script(_HAS_TEXT, text))


def _wait_text(driver: Any, text: str) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, TIMEOUT, poll_frequency=0.02).until(lambda d: _has_text(d, text))


def _wait_tables(driver: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, TIMEOUT, poll_frequency=0.02).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, '[data-testid="stDataFrame"]')) >= 2
        and _has_text(d, "Artists similar to"))


def _wait_idle(driver: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, TIMEOUT, poll_frequency=0.02).until(
        lambda d: not d.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]'))


def run_once(env: dict[str, str], workdir: Path) -> tuple[float, float, list[float]]:
    """(server healthy s, server start to first table s, [typing to table s per query])."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    port = free_port()
    driver = make_chrome(workdir / f"profile-{port}")
    try:
        started = time.perf_counter()
        process = start_dashboard(env, port, workdir / f"streamlit-{port}.log")
        try:
            healthy = wait_until_healthy(port, process)
            driver.get(f"http://127.0.0.1:{port}/")
            _wait_tables(driver)
            first_table = time.perf_counter() - started
            _wait_idle(driver)
            box = driver.find_element(By.CSS_SELECTOR, '[data-testid="stTextInput"] input')
            typing: list[float] = []
            for query, expected in QUERIES:
                box.send_keys(Keys.CONTROL, "a")
                box.send_keys(Keys.DELETE)
                _wait_text(driver, "Most-listened artists")
                _wait_idle(driver)
                t0 = time.perf_counter()
                box.send_keys(query)
                _wait_text(driver, f"Artists similar to {expected}")
                typing.append(time.perf_counter() - t0)
                _wait_idle(driver)
            return healthy, first_table, typing
        finally:
            stop(process)
    finally:
        driver.quit()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="server starts to measure (default 3)")
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    store = ModelStore(settings.model_dir)
    if store.current_version() is None:
        print(f"no trained model in {settings.model_dir}; run `make model` first", file=sys.stderr)
        return 1
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} not found; apt-get install chromium chromium-driver", file=sys.stderr)
        return 1
    model = store.load()
    env = {"MODEL_DIR": str(settings.model_dir), "DUCKDB_PATH": str(settings.duckdb_path)}

    print("Dashboard latency (headless Chromium via Selenium)")
    for key, value in machine_info().items():
        print(f"  {key:<10} {value}")
    print(f"  model      {model.version}: {len(model.artists):,} artists, "
          f"top_k {model.neighbour_idx.shape[1]}")

    healthy_s, first_s, typing_s = [], [], []
    with tempfile.TemporaryDirectory(prefix="dashboard-latency-") as tmp:
        for i in range(args.repeat):
            healthy, first, typing = run_once(env, Path(tmp))
            healthy_s.append(healthy)
            first_s.append(first)
            typing_s.extend(typing)
            print(f"  run {i + 1}: server healthy {healthy:.2f} s, first table {first:.2f} s, "
                  f"typing -> table " + ", ".join(f"{t:.2f}" for t in typing) + " s")

    def describe(values: list[float]) -> str:
        return (f"median {statistics.median(values):.2f} s, min {min(values):.2f} s, "
                f"max {max(values):.2f} s (n={len(values)})")

    print("Results")
    print(f"  server start -> health check      {describe(healthy_s)}")
    print(f"  server start -> first table       {describe(first_s)}")
    print(f"  typing an artist -> table updated {describe(typing_s)}")
    print("  (typing includes the search box's 250 ms pause before it commits)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
