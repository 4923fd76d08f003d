"""Every word a planner reads exists in Chinese and in English, and each language shows only its own.

The translation tables (the app's ``TEXT``, column headers, verdicts, solver statuses, vocabulary,
printed-map words) are checked entry by entry; then the app runs headless (AppTest) through every
page in English and in Chinese and the rendered text is scanned: no Chinese in English mode
outside the user's own data (place and site names), no raw vocabulary key (walk, optimal,
elderly_60plus, True ...) in Chinese mode; the English walk accepts a site in Chinese first and prints the
coverage map with it.  Beyond the screens: a scan of the pages' code for words written outside ``tr``; the
proposal report (PDF with its maps, workbook), the export workbook and the printed map from the command line,
the Data page with a file of bad rows (coordinate system line, validation report), every validation message,
the web map's legend, layer names, popups and tooltips, and the site explanations, each in both languages:
English shows Chinese only in place and site names, Chinese shows no English word but units, codes and ids.
"""

from __future__ import annotations

import re
import shutil
import string
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
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
            if lang == "en":  # accepted in Chinese, read in English: the site's explanation follows the language
                at.sidebar.toggle(key="w.lang").set_value(False).run()
            at.selectbox(key="w.siting_model").set_value("mclp").run()
            at.number_input(key="w.siting_k").set_value(3).run()
            at.button(key="siting_run").click().run()
            accept = next(str(b.key) for b in at.button if (b.key or "").startswith("accept_"))
            at.button(key=accept).click().run()
            if lang == "en":
                at.sidebar.toggle(key="w.lang").set_value(True).run()
        if page == "scenarios":
            sc = Scenario(name="Plan B", inputs={"source": "demo", "region": "yuxi"},
                          settings={"service": "elderly_15min"})
            sc = sc.with_site(new_site(102.55, 24.35, facility_type="community_daycare", name="Site B"))
            at.file_uploader(key="scenario_upload").upload("b.json", sc.to_json().encode("utf-8"),
                                                           "application/json")
            at.run()
        if page == "print" and shutil.which("pdftotext"):  # the printed coverage map with the accepted site
            at.radio(key="w.print_kind").set_value("coverage").run()
            at.button(key="print_run").click().run()
            with tempfile.TemporaryDirectory() as folder:
                printed = Path(folder) / "map.pdf"
                printed.write_bytes(at.session_state["print_output"]["pdf"])
                text = subprocess.run(["pdftotext", str(printed), "-"], check=True, capture_output=True,
                                      text=True).stdout
            assert ("图例" if lang == "zh" else "Legend") in text, text[:300]
            seen.append((page, "printed map", text))
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


# ------------------------------------------------------------------------- strings written into the pages' code
#: Streamlit calls whose first argument (or ``label``/``help``/``placeholder``) a planner reads
ST_TEXT_CALLS = frozenset({"markdown", "caption", "write", "header", "subheader", "title", "text", "info", "warning",
                           "error", "success", "toast", "button", "download_button", "toggle", "checkbox", "radio",
                           "selectbox", "multiselect", "slider", "select_slider", "number_input", "text_input",
                           "text_area", "expander", "tabs", "metric", "file_uploader", "spinner", "popover",
                           "form_submit_button", "date_input", "color_picker", "status", "progress"})
TEXT_KEYWORDS = ("label", "help", "placeholder", "body", "text", "value")


def _literal_words(node: Any) -> list[str]:
    """The letters of a string written into the code: a literal, the literal parts of an f-string, a list of them."""
    import ast

    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        parts = [node.value]
    elif isinstance(node, ast.JoinedStr):
        parts = [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
    elif isinstance(node, (ast.List, ast.Tuple)):
        return [w for elt in node.elts for w in _literal_words(elt)]
    else:
        return []
    words = []
    for part in parts:
        plain = re.sub(r"<[^>]+>|&[a-z]+;|\\.", " ", part)  # markup and escapes are not words
        words += re.findall(rf"{CJK.pattern}+|[A-Za-z]{{2,}}", plain)
    return words


def untranslated_strings(source: str, filename: str = "<page>") -> list[str]:
    """Words written as literals into Streamlit calls (or the label of ``bound``) instead of coming from ``tr``."""
    import ast

    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        args: list[Any] = []
        if name in ST_TEXT_CALLS and isinstance(func, ast.Attribute):
            args = node.args[:1] + [k.value for k in node.keywords if k.arg in TEXT_KEYWORDS]
        elif name == "bound":  # bound(st.widget, label, key, ...)
            args = node.args[1:2] + [k.value for k in node.keywords if k.arg in ("help", "placeholder")]
        for arg in args:
            words = [w for w in _literal_words(arg) if w not in SAME_IN_BOTH_WORDS]
            if words:
                found.append(f"{filename}:{node.lineno}: {' '.join(words)!r}")
    return found


#: words the same in both languages: the language switch names the language it switches to; file formats
SAME_IN_BOTH_WORDS = {"English", "PDF", "PNG", "Excel", "JSON", "GeoPackage", "GeoJSON"}


def test_pages_write_no_words_outside_the_translation_table():
    """Every word a page passes to Streamlit comes from ``tr`` (zh and en), never a literal in one language."""
    found = []
    for path in [ROOT / "app.py", *sorted((ROOT / "app_pages").glob("*.py"))]:
        if path.name == "text.py":
            continue
        found += untranslated_strings(path.read_text(encoding="utf-8"), path.name)
    assert not found, "\n".join(found)


def test_the_page_scan_catches_a_literal():
    snippet = ('st.caption("未翻译的说明")\nst.button(f"{n} Save")\nbound(st.toggle, "仅中文", "k")\n'
               'st.markdown(f"**{tr(\'report\')}**")\nst.caption(esc(tr("loaded", n=1)))\n')
    found = untranslated_strings(snippet)
    assert len(found) == 3 and "未翻译的说明" in found[0] and "Save" in found[1] and "仅中文" in found[2], found


# ------------------------------------------------------------------------- files a planner takes away
#: Latin words a Chinese document may hold: units, map words with no Chinese form, file names' parts
ALLOWED_LATIN = frozenset({"km", "EPSG", "UTM", "N", "Excel", "OpenStreetMap", "GeoPackage", "GeoJSON", "GPS",
                           "crs", "gcj", "bd", "yaml", "xlsx", "csv", "gpkg"})


def foreign_words(texts: list[str], lang: str, names: str) -> set[str]:
    """Words of the other language: Chinese outside ``names`` in English texts; English words (not ids, units
    or codes, which hold a digit or are :data:`ALLOWED_LATIN`) outside ``names`` in Chinese texts."""
    found = set()
    for text in texts:
        if lang == "en":
            found |= {run for run in re.findall(rf"{CJK.pattern}+", text) if run not in names}
        else:
            words = re.findall(r"[A-Za-z][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*", text)
            found |= {w for w in words if not re.search(r"\d", w) and w not in ALLOWED_LATIN and w not in names}
    return found


def _pdf_text(path: Path) -> str:
    import subprocess

    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout


def _workbook_texts(path: Path) -> list[str]:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    texts = list(wb.sheetnames)
    for ws in wb.worksheets:
        texts += [v for row in ws.iter_rows(values_only=True) for v in row if isinstance(v, str)]
    return texts


needs_pdftotext = pytest.mark.skipif(not __import__("shutil").which("pdftotext"),
                                     reason="poppler-utils (pdftotext) not installed")


@needs_pdftotext
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_proposal_report_pdf_and_workbook_speak_one_language(lang, tmp_path, names_blob):
    """The proposal report (workbook; PDF with the proposal, coverage and distribution maps) in one language."""
    from test_reports import tiny_report

    from coverage.metrics import default_standards
    from coverage.reports import write_pdf_report, write_workbook

    service = default_standards().service("elderly_15min")
    report = tiny_report(lang=lang, service_label=service.label(lang),
                         solver_note="已求得最优解" if lang == "zh" else "optimal solution found")
    report.sites["alternatives_en"] = ["戊村空地 (in its place: 60 fewer people covered)", ""]
    names = "\n".join([names_blob, *report.demand["name"], *report.sites["name"], "戊村空地"])
    pdf = write_pdf_report(report, tmp_path / "report.pdf", map_kinds=("proposal", "coverage", "distribution"))
    xlsx = write_workbook(report, tmp_path / "report.xlsx")
    pdf_text, book = _pdf_text(pdf), _workbook_texts(xlsx)
    assert not foreign_words([pdf_text], lang, names), f"PDF: {sorted(foreign_words([pdf_text], lang, names))}"
    assert not foreign_words(book, lang, names), f"workbook: {sorted(foreign_words(book, lang, names))}"
    compact = "".join(pdf_text.split())
    expected = (("方案摘要", "选址理由", "丁村村委会用房", "图例") if lang == "zh" else
                ("Summary", "Reasons:", "丁村村委会用房", "Legend"))
    assert all("".join(e.split()) in compact for e in expected), expected
    assert book[:5] == (["汇总", "乡镇覆盖", "拟建站点", "未覆盖村(社区)", "说明"] if lang == "zh" else
                        ["Summary", "Townships", "Proposed sites", "Uncovered villages", "About"])


def test_the_language_check_catches_a_missing_translation(names_blob):
    assert foreign_words(["Covered (%) 覆盖率"], "en", names_blob) == {"覆盖率"}
    assert foreign_words(["覆盖率 Covered (%) · 玉溪市 · C12 · 3 km · EPSG:4326"], "zh", names_blob) == {"Covered"}
    assert not foreign_words(["玉溪市 Summary · 红塔区"], "en", names_blob)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_printed_map_and_export_workbook_from_the_command_line(lang, tmp_path, names_blob):
    """``export --lang`` (the result workbook) and ``map --lang en`` (the printed distribution map) on the Yuxi demo."""
    from coverage.cli import main

    xlsx = tmp_path / "export.xlsx"
    assert main(["export", "--region", "yuxi", "--lang", lang, "--out", str(xlsx)]) == 0
    book = _workbook_texts(xlsx)
    assert not foreign_words(book, lang, names_blob), sorted(foreign_words(book, lang, names_blob))
    if lang == "en" and __import__("shutil").which("pdftotext"):  # Chinese maps: the report test above
        pdf = tmp_path / "map.pdf"
        assert main(["map", "--region", "yuxi", "--kind", "distribution", "--lang", lang, "--out", str(pdf)]) == 0
        text = _pdf_text(pdf)
        assert not foreign_words([text], lang, names_blob), sorted(foreign_words([text], lang, names_blob))


# ------------------------------------------------------------------------- the Data page with a file of bad rows
#: columns of the validation report that hold the file's own words (its name, headers and cell values)
REPORT_FILE_WORDS = {"文件", "列", "值", "File", "Column", "Value"}


def _without_file_words(text: str, row: pd.Series) -> str:
    """A message without what it quotes from the file: quoted headers or cells, the row's value and column."""
    plain = re.sub(r"'[^']*'|“[^”]*”|\"[^\"]*\"", " ", text)
    for c in row.index:
        if c in REPORT_FILE_WORDS and isinstance(row[c], str) and row[c]:
            plain = plain.replace(row[c], " ")
    return plain


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_data_page_report_and_coordinate_system_in_one_language(lang, names_blob):
    """An uploaded file with bad rows: the loaded line (coordinate system), the report's headers, severities,
    problems and fixes are all in the chosen language."""
    at = AppTest.from_file(APP, default_timeout=300).run()
    if lang == "en":
        at.sidebar.toggle(key="w.lang").set_value(True).run()
    at = at.switch_page("app_pages/data.py").run()
    at.radio(key="w.source").set_value("files").run()
    at.file_uploader(key="upload_demand").upload("demand_bad.csv", (ROOT / "tests/data/demand_bad.csv").read_bytes(),
                                                "text/csv")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    loaded = next(str(c.value) for c in at.caption if "demand\\_bad" in str(c.value))
    assert ("无需转换" in loaded) if lang == "zh" else ("unchanged" in loaded), loaded
    texts = [re.sub(r"\\(.)", r"\1", loaded).replace("demand_bad.csv", "")]
    report = next(d.value for d in at.dataframe if {"问题", "Problem"} & set(d.value.columns))
    assert len(report) >= 5
    texts += [str(c) for c in report.columns]
    for _, row in report.iterrows():
        texts += [_without_file_words(str(v), row) for c, v in row.items() if c not in REPORT_FILE_WORDS
                  and not (isinstance(v, float) and np.isnan(v))]
    texts += [o for s in at.selectbox if s.label in ("坐标系", "Coordinate system") for o in s.options]
    names = names_blob + "\n" + (ROOT / "tests/data/demand_bad.csv").read_text(encoding="utf-8")  # the file's words
    assert not foreign_words(texts, lang, names), sorted(foreign_words(texts, lang, names))


def test_every_validation_message_exists_in_both_languages():
    """Every problem the loaders report on the collection of bad files has a Chinese message and fix."""
    import csv

    import coverage.inputs as inputs
    from coverage.errors import CoverageError

    bad = ROOT / "tests/data/bad"
    checked, problems = 0, []
    with (bad / "MANIFEST.csv").open(encoding="utf-8") as f:
        manifest = list(csv.DictReader(f))
    for entry in manifest:
        try:
            result = getattr(inputs, f"load_{entry['kind']}")(bad / entry["file"], crs=entry["crs"] or None)
        except (CoverageError, ValueError, OSError):  # a file that cannot be read at all: an error, no report
            continue
        for _, row in result.report.to_frame().iterrows():
            checked += 1
            if not has_cjk(row["message_zh"]) or row["message_zh"] == row["message"]:
                problems.append(f"{entry['file']}: no Chinese message for {row['message']!r}")
            if isinstance(row.get("fix"), str) and row["fix"] and not has_cjk(row.get("fix_zh") or ""):
                problems.append(f"{entry['file']}: no Chinese fix for {row['fix']!r}")
    assert checked > 50, checked
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------- the web map's own words
def _web_map_texts(html_text: str) -> list[str]:
    """What a planner reads on the web map: legend, layer names, popup headers and values, tooltips, labels."""
    import html as html_lib
    import json

    texts: list[str] = []
    for m in re.finditer(r"var fields = (\[.*?\]);", html_text):
        texts += [str(x) for x in json.loads(m.group(1))]
    for m in re.finditer(r'innerHTML = ("(?:[^"\\]|\\.)*")', html_text):
        texts.append(html_lib.unescape(re.sub(r"<[^>]+>", " ", json.loads(m.group(1)))))
    for m in re.finditer(r'"(?:n|tip|label|field|title)":\s*("(?:[^"\\]|\\.)*")', html_text):
        texts.append(html_lib.unescape(re.sub(r"<[^>]+>", " ", json.loads(m.group(1)))))
    for m in re.finditer(r'"v":\s*(\[(?:[^\[\]"]|"(?:[^"\\]|\\.)*")*\])', html_text):
        texts += [html_lib.unescape(re.sub(r"<[^>]+>", " ", str(x))) for x in json.loads(m.group(1)) if x is not None]
    for m in re.finditer(r"(?:base_layers|overlays)\s*:\s*\{(.*?)\}", html_text, flags=re.S):
        texts += [json.loads(k) for k in re.findall(r'("(?:[^"\\]|\\.)*")\s*:', m.group(1))]
    return texts


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_web_map_popups_legend_and_tooltips_in_one_language(lang, names_blob):
    from coverage.mapping.webmap import coverage_map, to_html
    from coverage.scenario import new_site, sites_frame

    yuxi = load_demo("yuxi")
    site = new_site(102.55, 24.35, facility_type="community_daycare", name="新站")
    sites = sites_frame([site], status="proposed")
    times = pd.Series(np.linspace(1.0, 40.0, len(yuxi.demand)), index=yuxi.demand["id"])
    m = coverage_map(yuxi.demand, yuxi.facilities, boundaries=yuxi.boundaries, lang=lang,
                     uncovered_ids=list(yuxi.demand["id"][:20]), sites=sites, travel_time_min=times,
                     note=TEXT["simulated"][0 if lang == "zh" else 1])
    texts = _web_map_texts(to_html(m))
    assert len(texts) > 100 and any(("图例" if lang == "zh" else "Legend") in t for t in texts)
    found = foreign_words(texts, lang, names_blob + "\n新站")
    assert not found, sorted(found)[:40]


# ------------------------------------------------------------------------- why each site: the explanations
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_site_explanations_in_one_language(lang, names_blob):
    """A real proposal (HiGHS on a hand-made OD table) explained in the app (sites to accept) and in the report."""
    import geopandas as gpd
    from shapely.geometry import Point
    from test_reports import BEFORE, tiny_tables

    from coverage.reports import report_from_proposal
    from coverage.scenario import sites_from_proposal
    from coverage.siting import propose_sites

    demand, facilities, _ = tiny_tables()
    candidates = gpd.GeoDataFrame(
        {"id": ["C1", "C2", "C3"], "name": ["丙村闲置校舍", "丁村村委会用房", "戊村空地"],
         "kind": ["idle_school", "village_committee", "open_land"]},
        geometry=[Point(102.56, 24.34), Point(102.59, 24.30), Point(102.62, 24.32)], crs="EPSG:4326")
    od_existing = pd.DataFrame({"from_id": ["V1", "V2", "V6"], "to_id": ["F1", "F1", "F2"],
                                "travel_time_min": [3.0, 9.0, 5.0]})
    od_candidates = pd.DataFrame({"from_id": ["V3", "V4", "V4", "V5"], "to_id": ["C1", "C2", "C3", "C3"],
                                  "travel_time_min": [6.0, 3.0, 14.0, 20.0]})
    proposal = propose_sites(demand, od_existing, od_candidates, candidates, groups="elderly_60plus",
                             threshold_min=15, model="mclp", p=1)
    sites = sites_from_proposal(proposal.sites, facility_type="happy_courtyard", lang=lang, candidates=candidates)
    report = report_from_proposal(demand, facilities, proposal, covered_before=BEFORE, od_candidates=od_candidates,
                                  group="elderly_60plus", threshold_min=15, candidates=candidates, lang=lang,
                                  service_label="15分钟养老服务圈" if lang == "zh" else "15-minute elderly circle")
    table = report.site_table()
    reasons, alternatives = table[report.t("reasons")], table[report.t("alternatives")]
    texts = [s["explanation"] for s in sites] + [report.solver_note, *reasons, *alternatives]
    assert sites and all(s["explanation"] for s in sites) and reasons[0] and alternatives[0], (sites, table)
    names = names_blob + "\n" + "\n".join(candidates["name"])
    assert not foreign_words(texts, lang, names), sorted(foreign_words(texts, lang, names))
