"""Reading installed distributions' entry points: the one place that reads package metadata.

Both the plugin manager (``cherrypy.plugins``) and the compat table (``cherrypy.compat``)
read their groups through :func:`iter_entry_points`, and both warn with
:class:`PluginLoadWarning` about an entry that cannot be loaded.

The distributions on ``sys.path`` are scanned once for every group, and the result is kept
until ``sys.path`` changes or one of its directories does (a distribution installed or removed
while the process runs changes its directory), or :func:`clear_cache` is called.  The scan
finds what :func:`importlib.metadata.distributions` finds, in the same order (the first copy
of a distribution on ``sys.path`` wins), but lists each directory once and reads only the
``*.dist-info`` and ``*.egg-info`` folders in it; other ``sys.path`` entries (zip files) are
left to :mod:`importlib.metadata`.  The distributions answer ``name`` and ``version`` from the
head of their metadata file, read once: the full RFC 822 parse of :mod:`importlib.metadata`,
repeated on every access, is what made start-up slow.
"""

from __future__ import annotations

import os
import pathlib
import re
import sys
import threading
from collections.abc import Iterator
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

    Either a ``*.dist-info`` or ``*.egg-info`` folder (``folder``), read with plain file
    operations, or a distribution :mod:`importlib.metadata` found (``found``), to which file
    access is delegated.  Its entry points (``dist.entry_points``) carry this object as their
    ``dist``.
    """

    def __init__(self, folder: str | None = None, found: metadata.Distribution | None = None):
        self._folder = folder
        self._found = found

    def read_text(self, filename: str) -> str | None:
        if self._found is not None:
            return self._found.read_text(filename)
        try:
            with open(os.path.join(str(self._folder), filename), encoding="utf-8") as handle:
                return handle.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError):
            return None

    def locate_file(self, path: Any) -> Any:
        if self._found is not None:
            return self._found.locate_file(path)
        return pathlib.Path(str(self._folder)).parent / path

    @cached_property
    def metadata(self) -> Any:  # type: ignore[override]
        if self._found is not None:
            return self._found.metadata
        return super().metadata

    @cached_property
    def _head(self) -> dict[str, str]:
        """The ``Name`` and ``Version`` fields from the head of the metadata file.

        A field folded over several lines, or empty, is left out: :meth:`_field` then asks
        :mod:`importlib.metadata`, which parses the whole file.
        """
        text = self.read_text("METADATA") or self.read_text("PKG-INFO") or ""
        fields: dict[str, str] = {}
        folded: set[str] = set()
        key = ""
        # The headers end at the first empty line; the long description follows.
        for line in text.partition("\n\n")[0].splitlines():
            if not line:
                break
            if line[0] in " \t":  # continues the previous field
                folded.add(key)
                continue
            key, sep, value = line.partition(":")
            if sep and key in ("Name", "Version") and key not in fields:
                fields[key] = value.strip()
        return {key: value for key, value in fields.items() if value and key not in folded}

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
_dists: list[_Distribution] = []


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
    """A distribution name as :mod:`importlib.metadata` compares them (``foo_bar``)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def _discover() -> Iterator[tuple[str | None, _Distribution]]:
    """Every distribution on ``sys.path``, in :func:`importlib.metadata.distributions`'s order,
    with its normalized name when its folder's name tells it."""
    for entry in sys.path:
        root = entry or "."
        try:
            children = os.listdir(root)
        except (OSError, TypeError, ValueError):
            children = None
        if children is None:
            if os.path.isfile(root):  # a zip file: importlib.metadata knows how to read it
                for found in metadata.distributions(path=[entry]):
                    yield None, _Distribution(found=found)
            continue
        # importlib.metadata lists the .dist-info folders of a directory before the .egg-info.
        infos = [name for name in children if name.lower().endswith(".dist-info")]
        eggs = [name for name in children if name.lower().endswith(".egg-info")]
        for name in infos + eggs:
            stem = name.rpartition(".")[0].partition("-")[0]
            yield _normalize(stem) or None, _Distribution(folder=os.path.join(root, name))


def _scan() -> tuple[dict[str, list[metadata.EntryPoint]], list[_Distribution]]:
    """Every entry point of every distribution on ``sys.path``, by group (first copy wins),
    and the distributions that have entry points."""
    groups: dict[str, list[metadata.EntryPoint]] = {}
    dists: list[_Distribution] = []
    seen: set[str] = set()
    for key, dist in _discover():
        if key is None:
            key = _normalize(dist.name or "")
        if key in seen:
            continue  # shadowed by an earlier copy on sys.path, as importlib.metadata does
        seen.add(key)
        entry_points = dist.entry_points
        if not entry_points:
            continue
        dists.append(dist)
        for entry_point in entry_points:
            groups.setdefault(entry_point.group, []).append(entry_point)
    return groups, dists


def _read() -> tuple[dict[str, list[metadata.EntryPoint]], list[_Distribution]]:
    global _state, _groups, _dists
    state = _path_state()
    with _lock:
        if state != _state:
            _groups, _dists = _scan()
            _state = state
        return _groups, _dists


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
    wanted = _normalize(name)
    for dist in _read()[1]:
        if _normalize(dist.name or "") == wanted:
            return dist.version
    return None


def clear_cache() -> None:
    """Forget the scan, so that the next call reads the installed distributions again."""
    global _state
    with _lock:
        _state = None
        _groups.clear()
        _dists.clear()
