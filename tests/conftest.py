"""Shared fixtures: paths to the test data and the read-only benchmark instances."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEST_DATA = ROOT / "tests" / "data"
SHARED_BENCHMARKS = ROOT.parent / "shared" / "benchmarks"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """Folder of small real files used by the tests."""
    return TEST_DATA


@pytest.fixture(scope="session")
def shared_benchmarks() -> Path:
    """The published benchmark instances beside the repository (../shared/benchmarks)."""
    return shared_benchmarks_dir()


def shared_benchmarks_dir() -> Path:
    """``../shared/benchmarks``, or skip the calling test saying why (fail under CI, where it must exist).

    The published instances (OpenStreetMap extracts, OR-Library, spopt's San Francisco case) sit beside
    the repository, not in it.  On a fresh clone without them the tests that need them are skipped with
    this reason; under CI (``CI=true``) a missing folder is a failure, so CI never skips them silently.
    """
    if not SHARED_BENCHMARKS.is_dir():
        msg = (f"{SHARED_BENCHMARKS} is missing: these tests need the published benchmark instances "
               "(OSM extracts, OR-Library, spopt SF) in ../shared/benchmarks beside the repository")
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(msg)
        pytest.skip(msg)
    return SHARED_BENCHMARKS
