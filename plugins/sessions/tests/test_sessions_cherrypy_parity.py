"""Behaviours CherryPy 18 applications rely on, checked over real HTTP.

* An application may ``del cherrypy.session`` (CherryPy's own examples do so when they swap
  the storage class at run time); the next request that uses sessions brings it back.
* The RAM backend's lock table holds only the locks of requests in flight, so a cleanup pass
  run while a request holds its session leaves exactly that one lock in place.
"""

from __future__ import annotations

import threading
from typing import Any

import requests

import cherrypy
from cherrypy.plugin import ThreadLocalProxy
from cherrypy_sessions.ram import RamSession


class Swapper:
    """Pages that mimic an application swapping its session class at run time."""

    @cherrypy.expose
    @cherrypy.config(**{"tools.sessions.on": False})
    def forget_proxy(self) -> str:
        if hasattr(cherrypy, "session"):
            del cherrypy.session
        return str(hasattr(cherrypy, "session"))

    @cherrypy.expose
    def count(self) -> str:
        cherrypy.session["n"] = cherrypy.session.get("n", 0) + 1
        return str(cherrypy.session["n"])


def test_deleted_session_proxy_is_restored_by_the_next_session_request(live: Any) -> None:
    conf = {"/": {"tools.sessions.on": True}}
    try:
        with live(Swapper(), conf) as base, requests.Session() as http:
            assert http.get(base + "/count").text == "1"
            forgotten = http.get(base + "/forget_proxy")
            assert forgotten.status_code == 200 and forgotten.text == "False"
            again = http.get(base + "/count")
            assert again.status_code == 200, again.text
            assert again.text == "2"
            assert isinstance(cherrypy.__dict__.get("session"), ThreadLocalProxy)
    finally:
        if "session" not in cherrypy.__dict__:
            cherrypy.session = ThreadLocalProxy("session")


class Holder:
    """A page that keeps its session locked until the test lets it go."""

    def __init__(self) -> None:
        self.inside = threading.Event()
        self.leave = threading.Event()

    @cherrypy.expose
    def hold(self) -> str:
        cherrypy.session["held"] = True
        self.inside.set()
        self.leave.wait(10)
        return cherrypy.session.id


def test_ram_lock_table_holds_only_locks_in_use(live: Any) -> None:
    holder = Holder()
    conf = {"/": {"tools.sessions.on": True, "tools.sessions.storage_type": "ram"}}
    with live(holder, conf) as base:
        holder.leave.set()
        for _ in range(3):
            assert requests.get(base + "/hold", timeout=10).status_code == 200
        assert len(RamSession.cache) == 3
        assert len(RamSession.locks) == 0, "released locks must leave the table"

        holder.leave.clear()
        holder.inside.clear()
        answer: list[requests.Response] = []
        request = threading.Thread(
            target=lambda: answer.append(requests.get(base + "/hold", timeout=10))
        )
        request.start()
        try:
            assert holder.inside.wait(10)
            assert len(RamSession.locks) == 1
            RamSession(None, clean_freq=0).clean_up()
            assert len(RamSession.locks) == 1, "cleanup must not drop a lock in use"
        finally:
            holder.leave.set()
            request.join(10)
        assert answer and answer[0].status_code == 200
        assert len(RamSession.locks) == 0
