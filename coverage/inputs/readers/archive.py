"""Zip archives (.zip layers, .xlsx workbooks) checked against zip bombs and unpacked within limits."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

from coverage.errors import FileReadError

__all__ = ["MAX_UNZIPPED_BYTES", "MAX_ZIP_RATIO", "ZIP_RATIO_FROM_BYTES", "check_archive", "unzip_layer"]

#: Largest total uncompressed size of a .zip or .xlsx [bytes], checked before anything is inflated.
MAX_UNZIPPED_BYTES = 512 * 1024 * 1024

#: Largest compression ratio of one member larger than :data:`ZIP_RATIO_FROM_BYTES`
#: (zip bombs reach 1000:1; sheets and .dbf files rarely pass 100:1).
MAX_ZIP_RATIO = 200.0

#: Members smaller than this [bytes] are not checked for their ratio.
ZIP_RATIO_FROM_BYTES = 16 * 1024 * 1024


def check_archive(zf: zipfile.ZipFile, *, source: str) -> None:
    """Refuse a zip (or .xlsx) that would inflate beyond the limits, before anything is inflated.

    Raises
    ------
    FileReadError
        Total uncompressed size above :data:`MAX_UNZIPPED_BYTES`, or a large
        member compressed more than :data:`MAX_ZIP_RATIO` to 1 (a zip bomb).
    """
    infos = zf.infolist()
    total = sum(i.file_size for i in infos)
    if total > MAX_UNZIPPED_BYTES:
        raise FileReadError(
            f"{source}: the archive would unpack to {total / 2**20:,.0f} MB, more than the "
            f"{MAX_UNZIPPED_BYTES / 2**20:,.0f} MB accepted; it was not unpacked. Send the files themselves, or "
            f"split the data / 压缩包解压后达 {total / 2**20:,.0f} MB，超过上限 {MAX_UNZIPPED_BYTES / 2**20:,.0f} MB，"
            f"未解压；请直接提供文件或拆分数据")
    for info in infos:
        if info.file_size > ZIP_RATIO_FROM_BYTES and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
            raise FileReadError(
                f"{source}: member '{info.filename}' is compressed {info.file_size / max(info.compress_size, 1):,.0f}"
                f" to 1 ({info.compress_size:,} bytes -> {info.file_size:,}); an ordinary file is not: refused "
                f"without unpacking (a damaged or malicious archive?) / 压缩包成员“{info.filename}”压缩比异常，"
                f"疑为损坏或恶意文件，已拒绝")


def unzip_layer(path: Path, folder: Path, *, source: str) -> Path | None:
    """Unpack a zipped layer into ``folder`` within the limits: (the .shp/.gpkg/.geojson to read, .dbf encoding)."""
    try:
        with zipfile.ZipFile(path) as zf:
            check_archive(zf, source=source)
            members = [i for i in zf.infolist() if not i.is_dir()]
            written = 0
            for info in members:
                name = Path(info.filename.replace("\\", "/"))
                if name.is_absolute() or ".." in name.parts or not name.parts:
                    raise FileReadError(f"{source}: member '{info.filename}' points outside the archive; refused / "
                                        f"压缩包成员路径非法，已拒绝")
                out = folder / name
                out.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(out, "wb") as dst:
                    while chunk := src.read(1 << 20):
                        written += len(chunk)
                        if written > MAX_UNZIPPED_BYTES:
                            raise FileReadError(f"{source}: the archive unpacks to more than "
                                                f"{MAX_UNZIPPED_BYTES / 2**20:,.0f} MB; refused / "
                                                f"压缩包解压后超过上限，已拒绝")
                        dst.write(chunk)
    except FileReadError:
        raise
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise FileReadError(f"{source}: not a readable .zip archive (damaged or truncated: {type(exc).__name__}: "
                            f"{exc}) / 压缩包已损坏或不完整，无法读取") from exc
    found = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".shp", ".gpkg", ".geojson", ".json"))
    shp = [p for p in found if p.suffix.lower() == ".shp"]
    return shp[0] if shp else (found[0] if found else None)
