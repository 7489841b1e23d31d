"""A real dashboard server and a real browser, for the browser tests and
benchmarks/dashboard_latency.py."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
APP = PROJECT_ROOT / "app.py"

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


@contextmanager
def running_dashboard(env: dict[str, str], log_path: Path) -> Iterator[int]:
    """A dashboard server on a free port for the ``with`` block; yields the port."""
    port = free_port()
    process = start_dashboard(env, port, log_path)
    try:
        wait_until_healthy(port, process)
        yield port
    finally:
        stop(process)


def demo_env(model_dir: Path, warehouse_path: Path) -> dict[str, str]:
    """The settings that point a dashboard at a model folder and a DuckDB warehouse."""
    return {"MODEL_DIR": str(model_dir), "DUCKDB_PATH": str(warehouse_path), "WAREHOUSE": "duckdb"}


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


@contextmanager
def chrome(user_data_dir: Path, width: int = 1440, height: int = 1800,
           page_load_timeout: float = 90.0) -> Iterator[Any]:
    """``make_chrome``, closed at the end, its own first-run requests drained: Chromium's start
    page (Debian: a search engine's new-tab page) may try the network before we navigate, and
    that is the browser, not the dashboard."""
    driver = make_chrome(user_data_dir, width, height)
    driver.set_page_load_timeout(page_load_timeout)
    try:
        driver.get("about:blank")
        time.sleep(1.0)
        driver.get_log("performance")
        yield driver
    finally:
        driver.quit()


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
