"""Progress reporting: one callback signature for every long-running step.

Long work in the library (travel-time tables, a coverage analysis, a siting
solve) reports progress through a :class:`Progress` callback,
``progress(fraction, message)``: ``fraction`` is the share of the work done,
0..1, and ``message`` one short line for a person.  The app turns the calls into
a progress bar, the command line into log lines.

A step that runs inside a larger one hands its callers a sub-range of the bar
with :func:`scaled`; a caller with nothing to show passes nothing (or
:func:`silent`).

Example
-------
>>> seen = []
>>> def record(fraction: float, message: str) -> None:
...     seen.append((round(fraction, 2), message))
>>> half = scaled(record, start=0.5, stop=1.0)
>>> half(0.5, "walk: 3 of 6 services")
>>> seen
[(0.75, 'walk: 3 of 6 services')]
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["Progress", "scaled", "silent"]


class Progress(Protocol):
    """A progress callback: ``progress(fraction, message)``.

    Parameters
    ----------
    fraction
        Share of the work done, 0..1 (never decreasing within one step).
    message
        One short line saying what is being done, for a person.
    """

    def __call__(self, fraction: float, message: str, /) -> None: ...


def silent(fraction: float, message: str, /) -> None:
    """A :class:`Progress` that shows nothing."""


def scaled(progress: Progress | None, *, start: float, stop: float) -> Progress:
    """A :class:`Progress` that maps 0..1 onto ``start..stop`` of ``progress``.

    Parameters
    ----------
    progress
        The caller's callback, or None (then the result shows nothing).
    start, stop
        The share of the caller's bar this step fills, 0 <= start <= stop <= 1.

    Returns
    -------
    Progress
        A callback for the step; fractions outside 0..1 are clipped.
    """
    if progress is None:
        return silent
    outer = progress
    span = stop - start

    def inner(fraction: float, message: str, /) -> None:
        outer(start + span * min(max(float(fraction), 0.0), 1.0), message)

    return inner
