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

When a documented CherryPy name cannot be used, both raise :class:`MissingPluginError`, whose
one-line message names the name, the distribution and the cure:

* not installed: ``pip install DIST`` (the distribution comes from :data:`KNOWN_PROVIDERS`);
* installed but not loaded: the reason of :func:`cherrypy.kernel.selection.skip_reason`
  (``CHERRYPY_BLOCK_PLUGINS``, ``CHERRYPY_PLUGINS``, ``CHERRYPY_DISABLE_PLUGIN_AUTOLOAD``,
  config or command-line disabling) and how to undo it.  The table obeys the same switches as
  plugin loading: a name whose distribution's plugins are all skipped is refused, so a blocked
  or disabled plugin's module is never imported through it;
* installed after this process started (the table is read once; a missing name makes it look
  again, when a directory of :data:`sys.path` has changed since): restart the process.

The table maps names to modules and registers no plugin; the distribution ``cherrypy-kernel``
itself is never skipped.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import os
import sys
import threading
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from types import FrameType, ModuleType
from typing import Any

from .entrypoints import PluginLoadWarning, iter_entry_points
from .selection import ENV_BLOCK, ENV_DISABLE_AUTOLOAD, normalize, skip_reason

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

_PLUGINS_GROUP = "cherrypy.plugins"  # pluginmanager.PLUGINS_GROUP (not imported: cycle)
_KERNEL_DISTRIBUTION = "cherrypy-kernel"


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
    **_provides("cherrypy-sessions-postgres", "cherrypy.lib.sessions.PostgresqlSession"),
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
    """A documented CherryPy name that cannot be used, with the cure in its message.

    :attr:`reason` says why, in the words of the message: ``None`` when the distribution is
    simply not installed (or not known), else a clause such as ``"blocked by
    CHERRYPY_BLOCK_PLUGINS"`` or ``"installed after this process started"``.
    """

    def __init__(
        self,
        fullname: str,
        distribution: str | None,
        message: str | None = None,
        *,
        reason: str | None = None,
    ) -> None:
        if message is None:
            message = _default_message(fullname, distribution)
        super().__init__(message, name=fullname)
        self.fullname = fullname
        """The dotted CherryPy name that was asked for."""
        self.distribution = distribution
        """The distribution that provides it, when known."""
        self.reason = reason
        """Why an installed distribution does not provide it, or None."""


def _default_message(fullname: str, distribution: str | None) -> str:
    if distribution is None:
        return f"{fullname} is not provided by cherrypy-kernel or any installed plugin"
    version = _installed_version(distribution)
    if version is not None:
        return (
            f"{fullname} belongs to {distribution}, but the installed {distribution} "
            f"{version} does not provide it"
        )
    return f"{fullname} is provided by {distribution}: pip install {distribution}"


@dataclass(frozen=True)
class CompatEntry:
    """One ``cherrypy.compat`` entry point: an alias and where it really lives."""

    alias: str
    target: str
    distribution: str | None = None
    version: str | None = None
    entry_point: importlib_metadata.EntryPoint | None = field(
        default=None, compare=False, repr=False
    )
    """The entry point read (its ``dist`` tells which plugins it belongs to)."""

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
_seen_paths: tuple[tuple[str, int], ...] | None = None
""":func:`_path_state` when the entry points were last read (table or :data:`_fresh`)."""
_fresh: dict[str, CompatEntry] = {}
"""Entries read again after a change on :data:`sys.path` (names installed after the table)."""
_judged_by: dict[str, tuple[importlib_metadata.EntryPoint, ...]] = {}
"""Normalized distribution name -> the entry points its skipping is judged by (cached)."""


def compat_table() -> Mapping[str, CompatEntry]:
    """The alias table, read from the ``cherrypy.compat`` entry points on first use.

    When two distributions claim the same alias, the first one on ``sys.path`` wins and a
    :class:`~cherrypy.kernel.entrypoints.PluginLoadWarning` names both.  Entries of skipped
    plugins are in the table too; :func:`resolve` refuses them.
    """
    table = _table
    if table is not None:
        return table
    return _read_table()


def _read_entries(*, warn: bool) -> dict[str, CompatEntry]:
    table: dict[str, CompatEntry] = {}
    for entry_point in iter_entry_points(COMPAT_GROUP):
        dist = entry_point.dist
        entry = CompatEntry(
            alias=entry_point.name,
            target=entry_point.value,
            distribution=dist.name if dist is not None else None,
            version=dist.version if dist is not None else None,
            entry_point=entry_point,
        )
        known = table.setdefault(entry.alias, entry)
        if warn and known is not entry and known.target != entry.target:
            warnings.warn(
                f"{entry.alias} is claimed by {known.distribution} ({known.target}) and by "
                f"{entry.distribution} ({entry.target}); using {known.distribution}",
                PluginLoadWarning,
                stacklevel=3,
            )
    return table


def _read_table() -> dict[str, CompatEntry]:
    global _table, _seen_paths, _fresh
    with _table_lock:
        if _table is not None:
            return _table
        seen = _path_state()
        table = _read_entries(warn=True)
        _table, _seen_paths, _fresh = table, seen, {}
        _judged_by.clear()
        return table


def reset_table() -> None:
    """Forget the table so that the next lookup reads the entry points again."""
    global _table, _seen_paths, _fresh
    with _table_lock:
        _table, _seen_paths, _fresh = None, None, {}
        _judged_by.clear()


def _path_state() -> tuple[tuple[str, int], ...]:
    """Each :data:`sys.path` directory with its modification time: installing a distribution
    into one (a new ``*.dist-info``) changes it."""
    state = []
    for entry in sys.path:
        try:
            state.append((entry, os.stat(entry or ".").st_mtime_ns))
        except (OSError, TypeError, ValueError):
            continue
    return tuple(state)


def _installed_later(fullname: str) -> CompatEntry | None:
    """The entry for ``fullname`` of a distribution installed after the table was read.

    Reads the entry points again, once per change of a :data:`sys.path` directory (a stat
    per directory when nothing changed), and never changes the table itself.
    """
    global _seen_paths, _fresh
    compat_table()
    state = _path_state()
    with _table_lock:
        if state != _seen_paths:
            _fresh = _read_entries(warn=False)
            _seen_paths = state
        entry = _fresh.get(fullname)
    if entry is None or (_table is not None and fullname in _table):
        return None
    return entry


def _distribution(name: str) -> importlib_metadata.Distribution | None:
    try:
        return importlib_metadata.distribution(name)
    except importlib_metadata.PackageNotFoundError:
        return None


def _skip(
    dist: importlib_metadata.Distribution | None, name: str | None = None
) -> tuple[str, importlib_metadata.EntryPoint] | None:
    """Why the plugins of ``dist`` (named ``name``) do not load, with the skipped entry point;
    None if they do.

    A distribution is skipped when every one of its ``cherrypy.plugins`` entry points is
    (:func:`~cherrypy.kernel.selection.skip_reason`); one that declares compat names only is
    judged as a plugin named after its distribution.  The kernel's own distribution is never
    skipped.  Evaluated at each call, so config or command-line disabling applies at once.
    """
    if dist is None:
        return None
    key = normalize(name or dist.name or "")
    if key == _KERNEL_DISTRIBUTION:
        return None
    judged_by = _judged_by.get(key)
    if judged_by is None:
        entry_points = tuple(dist.entry_points)
        plugins = tuple(ep for ep in entry_points if ep.group == _PLUGINS_GROUP)
        judged_by = plugins or tuple(ep for ep in entry_points if ep.group == COMPAT_GROUP)[:1]
        _judged_by[key] = judged_by
    first: tuple[str, importlib_metadata.EntryPoint] | None = None
    for entry_point in judged_by:
        reason = skip_reason(entry_point)
        if reason is None:
            return None
        first = first or (reason, entry_point)
    return first


def _cure(reason: str, entry_point: importlib_metadata.EntryPoint) -> str:
    """How to undo the skip ``reason`` (a :func:`~cherrypy.kernel.selection.skip_reason`)."""
    dist_name = entry_point.dist.name if entry_point.dist is not None else None
    plugin = entry_point.name if entry_point.group == _PLUGINS_GROUP else dist_name
    if ENV_DISABLE_AUTOLOAD in reason:
        return f"unset {ENV_DISABLE_AUTOLOAD}"
    if reason.startswith("not listed in "):
        return f"add {plugin} to {reason.removeprefix('not listed in ')}"
    if reason.startswith(("blocked by ", "disabled by ")):
        where = reason.partition(" by ")[2]
        named = plugin
        if ENV_BLOCK in reason:  # name the entry as the user spelled it
            keys = {normalize(name) for name in (plugin, dist_name) if name}
            listed = [part.strip() for part in os.environ.get(ENV_BLOCK, "").split(",")]
            named = next((part for part in listed if normalize(part) in keys), plugin)
        return f"remove {named} from {where}"
    return f"enable the plugin {plugin}"


def _entry_skip(entry: CompatEntry) -> tuple[str, importlib_metadata.EntryPoint] | None:
    if entry.entry_point is None:
        return None
    return _skip(entry.entry_point.dist, entry.distribution)


def provider_of(fullname: str) -> str | None:
    """The distribution that provides ``fullname`` (installed or not), if known."""
    entry = compat_table().get(fullname) or _installed_later(fullname)
    if entry is not None and entry.distribution is not None:
        return entry.distribution
    return _known_provider(fullname)


def _known_provider(fullname: str) -> str | None:
    name = fullname
    while name:
        distribution = KNOWN_PROVIDERS.get(name)
        if distribution is not None:
            return distribution
        name = name.rpartition(".")[0]
    return None


def missing_name_error(fullname: str) -> MissingPluginError:
    """The error to raise for a CherryPy name that cannot be used, naming the cure.

    In order: a name nobody is known to provide; a distribution to ``pip install``; an installed
    one whose plugins are skipped (the reason, and the setting to change); one installed after
    this process started (restart it); one whose plugin did not register a name the table
    lists; one that does not provide the name at all.
    """
    entry = compat_table().get(fullname)
    later = None if entry is not None else _installed_later(fullname)
    found = entry or later
    distribution = found.distribution if found is not None else None
    distribution = distribution or _known_provider(fullname)
    if distribution is None:
        return MissingPluginError(fullname, None)
    version = _installed_version(distribution)
    if version is None:
        return MissingPluginError(
            fullname,
            distribution,
            f"{fullname} is provided by {distribution}: pip install {distribution}",
        )
    if found is not None and found.entry_point is not None:
        dist = found.entry_point.dist
    else:
        dist = _distribution(distribution)
    skipped = _skip(dist, distribution)
    if skipped is not None:
        reason, entry_point = skipped
        return MissingPluginError(
            fullname,
            distribution,
            f"{fullname} is provided by {distribution}, which is installed but {reason}: "
            f"{_cure(reason, entry_point)}",
            reason=reason,
        )
    if later is not None:
        reason = "installed after this process started"
        return MissingPluginError(
            fullname,
            distribution,
            f"{fullname} is provided by {distribution} {version}, {reason}: restart it",
            reason=reason,
        )
    if entry is not None:
        reason = "did not register it"
        return MissingPluginError(
            fullname,
            distribution,
            f"{fullname} is provided by {distribution} {version}, which is installed but "
            f"{reason}: python -m cherrypy plugins says why",
            reason=reason,
        )
    return MissingPluginError(
        fullname,
        distribution,
        f"{fullname} belongs to {distribution}, but the installed {distribution} "
        f"{version} does not provide it",
        reason="does not provide it",
    )


def _usable(fullname: str) -> CompatEntry | None:
    """The table's entry for ``fullname`` if its plugin is not skipped; None if absent.

    Raises :class:`MissingPluginError` for the entry of a skipped plugin.
    """
    entry = compat_table().get(fullname)
    if entry is not None and _entry_skip(entry) is not None:
        raise missing_name_error(fullname)
    return entry


def resolve(fullname: str) -> Any:
    """Return what the alias ``fullname`` stands for, or raise :class:`MissingPluginError`."""
    entry = _usable(fullname)
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
    module.  For a documented CherryPy name that cannot be used, raises
    :class:`MissingPluginAttributeError` (an :class:`AttributeError`, so ``hasattr()`` is
    False) or, when the caller is a ``from module import name`` statement,
    :class:`MissingPluginError` (an :class:`ImportError`: Python would replace an
    AttributeError by "cannot import name", losing the cure); for any other name,
    :class:`AttributeError`.
    """
    if attr.startswith("__") and attr.endswith("__"):
        raise AttributeError(f"module {module_name!r} has no attribute {attr!r}")
    fullname = f"{module_name}.{attr}"
    if fullname in compat_table():
        try:
            value = resolve(fullname)
        except MissingPluginError as exc:
            if _serving_from_import(sys._getframe(1)):
                raise
            raise MissingPluginAttributeError(str(exc), name=attr) from None
        module = sys.modules.get(module_name)
        if module is not None:
            setattr(module, attr, value)
        return value
    if provider_of(fullname) is not None:
        error = missing_name_error(fullname)
        if _serving_from_import(sys._getframe(1)):
            raise error
        raise MissingPluginAttributeError(str(error), name=attr)
    raise AttributeError(f"module {module_name!r} has no attribute {attr!r}")


_IMPORT_FROM: int | None = None


def _serving_from_import(frame: FrameType | None) -> bool:
    """Whether ``frame`` (module_getattr's caller) is a module ``__getattr__`` called by a
    ``from module import name`` statement, directly or through ``cherrypy.plugin.missing_name``.

    Python turns an AttributeError raised there into "cannot import name" and for packages
    first asks ``hasattr`` from ``importlib._bootstrap._handle_fromlist``; an ImportError goes
    through both unchanged.
    """
    global _IMPORT_FROM
    if (
        frame is not None
        and frame.f_code.co_name == "missing_name"
        and frame.f_globals.get("__name__") == "cherrypy.plugin"
    ):
        frame = frame.f_back
    if frame is None or frame.f_code.co_name != "__getattr__":
        return False
    caller = frame.f_back
    if caller is None:
        return False
    if caller.f_code.co_name == "_handle_fromlist":
        return caller.f_globals.get("__name__") in ("importlib._bootstrap", "_frozen_importlib")
    if _IMPORT_FROM is None:
        import opcode

        _IMPORT_FROM = opcode.opmap.get("IMPORT_FROM", -1)
    code = caller.f_code.co_code
    offset = caller.f_lasti
    return 0 <= offset < len(code) and code[offset] == _IMPORT_FROM


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
    :class:`MissingPluginError` for documented CherryPy modules whose distribution is missing,
    skipped (blocked, disabled) or installed after the process started.
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
        entry = _usable(fullname)
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
