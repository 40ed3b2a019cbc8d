"""The ``static_file_sent`` engine channel (for tracing plugins), over real HTTP."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import cherrypy
from cherrypy_static.serving import SENT_CHANNEL


def wait_for(heard: list[Any], count: int) -> None:
    """The channel is published when the request ends, just after the client got the body."""
    deadline = time.monotonic() + 10
    while len(heard) < count and time.monotonic() < deadline:
        time.sleep(0.01)


def test_each_file_sent_is_published_with_its_path_times_and_size(
    site: Any, mount_static: Callable[..., Any], web: Any
) -> None:
    heard: list[tuple[Any, ...]] = []
    lock = threading.Lock()

    def listener(*args: Any) -> None:
        with lock:
            heard.append(args)

    mount_static()
    cherrypy.engine.subscribe(SENT_CHANNEL, listener)
    try:
        assert web.get("/static/alpha.txt").status == 200
        assert web.get("/static/big.bin", Range="bytes=0-9").status == 206
        assert web.get("/").status == 200  # not a file: nothing published
        wait_for(heard, 2)
    finally:
        cherrypy.engine.unsubscribe(SENT_CHANNEL, listener)
    assert [(path, size) for path, _, _, size in heard] == [
        (str(site.static / "alpha.txt"), 26),
        (str(site.static / "big.bin"), 10),
    ]
    for _, started, ended, _ in heard:
        assert isinstance(started, int) and started <= ended


def test_nothing_is_published_without_listeners(
    mount_static: Callable[..., Any], web: Any, monkeypatch: Any
) -> None:
    published: list[str] = []
    publish = cherrypy.engine.publish

    def recording_publish(channel: str, *args: Any, **kwargs: Any) -> Any:
        published.append(channel)
        return publish(channel, *args, **kwargs)

    monkeypatch.setattr(cherrypy.engine, "publish", recording_publish)
    mount_static()
    assert not cherrypy.engine.listeners.get(SENT_CHANNEL)
    assert web.get("/static/alpha.txt").status == 200
    assert SENT_CHANNEL not in published
