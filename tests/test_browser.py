"""The app in a real headless Chromium (Debian's /usr/bin/chromium), offline.

Starts ``streamlit run app.py`` on a free local port, opens it with Playwright,
blocks every request that leaves this machine, waits for the Leaflet map to
render inside the streamlit-folium iframe, switches the service, runs a siting
proposal, places a site by hand under a name written as markdown (shown as text, no
remote image requested), prints a map, saves a screenshot of every page to
tests/artifacts/ and checks that Chinese text is rendered with a CJK font.  A second test chooses
大理 on the Data page, visits every page (the region stays 大理) and prints the time of the export
download and the print (tests/artifacts/browser_times_pages.txt).  A third, on Yuxi and on Dali each with
a fresh server, times the map's flows from click to painted map (first map, threshold change, service
change, service areas and roads switched on, a threshold change with them shown, proposal, accepting a
site; printed and written to tests/artifacts/browser_times.txt) and checks that each changed the map as
a planner sees it (uncovered count in the legend, legend entries, an accepted star); the times are not
asserted (the machine is shared): ``python benchmarks/bench_app.py --browser`` prints their medians.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
START_TIMEOUT_S = 90
MAP_TIMEOUT_MS = 120_000
#: a site name that would load a remote image if it were rendered as markdown
INJECTION = "![x](http://example.com/a.png)"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium (Debian package `chromium`; "
                                                     ".ci/run installs it); the real-browser test is skipped"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def streamlit_app(log_name: str = "streamlit.log") -> Iterator[str]:
    """``streamlit run app.py`` on a free local port (a fresh server: cold caches); yields its URL."""
    port = _free_port()
    env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false", "PYTHONPATH": str(ROOT)}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS / log_name
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not start (see {log})")
                time.sleep(0.5)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    try:
        with streamlit_app() as url:
            yield url
    except RuntimeError as exc:
        pytest.fail(str(exc))


def _wait_for_map(page, *, timeout_ms: int = MAP_TIMEOUT_MS):
    """The streamlit-folium iframe, once Leaflet has drawn vector paths in it."""
    page.wait_for_selector('iframe[title="streamlit_folium.st_folium"]', timeout=timeout_ms)
    frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]').first
    frame.locator(".leaflet-container").wait_for(timeout=timeout_ms)
    frame.locator(".leaflet-container svg path").first.wait_for(timeout=timeout_ms)
    return frame


def _go(page, title: str) -> None:
    """Open a page from the sidebar navigation."""
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    page.get_by_role("heading", name=title).first.wait_for(timeout=MAP_TIMEOUT_MS)


def _pick(page, box, option: str | re.Pattern, *, attempts: int = 4) -> None:
    """Open a selectbox and click ``option`` (its text, or a pattern); again if a rerun redrew the box meanwhile."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(attempts):
        box.click()
        try:
            page.get_by_role("option", name=option, exact=isinstance(option, str) or None).click(timeout=8_000)
            return
        except PlaywrightTimeout:
            if attempt == attempts - 1:
                raise
            page.keyboard.press("Escape")
            page.wait_for_timeout(1_000)


def _choose(page, label: str, option: str) -> None:
    """Pick an option of a Streamlit selectbox by its label."""
    _pick(page, page.get_by_label(label).first, option)


def offline_page(browser, outside: list[str], **options):
    """A page of ``browser`` (1500 x 1000, zh-CN) that reaches only the local app: any other request is
    aborted and its address appended to ``outside`` (the tests assert it stays empty)."""
    page = browser.new_page(viewport={"width": 1500, "height": 1000}, locale="zh-CN", **options)

    def offline(route):
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", offline)
    return page


def test_app_in_chromium_offline(app_url):
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = offline_page(browser, outside)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(app_url, wait_until="domcontentloaded")
            page.get_by_text("民政服务设施覆盖规划").first.wait_for(timeout=MAP_TIMEOUT_MS)

            # Chinese is drawn with a CJK font, not as missing-glyph boxes
            widths = page.evaluate("""() => {
                const c = document.createElement('canvas').getContext('2d');
                c.font = '20px sans-serif';
                const boxes = '\\u0378\\u0378\\u0378\\u0378\\u0378\\u0378';
                return [c.measureText('民政服务设施').width, c.measureText(boxes).width];
            }""")
            assert widths[0] > 0 and abs(widths[0] - widths[1]) > 1, f"CJK text renders as boxes: {widths}"

            page.locator('[data-testid="stDataFrame"] canvas').first.wait_for(timeout=MAP_TIMEOUT_MS)
            page.wait_for_timeout(1000)
            page.screenshot(path=str(ARTIFACTS / "browser_data.png"))

            # the map page: Leaflet renders offline in the streamlit-folium iframe
            _go(page, "地图")
            frame = _wait_for_map(page)
            assert frame.locator(".cov-legend").inner_text().startswith("图例")
            state = map_state(page)
            # boundaries, villages, facilities and uncovered rings: every one a Leaflet layer (points on a canvas)
            assert state["layers"] > 1000 and frame.locator(".leaflet-container canvas").count() >= 1
            assert (_uncovered_count(state) or 0) > 0
            page.wait_for_timeout(1500)
            page.screenshot(path=str(ARTIFACTS / "browser_map.png"), full_page=False)

            # switch the service: the legend and the layers follow
            _choose(page, "考核服务", "留守儿童20分钟儿童之家")
            page.get_by_text("留守儿童20分钟儿童之家 · 20 分钟").first.wait_for(timeout=MAP_TIMEOUT_MS)
            frame = _wait_for_map(page)

            # the coverage page: shares against targets, tables, the travel-time chart
            _go(page, "覆盖")
            page.get_by_text("按县（市、区）").first.wait_for(timeout=MAP_TIMEOUT_MS)
            page.locator('[data-testid="stDataFrame"] canvas').first.wait_for(timeout=MAP_TIMEOUT_MS)
            page.locator('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg').first.wait_for(
                timeout=MAP_TIMEOUT_MS)
            page.wait_for_timeout(2500)
            page.screenshot(path=str(ARTIFACTS / "browser_coverage.png"), full_page=True)

            # a siting proposal: 3 sites covering the most people, with accept buttons
            _go(page, "选址")
            page.get_by_text("生成选址方案").first.wait_for(timeout=MAP_TIMEOUT_MS)
            _choose(page, "模型", "k 个站点覆盖最多人")
            k = page.get_by_label("新增站点数 k")
            k.fill("3")
            k.press("Enter")
            page.wait_for_timeout(1000)
            page.get_by_role("button", name="生成选址方案").click()
            page.get_by_role("button", name="采纳", exact=True).first.wait_for(timeout=MAP_TIMEOUT_MS)
            assert page.get_by_role("button", name="采纳", exact=True).count() == 3
            page.get_by_role("button", name="采纳", exact=True).first.click()
            page.get_by_text("已采纳站点", exact=True).first.wait_for(timeout=MAP_TIMEOUT_MS)
            frame = _wait_for_map(page)
            page.wait_for_timeout(1500)
            page.screenshot(path=str(ARTIFACTS / "browser_siting.png"), full_page=True)

            # a click on the map places a site by hand
            box = frame.locator(".leaflet-container").bounding_box()
            frame.locator(".leaflet-container").click(position={"x": box["width"] * 0.45, "y": box["height"] * 0.5})
            page.get_by_role("button", name="在此处添加站点").wait_for(timeout=MAP_TIMEOUT_MS)
            page.get_by_label("站点名称").fill(INJECTION)
            page.get_by_role("button", name="在此处添加站点").click()
            page.get_by_role("button", name="移除").nth(1).wait_for(timeout=MAP_TIMEOUT_MS)
            assert page.get_by_role("button", name="移除").count() == 2
            # the name is shown as written, and no image was made of it
            shown = page.get_by_text(re.compile(r"!\[x\]\(http\W?://example\.com/a\.png\)")).first
            shown.wait_for(timeout=MAP_TIMEOUT_MS)
            assert shown.inner_text().replace("\u2060", "").startswith(INJECTION)
            assert page.locator('img[src*="example.com"], a[href*="example.com"]').count() == 0
            page.wait_for_timeout(1000)
            page.screenshot(path=str(ARTIFACTS / "browser_siting_manual.png"), full_page=True)

            # the scenarios page: the session as a scenario to save
            _go(page, "方案")
            page.get_by_role("button", name="保存方案（JSON）").wait_for(timeout=MAP_TIMEOUT_MS)
            page.wait_for_timeout(1000)
            page.screenshot(path=str(ARTIFACTS / "browser_scenarios.png"), full_page=True)

            # the print page: a printed map previewed in the page
            _go(page, "打印")
            page.get_by_role("button", name="生成打印地图").click()
            page.locator('[data-testid="stImage"] img').first.wait_for(timeout=MAP_TIMEOUT_MS)
            page.wait_for_timeout(1500)
            page.screenshot(path=str(ARTIFACTS / "browser_print.png"), full_page=True)

            # back on Data: the choices were kept
            _go(page, "数据")
            page.get_by_text("718 个村（社区）").first.wait_for(timeout=MAP_TIMEOUT_MS)
            assert not errors, errors
        finally:
            browser.close()
    assert not outside, f"the app tried to reach the internet: {outside[:5]}"


#: the page flows timed on Dali (printed, and written to tests/artifacts/browser_times_pages.txt); not asserted
FLOWS = ("export download", "print")


def _timed(times: dict[str, float], flow: str, start: float) -> None:
    times[flow] = time.monotonic() - start
    print(f"{flow}: {times[flow]:.1f} s", flush=True)


def _region_option(name: str) -> re.Pattern:
    """The demo region's option on the Data page: its Chinese name, alone or with the English one."""
    return re.compile(rf"^{re.escape(name)}( · \w+)?$")


def _region_is(page, name: str) -> None:
    """The page's data caption names the region (every page shows it under its header)."""
    page.get_by_text(f"数据：{name}").first.wait_for(timeout=MAP_TIMEOUT_MS)


def test_dali_on_every_page_with_flow_times(app_url):
    """Choose 大理 on the Data page, visit every page (the region stays 大理), time each flow a planner waits for."""
    from playwright.sync_api import sync_playwright

    dali = "大理白族自治州"
    times: dict[str, float] = {}
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = offline_page(browser, outside, accept_downloads=True)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(app_url, wait_until="domcontentloaded")
            page.get_by_text("民政服务设施覆盖规划").first.wait_for(timeout=MAP_TIMEOUT_MS)

            # the Data page: choose Dali
            _pick(page, page.locator('[data-testid="stSelectbox"]').filter(has_text="示例地区").first,
                  _region_option(dali))
            page.get_by_text("1,159 个村（社区）").first.wait_for(timeout=MAP_TIMEOUT_MS)
            _region_is(page, dali)

            # the map (its flows are timed by test_map_flow_times_in_chromium)
            _go(page, "地图")
            _wait_for_map(page)
            _region_is(page, dali)
            page.wait_for_timeout(1500)
            page.screenshot(path=str(ARTIFACTS / "browser_dali_map.png"))

            # coverage page
            _go(page, "覆盖")
            _region_is(page, dali)
            page.get_by_text("按县（市、区）").first.wait_for(timeout=MAP_TIMEOUT_MS)

            # a proposal of 3 sites, one accepted
            _go(page, "选址")
            _region_is(page, dali)
            _choose(page, "模型", "k 个站点覆盖最多人")
            k = page.get_by_label("新增站点数 k")
            k.fill("3")
            k.press("Enter")
            page.wait_for_timeout(1000)
            page.get_by_role("button", name="生成选址方案").click()
            page.get_by_role("button", name="采纳", exact=True).first.wait_for(timeout=MAP_TIMEOUT_MS)
            assert page.get_by_role("button", name="采纳", exact=True).count() == 3
            page.get_by_role("button", name="采纳", exact=True).first.click()
            page.get_by_role("button", name="移除").first.wait_for(timeout=MAP_TIMEOUT_MS)
            _wait_for_map(page)
            page.wait_for_timeout(1500)
            page.screenshot(path=str(ARTIFACTS / "browser_dali_siting.png"), full_page=True)

            # the coverage export with the accepted site: prepared, then downloaded
            _go(page, "覆盖")
            _region_is(page, dali)
            start = time.monotonic()
            page.get_by_role("button", name="准备导出文件").click()
            button = page.get_by_role("button", name=re.compile(r"覆盖结果\.xlsx"))
            button.wait_for(timeout=MAP_TIMEOUT_MS)
            with page.expect_download(timeout=MAP_TIMEOUT_MS) as info:
                button.click()
            download = info.value
            target = ARTIFACTS / "browser_dali_覆盖结果.xlsx"
            download.save_as(str(target))
            _timed(times, "export download", start)
            assert download.suggested_filename == "覆盖结果.xlsx" and target.read_bytes()[:2] == b"PK"
            page.wait_for_timeout(1000)
            page.screenshot(path=str(ARTIFACTS / "browser_dali_coverage.png"), full_page=True)

            # scenarios
            _go(page, "方案")
            page.get_by_role("button", name="保存方案（JSON）").wait_for(timeout=MAP_TIMEOUT_MS)

            # print: the coverage map of the scenario, the accepted site drawn numbered
            _go(page, "打印")
            _region_is(page, dali)
            page.get_by_text("覆盖图（当前服务）").first.click()
            page.get_by_text("图中编号标出已采纳站点 1 处。").first.wait_for(timeout=MAP_TIMEOUT_MS)
            start = time.monotonic()
            page.get_by_role("button", name="生成打印地图").click()
            page.locator('[data-testid="stImage"] img').first.wait_for(timeout=MAP_TIMEOUT_MS)
            _timed(times, "print", start)
            page.wait_for_timeout(1500)
            page.screenshot(path=str(ARTIFACTS / "browser_dali_print.png"), full_page=True)

            # back on Data: still Dali
            _go(page, "数据")
            page.get_by_text("1,159 个村（社区）").first.wait_for(timeout=MAP_TIMEOUT_MS)
            _region_is(page, dali)
            assert not errors, errors
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "browser_dali_failure.png"), full_page=True)
            print(f"failed after the flows {list(times)}; screenshot: browser_dali_failure.png", flush=True)
            raise
        finally:
            browser.close()
            (ARTIFACTS / "browser_times_pages.txt").write_text(
                "".join(f"{f}: {times[f]:.1f} s\n" for f in FLOWS if f in times), encoding="utf-8")
    assert not outside, f"the app tried to reach the internet: {outside[:5]}"


# --- the map's interactions, timed in the browser on Yuxi and Dali -------------------------------------------

#: the map flows timed per region (printed, written to tests/artifacts/browser_times.txt, and by
#: ``python benchmarks/bench_app.py --browser`` as medians); never asserted: the machine is shared
MAP_FLOWS = ("first map", "threshold change redraw", "service change redraw", "service areas on", "roads on",
             "threshold change, areas and roads shown", "proposal", "accept a site")
REGIONS = {"yuxi": ("玉溪市", "718 个村（社区）"), "dali": ("大理白族自治州", "1,159 个村（社区）")}

#: the drawn map as the planner sees it, read in the streamlit-folium frame after two animation frames
#: (so the browser has painted what the script built): legend text, stars by status, Leaflet layers
_MAP_STATE_JS = """async () => {
    const painted = new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    await Promise.race([painted, new Promise(r => setTimeout(r, 1000))]);  // no frames when hidden
    const legend = document.querySelector('.cov-legend');
    if (!window.map || !legend) { return null; }
    const fresh = !window.__covSeen;
    window.__covSeen = true;
    return {legend: legend.textContent, fresh: fresh, layers: Object.keys(window.map._layers).length,
            accepted: document.querySelectorAll('.cov-site.accepted').length,
            proposed: document.querySelectorAll('.cov-site.proposed').length};
}"""


def map_state(page, *, timeout_s: float = MAP_TIMEOUT_MS / 1000, changed_from: dict | None = None,
              until=None) -> dict:
    """The map's state once drawn (and, with ``changed_from``, once it differs from that state).

    A map counts as changed when the frame holds a new map (streamlit-folium re-created it) or its legend
    or stars differ; ``until(state)`` adds a condition.  Polls every 40 ms; raises on timeout.
    """
    deadline = time.monotonic() + timeout_s
    last = None
    state_missing = False
    while time.monotonic() < deadline:
        handle = page.query_selector('iframe[title="streamlit_folium.st_folium"]')
        frame = handle.content_frame() if handle is not None else None
        if handle is not None and state_missing:  # the planner looks at the map: a frame out of view may wait
            with contextlib.suppress(Exception):
                handle.scroll_into_view_if_needed(timeout=1000)
        state = None
        if frame is not None:
            try:
                state = frame.evaluate(_MAP_STATE_JS)
            except Exception:  # the frame navigated or was replaced while read: read again
                state = None
        state_missing = state is None
        if state is not None:
            last = state
            differs = changed_from is None or state["fresh"] or any(
                state[k] != changed_from[k] for k in ("legend", "accepted", "proposed"))
            if differs and (until is None or until(state)):
                return state
        time.sleep(0.04)
    raise AssertionError(f"the map did not change within {timeout_s:.0f} s (last state: {last})")


def _uncovered_count(state: dict) -> int | None:
    """The number of uncovered villages the legend shows (``未覆盖村庄（143）``), None when not shown."""
    found = re.search(r"未覆盖村庄（([\d,]+)）", state["legend"])
    return int(found.group(1).replace(",", "")) if found else None


_MAP_VIEW_JS = """([lat, lon, zoom]) => {
    for (const name of Object.keys(window)) {
        const m = window[name];
        if (m instanceof L.Map) {
            const before = [m.getCenter().lat, m.getCenter().lng, m.getZoom()];
            if (lat !== null) m.setView([lat, lon], zoom, {animate: false});
            const shown = document.querySelectorAll(".leaflet-overlay-pane path, .leaflet-marker-pane *").length;
            return {before: before, zoom: m.getZoom(), shown: shown};
        }
    }
    return null;
}"""


def _township_zoom_screenshot(page, region: str) -> None:
    """Zoom the map onto the region's first urban township (villages drawn one by one), screenshot, zoom back."""
    from coverage.demo import load_demo

    demo = load_demo(region)
    towns = demo.boundaries[demo.boundaries["level"] == "township"]
    village_counts = demo.demand.groupby("township_code").size() if "township_code" in demo.demand else None
    town = towns.iloc[0] if village_counts is None else towns.set_index(towns["code"].astype(str)).loc[
        str(village_counts.idxmax())]
    centre = town.geometry.representative_point()
    frame = page.query_selector('iframe[title="streamlit_folium.st_folium"]').content_frame()
    wide = frame.evaluate(_MAP_VIEW_JS, [None, None, None])
    zoomed = frame.evaluate(_MAP_VIEW_JS, [centre.y, centre.x, 12.5])
    page.wait_for_timeout(800)
    closer = frame.evaluate(_MAP_VIEW_JS, [None, None, None])
    page.screenshot(path=str(ARTIFACTS / f"browser_{region}_map_township.png"))
    assert wide is not None and zoomed is not None and closer["zoom"] == 12.5, (wide, closer)
    frame.evaluate(_MAP_VIEW_JS, wide["before"])
    page.wait_for_timeout(300)


def map_flow_times(url: str, region: str, *, screenshots: bool = False, check: bool = True) -> dict[str, float]:
    """Open the app on ``region`` in Chromium and time each map flow a planner waits for [s].

    Each time runs from the click (or key press) to the browser having painted the changed map;
    every flow checks that the map really changed as the planner would see it (uncovered count, legend
    entries, an accepted star).  ``check=False`` only waits for a changed map (for maps drawn before the
    legend showed the uncovered count, to compare times).
    """
    from playwright.sync_api import sync_playwright

    name, villages = REGIONS[region]
    times: dict[str, float] = {}
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = offline_page(browser, outside)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url, wait_until="domcontentloaded")
            page.get_by_text("民政服务设施覆盖规划").first.wait_for(timeout=MAP_TIMEOUT_MS)
            if region != "yuxi":
                _pick(page, page.locator('[data-testid="stSelectbox"]').filter(has_text="示例地区").first,
                      _region_option(name))
            page.get_by_text(villages).first.wait_for(timeout=MAP_TIMEOUT_MS)
            _region_is(page, name)

            start = time.monotonic()
            _go(page, "地图")
            state = map_state(page)
            _timed(times, "first map", start)
            first = _uncovered_count(state)
            assert not check or (first is not None and first > 0), state["legend"]
            if screenshots:
                page.screenshot(path=str(ARTIFACTS / f"browser_{region}_map_first.png"))
                _township_zoom_screenshot(page, region)

            # 15 -> 20 minutes: fewer villages left uncovered, on the map's legend
            slider = page.get_by_role("slider").first
            start = time.monotonic()
            slider.focus()
            slider.press("ArrowRight")
            state = map_state(page, changed_from=state)
            _timed(times, "threshold change redraw", start)
            page.get_by_text("15分钟养老服务圈 · 20 分钟").first.wait_for(timeout=MAP_TIMEOUT_MS)
            wider = _uncovered_count(state)
            assert not check or (wider is not None and wider < first), (first, wider)

            # another service: its facilities in the legend, its own uncovered villages
            start = time.monotonic()
            _choose(page, "考核服务", "留守儿童20分钟儿童之家")
            children = map_state(page, changed_from=state)
            _timed(times, "service change redraw", start)
            assert not check or ("儿童之家" in children["legend"] and children["legend"] != state["legend"])
            page.get_by_text("留守儿童20分钟儿童之家 · 20 分钟").first.wait_for(timeout=MAP_TIMEOUT_MS)
            _choose(page, "考核服务", "15分钟养老服务圈")
            state = map_state(page, changed_from=children,
                              until=(lambda s: _uncovered_count(s) == wider) if check else None)

            # the service areas, then the roads: each drawn once computed, with its legend entry
            start = time.monotonic()
            page.get_by_text("显示服务范围", exact=True).click()
            state = map_state(page, changed_from=state, until=lambda s: "服务范围" in s["legend"])
            _timed(times, "service areas on", start)
            start = time.monotonic()
            page.get_by_text("显示路网", exact=True).click()
            state = map_state(page, changed_from=state, until=lambda s: "道路" in s["legend"])
            _timed(times, "roads on", start)
            if screenshots:
                page.screenshot(path=str(ARTIFACTS / f"browser_{region}_map_layers.png"))
            start = time.monotonic()
            slider.focus()
            slider.press("ArrowLeft")
            state = map_state(page, changed_from=state,
                              until=(lambda s: _uncovered_count(s) == first) if check else None)
            _timed(times, "threshold change, areas and roads shown", start)
            assert not check or ("服务范围" in state["legend"] and "道路" in state["legend"])

            # a proposal of 3 sites, then one accepted: its star turns into an accepted one
            _go(page, "选址")
            _choose(page, "模型", "k 个站点覆盖最多人")
            k = page.get_by_label("新增站点数 k")
            k.fill("3")
            k.press("Enter")
            page.wait_for_timeout(1000)
            state = map_state(page)
            start = time.monotonic()
            page.get_by_role("button", name="生成选址方案").click()
            state = map_state(page, changed_from=state, until=(lambda s: s["proposed"] == 3) if check else None)
            _timed(times, "proposal", start)
            start = time.monotonic()
            page.get_by_role("button", name="采纳", exact=True).first.click()
            state = map_state(page, changed_from=state, until=(lambda s: s["accepted"] == 1) if check else None)
            _timed(times, "accept a site", start)
            assert not check or state["proposed"] == 2
            if screenshots:
                page.screenshot(path=str(ARTIFACTS / f"browser_{region}_siting.png"), full_page=True)
            assert not errors, errors
        finally:
            browser.close()
    assert not outside, f"the app tried to reach the internet: {outside[:5]}"
    return times


def write_times(times_by_region: dict[str, dict[str, float]], path: Path = ARTIFACTS / "browser_times.txt") -> str:
    """The map flow times per region as text (also written to ``path``)."""
    import platform

    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    lines = [f"# map flows in Chromium [s], load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
             f"on {os.cpu_count()} cores, {platform.node()}"]
    for region, times in times_by_region.items():
        lines += [f"{region} {flow}: {times[flow]:.2f} s" for flow in MAP_FLOWS if flow in times]
    text = "\n".join(lines) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return text


@pytest.mark.parametrize("region", ["yuxi", "dali"])
def test_map_flow_times_in_chromium(region):
    """Each map flow changes what the map shows; the times are printed and written, not asserted."""
    with streamlit_app(f"streamlit_{region}.log") as url:
        times = map_flow_times(url, region, screenshots=True)
    path = ARTIFACTS / "browser_times.txt"
    previous = {}
    if path.exists() and region != "yuxi":
        for line in path.read_text(encoding="utf-8").splitlines():
            match = re.match(r"(\w+) (.+): ([\d.]+) s$", line)
            if match and match.group(1) != region:
                previous.setdefault(match.group(1), {})[match.group(2)] = float(match.group(3))
    print(write_times({**previous, region: times}), flush=True)
