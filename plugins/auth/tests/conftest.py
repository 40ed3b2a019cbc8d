"""Fixtures for cherrypy-auth tests: a clean kernel and a live server per test."""

from __future__ import annotations

import pytest

import cherrypy
from cherrypy.kernel.pytest_fixtures import (  # noqa: F401
    clean_kernel,
    docs_example,
    error_log,
    serve_root,
    wsgi_call,
)


class ProtectedArea:
    """``/protected/area/``: counts the calls that got through, greets the logged-in user."""

    def __init__(self) -> None:
        self.calls = 0

    @cherrypy.expose
    def index(self, **params: str) -> str:
        self.calls += 1
        return f"welcome {cherrypy.request.login}"

    @cherrypy.expose
    def default(self, *path: str, **params: str) -> str:
        self.calls += 1
        return f"{'/'.join(path)} for {cherrypy.request.login}"


class ProtectedRoot:
    """A public ``/`` and the seed's ``/protected/area``."""

    def __init__(self) -> None:
        self.protected = type("Protected", (), {})()
        self.protected.area = ProtectedArea()

    @cherrypy.expose
    def index(self) -> str:
        return "public"


@pytest.fixture
def protected_root() -> type[ProtectedRoot]:
    """The class of the application the auth tests protect (``protected_root()`` makes one)."""
    return ProtectedRoot
