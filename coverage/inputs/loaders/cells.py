"""Text cells to values: numbers (thousands separators, units), admin codes, category names.

Every function is vectorised over a column and returns masks of what could not
be read, so the loader can report each row; nothing here decides whether a row
is rejected.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from coverage.errors import UnknownCategoryError
from coverage.taxonomy import normalize_label

__all__ = ["MISGROUPED_EN", "MISGROUPED_FIX", "MISGROUPED_FIX_ZH", "MISGROUPED_ZH", "BoolArray", "FloatArray",
           "admin_codes", "clean_text", "lookup_unique", "parse_numbers", "suggestion", "term_index"]

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


def clean_text(series: pd.Series) -> pd.Series:
    """Text cells, NFKC-normalised and stripped, as pandas "string" (missing = <NA>)."""
    t = series.astype("string")
    wide = ~t.str.isascii().fillna(True).to_numpy(dtype=bool)
    if wide.any():  # full-width digits and punctuation (１２，) only occur in non-ASCII cells
        t = t.copy()
        t[wide] = t[wide].str.normalize("NFKC")
    t = t.str.strip()
    return t.mask(t == "")


def parse_numbers(series: pd.Series, *,
                  units: str = "") -> tuple[FloatArray, BoolArray, BoolArray, BoolArray]:
    """(values, empty, bad, misgrouped) of a text column of numbers.

    ``units`` suffixes (a regex alternation such as "人|名") are dropped.
    Thousands separators are accepted only in groups of three digits ("1,234",
    "1 234", "12,345.6"); "12,34" (a decimal comma? a typo?) is ``misgrouped``
    and bad, never read as 1234.  Text such as "nan", "NA", "-", "inf" and
    numbers beyond the float range ("1e400") are bad; only an empty cell is
    ``empty``.
    """
    t = clean_text(series)
    spaced = t.str.contains(r"\d\s+[\d,.]|[\d,.]\s+\d", regex=True).fillna(False).to_numpy(dtype=bool)
    space_ok = t.str.fullmatch(r"[+-]?\d{1,3}(?: \d{3})+(?:\.\d+)?(?:\s*\D*)").fillna(False).to_numpy(dtype=bool)
    t = t.str.replace(r"\s", "", regex=True)
    if units:
        t = t.str.replace(f"({units})$", "", regex=True)
    commas = t.str.contains(",", regex=False).fillna(False).to_numpy(dtype=bool)
    grouped = t.str.fullmatch(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?").fillna(False).to_numpy(dtype=bool)
    misgrouped = (commas & ~grouped) | (spaced & ~space_ok)
    t = t.str.replace(",", "", regex=False)
    empty = t.isna().to_numpy(dtype=bool) | (t == "").fillna(True).to_numpy(dtype=bool)
    values = pd.to_numeric(t.mask(empty | misgrouped), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~empty & ~np.isfinite(values)
    return values, empty, bad, misgrouped & ~empty


MISGROUPED_EN = ("'{value}' is not a number: a comma or space may only separate thousands (1,234); a decimal "
                  "comma or a typo cannot be read safely")
MISGROUPED_ZH = "“{value}”不是有效数字：逗号或空格只能作千位分隔（如 1,234）；小数逗号或笔误无法可靠读取"
MISGROUPED_FIX = "write the number with a decimal point and no separator, e.g. 1234 or 12.34"
MISGROUPED_FIX_ZH = "填写不带分隔符的数字，小数用小数点，如 1234 或 12.34"


def admin_codes(series: pd.Series) -> tuple[pd.Series, BoolArray, BoolArray]:
    """(12-digit codes or <NA>, scientific-notation mask, malformed mask).

    County adcodes of 6 digits and township codes of 9 digits are padded to 12.
    """
    t = clean_text(series)
    sci = t.str.fullmatch(r"\d+(\.\d+)?[eE][+]?\d+").fillna(False).to_numpy(dtype=bool)
    if sci.any():
        as_int = pd.to_numeric(t.where(sci), errors="coerce")
        # 1e400 is infinite and 1e20 too long for a code: keep the text, reported as a bad code.
        digits = as_int.map(lambda v: None if pd.isna(v) or not np.isfinite(v) or v >= 1e15 else str(int(v)))
        t = t.where(~sci | digits.isna().to_numpy(dtype=bool), digits.astype("string"))
    t = t.str.replace(r"\.0+$", "", regex=True)
    length = t.str.len()
    digits = t.str.fullmatch(r"\d+").fillna(False).to_numpy(dtype=bool)
    t = t.mask((length == 6) & digits, t + "000000")
    t = t.mask((length == 9) & digits, t + "000")
    ok = t.str.fullmatch(r"\d{12}").fillna(True).to_numpy(dtype=bool)
    return t.mask(~ok), sci, ~ok


def term_index(terms: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for term in terms.values():
        for name in (term.key, term.zh, term.en, *term.aliases):
            out.setdefault(normalize_label(name), term.key)
    return out


def lookup_unique(values: pd.Series, lookup: Callable[[str], Any]) -> tuple[pd.Series, dict[str, str]]:
    """Map each distinct text value through ``lookup`` once: (keys or <NA>, {bad value: error message})."""
    keys: dict[str, str | None] = {}
    errors: dict[str, str] = {}
    for value in pd.unique(values.dropna()):
        try:
            keys[value] = lookup(value).key
        except UnknownCategoryError as exc:
            keys[value] = None
            errors[value] = str(exc)
    return values.map(keys).astype(object).where(values.notna(), None), errors


_DID_YOU_MEAN = re.compile(r"did you mean '([^']+)' \((\w+)\)")


def suggestion(message: str) -> tuple[str, str]:
    """(English, Chinese) hint from an UnknownCategoryError message."""
    m = _DID_YOU_MEAN.search(message)
    if not m:
        return "", ""
    return f"; did you mean '{m.group(1)}' ({m.group(2)})?", f"；是否应为“{m.group(1)}”？"
