"""The data options every planning subcommand shares: ``--region`` or ``--data DIR``.

``--region yuxi`` uses an embedded demo region; ``--data DIR`` a planner's folder
(:mod:`coverage.dataset`: the files ``python -m coverage demo --out DIR`` writes, or
any files with the documented headers), read with ``--crs`` and ``--map`` column
mappings.  Both give one :class:`coverage.dataset.Dataset`, so ``analyze``, ``od``,
``optimize``, ``map``, ``report`` and ``export`` treat a demo and a bureau's own files
the same way.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from coverage.errors import InputError

__all__ = ["add_data_arguments", "column_mapping", "open_data", "print_load_summary"]


def add_data_arguments(p: argparse.ArgumentParser, *, default_region: str | None = None) -> None:
    """Add ``--region`` / ``--data`` (mutually exclusive), ``--crs`` and ``--map``.

    Parameters
    ----------
    p
        The subcommand's parser.
    default_region
        Region used when neither option is given (``None``: one of them is required).
    """
    src = p.add_mutually_exclusive_group(required=default_region is None)
    src.add_argument(
        "--region", default=default_region,
        help="demo region: yuxi (玉溪市) or dali (大理白族自治州)"
        + (f" (default {default_region})" if default_region else ""),
    )
    src.add_argument(
        "--data", metavar="DIR",
        help="your data folder: 村庄名单.xlsx, 设施名单.xlsx, optional 候选点位.xlsx and 边界与路网.gpkg "
        "(layers boundaries, roads) or 路网.graphml, as `python -m coverage demo --out DIR` writes them / 数据文件夹",
    )
    p.add_argument(
        "--crs", default=None,
        help="coordinate system of the --data tables: wgs84, gcj02 (Amap), bd09 (Baidu), cgcs2000, EPSG:n "
        "(default: as the headers say, else WGS-84) / 坐标系",
    )
    p.add_argument(
        "--map", action="append", default=[], metavar="HEADER=COLUMN",
        help="map one of your headers to a column of the data model, e.g. --map 户籍人口=population (repeatable)",
    )


def column_mapping(items: list[str]) -> dict[str, str]:
    """``["户籍人口=population"]`` -> ``{"户籍人口": "population"}``.

    Raises
    ------
    InputError
        An item without ``=`` or with an empty side.
    """
    mapping: dict[str, str] = {}
    for item in items or []:
        header, sep, column = item.partition("=")
        if not sep or not header.strip() or not column.strip():
            raise InputError(f"--map {item!r}: write HEADER=COLUMN, e.g. --map 户籍人口=population")
        mapping[header.strip()] = column.strip()
    return mapping


def open_data(args: argparse.Namespace) -> Any:
    """The :class:`~coverage.dataset.Dataset` that ``--region`` / ``--data`` name."""
    from coverage.dataset import open_dataset

    if getattr(args, "standards", None):  # facility types the standards file defines: known before loading
        from coverage.metrics import load_standards

        load_standards(args.standards)
    if getattr(args, "data", None):
        return open_dataset(args.data, crs=args.crs, columns=column_mapping(args.map))
    if getattr(args, "crs", None) or getattr(args, "map", None):
        raise InputError("--crs and --map apply to --data (your own files); a demo region is already WGS-84")
    return open_dataset(f"demo:{args.region}")


def print_load_summary(dataset: Any) -> None:
    """One stderr line per table loaded from a data folder; rejected rows point to ``validate``."""
    if not dataset.files:
        return
    for line in dataset.summary_lines():
        print(line, file=sys.stderr)
    for kind, n in dataset.rejected.items():
        if n:
            path = dataset.files.get(kind)
            print(f"warning: {path}: {n} row(s) rejected and not used; `python -m coverage validate {path} "
                  f"--kind {kind}` lists them with the fix / 有 {n} 行未通过校验", file=sys.stderr)
