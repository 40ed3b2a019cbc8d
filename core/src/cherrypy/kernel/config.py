"""The kernel's config layer: global config, app config merging, ``@cherrypy.config``.

This is the counterpart of CherryPy's ``cherrypy._cpconfig``. Config comes at three scopes:

* **global**: the process-wide :class:`Config` instance exposed as ``cherrypy.config``;
* **app**: ``Application.config``, a ``{path: {key: value}}`` dict filled with :func:`merge`;
* **request**: the flat dict a request builds from global, app path sections and
  ``_cp_config`` attributes (set with the :meth:`Config.__call__` decorator).

Keys are grouped in namespaces by the text before their first dot. :data:`known_namespaces`
records which namespaces each scope understands, for the config checker; handlers of the
global namespaces (engine, log, server, tree, checker) are added to :attr:`Config.namespaces`
by the modules that own those objects.

Every change made through this module bumps a generation counter (:func:`generation`), which
the request pipeline cache compares to know when its compiled pipelines are stale.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from cherrypy.kernel import reprconf

__all__ = [
    "Config",
    "all_known_namespaces",
    "bump_generation",
    "environments",
    "generation",
    "global_config_contained_paths",
    "known_namespaces",
    "merge",
    "register_namespace",
    "watched_files",
]

_T = TypeVar("_T")

#: Config files given to ``cherrypy.config.update`` or :func:`merge`, for the autoreloader.
watched_files: set[str] = set()

#: Set to True when a global update held sections besides ``[global]``; those sections are
#: ignored there and belong in ``tree.mount(..., config=...)``. Read by the config checker.
global_config_contained_paths: bool = False

#: Namespaces understood at each config scope, for the config checker and plugins.
known_namespaces: dict[str, set[str]] = {
    "global": {"checker", "engine", "log", "server", "tree"},
    "app": {"log", "wsgi"},
    "request": {"error_page", "hooks", "request", "response", "tools"},
}

# ---------------------------------------------------------------- generation counter
_generation = 0
_generation_lock = threading.Lock()


def generation() -> int:
    """Return the current config generation; it grows whenever config changes."""
    return _generation


def bump_generation() -> int:
    """Mark config as changed, so cached per-path pipelines are rebuilt; return the new value."""
    global _generation
    with _generation_lock:
        _generation += 1
        return _generation


class LiveConfigDict(dict):  # type: ignore[type-arg]
    """A ``_cp_config`` dict made by the decorators: changing it later (a handler may set
    ``self._cp_config[key]`` while serving, as CherryPy allows) bumps the generation, so
    cached pipelines see the change.  Reading it costs what reading a plain dict costs."""

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        bump_generation()

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(key)
        bump_generation()

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Merge entries, as :meth:`dict.update` does."""
        super().update(*args, **kwargs)
        bump_generation()

    def pop(self, *args: Any) -> Any:
        """Remove a key and return its value, as :meth:`dict.pop` does."""
        bump_generation()
        return super().pop(*args)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        """As :meth:`dict.setdefault`."""
        bump_generation()
        return super().setdefault(key, default)

    def clear(self) -> None:
        """Remove every entry."""
        super().clear()
        bump_generation()


# ---------------------------------------------------------------- namespace registry
def register_namespace(name: str, scope: str) -> None:
    """Declare that config namespace ``name`` is understood at ``scope``.

    ``scope`` is ``'global'``, ``'app'`` or ``'request'``. This only informs the checker;
    the handler itself is added to the matching :class:`~cherrypy.kernel.reprconf.NamespaceSet`.
    """
    if scope not in known_namespaces:
        scopes = ", ".join(repr(s) for s in known_namespaces)
        raise ValueError(f"unknown config scope {scope!r}; expected one of {scopes}")
    if not name or "." in name:
        raise ValueError(f"a config namespace name must be non-empty and dot-free: {name!r}")
    known_namespaces[scope].add(name)


def all_known_namespaces() -> set[str]:
    """Return every namespace known at any scope (app sections may use all of them)."""
    return set().union(*known_namespaces.values())


# ---------------------------------------------------------------- environments
environments: dict[str, dict[str, Any]] = {
    "staging": {
        "engine.autoreload.on": False,
        "checker.on": False,
        "tools.log_headers.on": False,
        "request.show_tracebacks": False,
        "request.show_mismatched_params": False,
    },
    "production": {
        "engine.autoreload.on": False,
        "checker.on": False,
        "tools.log_headers.on": False,
        "request.show_tracebacks": False,
        "request.show_mismatched_params": False,
        "log.screen": False,
    },
    "embedded": {
        # CherryPy run inside another deployment stack, which owns the signals.
        "engine.autoreload.on": False,
        "checker.on": False,
        "tools.log_headers.on": False,
        "request.show_tracebacks": False,
        "request.show_mismatched_params": False,
        "log.screen": False,
        "engine.SIGHUP": None,
        "engine.SIGTERM": None,
    },
    "test_suite": {
        "engine.autoreload.on": False,
        "checker.on": False,
        "tools.log_headers.on": False,
        "request.show_tracebacks": True,
        "request.show_mismatched_params": True,
        "log.screen": False,
    },
}


def _watch_if_filename(source: Any) -> None:
    if isinstance(source, (str, bytes, os.PathLike)):
        watched_files.add(os.fsdecode(source))


# ---------------------------------------------------------------- app config
def merge(base: dict[str, Any], other: Any) -> None:
    """Merge app config ``other`` (dict, filename or open file) into ``base``, per section.

    Each section of ``other`` updates the same section of ``base``. A filename is added to
    :data:`watched_files`. Raises ValueError, leaving ``base`` untouched, if ``other`` is a
    flat dict rather than ``{section: {key: value}}``.
    """
    _watch_if_filename(other)
    loaded = reprconf.Parser.load(other)
    for value_map in loaded.values():
        if not isinstance(value_map, dict):
            raise ValueError(
                "Application config must include section headers, but the config you tried "
                "to merge doesn't have any sections. Wrap your config in another dict with "
                "paths as section headers, for example: {'/': config}."
            )
    try:
        for section, value_map in loaded.items():
            base.setdefault(section, {}).update(value_map)
    finally:
        bump_generation()


# ---------------------------------------------------------------- global config
class Config(reprconf.Config):
    """The process-wide config, ``cherrypy.config``; also the ``@cherrypy.config`` decorator.

    ``update`` accepts a flat dict, or a dict/file with a ``[global]`` section (other sections
    are then ignored and flagged in :data:`global_config_contained_paths`). Every change bumps
    the config :func:`generation`.
    """

    environments = environments
    namespaces = reprconf.NamespaceSet()

    def reset(self) -> None:
        """Drop every entry and restore :attr:`defaults`."""
        try:
            super().reset()
        finally:
            bump_generation()

    def update(self, config: Any) -> None:  # type: ignore[override]
        """Merge entries from a dict, a filename (then watched for reloads) or an open file."""
        _watch_if_filename(config)
        try:
            super().update(config)
        finally:
            bump_generation()

    def _apply(self, config: dict[str, Any]) -> None:
        """Merge a flat dict, or the ``global`` section of a sectioned one."""
        global global_config_contained_paths
        if isinstance(config.get("global"), dict):
            if len(config) > 1:
                global_config_contained_paths = True
            config = dict(config["global"])
        if "tools.staticdir.dir" in config:
            config["tools.staticdir.section"] = "global"
        super()._apply(config)

    def __setitem__(self, key: str, value: Any) -> None:
        try:
            super().__setitem__(key, value)
        finally:
            bump_generation()

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        bump_generation()

    def clear(self) -> None:
        """Remove every entry."""
        super().clear()
        bump_generation()

    def pop(self, key: str, *default: Any) -> Any:
        """Remove ``key`` and return its value (or ``default``)."""
        try:
            return super().pop(key, *default)
        finally:
            bump_generation()

    def setdefault(self, key: str, default: Any = None) -> Any:
        """Return ``self[key]``, first setting it to ``default`` if missing (no namespaces run)."""
        if key not in self:
            bump_generation()
        return super().setdefault(key, default)

    @staticmethod
    def __call__(**kwargs: Any) -> Callable[[_T], _T]:
        """Return a decorator merging ``kwargs`` into the ``_cp_config`` of a handler or class.

        Use as ``@cherrypy.config(**{'tools.gzip.on': True})``. An inherited ``_cp_config``
        is copied, not modified, so decorating a subclass leaves its base class alone.
        """

        def decorate(target: _T) -> _T:
            own = getattr(target, "__dict__", {}).get("_cp_config")
            if isinstance(own, dict):
                own.update(kwargs)
            else:
                merged = LiveConfigDict(getattr(target, "_cp_config", None) or {})
                merged.update(kwargs)
                setattr(target, "_cp_config", merged)  # noqa: B010
            bump_generation()
            return target

        return decorate
