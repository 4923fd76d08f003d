"""The app's Standards page, headless: the rules in tables, apply, and analysis that follows edited standards."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from coverage.metrics import default_standards

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _page(at: AppTest, page: str) -> AppTest:
    return at.switch_page(f"app_pages/{page}.py").run()


def _clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _share(at: AppTest) -> float:
    return float(at.metric[0].value.rstrip("%"))


def test_standards_page_shows_every_rule_and_applies_without_change():
    at = _page(AppTest.from_file(APP, default_timeout=180).run(), "standards")
    _clean(at)
    assert at.header[0].value == "考核标准"
    std = default_standards()
    assert any(std.digest() in c.value for c in at.caption)  # the fingerprint of the default file
    frames = at.dataframe
    shown = [set(f.value["key"]) for f in frames if "key" in f.value.columns]
    assert {s.key for s in std.services} in shown and {r.key for r in std.unit_rules} in shown
    at.button(key="w.standards_apply").click().run()
    _clean(at)
    assert at.session_state["standards"].digest() == std.digest()  # the tables read back unchanged


def test_analysis_follows_the_edited_standards():
    """Standards edited on the page change the coverage figure (cache keyed by their content); back again."""
    from dataclasses import replace

    at = _page(AppTest.from_file(APP, default_timeout=180).run(), "coverage")
    _clean(at)
    default_share = _share(at)
    std = default_standards()
    svc = std.service("elderly_15min")
    narrower = replace(svc, facility_types=tuple(t for t in svc.facility_types if t != "elderly_activity_center"))
    at.session_state["standards"] = replace(std, services=tuple(narrower if s.key == svc.key else s
                                                                for s in std.services))
    at = _page(at, "coverage")
    _clean(at)
    strict = _share(at)
    assert strict < default_share - 5  # without the 2,344 day-care venues: fewer older people covered
    at.session_state["standards"] = None
    at = _page(at, "coverage")
    assert _share(at) == default_share
