"""The dashboard in a real browser: `streamlit run app.py` driven by headless Chromium.

AppTest runs the Python side only; this test checks what it cannot: that the map, the pyvis
graph (JavaScript inside an iframe) and the tables actually render, that typing in the search
box updates the page, and that the browser makes no failed or outside network request (the
dashboard must work offline). Screenshots of every page are saved for a human to look at; the
folder is printed (run with ``-s``) and can be chosen with ``DASHBOARD_SCREENSHOTS=<dir>``.

Uses the demo model (``demo_model_dir`` from the shared conftest), so the screenshots show
realistic data. Skipped when Debian's chromium / chromedriver are not installed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.evaluation.report import write_evaluation
from core.model import ModelStore
from testkit.browser import (
    CHROMEDRIVER,
    CHROMIUM,
    chrome,
    demo_env,
    network_problems,
    running_dashboard,
)
from tests.test_evaluation_report import sample_result

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
                       reason=f"needs {CHROMIUM} and {CHROMEDRIVER} "
                              "(apt-get install chromium chromium-driver)"),
]

WAIT = 90  # seconds; the first page load also loads the model


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("DASHBOARD_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {folder}")
    return folder


@pytest.fixture(scope="module")
def server(demo_model_dir: Path, demo_warehouse_path: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    with running_dashboard(demo_env(demo_model_dir, demo_warehouse_path), log) as port:
        yield port
    print(f"server log: {log}")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with chrome(tmp_path_factory.mktemp("chrome-profile"), page_load_timeout=WAIT) as driver:
        yield driver


def wait_for(driver: Any, css: str, count: int = 1, timeout: float = WAIT) -> list[Any]:
    """Elements matching ``css`` once at least ``count`` of them are displayed."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def found(d: Any) -> list[Any] | bool:
        elements = [e for e in d.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()]
        return elements if len(elements) >= count else False

    return WebDriverWait(driver, timeout).until(found)  # type: ignore[no-any-return]


def wait_for_text(driver: Any, text: str, timeout: float = WAIT) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(lambda d: text in d.find_element(By.TAG_NAME, "body").text)


def settle(driver: Any, seconds: float = 1.5) -> None:
    """Let Streamlit finish a rerun (no 'running' indicator), then let charts paint."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, WAIT).until(
        lambda d: not d.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]'))
    time.sleep(seconds)


def go_to(driver: Any, page: str) -> None:
    """Click the sidebar link (a URL change would start a new session and lose the selection)."""
    wait_for(driver, f'[data-testid="stSidebarNavLink"][href$="/{page}"]')[0].click()


def checked_radio(driver: Any) -> str | None:
    """The label of the selected option of the page's radio, as the browser shows it."""
    from selenium.webdriver.common.by import By

    for option in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stRadio"] input[type="radio"]'):
        if option.is_selected():
            return str(option.find_element(By.XPATH, "./ancestor::label[1]").text)
    return None


def choose_artist(driver: Any, name: str) -> None:
    """Type a name into the page's artist picker and confirm it, as an analyst does."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    picker = driver.find_element(By.CSS_SELECTOR, '[data-testid="stSelectbox"] input')
    picker.click()
    picker.send_keys(name)
    time.sleep(0.5)
    picker.send_keys(Keys.ENTER)
    settle(driver)


def grid_text(element: Any) -> str:
    """Cell text of an st.dataframe (drawn on a canvas, mirrored in an accessible table)."""
    return str(element.get_attribute("textContent"))


def test_every_page_renders_in_a_real_browser_without_network_failures(
        server: int, browser: Any, screenshots: Path, demo_model_dir: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = browser
    driver.get(f"http://127.0.0.1:{server}/")

    # -- Artist search: popular artists, and the similarity table of the top one
    tables = wait_for(driver, '[data-testid="stDataFrame"]', count=2)
    settle(driver)
    assert "Lady Gaga" in grid_text(tables[0])
    wait_for_text(driver, "Artists similar to Lady Gaga")
    sidebar = driver.find_element(By.CSS_SELECTOR, '[data-testid="stSidebar"]').text
    assert "DuckDB warehouse.duckdb" in sidebar
    driver.save_screenshot(str(screenshots / "1-search.png"))

    # typing (no Enter): the live search box commits after a pause and the page follows
    box = wait_for(driver, '[data-testid="stTextInput"] input')[0]
    box.send_keys("beyonce")
    wait_for_text(driver, "Artists similar to Beyoncé")
    settle(driver)
    results, similar = wait_for(driver, '[data-testid="stDataFrame"]', count=2)[:2]
    assert "Beyoncé" in grid_text(results)
    similar_text = grid_text(similar)
    assert any(name in similar_text for name in ("Rihanna", "Lady Gaga", "Britney Spears"))
    driver.save_screenshot(str(screenshots / "2-search-beyonce.png"))

    # compare: type a second artist into the multiselect, side-by-side columns appear
    driver.find_element(By.XPATH, "//*[@role='tab'][contains(., 'Compare')]").click()
    compare = wait_for(driver, '[data-testid="stMultiSelect"] input')[0]
    compare.send_keys("Rihanna")
    compare.send_keys(Keys.ENTER)
    compare.send_keys(Keys.ESCAPE)  # close the option list so the screenshot shows the columns
    wait_for_text(driver, "Similar to more than one of them")
    settle(driver)
    driver.save_screenshot(str(screenshots / "2b-search-compare.png"))

    # -- Markets: the choropleth renders (canvas or svg) and follows the selection
    go_to(driver, "markets")
    wait_for(driver, '[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg')
    wait_for_text(driver, "Opportunities: where to grow, ranked by gap")
    settle(driver, 2.5)
    picker = driver.find_element(By.CSS_SELECTOR, '[data-testid="stSelectbox"] input')
    assert picker.get_attribute("value") == "Beyoncé"  # the selection followed the analyst
    body = driver.find_element(By.TAG_NAME, "body").text
    assert "Not on the map" in body
    assert "Opportunities" in body and "ranked by gap" in body
    driver.save_screenshot(str(screenshots / "3-markets.png"))
    assert checked_radio(driver) == "Gap (expected − actual)"

    # an artist without chart data: no gap to show, the radio must visibly fall back to modeled
    choose_artist(driver, "Quiet Riot")
    wait_for_text(driver, "expected streams cannot be computed")
    settle(driver, 2.0)
    assert checked_radio(driver) == "Modeled streams (peers' average)"
    driver.save_screenshot(str(screenshots / "3b-markets-no-charts.png"))
    choose_artist(driver, "Beyoncé")
    wait_for_text(driver, "Opportunities")
    settle(driver)

    # switch the metric: the map is redrawn for modeled streams
    driver.find_element(By.XPATH, "//label[.//p[starts-with(text(), 'Modeled streams')]]").click()
    settle(driver, 2.0)
    wait_for(driver, '[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg')
    driver.save_screenshot(str(screenshots / "4-markets-modeled.png"))

    # -- Clusters: the pyvis canvas is drawn inside its iframe, fully offline
    go_to(driver, "clusters")
    frame = wait_for(driver, '[data-testid="stIFrame"], iframe[title^="Similarity graph"]')[0]
    wait_for_text(driver, "What each cluster is")
    driver.switch_to.frame(frame)
    try:
        wait_for(driver, "#mynetwork canvas")
        legend = driver.find_element(By.ID, "legend").text
        assert "pop" in legend
    finally:
        driver.switch_to.default_content()
    settle(driver, 4.0)  # physics layout
    driver.save_screenshot(str(screenshots / "5-clusters.png"))

    # -- Model quality: first the offer to evaluate, then a stored evaluation as bar charts
    go_to(driver, "quality")
    wait_for_text(driver, "has not been evaluated yet")
    assert wait_for(driver, '[data-testid="stButton"] button')[0].text.endswith("Run evaluation")
    settle(driver)
    driver.save_screenshot(str(screenshots / "6-quality-not-evaluated.png"))
    folder = demo_model_dir / str(ModelStore(demo_model_dir).current_version())
    stored = write_evaluation(sample_result(), folder)
    try:
        go_to(driver, "clusters")  # leave and come back: the page reads the stored file
        wait_for_text(driver, "What each cluster is")
        go_to(driver, "quality")
        charts = wait_for(driver, '[data-testid="stVegaLiteChart"] canvas, '
                                  '[data-testid="stVegaLiteChart"] svg', count=6)
        assert len(charts) >= 6  # one per metric and fit seconds
        wait_for_text(driver, "Tag purity")
        settle(driver, 2.0)
        driver.save_screenshot(str(screenshots / "7-quality.png"))
    finally:
        for path in stored:
            path.unlink()

    # -- Train & upload: model status, the train form and the uploads placeholder
    go_to(driver, "train")
    wait_for_text(driver, "Current model")
    wait_for_text(driver, "Uploads")
    settle(driver)
    body = driver.find_element(By.TAG_NAME, "body").text
    assert "Train model" in body and "Upload to DuckDB (embedded)" in body
    driver.save_screenshot(str(screenshots / "8-train.png"))

    problems = network_problems(driver.get_log("performance"), server)
    assert problems == [], "\n".join(problems)
    severe = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == [], "\n".join(severe)
    assert len(list(screenshots.glob("*.png"))) >= 6
