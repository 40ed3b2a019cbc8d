"""``cherrypy.test.helper``: run a CherryPy application over real HTTP inside a test class.

Subclass :class:`CPWebCase`, mount the application in a ``setup_server`` classmethod and write
test methods that call :meth:`~cherrypy.test.webtest.WebCase.getPage` and the ``assert*``
methods::

    from cherrypy.test import helper

    class HelloTest(helper.CPWebCase):
        @staticmethod
        def setup_server():
            class Root:
                @cherrypy.expose
                def index(self):
                    return "hello"

            cherrypy.tree.mount(Root())

        def test_index(self):
            self.getPage("/")
            self.assertStatus(200)
            self.assertBody("hello")

Once per class the helper resets the global config (``environment: test_suite``), replaces
``cherrypy.tree`` with an empty tree, calls ``setup_server``, and starts ``cherrypy.engine``
with ``cherrypy.server`` listening on 127.0.0.1 and a free port; at the end of the class it
exits the engine.  The HTTP server comes from the ``cherrypy-server`` distribution.
"""

from __future__ import annotations

import datetime
import logging
import os
import re
import socket
import ssl
import sys
import unittest
import urllib.request  # noqa: F401  (CherryPy's tests use urllib.request without importing it)
from typing import Any

import cherrypy
from cherrypy.test import webtest
from cherrypy.test.spawn import CPProcess, serverpem, thisdir

__all__ = [
    "CPProcess",
    "CPWebCase",
    "LocalSupervisor",
    "LocalWSGISupervisor",
    "Supervisor",
    "free_port",
    "get_wsgi_u_supervisor",
    "log_to_stderr",
    "require_server_plugin",
    "serverpem",
    "setup_client",
    "thisdir",
]

log = logging.getLogger(__name__)

SERVER_DIST = "cherrypy-server"


def require_server_plugin() -> None:
    """Raise :class:`ImportError` naming ``cherrypy-server`` when it is not installed."""
    try:
        import cherrypy_server  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            "cherrypy.test.helper serves the application under test with the HTTP server "
            f"of {SERVER_DIST}, which is not installed: pip install {SERVER_DIST}"
        ) from exc


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that nothing listens on right now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def log_to_stderr(msg: str, level: int) -> None:
    """An engine ``log`` listener that copies engine messages to stderr."""
    sys.stderr.write(msg + os.linesep)


class Supervisor:
    """Describes and controls the server a test class talks to.

    Keyword arguments become attributes: ``scheme``, ``protocol``, ``host``, ``port``,
    ``validate`` and ``server`` as passed by :meth:`CPWebCase.setup_class`.
    """

    scheme = "http"
    protocol = "HTTP/1.1"
    host = "127.0.0.1"
    port = 0
    validate = False

    def __init__(self, **kwargs: Any) -> None:
        """Store the options; ``port`` is converted to an int."""
        for key, value in kwargs.items():
            setattr(self, key, int(value) if key == "port" else value)


class LocalSupervisor(Supervisor):
    """Runs ``cherrypy.engine`` and ``cherrypy.server`` in this process.

    Since client and server share the process, the helper resets config and the tree
    between test classes instead of starting a fresh process.
    """

    using_apache = False
    using_wsgi = False

    def __init__(self, **kwargs: Any) -> None:
        """Check that the HTTP server plugin is installed and quiet the screen log."""
        require_server_plugin()
        super().__init__(**kwargs)
        cherrypy.server.httpserver = None
        cherrypy.config.update({"log.screen": False})

    def start(self, modulename: str | None = None) -> None:
        """Start the engine (and with it the HTTP server), then hand the apps to the server.

        With ``modulename`` the previous HTTP server object is dropped, so the new one is
        built from the current ``server.*`` settings.
        """
        if modulename:
            cherrypy.server.httpserver = None
        engine = cherrypy.engine
        # A failing start listener makes the bus end the process (it was STARTING); in a
        # test run, let the error reach the test instead.
        engine._hard_exit = _raise_instead_of_exit  # type: ignore[assignment,method-assign]
        try:
            engine.start()
        finally:
            del engine._hard_exit
        self.sync_apps()

    def sync_apps(self) -> None:
        """Give the HTTP server the applications mounted by ``setup_server`` (nothing here)."""

    def stop(self) -> None:
        """Run the optional ``teardown`` callable, exit the engine, drop extra servers."""
        teardown = getattr(self, "teardown", None)
        if teardown:
            teardown()
        cherrypy.engine.exit()
        extra = getattr(cherrypy, "servers", None) or {}
        for name, server in list(extra.items()):
            server.unsubscribe()
            del extra[name]


class _EngineStartFailed(RuntimeError):
    """Raised in place of the bus ending the process when the engine fails to start."""


def _raise_instead_of_exit(code: int) -> None:
    raise _EngineStartFailed(f"the engine failed to start (exit status {code})")


class LocalWSGISupervisor(LocalSupervisor):
    """Supervisor for the WSGI HTTP server of ``cherrypy-server``."""

    using_wsgi = True

    def __str__(self) -> str:
        return f"Builtin WSGI Server on {self.host}:{self.port}"

    def sync_apps(self) -> None:
        """With ``validate``, wrap the served application in :mod:`wsgiref.validate`."""
        if self.validate:
            cherrypy.server.httpserver.wsgi_app = self.get_app()

    def get_app(self, app: Any = None) -> Any:
        """The WSGI application to serve: ``app`` (default ``cherrypy.tree``), validated
        when ``validate`` is set."""
        if app is None:
            from cherrypy_server.wsgi_server import TreeApp

            app = TreeApp()
        if self.validate:
            from wsgiref.validate import validator

            app = validator(app)
        return app


def get_wsgi_u_supervisor(**options: Any) -> LocalWSGISupervisor:
    """CherryPy's ``wsgi_u`` server choice; served by the same WSGI server here."""
    return LocalWSGISupervisor(**options)


def _test_method_sorter(_: Any, x: str, y: str) -> int:
    """Order test methods by name, except that ``test_gc`` runs last."""
    if x == y:
        return 0
    if x == "test_gc":
        return 1
    if y == "test_gc":
        return -1
    return -1 if x < y else 1


# Like CherryPy's helper: unittest (and pytest's unittest support) ask the loader for the
# method order, and the reference-leak check must see every other test's garbage.
unittest.TestLoader.sortTestMethodsUsing = _test_method_sorter  # type: ignore[assignment]


class CPWebCase(webtest.WebCase):
    """A :class:`~cherrypy.test.webtest.WebCase` that serves ``setup_server``'s apps itself.

    Define a ``setup_server`` staticmethod or classmethod that mounts applications on
    ``cherrypy.tree`` (and may update ``cherrypy.config``).  ``script_name`` is prefixed to
    every path given to :meth:`getPage`.
    """

    script_name = ""
    scheme = "http"
    interactive = False

    available_servers: dict[str, Any] = {
        "wsgi": LocalWSGISupervisor,
        "wsgi_u": get_wsgi_u_supervisor,
    }
    default_server = "wsgi"

    do_gc_test = False
    date_tolerance = 2
    supervisor: Any = None
    # Per-class bookkeeping, always read from the class's own __dict__.
    _cp_class_state: str | None = None
    _cp_saved_globals: dict[str, Any] | None = None

    @classmethod
    def supervisor_options(cls) -> dict[str, Any]:
        """The options of the class's supervisor (override to change host, port or server)."""
        return {
            "scheme": cls.scheme,
            "protocol": "HTTP/1.1",
            "port": free_port("127.0.0.1"),
            "host": "127.0.0.1",
            "validate": False,
            "server": cls.default_server,
        }

    @classmethod
    def _setup_server(cls, supervisor: Supervisor, conf: Any) -> dict[str, Any]:
        """The global config for ``supervisor``: ``conf`` (a dict or a config file name)
        plus the server address, protocol and ``environment: test_suite``."""
        log.info("Python version used to run this test script: %s", sys.version.split()[0])
        log.info("CherryPy version: %s", cherrypy.__version__)
        log.info(
            "HTTP server version: %s%s",
            supervisor.protocol,
            " (ssl)" * (supervisor.scheme == "https"),
        )
        log.info("PID: %s", os.getpid())
        cherrypy.server.using_apache = getattr(supervisor, "using_apache", False)
        cherrypy.server.using_wsgi = getattr(supervisor, "using_wsgi", True)
        if isinstance(conf, (str, bytes)):
            from cherrypy.kernel.reprconf import Parser

            conf = Parser().dict_from_file(conf).get("global", {})
        baseconf = dict(conf or {})
        baseconf.update(
            {
                "server.socket_host": supervisor.host,
                "server.socket_port": supervisor.port,
                "server.protocol_version": supervisor.protocol,
                "environment": "test_suite",
            }
        )
        if supervisor.scheme == "https":
            baseconf["server.ssl_certificate"] = serverpem
            baseconf["server.ssl_private_key"] = serverpem
            webtest.WebCase.HTTP_CONN = _https_connection_class()
        return baseconf

    @classmethod
    def setup_class(cls) -> None:
        """Reset the globals, call ``setup_server`` and start the engine (once per class)."""
        if cls.__dict__.get("_cp_class_state") is not None:
            return
        require_server_plugin()
        cls._cp_class_state = "starting"
        cls._cp_saved_globals = _save_globals()
        try:
            cls._start_class()
        except BaseException:
            # unittest skips tearDownClass after a failed setUpClass: clean up here.
            cls._cp_class_state = "failed"
            if cherrypy.engine.state == cherrypy.engine.states.STARTED:
                cherrypy.engine.exit()
            _restore_globals(cls._cp_saved_globals)
            raise
        cls._cp_class_state = "started"

    @classmethod
    def _start_class(cls) -> None:
        conf = cls.supervisor_options()
        factory = cls.available_servers.get(conf.get("server", cls.default_server))
        if factory is None:
            raise RuntimeError(f"Unknown server in config: {conf['server']}")
        supervisor = factory(**{k: v for k, v in conf.items() if k != "server"})
        cherrypy.config.reset()
        cherrypy.config.update(cls._setup_server(supervisor, conf))
        cls.supervisor = supervisor
        if hasattr(cls, "setup_server"):
            from cherrypy.kernel.tree import Tree

            cherrypy.tree = Tree()
            cherrypy.server.httpserver = None
            cls.setup_server()
            cls.do_gc_test = _mount_gc_root()
            supervisor.start(cls.__module__)
        setup_client()

    @classmethod
    def teardown_class(cls) -> None:
        """Stop the engine started by :meth:`setup_class` (once per class)."""
        if cls.__dict__.get("_cp_class_state") != "started":
            return
        cls._cp_class_state = "stopped"
        try:
            if hasattr(cls, "setup_server"):
                cls.supervisor.stop()
        finally:
            _restore_globals(cls.__dict__.get("_cp_saved_globals"))

    @classmethod
    def setUpClass(cls) -> None:
        """Same as :meth:`setup_class`, for runners that only know unittest's spelling."""
        super().setUpClass()
        cls.setup_class()

    @classmethod
    def tearDownClass(cls) -> None:
        """Same as :meth:`teardown_class`, for runners that only know unittest's spelling."""
        cls.teardown_class()
        super().tearDownClass()

    def test_gc(self) -> None:
        """With ``cherrypy-devtools`` installed, ask its ``/gc`` page for reference leaks."""
        if not self.do_gc_test:
            return
        self.getPage("/gc/stats")
        # CherryPy treats this check as advisory: its result is intermittent (#1420).
        try:
            self.assertBody("Statistics:")
        except Exception:
            pass

    def prefix(self) -> str:
        """``script_name`` without its trailing slash."""
        return self.script_name.rstrip("/")

    def base(self) -> str:
        """The absolute URL of the application under test (scheme, host, port, prefix)."""
        number = self.PORT
        default = 443 if self.scheme == "https" else 80
        port = f":{number}" if number != default else ""
        return f"{self.scheme}://{self.HOST}{port}{self.prefix()}"

    def exit(self) -> None:
        """Leave the test run."""
        sys.exit()

    def getPage(self, url: Any, *args: Any, **kwargs: Any) -> Any:
        """Request ``url`` below ``script_name``; see :meth:`WebCase.getPage`."""
        if self.script_name:
            from cherrypy.kernel.httputil import urljoin

            if isinstance(url, bytes):
                url = url.decode("utf-8")
            url = urljoin(self.script_name, url)
        return super().getPage(url, *args, **kwargs)

    def skip(self, msg: str = "skipped ") -> None:
        """Skip the current test."""
        try:
            import pytest
        except ImportError:
            raise unittest.SkipTest(msg) from None
        pytest.skip(msg)

    def assertErrorPage(self, status: Any, message: str | None = None, pattern: Any = "") -> None:
        """Fail unless the body is CherryPy's error page for ``status`` (and ``message``).

        ``pattern`` is a string that must occur in the page's traceback; ``None`` means the
        page must have no traceback at all.
        """
        from cherrypy.kernel.errors import get_error_page

        if cherrypy.serving.response is None:
            # get_error_page sets a header on the current response; outside a request, let
            # the proxy create this thread's idle default request and response first.
            _ = cherrypy.response.headers
        page = get_error_page(status, message=message)
        if not isinstance(page, bytes):
            page = b"".join(chunk if isinstance(chunk, bytes) else chunk.encode() for chunk in page)
        empty_pre = b'<pre id="traceback"></pre>'
        expected = re.escape(page).replace(
            re.escape(empty_pre),
            re.escape(b'<pre id="traceback">') + b"(.*)" + re.escape(b"</pre>"),
        )
        match = re.match(expected, self.body, re.DOTALL)
        if not match:
            self._handlewebError("Error page does not match; expected:\n" + page.decode("utf-8"))
            return
        if pattern is None:
            if match.group(1):
                self._handlewebError("Error page contains traceback")
        elif not re.search(re.escape(pattern).encode(self.encoding), match.group(1)):
            self._handlewebError(f"Error page does not contain {pattern!r} in traceback")

    def assertEqualDates(
        self, dt1: datetime.datetime, dt2: datetime.datetime, seconds: float | None = None
    ) -> None:
        """Fail unless ``dt1`` and ``dt2`` are within ``seconds`` (``date_tolerance``)."""
        if seconds is None:
            seconds = self.date_tolerance
        if abs(dt1 - dt2) >= datetime.timedelta(seconds=seconds):
            raise AssertionError(f"{dt1!r} and {dt2!r} are not within {seconds!r} seconds.")


_SERVER_SETTINGS = ("socket_host", "socket_port", "protocol_version", "httpserver")


def _save_globals() -> dict[str, Any]:
    """What a test class changes in the process-wide state, to put back after the class."""
    server = cherrypy.server
    return {
        "tree": cherrypy.tree,
        "log.screen": cherrypy.log.screen,
        "checker.on": cherrypy.checker.on,
        "server": {name: getattr(server, name) for name in _SERVER_SETTINGS},
    }


def _restore_globals(saved: dict[str, Any] | None) -> None:
    """Undo :func:`_save_globals`'s changes so later tests of the session start clean."""
    if not saved:
        return
    cherrypy.tree = saved["tree"]
    cherrypy.log.screen = saved["log.screen"]
    cherrypy.checker.on = saved["checker.on"]
    for name, value in saved["server"].items():
        setattr(cherrypy.server, name, value)
    cherrypy.config.reset()


def _mount_gc_root() -> bool:
    """Mount the reference-leak page of ``cherrypy-devtools`` on /gc, if it is installed."""
    try:
        from cherrypy.lib import gctools  # type: ignore[attr-defined]
    except (ImportError, AttributeError):
        return False
    cherrypy.tree.mount(gctools.GCRoot(), "/gc")
    return True


def _https_connection_class() -> type:
    """An HTTPS connection class that accepts the test server's self-signed certificate."""
    import http.client

    class _TestHTTPSConnection(http.client.HTTPSConnection):
        def __init__(self, host: str, port: int | None = None, **kwargs: Any) -> None:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            kwargs.setdefault("context", context)
            super().__init__(host, port, **kwargs)

    return _TestHTTPSConnection


def setup_client() -> None:
    """Point :class:`~cherrypy.test.webtest.WebCase` at ``cherrypy.server``'s address."""
    server = cherrypy.server
    port = server.socket_port
    if not port and server.httpserver is not None and isinstance(server.bind_addr, tuple):
        port = server.bound_addr[1]
    webtest.WebCase.PORT = port
    webtest.WebCase.HOST = server.socket_host
    if server.ssl_certificate:
        CPWebCase.scheme = "https"
