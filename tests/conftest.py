"""Shared fixtures: paths to the test data and the read-only benchmark instances."""

from __future__ import annotations

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
    if not SHARED_BENCHMARKS.is_dir():
        pytest.fail(f"{SHARED_BENCHMARKS} is missing: the benchmark instances must sit beside the repository")
    return SHARED_BENCHMARKS
