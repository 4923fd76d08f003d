"""Planning scenarios: what a planner decided, saved as a small JSON file, and compared.

A scenario records the inputs used (a demo region, or the user's files by name
and SHA-256), the standards (targets and thresholds), the sites the planner
accepted (from a proposal or placed by hand) and the settings of the session
(service, travel thresholds, model, language, base map).  It never holds the
data itself: reload the same inputs and the scenario applies again.

One module per part: ``schema`` (the file's marker, version and the checks
that name the bad entry), ``file`` (:class:`Scenario`, save and load),
``sites`` (accepted sites as tables and facility rows), ``standards`` (the
standards of one service) and ``compare`` (two scenarios side by side).

Example
-------
>>> from coverage.scenario import Scenario, new_site, save_scenario, load_scenario
>>> sc = Scenario(name="方案A", inputs={"source": "demo", "region": "yuxi"})
>>> sc = sc.with_site(new_site(102.55, 24.35, facility_type="happy_courtyard", name="新建幸福小院"))
>>> save_scenario(sc, "方案A.json")                         # doctest: +SKIP
>>> load_scenario("方案A.json").accepted_sites[0]["type"]    # doctest: +SKIP
'happy_courtyard'
"""

from coverage.scenario.compare import compare_coverage, compare_scenarios, scenario_labels
from coverage.scenario.file import Scenario, file_digest, load_scenario, save_scenario
from coverage.scenario.schema import (
    MAX_THRESHOLD_MIN,
    SCENARIO_FORMAT,
    SCENARIO_VERSION,
    SITE_ORIGINS,
    SUPPORTED_VERSIONS,
)
from coverage.scenario.sites import new_site, sites_frame, sites_from_proposal, sites_to_facilities, with_sites
from coverage.scenario.standards import service_standards

__all__ = [
    "MAX_THRESHOLD_MIN",
    "SCENARIO_FORMAT",
    "SCENARIO_VERSION",
    "SITE_ORIGINS",
    "SUPPORTED_VERSIONS",
    "Scenario",
    "compare_coverage",
    "compare_scenarios",
    "file_digest",
    "load_scenario",
    "new_site",
    "save_scenario",
    "scenario_labels",
    "service_standards",
    "sites_frame",
    "sites_from_proposal",
    "sites_to_facilities",
    "with_sites",
]
