"""Bookmarked page URLs, opened first on a fresh server, in a real browser (issue 12).

Streamlit runs a session's first request the legacy (v1) way while a top-level ``pages/``
folder exists, so a URL such as ``/markets`` once opened a page list of file names with no
sidebar. Each page is opened here as the first request of its own browser session, the
first of all on a server nobody has visited yet.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from testkit.browser import (
    chrome,
    demo_env,
    network_problems,
    running_dashboard,
)
from tests.test_browser import WAIT, pytestmark, settle, wait_for_text  # noqa: F401

TITLES = ["Artist search", "Markets", "Roster", "Clusters", "Model quality", "Train & upload"]
#: what the legacy page list showed instead: the file names, as written
FILE_NAMES = {"app", "common", "clusters", "markets", "quality", "roster", "search", "train"}


@pytest.fixture(scope="module")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("deep-link-server") / "streamlit.log"


@pytest.fixture(scope="module")
def fresh_server(demo_model_dir: Path, demo_warehouse_path: Path, server_log: Path) -> Iterator[int]:
    with running_dashboard(demo_env(demo_model_dir, demo_warehouse_path), server_log) as port:
        yield port


def _base_path_probe(problem: str, port: int, path: str) -> bool:
    """Streamlit's frontend, loaded at ``/<page>``, first asks whether ``/<page>`` is the
    server's base path (``/<page>/_stcore/health``, ``host-config``) and gets a 404 before it
    falls back to ``/``; that probe is Streamlit's, and harmless."""
    return problem.startswith(f"HTTP 404: http://127.0.0.1:{port}/{path}/_stcore/")


def _navigation(driver: Any) -> list[str]:
    from selenium.webdriver.common.by import By

    links = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stSidebarNavLink"]')
    return [link.text.split("\n")[-1].strip() for link in links]


@pytest.mark.parametrize(("path", "heading", "width"), [
    ("markets", "Markets", 1280),  # first: the very first request this server sees
    ("roster", "Roster", 1600),
    ("clusters", "Clusters", 1600),
    ("quality", "Model quality", 1280),
    ("train", "Train & upload", 1600),
])
def test_a_page_url_opened_first_gets_the_apps_navigation(
        fresh_server: int, tmp_path: Path, path: str, heading: str, width: int) -> None:
    from selenium.webdriver.common.by import By

    with chrome(tmp_path / "profile", width=width, height=1100, page_load_timeout=WAIT) as driver:
        driver.get(f"http://127.0.0.1:{fresh_server}/{path}")
        wait_for_text(driver, "DATA SOURCE")  # the app's own sidebar, drawn by app.py
        settle(driver)
        assert _navigation(driver) == TITLES
        assert not FILE_NAMES & set(_navigation(driver))
        body = driver.find_element(By.TAG_NAME, "body").text
        assert "Page not found" not in body
        assert urlparse(driver.current_url).path.rstrip("/").endswith(f"/{path}")
        wait_for_text(driver, heading)
        problems = network_problems(driver.get_log("performance"), fresh_server)
        assert [p for p in problems if not _base_path_probe(p, fresh_server, path)] == []


def test_the_server_log_stays_quiet(fresh_server: int, server_log: Path) -> None:
    """After the sessions above: only Streamlit's start-up banner, no warnings (the file
    watcher once filled it with "Inotify queue overflowed"; widget defaults with session
    state logged a warning)."""
    lines = [line.strip() for line in server_log.read_text(encoding="utf-8").splitlines()]
    noise = [line for line in lines if line and not line.startswith(
        ("You can now view", "URL:")) and "Uvicorn server started" not in line]
    assert noise == []
