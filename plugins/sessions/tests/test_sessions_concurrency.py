"""Concurrent requests on one session lose no update, with both backends and over HTTP."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

import cherrypy

THREADS = 20
INCREMENTS = 10


class Counter:
    @cherrypy.expose
    def start(self) -> str:
        cherrypy.session["count"] = 0
        return "0"

    @cherrypy.expose
    def increment(self) -> str:
        count = cherrypy.session.get("count", 0)
        time.sleep(0.001)  # widen the read-modify-write window a lost update would need
        cherrypy.session["count"] = count + 1
        return str(count + 1)

    @cherrypy.expose
    def count(self) -> str:
        return str(cherrypy.session.get("count"))


@pytest.mark.parametrize("storage", ["ram", "file"])
def test_concurrent_increments_lose_no_update(live: Any, tmp_path: Path, storage: str) -> None:
    conf: dict[str, Any] = {"tools.sessions.on": True, "tools.sessions.storage_type": storage}
    if storage == "file":
        conf["tools.sessions.storage_path"] = str(tmp_path)
    with live(Counter(), {"/": conf}) as base:
        sid = requests.get(base + "/start").cookies["session_id"]
        answers: list[int] = []
        errors: list[BaseException] = []
        barrier = threading.Barrier(THREADS)

        def client() -> None:
            try:
                with requests.Session() as http:
                    http.cookies.set("session_id", sid)
                    barrier.wait()
                    for _ in range(INCREMENTS):
                        response = http.get(base + "/increment", timeout=30)
                        assert response.status_code == 200, response.text
                        assert response.cookies.get("session_id", sid) == sid
                        answers.append(int(response.text))
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=client) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert not errors, errors[:3]
        total = THREADS * INCREMENTS
        assert sorted(answers) == list(range(1, total + 1))
        final = requests.get(base + "/count", cookies={"session_id": sid})
        assert final.text == str(total)


@pytest.mark.parametrize("storage", ["ram", "file"])
def test_distinct_sessions_do_not_block_each_other(live: Any, tmp_path: Path, storage: str) -> None:
    entered = threading.Event()
    release = threading.Event()

    class Root:
        @cherrypy.expose
        def slow(self) -> str:
            cherrypy.session["x"] = 1
            entered.set()
            release.wait(10)
            return "slow"

        @cherrypy.expose
        def fast(self) -> str:
            cherrypy.session["y"] = 2
            return "fast"

    conf: dict[str, Any] = {"tools.sessions.on": True, "tools.sessions.storage_type": storage}
    if storage == "file":
        conf["tools.sessions.storage_path"] = str(tmp_path)
    with live(Root(), {"/": conf}) as base:
        slow = threading.Thread(target=lambda: requests.get(base + "/slow", timeout=20))
        slow.start()
        try:
            assert entered.wait(10)
            started = time.monotonic()
            assert requests.get(base + "/fast", timeout=5).text == "fast"
            assert time.monotonic() - started < 3
        finally:
            release.set()
            slow.join(20)
