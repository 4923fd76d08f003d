"""One exception hierarchy for the whole library.

Every error the library raises on purpose derives from :class:`CoverageError`
and from the built-in exception that fits, so callers can catch either
(``except ValueError`` keeps working).  Messages name the file, row and column
where there is one, and say how to fix the problem.
"""

from __future__ import annotations


class CoverageError(Exception):
    """Base class of every error raised on purpose by :mod:`coverage`."""


class InputError(CoverageError, ValueError):
    """A user's file or table cannot be used as given."""


class FileReadError(InputError, OSError):
    """A file cannot be opened, decoded or parsed at all."""


class MissingColumnError(InputError, KeyError):
    """A required column is absent (after applying header aliases)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ValidationError(InputError):
    """Rows were rejected in strict mode; ``report`` lists every problem."""

    def __init__(self, message: str, report: object | None = None) -> None:
        super().__init__(message)
        self.report = report


class CRSError(CoverageError, ValueError):
    """A layer has no coordinate reference system, or two layers disagree."""


class UnknownCategoryError(InputError):
    """A facility type, population group, road class or other code is unknown."""


class NetworkError(CoverageError, ValueError):
    """A road network is empty, disconnected beyond use, or cannot be built."""


class DownloadError(CoverageError, ConnectionError):
    """An online source (OpenStreetMap, tiles) could not be reached."""


class SolverError(CoverageError, RuntimeError):
    """The optimisation model failed to solve (not: proved infeasible)."""


class InfeasibleError(CoverageError, ValueError):
    """A target cannot be met with the candidates given; the message says the best achievable."""
