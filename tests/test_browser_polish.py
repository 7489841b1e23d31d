"""Issue 12 item 8 at 1280 px: the Train, Model quality and Clusters pages' tables fit.

A real browser (headless Chromium) on the demo model, plus a second version trained with
other parameters so the Train page's history and "what changed" tables have rows. Every
``st.dataframe`` is checked for a horizontal scroll bar (its grid wider than the element) and
for reaching past its container; screenshots are saved for a human to look at
(``DASHBOARD_SCREENSHOTS=<dir>`` chooses the folder).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.config import Settings
from core.evaluation.report import write_evaluation
from core.model import ModelStore
from core.training import TrainingParams, train_and_save
from testkit.browser import (
    chrome,
    demo_env,
    running_dashboard,
)
from tests.test_browser import (  # noqa: F401  (pytestmark and the fixture screenshots)
    WAIT,
    go_to,
    pytestmark,
    screenshots,
    settle,
    wait_for,
    wait_for_text,
)
from tests.test_evaluation_report import sample_result

WIDTH = 1280

#: per st.dataframe: how far its grid's content reaches past what is visible, and how far the
#: element reaches past its parent block (both 0 when nothing is cut off)
OVERFLOW_JS = """
return Array.from(document.querySelectorAll('[data-testid="stDataFrame"]'))
    // not the ones inside a closed expander
    .filter(frame => frame.checkVisibility() && frame.getBoundingClientRect().height > 0)
    .map(frame => {
  const scroller = frame.querySelector('.dvn-scroller') || frame;
  const parent = frame.parentElement.closest('[data-testid="stVerticalBlock"]') || document.body;
  return {
    text: (frame.textContent || '').slice(0, 40),
    hidden: scroller.scrollWidth - scroller.clientWidth,
    past: Math.round(frame.getBoundingClientRect().right - parent.getBoundingClientRect().right),
  };
});
"""


@pytest.fixture(scope="module")
def two_versions(demo_model_dir: Path, demo_warehouse_path: Path,
                 tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo model folder with a second version (other features) as current."""
    root = tmp_path_factory.mktemp("polish") / "models"
    shutil.copytree(demo_model_dir, root)
    train_and_save(Settings(duckdb_path=demo_warehouse_path, model_dir=root),
                   TrainingParams(num_features=32))
    return root


@pytest.fixture(scope="module")
def polish_server(two_versions: Path, demo_warehouse_path: Path,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    log = tmp_path_factory.mktemp("polish-server") / "streamlit.log"
    with running_dashboard(demo_env(two_versions, demo_warehouse_path), log) as port:
        yield port


@pytest.fixture(scope="module")
def narrow_browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with chrome(tmp_path_factory.mktemp("chrome-polish"), width=WIDTH, height=4200,
                page_load_timeout=WAIT) as driver:
        yield driver


def cut_tables(driver: Any) -> list[dict[str, Any]]:
    time.sleep(0.5)
    return [t for t in driver.execute_script(OVERFLOW_JS) if t["hidden"] > 2 or t["past"] > 2]


def test_train_and_quality_tables_fit_at_1280_px(
        polish_server: int, narrow_browser: Any, two_versions: Path, screenshots: Path) -> None:  # noqa: F811
    driver = narrow_browser
    driver.get(f"http://localhost:{polish_server}/train")
    wait_for_text(driver, "Input rows")
    wait_for_text(driver, "Model history")
    wait_for(driver, '[data-testid="stDataFrame"]', count=5)  # rows, params, timings, history, changes
    settle(driver, 2.0)
    driver.save_screenshot(str(screenshots / "polish-train-1280.png"))
    body = driver.find_element("tag name", "body").text
    assert "num_features" not in body and "features (SVD components)" in body
    assert cut_tables(driver) == [], driver.execute_script(OVERFLOW_JS)

    result = sample_result()
    result.methods["recall@10_se"] = [0.0034, 0.0021, float("nan")]
    folder = two_versions / str(ModelStore(two_versions).current_version())
    write_evaluation(result, folder)
    go_to(driver, "quality")
    wait_for_text(driver, "All numbers")
    wait_for(driver, '[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg',
             count=6)
    settle(driver, 2.0)
    body = driver.find_element("tag name", "body").text
    assert "not been evaluated yet" not in body
    driver.save_screenshot(str(screenshots / "polish-quality-1280.png"))
    assert cut_tables(driver) == [], driver.execute_script(OVERFLOW_JS)

    go_to(driver, "clusters")  # the palette without grey, for a human to look at
    wait_for_text(driver, "What each cluster is")
    wait_for(driver, '[data-testid="stIFrame"], iframe[title^="Similarity graph"]')
    settle(driver, 4.0)  # physics layout
    driver.save_screenshot(str(screenshots / "polish-clusters-1280.png"))
    assert cut_tables(driver) == [], driver.execute_script(OVERFLOW_JS)
