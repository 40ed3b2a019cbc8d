"""``request.route`` under RoutesDispatcher: the mount point plus the matched template."""

from __future__ import annotations

import time
from collections.abc import Callable

import requests

import cherrypy
from cherrypy_routes import RoutesDispatcher


class Users:
    def show(self, user_id: str) -> str:
        return cherrypy.request.route or "none"

    def _hidden(self) -> str:
        return "hidden"


def dispatcher() -> RoutesDispatcher:
    d = RoutesDispatcher()
    d.connect("user", "/users/{user_id}", controller=Users(), action="show")
    d.connect("hidden", "/hidden", controller=Users(), action="_hidden")
    return d


def test_the_route_is_the_template_never_the_url(serve_root: Callable[..., str]) -> None:
    base = serve_root(None, {"/": {"request.dispatch": dispatcher()}}, "/api")
    for user_id in ("1", "2", "someone-else"):
        assert requests.get(f"{base}/users/{user_id}", timeout=10).text == "/api/users/{user_id}"


def test_no_route_when_nothing_matched(serve_root: Callable[..., str]) -> None:
    seen: list[object] = []

    def remember() -> None:
        seen.append(cherrypy.request.route)

    base = serve_root(
        None, {"/": {"request.dispatch": dispatcher(), "hooks.on_end_request": remember}}
    )
    assert requests.get(base + "/nowhere", timeout=10).status_code == 404
    assert requests.get(base + "/hidden", timeout=10).status_code == 404
    # on_end_request runs after the response is sent: wait for the second request's hook
    deadline = time.monotonic() + 10
    while len(seen) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert seen == [None, None]
