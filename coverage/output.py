"""Output files: check the suffix a user gave and make the parent folder.

Shared by the writers of printed maps (:func:`coverage.mapping.printmap.save_map`),
the PDF report and the workbook (:mod:`coverage.reports`), so a wrong suffix reads
the same everywhere and is refused before anything is drawn or written.

>>> from coverage.output import output_path
>>> output_path("out/map.pdf", suffixes=(".pdf", ".png"), problem="use .pdf or .png")  # doctest: +SKIP
PosixPath('out/map.pdf')
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from coverage.errors import InputError

logger = logging.getLogger(__name__)


def output_path(path: str | Path, *, suffixes: Sequence[str], problem: str) -> Path:
    """The output file as a :class:`~pathlib.Path`, its suffix checked and its parent folder made.

    Parameters
    ----------
    path
        The file to write.
    suffixes
        The suffixes accepted, lower case with the dot (".pdf"); the check ignores case.
    problem
        What to tell the user when the suffix is another: the message is
        ``f"{path}: {problem}"``, with ``{suffix}`` in ``problem`` replaced by the
        suffix given (e.g. "unsupported map format '{suffix}'; use .pdf or .png").

    Returns
    -------
    Path
        ``path``; its parent folder exists.

    Raises
    ------
    InputError
        When the suffix of ``path`` is not one of ``suffixes`` (nothing is created then).

    Example
    -------
    >>> output_path("report.docx", suffixes=(".pdf",), problem="the report must be a .pdf file")
    Traceback (most recent call last):
    ...
    coverage.errors.InputError: report.docx: the report must be a .pdf file
    """
    path = Path(path)
    if path.suffix.lower() not in suffixes:
        raise InputError(f"{path}: {problem.replace('{suffix}', path.suffix)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
