"""coverage: a service-coverage planner for civil-affairs bureaus (民政).

A pure library (it never imports streamlit), in stages that follow the data:

``coverage.inputs``     load and validate planners' files, convert coordinates
``coverage.demo``       the embedded demo regions (Yuxi, Dali)
``coverage.network``    road graphs from OSM, local files or the demo; travel modes
``coverage.traveltime`` compiled travel-time engine: nearest, OD tables, service areas
``coverage.metrics``    coverage against the bureaus' standards, capacity
``coverage.siting``     siting proposals (MILP with HiGHS, heuristics), explained
``coverage.mapping``    interactive folium maps and printed A4/A3 maps
``coverage.reports``    workbooks and PDF reports

The command line is ``python -m coverage``.
"""

__version__ = "0.1.0"
