"""Reading installed distributions' entry points: the one place that reads package metadata.

Both the plugin manager (``cherrypy.plugins``) and the compat table (``cherrypy.compat``)
read their groups through :func:`iter_entry_points`, and both warn with
:class:`PluginLoadWarning` about an entry that cannot be loaded.

The distributions on ``sys.path`` are scanned once for every group, and the result is kept
until ``sys.path`` changes or one of its directories does (a distribution installed or removed
while the process runs changes its directory), or :func:`clear_cache` is called.  The
distributions of the entry points answer ``name`` and ``version`` from the head of their
metadata file, read once: the full RFC 822 parse of :mod:`importlib.metadata`, repeated on
every access, is what made start-up slow.
"""

from __future__ import annotations

import os
import sys
import threading
from functools import cached_property
from importlib import metadata
from typing import Any

__all__ = [
    "PluginLoadWarning",
    "clear_cache",
    "distribution_version",
    "iter_entry_points",
]


class PluginLoadWarning(UserWarning):
    """Emitted when an installed plugin cannot be imported or registered."""


class _Distribution(metadata.Distribution):
    """An installed distribution whose name and version are read once.

    Delegates file access to the distribution :mod:`importlib.metadata` found; its entry
    points (``dist.entry_points``) carry this object as their ``dist``.
    """

    def __init__(self, found: metadata.Distribution) -> None:
        self._found = found

    def read_text(self, filename: str) -> str | None:
        return self._found.read_text(filename)

    def locate_file(self, path: Any) -> Any:
        return self._found.locate_file(path)

    @cached_property
    def metadata(self) -> Any:  # type: ignore[override]
        return self._found.metadata

    @cached_property
    def _head(self) -> dict[str, str]:
        """The ``Name`` and ``Version`` fields from the head of the metadata file."""
        text = self.read_text("METADATA") or self.read_text("PKG-INFO") or ""
        fields: dict[str, str] = {}
        for line in text.splitlines():
            if not line:
                break  # the end of the headers
            key, sep, value = line.partition(":")
            if sep and key in ("Name", "Version") and key not in fields:
                fields[key] = value.strip()
        return fields

    def _field(self, key: str) -> str:
        value = self._head.get(key)
        if value is None:  # unusual metadata: let importlib.metadata parse it
            value = self.metadata[key]
        return value

    @property
    def name(self) -> str:
        return self._field("Name")

    @property
    def version(self) -> str:
        return self._field("Version")


_lock = threading.Lock()
_state: tuple[tuple[str, int | None], ...] | None = None
_groups: dict[str, list[metadata.EntryPoint]] = {}
_versions: dict[str, str] = {}


def _path_state() -> tuple[tuple[str, int | None], ...]:
    """``sys.path`` with the modification time of each entry (changes on install/uninstall)."""
    state = []
    for entry in sys.path:
        try:
            mtime: int | None = os.stat(entry or ".").st_mtime_ns
        except (OSError, TypeError, ValueError):
            mtime = None
        state.append((entry, mtime))
    return tuple(state)


def _normalize(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


def _scan() -> tuple[dict[str, list[metadata.EntryPoint]], dict[str, str]]:
    """Every entry point of every distribution on ``sys.path``, by group (first copy wins)."""
    groups: dict[str, list[metadata.EntryPoint]] = {}
    versions: dict[str, str] = {}
    seen: set[str] = set()
    for found in metadata.distributions():
        dist = _Distribution(found)
        key = getattr(found, "_normalized_name", None) or _normalize(dist.name or "")
        if key in seen:
            continue  # shadowed by an earlier copy on sys.path, as importlib.metadata does
        seen.add(key)
        entry_points = dist.entry_points
        if not entry_points:
            continue
        if dist.name:
            versions.setdefault(_normalize(dist.name), dist.version)
        for entry_point in entry_points:
            groups.setdefault(entry_point.group, []).append(entry_point)
    return groups, versions


def _read() -> tuple[dict[str, list[metadata.EntryPoint]], dict[str, str]]:
    global _state, _groups, _versions
    state = _path_state()
    with _lock:
        if state != _state:
            _groups, _versions = _scan()
            _state = state
        return _groups, _versions


def iter_entry_points(group: str) -> list[metadata.EntryPoint]:
    """Return the entry points of ``group`` from the distributions on ``sys.path``.

    The single place where plugin and compat loading read package metadata: all groups are
    read in one scan, shared by every caller until ``sys.path`` or its directories change.
    """
    return list(_read()[0].get(group, ()))


def distribution_version(name: str) -> str | None:
    """The version of the installed distribution ``name`` if it declares entry points.

    Answered from the same scan as :func:`iter_entry_points` (None for a distribution that is
    not installed or has no entry points).
    """
    return _read()[1].get(_normalize(name))


def clear_cache() -> None:
    """Forget the scan, so that the next call reads the installed distributions again."""
    global _state
    with _lock:
        _state = None
        _groups.clear()
        _versions.clear()
