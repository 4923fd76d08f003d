"""osmnx's OpenStreetMap way filters (walk / bike / drive), applied to ways read from files or downloads."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any

import networkx as nx

from coverage.errors import NetworkError
from coverage.network.modes import NETWORK_TYPES_ATTR, OSM_NETWORK_TYPES
from coverage.network.sources.common import _split_rings

logger = logging.getLogger(__name__)

_FILTER_CLAUSE = re.compile(r'\["([^"]+)"(?:(!=|=|!~|~)"([^"]*)"(,i)?)?\]')


@functools.lru_cache(maxsize=8)
def _osm_way_filter(network_type: str, default_access: str) -> tuple[tuple[str, str | None, Any], ...]:
    """osmnx's Overpass way filter of ``network_type`` as clauses ``(key, operator, value or regex)``.

    The filter text is osmnx's own (``osmnx._overpass._get_network_filter``, with ``ox.settings.default_access``),
    so ways are kept exactly as an osmnx download of that network type keeps them.
    """
    from osmnx import _overpass

    try:
        text = _overpass._get_network_filter(network_type)
    except ValueError as exc:
        raise ValueError(f"unknown OpenStreetMap network type {network_type!r}; use walk, bike, drive, "
                         "drive_service, all_public or all") from exc
    clauses: list[tuple[str, str | None, Any]] = []
    end = 0
    for match in _FILTER_CLAUSE.finditer(text):
        if match.start() != end:
            break
        end = match.end()
        key, op, value, ci = match.groups()
        if op in ("~", "!~"):
            clauses.append((key, op, re.compile(value, re.IGNORECASE if ci else 0)))
        else:
            clauses.append((key, op, value))
    if end != len(text) or not clauses:  # osmnx changed its filter syntax: refuse rather than guess
        raise NetworkError(f"cannot interpret osmnx's way filter for network type {network_type!r}: {text!r} "
                           f"(default_access {default_access!r})")
    return tuple(clauses)


def _failed_clause(tags: dict[str, str], clauses: Iterable[tuple[str, str | None, Any]]) -> str | None:
    """The first clause (as ``key=value``) an OSM way's tags fail, Overpass semantics; None when all pass."""
    for key, op, value in clauses:
        tag = tags.get(key)
        if op is None:
            ok = tag is not None
        elif op == "!~":
            ok = tag is None or value.search(tag) is None
        elif op == "~":
            ok = tag is not None and value.search(tag) is not None
        elif op == "=":
            ok = tag == value
        else:  # "!="
            ok = tag != value
        if not ok:
            return f"{key}={tag}" if tag is not None else f"no '{key}' tag"
    return None


def osm_way_network_types(tags: dict[str, str], network_types: Sequence[str] = OSM_NETWORK_TYPES) -> list[str]:
    """The osmnx network types whose way filter an OpenStreetMap way with these tags passes.

    Parameters
    ----------
    tags
        The way's tags, e.g. ``{"highway": "service", "access": "private"}``.
    network_types
        Which osmnx network types to check (default walk, bike, drive).

    Returns
    -------
    list of str
        E.g. ``["walk", "bike", "drive"]`` for a residential street, ``["walk"]`` for a footway, ``[]`` for a
        building outline or a private road.

    Example
    -------
    >>> osm_way_network_types({"highway": "footway"})
    ['walk']
    """
    import osmnx as ox

    access = str(ox.settings.default_access)
    return [t for t in network_types if _failed_clause(tags, _osm_way_filter(t, access)) is None]


def _with_network_types(G: nx.MultiDiGraph, what: str) -> nx.MultiDiGraph:
    """Annotate an unsimplified osmnx download with :data:`NETWORK_TYPES_ATTR` (from its way tags), drop the
    roads no network type admits, then simplify without merging ways of different types."""
    import osmnx as ox

    if G.graph.get("simplified"):  # already simplified (and annotated, if it came from this module)
        return G
    access = str(ox.settings.default_access)
    keys = sorted({key for t in OSM_NETWORK_TYPES for key, _, _ in _osm_way_filter(t, access)})
    drop = []
    for u, v, k, d in G.edges(keys=True, data=True):
        tags = {key: str(d[key]) for key in keys if d.get(key) is not None}
        types = osm_way_network_types(tags)
        if types:
            d[NETWORK_TYPES_ATTR] = ",".join(types)
        else:
            drop.append((u, v, k))
    if drop:
        logger.warning("%s: %d road segments left out, as osmnx's walk/bike/drive filters leave them out (private "
                       "access ...)", what, len(drop))
        G.remove_edges_from(drop)
        G.remove_nodes_from(list(nx.isolates(G)))
    G = ox.simplify_graph(G, edge_attrs_differ=[NETWORK_TYPES_ATTR])
    return _split_rings(G)
