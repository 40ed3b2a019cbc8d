"""The ``granian`` plugin's entry point (``cherrypy.plugins: granian``).

- registers the server ``granian`` for ``python -m cherrypy serve --server granian``
  (the kernel's ``cherrypy_register_servers`` hook);
- the global ``granian`` config namespace (``granian.on``, ``granian.workers``,
  ``granian.threads``, ``granian.http``) and its declarations;
- an engine setup callback that, with ``granian.on = True``, turns the first
  ``engine.start()`` (``cherrypy.quickstart()``) into granian's supervisor, and in a worker
  keeps the built-in server off.

Loading the plugin does not import granian: serving does.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, MutableMapping
from typing import Any

from cherrypy.plugin import BusView, KeyDeclarer, hookimpl

from .settings import DEFAULTS, KEY_DOCS, KEY_TYPES, namespace_handler, settings

__all__ = [
    "CHERRYPY_PLUGIN_API",
    "cherrypy_config_keys",
    "cherrypy_config_namespaces",
    "cherrypy_engine_setup",
    "cherrypy_register_servers",
]

CHERRYPY_PLUGIN_API = ">=1.3,<2"
"""The versions of the plugin API (``cherrypy.plugin``) this plugin works with (1.3 added the
``cherrypy_register_servers`` hook)."""


def serve(options: Any) -> int:
    """Serve on granian (:func:`cherrypy_granian.supervisor.serve`, imported on first use:
    it imports multiprocessing, which a start-up without granian must not pay for)."""
    from .supervisor import serve as run

    return run(options)


def take_over_start(engine: Any) -> None:
    """The engine setup callback (:func:`cherrypy_granian.supervisor.take_over_start`).

    Without ``granian.on``, outside a granian worker (whose set-up imported
    :mod:`cherrypy_granian.worker`), there is nothing to do and nothing is imported.
    """
    if not settings.on and "cherrypy_granian.worker" not in sys.modules:
        return
    from .supervisor import take_over_start as take_over

    take_over(engine)


@hookimpl
def cherrypy_register_servers(register: Callable[[str, Callable[..., int]], None]) -> None:
    """Offer ``granian`` to ``python -m cherrypy serve --server``."""
    register("granian", serve)


@hookimpl
def cherrypy_config_namespaces(namespaces: MutableMapping[str, Any], scope: str) -> None:
    """Register the global ``granian`` namespace."""
    if scope == "global":
        namespaces["granian"] = namespace_handler


@hookimpl
def cherrypy_config_keys(checker: KeyDeclarer) -> None:
    """Declare the ``granian`` namespace and its keys."""
    checker.declare_namespace(
        "granian", "Serving on granian (cherrypy-granian): workers, threads.", scope="global"
    )
    for key, default in DEFAULTS.items():
        checker.declare_key("granian", key, KEY_TYPES[key], default, KEY_DOCS[key])


@hookimpl
def cherrypy_engine_setup(engine: BusView) -> None:
    """Add the setup callback that hands the first start over to granian when asked."""
    callbacks = getattr(engine, "setup_callbacks", None)
    if callbacks is not None and take_over_start not in callbacks:
        callbacks.append(take_over_start)
