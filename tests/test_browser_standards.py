"""The Standards page edits a target in a real Chromium and the Coverage page follows.

Streamlit's AppTest cannot type into ``st.data_editor`` (a canvas grid), so this drives the real
grid: the app is started by the app-server fixture of tests/test_browser.py (offline, a free local
port), the Coverage page's figure for the 15-minute elderly service is read, the service's target
share is typed into the Standards page's editor (keyboard navigation from the first cell, as a
planner would), Apply is pressed, and the Coverage page shows the new target and verdict.
"""

from __future__ import annotations

import re

import pytest
from test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, MAP_TIMEOUT_MS, _go, app_url, offline_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium (Debian package `chromium`; "
                                                     ".ci/run installs it); the real-browser test is skipped"),
]

__all__ = ["app_url"]  # the app-server fixture, shared with tests/test_browser.py

#: column of ``target_share`` in the services editor, counted from ``key`` (coverage.metrics.standards_tables)
TARGET_COLUMN = 7
#: a grid row is 35 px high, the header row too (Streamlit's data editor)
ROW_PX = 35


def _metric(page) -> tuple[float, str]:
    """The first group's share (percent) and its delta line (difference and target) on the Coverage page."""
    metric = page.locator('[data-testid="stMetric"]').first
    metric.locator('[data-testid="stMetricValue"]').wait_for(timeout=MAP_TIMEOUT_MS)
    value = metric.locator('[data-testid="stMetricValue"]').inner_text()
    delta = metric.locator('[data-testid="stMetricDelta"]').inner_text()
    return float(value.strip().rstrip("%")), delta.strip()


def _cell(page, cell: str) -> str:
    """The text of a cell (``glide-cell-COLUMN-ROW``) of the page's first editor, once the grid has drawn it
    (the grid keeps an accessible table of the cells in view)."""
    locator = page.locator(f'[data-testid="stDataFrame"] td#{cell}').first
    locator.wait_for(state="attached", timeout=MAP_TIMEOUT_MS)
    return str(locator.inner_text())


def test_a_target_edited_on_the_standards_page_changes_the_coverage_verdict(app_url):
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = offline_page(browser, outside)
            page.goto(app_url, wait_until="domcontentloaded")
            page.get_by_text("民政服务设施覆盖规划").first.wait_for(timeout=MAP_TIMEOUT_MS)

            _go(page, "覆盖")
            share, delta = _metric(page)
            target = re.search(r"目标 (\d+)%", delta)
            assert target is not None, delta
            # a target above the share, so the verdict flips from met to not met (or stays not met, further off)
            new_target = 100 if share < 100 else 50
            assert int(target.group(1)) != new_target

            _go(page, "标准")
            editor = page.locator('[data-testid="stDataFrame"]').first
            editor.locator("canvas").first.wait_for(timeout=MAP_TIMEOUT_MS)
            page.wait_for_timeout(1000)
            assert _cell(page, "glide-cell-1-0") == "elderly_15min"  # the first row is the service shown
            box = editor.bounding_box()
            page.mouse.click(box["x"] + 90, box["y"] + ROW_PX + ROW_PX / 2)  # the first row's key cell
            for _ in range(TARGET_COLUMN):
                page.keyboard.press("ArrowRight")
                page.wait_for_timeout(100)
            cell = f"glide-cell-{TARGET_COLUMN + 1}-0"
            assert float(_cell(page, cell)) == pytest.approx(int(target.group(1)) / 100)
            page.keyboard.type(f"{new_target / 100:g}")  # opens the cell's editor with what was typed
            page.wait_for_timeout(500)
            page.keyboard.press("Enter")
            page.wait_for_function(
                """([cell, want]) => { const e = document.querySelector('[data-testid=stDataFrame] td#' + cell);
                                       return e !== null && Math.abs(parseFloat(e.innerText) - want) < 1e-9; }""",
                arg=[cell, new_target / 100], timeout=10_000)
            page.get_by_role("button", name="应用").click()
            page.get_by_text("本次会话修改过的标准").first.wait_for(timeout=MAP_TIMEOUT_MS)
            page.screenshot(path=str(ARTIFACTS / "browser_standards_edited.png"))

            _go(page, "覆盖")
            page.get_by_text(f"目标 {new_target}%").first.wait_for(timeout=MAP_TIMEOUT_MS)
            share_after, delta_after = _metric(page)
            assert share_after == pytest.approx(share)  # the same people covered, judged against the new target
            assert delta_after.startswith("-" if share < new_target else "+"), delta_after
            assert delta_after != delta
            page.screenshot(path=str(ARTIFACTS / "browser_standards_coverage.png"), full_page=True)
        finally:
            browser.close()
    assert not outside, f"requests left the machine: {outside[:5]}"
