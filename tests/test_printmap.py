"""Printed maps: real PDFs and PNGs written, re-read with poppler (pdftotext, pdffonts, pdftoppm)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from matplotlib.patches import Rectangle
from PIL import Image
from pyproj import Geod
from shapely.geometry import Point, box

from coverage.errors import CoverageError, CRSError, InputError, MissingColumnError
from coverage.mapping.fonts import CJK_FONT_FAMILY, cjk_font_path, register_cjk_font
from coverage.mapping.printmap import (
    SIMULATED_MARK,
    coverage_map,
    distribution_map,
    map_bytes,
    page_size_mm,
    proposal_map,
    save_map,
)

POPPLER = all(shutil.which(tool) for tool in ("pdftotext", "pdffonts", "pdftoppm", "pdfinfo"))
needs_poppler = pytest.mark.skipif(
    not POPPLER, reason="poppler-utils (pdftotext, pdffonts, pdftoppm) not installed"
)

COUNTIES = ["红塔区", "江川区", "澄江市", "通海县"]
NUMERALS = "一二三四五六"


def synthetic_region(seed: int = 7) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Four counties of six townships of five villages near Yuxi, with seeded counts and facilities."""
    rng = np.random.default_rng(seed)
    lon0, lat0, size = 102.3, 24.1, 0.25
    bounds, villages = [], []
    for ci, county in enumerate(COUNTIES):
        cx, cy = lon0 + (ci % 2) * size, lat0 + (ci // 2) * size
        ccode = f"53040{ci + 2}"
        bounds.append(
            {
                "level": "county",
                "code": ccode,
                "name": county,
                "parent_code": "530400",
                "geometry": box(cx, cy, cx + size, cy + size),
            }
        )
        for t in range(6):
            tx, ty = cx + (t % 3) * size / 3, cy + (t // 3) * size / 2
            tcode = f"{ccode}{t + 1:03d}000"
            tname = f"{county[:2]}{NUMERALS[t]}镇"
            bounds.append(
                {
                    "level": "township",
                    "code": tcode,
                    "name": tname,
                    "parent_code": ccode,
                    "geometry": box(tx, ty, tx + size / 3, ty + size / 2),
                }
            )
            for v in range(5):
                elderly = int(rng.gamma(2.0, 150.0))
                villages.append(
                    {
                        "id": f"V{len(villages) + 1:03d}",
                        "name": f"{tname}{v + 1}村",
                        "county_code": ccode,
                        "county_name": county,
                        "township_code": tcode,
                        "township_name": tname,
                        "elderly_60plus": elderly,
                        "left_behind_children": int(rng.gamma(1.5, 8.0)),
                        "geometry": Point(
                            tx + rng.uniform(0.1, 0.9) * size / 3, ty + rng.uniform(0.1, 0.9) * size / 2
                        ),
                    }
                )
    demand = gpd.GeoDataFrame(villages, crs="EPSG:4326")
    boundaries = gpd.GeoDataFrame(bounds, crs="EPSG:4326")
    picks = demand.sample(6, random_state=seed)
    facilities = gpd.GeoDataFrame(
        {
            "id": [f"F{i}" for i in range(6)],
            "name": [f"设施{i}" for i in range(6)],
            "type": ["childrens_home", "happy_courtyard"] * 3,
        },
        geometry=list(picks.geometry),
        crs="EPSG:4326",
    )
    return demand, boundaries, facilities


@pytest.fixture(scope="module")
def region() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    return synthetic_region()


@pytest.fixture(scope="module")
def a4_portrait(region):
    """One A4 portrait distribution map, shared by the tests that only inspect the figure."""
    demand, boundaries, _ = region
    return distribution_map(demand, boundaries=boundaries, paper="A4", orientation="portrait")


def within_km(demand: gpd.GeoDataFrame, points: gpd.GeoDataFrame, km: float) -> np.ndarray:
    dm, pm = demand.to_crs(32648), points.to_crs(32648)
    return np.array([pm.distance(p).min() <= km * 1000 for p in dm.geometry])


def pdftotext(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def pdffonts(path: Path) -> str:
    return subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout


def rendered_png(path: Path, tmp_path: Path) -> Image.Image:
    prefix = tmp_path / path.stem
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(path), str(prefix)],
        check=True,
        capture_output=True,
    )
    return Image.open(next(tmp_path.glob(f"{path.stem}*.png"))).convert("L")


def ink_share(img: Image.Image) -> float:
    """Share of pixels that are not white."""
    arr = np.asarray(img)
    return float((arr < 235).mean())


# ------------------------------------------------------------------ font


def test_font_ships_with_a_python_dependency_and_registers():
    path = cjk_font_path()
    assert path.name == "NotoSansCJKsc-Regular.otf"
    assert "site-packages" in str(path) or "dist-packages" in str(path)
    assert register_cjk_font() == CJK_FONT_FAMILY


def test_missing_font_package_says_how_to_install(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "mplfonts" else real(name))
    with pytest.raises(FileNotFoundError, match="pip install"):
        cjk_font_path()
    with pytest.raises(CoverageError, match="NotoSansCJKsc"):
        cjk_font_path()


# ------------------------------------------------------------------ page


def test_page_sizes_and_bad_options():
    assert page_size_mm("A3", "landscape") == (420.0, 297.0)
    assert page_size_mm("a4", "portrait") == (210.0, 297.0)
    with pytest.raises(InputError, match="unknown paper size 'B5'"):
        page_size_mm("B5", "portrait")
    with pytest.raises(InputError, match="unknown orientation 'sideways'"):
        page_size_mm("A4", "sideways")


# ------------------------------------------------------------------ distribution


@needs_poppler
def test_distribution_pdf_has_title_embedded_font_and_ink(region, tmp_path):
    demand, boundaries, facilities = region
    fig = distribution_map(
        demand,
        boundaries=boundaries,
        facilities=facilities,
        region_name="玉溪市",
        simulated=True,
        paper="A3",
        orientation="landscape",
        date="2026-11-23",
    )
    path = save_map(fig, tmp_path / "maps" / "dist.pdf")
    assert path.is_file() and path.stat().st_size > 10_000
    text = pdftotext(path)
    assert '玉溪市"一老一小"分布图' in text
    assert SIMULATED_MARK in text
    assert "制图日期：2026-11-23" in text and "数据来源" in text
    assert "红塔区" in text and "公里" in text
    # every font is embedded, and the Chinese one is the shipped Noto Sans CJK SC
    fonts = pdffonts(path).splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts
    assert any("NotoSansCJKsc" in line for line in fonts)
    # A3 landscape in points
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    assert "1190.55 x 841.89 pts" in info
    img = rendered_png(path, tmp_path)
    assert 0.05 < ink_share(img) < 0.7


@needs_poppler
def test_choropleth_without_simulated_mark(region, tmp_path):
    demand, boundaries, facilities = region
    before = (demand.copy(), boundaries.copy(), facilities.copy())
    fig = distribution_map(
        demand,
        boundaries=boundaries,
        facilities=facilities,
        style="choropleth",
        region_name="玉溪市",
        orientation="portrait",
    )
    # the library never mutates its inputs
    pd.testing.assert_frame_equal(demand, before[0])
    pd.testing.assert_frame_equal(boundaries, before[1])
    pd.testing.assert_frame_equal(facilities, before[2])
    path = save_map(fig, tmp_path / "choropleth.pdf")
    text = pdftotext(path)
    assert "按乡(镇、街道)统计" in text
    assert "乡镇合计" in text
    assert SIMULATED_MARK not in text
    # the township with the most older people is listed first in the panel, with its total
    totals = demand.groupby("township_name")["elderly_60plus"].sum().sort_values(ascending=False)
    assert f"{totals.index[0]}" in text and f"{int(totals.iloc[0]):,}" in text


def test_png_is_300_dpi_at_paper_size(region, tmp_path):
    demand, boundaries, _ = region
    # a user's list with left-behind children only: the default groups adapt, and so does the title
    fig = distribution_map(
        demand.drop(columns="elderly_60plus"),
        boundaries=boundaries,
        region_name="红塔区",
        orientation="portrait",
    )
    assert [t.get_text() for t in fig.texts if t.get_gid() == "title"] == ["红塔区留守儿童分布图"]
    path = save_map(fig, tmp_path / "dist.png")
    with Image.open(path) as img:
        width_px, height_px = img.size
        assert abs(width_px - 210 / 25.4 * 300) <= 1 and abs(height_px - 297 / 25.4 * 300) <= 1
        assert round(img.info["dpi"][0]) == 300
        assert 0.03 < ink_share(img.convert("L").reduce(8)) < 0.7


def test_scale_bar_matches_ground_distance(region, a4_portrait):
    """The scale bar's labelled kilometres equal the geodesic distance its length covers on paper."""
    demand, _, _ = region
    fig = a4_portrait
    ax = fig.axes[0]
    bar = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_gid() == "scalebar"]
    assert len(bar) == 4
    km_label = max(float(t.get_text()) for t in ax.texts if t.get_gid() == "scalebar-km")
    left = min(p.get_x() for p in bar)
    right = max(p.get_x() + p.get_width() for p in bar)
    y = bar[0].get_y()
    # paper length of the bar (mm)
    (px0, _), (px1, _) = ax.transData.transform([(left, y), (right, y)])
    bar_mm = (px1 - px0) / fig.dpi * 25.4
    # ground metres per paper mm, measured geodesically between two villages far apart
    west, east = demand.geometry.x.idxmin(), demand.geometry.x.idxmax()
    geod = Geod(ellps="WGS84")
    _, _, ground_m = geod.inv(
        demand.geometry.x[west], demand.geometry.y[west], demand.geometry.x[east], demand.geometry.y[east]
    )
    utm = demand.to_crs(demand.estimate_utm_crs())
    (a, b) = ax.transData.transform(
        [(utm.geometry.x[west], utm.geometry.y[west]), (utm.geometry.x[east], utm.geometry.y[east])]
    )
    paper_mm = float(np.hypot(*(b - a))) / fig.dpi * 25.4
    ground_per_mm = ground_m / paper_mm
    assert bar_mm * ground_per_mm / 1000 == pytest.approx(km_label, rel=0.002)
    ratio_text = next(t.get_text() for t in ax.texts if t.get_gid() == "scale-ratio")
    ratio = int(ratio_text.split("1:")[1].replace(",", ""))
    assert ratio == pytest.approx(ground_per_mm * 1000, rel=0.01)


def test_labels_do_not_overlap_and_stay_inside_the_frame(a4_portrait):
    fig = a4_portrait
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    frame = ax.get_window_extent(renderer)
    shown = [t for t in ax.texts if t.get_gid() == "map-label" and t.get_visible()]
    assert {"红塔区", "江川区", "澄江市", "通海县"} <= {t.get_text() for t in shown}
    boxes = [t.get_window_extent(renderer) for t in shown]
    for i, a in enumerate(boxes):
        assert frame.x0 <= a.x0 and a.x1 <= frame.x1 and frame.y0 <= a.y0 and a.y1 <= frame.y1
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b)


def test_distribution_errors(region, a4_portrait, tmp_path):
    demand, _, _ = region
    with pytest.raises(CRSError, match="demand has no coordinate reference system"):
        distribution_map(demand.set_crs(None, allow_override=True))
    with pytest.raises(MissingColumnError, match="column 'left_behind_children'"):
        distribution_map(demand.drop(columns="left_behind_children"), groups=["left_behind_children"])
    with pytest.raises(MissingColumnError, match="neither 'elderly_60plus'"):
        distribution_map(demand.drop(columns=["left_behind_children", "elderly_60plus"]))
    with pytest.raises(InputError, match="needs township boundaries"):
        distribution_map(demand, style="choropleth")
    with pytest.raises(InputError, match="unknown style 'dots'"):
        distribution_map(demand, style="dots")
    with pytest.raises(InputError, match="unknown population group 'adults'"):
        distribution_map(demand, groups=["adults"])
    with pytest.raises(InputError, match="one or two population groups"):
        distribution_map(demand, groups=[])
    with pytest.raises(InputError, match="demand is empty"):
        distribution_map(demand.iloc[:0])
    fig = a4_portrait
    with pytest.raises(InputError, match=r"unsupported map format '\.jpg'"):
        save_map(fig, tmp_path / "map.jpg")
    with pytest.raises(InputError, match="unsupported map format 'svg'"):
        map_bytes(fig, fmt="svg")
    assert map_bytes(fig, fmt="png", dpi=30)[:8] == b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------------------------ coverage and proposal


@needs_poppler
def test_coverage_map_reports_the_share_covered(region, tmp_path):
    demand, boundaries, facilities = region
    covered = within_km(demand, facilities, 6.0)
    areas = gpd.GeoDataFrame(
        {"threshold_min": [15.0]}, geometry=[facilities.to_crs(32648).buffer(6000).union_all()], crs=32648
    )
    by_id = pd.Series(covered, index=demand["id"])
    fig = coverage_map(
        demand,
        facilities,
        covered=by_id,
        group="left_behind_children",
        service_areas=areas,
        boundaries=boundaries,
        facility_types=["childrens_home"],
        service_label="儿童之家",
        threshold_min=15,
        mode_label="步行",
        region_name="玉溪市",
        simulated=True,
    )
    path = save_map(fig, tmp_path / "coverage.pdf")
    text = pdftotext(path)
    assert "玉溪市儿童之家覆盖图" in text
    share = 100 * demand.loc[covered, "left_behind_children"].sum() / demand["left_behind_children"].sum()
    assert f"{share:.1f}%" in text
    assert f"已覆盖（{int(covered.sum())} 个）" in text
    assert "步行15分钟服务范围" in text
    assert "儿童之家（3）" in text and "幸福小院" not in text  # only the types that count
    assert ink_share(rendered_png(path, tmp_path)) > 0.05


def test_coverage_flags_must_match_the_villages(region):
    demand, _, facilities = region
    with pytest.raises(InputError, match=f"expected {len(demand)} values"):
        coverage_map(demand, facilities, covered=[True, False], group="elderly_60plus")
    with pytest.raises(MissingColumnError, match="column 'reached'"):
        coverage_map(demand, facilities, covered="reached", group="elderly_60plus")
    with pytest.raises(CRSError, match="facilities has no coordinate"):
        coverage_map(
            demand, facilities.set_crs(None, allow_override=True), covered="id", group="elderly_60plus"
        )


@needs_poppler
def test_proposal_map_shows_before_after_and_sites(region, tmp_path):
    demand, boundaries, facilities = region
    before = within_km(demand, facilities, 5.0)
    proposed = demand.loc[~before].sample(3, random_state=1)[["id", "name", "geometry"]]
    after = before | within_km(demand, proposed, 5.0)
    fig = proposal_map(
        demand,
        facilities,
        proposed,
        covered_before=before,
        covered_after=after,
        group="elderly_60plus",
        boundaries=boundaries,
        service_label="幸福小院",
        threshold_min=20,
        mode_label="步行",
        region_name="玉溪市",
        paper="A4",
        orientation="portrait",
        site_gain=dict.fromkeys(proposed["id"], 100),
    )
    path = save_map(fig, tmp_path / "proposal.pdf")
    text = pdftotext(path)
    assert "玉溪市幸福小院选址方案图" in text
    assert "方案前后对比" in text
    gain = demand.loc[after & ~before, "elderly_60plus"].sum()
    assert f"+{int(gain):,}" in text
    for i, name in enumerate(proposed["name"], start=1):
        assert f"{i}. {name}" in text
    assert f"方案新增覆盖（{int((after & ~before).sum())}）" in text


def test_title_is_drawn_once_and_fits_the_sheet(region):
    """No outline copy under the title (it showed as doubled glyphs in the app's 110 dpi preview)."""
    demand, boundaries, _ = region
    long_title = "玉溪市红塔区、江川区、澄江市、通海县农村留守儿童与六十岁以上老年人分布及服务设施现状图"
    for title, orientation in (("玉溪市分布图", "landscape"), (long_title, "portrait")):
        fig = distribution_map(demand, boundaries=boundaries, title=title, orientation=orientation)
        drawn = [t for t in fig.texts if t.get_text() == title]
        assert len(drawn) == 1 and drawn[0].get_gid() == "title"
        assert not drawn[0].get_path_effects()
        box = drawn[0].get_window_extent(fig.canvas.get_renderer())
        margin_px = 10 / 25.4 * fig.dpi
        assert margin_px <= box.x0 and box.x1 <= fig.bbox.width - margin_px
        if title != long_title:
            assert drawn[0].get_fontsize() == pytest.approx(20.0)


# ------------------------------------------------------------------ rare characters and literal text

#: Rare place-name characters of CJK Extension B that the shipped Noto Sans CJK SC has.
EXT_B_IN_NOTO = "𠮷𡌶𨸏"
#: One that it lacks (U+21DB4): drawn by a fallback font (SimSun-ExtB on Windows, HanaMinB on Debian).
EXT_B_FALLBACK = "𡶴"


def _renamed(boundaries: gpd.GeoDataFrame, names: list[str]) -> gpd.GeoDataFrame:
    """The boundaries with the first townships renamed (township names are labelled on the map)."""
    out = boundaries.copy()
    rows = out.index[out["level"] == "township"][: len(names)]
    out.loc[rows, "name"] = names
    return out


@needs_poppler
def test_rare_ext_b_place_names_print_as_text_not_boxes(region, tmp_path):
    from coverage.mapping.fonts import fallback_fonts, missing_glyphs

    demand, boundaries, _ = region
    rare = [f"{EXT_B_IN_NOTO[0]}家镇", f"{EXT_B_IN_NOTO[1]}头镇", f"{EXT_B_IN_NOTO[2]}山镇"]
    if fallback_fonts():
        rare.append(f"{EXT_B_FALLBACK}峪镇")
    assert missing_glyphs(rare) == []
    # pytest turns warnings into errors: matplotlib warns "Glyph ... missing from font(s)" for a box
    fig = distribution_map(demand, boundaries=_renamed(boundaries, rare), region_name=f"{EXT_B_IN_NOTO[0]}溪市",
                           paper="A4", orientation="landscape")
    path = save_map(fig, tmp_path / "rare.pdf")
    text = pdftotext(path)
    assert f"{EXT_B_IN_NOTO[0]}溪市" in text  # the title, with its Extension B character
    for ch in "".join(rare):
        assert ch in text, ch


def test_rare_character_fallback_font_is_used_when_installed(tmp_path):
    """A character the shipped font lacks is drawn by a fallback font (same glyph ink as the fallback alone)."""
    import matplotlib.pyplot as plt

    from coverage.mapping.fonts import cjk_rc, fallback_fonts, missing_glyphs

    if not fallback_fonts():
        pytest.skip("no fallback font for rare CJK characters installed (Debian: apt-get install fonts-hanazono; "
                    "Windows has SimSun-ExtB)")
    assert missing_glyphs(EXT_B_FALLBACK) == []
    with plt.rc_context(cjk_rc()):
        fig = plt.figure(figsize=(1, 1), dpi=100)
        fig.text(0.5, 0.5, EXT_B_FALLBACK, fontsize=40, ha="center", va="center")
        fig.savefig(tmp_path / "ch.png")
        plt.close(fig)
    ink = (np.asarray(Image.open(tmp_path / "ch.png").convert("L")) < 128).mean()
    assert ink > 0.02  # a drawn character, not an empty box outline


def test_characters_no_font_has_are_named_in_a_warning(caplog):
    from coverage.mapping.fonts import missing_glyphs, warn_missing_glyphs

    private = "\U000f0001"  # a private-use code point: no font draws it
    assert missing_glyphs(["玉溪市", f"大{private}村", private]) == [private]
    with caplog.at_level("WARNING", logger="coverage.mapping.fonts"):
        assert warn_missing_glyphs([f"大{private}村"], where="test.pdf") == [private]
    assert "test.pdf" in caplog.text and "U+F0001" in caplog.text and "方框" in caplog.text


@needs_poppler
def test_dollar_signs_in_names_are_drawn_as_written(region, tmp_path):
    """A name such as "$\\frac$村" is text, never a formula (it used to stop the map with a parse error)."""
    demand, boundaries, _ = region
    names = ["$\\frac$镇", "$x^2$镇"]
    fig = distribution_map(demand, boundaries=_renamed(boundaries, names), region_name="$玉溪$",
                           paper="A4", orientation="landscape")
    text = pdftotext(save_map(fig, tmp_path / "dollar.pdf"))
    assert "$玉溪$" in text and "$x^2$镇" in text and "$\\frac$镇" in text


def test_png_resolution_out_of_range_is_refused_before_drawing(a4_portrait, tmp_path):
    for dpi in (0, 20000, -300):
        with pytest.raises(InputError, match=rf"dpi={dpi}: the resolution must be between 72 and 1200"):
            save_map(a4_portrait, tmp_path / "m.png", dpi=dpi)
    assert not (tmp_path / "m.png").exists()
