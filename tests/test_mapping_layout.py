"""Printed map layout: every kind x paper x orientation, nothing overlaps; screen and paper share one style."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import Bbox
from test_printmap import COUNTIES, synthetic_region, within_km

from coverage.errors import InputError
from coverage.mapping import style
from coverage.mapping.printmap import coverage_map, distribution_map, proposal_map
from coverage.mapping.webmap import coverage_map as web_map
from coverage.mapping.webmap import to_html

CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(scope="module")
def region():
    return synthetic_region()


def _sites(demand: gpd.GeoDataFrame, n: int, seed: int = 2) -> gpd.GeoDataFrame:
    """``n`` proposed sites, half of them packed into one township (numbers must not collide)."""
    rng = np.random.default_rng(seed)
    picks = demand.sample(n, random_state=seed)[["id", "name", "geometry"]].reset_index(drop=True)
    packed = picks.geometry.iloc[0]
    xy = [(packed.x + rng.uniform(-0.01, 0.01), packed.y + rng.uniform(-0.01, 0.01)) for _ in range(n // 2)]
    geoms = list(gpd.points_from_xy(*zip(*xy, strict=True))) + list(picks.geometry.iloc[n // 2:])
    return gpd.GeoDataFrame(picks.drop(columns="geometry"), geometry=geoms, crs=demand.crs)


def build(kind: str, region, paper: str, orientation: str, **extra):
    demand, boundaries, facilities = region
    common = {"boundaries": boundaries, "region_name": "玉溪市", "paper": paper, "orientation": orientation,
              "simulated": True, **extra}
    service = {"service_label": "15分钟养老服务圈", "threshold_min": 30, "mode_label": "步行"}
    if extra.get("lang") == "en":  # the user's own names, in English
        service.update(service_label="15-minute care circle", mode_label="walking")
        common["region_name"] = "Yuxi"
    before = within_km(demand, facilities, 5.0)
    if kind == "distribution":
        return distribution_map(demand, facilities=facilities, **common)
    if kind == "coverage":
        return coverage_map(demand, facilities, covered=before, group="elderly_60plus", **service, **common)
    sites = _sites(demand, 16)
    after = before | within_km(demand, sites, 5.0)
    return proposal_map(demand, facilities, sites, covered_before=before, covered_after=after,
                        group="elderly_60plus", site_gain=dict.fromkeys(sites["id"], 10), **service, **common)


def visible_texts(fig) -> list:
    """Every text a reader sees (underlays drawn under a text are part of it)."""
    texts = list(fig.texts)
    for ax in fig.axes:
        texts += list(ax.texts)
        for child in ax.get_children():
            if isinstance(child, Legend):
                texts += [*child.get_texts(), child.get_title()]
    return [t for t in texts if t.get_visible() and t.get_text().strip() and t.get_gid() != "underlay"]


def legends(fig) -> list[Legend]:
    return [c for ax in fig.axes for c in ax.get_children() if isinstance(c, Legend)]


def has_symbol(handle) -> bool:
    if isinstance(handle, Patch):
        return handle.get_facecolor()[3] > 0 and handle.get_visible()
    if isinstance(handle, Line2D):
        if handle.get_marker() not in (None, "None", "", " "):
            face = to_rgba(handle.get_markerfacecolor(), handle.get_alpha())
            return (handle.get_markersize() >= 4 and face[3] > 0 and face[:3] != (1.0, 1.0, 1.0)
                    and handle.get_markeredgewidth() < handle.get_markersize() / 4)
        return handle.get_linewidth() > 0 and handle.get_linestyle() not in ("None", "")
    return False


CASES = [(k, p, o) for k in ("distribution", "coverage", "proposal") for p in ("A4", "A3")
         for o in ("landscape", "portrait")]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(("kind", "paper", "orientation"), CASES)
def test_nothing_overlaps_and_every_entry_has_its_symbol(region, kind, paper, orientation, lang):
    fig = build(kind, region, paper, orientation, lang=lang)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = visible_texts(fig)
    boxes = [t.get_window_extent(renderer) for t in texts]
    sheet = fig.bbox
    for text, box in zip(texts, boxes, strict=True):
        assert sheet.x0 <= box.x0 and box.x1 <= sheet.x1 and sheet.y0 <= box.y0 and box.y1 <= sheet.y1, text
    for i, a in enumerate(boxes):
        for j in range(i + 1, len(boxes)):
            assert not a.overlaps(boxes[j]), (texts[i].get_text(), texts[j].get_text())
    (legend,) = legends(fig)
    legend_box = legend.get_window_extent(renderer)
    own = set(map(id, [*legend.get_texts(), legend.get_title()]))
    for text, box in zip(texts, boxes, strict=True):
        if id(text) not in own:
            assert not legend_box.overlaps(box), f"the legend runs over '{text.get_text()}'"
    map_box = fig.axes[0].get_window_extent(renderer)
    assert not legend_box.overlaps(map_box)
    headings = set(legend._coverage_headings)
    entries = [(h, t.get_text()) for h, t in zip(legend.legend_handles, legend.get_texts(), strict=True)
               if t.get_text() not in headings]
    assert entries
    for handle, label in entries:
        assert has_symbol(handle), f"legend entry '{label}' has no visible symbol"
    shown = {t.get_text() for t in texts if t.get_gid() == "map-label"}
    assert set(COUNTIES) <= shown
    for t in texts:
        if t.get_gid() == "map-label":
            box = t.get_window_extent(renderer)
            assert Bbox.intersection(box, map_box) is not None and map_box.x0 <= box.x0 <= box.x1 <= map_box.x1


def test_sites_are_numbered_as_in_the_list_and_the_title_follows_the_threshold(region):
    fig = build("proposal", region, "A4", "landscape")
    texts = visible_texts(fig)
    numbers = [t.get_text() for t in texts if t.get_gid() == "map-label" and t.get_text().isdigit()]
    assert sorted(numbers, key=int) == [str(i) for i in range(1, 17)]
    listed = [t.get_text() for t in texts if re.match(r"^\d+\. ", t.get_text())]
    assert [x.split(".")[0] for x in listed] == [str(i) for i in range(1, len(listed) + 1)]
    title = next(t.get_text() for t in fig.texts if t.get_gid() == "title")
    assert title == "玉溪市30分钟养老服务圈选址方案图"
    subtitle = next(t.get_text() for t in fig.texts if t.get_gid() == "subtitle")
    assert "步行30分钟" in subtitle and "15分钟" not in subtitle


@pytest.mark.parametrize("kind", ["distribution", "coverage", "proposal"])
def test_english_sheets_have_no_chinese_furniture(region, kind):
    fig = build(kind, region, "A4", "landscape", lang="en")
    furniture = list(fig.texts)
    (legend,) = legends(fig)
    furniture += [*legend.get_texts(), legend.get_title()]
    for t in furniture:
        assert not CJK.search(t.get_text()), t.get_text()
    assert legend.get_title().get_text() == "Legend"
    if kind != "distribution":
        title = next(t.get_text() for t in fig.texts if t.get_gid() == "title")
        assert title.startswith("Yuxi 30-minute care circle")


def test_unknown_language_is_refused(region):
    demand, boundaries, _ = region
    with pytest.raises(InputError, match="unknown language 'fr'"):
        distribution_map(demand, boundaries=boundaries, lang="fr")


def test_service_name_follows_the_threshold():
    assert style.retime_label("15分钟养老服务圈", 30) == "30分钟养老服务圈"
    assert style.retime_label("15-minute care circle", 20) == "20-minute care circle"
    assert style.retime_label("幸福小院", 30) == "幸福小院"


def test_screen_and_paper_use_the_same_classes_and_colours(region):
    demand, boundaries, facilities = region
    group = "elderly_60plus"
    breaks = style.class_breaks(demand[group])
    labels = style.class_labels(breaks)
    fig = distribution_map(demand, boundaries=boundaries, groups=[group])
    (legend,) = legends(fig)
    printed = [t.get_text() for t in legend.get_texts()]
    assert [x for x in printed if x in labels] == labels
    colour = to_rgba(style.demand_colour(group))
    fills = [tuple(float(v) for v in c.get_facecolor()[0][:3]) for c in fig.axes[0].collections
             if len(c.get_offsets()) == int((demand[group] > 0).sum())]
    assert tuple(pytest.approx(v) for v in colour[:3]) in fills
    html = to_html(web_map(demand, facilities, boundaries=boundaries, groups=[group], village_min_zoom=99))
    html = html.replace("\\u003c", "<").replace("\\u003e", ">")
    for text in labels:
        assert f"<small>{text}</small>" in html
    assert f'"fill":"{style.demand_colour(group)}"' in html


def test_web_map_shows_township_totals_zoomed_out_and_villages_zoomed_in(region):
    demand, boundaries, facilities = region
    sites = demand.sample(3, random_state=4)[["id", "name", "geometry"]]
    html = to_html(web_map(demand, facilities, boundaries=boundaries, sites=sites, village_min_zoom=11))
    town = demand.groupby("township_name")["elderly_60plus"].sum()
    name, total = town.idxmax(), int(town.max())
    assert f'"tip":"{name} · {total:,}"' in html
    assert "zmin = null, zmax = 11" in html and "zmin = 11, zmax = null" in html
    assert 'pane: "covLabels"' in html and 'createPane("covLabels")' in html
    assert "\\u003cdetails open\\u003e\\u003csummary\\u003e" in html  # the legend folds away
    for i, site_name in enumerate(sites["name"], start=1):
        assert f'"num":"{i}"' in html and f'"tip":"{i}. {site_name}"' in html


@pytest.mark.slow
@pytest.mark.parametrize("paper", ["A4", "A3"])
def test_the_apps_default_print_of_the_yuxi_demo_has_no_overlaps(paper):
    """Every facility type of the demo in the legend (32 entries): it must still fit, never spill off the sheet."""
    from coverage.demo import load_demo

    region = load_demo("yuxi")
    fig = distribution_map(region.demand, facilities=region.facilities, boundaries=region.boundaries,
                           region_name="玉溪市", paper=paper, orientation="landscape", simulated=True)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = visible_texts(fig)
    boxes = [t.get_window_extent(renderer) for t in texts]
    for text, box in zip(texts, boxes, strict=True):
        assert fig.bbox.x0 <= box.x0 and box.x1 <= fig.bbox.x1 and box.y0 >= fig.bbox.y0, text.get_text()
    for i, a in enumerate(boxes):
        for j in range(i + 1, len(boxes)):
            assert not a.overlaps(boxes[j]), (texts[i].get_text(), texts[j].get_text())
