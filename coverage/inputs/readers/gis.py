"""Read a GIS layer (GeoJSON, GeoPackage, Shapefile, a zipped Shapefile) into a text table with geometries.

A Shapefile's .dbf without a .cpg is decoded by a sample of its bytes (UTF-8
when it decodes, else GB18030); attributes become text cells, the row number
is the feature number (from 1).
"""

from __future__ import annotations

import codecs
import tempfile
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage.errors import FileReadError
from coverage.inputs.readers.archive import unzip_layer
from coverage.inputs.readers.table import RawTable, replacement_cells, to_text_frame

__all__ = ["DBF_SAMPLE_BYTES", "dbf_encoding", "read_layer"]

#: Bytes of a .dbf without .cpg sampled to guess its encoding.
DBF_SAMPLE_BYTES = 1024 * 1024


def dbf_encoding(dbf: Any) -> str:
    """Guess the encoding of a .dbf's records from a sample: UTF-8 when it decodes, else GB18030.

    ``dbf`` is an open binary file; only the header and the first
    :data:`DBF_SAMPLE_BYTES` of the records are read (a character cut at the
    end of the sample does not count).
    """
    head = dbf.read(32)
    if len(head) < 32:
        return "utf-8"
    header_len = int.from_bytes(head[8:10], "little")
    sample = dbf.read(max(0, header_len - 32) + DBF_SAMPLE_BYTES)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def _shp_encoding(shp: Path) -> str | None:
    """Encoding to read a Shapefile's .dbf with, when it has no .cpg (else None: GDAL reads the .cpg)."""
    siblings = {p.name.lower(): p for p in shp.parent.iterdir() if p.stem.lower() == shp.stem.lower()}
    if shp.stem.lower() + ".cpg" in siblings:
        return None
    dbf = siblings.get(shp.stem.lower() + ".dbf")
    if dbf is None:
        return None
    with open(dbf, "rb") as fh:
        return dbf_encoding(fh)


def read_layer(path: Path, *, source: str, layer: str | int | None) -> RawTable:
    if path.suffix.lower() == ".zip":
        with tempfile.TemporaryDirectory(prefix="coverage-zip-") as folder:
            target = unzip_layer(path, Path(folder), source=source)
            if target is None:
                raise FileReadError(f"{source}: the archive holds no .shp, .gpkg or .geojson layer / "
                                    f"压缩包中没有 .shp、.gpkg 或 .geojson 图层")
            return _read_layer_file(target, source=source, layer=layer)
    return _read_layer_file(path, source=source, layer=layer)


def _read_layer_file(path: Path, *, source: str, layer: str | int | None) -> RawTable:
    import pyogrio

    encoding = _shp_encoding(path) if path.suffix.lower() == ".shp" else None
    kwargs: dict[str, Any] = {}
    if encoding:
        kwargs["encoding"] = encoding
    if layer is not None:
        kwargs["layer"] = layer
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # GDAL's "Several drivers matching" etc.
            gdf = pyogrio.read_dataframe(str(path), **kwargs)
    except Exception as exc:  # pyogrio.errors.DataSourceError, DataLayerError, ...
        raise FileReadError(f"{source}: cannot read this layer ({type(exc).__name__}: {exc}) / "
                            f"无法读取该图层文件") from exc
    geometry = gdf.geometry if isinstance(gdf, gpd.GeoDataFrame) and gdf.geometry.name in gdf else None
    attributes = pd.DataFrame(gdf.drop(columns=[gdf.geometry.name])) if geometry is not None else pd.DataFrame(gdf)
    frame = to_text_frame(attributes.reset_index(drop=True))
    rows = np.arange(1, len(frame) + 1, dtype=np.int64)
    table = RawTable(frame=frame, rows=rows, source=source, row_label="feature",
                     geometry=None if geometry is None else geometry.reset_index(drop=True),
                     crs=None if geometry is None else gdf.crs, encoding=encoding,
                     sheet=str(layer) if layer is not None else None)
    table.undecodable = replacement_cells(frame)
    return table
