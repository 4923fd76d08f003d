"""Shared fixtures: paths to the test data and the read-only benchmark instances."""

from __future__ import annotations

import os
import types
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


def _code_names(code: types.CodeType) -> set[str]:
    """Global names a function's code (and the functions and lambdas inside it) refers to."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _uses_shared(item: pytest.Item) -> bool:
    """Whether a test (or one of its fixtures) reads a module-level path inside ../shared/benchmarks."""
    functions = [getattr(item, "function", None)]
    info = getattr(item, "_fixtureinfo", None)
    for defs in (info.name2fixturedefs.values() if info is not None else ()):
        functions += [d.func for d in defs]
    def inside(value: object) -> bool:
        return isinstance(value, Path) and (value == SHARED_BENCHMARKS or SHARED_BENCHMARKS in value.parents)

    callspec = getattr(item, "callspec", None)
    if callspec is not None and any(inside(v) for v in callspec.params.values()):
        return True
    module = getattr(item, "module", None)
    for func in functions:
        code = getattr(func, "__code__", None)
        if code is None:
            continue
        for name in _code_names(code):
            if inside(getattr(module, name, None) if module is not None else None):
                return True
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without ../shared/benchmarks, skip (outside CI) the tests that read its files, saying why."""
    if SHARED_BENCHMARKS.is_dir() or os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        return
    skip = pytest.mark.skip(reason=f"{SHARED_BENCHMARKS} is missing: this test reads the published benchmark "
                                   "instances (OSM extracts, OR-Library, spopt SF) beside the repository")
    for item in items:
        if _uses_shared(item):
            item.add_marker(skip)
