"""``docs/sse.md``'s example runs as written, on cherrypy-server, and does what the page says."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import cast

import requests

from cherrypy.kernel.pytest_fixtures import clean_kernel, docs_example, serve_root  # noqa: F401

TIMEOUT = 10.0


def test_the_news_example(docs_example: Callable[[str], str]) -> None:  # noqa: F811
    base = docs_example("sse.md")
    page = requests.get(base + "/", timeout=TIMEOUT)
    assert 'new EventSource("events")' in page.text
    with requests.get(base + "/events", stream=True, timeout=TIMEOUT) as stream:
        assert stream.headers["Content-Type"] == "text/event-stream;charset=utf-8"
        lines = cast(Iterator[str], stream.iter_lines(decode_unicode=True))
        assert [next(lines), next(lines)] == ["retry: 2000", ""]
        # The stream is open once its first bytes arrived; the hub holds it from then on.
        reply = requests.post(base + "/say", data={"text": "hello"}, timeout=TIMEOUT)
        assert reply.text == "sent"
        event = [next(lines) for _ in range(4)]
        assert event[0] == "event: news"
        assert event[1].startswith("id: ")
        assert event[2:] == ["data: hello", ""]
        last_id = event[1][4:]
    # Away for two more items, back with Last-Event-ID: the hub replays them.
    for text in ("missed 1", "missed 2"):
        requests.post(base + "/say", data={"text": text}, timeout=TIMEOUT)
    with requests.get(
        base + "/events", headers={"Last-Event-ID": last_id}, stream=True, timeout=TIMEOUT
    ) as again:
        lines = cast(Iterator[str], again.iter_lines(decode_unicode=True))
        received = [next(lines) for _ in range(10)]
    assert [line for line in received if line.startswith("data:")] == [
        "data: missed 1",
        "data: missed 2",
    ]
