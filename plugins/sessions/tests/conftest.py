"""Fixtures for cherrypy-sessions tests: a clean kernel, clean session state, a live server."""

from __future__ import annotations

import re
from collections.abc import Callable
from http.cookies import SimpleCookie
from typing import Any

import pytest
import requests

import cherrypy
from cherrypy.testing import serve
from cherrypy_sessions.ram import RamSession
from cherrypy_sessions.testkit import reset_between_tests

ID_RE = re.compile(r"[0-9a-f]{40}")


class Counter:
    """Page handlers that exercise the session API."""

    @cherrypy.expose
    def index(self) -> str:
        count = cherrypy.session.get("count", 0) + 1
        cherrypy.session["count"] = count
        return str(count)

    @cherrypy.expose
    def peek(self) -> str:
        return repr(cherrypy.session.get("count"))

    @cherrypy.expose
    def untouched(self) -> str:
        return "nothing read"

    @cherrypy.expose
    def state(self) -> str:
        s = cherrypy.session
        return f"{s.id} {s.originalid} {s.missing} {s.loaded} {s.locked} {s.timeout}"

    @cherrypy.expose
    def regenerate(self) -> str:
        cherrypy.session["count"] = cherrypy.session.get("count", 0)
        old = cherrypy.session.id
        cherrypy.tools.sessions.regenerate()
        return f"{old} {cherrypy.session.id}"

    @cherrypy.expose
    def logout(self) -> str:
        cherrypy.lib.sessions.expire()
        return "bye"

    @cherrypy.expose
    def dictapi(self) -> str:
        s = cherrypy.session
        s.update({"a": 1, "b": 2})
        s.setdefault("c", 3)
        popped = s.pop("a")
        missing = s.pop("zz", "dflt")
        del s["b"]
        return f"{popped} {missing} {sorted(s.keys())} {sorted(s.values())} {'c' in s} {list(s)}"


@pytest.fixture
def counter() -> Counter:
    """A fresh :class:`Counter` root."""
    return Counter()


clean_state = reset_between_tests(RamSession.cache.clear, RamSession.locks.clear)


@pytest.fixture
def live() -> Callable[..., Any]:
    """``live(root, config)``: mount ``root`` on ``/`` and return a context manager that
    serves ``cherrypy.tree`` over HTTP and yields its base URL."""

    def mount_and_serve(root: Any, config: dict[str, Any] | None = None) -> Any:
        cherrypy.tree.mount(root, "/", config or {})
        return serve()

    return mount_and_serve


class CookieTools:
    """Helpers that read the session cookie out of a :class:`requests.Response`."""

    id_re = ID_RE

    @staticmethod
    def headers(response: requests.Response) -> list[str]:
        """The raw ``Set-Cookie`` header values of ``response``."""
        return response.raw.headers.getlist("Set-Cookie")

    @staticmethod
    def session_id(response: requests.Response, name: str = "session_id") -> str | None:
        """The session id the response sets, or None."""
        for header in CookieTools.headers(response):
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            if name in jar:
                return jar[name].value
        return None

    @staticmethod
    def attributes(response: requests.Response, name: str = "session_id") -> dict[str, str]:
        """The attributes of the ``name`` cookie set by ``response`` (lower-case keys).

        Flag attributes map to ``""``; the cookie value is under ``"value"``.
        """
        for header in CookieTools.headers(response):
            first, *rest = [part.strip() for part in header.split(";")]
            key, _, value = first.partition("=")
            if key != name:
                continue
            attributes = {"value": value}
            for part in rest:
                attr, _, attr_value = part.partition("=")
                attributes[attr.lower()] = attr_value
            return attributes
        raise AssertionError(f"no {name} cookie in {CookieTools.headers(response)}")


@pytest.fixture
def cookies() -> type[CookieTools]:
    """Helpers to read Set-Cookie headers (see :class:`CookieTools`)."""
    return CookieTools
