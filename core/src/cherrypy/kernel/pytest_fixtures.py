"""pytest fixtures shared by the plugins' test suites (import them into a ``conftest.py``).

::

    from cherrypy.kernel.pytest_fixtures import clean_kernel, docs_example, error_log, serve_root, wsgi_call

``clean_kernel`` is autouse: every test starts with no application mounted and the global
config reset.  Only test suites import this module; the kernel itself does not need pytest.
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import cherrypy
from cherrypy.kernel.runtime import site
from cherrypy.testing import reset, serve

__all__ = ["clean_kernel", "docs_example", "error_log", "serve_root", "wsgi_call"]


@pytest.fixture(autouse=True)
def clean_kernel() -> Iterator[None]:
    """Unmount everything and restore the global config around each test."""
    reset()
    yield
    reset()


@pytest.fixture
def serve_root() -> Iterator[Callable[..., str]]:
    """``serve_root(root, conf=None, script_name="")`` mounts ``root`` and returns the base URL."""
    with contextlib.ExitStack() as stack:

        def start(root: Any, conf: Any = None, script_name: str = "") -> str:
            site.tree.mount(root, script_name, conf)
            return stack.enter_context(serve()) + script_name.rstrip("/")

        yield start


@pytest.fixture
def docs_example(
    serve_root: Callable[..., str], monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Callable[[str], str]:
    """``docs_example("name.md")`` runs the first Python example of ``docs/name.md``.

    ``cherrypy.quickstart`` is replaced by a function that serves the application it is given
    on a test server instead; the base URL is returned.
    """
    docs = request.config.rootpath / "docs"

    def run(page: str) -> str:
        source = (docs / page).read_text(encoding="utf-8").split("```python\n", 1)[1]
        mounted: dict[str, Any] = {}

        def quickstart(root: Any = None, script_name: str = "", config: Any = None) -> None:
            mounted.update(root=root, script_name=script_name, config=config)

        monkeypatch.setattr(cherrypy, "quickstart", quickstart)
        exec(source.split("```", 1)[0], {"__name__": "docs_example"})
        return serve_root(mounted["root"], mounted["config"], mounted["script_name"])

    return run


@pytest.fixture
def wsgi_call() -> Callable[..., tuple[str, dict[str, str], bytes]]:
    """Call ``cherrypy.tree`` in process: ``wsgi_call(method, path, body, headers)``.

    For what a test server cannot carry, e.g. a request body of unknown length (chunked),
    which a WSGI server has already de-chunked into ``wsgi.input``.
    """

    def call(
        method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[str, dict[str, str], bytes]:
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "REMOTE_PORT": "50000",
            "HTTP_HOST": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }
        for name, value in (headers or {}).items():
            key = name.upper().replace("-", "_")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = "HTTP_" + key
            environ[key] = value
        captured: dict[str, Any] = {}

        def start_response(status: str, response_headers: list[Any], exc_info: Any = None) -> None:
            captured["status"] = status
            captured["headers"] = dict(response_headers)

        result = site.tree(environ, start_response)
        try:
            data = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return captured["status"], captured["headers"], data

    return call


@pytest.fixture
def error_log() -> Iterator[list[str]]:
    """Messages written to ``cherrypy.log`` during the test."""
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    logger = logging.getLogger("cherrypy.error")
    handler = Collect(level=logging.DEBUG)
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
