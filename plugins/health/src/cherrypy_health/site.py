"""Switching the probes on and off for the site: the ``health.*`` global config keys.

:data:`health` (a :class:`HealthSite`) holds the settings, the resolved operator checks and,
while switched on, the two probe applications grafted on ``cherrypy.tree``.  The plugin's
global ``health`` namespace handler feeds it each config update's ``health.*`` entries, which
are checked together before anything changes: a bad value raises :class:`HealthConfigError`
naming the key, and leaves the site as it was.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Mapping
from typing import Any

import cherrypy
from cherrypy import plugin as api

from .probes import Check, ProbeApp, Verdict, liveness, readiness

__all__ = [
    "DEFAULTS",
    "HealthConfigError",
    "HealthNamespace",
    "HealthSite",
    "health",
    "resolve_checks",
]

DEFAULTS: dict[str, Any] = {
    "on": False,
    "live_path": "/healthz",
    "ready_path": "/readyz",
    "checks": (),
}
"""The ``health.*`` keys and their defaults."""


class HealthConfigError(ValueError):
    """A ``health.*`` config value that cannot be used; the message names the key."""


def _check_path(key: str, value: Any) -> str:
    """``value`` as a script name (``"/healthz/"`` -> ``"/healthz"``), or raise."""
    if not isinstance(value, str):
        raise HealthConfigError(f"health.{key} must be a string, not {value!r}")
    if not value.startswith("/"):
        raise HealthConfigError(f"health.{key} must start with '/', not {value!r}")
    if any(c in value for c in "?# \t\r\n"):
        raise HealthConfigError(
            f"health.{key} must be a plain path (no query, fragment or space), not {value!r}"
        )
    path = "/" + value.strip("/")
    if path == "/":
        raise HealthConfigError(
            f"health.{key} must name a path below '/' (the probe would hide the whole site)"
        )
    return path


def _import_check(name: str) -> Callable[[], Any]:
    """The object named ``"package.module:function"`` (the function may be dotted)."""
    module_name, colon, attribute = name.partition(":")
    if not colon or not module_name or not attribute:
        raise HealthConfigError(f"health.checks: {name!r} is not a 'package.module:function' name")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise HealthConfigError(f"health.checks: cannot import {name!r} ({exc})") from exc
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise HealthConfigError(
                f"health.checks: cannot import {name!r} (no attribute {part!r})"
            ) from None
    if not callable(target):
        raise HealthConfigError(f"health.checks: {name!r} names {target!r}, not a callable")
    return target  # type: ignore[no-any-return]


def resolve_checks(value: Any) -> tuple[Check, ...]:
    """``health.checks`` (a list of callables and ``"module:function"`` names) as checks."""
    if isinstance(value, (str, bytes)) or callable(value) or not isinstance(value, (list, tuple)):
        raise HealthConfigError(
            f"health.checks must be a list of callables or 'module:function' names, not {value!r}"
        )
    checks = []
    for item in value:
        if isinstance(item, str):
            checks.append(Check(item, _import_check(item)))
        elif callable(item):
            name = getattr(item, "__name__", None)
            checks.append(Check(str(name or type(item).__name__), item))
        else:
            raise HealthConfigError(
                f"health.checks: {item!r} is neither a callable nor a 'module:function' name"
            )
    return tuple(checks)


def validate(settings: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[Check, ...]]:
    """Check a complete set of ``health.*`` settings; return them normalised, and the checks."""
    on = settings["on"]
    if not isinstance(on, (bool, int)):
        raise HealthConfigError(f"health.on must be True or False, not {on!r}")
    live = _check_path("live_path", settings["live_path"])
    ready = _check_path("ready_path", settings["ready_path"])
    if live == ready:
        raise HealthConfigError(
            f"health.live_path and health.ready_path must differ (both are {live!r})"
        )
    checks = resolve_checks(settings["checks"])
    normalised = dict(settings, on=bool(on), live_path=live, ready_path=ready)
    return normalised, checks


class HealthSite:
    """The site's probes: settings, checks, and the applications grafted while switched on."""

    def __init__(self) -> None:
        self.settings: dict[str, Any] = dict(DEFAULTS)
        """The current ``health.*`` settings (without the namespace), normalised."""
        self.checks: tuple[Check, ...] = ()
        """The resolved ``health.checks``, run in order by every readiness probe."""
        self.enabled = False
        """Whether the probes are served (``health.on``)."""
        self.live_app = ProbeApp("live", liveness)
        """The WSGI application grafted at ``health.live_path``."""
        self.ready_app = ProbeApp("ready", self.readiness)
        """The WSGI application grafted at ``health.ready_path``."""
        self.mounted: dict[str, ProbeApp] = {}
        """Script name -> probe application, for what is grafted now."""
        self._lock = threading.RLock()

    def readiness(self) -> Verdict:
        """The readiness verdict with the configured checks."""
        return readiness(self.checks)

    # -- configuration -----------------------------------------------------------------------

    def configure(self, entries: Mapping[str, Any]) -> None:
        """Apply ``health.*`` entries (keys without the namespace), then switch accordingly.

        The merged settings are checked first: on a bad value :class:`HealthConfigError` is
        raised and nothing changes.
        """
        with self._lock:
            merged = dict(self.settings)
            # Unknown keys are the config checker's to report (it warns, naming the key).
            merged.update((k, v) for k, v in entries.items() if k in DEFAULTS)
            settings, checks = validate(merged)
            if settings["on"]:
                self._refuse_taken_paths(settings)
            self.settings, self.checks = settings, checks
            if self.enabled:
                self.unmount()
            self.enabled = bool(settings["on"])
            if self.enabled:
                self.mount()

    def _refuse_taken_paths(self, settings: Mapping[str, Any]) -> None:
        apps = cherrypy.tree.apps
        for key in ("live_path", "ready_path"):
            path = settings[key]
            found = apps.get(path)
            if found is not None and found is not self.mounted.get(path):
                raise HealthConfigError(
                    f"health.{key}: {path!r} is already mounted on cherrypy.tree "
                    f"({found!r}); choose another path"
                )

    # -- grafting ------------------------------------------------------------------------------

    def mount(self) -> None:
        """Graft both probes on ``cherrypy.tree`` at their configured paths."""
        with self._lock:
            for path, app in (
                (self.settings["live_path"], self.live_app),
                (self.settings["ready_path"], self.ready_app),
            ):
                cherrypy.tree.graft(app, path)
                self.mounted[path] = app

    def unmount(self) -> None:
        """Take the probes off ``cherrypy.tree`` (where they are still the ones mounted)."""
        with self._lock:
            mounted, self.mounted = self.mounted, {}
            apps = cherrypy.tree.apps
            for path, app in mounted.items():
                if apps.get(path) is app:
                    del apps[path]


health = HealthSite()
"""The site's probes (one per process, like ``cherrypy.server``)."""


class HealthNamespace(api.BatchNamespace):
    """The global ``health`` config namespace handler: one update's ``health.*`` entries are
    applied together (``health.on`` and the other keys may come in any order)."""

    def __init__(self, site: HealthSite) -> None:
        super().__init__(site.configure)
        self.site = site
