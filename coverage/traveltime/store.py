"""Compiled networks on disk: save, load (memory-mapped), and reuse the one compiled from an unchanged graph file.

:func:`save_network` writes a :class:`~coverage.traveltime.CompiledNetwork` and its chain contraction as one
uncompressed ``.npz`` (plain arrays and text, no pickles) whose members start on 64-byte boundaries;
:func:`load_network` maps the arrays straight from the file (``mmap``, read-only: nothing is read until a
search touches it, and processes opening the same file share its pages), so reloading takes milliseconds
whatever the network's size.  The file is an ordinary ``.npz`` (``numpy.load`` reads it) and works the same
on Windows.  Files of format 1 (compressed geometry layout, no contraction) are still read (into memory).
:func:`engine_for_file` keys the saved network by the SHA-256 of the graph file's *content*, the travel mode
(every speed) and the format version, so an edited graph file or edited speeds never reuse a stale network;
a damaged or outdated saved file is rebuilt with a log line.

Example
-------
>>> eng = engine_for_file("roads.graphml", "walk")   # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import mmap
import os
import struct
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import scipy.sparse as sp

from coverage.errors import NetworkError
from coverage.network.modes import TravelMode, get_mode
from coverage.traveltime.compiled import CompiledNetwork
from coverage.traveltime.contract import Chains, contract

__all__ = ["engine_for_file", "load_network", "network_key", "save_network"]

logger = logging.getLogger(__name__)

#: Bumped whenever the saved layout or the compilation changes: older files are then rebuilt.
FORMAT_VERSION = 2
#: Versions :func:`load_network` still reads.
READABLE_VERSIONS = (1, 2)
#: Member data start on multiples of this many bytes (numpy's own .npy header alignment).
ALIGN = 64
#: Arrays smaller than this are read into memory rather than mapped.
MAP_MIN_BYTES = 1 << 16
_PAD_ID = 0xD935  # zip "extra field" id used for alignment padding (as Android's zipalign)


def _mode_json(mode: TravelMode) -> str:
    kw = mode._as_kwargs()
    kw["excluded"] = sorted(kw["excluded"])
    kw["speeds_kph"] = dict(sorted(kw["speeds_kph"].items()))
    return json.dumps(kw, ensure_ascii=False, sort_keys=True)


def _chains_of(net: CompiledNetwork) -> Chains:
    ch = net._cache.get("chains")
    if ch is None:
        ch = contract(net)
        net._cache["chains"] = ch
    return ch


def save_network(net: CompiledNetwork, path: str | os.PathLike[str]) -> Path:
    """Write a compiled network (and its chain contraction, contracted now if it was not yet) to ``path``.

    Raises
    ------
    NetworkError
        The node ids are neither all integers nor all text (they could not be read back as they are).
    """
    ids = net.node_ids
    kind = pd.api.types.infer_dtype(ids, skipna=False)  # compiled: no Python loop over millions of ids
    if kind == "integer":
        ids_arr, ids_kind = np.asarray(ids, dtype=np.int64), "int"
    elif kind == "string":
        ids_arr, ids_kind = np.asarray(ids, dtype=str), "str"
    else:
        raise NetworkError("node ids mix types (neither all integers nor all text): the compiled network "
                           "cannot be saved; keep it in memory")
    ch = _chains_of(net)
    arrays: dict[str, Any] = {
        "format_version": np.int64(FORMAT_VERSION), "mode": np.str_(_mode_json(net.mode)),
        "crs": np.str_(net.crs.to_wkt()), "metric_crs": np.str_(net.metric_crs.to_wkt()),
        "node_ids": ids_arr, "node_ids_kind": np.str_(ids_kind), "node_xy_m": net.node_xy_m,
        "seg_a": net.seg_a, "seg_b": net.seg_b, "seg_time_ab_min": net.seg_time_ab_min,
        "seg_time_ba_min": net.seg_time_ba_min, "seg_length_m": net.seg_length_m,
        "seg_xy_m": net.seg_xy_m, "seg_xy_start": net.seg_xy_start,
        "min_per_m": np.float64(net.min_per_m),
    }
    arrays |= _csr_arrays("csr", net.csr) | _csr_arrays("rev", net.csr_rev)
    for f in dataclasses.fields(Chains):
        value = getattr(ch, f.name)
        arrays |= _csr_arrays(f"ch_{f.name}", value) if sp.issparse(value) else {f"ch_{f.name}": value}
    path = Path(path)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    try:
        _write_aligned_npz(tmp, arrays)
        os.replace(tmp, path)  # readers never see a half-written file
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _csr_arrays(prefix: str, m: sp.csr_matrix) -> dict[str, Any]:
    return {f"{prefix}_data": m.data, f"{prefix}_indices": m.indices, f"{prefix}_indptr": m.indptr}


def _write_aligned_npz(path: Path, arrays: dict[str, Any]) -> None:
    """An uncompressed .npz whose every member's data starts on an :data:`ALIGN`-byte boundary of the file."""
    with open(path, "wb") as fh, zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, value in arrays.items():
            arr = np.asanyarray(value)
            zi = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_STORED
            big = arr.nbytes > 2**31  # zipfile then writes a 20-byte zip64 field into the local header
            fixed = 30 + len(zi.filename.encode()) + 4 + (20 if big else 0)
            pad = -(fh.tell() + fixed) % ALIGN
            zi.extra = struct.pack("<HH", _PAD_ID, pad) + b"\0" * pad
            with zf.open(zi, "w", force_zip64=big) as out:
                np.lib.format.write_array(out, arr, allow_pickle=False)


def _read_members(path: str | os.PathLike[str]) -> dict[str, npt.NDArray[Any]]:
    """The arrays of an uncompressed .npz, large aligned ones mapped from the file (read-only)."""
    with zipfile.ZipFile(path) as zf:
        infos = [i for i in zf.infolist() if i.filename.endswith(".npy")]
        out: dict[str, npt.NDArray[Any]] = {}
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else None
            for info in infos:
                name = info.filename[:-4]
                if info.compress_type != zipfile.ZIP_STORED or mm is None:
                    with zf.open(info) as f:
                        out[name] = np.lib.format.read_array(f, allow_pickle=False)
                    continue
                sig, *_, name_len, extra_len = struct.unpack("<4s5H3I2H", mm[info.header_offset:
                                                                               info.header_offset + 30])
                if sig != b"PK\x03\x04":
                    raise ValueError(f"member {name}: bad local header")
                at = info.header_offset + 30 + name_len + extra_len
                with zf.open(info) as f:  # the .npy header: dtype, shape, order
                    version = np.lib.format.read_magic(f)
                    if version == (1, 0):
                        shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
                    else:
                        shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
                    at += f.tell()
                if dtype.hasobject:
                    raise ValueError(f"member {name}: object array")
                count = int(np.prod(shape, dtype=np.int64))
                if at + count * dtype.itemsize > size:
                    raise ValueError(f"member {name}: truncated")
                arr = np.frombuffer(mm, dtype=dtype, count=count, offset=at)
                arr = arr.reshape(shape, order="F" if fortran else "C")
                if count * dtype.itemsize < MAP_MIN_BYTES or not arr.flags.aligned:
                    arr = arr.copy()  # small, or written unaligned (format 1): into memory
                out[name] = arr
    return out


def load_network(path: str | os.PathLike[str]) -> CompiledNetwork:
    """Read a network written by :func:`save_network`; its arrays are memory-mapped from the file (read-only).

    The file must then stay in place while the network is used (on Windows it cannot be replaced meanwhile).

    Raises
    ------
    NetworkError
        The file was written by another format version, or is not a saved network (or is damaged).
    """
    try:
        z = _read_members(path)
    except (OSError, ValueError, EOFError, struct.error, zipfile.BadZipFile, zipfile.LargeZipFile) as err:
        raise NetworkError(f"{path}: not a saved road network ({err}); delete it to rebuild") from err
    version = int(z["format_version"]) if "format_version" in z else None
    if version not in READABLE_VERSIONS:
        raise NetworkError(f"{path}: saved by another version of this program; delete it to rebuild")
    try:
        return _network_from(z, version)
    except (KeyError, ValueError, TypeError, IndexError, json.JSONDecodeError, pyproj.exceptions.CRSError) as err:
        raise NetworkError(f"{path}: damaged saved road network ({err!r}); delete it to rebuild") from err


def _network_from(z: dict[str, npt.NDArray[Any]], version: int) -> CompiledNetwork:
    kw = json.loads(str(z["mode"]))
    kw["excluded"] = frozenset(kw["excluded"])
    mode = TravelMode(**kw)
    n = len(z["node_xy_m"])
    node_ids = np.empty(n, dtype=object)
    node_ids[:] = z["node_ids"].tolist()
    n_seg = len(z["seg_a"])
    if version == 1:
        count = z["geom_count"]
        seg_xy, seg_start = z["geom_xy"], np.concatenate([[0], np.cumsum(count)]).astype(np.int64)
    else:
        seg_xy, seg_start = z["seg_xy_m"], z["seg_xy_start"]
    if not (len(z["seg_b"]) == len(z["seg_time_ab_min"]) == len(z["seg_time_ba_min"]) == len(z["seg_length_m"])
            == n_seg == len(seg_start) - 1) or int(seg_start[-1]) != len(seg_xy):
        raise ValueError("segment arrays of different lengths")
    net = CompiledNetwork(
        mode=mode, crs=pyproj.CRS.from_wkt(str(z["crs"])), metric_crs=pyproj.CRS.from_wkt(str(z["metric_crs"])),
        node_ids=node_ids, node_xy_m=z["node_xy_m"], seg_a=z["seg_a"], seg_b=z["seg_b"],
        seg_time_ab_min=z["seg_time_ab_min"], seg_time_ba_min=z["seg_time_ba_min"], seg_xy_m=seg_xy,
        seg_xy_start=seg_start, seg_length_m=z["seg_length_m"], csr=_csr(z, "csr", n, n), csr_rev=_csr(z, "rev", n, n),
        min_per_m=float(z["min_per_m"]),
    )
    if version >= 2:
        m = len(z["ch_core"])
        values: dict[str, Any] = {}
        for f in dataclasses.fields(Chains):
            values[f.name] = _csr(z, f"ch_{f.name}", m, m) if f.name in ("csr", "csr_rev") else z[f"ch_{f.name}"]
        net._cache["chains"] = Chains(**values)
    return net


def _csr(z: dict[str, npt.NDArray[Any]], prefix: str, n_rows: int, n_cols: int) -> sp.csr_matrix:
    """A CSR matrix over saved (possibly mapped) arrays, without copying or re-checking them."""
    data, indices, indptr = z[f"{prefix}_data"], z[f"{prefix}_indices"], z[f"{prefix}_indptr"]
    if len(indptr) != n_rows + 1 or int(indptr[-1]) != len(indices) or len(data) != len(indices):
        raise ValueError(f"{prefix}: inconsistent sparse matrix")
    m = sp.csr_matrix((data, indices, indptr), shape=(n_rows, n_cols), copy=False)
    m.has_sorted_indices = True
    return m


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
    calls on the same content map that instead (no graph is built, nothing compiled or contracted).  A saved
    network of an older content of the file is deleted; one that cannot be read (damaged, or written by
    another version) is rebuilt, with a log line.  A folder that cannot be written only costs the saving
    (logged).

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
        except Exception as err:  # a cache must never stop the work: whatever went wrong, compile again
            logger.warning("%s: saved road network not readable (%r); rebuilding it", target, err)
    engine = TravelTimeEngine(load_graph(path, **options), mode)
    engine.chains()  # saved with the network
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():  # compiled from an older content of the file
            if old.name.startswith(prefix) and old.name.endswith(".engine.npz") and old != target:
                try:
                    old.unlink(missing_ok=True)
                    logger.info("deleted %s: compiled from another content of %s, or by another version", old.name,
                                path.name)
                except OSError as err:  # e.g. still mapped by an engine in use (Windows): left for next time
                    logger.info("stale compiled network %s not deleted (%s)", old, err)
        save_network(engine.network, target)
    except (OSError, NetworkError) as err:
        logger.warning("compiled network not saved to %s (%s): it will be compiled again next time", target, err)
    return engine
