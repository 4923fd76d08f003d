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
from pathlib import Path
from typing import Any

from coverage.errors import CoverageError

__all__ = [
    "CJK_FONT_FAMILY",
    "CJK_FONT_FILE",
    "FontNotFoundError",
    "cjk_font_path",
    "cjk_rc",
    "register_cjk_font",
]

logger = logging.getLogger(__name__)

#: The family name matplotlib reads from the font file.
CJK_FONT_FAMILY = "Noto Sans CJK SC"

#: File name of the font inside the ``mplfonts`` package's ``fonts`` folder.
CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"


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


def cjk_rc() -> dict[str, Any]:
    """matplotlib rcParams that draw and embed text in the shipped Chinese font.

    Use with ``matplotlib.pyplot.rc_context`` both while building a figure (the
    font is chosen when text is created) and while saving it (the PDF font type
    is read at save time).

    Returns
    -------
    dict
        ``font.family`` set to the Chinese font by name (not the generic
        "sans-serif", so text created here keeps the font when the figure is
        drawn later outside the context), DejaVu Sans as fallback, PDF/PS
        fonts embedded as Type 3, SVG text as paths, and an ASCII minus sign.
    """
    family = register_cjk_font()
    return {
        "font.family": [family, "DejaVu Sans"],
        "font.sans-serif": [family, "DejaVu Sans"],
        "pdf.fonttype": 3,
        "ps.fonttype": 3,
        "svg.fonttype": "path",
        "axes.unicode_minus": False,
        "pdf.compression": 6,
    }
