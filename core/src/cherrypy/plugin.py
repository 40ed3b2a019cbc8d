"""The plugin API of cherrypy-kernel: everything a plugin may use besides ``cherrypy`` itself.

A plugin is a distribution that registers a module (or object) in the ``cherrypy.plugins``
entry-point group.  That module marks its hook implementations with :data:`hookimpl` and
imports from this module, from ``cherrypy`` and from CherryPy's compatibility names
(``cherrypy.lib.*``, ``cherrypy._cp*``); everything under ``cherrypy.kernel`` is private and may
change in any release.  The names here change only with a new major
:data:`PLUGIN_API_VERSION`.

Declaring the API range
    Set ``CHERRYPY_PLUGIN_API`` in the entry-point module to a version specifier
    (``CHERRYPY_PLUGIN_API = ">=1.0,<2"``).  A kernel outside that range refuses the plugin with
    one line naming its distribution, its version and the range, and loads the others.  A
    plugin that declares nothing still loads; ``python -m cherrypy plugins`` says it declared
    no range.

A tool
    Subclass nothing: ``Tool(point, callable)`` runs ``callable(**settings)`` at request phase
    ``point`` on every path where ``tools.NAME.on`` is true.  Register it with
    :func:`cherrypy_register_tools <cherrypy.kernel.hookspecs.cherrypy_register_tools>`::

        from cherrypy.plugin import Tool, hookimpl

        CHERRYPY_PLUGIN_API = ">=1.0,<2"

        def add_header(name="X-Hello", value="world"):
            cherrypy.response.headers[name] = value

        @hookimpl
        def cherrypy_register_tools(toolbox):
            toolbox.hello = Tool("before_finalize", add_header)

    A tool that needs more than one callback overrides :meth:`Tool.compile`, which the kernel
    calls once per path with a :class:`PipelineBuilder` and the path's settings.

A dispatcher
    A callable ``dispatcher(path_info)`` put in config as ``request.dispatch``; it sets
    ``request.handler`` and hands the config dicts that apply to the path to
    :func:`use_config` (the dispatcher seam), and names what it found with :func:`set_route`.  Subclass :class:`Dispatcher` to reuse the
    object-tree walk.  Register factories by name with ``cherrypy_register_dispatchers``.

A long-lived connection (WebSocket, Server-Sent Events)
    Call :func:`take_over_connection` with a :class:`ConnectionHandler` while handling the
    request; after the response head the server's selector thread drives the connection
    through a :class:`Transport` (see ``docs/plugins.md``, "Taking over a connection").

Listening sockets that outlive the process (API 1.3)
    A server plugin asks :func:`inherited_listener` for the socket of each address before
    binding one (a graceful reload's new process, a re-exec and systemd socket activation
    hand sockets over), registers what it listens on with :func:`register_listener`, and when
    it stops while :func:`parking` is true keeps its sockets open with
    :func:`park_listener` instead of closing them (``engine.restart()`` re-executes next).
    :func:`has_inherited_listener` says whether one is waiting for an address (its port is
    then occupied by it).  :func:`successor_serving` says a reload's new process serves the same sockets (a UNIX
    socket file must then not be removed).  :func:`adopt_descriptor` turns a descriptor
    (``server.socket_fd``) into a listening socket.

Observing requests (metrics, tracing, request ids)
    Register a :class:`RequestObserver` with :func:`add_request_observer`: its
    ``request_started(request)`` and ``request_finished(request, response, state, error,
    body_bytes)`` are called for every request ``cherrypy.tree`` serves.  ``request.route``
    names what handled it (bounded cardinality), ``request.id`` is its request id;
    :func:`want_request_id_header` echoes that id as ``X-Request-ID``.

A session store
    Subclass ``cherrypy.lib.sessions.Session`` (from cherrypy-sessions) and register it with
    the ``cherrypy_register_session_backends(register)`` hook that cherrypy-sessions adds.

Stability
    See ``docs/plugins.md``: additions bump the minor version, removals and changes of
    meaning the major one.
"""

from __future__ import annotations

from typing import Any

import pluggy

from cherrypy.kernel.compat import module_getattr, publish, published
from cherrypy.kernel.config import watched_files
from cherrypy.kernel.configkeys import UNSET, KeyDeclarer
from cherrypy.kernel.context import ThreadLocalProxy, serving
from cherrypy.kernel.cookies import defer_response_cookie, request_cookie_value
from cherrypy.kernel.dispatch import (
    Dispatcher,
    LateParamPageHandler,
    PageHandler,
    add_handler_config,
    expose,
    set_route,
    use_config,
)
from cherrypy.kernel.engine_plugins import BackgroundTask, Monitor, SimplePlugin
from cherrypy.kernel.errors import (
    CherryPyException,
    HTTPError,
    HTTPRedirect,
    InternalRedirect,
    NotFound,
)
from cherrypy.kernel.handover import (
    adopt_descriptor,
    has_inherited_listener,
    inherited_listener,
    park_listener,
    parking,
    register_listener,
    successor_serving,
    unregister_listener,
)
from cherrypy.kernel.hookspecs import (
    DEFAULT_PRIORITY,
    ENGINE_CHANNELS,
    PLUGIN_API_VERSION,
    REQUEST_PHASES,
    RegisterDispatcher,
    hookimpl,
    hookspec,
    phase_options,
)
from cherrypy.kernel.httpdate import HTTPDate, parse_http_date
from cherrypy.kernel.httputil import HeaderMap, get_ranges, urljoin, valid_status
from cherrypy.kernel.observe import (
    RequestObserver,
    add_request_observer,
    remove_request_observer,
    want_request_id_header,
)
from cherrypy.kernel.pluginmanager import ensure_loaded
from cherrypy.kernel.reprconf import BatchNamespace, attributes
from cherrypy.kernel.response import prepare_iter
from cherrypy.kernel.takeover import (
    TAKEOVER_ENVIRON_KEY,
    ConnectionHandler,
    TakeoverUnavailable,
    TimerHandle,
    Transport,
    take_over_connection,
    takeover_available,
)
from cherrypy.kernel.tools import (
    ErrorTool,
    HandlerTool,
    HandlerWrapperTool,
    PipelineBuilder,
    Tool,
    Toolbox,
)
from cherrypy.kernel.urls import url
from cherrypy.kernel.views import ApplicationView, BusView, RequestView, ResponseView, ServerView

__all__ = [
    "DEFAULT_PRIORITY",
    "ENGINE_CHANNELS",
    "PLUGIN_API_VERSION",
    "REQUEST_PHASES",
    "TAKEOVER_ENVIRON_KEY",
    "UNSET",
    "ApplicationView",
    "BackgroundTask",
    "BatchNamespace",
    "BusView",
    "CherryPyException",
    "ConnectionHandler",
    "Dispatcher",
    "ErrorTool",
    "HTTPDate",
    "HTTPError",
    "HTTPRedirect",
    "HandlerTool",
    "HandlerWrapperTool",
    "HeaderMap",
    "InternalRedirect",
    "KeyDeclarer",
    "LateParamPageHandler",
    "Monitor",
    "NotFound",
    "PageHandler",
    "PipelineBuilder",
    "RegisterDispatcher",
    "RequestObserver",
    "RequestView",
    "ResponseView",
    "ServerView",
    "SimplePlugin",
    "TakeoverUnavailable",
    "ThreadLocalProxy",
    "TimerHandle",
    "Tool",
    "Toolbox",
    "Transport",
    "add_handler_config",
    "add_request_observer",
    "adopt_descriptor",
    "attributes",
    "defer_response_cookie",
    "expose",
    "get_plugin_manager",
    "get_ranges",
    "has_inherited_listener",
    "hookimpl",
    "hookspec",
    "inherited_listener",
    "missing_name",
    "park_listener",
    "parking",
    "parse_http_date",
    "phase_options",
    "prepare_iter",
    "publish",
    "published",
    "register_listener",
    "remove_request_observer",
    "request_cookie_value",
    "serving",
    "set_route",
    "successor_serving",
    "take_over_connection",
    "takeover_available",
    "unregister_listener",
    "url",
    "urljoin",
    "use_config",
    "valid_status",
    "want_request_id_header",
    "watched_files",
]


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide pluggy plugin manager, with every entry-point plugin loaded.

    For plugins that add hook specifications of their own (``cherrypy_addhooks``) and call
    them: ``get_plugin_manager().hook.cherrypy_my_hook(...)``.  Call it at run time, never at
    import time (loading plugins from a plugin's import would recurse).
    """
    return ensure_loaded()


def missing_name(module: str, name: str) -> Any:
    """Resolve ``module.name`` through the ``cherrypy.compat`` table, or raise naming the cure.

    For a plugin module's ``__getattr__`` that offers names other distributions provide:
    the :class:`AttributeError` raised for a missing one says which distribution to install.
    """
    return module_getattr(module, name)
