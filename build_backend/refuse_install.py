"""A build backend that refuses to build: the planner runs from its folder.

The library's package folder is named ``coverage`` (the product's given layout),
which is also the import name of coverage.py.  Installing this project into
site-packages would write a top-level ``coverage`` there and break coverage.py
(or be broken by it).  So ``pip install .`` stops here with a message instead of
writing anything; ``python -m pip install -r requirements.txt`` installs what the
planner needs, and it runs from this folder (``streamlit run app.py``,
``python -m coverage ...``).
"""

from __future__ import annotations

from typing import Any

MESSAGE = (
    "coverage-planner is not installed as a package: run it from its folder.\n"
    "  python -m pip install -r requirements.txt && streamlit run app.py\n"
    "  python -m coverage --help\n"
    "Installing it would put a top-level 'coverage' package into site-packages, which is also the import "
    "name of coverage.py.\n"
    "本项目在其文件夹中直接运行，不作为软件包安装（其包名 coverage 与 coverage.py 相同）。"
)


def _refuse(*_args: Any, **_kwargs: Any) -> Any:
    raise RuntimeError(MESSAGE)


get_requires_for_build_wheel = _refuse
get_requires_for_build_sdist = _refuse
get_requires_for_build_editable = _refuse
prepare_metadata_for_build_wheel = _refuse
prepare_metadata_for_build_editable = _refuse
build_wheel = _refuse
build_sdist = _refuse
build_editable = _refuse
