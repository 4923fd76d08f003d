"""Travel times over road networks: a compiled engine for nearest-facility times, OD tables and service areas.

>>> from coverage.traveltime import TravelTimeEngine
>>> eng = TravelTimeEngine(G, mode="walk")          # doctest: +SKIP
>>> eng.nearest(villages, facilities, cutoff_min=30)  # doctest: +SKIP
>>> eng.od(villages, candidates, cutoff_min=60)       # doctest: +SKIP
>>> eng.service_areas(facilities, thresholds_min=[5, 10, 15])  # doctest: +SKIP
"""

from coverage.traveltime.engine import Snap, TravelTimeEngine, metric_crs_for

__all__ = ["Snap", "TravelTimeEngine", "metric_crs_for"]
