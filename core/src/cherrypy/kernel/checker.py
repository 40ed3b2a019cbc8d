"""The config checker (``cherrypy.checker``): warns about config mistakes at engine start."""

from __future__ import annotations

import os
import warnings
from typing import Any

from cherrypy.kernel import compat
from cherrypy.kernel.context import ThreadLocalProxy
from cherrypy.kernel.request import Request
from cherrypy.kernel.runtime import get_server, site
from cherrypy.kernel.tree import Application

__all__ = ["Checker"]


class Checker:
    """Run every ``check_*`` method at engine start and show their warnings.

    Switch it off with ``checker.on = False`` in global config (the production, staging and
    embedded environments do).
    """

    on = True
    global_config_contained_paths = False

    obsolete = {
        "server.default_content_type": "tools.response_headers.headers",
        "log_access_file": "log.access_file",
        "log_config_options": None,
        "log_file": "log.error_file",
        "log_file_not_found": None,
        "log_request_headers": "tools.log_headers.on",
        "log_to_screen": "log.screen",
        "show_tracebacks": "request.show_tracebacks",
        "throw_errors": "request.throw_errors",
        "profiler.on": "cherrypy.tree.mount(profiler.make_app(cherrypy.Application(Root())))",
    }
    deprecated: dict[str, str | None] = {}
    known_config_types: dict[str, type] = {}

    def __init__(self) -> None:
        self.extra_namespaces: set[str] = set()
        self.known_config_types = {}

    def __call__(self) -> None:
        """Run all checks (warnings are printed as "CherryPy Checker:" blocks)."""
        if not self.on:
            return
        from cherrypy.kernel import config as _config

        self.global_config_contained_paths = (
            self.global_config_contained_paths or _config.global_config_contained_paths
        )
        old = warnings.formatwarning
        warnings.formatwarning = self.formatwarning
        try:
            for name in sorted(dir(self)):
                if name.startswith("check_"):
                    method = getattr(self, name)
                    if callable(method):
                        method()
        finally:
            warnings.formatwarning = old

    def formatwarning(
        self, message: Any, category: Any, filename: str, lineno: int, line: str | None = None
    ) -> str:
        """Format a checker warning."""
        return f"CherryPy Checker:\n{message}\n\n"

    def _apps(self) -> list[tuple[str, Any]]:
        return [(sn, app) for sn, app in site.tree.apps.items() if isinstance(app, Application)]

    def check_app_config_entries_dont_start_with_script_name(self) -> None:
        """Warn when an app's config sections repeat its own mount point."""
        for sn, app in self._apps():
            if not sn or not app.config:
                continue
            sn_atoms = sn.strip("/").split("/")
            for key in app.config:
                key_atoms = key.strip("/").split("/")
                if key_atoms[: len(sn_atoms)] == sn_atoms:
                    warnings.warn(
                        f"The application mounted at {sn!r} has config entries that start with its "
                        f"script name: {key!r}",
                        stacklevel=2,
                    )

    def check_site_config_entries_in_app_config(self) -> None:
        """Warn about global-only keys (server., engine., ...) in app config."""
        for sn, app in self._apps():
            messages = []
            for section, entries in app.config.items():
                if section.startswith("/") and isinstance(entries, dict):
                    for key in entries:
                        for ns in ("engine.", "server.", "tree.", "checker."):
                            if key.startswith(ns):
                                messages.append(f"[{section}] {key} = {entries[key]}")
            if messages:
                messages.insert(
                    0,
                    f"The application mounted at {sn!r} contains the following config entries, "
                    "which are only allowed in site-wide config. Move them to a [global] section "
                    "and pass them to cherrypy.config.update() instead of tree.mount().",
                )
                warnings.warn("\n".join(messages), stacklevel=2)

    def check_skipped_app_config(self) -> None:
        """Warn about mounted applications without any config."""
        for sn, app in self._apps():
            if not app.config:
                msg = f"The Application mounted at {sn!r} has an empty config."
                if self.global_config_contained_paths:
                    msg += (
                        " It looks like the config you passed to cherrypy.config.update() "
                        "contains application-specific sections. You must explicitly pass "
                        "application config via cherrypy.tree.mount(..., config=app_config)"
                    )
                warnings.warn(msg, stacklevel=2)
                return

    def check_app_config_brackets(self) -> None:
        """Warn about section names written with brackets ("[/path]")."""
        for sn, app in self._apps():
            for key in app.config:
                if key.startswith("[") or key.endswith("]"):
                    warnings.warn(
                        f"The application mounted at {sn!r} has config section names with extraneous "
                        f"brackets: {key!r}. Config *files* need brackets; config *dicts* (e.g. passed "
                        "to tree.mount) do not.",
                        stacklevel=2,
                    )

    def check_static_paths(self) -> None:
        """Warn about staticdir settings that cannot work (relative dir without root, missing dir)."""
        for _sn, app in self._apps():
            for section, conf in app.config.items():
                if not isinstance(conf, dict) or not conf.get("tools.staticdir.on"):
                    continue
                root = conf.get("tools.staticdir.root")
                directory = conf.get("tools.staticdir.dir")
                if directory is None:
                    continue
                msg = ""
                if not os.path.isabs(directory):
                    if not root:
                        msg = f"{directory} is relative and no tools.staticdir.root was given."
                    elif not os.path.isabs(root):
                        msg = f"{root} is not an absolute path."
                    else:
                        directory = os.path.join(root, directory)
                if not msg and not os.path.exists(directory):
                    msg = f"{directory} (tools.staticdir.dir) does not exist."
                if msg:
                    warnings.warn(
                        f"{msg}\nsection: [{section}]\nroot: {root!r}\ndir: {conf.get('tools.staticdir.dir')!r}",
                        stacklevel=2,
                    )

    def _known_namespaces(self, app: Any) -> set[str]:
        from cherrypy.kernel import config as _config

        names = {"wsgi"} | set(app.toolboxes) | set(app.namespaces)
        names.update(getattr(app, "request_class", Request).namespaces)
        names.update(site.config.namespaces)
        names.update(_config.known_namespaces.get("request", ()))
        # CherryPy's site-wide namespaces (server, engine, ...) are known even when the plugin
        # that handles one is not installed; check_site_config_entries_in_app_config reports
        # them in app config.
        names.update(_config.known_namespaces.get("global", ()))
        names.update(self.extra_namespaces)
        names.update(getattr(self, "extra_config_namespaces", ()))
        return names

    def check_config_namespaces(self) -> None:
        """Warn about app config entries in unknown namespaces and about unknown tools."""
        for _sn, app in self._apps():
            known = self._known_namespaces(app)
            for section, conf in app.config.items():
                if not section.startswith("/") or not isinstance(conf, dict):
                    continue
                for key in conf:
                    atoms = key.split(".")
                    if len(atoms) < 2:
                        continue
                    if atoms[0] not in known:
                        if atoms[0] == "cherrypy" and atoms[1] in known:
                            msg = f"The config entry {key!r} is invalid; try {'.'.join(atoms[1:])!r} instead."
                        else:
                            msg = f"The config entry {key!r} is invalid, because the {atoms[0]!r} config namespace is unknown."
                        warnings.warn(f"{msg}\nsection: [{section}]", stacklevel=2)
                    elif atoms[0] == "tools" and not self._tool_exists(atoms[1]):
                        msg = f"The config entry {key!r} may be invalid, because the {atoms[1]!r} tool was not found."
                        provider = _provider_of(f"cherrypy.tools.{atoms[1]}")
                        if provider:
                            msg += " " + str(
                                compat.missing_name_error(f"cherrypy.tools.{atoms[1]}")
                            )
                        warnings.warn(f"{msg}\nsection: [{section}]", stacklevel=2)

    def check_config_keys(self) -> None:
        """Warn about keys that the plugin owning their namespace does not declare.

        Every distribution declares its keys (``cherrypy_config_keys``); a key of a declared
        namespace that nobody declared is most likely misspelled (``tools.sessions.timout``,
        ``server.socket_prot``).  Open namespaces (``request``, ``engine``...) take keys of
        their own, so only a near miss of a declared key is reported there.  Keys of unknown
        namespaces and tools are left to :meth:`check_config_namespaces`.
        """
        registry = _collect_key_names()
        for error in registry.errors:
            warnings.warn(f"A plugin failed to declare its config keys: {error}", stacklevel=2)
        self._check_declared(registry, "global", dict(site.config))
        for _sn, app in self._apps():
            for section, conf in app.config.items():
                if isinstance(conf, dict):
                    self._check_declared(registry, section, conf)

    def _check_declared(self, registry: Any, section: str, conf: dict[str, Any]) -> None:
        for key in conf:
            if key.startswith("/") or key in self.obsolete or key in self.deprecated:
                continue
            unknown = registry.check(key, conf)
            if unknown is not None:
                warnings.warn(f"{unknown.message}\nsection: [{section}]", stacklevel=3)

    @staticmethod
    def _tool_exists(name: str) -> bool:
        try:
            getattr(site.tools, name)
        except AttributeError:
            return False
        return True

    def _compat(self, config: dict[str, Any]) -> None:
        for section, conf in config.items():
            if isinstance(conf, dict):
                for key in conf:
                    if key in self.obsolete:
                        warnings.warn(
                            f"{key!r} is obsolete. Use {self.obsolete[key]!r} instead.\nsection: [{section}]",
                            stacklevel=3,
                        )
                    elif key in self.deprecated:
                        warnings.warn(
                            f"{key!r} is deprecated. Use {self.deprecated[key]!r} instead.\nsection: [{section}]",
                            stacklevel=3,
                        )
            elif section in self.obsolete:
                warnings.warn(
                    f"{section!r} is obsolete. Use {self.obsolete[section]!r} instead.",
                    stacklevel=3,
                )
            elif section in self.deprecated:
                warnings.warn(
                    f"{section!r} is deprecated. Use {self.deprecated[section]!r} instead.",
                    stacklevel=3,
                )

    def check_compatibility(self) -> None:
        """Warn about obsolete or deprecated entries in global and app config."""
        self._compat(dict(site.config))
        for _sn, app in self._apps():
            self._compat(app.config)

    def _populate_known_types(self) -> None:
        import builtins

        simple = {value for value in vars(builtins).values() if type(value) is type}
        targets: list[tuple[str, Any]] = [
            ("request", ThreadLocalProxy("request")),
            ("response", ThreadLocalProxy("response")),
            ("log", site.log),
            ("engine", site.engine),
        ]
        try:
            targets.append(("server", get_server()))
        except Exception:
            pass
        for namespace, obj in targets:
            for name in dir(obj):
                if name.startswith("_") or name == "body_params":
                    continue
                try:
                    vtype = type(getattr(obj, name, None))
                except Exception:
                    continue
                if vtype in simple:
                    self.known_config_types[f"{namespace}.{name}"] = vtype

    def _known_types(self, config: dict[str, Any]) -> None:
        for section, conf in config.items():
            if not isinstance(conf, dict):
                conf = {section: conf}
            for key, value in conf.items():
                if value is None:
                    continue
                expected = self.known_config_types.get(key)
                if expected is not None and type(value) is not expected:
                    warnings.warn(
                        f"The config entry {key!r} in section {section!r} is of type {type(value).__name__!r}, "
                        f"which does not match the expected type {expected.__name__!r}.",
                        stacklevel=3,
                    )

    def check_config_types(self) -> None:
        """Warn about config values whose type differs from the attribute's default."""
        if not self.known_config_types:
            self._populate_known_types()
        self._known_types(dict(site.config))
        for _sn, app in self._apps():
            self._known_types(app.config)

    def check_localhost(self) -> None:
        """Warn when ``server.socket_host`` is 'localhost' (it may resolve to IPv4 or IPv6)."""
        if site.config.get("server.socket_host") == "localhost":
            warnings.warn(
                "The use of 'localhost' as a socket host can cause problems on newer systems, since "
                "'localhost' can map to either an IPv4 or an IPv6 address. You should use '127.0.0.1' "
                "or '[::1]' instead.",
                stacklevel=2,
            )


def _provider_of(fullname: str) -> str | None:
    from cherrypy.kernel import compat

    return compat.provider_of(fullname)


def _collect_key_names() -> Any:
    """Every distribution's declared keys, as :func:`~cherrypy.kernel.configkeys.collect`
    gathers them, but without the documentation of attribute keys.

    Checking a key needs its name only, and the attribute docstrings that
    ``declare_attributes`` reads from the source of each class (``inspect.getsource`` and a
    parse per class) cost more than the rest of the start-up in the development environment.
    """
    from cherrypy.kernel import configkeys
    from cherrypy.kernel.runtime import boot

    class NamesOnly(configkeys.KeyDeclarer):
        def declare_attributes(
            self,
            namespace: str,
            owner: Any,
            names: Any,
            docs: Any = None,
            defaults: Any = None,
        ) -> None:
            for name in names:
                self.declare_key(namespace, name)

    registry = configkeys.ConfigKeyRegistry()
    hooks = boot()
    registry.errors.extend(hooks.config_keys(lambda provider: NamesOnly(registry, provider)))
    return registry
