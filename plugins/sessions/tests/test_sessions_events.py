"""The engine channels cherrypy-sessions publishes for observability plugins, over real HTTP:
``session_store_error`` for a failing store, ``session_lock_acquired`` for a lock wait."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests

import cherrypy
from cherrypy_sessions.events import LOCK_CHANNEL, STORE_ERROR_CHANNEL
from cherrypy_sessions.ram import RamSession


class BrokenSession(RamSession):
    """A store whose saves fail (a full disk, a lost database connection)."""

    def _save(self, expiration_time: datetime.datetime) -> None:
        raise OSError("the store is gone")


class Listener:
    def __init__(self) -> None:
        self.heard: list[tuple[Any, ...]] = []
        self.lock = threading.Lock()

    def __call__(self, *args: Any) -> None:
        with self.lock:
            self.heard.append(args)


@pytest.fixture
def listen() -> Iterator[Any]:
    subscribed: list[tuple[str, Listener]] = []

    def on(channel: str) -> Listener:
        listener = Listener()
        cherrypy.engine.subscribe(channel, listener)
        subscribed.append((channel, listener))
        return listener

    yield on
    for channel, listener in subscribed:
        cherrypy.engine.unsubscribe(channel, listener)


def test_a_failing_store_is_published_and_still_a_500(counter: Any, live: Any, listen: Any) -> None:
    errors = listen(STORE_ERROR_CHANNEL)
    config = {"/": {"tools.sessions.on": True, "tools.sessions.storage_class": BrokenSession}}
    with live(counter, config) as base:
        assert requests.get(base + "/").status_code == 500
    [(store, operation, error)] = errors.heard
    assert (store, operation) == ("BrokenSession", "save")
    assert isinstance(error, OSError)


def test_a_working_store_publishes_no_error(counter: Any, live: Any, listen: Any) -> None:
    errors = listen(STORE_ERROR_CHANNEL)
    with live(counter, {"/": {"tools.sessions.on": True}}) as base:
        assert requests.get(base + "/").text == "1"
    assert errors.heard == []


@pytest.mark.parametrize("locking", ["implicit", "early"])
def test_each_lock_taken_is_published_with_its_wait(
    counter: Any, live: Any, listen: Any, locking: str
) -> None:
    locks = listen(LOCK_CHANNEL)
    config = {"/": {"tools.sessions.on": True, "tools.sessions.locking": locking}}
    with live(counter, config) as base:
        client = requests.Session()
        assert [client.get(base + "/").text for _ in range(2)] == ["1", "2"]
    assert len(locks.heard) == 2
    for storage, started, acquired in locks.heard:
        assert storage == "ram"
        assert isinstance(started, int) and started <= acquired


def test_explicit_locking_publishes_nothing_for_the_tool(
    counter: Any, live: Any, listen: Any
) -> None:
    locks = listen(LOCK_CHANNEL)
    config = {"/": {"tools.sessions.on": True, "tools.sessions.locking": "explicit"}}
    with live(counter, config) as base:
        assert requests.get(base + "/").text == "1"
    assert locks.heard == []
