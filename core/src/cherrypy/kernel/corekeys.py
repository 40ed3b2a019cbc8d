"""The kernel's own config namespaces and keys, declared like any plugin's.

:func:`declare_kernel_keys` is called from the kernel's built-in plugin
(:mod:`cherrypy.kernel.builtin_tools`) through the ``cherrypy_config_keys`` hook; see
:mod:`cherrypy.kernel.configkeys` for the declaration API.
"""

from __future__ import annotations

from cherrypy.kernel.configkeys import UNSET, KeyDeclarer
from cherrypy.kernel.requesthooks import HOOKPOINTS

__all__ = ["declare_kernel_keys"]

_REQUEST_DOCS = {
    "dispatch": "The dispatcher that finds the page handler (``cherrypy.dispatch.Dispatcher()``).",
    "show_tracebacks": "Whether error pages include the traceback.",
    "show_mismatched_params": "Whether a 404/400 for wrong handler arguments names them.",
    "throw_errors": "Let handler exceptions propagate to the WSGI server (for debugging).",
    "throws": "Exception classes always re-raised instead of turned into error pages.",
    "methods_with_bodies": "HTTP methods whose request body is read and processed.",
    "process_request_body": "Whether the body is parsed into ``request.params``.",
    "query_string_encoding": "The charset of the query string.",
    "error_response": "A callable that turns an unexpected error into the response.",
    "scheme": "The URL scheme (normally set by the server or ``tools.proxy``).",
    "base": "``scheme://host[:port]`` of the request (normally set by the server or proxy).",
    "login": "The authenticated user name (set by the auth tools).",
}

_BODY_DOCS = {
    "attempt_charsets": "Charsets tried, in order, to decode form fields.",
    "default_content_type": "Media type assumed when the request has no Content-Type.",
    "processors": "Body processors by media type or major type.",
    "maxbytes": "Bytes of body read at most (413 beyond); None: no limit.",
    "bufsize": "Read size while parsing multipart bodies.",
    "maxparts": "The most parts a multipart body may hold, nested parts included (413 beyond; 0: no limit).",
    "maxfields": "The most non-empty fields a urlencoded body may hold (413 beyond; 0: no limit).",
    "maxtempfiles": "The most multipart parts spooled to temporary files, nested parts included (413 beyond; 0: no limit).",
}

_LOG_DOCS = {
    "appid": "The application id in log records (None for the global log).",
    "error_log": "The logging.Logger receiving error messages.",
    "access_log": "The logging.Logger receiving one line per request.",
    "format": "'text' (CherryPy's lines) or 'json' (one JSON object per line, with request ids; "
    "see docs/logging.md).",
}

_CHECKER_DOCS = {
    "on": "Run the config checker when the engine starts.",
    "global_config_contained_paths": "Set when global config held path sections (read by the checker).",
    "obsolete": "Obsolete keys and their replacements, warned about.",
    "deprecated": "Deprecated keys and their replacements, warned about.",
    "known_config_types": "Expected value types by key, for the type check.",
}


def declare_kernel_keys(checker: KeyDeclarer) -> None:
    """Declare the namespaces handled by the kernel and their keys."""
    from cherrypy.kernel.checker import Checker
    from cherrypy.kernel.logs import LogManager
    from cherrypy.kernel.reqbody import RequestBody
    from cherrypy.kernel.request import Request
    from cherrypy.kernel.response import Response

    checker.declare_key(
        "",
        "environment",
        str,
        UNSET,
        "Apply a preset: 'production', 'staging', 'embedded' or 'test_suite' (global config).",
    )
    _request_scope(checker, Request, RequestBody, Response)
    checker.declare_namespace("log", "The error and access logs (cherrypy.log).", scope="global")
    checker.declare_attributes(
        "log",
        LogManager,
        (
            "screen",
            "error_file",
            "access_file",
            "wsgi",
            "access_log_format",
            "format",
            "logger_root",
            "appid",
            "error_log",
            "access_log",
        ),
        docs=_LOG_DOCS,
        defaults={
            "screen": True,
            "error_file": "",
            "access_file": "",
            "wsgi": False,
            "format": "text",
            "error_log": UNSET,
            "access_log": UNSET,
        },
    )
    checker.declare_namespace("checker", "The config checker (cherrypy.checker).", scope="global")
    checker.declare_attributes(
        "checker",
        Checker,
        tuple(_CHECKER_DOCS),
        docs=_CHECKER_DOCS,
        defaults={"obsolete": UNSET, "deprecated": UNSET, "known_config_types": UNSET},
    )
    checker.declare_namespace(
        "engine",
        "The process bus (cherrypy.engine): its attributes and those of its plugins "
        "(engine.<plugin>.<attribute>, engine.<plugin>.on).",
        scope="global",
        open=True,
    )
    checker.declare_key("engine", "SIGHUP", "callable", UNSET, "Subscribed to the SIGHUP channel.")
    checker.declare_key(
        "engine", "SIGTERM", "callable", UNSET, "Subscribed to the SIGTERM channel."
    )
    checker.declare_key(
        "engine", "execv", bool, False, "Whether the engine re-executes the process on exit."
    )
    checker.declare_key(
        "engine",
        "sighup",
        str,
        "default",
        "What SIGHUP does: 'default' (restart a daemon, exit otherwise), 'reload' (graceful "
        "reload: a new process takes over the listening sockets), 'restart' or 'exit'.",
    )
    checker.declare_key(
        "engine",
        "reload_timeout",
        float,
        30.0,
        "Seconds engine.reload() waits for the new process to serve before giving up on it.",
    )
    checker.declare_namespace(
        "tree",
        "tree.<name> = app (or {script_name: app}) grafts WSGI applications.",
        scope="global",
        open=True,
    )
    checker.declare_namespace(
        "wsgi",
        "WSGI middleware of an application: wsgi.pipeline and wsgi.<middleware>.<argument>.",
        scope="app",
        open=True,
    )
    checker.declare_key(
        "wsgi", "pipeline", "list[tuple[str, callable]]", UNSET, "(name, middleware) pairs to add."
    )
    checker.declare_key(
        "wsgi", "response_class", type, UNSET, "The class that iterates the response."
    )


def _request_scope(checker: KeyDeclarer, request: type, body: type, response: type) -> None:
    checker.declare_namespace(
        "request",
        "Attributes of cherrypy.request, set for each request on the path.",
        open=True,
    )
    checker.declare_attributes("request", request, tuple(_REQUEST_DOCS), docs=_REQUEST_DOCS)
    checker.declare_namespace(
        "request.body", "Attributes of cherrypy.request.body (the request entity).", open=True
    )
    checker.declare_attributes(
        "request.body", body, tuple(_BODY_DOCS), docs=_BODY_DOCS, defaults={"processors": UNSET}
    )
    checker.declare_namespace(
        "response", "Attributes of cherrypy.response, set for each request on the path.", open=True
    )
    checker.declare_key("response", "stream", bool, False, "Send the body as it is produced.")
    checker.declare_key("response", "timeout", int, 300, "Seconds a response may take.")
    checker.declare_namespace(
        "response.headers",
        "response.headers.<Name> = value sets a default response header.",
        open=True,
    )
    checker.declare_namespace(
        "hooks", "hooks.<point> = callable attaches a callback at a hook point."
    )
    for point in HOOKPOINTS:
        checker.declare_key("hooks", point, "callable", UNSET, f"A callback run at {point}.")
    checker.declare_namespace(
        "error_page",
        "error_page.<status> = path or callable renders that error status.",
        open=True,
    )
    checker.declare_key(
        "error_page", "default", "str | callable", UNSET, "The page for every other error status."
    )
    checker.declare_namespace(
        "plugins",
        "Which plugins load and where they run: plugins.disabled and plugins.enabled (global), "
        "plugins.prefer.NAME (the distribution whose tools.NAME is used when two provide it), "
        "plugins.NAME.on (per path; the global section sets the default).",
        open=True,
        instances=True,
    )
    checker.declare_key(
        "plugins", "disabled", "list[str]", UNSET, "Plugins (or distributions) not to load."
    )
    checker.declare_key(
        "plugins", "enabled", "list[str]", UNSET, "Load only these plugins (or distributions)."
    )
