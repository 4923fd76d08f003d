"""Siting for one service straight from the demo tables and a real engine (coverage.siting.service)."""

import pytest

from coverage.demo import load_demo
from coverage.errors import InputError
from coverage.metrics import default_standards
from coverage.siting import propose_for_service, propose_sites
from coverage.traveltime import TravelTimeEngine


@pytest.fixture(scope="module")
def yuxi():
    return load_demo("yuxi")


@pytest.fixture(scope="module")
def walk(yuxi):
    return TravelTimeEngine(yuxi.graph(), mode="walk")


@pytest.fixture(scope="module")
def elderly():
    return default_standards().service("elderly_15min")


def _plan(yuxi, walk, svc, **kw):
    return propose_for_service(yuxi.demand, yuxi.facilities, yuxi.candidates, engine=walk,
                               facility_types=svc.facility_types, groups=svc.groups,
                               threshold_min=svc.threshold_min, facility_type="rural_mutual_aid", **kw)


def test_mclp_counts_each_older_person_once(yuxi, walk, elderly):
    # The service's groups are nested (60+ contains 80+ and the left-behind elderly): a site's gain
    # must be the 60+ people it brings in, not the sum of the three groups.
    assert len(elderly.groups) > 1
    plan = _plan(yuxi, walk, elderly, model="mclp", p=3)
    assert plan.groups == ("elderly_60plus",)
    result = plan.proposal.result
    assert result.status == "optimal"
    assert result.covered_weight <= yuxi.demand["elderly_60plus"].sum()
    newly = plan.proposal.explanation["gain"].sum()
    assert newly == pytest.approx(plan.proposal.explanation["new_elderly_60plus"].sum())
    # before + newly covered = covered after, all in 60+ people
    before = yuxi.demand.set_index("id")["elderly_60plus"][plan.time_before_min <= elderly.threshold_min].sum()
    assert result.covered_weight == pytest.approx(before + newly)


def test_pmedian_works_on_a_prefecture_where_most_villages_lack_a_nearby_site(yuxi, walk, elderly):
    plan = _plan(yuxi, walk, elderly, model="pmedian", p=3, time_limit_s=30)
    assert len(plan.proposal.sites) == 3
    assert plan.proposal.result.status == "optimal"
    assert plan.cutoff_min > elderly.threshold_min


def test_pmedian_reduction_keeps_the_optimum(yuxi, walk, elderly):
    # The plan drops every candidate pair no closer than the village's nearest existing facility
    # (existing ones stay open); solving on the full tables must give the same total travel time.
    kinds = ["idle_school"]
    plan = _plan(yuxi, walk, elderly, model="pmedian", p=3, candidate_kinds=kinds)
    counted = yuxi.facilities.loc[yuxi.facilities["type"].isin(elderly.facility_types)]
    od_existing = walk.od(yuxi.demand, counted, cutoff_min=plan.cutoff_min)
    od_candidates = walk.od(yuxi.demand, plan.candidates, cutoff_min=plan.cutoff_min)
    full = propose_sites(yuxi.demand, od_existing, od_candidates, plan.candidates, groups=["elderly_60plus"],
                         threshold_min=elderly.threshold_min, model="pmedian", p=3,
                         facility_type="rural_mutual_aid")
    assert len(plan.od_candidates) < len(od_candidates) / 10
    assert full.result.status == plan.proposal.result.status == "optimal"
    assert plan.proposal.result.objective == pytest.approx(full.result.objective, rel=1e-9)


def test_candidate_kinds_and_hosting_filter_the_sites(yuxi, walk, elderly):
    plan = _plan(yuxi, walk, elderly, model="mclp", p=2, candidate_kinds=["idle_school"])
    assert set(plan.candidates["kind"]) == {"idle_school"}
    assert set(plan.proposal.sites["id"]) <= set(plan.candidates["id"])
    with pytest.raises(InputError, match="no candidate site can host"):
        _plan(yuxi, walk, elderly, model="mclp", p=2, candidate_kinds=["no_such_kind"])


def test_a_service_already_at_its_target_needs_no_site(yuxi):
    # every Yuxi village is within 60 min by car of a public cemetery or ash-placement site (100%):
    # asking for 8 more sites is answered "none needed", never a crash
    svc = default_standards().service("cemetery_60min")
    car = TravelTimeEngine(yuxi.graph(), mode="car")
    plan = propose_for_service(yuxi.demand, yuxi.facilities, yuxi.candidates, engine=car,
                               facility_types=svc.facility_types, groups=svc.groups,
                               threshold_min=svc.threshold_min, model="mclp", p=8,
                               facility_type="public_cemetery")
    result = plan.proposal.result
    assert result.status == "optimal" and result.selected == [] and len(plan.proposal.sites) == 0
    assert result.covered_share == pytest.approx(1.0)
    assert result.objective == pytest.approx(yuxi.demand["population"].sum())
    assert "no new site is needed" in result.message
