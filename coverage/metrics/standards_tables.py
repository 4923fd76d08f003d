"""The standards as editable tables and YAML text: what the app's Standards page reads and writes.

:func:`standards_tables` turns :class:`~coverage.metrics.standards.Standards` into two tables (services,
per-unit rules) for an editable grid; :func:`standards_from_tables` reads them back, checked entry by entry
like a standards file; :func:`standards_to_yaml` / :func:`standards_from_yaml` / :func:`save_standards`
write and read the YAML a bureau keeps.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from coverage.errors import FileReadError
from coverage.metrics.standards import Standards, standards_from_dict

__all__ = [
    "RULE_TABLE_COLUMNS",
    "SERVICE_TABLE_COLUMNS",
    "save_standards",
    "standards_from_tables",
    "standards_from_yaml",
    "standards_tables",
    "standards_to_yaml",
]

#: Columns of the editable service and unit-rule tables (:func:`standards_tables`), in order.
SERVICE_TABLE_COLUMNS: tuple[str, ...] = (
    "key", "zh", "en", "facility_types", "groups", "mode", "threshold_min", "target_share", "bands_min",
    "capacity", "uptake_share", "note",
)
RULE_TABLE_COLUMNS: tuple[str, ...] = (
    "key", "zh", "en", "level", "facility_types", "min_count", "target_share", "name_suffix", "note",
)
_LIST_FIELDS = ("facility_types", "groups", "bands_min")
_SPLIT_LIST = re.compile(r"[、,，;；\s]+")


def standards_tables(standards: Standards) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The services and unit rules as two flat tables (lists joined by "、") for viewing and editing.

    :func:`standards_from_tables` reads them back (after the user edited, added or removed rows).

    Example
    -------
    >>> from coverage.metrics import default_standards
    >>> services, rules = standards_tables(default_standards())
    >>> str(services.loc[0, "key"]), float(services.loc[0, "threshold_min"]), str(services.loc[0, "mode"])
    ('elderly_15min', 15.0, 'walk')
    """
    def flat(item: Any, columns: tuple[str, ...]) -> dict[str, Any]:
        d = asdict(item)
        return {c: ("、".join(f"{v:g}" if isinstance(v, float) else str(v) for v in d[c])
                    if c in _LIST_FIELDS else d[c]) for c in columns}

    services = pd.DataFrame([flat(x, SERVICE_TABLE_COLUMNS) for x in standards.services],
                            columns=list(SERVICE_TABLE_COLUMNS))
    rules = pd.DataFrame([flat(x, RULE_TABLE_COLUMNS) for x in standards.unit_rules], columns=list(RULE_TABLE_COLUMNS))
    return services, rules


def _cell(value: Any) -> Any:
    """A table cell as plain data: NaN / NA / "" -> None, numpy numbers -> Python numbers."""
    if value is None or (not isinstance(value, (list, tuple, str)) and pd.isna(value)):
        return None
    if isinstance(value, str):
        return value.strip() or None
    return value.item() if hasattr(value, "item") else value


def standards_from_tables(services: pd.DataFrame, rules: pd.DataFrame, *, base: Standards | None = None,
                          source: str = "standards table") -> Standards:
    """Standards from edited :func:`standards_tables` (rows added, changed or removed), validated.

    Parameters
    ----------
    services, rules
        The two tables; list cells are text separated by "、", "," or spaces; empty
        rows are ignored; a row's number in error messages is as shown (first row = 1).
    base
        Standards whose names, own facility types and funeral-demand settings are kept.
    source
        Named in error messages.

    Raises
    ------
    InputError, UnknownCategoryError
        As :func:`standards_from_dict`, naming the table and the row's key.
    """
    def rows(table: pd.DataFrame, list_fields: tuple[str, ...]) -> list[dict[str, Any]]:
        out = []
        for rec in table.to_dict("records"):
            entry = {k: _cell(v) for k, v in rec.items()}
            if all(v is None for v in entry.values()):
                continue
            if isinstance(entry.get("min_count"), float) and entry["min_count"].is_integer():
                entry["min_count"] = int(entry["min_count"])  # a table cell edited as 2.0
            for f in list_fields:
                if isinstance(entry.get(f), str):
                    entry[f] = [x for x in _SPLIT_LIST.split(entry[f]) if x]
            out.append({k: v for k, v in entry.items() if v is not None or k == "target_share"})
        return out

    data: dict[str, Any] = base.to_dict() if base is not None else {}
    data["services"] = rows(services, _LIST_FIELDS)
    for svc in data["services"]:
        if isinstance(svc.get("capacity"), str):
            svc["capacity"] = svc["capacity"].lower() in ("true", "1", "yes", "是")
        if svc.get("capacity") is None:
            svc.pop("capacity", None)
    data["unit_rules"] = rows(rules, ("facility_types",))
    return standards_from_dict(data, source=source)


def standards_to_yaml(standards: Standards) -> str:
    """The standards as YAML text, as :func:`save_standards` writes it (for a download button)."""
    return yaml.safe_dump(standards.to_dict(), allow_unicode=True, sort_keys=False, width=110)


def standards_from_yaml(text: str | bytes, *, source: str = "standards") -> Standards:
    """Standards from YAML text (an uploaded file), validated like :func:`load_standards`.

    Raises
    ------
    FileReadError
        Not UTF-8, or not valid YAML.
    UnknownCategoryError, InputError
        As :func:`standards_from_dict`, naming ``source`` and the entry.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise FileReadError(f"{source}: not UTF-8 text; save the standards file as UTF-8") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FileReadError(f"{source}: not valid YAML: {exc}") from exc
    return standards_from_dict(data or {}, source=source)


def save_standards(standards: Standards, path: str | Path) -> Path:
    """Write standards to a YAML file that :func:`load_standards` reads back.

    Parameters
    ----------
    standards
        The standards (e.g. after the app changed a threshold).
    path
        Output file (UTF-8, Chinese written as is).

    Returns
    -------
    Path
        The path written.
    """
    path = Path(path)
    path.write_text(standards_to_yaml(standards), encoding="utf-8")
    return path
