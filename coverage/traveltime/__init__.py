"""Travel times over road networks: a compiled engine for nearest-facility times, OD tables and service areas.

Modules, in the order a query uses them: :mod:`~coverage.traveltime.compiled` (the road graph compiled for
one mode), :mod:`~coverage.traveltime.store` (saved to / loaded from disk), :mod:`~coverage.traveltime.snap`
(points onto roads), :mod:`~coverage.traveltime.contract` (degree-2 chains folded), :mod:`~coverage.
traveltime.overlay` (access legs appended to the shared matrix), :mod:`~coverage.traveltime.engine` (the
queries) and :mod:`~coverage.traveltime.areas` (service areas).

>>> from coverage.traveltime import TravelTimeEngine
>>> eng = TravelTimeEngine(G, mode="walk")          # doctest: +SKIP
>>> eng.nearest(villages, facilities, cutoff_min=30)  # doctest: +SKIP
>>> eng.od(villages, candidates, cutoff_min=60)       # doctest: +SKIP
>>> eng.service_areas(facilities, thresholds_min=[5, 10, 15])  # doctest: +SKIP
"""

from coverage.crs import metric_crs_for
from coverage.traveltime.compiled import CompiledNetwork
from coverage.traveltime.engine import TravelTimeEngine
from coverage.traveltime.snap import Snap
from coverage.traveltime.store import engine_for_file, load_network, save_network

__all__ = ["CompiledNetwork", "Snap", "TravelTimeEngine", "engine_for_file", "load_network", "metric_crs_for",
           "save_network"]
