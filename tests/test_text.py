"""Every word a planner reads exists in Chinese and in English, and each language shows only its own.

The translation tables (the app's ``TEXT``, column headers, verdicts, solver statuses, vocabulary,
printed-map words) are checked entry by entry; then the app runs headless (AppTest) through every
page in English and in Chinese and the rendered text is scanned: no Chinese in English mode
outside the user's own data (place and site names), no raw vocabulary key (walk, optimal,
elderly_60plus, True ...) in Chinese mode.
"""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app_pages.text import CJK, TEXT, has_cjk
from coverage import taxonomy
from coverage.demo import load_demo
from coverage.mapping.style import _TEXT as PRINT_TEXT
from coverage.metrics.labels import METRIC_LABELS, SOLVER_STATUSES, VERDICTS, term
from coverage.model import COLUMN_LABELS
from coverage.reports.layers import LAYER_NAMES
from coverage.scenario import Scenario, new_site
from coverage.views import EXTRA_LABELS, translate_table

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGES = ("data", "map", "coverage", "siting", "scenarios", "print", "standards")
#: the language switch is named in the language it switches to, in both modes
SAME_IN_BOTH = {"english"}
#: entries that are punctuation only (an ellipsis) have no letters in either language
PUNCTUATION_ONLY = {"more"}
#: the English help of the standards editor names the Chinese list separator it accepts
NAMED_CHARACTERS = {"、"}
#: the standards editor stores the file's level keys and its caption says which key is which
EXPLAINS_KEYS = ("层级：",)
#: the facility-type table lists each type's key (what a standards file writes) and the Chinese aliases
#: an input file may use: both are the files' own words, shown as they must be written
FILE_WORDS_COLUMNS = ("[键]", "[Key]", "[别名]", "[Aliases]")
#: ids the app gives sites placed by hand (user data, like names)
SITE_ID = re.compile(r"manual-[0-9a-f]+")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _tables() -> dict[str, dict[str, tuple[str, str]]]:
    tables: dict[str, dict[str, tuple[str, str]]] = {
        "app TEXT": TEXT, "METRIC_LABELS": METRIC_LABELS, "COLUMN_LABELS": COLUMN_LABELS, "VERDICTS": VERDICTS,
        "SOLVER_STATUSES": SOLVER_STATUSES, "EXTRA_LABELS": EXTRA_LABELS, "LAYER_NAMES": LAYER_NAMES,
        "printed map": dict(PRINT_TEXT),
    }
    for name in ("POPULATION_GROUPS", "CATEGORIES", "FACILITY_TYPES", "CAPACITY_UNITS", "FACILITY_STATUSES",
                 "CANDIDATE_KINDS", "ADMIN_LEVELS", "TRAVEL_MODES"):
        tables[name] = {k: (v.zh, v.en) for k, v in getattr(taxonomy, name).items()}
    return tables


def test_every_entry_has_chinese_and_english():
    problems = []
    for table, entries in _tables().items():
        for key, (zh, en) in entries.items():
            if key in SAME_IN_BOTH | PUNCTUATION_ONLY:
                continue
            if not has_cjk(zh):
                problems.append(f"{table}[{key!r}]: Chinese text has no Chinese: {zh!r}")
            if has_cjk(en) or not en.strip():
                problems.append(f"{table}[{key!r}]: English text missing or holds Chinese: {en!r}")
            if _placeholders(zh) != _placeholders(en):
                problems.append(f"{table}[{key!r}]: placeholders differ: {zh!r} / {en!r}")
    assert not problems, "\n".join(problems)


def test_a_missing_language_is_caught():
    """The check above fails on an entry with English in the Chinese slot (and the reverse)."""
    assert not has_cjk("unchanged") and has_cjk("无变化") and has_cjk("（人）") and not has_cjk("(persons)")


def test_every_text_key_the_pages_use_exists():
    used: set[str] = set()
    for path in [ROOT / "app.py", *sorted((ROOT / "app_pages").glob("*.py"))]:
        used |= set(re.findall(r"""\btr\(\s*["']([a-z0-9_]+)["']""", path.read_text(encoding="utf-8")))
    assert used, "no tr() call found"
    assert not used - set(TEXT), f"keys used but not in TEXT: {sorted(used - set(TEXT))}"


VOCABULARY = ("walk", "ebike", "car", "optimal", "feasible", "time_limit", "infeasible", "unchanged", "met",
              "not_met", "prefecture", "error", "warning")


@pytest.mark.parametrize("key", VOCABULARY)
def test_vocabulary_keys_have_labels(key):
    zh, en = term(key, "zh"), term(key, "en")
    assert has_cjk(zh) and not has_cjk(en), (key, zh, en)


def test_tables_for_people_show_labels_not_keys():
    raw = pd.DataFrame({"group": ["elderly_60plus"], "mode": ["walk"], "rule": ["village_rule"],
                        "rule_zh": ["每村至少一处"], "rule_en": ["one per village"], "passed": [True],
                        "covered": [False]})
    zh = translate_table(raw, lang="zh")
    assert list(zh.columns) == ["人群", "出行方式", "指标", "是否达标", "是否覆盖"]
    assert zh.iloc[0].tolist() == ["60岁以上老年人", "步行", "每村至少一处", "是", "否"]
    en = translate_table(raw, lang="en")
    assert en.iloc[0].tolist() == ["Older people (60+)", "Walking", "one per village", "yes", "no"]


# ------------------------------------------------------------------------- the app, headless
def _user_names() -> str:
    """Every place and site name of the demo regions (user data, shown as written), one blob."""
    names: set[str] = {"方案A"}
    for region in ("yuxi", "dali"):
        demo = load_demo(region)
        for table in (demo.demand, demo.facilities, demo.candidates, demo.boundaries):
            if table is None:
                continue
            for col in table.columns:
                if col != "geometry":
                    names |= {str(v) for v in table[col].dropna().astype(str).unique() if has_cjk(v)}
    names |= {"玉溪市", "大理白族自治州"}
    return "\n".join(names)


def _texts(at: Any) -> list[tuple[str, str]]:
    """(where, text) of everything the page renders: markdown, labels, options, metrics, table cells."""
    out: list[tuple[str, str]] = []
    for tree, where in ((at, "main"), (at.sidebar, "sidebar")):
        for kind in ("markdown", "caption", "error", "warning", "info", "success", "header", "subheader",
                     "title", "text"):
            out += [(f"{where}.{kind}", str(e.value)) for e in getattr(tree, kind)]
        for m in tree.metric:
            out += [(f"{where}.metric", str(m.label)), (f"{where}.metric", str(m.value))]
        for kind in ("selectbox", "multiselect", "radio", "slider", "number_input", "text_input", "toggle",
                     "checkbox", "button", "select_slider"):
            for w in getattr(tree, kind):
                out.append((f"{where}.{kind}", str(w.label)))
                out += [(f"{where}.{kind}.option", str(o)) for o in (getattr(w, "options", None) or [])]
        for d in tree.dataframe:
            if d.proto.editing_mode:  # the standards editor holds the file's own keys by design
                continue
            df = d.value
            out += [(f"{where}.table header", str(c)) for c in df.columns]
            for c in df.columns:
                if not pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]):
                    out += [(f"{where}.table cell [{c}]", str(v)) for v in df[c].dropna().unique()[:200]]
    return out


def _walk(lang: str) -> list[tuple[str, str, str]]:
    at = AppTest.from_file(APP, default_timeout=300).run()
    if lang == "en":
        at.sidebar.toggle(key="w.lang").set_value(True).run()
    seen: list[tuple[str, str, str]] = []
    for page in PAGES:
        at = at.switch_page(f"app_pages/{page}.py").run()
        if page == "coverage":
            at.toggle(key="w.coverage_all").set_value(True).run()
        if page == "siting":
            at.selectbox(key="w.siting_model").set_value("mclp").run()
            at.number_input(key="w.siting_k").set_value(3).run()
            at.button(key="siting_run").click().run()
            accept = next(str(b.key) for b in at.button if (b.key or "").startswith("accept_"))
            at.button(key=accept).click().run()
        if page == "scenarios":
            sc = Scenario(name="Plan B", inputs={"source": "demo", "region": "yuxi"},
                          settings={"service": "elderly_15min"})
            sc = sc.with_site(new_site(102.55, 24.35, facility_type="community_daycare", name="Site B"))
            at.file_uploader(key="scenario_upload").upload("b.json", sc.to_json().encode("utf-8"),
                                                           "application/json")
            at.run()
        assert not at.exception, [e.value for e in at.exception]
        seen += [(page, where, text) for where, text in _texts(at)]
    return seen


@pytest.fixture(scope="module")
def names_blob() -> str:
    return _user_names()


def test_english_mode_shows_no_chinese_outside_user_data(names_blob):
    problems = set()
    for page, where, text in _walk("en"):
        if where.endswith(FILE_WORDS_COLUMNS):
            continue
        plain = re.sub(r"\\(.)", r"\1", text)
        for run in re.findall(rf"{CJK.pattern}+", plain):
            if run not in names_blob and run not in NAMED_CHARACTERS:
                problems.add(f"{page} {where}: {run!r} in {plain[:120]!r}")
    assert not problems, "\n".join(sorted(problems))


RAW_KEYS = frozenset({*VOCABULARY, "True", "False", "nan", "proposed", "accepted", "manual", "better", "worse",
                      *taxonomy.POPULATION_GROUPS, *taxonomy.TRAVEL_MODES, *taxonomy.FACILITY_TYPES,
                      *taxonomy.CANDIDATE_KINDS, *taxonomy.ADMIN_LEVELS, *SOLVER_STATUSES,
                      *(k for k in {*METRIC_LABELS, *COLUMN_LABELS} if "_" in k)})


def test_chinese_mode_shows_no_raw_keys():
    problems = set()
    for page, where, text in _walk("zh"):
        plain = SITE_ID.sub("", re.sub(r"\\(.)", r"\1", text))
        if plain.startswith(EXPLAINS_KEYS) or where.endswith(FILE_WORDS_COLUMNS):
            continue
        for word in re.findall(r"[A-Za-z][A-Za-z0-9_]*", plain):
            if word in RAW_KEYS or re.fullmatch(r"[a-z]+_[a-z0-9_]+", word):
                problems.add(f"{page} {where}: {word!r} in {plain[:120]!r}")
    assert not problems, "\n".join(sorted(problems))
