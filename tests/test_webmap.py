"""Offline folium maps: no CDN asset, escaped popups, symbols, legend, GCJ-02 shift."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pytest
import shapely

from coverage.errors import CRSError, InputError, MissingColumnError
from coverage.mapping import webmap
from coverage.mapping.webmap import (
    FACILITY_SYMBOLS,
    click_to_wgs84,
    coverage_map,
    graduated_breaks,
    new_map,
    offline_assets,
    remote_asset_urls,
    symbol_svg,
    to_html,
)
from coverage.taxonomy import FACILITY_TYPES

WGS84 = "EPSG:4326"


@pytest.fixture()
def demand() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": ["v1", "v2", "v3", "v4"],
         "name": ["<script>alert('x')</script>村", "{{ 7 * 7 }}村", "大营村", "小营村"],
         "county_name": ["红塔区"] * 4, "township_name": ["玉兴街道"] * 4,
         "elderly_60plus": [120, 480, 0, 2100], "left_behind_children": [3, 12, 0, 40]},
        geometry=gpd.points_from_xy([102.50, 102.52, 102.55, 102.58], [24.30, 24.33, 24.35, 24.38]), crs=WGS84)


@pytest.fixture()
def facilities() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": ["f1", "f2", "f3"], "name": ["玉兴幸福小院", "红塔区殡仪馆", "玉兴儿童之家"],
         "type": ["happy_courtyard", "funeral_home", "childrens_home"], "capacity": [20.0, np.nan, 15.0],
         "capacity_unit": ["places", None, "places"], "status": ["existing"] * 3},
        geometry=gpd.points_from_xy([102.51, 102.53, 102.57], [24.31, 24.34, 24.37]), crs=WGS84)


@pytest.fixture()
def boundaries() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"level": ["county", "township"], "code": ["530402", "530402001"], "name": ["红塔区", "玉兴街道"],
         "parent_code": ["5304", "530402"]},
        geometry=[shapely.box(102.45, 24.25, 102.65, 24.45), shapely.box(102.48, 24.28, 102.6, 24.4)], crs=WGS84)


def _scripts_and_links(html: str) -> list[str]:
    return re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', html)


def test_map_needs_no_network(demand, facilities, boundaries):
    m = coverage_map(demand, facilities, boundaries=boundaries, uncovered_ids=["v4"])
    assert remote_asset_urls(m) == []
    html = to_html(m)
    urls = _scripts_and_links(html)
    assert urls, "the page must load Leaflet"
    assert all(u.startswith("data:") for u in urls), urls
    # folium's CDN defaults are gone: no jQuery, Bootstrap, Font Awesome
    for cdn in ("cdn.jsdelivr.net", "code.jquery.com", "cdnjs.cloudflare.com", "bootstrapcdn", "fontawesome"):
        assert cdn not in html
    assert "L.map(" in html and "L.geoJSON(" in html


def test_offline_assets_inline_leaflet_and_its_images():
    js, css = offline_assets()
    assert js[0][1].startswith("data:text/javascript;base64,")
    assert css[0][1].startswith("data:text/css;base64,")
    import base64

    text = base64.b64decode(css[0][1].split(",", 1)[1]).decode("utf-8")
    assert "url(images/" not in text and "url(data:image/png;base64," in text


def test_streamlit_folium_loads_only_inline_assets(demand, facilities):
    """streamlit-folium injects every element's default_js/css into its iframe: all must be inline."""
    m = coverage_map(demand, facilities)
    links = []

    def walk(elem):
        links.extend(u for _, u in getattr(elem, "default_js", []) + getattr(elem, "default_css", []))
        for child in elem._children.values():
            walk(child)

    walk(m)
    assert links and all(u.startswith("data:") for u in links)


def test_user_text_is_escaped_and_not_templated(demand, facilities):
    html = to_html(coverage_map(demand, facilities))
    assert "<script>alert('x')</script>" not in html
    # escaped for HTML (popups are HTML), then JSON-encoded into the script with & as \u0026
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;村" in html.replace("\\u0026", "&")
    assert "{{ 7 * 7 }}村" in html  # a village name is never evaluated as a template
    assert "49村" not in html


def test_legend_in_chinese_and_english(demand, facilities, boundaries):
    zh = to_html(coverage_map(demand, facilities, boundaries=boundaries, uncovered_ids=["v1"], lang="zh"))
    en = to_html(coverage_map(demand, facilities, boundaries=boundaries, uncovered_ids=["v1"], lang="en"))
    for text in ("图例", "60岁以上老年人", "留守儿童", "幸福小院", "殡仪馆", "儿童之家", "未覆盖村庄", "红塔区"):
        assert text in zh, text
    for text in ("Legend", "Older people (60+)", "Left-behind children", "Funeral home", "Uncovered villages"):
        assert text in en, text
    assert "图例" not in en


def test_graduated_breaks_and_symbol_sizes():
    assert graduated_breaks([0, 0, np.nan]) == []
    breaks = graduated_breaks([10, 20, 30, 40, 50, 60, 70, 80, 1234])
    assert breaks == sorted(breaks) and breaks[-1] == 1234
    radii = webmap._radius_px(np.array([10.0, 1234.0]), breaks)
    assert radii[0] < radii[1]


def test_every_facility_type_has_its_own_symbol():
    assert set(FACILITY_SYMBOLS) == set(FACILITY_TYPES)
    assert len(set(FACILITY_SYMBOLS.values())) == len(FACILITY_TYPES)
    svg = symbol_svg("star", "#ff0000", size_px=20)
    assert svg.startswith("<svg") and 'fill="#ff0000"' in svg
    with pytest.raises(InputError, match="unknown symbol shape 'blob'"):
        symbol_svg("blob", "#000")


def test_amap_basemap_shifts_overlays_to_gcj02(demand):
    from coverage.inputs.crs import wgs84_to_gcj02

    plain = to_html(coverage_map(demand, None))
    amap = to_html(coverage_map(demand, None, basemap="amap"))
    lon, lat = wgs84_to_gcj02(np.array([102.58]), np.array([24.38]))
    assert "[102.58,24.38]" in plain
    assert f"[{round(float(lon[0]), 5)},{round(float(lat[0]), 5)}]" in amap
    assert "autonavi.com" in amap and "GCJ-02" in amap
    # a click on the shifted map comes back to WGS-84
    back = click_to_wgs84(float(lat[0]), float(lon[0]), basemap="amap")
    assert back == pytest.approx((102.58, 24.38), abs=1e-6)
    assert click_to_wgs84(24.38, 102.58) == (102.58, 24.38)


def test_no_tiles_unless_asked(demand):
    assert "tile.openstreetmap.org" not in to_html(coverage_map(demand, None))
    assert "tile.openstreetmap.org" in to_html(coverage_map(demand, None, basemap="osm"))


def test_basemap_errors():
    with pytest.raises(InputError, match="Tianditu base map needs your key"):
        new_map(basemap="tianditu")
    with pytest.raises(InputError, match="unknown base map 'google'"):
        new_map(basemap="google")
    m = new_map(basemap="tianditu", tianditu_key="abc123")
    assert "tk=abc123" in to_html(m)


def test_layer_errors(demand):
    with pytest.raises(CRSError, match="no coordinate reference system"):
        coverage_map(demand.set_crs(None, allow_override=True), None)
    with pytest.raises(MissingColumnError, match="no column 'elderly_80plus'"):
        webmap.add_demand(new_map(), demand, group="elderly_80plus")
    with pytest.raises(InputError, match="unknown population group 'pets'"):
        webmap.add_demand(new_map(), demand, group="pets")


def test_projected_layers_are_drawn_in_wgs84(demand):
    projected = demand.to_crs("EPSG:32648")
    html = to_html(coverage_map(projected, None))
    assert "[102.58,24.38]" in html


def test_sites_with_explanations(demand):
    from coverage.scenario import new_site, sites_frame

    site = new_site(102.56, 24.36, facility_type="happy_courtyard", name="新建<幸福小院>",
                    explanation="新增覆盖 480 人")
    html = to_html(coverage_map(demand, None, sites=sites_frame([site])))
    assert "新建&lt;幸福小院&gt;" in html and "新增覆盖 480 人" in html and "手动添加站点" in html


def test_service_areas_layer(demand):
    areas = gpd.GeoDataFrame({"threshold_min": [15.0]}, geometry=[shapely.Point(102.55, 24.35).buffer(0.05)],
                             crs=WGS84)
    html = to_html(coverage_map(demand, None, service_areas=areas, lang="zh"))
    assert "≤ 15 分钟" in html and "服务范围" in html
    # a fill and a firm outline that still show at prefecture zoom
    assert '"fillOpacity":0.35' in html and '"color":"#006d2c","weight":2' in html


def _geojson_coords(html: str, marker: str) -> list[tuple[str, str]]:
    """Coordinate pairs, as written, of the GeoJSON layer whose text holds ``marker``."""
    start = html.index(marker)
    block = html[html.rindex("L.geoJSON(", 0, start):html.index("});", start)]
    return re.findall(r"\[(-?[0-9.]+),\s*(-?[0-9.]+)\]", block)


def test_service_areas_are_simplified_in_metres_for_display(demand):
    """A finely drawn area reaches the browser with a few vertices, each within 20 m of the true edge."""
    centre = gpd.GeoSeries([shapely.Point(102.55, 24.35)], crs=WGS84).to_crs("EPSG:32648").iloc[0]
    disc = centre.buffer(1500, quad_segs=256)
    area = gpd.GeoDataFrame({"threshold_min": [15.0]}, geometry=[disc], crs="EPSG:32648").to_crs(WGS84)
    html = to_html(coverage_map(demand, None, service_areas=area))
    drawn = _geojson_coords(html, "≤ 15 分钟")
    assert 10 < len(drawn) < 300, len(drawn)  # 1,025 vertices in the source
    assert all(len(x.split(".")[1]) <= 5 and len(y.split(".")[1]) <= 5 for x, y in drawn)  # about 1 m
    pts = gpd.GeoSeries(gpd.points_from_xy([float(x) for x, _ in drawn], [float(y) for _, y in drawn]),
                        crs=WGS84).to_crs("EPSG:32648")
    assert pts.distance(disc.boundary).max() <= 20.0 + 1.5


def road_graph(crs: str | None = WGS84):
    """Five roads, one of each display class, one residential street in two pieces; both directions."""
    import networkx as nx

    G = nx.MultiDiGraph(crs=crs) if crs else nx.MultiDiGraph()
    xy = {1: (102.50, 24.30), 2: (102.60, 24.30), 3: (102.60, 24.40), 4: (102.50, 24.40), 5: (102.55, 24.40),
          6: (102.55, 24.45)}
    for n, (x, y) in xy.items():
        G.add_node(n, x=x, y=y)
    for u, v, hw in ((1, 2, "trunk"), (2, 3, "secondary"), (3, 5, "tertiary"), (5, 4, "residential"),
                     (4, 6, ["track", "path"]), (1, 4, "motorway_link")):
        G.add_edge(u, v, highway=hw, length=1000.0)
        G.add_edge(v, u, highway=hw, length=1000.0)
    return G


def test_road_lines_by_class_each_road_once():
    roads = webmap.road_lines(road_graph())
    assert roads.crs.to_epsg() == 4326
    assert roads["road_class"].tolist() == ["major", "county", "township", "minor"]
    # each road once although the graph holds both directions
    assert roads.set_index("road_class")["n_edges"].to_dict() == {"major": 2, "county": 1, "township": 1,
                                                                  "minor": 2}
    minor = roads.set_index("road_class").geometry["minor"]
    assert shapely.get_num_geometries(minor) == 1  # 5-4 and 4-6 joined into one line
    assert minor.length == pytest.approx(0.05 + 0.05 * np.hypot(1, 1), rel=1e-4)


def test_road_lines_errors():
    with pytest.raises(InputError, match="no coordinate system"):
        webmap.road_lines(road_graph(crs=None))
    with pytest.raises(InputError, match="road_class"):
        coverage_map(None, None, roads=gpd.GeoDataFrame(geometry=[shapely.LineString([(102.5, 24.3), (102.6, 24.3)])],
                                                        crs=WGS84))


def test_roads_layer_zh_en_minor_roads_only_zoomed_in(demand):
    roads = webmap.road_lines(road_graph())
    zh = to_html(coverage_map(demand, None, roads=roads, lang="zh"))
    en = to_html(coverage_map(demand, None, roads=roads, lang="en"))
    assert remote_asset_urls(coverage_map(demand, None, roads=roads)) == []
    for text in ("道路", "高速公路、国道、省道", "县道", "乡道", "村道及其他道路"):
        assert text in zh
    for text in ("Roads", "County roads", "Village and other roads"):
        assert text in en
    assert "道路" not in to_html(coverage_map(demand, None, lang="zh"))  # off unless asked
    # the village roads are added from zoom 12 on, the township roads from zoom 10
    assert re.search(r"zmin = 12\.0, zmax = null", zh) and re.search(r"zmin = 10\.0, zmax = null", zh)


def test_titles_and_notes_from_the_user_are_escaped(demand, facilities):
    """The uncovered layer's title (shown in the layer control), the legend title and note are user text."""
    html = to_html(coverage_map(demand, facilities, uncovered_ids=["v3"],
                                uncovered_title="<img src=x onerror=alert(1)>未覆盖",
                                title="<b onclick=alert(2)>图例</b>", note="<svg onload=alert(3)>"))
    # the page's scripts hold these texts JSON-encoded (\u003c ...): decode them as the browser does
    decoded = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), html)
    for live in ("<img src=x onerror=alert(1)>", "<b onclick=alert(2)>", "<svg onload=alert(3)>"):
        assert live not in decoded
    for shown in ("&lt;img src=x onerror=alert(1)&gt;未覆盖", "&lt;b onclick=alert(2)&gt;图例",
                  "&lt;svg onload=alert(3)&gt;"):
        assert shown in decoded


_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def _legend_text(html: str) -> str:
    """The legend as the planner reads it (tags dropped)."""
    import json

    raw = json.loads(re.search(r"div\.innerHTML = (\".*?\");", html).group(1))
    return re.sub(r"<[^>]+>", " ", raw)


def test_legend_units_and_uncovered_count_in_the_language_of_the_map(demand, facilities, boundaries):
    zh = _legend_text(to_html(coverage_map(demand, facilities, boundaries=boundaries, uncovered_ids=["v1", "v2"],
                                           lang="zh")))
    en = _legend_text(to_html(coverage_map(demand, facilities, boundaries=boundaries, uncovered_ids=["v1", "v2"],
                                           lang="en")))
    assert "每村（人）" in zh and "未覆盖村庄（2）" in zh
    assert "per village (persons)" in en and "Uncovered villages (2)" in en
    # never a unit in the other language or in the other language's brackets
    assert "persons" not in zh and "（" not in en and "人" not in en


def test_popups_and_layer_names_in_the_language_of_the_map(demand, facilities, boundaries):
    import json

    import pandas as pd

    from coverage.scenario import new_site, sites_frame

    site = new_site(102.56, 24.36, facility_type="happy_courtyard", name="x")
    travel = pd.Series([5.0, 12.0, np.nan, 3.0], index=demand["id"])
    for lang in ("zh", "en"):
        html = to_html(coverage_map(demand, facilities, boundaries=boundaries.assign(
            level=["prefecture", "county"]), uncovered_ids=["v1"], sites=sites_frame([site]), travel_time_min=travel,
            lang=lang))
        fields = [f for block in re.findall(r"var fields = (\[.*?\]);", html) for f in json.loads(block)]
        fields += re.findall(r'field: "([^"]*)"', html)  # the travel-time row
        layers = re.findall(r'^\s*"([^"]+)" : feature_group', html, flags=re.M)
        assert fields and layers
        for text in fields + [json_unescape(x) for x in layers]:
            if lang == "en":
                assert not _CJK.search(text), text
            else:
                assert _CJK.search(text) and not re.search(r"[a-z]{3,}", text), text


def json_unescape(text: str) -> str:
    import json

    return str(json.loads(f'"{text}"'))


def test_coverage_layers_change_apart_from_the_drawn_map(demand, facilities, boundaries):
    """Threshold, service or sites change only the coverage layers: the rest is the same script."""
    import copy

    import pandas as pd
    from streamlit_folium import _get_map_string

    from coverage.mapping.web.coverage_map import split_dynamic
    from coverage.scenario import new_site, sites_frame

    def parts(uncovered, minutes, sites):
        m = coverage_map(demand, facilities, boundaries=boundaries, uncovered_ids=uncovered,
                         travel_time_min=pd.Series(minutes, index=demand["id"]), sites=sites)
        full = to_html(copy.deepcopy(m))
        groups, had_control = split_dynamic(m)
        m.get_root().render()
        return _get_map_string(m), groups, had_control, full

    base1, _, control1, full1 = parts(["v1", "v2"], [5.0, 12.0, 30.0, 3.0], None)
    base2, groups2, control2, full2 = parts(["v4"], [8.0, 9.0, 10.0, 11.0],
                                            sites_frame([new_site(102.56, 24.36, facility_type="happy_courtyard")]))
    assert full1 != full2 and base1 == base2 and control1 and control2
    names = [g.layer_name for g in groups2]
    assert "未覆盖村庄" in names and "选址方案" in names and "图例" in names
    # what changed is in the coverage layers only; every village and facility stays in the base
    assert "12.0 分钟" in full1 and "12.0 分钟" not in base1
    assert all(n in base1 for n in ("小营村", "玉兴幸福小院", "红塔区"))


def test_village_names_show_only_zoomed_in_past_the_villages(demand, facilities, boundaries):
    """Township scale: each village's name under its symbol; at prefecture scale none (too many to read)."""
    html = to_html(coverage_map(demand, facilities, boundaries=boundaries, village_min_zoom=11, lang="en"))
    labels = re.findall(r'"label":"([^"]*)","cls":"village"', html.replace("\\u0026", "&"))
    assert sorted(labels) == sorted(["大营村", "小营村", "{{ 7 * 7 }}村",  # escaped as HTML, never templated
                                     "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;村"])
    assert "zmin = 12.5, zmax = null" in html  # villages from zoom 11, their names from 12.5
    assert "Village names" in html


def test_a_service_change_swaps_the_facilities_when_they_follow_the_service(demand, facilities, boundaries):
    """Only the counted facilities shown: another service draws other facilities; marked to be swapped, the
    rest of the map (boundaries, villages) stays the same script, so the browser keeps it (and the zoom)."""
    from streamlit_folium import _get_map_string

    from coverage.mapping.web.coverage_map import split_dynamic

    def parts(types, swapped):
        m = coverage_map(demand, facilities, boundaries=boundaries, facility_types=types, uncovered_ids=["v1"],
                         facilities_swapped=swapped)
        groups, _ = split_dynamic(m)
        m.get_root().render()
        return _get_map_string(m), [g.layer_name for g in groups]

    elderly, elderly_groups = parts(["happy_courtyard"], True)
    children, children_groups = parts(["childrens_home"], True)
    assert elderly == children
    assert "养老服务设施" in elderly_groups and "养老服务设施" not in children_groups  # the facility layers swap
    assert parts(["happy_courtyard"], False)[0] != parts(["childrens_home"], False)[0]
