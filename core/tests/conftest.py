"""Fixtures shared by the kernel tests: a clean CherryPy site and a validating WSGI client.

``wsgi`` drives ``cherrypy.tree`` (or any WSGI app) through :func:`wsgiref.validate.validator`,
so every response is also checked for PEP 3333 conformance.  ``cpsite`` restores the tree,
the global config, the default toolbox and the log switches after each test.
"""

from __future__ import annotations

import io
import logging
import re
import sys
import wsgiref.validate
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

import cherrypy


@dataclass
class WSGIResult:
    """What a WSGI application answered: status line, header list and the joined body."""

    status: str
    header_list: list[tuple[str, str]]
    body: bytes
    exc_info: Any = None
    environ: dict[str, Any] = field(default_factory=dict)

    @property
    def code(self) -> int:
        """The integer status code."""
        return int(self.status[:3])

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.body.decode("utf-8")

    @property
    def message(self) -> str | None:
        """The ``<p>`` message of a CherryPy error page (HTML-escaped), if the body is one."""
        found = re.search(r"<p>(.*?)</p>", self.body.decode("utf-8", "replace"), re.S)
        return found.group(1) if found else None

    @property
    def traceback(self) -> str | None:
        """The ``<pre id="traceback">`` block of a CherryPy error page, if the body is one."""
        found = re.search(
            r'<pre id="traceback">(.*?)</pre>', self.body.decode("utf-8", "replace"), re.S
        )
        return found.group(1) if found else None

    @property
    def headers(self) -> dict[str, str]:
        """Headers by lower-cased name (the last one wins)."""
        return {name.lower(): value for name, value in self.header_list}

    def all(self, name: str) -> list[str]:
        """Every value of header ``name``."""
        return [value for key, value in self.header_list if key.lower() == name.lower()]


class WSGIClient:
    """Calls a WSGI application in process with a PEP 3333 environ built from arguments."""

    def __init__(self, app: Callable[..., Any] | None = None) -> None:
        self.app = app

    def environ(
        self,
        path: str = "/",
        method: str = "GET",
        query: str = "",
        headers: dict[str, str] | list[tuple[str, str]] | None = None,
        body: bytes = b"",
        protocol: str = "HTTP/1.1",
        scheme: str = "http",
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Build the environ of a request (``Host: localhost:8080`` unless given)."""
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "8080",
            "SERVER_PROTOCOL": protocol,
            "REMOTE_ADDR": "127.0.0.2",
            "REMOTE_PORT": "5555",
            "HTTP_HOST": "localhost:8080",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": scheme,
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        if body:
            environ["CONTENT_LENGTH"] = str(len(body))
        items = headers.items() if isinstance(headers, dict) else headers or ()
        for name, value in items:
            key = name.upper().replace("-", "_")
            if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                environ[key] = value
            else:
                environ["HTTP_" + key] = value
        for key, value in (extra or {}).items():
            if value is None:
                environ.pop(key, None)
            else:
                environ[key] = value
        return environ

    def request(
        self, path: str = "/", *, validate: bool = True, app: Any = None, **kwargs: Any
    ) -> WSGIResult:
        """Run one request; ``validate=False`` skips wsgiref's validator (for invalid environs)."""
        environ = self.environ(path, **kwargs)
        target = app or self.app or cherrypy.tree
        seen: dict[str, Any] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            seen["status"], seen["headers"], seen["exc_info"] = status, headers, exc_info
            return lambda data: None

        wrapped = wsgiref.validate.validator(target) if validate else target
        result = wrapped(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return WSGIResult(seen["status"], list(seen["headers"]), body, seen["exc_info"], environ)

    def get(self, path: str = "/", **kwargs: Any) -> WSGIResult:
        """A GET request."""
        return self.request(path, **kwargs)

    def post(
        self,
        path: str,
        data: bytes | str = b"",
        content_type: str = "application/x-www-form-urlencoded",
        **kwargs: Any,
    ) -> WSGIResult:
        """A POST request with ``data`` as its body."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        headers = dict(kwargs.pop("headers", None) or {})
        headers.setdefault("Content-Type", content_type)
        return self.request(path, method="POST", body=data, headers=headers, **kwargs)


class ListHandler(logging.Handler):
    """Collects formatted log records."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    @property
    def messages(self) -> list[str]:
        """Each record's message, with its traceback appended when it has one."""
        out = []
        for record in self.records:
            text = record.getMessage()
            if record.exc_info:
                text += "\n" + logging.Formatter().formatException(record.exc_info)
            out.append(text)
        return out


def _boot_plugins() -> None:
    """Register plugin tools before a test snapshots the toolbox (so they are kept)."""
    try:
        from cherrypy.kernel.boot import boot
    except ImportError:  # running the suite against CherryPy itself
        return
    boot()


def _invalidate_pipelines() -> None:
    try:
        from cherrypy.kernel import pipeline
    except ImportError:  # running the suite against CherryPy itself
        return
    pipeline.invalidate()


@pytest.fixture
def cpsite() -> Iterator[None]:
    """Run the test on an empty tree and restore global config, tools and logs afterwards.

    The global config starts in the ``test_suite`` environment (tracebacks and mismatched
    parameters shown, nothing logged to the screen).
    """
    _boot_plugins()
    tree_apps = dict(cherrypy.tree.apps)
    config = dict(cherrypy.config)
    tools = dict(vars(cherrypy.tools))
    log_state = (cherrypy.log.screen, cherrypy.log.error_file, cherrypy.log.access_file)
    checker_on = cherrypy.checker.on
    cherrypy.tree.apps.clear()
    cherrypy.config.reset()
    cherrypy.config.update({"environment": "test_suite"})
    _invalidate_pipelines()
    try:
        yield
    finally:
        cherrypy.tree.apps.clear()
        cherrypy.tree.apps.update(tree_apps)
        cherrypy.config.reset()
        dict.update(cherrypy.config, config)
        for name in set(vars(cherrypy.tools)) - set(tools):
            object.__delattr__(cherrypy.tools, name)
        for name, value in tools.items():
            object.__setattr__(cherrypy.tools, name, value)
        cherrypy.log.screen, cherrypy.log.error_file, cherrypy.log.access_file = log_state
        cherrypy.checker.on = checker_on
        cherrypy.serving.clear()
        _invalidate_pipelines()


@pytest.fixture
def wsgi(cpsite: None) -> WSGIClient:
    """A client for ``cherrypy.tree`` on a clean site."""
    return WSGIClient()


@pytest.fixture
def error_log() -> Iterator[ListHandler]:
    """Records everything written to the error logs (global and per-app)."""
    handler = ListHandler()
    logger = logging.getLogger("cherrypy.error")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


@pytest.fixture
def access_log() -> Iterator[ListHandler]:
    """Records every access-log line (global and per-app)."""
    handler = ListHandler()
    logger = logging.getLogger("cherrypy.access")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
