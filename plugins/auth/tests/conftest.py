"""Fixtures for cherrypy-auth tests: a clean kernel and a live server per test."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

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


SEED_AUTH = Path(__file__).resolve().parents[3] / "tests" / "seed_examples" / "auth"


@pytest.fixture
def seed_auth_conf() -> Callable[[str], dict[str, Any]]:
    """The ``conf`` of the seed's Basic or Digest snippet (``tests/seed_examples/auth``).

    The snippet is executed unchanged; its last line, ``cherrypy.quickstart(myapp, '/',
    conf)``, is answered by a stand-in that only records ``conf`` (the test serves it).
    """

    def load(name: str) -> dict[str, Any]:
        calls: list[Any] = []
        stand_in = SimpleNamespace(quickstart=lambda root, script_name, conf: calls.append(conf))
        namespace: dict[str, Any] = {"cherrypy": stand_in, "myapp": None}
        source = (SEED_AUTH / f"{name}.py").read_text()
        exec(compile(source, f"seed_examples/auth/{name}.py", "exec"), namespace)
        assert calls == [namespace["conf"]]
        return calls[0]

    return load
