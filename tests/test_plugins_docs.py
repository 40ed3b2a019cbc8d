"""The examples of ``docs/plugins.md`` run as written: a tool, a multi-callback tool, a
dispatcher, a session store and a plugin's own hook, each registered the way an entry point
registers it and exercised over real HTTP."""

from __future__ import annotations

import re
import threading
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

import cherrypy
from cherrypy.plugin import get_plugin_manager
from cherrypy.testing import reset, serve

DOCS_PAGE = Path(__file__).resolve().parent.parent / "docs" / "plugins.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOCS_PAGE.read_text(encoding="utf-8"), re.DOTALL)


def block(marker: str) -> str:
    [found] = [source for source in BLOCKS if marker in source]
    return found


def load(source: str, name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    exec(compile(source, f"docs/plugins.md:{name}", "exec"), module.__dict__)
    return module


@pytest.fixture
def registered() -> Iterator[list[str]]:
    """Plugin names registered by a test; unregistered (and their tools removed) after."""
    names: list[str] = []
    reset()
    yield names
    manager = get_plugin_manager()
    for name in names:
        manager.unregister(name=name)
    for tool in ("hello", "timing"):  # the tools the examples add
        vars(cherrypy.tools).pop(tool, None)
    reset()


def register(module: types.ModuleType, name: str, names: list[str]) -> None:
    get_plugin_manager().register(module, name)
    names.append(name)


class Root:
    @cherrypy.expose
    def index(self) -> str:
        return "index"

    def page_about(self) -> str:
        return "about page"


def test_the_tool_example(registered: list[str]) -> None:
    plugin = load(block("cherrypy_hello/plugin.py"), "docs_hello")
    assert plugin.CHERRYPY_PLUGIN_API == ">=1.0,<2"
    register(plugin, "docs-hello", registered)
    cherrypy.tree.mount(Root(), "", {"/": {"tools.hello.on": True, "tools.hello.text": "hi"}})
    with serve() as base:
        response = requests.get(base + "/", timeout=10)
    assert response.text == "index"
    assert response.headers["X-Greeting"] == "hi"


def test_the_multi_callback_tool_example(registered: list[str]) -> None:
    module = load(block("class TimingTool(Tool):"), "docs_timing")
    cherrypy.tools.timing = module.timing_tool
    cherrypy.tree.mount(Root(), "", {"/": {"tools.timing.on": True}})
    with serve() as base:
        response = requests.get(base + "/", timeout=10)
    assert float(response.headers["X-Elapsed"]) >= 0


def test_the_dispatcher_example(registered: list[str]) -> None:
    module = load(block("cherrypy_flat/dispatcher.py"), "docs_flat")
    conf = {
        "/": {"request.dispatch": module.FlatDispatcher()},
        "/about": {"response.headers.X-Section": "about"},
    }
    cherrypy.tree.mount(Root(), "", conf)
    with serve() as base:
        about = requests.get(base + "/about", timeout=10)
        missing = requests.get(base + "/nowhere", timeout=10)
        again = requests.get(base + "/about", timeout=10)
    assert (about.status_code, about.text) == (200, "about page")
    assert about.headers["X-Section"] == "about"
    assert again.text == "about page"
    assert missing.status_code == 404


def test_the_dispatcher_registration_example(registered: list[str]) -> None:
    flat = load(block("cherrypy_flat/dispatcher.py"), "docs_flat")
    source = "from cherrypy.plugin import hookimpl\n" + block("cherrypy_register_dispatchers")
    plugin = load(source, "docs_flat_plugin")
    plugin.FlatDispatcher = flat.FlatDispatcher
    register(plugin, "docs-flat", registered)
    from cherrypy.kernel import boot  # the registry is filled at boot; this test reads it

    boot.boot()
    assert boot.dispatchers["FlatDispatcher"] is flat.FlatDispatcher


def test_the_session_store_example(registered: list[str]) -> None:
    pytest.importorskip("cherrypy_sessions")
    plugin = load(block("cherrypy_dictstore/plugin.py"), "docs_dictstore")
    register(plugin, "docs-dictstore", registered)

    class Counter:
        @cherrypy.expose
        def index(self) -> str:
            count = cherrypy.session.get("count", 0) + 1
            cherrypy.session["count"] = count
            return str(count)

    conf = {"/": {"tools.sessions.on": True, "tools.sessions.storage_type": "dict"}}
    cherrypy.tree.mount(Counter(), "", conf)
    with serve() as base, requests.Session() as client:
        counts = [client.get(base + "/", timeout=10).text for _ in range(3)]
    assert counts == ["1", "2", "3"]
    assert len(plugin.DictSession.store) == 1


def test_the_own_hook_example(registered: list[str]) -> None:
    plugin = load(block("cherrypy_hello_text"), "docs_hello_hook")
    register(plugin, "docs-hello-hook", registered)
    assert plugin.greeting() == "hello"
    answer = types.SimpleNamespace(cherrypy_hello_text=plugin.hookimpl(lambda: "good morning"))
    register(answer, "docs-hello-answer", registered)  # type: ignore[arg-type]
    assert plugin.greeting() == "good morning"


def test_the_take_over_example(registered: list[str]) -> None:
    pytest.importorskip("cherrypy_server")
    import socket
    from urllib.parse import urlsplit

    example = load(block("class Shout:"), "docs_shout")
    cherrypy.tree.mount(example.ShoutRoot(), "")
    with serve() as base:
        address = urlsplit(base)
        with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
            sock.sendall(
                b"GET /shout HTTP/1.1\r\nHost: localhost\r\nUpgrade: shout\r\n"
                b"Connection: Upgrade\r\n\r\n"
            )
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = sock.recv(4096)
                assert chunk
                head += chunk
            assert head.startswith(b"HTTP/1.1 101 ")
            sock.sendall(b"hello")
            assert sock.recv(5) == b"HELLO"
            sock.sendall(b"bye")
            assert sock.recv(10) == b""


def test_the_observer_example(registered: list[str]) -> None:
    from cherrypy.kernel import observe

    plugin = load(block("cherrypy_counts/plugin.py"), "docs_counts")
    assert plugin.CHERRYPY_PLUGIN_API == ">=1.2,<2"
    try:
        register(plugin, "docs-counts", registered)  # the historic hook is replayed to it
        assert plugin.counter in observe.observers
        cherrypy.tree.mount(Root(), "")
        with serve() as base, requests.Session() as client:
            ok = client.get(base + "/", timeout=10)
            client.get(base + "/", timeout=10)
            client.get(base + "/nowhere", timeout=10)
            client.get(base + "/nowhere/else", timeout=10)
        # The last request may still be closing when the client has read its answer.
        for _ in range(100):
            if sum(plugin.counter.counts.values()) == 4:
                break
            threading.Event().wait(0.05)
        assert plugin.counter.counts == {("/", "2xx"): 2, (None, "4xx"): 2}
        assert plugin.counter.seconds > 0
        assert ok.headers["X-Request-ID"]
    finally:
        observe.reset()
