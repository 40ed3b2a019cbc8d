"""CherryPy's documented names, resolved to the plugins that provide them.

Distributions declare, in the ``cherrypy.compat`` entry-point group, where the CherryPy names
they take over really live::

    [project.entry-points."cherrypy.compat"]
    "cherrypy.lib.static" = "cherrypy_static.serving"                 # a module
    "cherrypy.dispatch.MethodDispatcher" = "cherrypy_dispatchers.method:MethodDispatcher"

This module reads that group once, lazily, into a table, and resolves names through it in two
ways:

* :class:`CompatFinder`, appended to :data:`sys.meta_path` by :func:`install_finder`, so that
  ``import cherrypy.lib.static`` imports ``cherrypy_static.serving`` and registers it under the
  alias too.  It sits after the normal finders: real modules of the kernel always win, and only
  names that would otherwise fail to import are looked up.
* :func:`module_getattr`, for the ``__getattr__`` of compatibility packages, so that
  ``cherrypy.lib.static`` and ``from cherrypy.dispatch import MethodDispatcher`` work as
  attributes.

When a documented CherryPy name is not installed, both raise :class:`MissingPluginError`, whose
message names the distribution to install (from :data:`KNOWN_PROVIDERS`).  The compat table
does not depend on the plugin loading switches of :mod:`cherrypy.kernel.pluginmanager`: it only maps
names to modules and registers no plugin.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import threading
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata as importlib_metadata
from types import ModuleType
from typing import Any

from .entrypoints import PluginLoadWarning, iter_entry_points

__all__ = [
    "COMPAT_GROUP",
    "KNOWN_PROVIDERS",
    "CompatEntry",
    "CompatFinder",
    "MissingPluginAttributeError",
    "MissingPluginError",
    "compat_table",
    "install_finder",
    "missing_name_error",
    "module_getattr",
    "provider_of",
    "publish",
    "published",
    "reset_table",
    "resolve",
]

COMPAT_GROUP = "cherrypy.compat"
"""Entry-point group mapping documented CherryPy names to their real location."""


def _provides(distribution: str, *names: str) -> dict[str, str]:
    return dict.fromkeys(names, distribution)


def _tools(*names: str) -> list[str]:
    return [f"cherrypy.tools.{name}" for name in names]


KNOWN_PROVIDERS: dict[str, str] = {
    **_provides(
        "cherrypy-server",
        "cherrypy.server",
        "cherrypy._cpserver",
        "cherrypy._cpwsgi_server",
        "cherrypy._cpnative_server",
        "cherrypy.process.servers",
    ),
    **_provides(
        "cherrypy-dispatchers",
        "cherrypy.dispatch.MethodDispatcher",
        "cherrypy.dispatch.VirtualHost",
        "cherrypy._cpdispatch.MethodDispatcher",
        "cherrypy._cpdispatch.VirtualHost",
        "cherrypy._cpwsgi.VirtualHost",
    ),
    **_provides(
        "cherrypy-sessions",
        "cherrypy.session",
        "cherrypy.lib.sessions",
        *_tools("sessions", "session_auth"),
    ),
    **_provides("cherrypy-static", "cherrypy.lib.static", *_tools("staticdir", "staticfile")),
    **_provides("cherrypy-encoding", "cherrypy.lib.encoding", *_tools("gzip", "decode")),
    **_provides(
        "cherrypy-json", "cherrypy.lib.jsontools", "cherrypy._json", *_tools("json_in", "json_out")
    ),
    **_provides(
        "cherrypy-auth",
        "cherrypy.lib.auth_basic",
        "cherrypy.lib.auth_digest",
        *_tools("auth_basic", "auth_digest"),
    ),
    **_provides(
        "cherrypy-caching",
        "cherrypy.lib.caching",
        "cherrypy.lib.locking",
        *_tools("caching", "expires", "etags"),
    ),
    **_provides(
        "cherrypy-cptools",
        "cherrypy.lib.cptools",
        *_tools(
            "allow",
            "accept",
            "proxy",
            "response_headers",
            "referer",
            "redirect",
            "err_redirect",
            "flatten",
            "ignore_headers",
            "autovary",
            "params",
            "log_hooks",
        ),
    ),
    **_provides(
        "cherrypy-xmlrpc",
        "cherrypy.lib.xmlrpcutil",
        "cherrypy.tools.xmlrpc",
        "cherrypy.dispatch.XMLRPCDispatcher",
        "cherrypy._cpdispatch.XMLRPCDispatcher",
        "cherrypy._cptools.XMLRPCController",
    ),
    **_provides(
        "cherrypy-process",
        "cherrypy.daemon",
        "cherrypy.process.win32",
        "cherrypy.process.plugins.Autoreloader",
        "cherrypy.process.plugins.SignalHandler",
        "cherrypy.process.plugins.Daemonizer",
        "cherrypy.process.plugins.PIDFile",
        "cherrypy.process.plugins.DropPrivileges",
        "cherrypy.engine.autoreload",
        "cherrypy.engine.signal_handler",
        "cherrypy.engine.console_control_handler",
    ),
    **_provides(
        "cherrypy-devtools",
        "cherrypy.lib.cpstats",
        "cherrypy.lib.profiler",
        "cherrypy.lib.gctools",
        "cherrypy.lib.covercp",
    ),
    **_provides(
        "cherrypy-routes",
        "cherrypy.dispatch.RoutesDispatcher",
        "cherrypy._cpdispatch.RoutesDispatcher",
    ),
    **_provides("cherrypy-sessions-memcached", "cherrypy.lib.sessions.MemcachedSession"),
}
"""Documented CherryPy name -> the distribution of ours that provides it.

Consulted only when a name is missing, to say what to install.  A name also covers what lies
below it (``cherrypy.lib.sessions.RamSession`` -> cherrypy-sessions); the longest match wins.
"""


def _installed_version(distribution: str) -> str | None:
    """The installed version of ``distribution``, or None when it is not installed."""
    try:
        return importlib_metadata.version(distribution)
    except importlib_metadata.PackageNotFoundError:
        return None


class MissingPluginError(ImportError):
    """A documented CherryPy name whose providing distribution is not installed."""

    def __init__(self, fullname: str, distribution: str | None) -> None:
        if distribution is None:
            message = f"{fullname} is not provided by cherrypy-kernel or any installed plugin"
        elif (version := _installed_version(distribution)) is not None:
            message = (
                f"{fullname} belongs to {distribution}, but the installed {distribution} "
                f"{version} does not provide it"
            )
        else:
            message = f"{fullname} is provided by {distribution}: pip install {distribution}"
        super().__init__(message, name=fullname)
        self.fullname = fullname
        """The dotted CherryPy name that was asked for."""
        self.distribution = distribution
        """The distribution to install, when known."""


@dataclass(frozen=True)
class CompatEntry:
    """One ``cherrypy.compat`` entry point: an alias and where it really lives."""

    alias: str
    target: str
    distribution: str | None = None
    version: str | None = None

    @property
    def module(self) -> str:
        """The module to import."""
        return self.target.partition(":")[0].strip()

    @property
    def attr(self) -> str | None:
        """The (possibly dotted) attribute of :attr:`module`, or ``None`` for a module alias."""
        attr = self.target.partition(":")[2].strip()
        return attr or None

    def load(self) -> Any:
        """Import the target module and return it, or its attribute."""
        value: Any = importlib.import_module(self.module)
        if self.attr is not None:
            for part in self.attr.split("."):
                value = getattr(value, part)
        return value


_table: dict[str, CompatEntry] | None = None
_table_lock = threading.Lock()


def compat_table() -> Mapping[str, CompatEntry]:
    """The alias table, read from the ``cherrypy.compat`` entry points on first use.

    When two distributions claim the same alias, the first one on ``sys.path`` wins and a
    :class:`~cherrypy.kernel.entrypoints.PluginLoadWarning` names both.
    """
    table = _table
    if table is not None:
        return table
    return _read_table()


def _read_table() -> dict[str, CompatEntry]:
    global _table
    with _table_lock:
        if _table is not None:
            return _table
        table: dict[str, CompatEntry] = {}
        for entry_point in iter_entry_points(COMPAT_GROUP):
            dist = entry_point.dist
            entry = CompatEntry(
                alias=entry_point.name,
                target=entry_point.value,
                distribution=dist.name if dist is not None else None,
                version=dist.version if dist is not None else None,
            )
            known = table.setdefault(entry.alias, entry)
            if known is not entry and known.target != entry.target:
                warnings.warn(
                    f"{entry.alias} is claimed by {known.distribution} ({known.target}) and by "
                    f"{entry.distribution} ({entry.target}); using {known.distribution}",
                    PluginLoadWarning,
                    stacklevel=2,
                )
        _table = table
        return table


def reset_table() -> None:
    """Forget the table so that the next lookup reads the entry points again."""
    global _table
    with _table_lock:
        _table = None


def provider_of(fullname: str) -> str | None:
    """The distribution that provides ``fullname`` (installed or not), if known."""
    entry = compat_table().get(fullname)
    if entry is not None and entry.distribution is not None:
        return entry.distribution
    name = fullname
    while name:
        distribution = KNOWN_PROVIDERS.get(name)
        if distribution is not None:
            return distribution
        name = name.rpartition(".")[0]
    return None


def missing_name_error(fullname: str) -> MissingPluginError:
    """The error to raise for a CherryPy name that nothing installed provides."""
    return MissingPluginError(fullname, provider_of(fullname))


def resolve(fullname: str) -> Any:
    """Return what the alias ``fullname`` stands for, or raise :class:`MissingPluginError`."""
    entry = compat_table().get(fullname)
    if entry is None:
        raise missing_name_error(fullname)
    value = entry.load()
    if isinstance(value, ModuleType):
        sys.modules.setdefault(fullname, value)
    return value


def module_getattr(module_name: str, attr: str) -> Any:
    """Implementation of a compatibility module's ``__getattr__``.

    Usage, in such a module: ``def __getattr__(name): return module_getattr(__name__, name)``.
    Resolves ``f"{module_name}.{attr}"`` through the compat table and caches the value on the
    module.  For a documented CherryPy name that is not installed, raises
    :class:`MissingPluginError` (an :class:`ImportError`, so that ``from ... import`` shows its
    message); for any other name, :class:`AttributeError`.
    """
    if attr.startswith("__") and attr.endswith("__"):
        raise AttributeError(f"module {module_name!r} has no attribute {attr!r}")
    fullname = f"{module_name}.{attr}"
    if fullname in compat_table():
        value = resolve(fullname)
        module = sys.modules.get(module_name)
        if module is not None:
            setattr(module, attr, value)
        return value
    if provider_of(fullname) is not None:
        raise MissingPluginAttributeError(str(missing_name_error(fullname)), name=attr)
    raise AttributeError(f"module {module_name!r} has no attribute {attr!r}")


def publish(fullname: str, value: Any) -> None:
    """Make ``value`` reachable under the CherryPy name ``fullname`` (``"cherrypy._cache"``).

    For process-wide objects a plugin makes at run time where CherryPy applications look for
    them.  ``value`` None removes the name again.  The module part must be imported already.
    """
    module_name, _, attr = fullname.rpartition(".")
    module = sys.modules[module_name]
    if value is None:
        module.__dict__.pop(attr, None)
    else:
        module.__dict__[attr] = value


def published(fullname: str) -> Any:
    """The value :func:`publish` put under ``fullname``, or None."""
    module_name, _, attr = fullname.rpartition(".")
    module = sys.modules.get(module_name)
    return None if module is None else module.__dict__.get(attr)


class MissingPluginAttributeError(AttributeError):
    """Attribute access to a documented name whose distribution is not installed.

    An AttributeError, so ``hasattr()`` and ``getattr(obj, name, default)`` behave; ``from ...
    import`` of the same name still reports the distribution through the import finder.
    """


class _AliasLoader(importlib.abc.Loader):
    """Loads an alias by handing out the already imported target module."""

    def __init__(self, target: ModuleType) -> None:
        self._target = target
        self._own_spec = getattr(target, "__spec__", None)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return self._target

    def exec_module(self, module: ModuleType) -> None:
        # The import system has just set __spec__ to the alias spec: give the module its own.
        if self._own_spec is not None:
            module.__spec__ = self._own_spec


class CompatFinder(importlib.abc.MetaPathFinder):
    """Meta-path finder for the module aliases of the compat table.

    Returns ``None`` for every name it does not know, so the import system carries on; raises
    :class:`MissingPluginError` for documented CherryPy modules whose distribution is missing.
    """

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        """Find the spec of an aliased module (see :class:`importlib.abc.MetaPathFinder`)."""
        if not fullname.startswith("cherrypy."):
            return None
        entry = compat_table().get(fullname)
        if entry is None:
            if provider_of(fullname) is not None:
                raise missing_name_error(fullname)
            return None
        value = entry.load()
        if not isinstance(value, ModuleType):
            return None
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(value))


_finder = CompatFinder()


def install_finder() -> CompatFinder:
    """Append the compat finder to :data:`sys.meta_path` unless it is already there.

    Reads nothing and loads nothing: the table is read on the first failed ``cherrypy.*`` import.
    """
    for finder in sys.meta_path:
        if isinstance(finder, CompatFinder):
            return finder
    sys.meta_path.append(_finder)
    return _finder
