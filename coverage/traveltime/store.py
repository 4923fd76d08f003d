"""Compiled networks on disk: save, load, and reuse the one compiled from an unchanged graph file.

:func:`save_network` writes a :class:`~coverage.traveltime.CompiledNetwork` as one uncompressed ``.npz``
(plain arrays and text, no pickles); :func:`load_network` reads it back in milliseconds.
:func:`engine_for_file` keys the saved network by the SHA-256 of the graph file's *content*, the travel mode
(every speed) and the format version, so an edited graph file or edited speeds never reuse a stale network.

Example
-------
>>> eng = engine_for_file("roads.graphml", "walk")   # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import scipy.sparse as sp
import shapely

from coverage.errors import NetworkError
from coverage.network.modes import TravelMode, get_mode
from coverage.traveltime.compiled import CompiledNetwork

__all__ = ["engine_for_file", "load_network", "network_key", "save_network"]

logger = logging.getLogger(__name__)

#: Bumped whenever the saved layout or the compilation changes: older files are then rebuilt.
FORMAT_VERSION = 1


def _mode_json(mode: TravelMode) -> str:
    kw = mode._as_kwargs()
    kw["excluded"] = sorted(kw["excluded"])
    kw["speeds_kph"] = dict(sorted(kw["speeds_kph"].items()))
    return json.dumps(kw, ensure_ascii=False, sort_keys=True)


def save_network(net: CompiledNetwork, path: str | os.PathLike[str]) -> Path:
    """Write a compiled network to ``path`` (``.npz``).

    Raises
    ------
    NetworkError
        The node ids are neither all integers nor all text (they could not be read back as they are).
    """
    ids = net.node_ids
    if all(isinstance(i, int | np.integer) and not isinstance(i, bool) for i in ids):
        ids_arr, ids_kind = np.asarray(ids, dtype=np.int64), "int"
    elif all(isinstance(i, str) for i in ids):
        ids_arr, ids_kind = np.asarray(ids, dtype=str), "str"
    else:
        raise NetworkError("node ids mix types (neither all integers nor all text): the compiled network "
                           "cannot be saved; keep it in memory")
    coords, part = shapely.get_coordinates(net.seg_geoms_m, return_index=True)
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp.npz")
    with open(tmp, "wb") as f:
        np.savez(
            f, format_version=np.int64(FORMAT_VERSION), mode=np.str_(_mode_json(net.mode)),
            crs=np.str_(net.crs.to_wkt()), metric_crs=np.str_(net.metric_crs.to_wkt()),
            node_ids=ids_arr, node_ids_kind=np.str_(ids_kind), node_xy_m=net.node_xy_m,
            seg_a=net.seg_a, seg_b=net.seg_b, seg_time_ab_min=net.seg_time_ab_min,
            seg_time_ba_min=net.seg_time_ba_min, seg_length_m=net.seg_length_m,
            geom_xy=coords, geom_count=np.bincount(part, minlength=net.n_segments),
            csr_data=net.csr.data, csr_indices=net.csr.indices, csr_indptr=net.csr.indptr,
            rev_data=net.csr_rev.data, rev_indices=net.csr_rev.indices, rev_indptr=net.csr_rev.indptr,
            min_per_m=np.float64(net.min_per_m),
        )
    os.replace(tmp, path)  # readers never see a half-written file
    return path


def load_network(path: str | os.PathLike[str]) -> CompiledNetwork:
    """Read a network written by :func:`save_network`.

    Raises
    ------
    NetworkError
        The file was written by another format version, or is not a saved network.
    """
    try:
        z = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise NetworkError(f"{path}: not a saved road network ({err}); delete it to rebuild") from err
    with z:
        if "format_version" not in z.files or int(z["format_version"]) != FORMAT_VERSION:
            raise NetworkError(f"{path}: saved by another version of this program; delete it to rebuild")
        kw = json.loads(str(z["mode"]))
        kw["excluded"] = frozenset(kw["excluded"])
        mode = TravelMode(**kw)
        n = len(z["node_xy_m"])
        ids = z["node_ids"]
        node_ids = np.empty(n, dtype=object)
        node_ids[:] = ids.tolist()
        count = z["geom_count"]
        geoms = shapely.linestrings(z["geom_xy"], indices=np.repeat(np.arange(len(count)), count))
        return CompiledNetwork(
            mode=mode, crs=pyproj.CRS.from_wkt(str(z["crs"])), metric_crs=pyproj.CRS.from_wkt(str(z["metric_crs"])),
            node_ids=node_ids, node_xy_m=z["node_xy_m"], seg_a=z["seg_a"], seg_b=z["seg_b"],
            seg_time_ab_min=z["seg_time_ab_min"], seg_time_ba_min=z["seg_time_ba_min"], seg_geoms_m=geoms,
            seg_length_m=z["seg_length_m"],
            csr=sp.csr_matrix((z["csr_data"], z["csr_indices"], z["csr_indptr"]), shape=(n, n)),
            csr_rev=sp.csr_matrix((z["rev_data"], z["rev_indices"], z["rev_indptr"]), shape=(n, n)),
            min_per_m=float(z["min_per_m"]),
        )


def network_key(path: str | os.PathLike[str], mode: str | TravelMode, **options: Any) -> str:
    """Hex key of a graph file's content, the travel mode (all its speeds), the loading options and the format.

    Parameters
    ----------
    path
        The graph file (GraphML, OSM, road layer ...).
    mode
        Travel mode.
    **options
        Options that change how the file is read (as given to :func:`coverage.network.load_graph`).
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(hashlib.file_digest(f, "sha256").digest())
    h.update(_mode_json(get_mode(mode)).encode())
    h.update(repr(sorted((k, repr(v)) for k, v in options.items())).encode())
    h.update(str(FORMAT_VERSION).encode())
    return h.hexdigest()


def engine_for_file(path: str | os.PathLike[str], mode: str | TravelMode = "walk", *,
                    cache_dir: str | os.PathLike[str] | None = None, **options: Any) -> Any:
    """A :class:`~coverage.traveltime.TravelTimeEngine` for a graph file, compiled once and kept next to it.

    The first call reads the file with :func:`coverage.network.load_graph`, compiles it and saves the
    result as ``<file name>.<mode>.<key>.engine.npz`` in ``cache_dir`` (default: the file's folder); later
    calls on the same content load that instead (no graph is built).  A saved network of an older content of
    the file is deleted.  A folder that cannot be written only costs the saving (logged).

    Parameters
    ----------
    path
        Graph file.
    mode
        Travel mode.
    cache_dir
        Where compiled networks are kept.
    **options
        Passed to :func:`coverage.network.load_graph`.

    Returns
    -------
    TravelTimeEngine
    """
    from coverage.network import load_graph
    from coverage.traveltime.engine import TravelTimeEngine

    path = Path(path)
    mode = get_mode(mode)
    key = network_key(path, mode, **options)
    folder = Path(cache_dir) if cache_dir is not None else path.parent
    prefix = f"{path.name}.{mode.key}."
    target = folder / f"{prefix}{key[:20]}.engine.npz"
    if target.exists():
        try:
            return TravelTimeEngine.from_network(load_network(target))
        except NetworkError as err:
            logger.warning("%s; rebuilding it", err)
    engine = TravelTimeEngine(load_graph(path, **options), mode)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():  # compiled from an older content of the file
            if old.name.startswith(prefix) and old.name.endswith(".engine.npz") and old != target:
                old.unlink(missing_ok=True)
        save_network(engine.network, target)
    except (OSError, NetworkError) as err:
        logger.warning("compiled network not saved to %s (%s): it will be compiled again next time", target, err)
    return engine
