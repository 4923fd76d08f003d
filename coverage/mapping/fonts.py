"""A Chinese font for printed maps, shipped with a Python dependency.

Printed maps and PDF reports must show Chinese on a fresh Windows or Linux
machine without relying on system fonts.  The font used is **Noto Sans CJK SC**
(SIL Open Font License 1.1), which the ``mplfonts`` package installs from PyPI
as ``mplfonts/fonts/NotoSansCJKsc-Regular.otf``.  (``mplfonts`` also ships
SimHei, which is *not* openly licensed: it is never used here.)

The font is registered with matplotlib's ``font_manager`` from the package
path.  It is a CFF-flavoured OpenType font: matplotlib's Type 42 output would
declare it as TrueType (``CIDFontType2``/``FontFile2``), which poppler reports as
a font-type mismatch and strict viewers may reject, so PDFs embed it as
**Type 3** (subset, vector outlines, with a ToUnicode map: the text stays
searchable and copyable).  :func:`cjk_rc` returns the rcParams that do all this,
for use in ``matplotlib.rc_context`` (global settings are never changed).

Rare characters of place names (CJK Extension B and later, such as 𡶴 U+21DB4)
are partly missing from Noto Sans CJK SC (it has about 2,000 of the 42,000
Extension B characters).  matplotlib (3.6 or later) draws each character in the
first font of ``font.family`` that has it, so :func:`cjk_rc` lists, after the
shipped font, the fallback fonts found on the machine (:data:`FALLBACK_FONTS`:
SimSun-ExtB and MingLiU-ExtB on Chinese Windows, HanaMinB from the Debian/Ubuntu
package ``fonts-hanazono``, BabelStone Han, or any font file named in the
environment variable ``COVERAGE_PLANNER_FALLBACK_FONT``).  A character that no
font has is named in a logged warning by :func:`warn_missing_glyphs`, and
:func:`missing_glyphs` lists such characters for a report note.  Text is drawn
as written: ``$`` is never read as the start of a formula (``text.parse_math``
off), so a name such as ``$\frac$`` cannot break a map.

Example
-------
>>> import matplotlib.pyplot as plt
>>> from coverage.mapping.fonts import cjk_rc
>>> with plt.rc_context(cjk_rc()):
...     fig = plt.figure()
...     _ = fig.text(0.1, 0.5, "玉溪市")
...     fig.savefig("title.pdf")  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coverage.errors import CoverageError

if TYPE_CHECKING:  # matplotlib >= 3.9; only the type checker needs it
    from matplotlib.typing import RcKeyType

__all__ = [
    "CJK_FONT_FAMILY",
    "CJK_FONT_FILE",
    "FALLBACK_FONTS",
    "FALLBACK_FONT_ENV",
    "FontNotFoundError",
    "cjk_font_path",
    "cjk_rc",
    "fallback_fonts",
    "font_chain",
    "missing_glyphs",
    "register_cjk_font",
    "warn_missing_glyphs",
]

logger = logging.getLogger(__name__)

#: The family name matplotlib reads from the font file.
CJK_FONT_FAMILY = "Noto Sans CJK SC"

#: File name of the font inside the ``mplfonts`` package's ``fonts`` folder.
CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"


#: Fonts that hold the rare CJK characters (Extension B and later) of place names, tried in this order
#: after the shipped font: family name as matplotlib reads it, and the font file names to look for.
FALLBACK_FONTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("SimSun-ExtB", ("simsunb.ttf",)),  # Windows with Chinese support (every Windows 10/11)
    ("SimSun-ExtG", ("simsunextg.ttf",)),  # Windows 11
    ("MingLiU-ExtB", ("mingliub.ttc",)),  # Windows
    ("HanaMinB", ("HanaMinB.ttf",)),  # Debian/Ubuntu fonts-hanazono (SIL OFL / Hanazono licence)
    ("BabelStone Han", ("BabelStoneHan.ttf",)),  # Debian fonts-babelstone-han
)

#: Environment variable naming one more fallback font file (for example a Jigmo or HanaMinB .ttf).
FALLBACK_FONT_ENV = "COVERAGE_PLANNER_FALLBACK_FONT"

#: The last font of the chain (Latin, digits and symbols the CJK fonts lack), bundled with matplotlib.
_LATIN_FAMILY = "DejaVu Sans"


class FontNotFoundError(CoverageError, FileNotFoundError):
    """The Chinese font shipped by the ``mplfonts`` package cannot be found."""


def cjk_font_path() -> Path:
    """Path of the Noto Sans CJK SC font installed by the ``mplfonts`` package.

    Returns
    -------
    Path
        The ``.otf`` file (about 16 MB).

    Raises
    ------
    FontNotFoundError
        When ``mplfonts`` is not installed or lacks the font file; the message
        says how to install it.
    """
    spec = importlib.util.find_spec("mplfonts")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        path = Path(folder) / "fonts" / CJK_FONT_FILE
        if path.is_file():
            return path
    where = ", ".join(folders) if folders else "not installed"
    msg = (
        f"the Chinese map font {CJK_FONT_FILE} was not found (mplfonts package: {where}); "
        "install it with: python -m pip install -r requirements.txt  (or: python -m pip install mplfonts)"
    )
    raise FontNotFoundError(msg)


@functools.cache
def register_cjk_font() -> str:
    """Register the shipped Chinese font with matplotlib (once per process).

    Returns
    -------
    str
        The family name to use in ``font.family`` (:data:`CJK_FONT_FAMILY`).

    Raises
    ------
    FontNotFoundError
        When the font file is missing.
    """
    from matplotlib import font_manager

    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    family = font_manager.FontProperties(fname=str(path)).get_name()
    logger.debug("registered font %s from %s", family, path)
    return family


@functools.cache
def fallback_fonts() -> tuple[tuple[str, Path], ...]:
    """Fallback fonts for rare CJK characters found on this machine, registered with matplotlib.

    Returns
    -------
    tuple of (family, path)
        In the order of :data:`FALLBACK_FONTS`, then the font of ``$COVERAGE_PLANNER_FALLBACK_FONT``;
        empty when none is installed (then rare characters missing from the shipped
        font are reported by :func:`warn_missing_glyphs`).
    """
    from matplotlib import font_manager

    wanted = {name.lower(): family for family, names in FALLBACK_FONTS for name in names}
    found: dict[str, Path] = {}
    for entry in font_manager.fontManager.ttflist:  # matplotlib's cache of the system fonts
        family = wanted.get(Path(entry.fname).name.lower())
        if family and family not in found and Path(entry.fname).is_file():
            found[family] = Path(entry.fname)
    if len(found) < len(FALLBACK_FONTS):  # fonts installed after matplotlib built its cache
        for fname in font_manager.findSystemFonts():
            family = wanted.get(Path(fname).name.lower())
            if family and family not in found:
                found[family] = Path(fname)
    chain = [(family, found[family]) for family, _ in FALLBACK_FONTS if family in found]
    extra = os.environ.get(FALLBACK_FONT_ENV, "").strip()
    if extra:
        if Path(extra).is_file():
            chain.append((font_manager.FontProperties(fname=extra).get_name(), Path(extra)))
        else:
            logger.warning("%s=%s: no such font file; rare characters may be missing from maps", FALLBACK_FONT_ENV,
                           extra)
    out = []
    for family, path in chain:
        try:
            font_manager.fontManager.addfont(str(path))
            name = font_manager.FontProperties(fname=str(path)).get_name()
        except (OSError, RuntimeError, ValueError) as exc:  # an unreadable font file: skip it, say so
            logger.warning("fallback font %s (%s) cannot be read: %s", family, path, exc)
            continue
        _as_regular(font_manager.fontManager, path)
        out.append((name, path))
        logger.debug("fallback font %s from %s", name, path)
    return tuple(out)


def _as_regular(manager: Any, path: Path) -> None:
    """Let a one-weight fallback font (HanaMinB is "Book", 500) answer requests for normal text.

    Otherwise matplotlib logs "Failed to find font weight normal" for every map.
    """
    import dataclasses

    # the file may be listed twice (matplotlib's scan of the system fonts, and our addfont): every entry
    for i, entry in enumerate(manager.ttflist):
        if Path(entry.fname) == path and entry.weight != 400:
            manager.ttflist[i] = dataclasses.replace(entry, weight=400)


def font_chain() -> list[tuple[str, Path]]:
    """Every font text is drawn with, in order: shipped CJK font, fallbacks, DejaVu Sans.

    Returns
    -------
    list of (family, path)
    """
    from matplotlib import font_manager

    latin = Path(font_manager.findfont(font_manager.FontProperties(family=_LATIN_FAMILY), fallback_to_default=True))
    return [(register_cjk_font(), cjk_font_path()), *fallback_fonts(), (_LATIN_FAMILY, latin)]


@functools.cache
def _charmap(path: Path) -> frozenset[int]:
    from matplotlib.ft2font import FT2Font

    return frozenset(FT2Font(str(path)).get_charmap())


def missing_glyphs(texts: str | Iterable[str]) -> list[str]:
    """Characters of ``texts`` that no font of :func:`font_chain` can draw (they would print as boxes).

    Parameters
    ----------
    texts
        A text or texts (names, titles, labels).

    Returns
    -------
    list of str
        The characters missing, each once, in order of appearance; white space and
        control characters are not counted.

    Example
    -------
    >>> missing_glyphs("玉溪市𠮷村")
    []
    """
    if isinstance(texts, str):
        texts = [texts]
    charmaps = [_charmap(path) for _, path in font_chain()]
    missing: dict[str, None] = {}
    for text in texts:
        for ch in str(text):
            if ch in missing or ch.isspace() or ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0:
                continue
            if not any(ord(ch) in cmap for cmap in charmaps):
                missing[ch] = None
    return list(missing)


def warn_missing_glyphs(texts: str | Iterable[str], *, where: str) -> list[str]:
    """Log a warning naming the characters of ``texts`` no installed font can draw; returns them.

    Parameters
    ----------
    texts
        The texts of a map or report.
    where
        What is being drawn, for the message (a file name, "printed map").

    Returns
    -------
    list of str
        The missing characters (empty when every character can be drawn).
    """
    missing = missing_glyphs(texts)
    if missing:
        codes = ", ".join(f"{ch} U+{ord(ch):04X}" for ch in missing[:20])
        logger.warning(
            "%s: no installed font has %d character(s), they print as boxes: %s; install a font that has them "
            "(Windows: SimSun-ExtB; Debian/Ubuntu: fonts-hanazono) or name its file in %s / "
            "以下生僻字没有可用字体，将显示为方框，请安装含这些字的字体（如 SimSun-ExtB、花园明朝 HanaMinB）",
            where, len(missing), codes, FALLBACK_FONT_ENV,
        )
    return missing


def cjk_rc() -> dict[RcKeyType, Any]:
    """matplotlib rcParams that draw and embed text in the shipped Chinese font.

    Use with ``matplotlib.pyplot.rc_context`` both while building a figure (the
    font is chosen when text is created) and while saving it (the PDF font type
    is read at save time).

    Returns
    -------
    dict
        ``font.family`` set to the Chinese font by name (not the generic
        "sans-serif", so text created here keeps the font when the figure is
        drawn later outside the context), then the fallback fonts for rare
        characters (:func:`fallback_fonts`) and DejaVu Sans, PDF/PS fonts
        embedded as Type 3, SVG text as paths, an ASCII minus sign, and ``$``
        drawn as written (no mathtext).
    """
    families = [register_cjk_font(), *(name for name, _ in fallback_fonts()), _LATIN_FAMILY]
    return {
        "font.family": families,
        "font.sans-serif": families,
        "text.parse_math": False,
        "pdf.fonttype": 3,
        "ps.fonttype": 3,
        "svg.fonttype": "path",
        "axes.unicode_minus": False,
        "pdf.compression": 6,
    }
