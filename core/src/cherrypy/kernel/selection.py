"""Which installed plugins load, and why the others do not.

A plugin (an entry point of the ``cherrypy.plugins`` group, known by its entry-point name or
its distribution's name) is skipped when:

* ``CHERRYPY_DISABLE_PLUGIN_AUTOLOAD`` is true (no entry-point plugin loads);
* ``CHERRYPY_PLUGINS`` is set and does not name it;
* ``CHERRYPY_BLOCK_PLUGINS`` names it;
* the global config disables it (``plugins.disabled = ["name", ...]``) or lists others only
  (``plugins.enabled = [...]``), or the command line does
  (``python -m cherrypy serve --disable-plugin NAME``).

``plugins.NAME.on = False`` is different: the plugin loads, but its tools and phase hooks do
not run on the paths where that key is false (the global section sets the default).

:func:`skip_reason` answers with the sentence users see ("blocked by CHERRYPY_BLOCK_PLUGINS"),
so the plugin listing, the compatibility errors and the start-up check all say the same thing.
A disabled plugin's module is never imported.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from importlib import metadata

__all__ = [
    "ENV_BLOCK",
    "ENV_DISABLE_AUTOLOAD",
    "ENV_ONLY",
    "ENV_STRICT",
    "ENV_TRACE",
    "disable",
    "disabled_names",
    "enable",
    "enable_only",
    "env_flag",
    "normalize",
    "reset",
    "skip_reason",
]

ENV_ONLY = "CHERRYPY_PLUGINS"
ENV_BLOCK = "CHERRYPY_BLOCK_PLUGINS"
ENV_DISABLE_AUTOLOAD = "CHERRYPY_DISABLE_PLUGIN_AUTOLOAD"
ENV_TRACE = "CHERRYPY_TRACE_PLUGINS"
ENV_STRICT = "CHERRYPY_STRICT_PLUGINS"

_FALSE_WORDS = frozenset({"", "0", "false", "no", "off"})

_disabled: dict[str, str] = {}
"""Normalized plugin or distribution name -> where it was disabled (config or command line)."""

_only: set[str] | None = None
"""``plugins.enabled`` of the global config: load only these (None: no such list)."""


def normalize(name: str) -> str:
    """A plugin or distribution name as compared here (``Cherrypy_Foo`` == ``cherrypy-foo``)."""
    return re.sub(r"[-_.]+", "-", name.strip()).lower()


def env_flag(name: str) -> bool:
    """Whether the environment variable ``name`` is set to a true word."""
    return os.environ.get(name, "").strip().lower() not in _FALSE_WORDS


def _env_names(name: str) -> set[str] | None:
    value = os.environ.get(name)
    if value is None:
        return None
    return {normalize(part) for part in value.split(",") if part.strip()}


def disable(names: Iterable[str], source: str) -> None:
    """Disable the plugins ``names`` (entry-point or distribution names); ``source`` says where.

    ``source`` completes the sentence "disabled by ...": ``"config (plugins.disabled)"`` or
    ``"the command line (--disable-plugin)"``.  Takes effect for plugins not loaded yet.
    """
    for name in names:
        _disabled[normalize(name)] = source


def enable(names: Iterable[str]) -> None:
    """Undo :func:`disable` for ``names``."""
    for name in names:
        _disabled.pop(normalize(name), None)


def enable_only(names: Iterable[str] | None) -> None:
    """Load only ``names`` (``plugins.enabled`` in the global config); None lifts the limit."""
    global _only
    _only = None if names is None else {normalize(name) for name in names}


def disabled_names() -> dict[str, str]:
    """Normalized name -> the source that disabled it."""
    return dict(_disabled)


def reset() -> None:
    """Forget every plugin disabled or enabled by config or the command line (tests)."""
    global _only
    _disabled.clear()
    _only = None


def _keys(entry_point: metadata.EntryPoint) -> set[str]:
    keys = {normalize(entry_point.name)}
    if entry_point.dist is not None:
        keys.add(normalize(entry_point.dist.name))
    return keys


def skip_reason(entry_point: metadata.EntryPoint) -> str | None:
    """Why the plugin ``entry_point`` does not load, or None when it loads."""
    if env_flag(ENV_DISABLE_AUTOLOAD):
        return f"plugin loading is switched off by {ENV_DISABLE_AUTOLOAD}"
    keys = _keys(entry_point)
    only = _env_names(ENV_ONLY)
    if only is not None and not keys & only:
        return f"not listed in {ENV_ONLY}"
    if keys & (_env_names(ENV_BLOCK) or set()):
        return f"blocked by {ENV_BLOCK}"
    if _only is not None and not keys & _only:
        return "not listed in plugins.enabled (global config)"
    for key in sorted(keys):
        source = _disabled.get(key)
        if source is not None:
            return f"disabled by {source}"
    return None
