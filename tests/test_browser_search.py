"""The Artist search page in a real browser at 1280 and 1600 px, opened from a shared link.

A fresh browser opens ``/?artist=Radiohead``: the link must select Radiohead, the similar
artists table must show its evidence columns with none cut off at the right edge (the grid
must not need a horizontal scroll), every table must have its download, and the URL must keep
the artist after a sidebar page switch. Screenshots go to ``DASHBOARD_SCREENSHOTS`` (or a
temporary folder, printed with ``-s``) for a person to look at.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from testkit.browser import chrome, network_problems
from tests.test_browser import (  # noqa: F401  (pytestmark and the fixtures)
    WAIT,
    go_to,
    grid_text,
    pytestmark,
    screenshots,
    server,
    settle,
    wait_for,
    wait_for_text,
)

ARTIST = "Radiohead"
SIMILAR_HEADERS = ["Artist", "Similarity", "Listeners", "Shared", f"% of {ARTIST}'s",
                   "% of theirs", "Evidence", "Genre"]


def overflow(grid: Any) -> int:
    """Pixels of a st.dataframe hidden to the right (its scroller's width beyond the visible)."""
    driver = grid.parent
    return int(driver.execute_script(
        "const s = arguments[0].querySelector('.dvn-scroller');"
        "return s ? s.scrollWidth - s.clientWidth : 0;", grid))


@pytest.mark.parametrize("width", [1280, 1600])
def test_a_shared_link_opens_the_artist_with_evidence_and_no_column_cut_off(
        server: int, screenshots: Path, tmp_path: Path, width: int) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    with chrome(tmp_path / "profile", width=width, height=1700, page_load_timeout=WAIT) as driver:
        driver.get(f"http://127.0.0.1:{server}/?artist={ARTIST}")
        wait_for_text(driver, f"Artists similar to {ARTIST}")
        tables = wait_for(driver, '[data-testid="stDataFrame"]', count=2)
        settle(driver)
        driver.save_screenshot(str(screenshots / f"search-{width}-similar.png"))
        sidebar = driver.find_element(By.CSS_SELECTOR, '[data-testid="stSidebar"]').text
        assert "SELECTED ARTIST" in sidebar and ARTIST in sidebar
        assert f"artist={ARTIST}" in driver.current_url
        results, similar = tables[:2]
        assert ARTIST in grid_text(results)
        text = grid_text(similar)
        assert all(header in text for header in SIMILAR_HEADERS), text[:300]
        assert "None" not in text
        for grid in (results, similar):
            assert overflow(grid) <= 1, f"a column is cut off at {width} px"
        body = driver.find_element(By.TAG_NAME, "body").text
        assert f"read from {ARTIST}'s side" in body and "thin" in body
        assert len(wait_for(driver, '[data-testid="stDownloadButton"]', count=2)) >= 2

        driver.find_element(By.XPATH, "//*[@role='tab'][contains(., 'Emerging')]").click()
        wait_for_text(driver, "Concentration")
        settle(driver)
        emerging = next(g for g in wait_for(driver, '[data-testid="stDataFrame"]', count=2)
                    if "Concentration" in grid_text(g))
        assert overflow(emerging) <= 1
        driver.save_screenshot(str(screenshots / f"search-{width}-emerging.png"))

        driver.find_element(By.XPATH, "//*[@role='tab'][contains(., 'Compare')]").click()
        compare = wait_for(driver, '[data-testid="stMultiSelect"] input')[-1]
        compare.send_keys("Muse")
        time.sleep(0.5)
        compare.send_keys(Keys.ARROW_DOWN)  # past Streamlit's "Select 3 matches" (fuzzy) entry
        compare.send_keys(Keys.ENTER)
        compare.send_keys(Keys.ESCAPE)
        wait_for_text(driver, "Similar to more than one of them")
        settle(driver)
        chosen = wait_for(driver, '[data-testid="stMultiSelect"]')[-1].text
        assert "Muse" in chosen and "Modest Mouse" not in chosen, chosen
        driver.save_screenshot(str(screenshots / f"search-{width}-compare.png"))

        go_to(driver, "markets")  # the sidebar link drops the query; the page puts it back
        wait_for_text(driver, "One territory up close")
        settle(driver)
        assert f"artist={ARTIST}" in driver.current_url
        picker = driver.find_element(By.CSS_SELECTOR, '[data-testid="stSelectbox"] input')
        assert picker.get_attribute("value") == ARTIST

        problems = [p for p in network_problems(driver.get_log("performance"), server)
                    if "outside request" in p or "HTTP" in p]
        assert problems == [], "\n".join(problems)
