"""The example of docs/websocket.md, run as written."""

from __future__ import annotations

from websockets.sync.client import connect


def test_chat_example_of_the_docs(docs_example) -> None:
    base = docs_example("websocket.md")
    url = base.replace("http://", "ws://") + "/ws"
    with connect(url + "?name=ann", open_timeout=10) as ann:
        assert ann.recv(timeout=10) == "welcome, ann"
        with connect(url + "?name=bob", open_timeout=10) as bob:
            assert bob.recv(timeout=10) == "welcome, bob"
            bob.send("hi all")
            assert ann.recv(timeout=10) == "bob: hi all"
            assert bob.recv(timeout=10) == "bob: hi all"
        assert ann.recv(timeout=10) == "bob left (1000)"
