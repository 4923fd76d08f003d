"""The package folder ``coverage`` is this project's, and installing it cannot harm coverage.py."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

import coverage

ROOT = Path(__file__).resolve().parents[1]


def test_import_coverage_is_this_project() -> None:
    where = Path(coverage.__file__).resolve().parent
    assert where == ROOT / "coverage", (
        f"`import coverage` resolved to {where}, not to this project's {ROOT / 'coverage'}: "
        "another package named coverage (coverage.py?) shadows it. Run from the project folder "
        "and uninstall coverage.py from this environment (python -m pip uninstall coverage)."
    )
    assert hasattr(coverage, "inputs") or (where / "inputs").is_dir()


def test_coverage_py_is_not_installed_in_this_environment() -> None:
    try:
        dist = importlib.metadata.distribution("coverage")
    except importlib.metadata.PackageNotFoundError:
        return
    pytest.fail(f"coverage.py {dist.version} is installed here; its import name is this project's package. "
                "Uninstall it (python -m pip uninstall coverage pytest-cov); measure test coverage with "
                "slipcover (see .ci/run).")


def test_pip_install_refuses_with_a_message(tmp_path: Path) -> None:
    target = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target", str(target), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode != 0
    assert "run it from its folder" in proc.stdout + proc.stderr
    assert not (target / "coverage").exists()
