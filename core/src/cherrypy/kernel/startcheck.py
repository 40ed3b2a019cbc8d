"""The start-up check: what a configuration switches on must be there when the engine starts.

``cherrypy.engine.start()`` runs :func:`problems` before the bus enters STARTING.  Each problem
is one line naming the path, the config key and the fix:

* a tool switched on (``tools.NAME.on = True``, in the global config or any application's
  path sections, or a toolbox of the application's own) that no loaded plugin and no
  application code provides: the distribution to install, the setting that blocks it, "installed
  after start: restart", or "unknown tool (did you mean ...?)";
* a tool two distributions provide, used by config that did not choose one
  (``plugins.prefer.NAME = "distribution"``);
* a ``request.dispatch`` that is not callable;
* a plugin switched on or off per path (``plugins.NAME.on``) that is not installed;
* whatever plugins report for the sections they understand (``cherrypy_check_config``: the
  session backend named by ``tools.sessions.storage_type``, ...).

With any problem the engine does not start: the lines go to stderr (whatever ``log.screen``
and ``checker.on`` say) and :class:`~cherrypy.kernel.errors.StartupError` is raised.
``python -m cherrypy check`` runs the same check without starting anything.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Iterator, Mapping
from typing import Any

from cherrypy.kernel import compat
from cherrypy.kernel import pluginmanager as plugins
from cherrypy.kernel.entrypoints import distribution_version
from cherrypy.kernel.errors import StartupError
from cherrypy.kernel.hookspecs import REQUEST_PHASES
from cherrypy.kernel.runtime import boot, site
from cherrypy.kernel.selection import normalize
from cherrypy.kernel.tools import Tool, Toolbox
from cherrypy.kernel.tree import Application

__all__ = [
    "apply_preferences",
    "conflicts",
    "ensure_startable",
    "foreign_cherrypy",
    "preferences",
    "problems",
    "provider_of_module",
    "sections",
]


def sections() -> Iterator[tuple[str, Application | None, Mapping[str, Any]]]:
    """Every config section to check: ``(path label, application or None, section)``.

    The global config first (labelled ``global``), then each mounted application's root
    ``_cp_config`` and its path sections (labelled with the full path, script name included).
    """
    yield "global", None, site.config
    for script_name, app in sorted(site.tree.apps.items()):
        if not isinstance(app, Application):
            continue
        root_config = getattr(app.root, "_cp_config", None)
        if isinstance(root_config, Mapping):
            yield (script_name or "/"), app, root_config
        for path, section in sorted(app.config.items()):
            if isinstance(section, Mapping) and path.startswith("/"):
                yield (script_name + path if path != "/" else script_name or "/"), app, section


def provider_of_module(module: str) -> tuple[str, str | None] | None:
    """``(plugin name, distribution)`` of the loaded plugin whose package holds ``module``."""
    return boot().plugin_of_module(module)


def conflicts(toolbox: Toolbox) -> dict[str, list[tuple[str, Tool]]]:
    """Tool name -> ``(distribution, tool)`` for each of two or more plugins that set it."""
    found: dict[str, list[tuple[str, Tool]]] = {}
    for name in {n for n in vars(toolbox) if isinstance(vars(toolbox)[n], Tool)}:
        by_dist: dict[str, Tool] = {}
        for module, tool in toolbox.offers(name):
            provider = provider_of_module(module)
            if provider is None:
                by_dist.clear()  # the application's own setting overrides what came before
                continue
            by_dist[provider[1] or provider[0]] = tool
        if len(by_dist) > 1:
            found[name] = sorted(by_dist.items())
    return found


def preferences() -> dict[str, str]:
    """Tool name -> the distribution ``plugins.prefer.NAME`` chooses in the global config."""
    prefix = "plugins.prefer."
    return {
        key[len(prefix) :]: str(value)
        for key, value in site.config.items()
        if key.startswith(prefix) and value
    }


def apply_preferences(toolbox: Toolbox, found: dict[str, list[tuple[str, Tool]]]) -> list[str]:
    """Put each preferred tool in use; return problems for preferences that name no offer."""
    errors = []
    for name, distribution in preferences().items():
        offers = found.get(name)
        if offers is None:
            continue
        for dist, tool in offers:
            if normalize(dist) == normalize(distribution):
                if getattr(toolbox, name) is not tool:
                    toolbox.choose(name, tool)
                break
        else:
            names = ", ".join(dist for dist, _tool in offers)
            errors.append(
                f"global: plugins.prefer.{name} = {distribution!r}: that distribution does "
                f"not provide tools.{name} (it is provided by {names})"
            )
    return errors


def _missing_tool_fix(toolbox: Toolbox, name: str) -> str:
    fullname = f"cherrypy.{toolbox.namespace}.{name}"
    if compat.provider_of(fullname) is not None:
        return str(compat.missing_name_error(fullname))
    known = [n for n, value in vars(toolbox).items() if isinstance(value, Tool)]
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown tool {name!r}{hint}: no installed plugin provides {fullname}"


def _known_plugin_names() -> set[str]:
    manager = plugins.get_plugin_manager()
    names: set[str] = set()
    for name, source in manager.sources.items():
        names.add(normalize(name))
        if source.distribution:
            names.add(normalize(source.distribution))
    for skipped in manager.skipped_plugins:
        names.add(normalize(skipped.name))
        if skipped.distribution:
            names.add(normalize(skipped.distribution))
    return names


def _check_section(
    label: str,
    app: Application | None,
    section: Mapping[str, Any],
    found: dict[str, list[tuple[str, Tool]]],
    report: list[str],
) -> None:
    toolboxes: dict[str, Any] = dict(app.toolboxes) if app is not None else {"tools": site.tools}
    chosen = preferences()
    known_plugins: set[str] | None = None
    for key, value in section.items():
        namespace, _, rest = key.partition(".")
        if namespace in toolboxes and rest.endswith(".on") and value:
            toolbox = toolboxes[namespace]
            name = rest[: -len(".on")]
            if not isinstance(toolbox, Toolbox):
                continue
            tool = vars(toolbox).get(name)
            if not isinstance(tool, Tool):
                report.append(f"{label}: {key}: {_missing_tool_fix(toolbox, name)}")
            elif tool._point is not None and tool._point not in REQUEST_PHASES:
                close = difflib.get_close_matches(tool._point, REQUEST_PHASES, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                report.append(
                    f"{label}: {key}: tools.{name} attaches to unknown hook point "
                    f"{tool._point!r}{hint}"
                )
            elif toolbox is site.tools and name in found and name not in chosen:
                names = " and ".join(dist for dist, _tool in found[name])
                report.append(
                    f"{label}: {key}: tools.{name} is provided by both {names}; choose one "
                    f'with plugins.prefer.{name} = "<distribution>" in the global config'
                )
        elif key == "request.dispatch" and not callable(value):
            report.append(f"{label}: {key}: {value!r} is not a dispatcher (not callable)")
        elif namespace == "plugins" and rest.endswith(".on") and not rest.startswith("prefer."):
            plugin = rest[: -len(".on")]
            if known_plugins is None:
                known_plugins = _known_plugin_names()
            if normalize(plugin) not in known_plugins:
                report.append(f"{label}: {key}: no installed plugin is named {plugin!r}")

    def plugin_report(key: str, message: str) -> None:
        report.append(f"{label}: {key}: {message}")

    boot().check_config(label, section, plugin_report)


def problems() -> list[str]:
    """Every start-up problem of the mounted applications and the global config."""
    boot()
    found = conflicts(site.tools)
    report = apply_preferences(site.tools, found)
    for label, app, section in sections():
        _check_section(label, app, section, found, report)
    return report


COMPAT_VERSION_LABEL = "+kernel."
"""The local version label of this project's ``CherryPy`` compatibility distribution."""


def foreign_cherrypy() -> str | None:
    """A one-line warning when the original CherryPy distribution is installed beside ours.

    Both distributions write the ``cherrypy`` package: while this code runs our files are
    intact, but reinstalling or removing either one breaks the other, and an upgrade of the
    original replaces ours silently.  None when it is not installed (this project's own
    ``CherryPy`` compatibility distribution, ``18.10.0+kernel.*``, is not it).
    """
    version = distribution_version("CherryPy")
    if version is None or COMPAT_VERSION_LABEL in version:
        return None
    kernel = distribution_version(plugins.KERNEL_DISTRIBUTION) or ""
    return (
        f"the original CherryPy {version} is installed beside cherrypy-kernel {kernel}".rstrip()
        + " and shares its cherrypy package; fix: pip uninstall -y CherryPy && "
        "pip install --force-reinstall cherrypy-kernel cherrypy-standard "
        "(see docs/migration.md, Using CherryPy extensions)"
    )


def ensure_startable() -> None:
    """Raise :class:`StartupError` (after writing each problem to stderr) if there is any."""
    foreign = foreign_cherrypy()
    if foreign is not None:
        sys.stderr.write(f"cherrypy: warning: {foreign}\n")
    found = problems()
    if not found:
        return
    for line in found:
        sys.stderr.write(f"cherrypy: cannot start: {line}\n")
    sys.stderr.flush()
    raise StartupError(found)
