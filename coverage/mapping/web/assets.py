"""Leaflet's script and stylesheet served inline, and a check that a map fetches nothing."""

from __future__ import annotations

import base64
import functools
import re
from pathlib import Path
from typing import Any

import folium

from coverage.errors import CoverageError


class OfflineAssetError(CoverageError, FileNotFoundError):
    """Leaflet's files (package ``xstatic-leaflet``) cannot be found."""



def _leaflet_dir() -> Path:
    try:
        import xstatic.pkg.leaflet as xleaflet
    except ImportError as exc:  # pragma: no cover - a dependency of the project
        raise OfflineAssetError(
            "the package xstatic-leaflet is not installed; run `python -m pip install -r requirements.txt`"
        ) from exc
    base = Path(xleaflet.BASE_DIR)
    if not (base / "leaflet.js").is_file():  # pragma: no cover
        raise OfflineAssetError(f"{base}: leaflet.js is missing; reinstall xstatic-leaflet")
    return base


def _data_uri(payload: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}"


@functools.lru_cache(maxsize=1)
def offline_assets() -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """Leaflet's script and stylesheet as self-contained ``data:`` URIs.

    Returns
    -------
    (js, css)
        ``(name, url)`` pairs in folium's ``default_js`` / ``default_css`` form;
        the stylesheet's images are inlined, so nothing is fetched from a network.

    Raises
    ------
    OfflineAssetError
        When the ``xstatic-leaflet`` package is missing.
    """
    base = _leaflet_dir()
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match[str]) -> str:
        image = base / "images" / match.group(1)
        return f"url({_data_uri(image.read_bytes(), 'image/png')})"

    css = re.sub(r"url\(images/([\w.-]+\.png)\)", inline, css)
    js = (("leaflet", _data_uri((base / "leaflet.js").read_bytes(), "text/javascript")),)
    return js, (("leaflet_css", _data_uri(css.encode("utf-8"), "text/css")),)


def remote_asset_urls(m: folium.Map) -> list[str]:
    """Every script or stylesheet of a map (and its layers) that would be fetched over a network.

    An empty list means the map renders offline.  Tile layers are not assets:
    they are optional and listed by :func:`BASEMAPS`.
    """
    urls: list[str] = []

    def walk(elem: Any) -> None:
        for _, url in [*getattr(elem, "default_js", []), *getattr(elem, "default_css", [])]:
            if not str(url).startswith("data:"):
                urls.append(str(url))
        for child in getattr(elem, "_children", {}).values():
            walk(child)

    walk(m)
    return list(dict.fromkeys(urls))
