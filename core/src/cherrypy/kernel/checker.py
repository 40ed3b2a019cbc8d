"""The config checker (``cherrypy.checker``): warns about config mistakes at engine start."""

from __future__ import annotations

import os
import warnings
from typing import Any

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

    def __call__(self) -> None:
        """Run all checks (warnings are printed as "CherryPy Checker:" blocks)."""
        if not self.on:
            return
        from cherrypy.kernel import config as _config

        self.global_config_contained_paths = self.global_config_contained_paths or _config.global_config_contained_paths
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

    def formatwarning(self, message: Any, category: Any, filename: str, lineno: int, line: str | None = None) -> str:
        """Format a checker warning."""
        return f"CherryPy Checker:\n{message}\n\n"

    def _apps(self) -> list[tuple[str, Any]]:
        import cherrypy

        return [(sn, app) for sn, app in cherrypy.tree.apps.items() if isinstance(app, cherrypy.Application)]

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
                        f"script name: {key!r}", stacklevel=2,
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
        for sn, app in self._apps():
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
                    warnings.warn(f"{msg}\nsection: [{section}]\nroot: {root!r}\ndir: {conf.get('tools.staticdir.dir')!r}", stacklevel=2)

    def _known_namespaces(self) -> set[str]:
        from cherrypy.kernel import config as _config
        from cherrypy.kernel.request import Request
        from cherrypy.kernel.tree import Application

        names = set(_config.all_known_namespaces()) | self.extra_namespaces
        names.update(Request.namespaces.keys())
        names.update(Application.namespaces.keys())
        import cherrypy

        names.update(cherrypy.config.namespaces.keys())
        for _sn, app in self._apps():
            names.update(app.namespaces.keys())
            names.update(app.toolboxes.keys())
        return names

    def _check_entries(self, section: str, conf: dict[str, Any], known: set[str]) -> None:
        for key in conf:
            if key in self.obsolete:
                warnings.warn(f"{key!r} is obsolete. Use {self.obsolete[key]!r} instead.\nsection: [{section}]", stacklevel=3)
            elif key in self.deprecated:
                warnings.warn(f"{key!r} is deprecated. Use {self.deprecated[key]!r} instead.\nsection: [{section}]", stacklevel=3)
            ns = key.split(".", 1)[0]
            if "." in key and ns not in known:
                warnings.warn(
                    f"The config entry {key!r} is invalid, because the {ns!r} config namespace is unknown."
                    f"\nsection: [{section}]",
                    stacklevel=3,
                )
            elif ns == "tools" and "." in key:
                self._check_tool(section, key)

    def _check_tool(self, section: str, key: str) -> None:
        import cherrypy

        parts = key.split(".")
        if len(parts) < 3:
            return
        try:
            getattr(cherrypy.tools, parts[1])
        except AttributeError as exc:
            warnings.warn(f"The config entry {key!r} names an unknown tool: {exc}\nsection: [{section}]", stacklevel=4)

    def check_config_namespaces(self) -> None:
        """Warn about entries in unknown namespaces, obsolete keys and unknown tools."""
        import cherrypy

        known = self._known_namespaces()
        self._check_entries("global", dict(cherrypy.config), known)
        for _sn, app in self._apps():
            for section, conf in app.config.items():
                if isinstance(conf, dict):
                    self._check_entries(section, conf, known)
