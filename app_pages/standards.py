"""Standards page: every service and per-unit rule in a table; edit a target or threshold, add or remove a
rule, change the funeral death rate; load a standards file and save the edited one.

The edited standards are the session's (owned key ``standards``); every page's analysis follows them,
because every cached result is keyed by the standards' content hash (``standards_key``).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from app_pages.common import boundary, default_standards, esc, frame, lang, standards, standards_key
from coverage.taxonomy import ADMIN_LEVELS, TRAVEL_MODES, use_facility_types

_T: dict[str, tuple[str, str]] = {
    "head": ("考核标准", "Standards"),
    "intro": ("下表是分析所用的全部考核指标。改动阈值、目标或增删行后点“应用”，所有页面的分析随之更新；"
              "可载入自己的标准文件（YAML），或把改好的标准保存下来。",
              "Every target the analysis uses. Change a threshold or target, add or delete rows, then Apply: "
              "every page follows. Load a standards file (YAML) of your own, or save the edited one."),
    "in_force": ("当前标准：{name}（{source}，指纹 {digest}）", "In force: {name} ({source}, fingerprint {digest})"),
    "edited": ("本次会话修改过的标准", "edited in this session"),
    "default": ("默认标准文件", "the default file"),
    "services": ("按人指标（通行时间内可达）", "Per-person targets (within a travel time)"),
    "services_help": ("列表项用“、”分隔；目标为 0–1 的比例（0.9 = 90%），留空 = 只报告不考核。",
                      "Separate list items with 、 or commas; a target is a share 0-1 (0.9 = 90%), empty = "
                      "report only."),
    "rules": ("按行政单元指标（单元内设施数）", "Per-unit targets (facilities inside each unit)"),
    "rules_help": ("层级从下拉框选择：村(社区) / 乡(镇、街道) / 县(市、区)；目标留空 = 只计数不考核。",
                   "Pick the level from the list: village / township / county; an empty target = counted, "
                   "not judged."),
    "funeral": ("殡葬需求：每千人年死亡人数（假设）", "Funeral demand: deaths per 1,000 residents a year "
                                                   "(assumption)"),
    "apply": ("应用", "Apply"),
    "applied": ("已应用：所有页面按新标准分析。", "Applied: every page now analyses with these standards."),
    "reset": ("恢复默认标准", "Back to the default standards"),
    "load": ("载入标准文件（YAML）", "Load a standards file (YAML)"),
    "load_do": ("载入", "Load"),
    "loaded": ("已载入 {name}。", "Loaded {name}."),
    "save": ("保存当前标准（YAML）", "Save these standards (YAML)"),
    "types": ("设施类型（含标准文件 facility_types 中自定义的类型）",
              "Facility types (with those defined in the standards file's facility_types)"),
}

_COLUMNS: dict[str, tuple[str, str]] = {
    "key": ("编号", "Key"), "zh": ("中文名称", "Chinese name"), "en": ("英文名称", "English name"),
    "facility_types": ("计入的设施类型", "Facility types that count"), "groups": ("人群", "Groups"),
    "mode": ("出行方式", "Mode"), "threshold_min": ("阈值(分钟)", "Threshold (min)"),
    "target_share": ("目标比例", "Target share"), "bands_min": ("分段(分钟)", "Bands (min)"),
    "capacity": ("容量分析", "Capacity"), "uptake_share": ("入住意愿比例", "Uptake share"),
    "note": ("说明/出处", "Note / source"), "level": ("层级", "Level"), "min_count": ("至少个数", "At least"),
    "name_suffix": ("名称结尾", "Name ends with"),
}


def _t(key: str, **kwargs: Any) -> str:
    zh, en = _T[key]
    text = zh if lang() == "zh" else en
    return text.format(**kwargs) if kwargs else text


def _config(columns: list[str]) -> dict[str, Any]:
    i = 0 if lang() == "zh" else 1
    cfg: dict[str, Any] = {c: st.column_config.TextColumn(_COLUMNS[c][i]) for c in columns if c in _COLUMNS}
    if "threshold_min" in columns:
        cfg["threshold_min"] = st.column_config.NumberColumn(_COLUMNS["threshold_min"][i], min_value=1,
                                                             max_value=600, step=1)
    cfg["target_share"] = st.column_config.NumberColumn(_COLUMNS["target_share"][i], min_value=0.0,
                                                        max_value=1.0, step=0.01, format="%.2f")
    if "uptake_share" in columns:
        cfg["uptake_share"] = st.column_config.NumberColumn(_COLUMNS["uptake_share"][i], min_value=0.0,
                                                            max_value=1.0, step=0.05)
    if "capacity" in columns:
        cfg["capacity"] = st.column_config.CheckboxColumn(_COLUMNS["capacity"][i])
    if "min_count" in columns:
        cfg["min_count"] = st.column_config.NumberColumn(_COLUMNS["min_count"][i], min_value=1, step=1)
    language = lang()
    if "mode" in columns:  # keys stored, labels shown in the chosen language
        modes = {k: t.label(language) for k, t in TRAVEL_MODES.items()}
        cfg["mode"] = st.column_config.SelectboxColumn(_COLUMNS["mode"][i], options=list(modes),
                                                       format_func=lambda k: modes.get(str(k), str(k)))
    if "level" in columns:
        levels = {k: t.label(language) for k, t in ADMIN_LEVELS.items()}
        cfg["level"] = st.column_config.SelectboxColumn(_COLUMNS["level"][i], options=list(levels),
                                                        format_func=lambda k: levels.get(str(k), str(k)))
    return cfg


def _use(new: Any) -> None:
    """Make ``new`` the session's standards; sidebar thresholds of services whose threshold changed go."""
    ss = st.session_state
    old = standards()
    old_min = {s.key: s.threshold_min for s in old.services}
    new_min = {s.key: s.threshold_min for s in new.services}
    ss["thresholds"] = {k: v for k, v in ss["thresholds"].items() if k in new_min and new_min[k] == old_min.get(k)}
    ss["standards"] = new
    use_facility_types(new.facility_types, source=new.source or "standards")  # this run too, not only the next


def _read(text: bytes, name: str) -> Any:
    """A standards file read under the built-in types only: the session's earlier own types neither clash
    with the file's nor survive it (other sessions never see either)."""
    from coverage.metrics import standards_from_yaml

    before = standards()
    use_facility_types(())
    try:
        return standards_from_yaml(text, source=name)
    finally:
        use_facility_types(before.facility_types, source=before.source or "standards")


def _load_section() -> None:
    up = st.file_uploader(_t("load"), type=["yaml", "yml"], key="w.standards_file")
    if up is not None and st.button(_t("load_do"), key="w.standards_load"):
        with boundary():
            _use(_read(up.getvalue(), up.name))
            st.success(esc(_t("loaded", name=up.name)))


def main() -> None:
    """The page."""
    from coverage.metrics import standards_from_tables, standards_tables, standards_to_yaml
    from coverage.metrics.standards import FuneralDemand

    st.header(_t("head"))
    st.caption(_t("intro"))
    std = standards()
    own = st.session_state.get("standards") is not None
    name = std.name_zh if lang() == "zh" else std.name_en
    st.caption(esc(_t("in_force", name=name or "—", source=_t("edited") if own else _t("default"),
                      digest=standards_key())))
    services, rules = standards_tables(std)
    digest = standards_key()
    st.subheader(_t("services"))
    st.caption(_t("services_help"))
    services_ed = st.data_editor(services, num_rows="dynamic", hide_index=True, width="stretch",
                                 column_config=_config(list(services.columns)), key=f"w.std_services.{digest}")
    st.subheader(_t("rules"))
    st.caption(_t("rules_help"))
    rules_ed = st.data_editor(rules, num_rows="dynamic", hide_index=True, width="stretch",
                              column_config=_config(list(rules.columns)), key=f"w.std_rules.{digest}")
    funeral = std.funeral or FuneralDemand()
    rate = st.number_input(_t("funeral"), min_value=0.1, max_value=100.0, value=float(funeral.death_rate_per_1000),
                           step=0.1, key=f"w.std_death_rate.{digest}")
    c1, c2, c3 = st.columns(3)
    if c1.button(_t("apply"), type="primary", key="w.standards_apply"):
        with boundary():
            from dataclasses import replace

            base = replace(std, funeral=replace(funeral, death_rate_per_1000=float(rate)))
            source = "标准页" if lang() == "zh" else "Standards page"
            new = standards_from_tables(services_ed, rules_ed, base=base, source=source)
            _use(new)
            st.success(_t("applied"))
            st.rerun()
    if own and c2.button(_t("reset"), key="w.standards_reset"):
        _use(default_standards())
        st.session_state["standards"] = None
        st.rerun()
    c3.download_button(_t("save"), standards_to_yaml(std).encode("utf-8"), file_name="标准.yaml",
                       mime="application/x-yaml", key="w.standards_save")
    _load_section()
    with st.expander(_t("types")):
        _types_table()


def _types_table() -> None:
    from coverage.views import facility_types_table

    frame(facility_types_table(lang=lang()), width="stretch")


main()
