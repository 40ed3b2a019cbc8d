"""``cherrypy.server`` (the adapter), the pluggy plugin, entry points and the command line."""

from __future__ import annotations

import importlib.metadata
import os
import signal
import socket
import subprocess
import sys
import types
import urllib.request

import pytest

from cherrypy_server import adapter as adapter_module
from cherrypy_server import plugin
from cherrypy_server.adapter import Server, server_namespace_handler
from cherrypy_server.servers import ServerAdapter, Timeout, check_port, client_host
from cherrypy_server.wsgi_server import CPWSGIServer


class FakeBus:
    """Just enough of ``cherrypy.engine`` for adapters: channels, a log, exit."""

    def __init__(self):
        self.listeners: dict[str, set] = {"start": set(), "stop": set()}
        self.messages: list[str] = []
        self.exited = False

    def subscribe(self, channel, callback, priority=None):
        self.listeners.setdefault(channel, set()).add(callback)

    def unsubscribe(self, channel, callback):
        self.listeners.get(channel, set()).discard(callback)

    def log(self, msg="", level=20, traceback=False):
        self.messages.append(msg)

    def exit(self):
        self.exited = True

    def graceful(self):
        pass

    def publish(self, channel):
        for callback in sorted(self.listeners[channel], key=lambda cb: getattr(cb, "priority", 50)):
            callback()


def hello_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello from " + environ["PATH_INFO"].encode()]


@pytest.fixture
def fake_cherrypy(monkeypatch):
    """A stand-in ``cherrypy`` module with ``tree`` and ``engine``."""
    module = types.ModuleType("cherrypy")
    module.engine = FakeBus()
    module.tree = hello_app
    module.__version__ = "18.10.0"
    monkeypatch.setitem(sys.modules, "cherrypy", module)
    monkeypatch.setattr(adapter_module, "_plugin_factory", lambda: None)
    monkeypatch.setattr(adapter_module, "servers", {})
    return module


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read()


def test_server_defaults_match_cherrypy():
    server = Server()
    assert server.socket_host == "127.0.0.1" and server.socket_port == 8080
    assert server.bind_addr == ("127.0.0.1", 8080)
    assert server.socket_file is None and server.socket_queue_size == 5
    assert server.socket_timeout == 10 and server.shutdown_timeout == 5
    assert server.thread_pool == 10 and server.thread_pool_max == 100
    assert server.accepted_queue_size == -1 and server.accepted_queue_timeout == 10
    assert server.protocol_version == "HTTP/1.1"
    assert server.max_request_header_size == 500 * 1024
    assert server.max_request_body_size == 100 * 1024 * 1024
    assert server.nodelay is True and server.ssl_module == "builtin"
    assert server.instance is None and server.httpserver is None and server.statistics is False
    assert server.base() == "http://127.0.0.1:8080"


def test_bind_addr_and_base():
    server = Server()
    server.bind_addr = ("0.0.0.0", 80)
    assert (server.socket_host, server.socket_port) == ("0.0.0.0", 80)
    assert server.base() == f"http://{socket.gethostname()}"
    server.ssl_certificate = "cert.pem"
    server.bind_addr = ("example.com", 443)
    assert server.base() == "https://example.com"
    server.bind_addr = "/tmp/x.sock"
    assert server.socket_file == "/tmp/x.sock" and server.bind_addr == "/tmp/x.sock"
    assert server.base() == "/tmp/x.sock"
    with pytest.raises(ValueError, match="empty string"):
        server.socket_host = ""
    with pytest.raises(ValueError, match="bind_addr must be"):
        server.bind_addr = (1, 2, 3)


def test_adapter_starts_serves_tree_and_stops(fake_cherrypy):
    server = Server()
    server.socket_port = 0
    server.thread_pool = 3
    server.subscribe()
    bus = fake_cherrypy.engine
    assert server.start in bus.listeners["start"] and server.stop in bus.listeners["stop"]
    bus.publish("start")
    try:
        port = server.bound_addr[1]
        assert port != 0
        assert f"Serving on http://127.0.0.1:{port}" in bus.messages
        assert isinstance(server.httpserver, CPWSGIServer)
        assert server.httpserver.minthreads == 3
        assert get(f"http://127.0.0.1:{port}/a") == b"hello from /a"

        def replacement(environ, start_response):
            start_response("200 OK", [])
            return [b"replaced tree"]

        fake_cherrypy.tree = replacement
        assert get(f"http://127.0.0.1:{port}/a") == b"replaced tree"
    finally:
        bus.publish("stop")
    assert any(
        message.startswith("HTTP Server ") and message.endswith(" shut down")
        for message in bus.messages
    )
    assert not server.running
    server.unsubscribe()
    assert server.start not in bus.listeners["start"]


def test_adapter_refuses_a_port_in_use(fake_cherrypy):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        server = Server()
        server.socket_port = port
        with pytest.raises(Timeout, match=f"Port {port} not free on 127.0.0.1"):
            server.start()


def test_adapter_with_instance_and_unix_socket(fake_cherrypy, tmp_path):
    from cherrypy_server import HTTPServer

    path = str(tmp_path / "adapter.sock")
    server = Server()
    server.socket_file = path
    server.instance = HTTPServer(path, hello_app)
    server.start()
    try:
        assert f"Serving on socket file: {path}" in fake_cherrypy.engine.messages
        sock = socket.socket(socket.AF_UNIX)
        sock.settimeout(5)
        sock.connect(path)
        sock.sendall(b"GET /u HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert sock.recv(4096).endswith(b"hello from /u")
        sock.close()
    finally:
        server.stop()


def test_server_adapter_generic_httpserver(fake_cherrypy):
    class Dummy:
        ready = False
        socket = None

        def start(self):
            self.ready = True

        def stop(self):
            self.ready = False

    bus = FakeBus()
    dummy = Dummy()
    adapter = ServerAdapter(bus, dummy, None)
    adapter.start()
    assert adapter.running and "Serving on unknown interface (dynamic?)" in bus.messages
    adapter.stop()
    assert not adapter.running and not dummy.ready


def test_namespace_handler_configures_default_and_extra_servers(fake_cherrypy, monkeypatch):
    default = Server()
    monkeypatch.setattr(adapter_module, "server", default)
    server_namespace_handler("socket_port", 9999)
    server_namespace_handler("thread_pool", 30)
    assert default.socket_port == 9999 and default.thread_pool == 30
    server_namespace_handler("alt.socket_port", 8081)
    server_namespace_handler("alt.socket_host", "0.0.0.0")
    extra = adapter_module.servers["alt"]
    assert extra is not default and extra.bind_addr == ("0.0.0.0", 8081)
    assert fake_cherrypy.servers["alt"] is extra
    assert extra.start in fake_cherrypy.engine.listeners["start"]
    server_namespace_handler("alt.on", False)
    assert extra.start not in fake_cherrypy.engine.listeners["start"]


def test_plugin_hooks(fake_cherrypy, monkeypatch):
    default = Server()
    monkeypatch.setattr(adapter_module, "server", default)
    engine = FakeBus()
    plugin.cherrypy_engine_setup(engine)
    handler = engine.signal_handler
    plugin.cherrypy_engine_setup(engine)
    assert engine.listeners["start"] == {default.start}
    # No other plugin gave the engine a signal handler: the server's own fills the slot, once.
    assert type(handler).__name__ == "StopSignalHandler" and engine.signal_handler is handler
    namespaces: dict = {}
    plugin.cherrypy_config_namespaces(namespaces, "app")
    assert namespaces == {}
    plugin.cherrypy_config_namespaces(namespaces, "global")
    assert namespaces["server"] is server_namespace_handler
    default.thread_pool = 7
    default.socket_port = 0
    httpserver = plugin.cherrypy_make_http_server(default, hello_app)
    assert isinstance(httpserver, CPWSGIServer)
    assert httpserver.minthreads == 7 and httpserver.wsgi_app is hello_app
    assert httpserver.version == "CherryPy/18.10.0"


def test_plugin_factory_is_used_when_the_kernel_offers_one(fake_cherrypy, monkeypatch):
    made = []
    replacement = object()

    def factory(adapter, wsgi_app):
        made.append((adapter, wsgi_app))
        return replacement

    monkeypatch.setattr(adapter_module, "_plugin_factory", lambda: factory)
    server = Server()
    assert server.httpserver_from_self() == (replacement, ("127.0.0.1", 8080))
    assert made[0][0] is server


def test_make_http_server_hook_is_this_plugins_own():
    from cherrypy.plugin import get_plugin_manager
    from cherrypy_server import hookspecs

    caller = get_plugin_manager().hook.cherrypy_make_http_server
    assert caller.spec.namespace is hookspecs and caller.spec.opts["firstresult"]
    assert plugin.CHERRYPY_PLUGIN_API == ">=1.3,<2"
    make = adapter_module._plugin_factory()
    assert make is not None
    server = Server()
    server.socket_port = 0
    assert isinstance(make(server, hello_app), CPWSGIServer)


def test_hookimpls_carry_the_cherrypy_marker():
    for name in (
        "cherrypy_addhooks",
        "cherrypy_engine_setup",
        "cherrypy_config_namespaces",
        "cherrypy_make_http_server",
    ):
        assert hasattr(getattr(plugin, name), "cherrypy_impl")


def test_entry_points_are_declared():
    plugins = {
        ep.name: ep.value for ep in importlib.metadata.entry_points(group="cherrypy.plugins")
    }
    assert plugins["server"] == "cherrypy_server.plugin"
    compat = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="cherrypy.compat")}
    assert compat["cherrypy.server"] == "cherrypy_server.adapter:server"
    assert compat["cherrypy._cpserver"] == "cherrypy_server.adapter"
    assert compat["cherrypy._cpwsgi_server"] == "cherrypy_server.wsgi_server"
    assert compat["cherrypy.process.servers"] == "cherrypy_server.servers"


def test_port_helpers():
    assert client_host("0.0.0.0") == "127.0.0.1" and client_host("::") == "::1"
    assert client_host("10.1.2.3") == "10.1.2.3"
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(OSError, match="in use"):
            check_port("127.0.0.1", busy.getsockname()[1])


def test_command_line_serves_a_wsgi_callable(tmp_path):
    (tmp_path / "cli_app.py").write_text(
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return [b'from the command line']\n"
    )
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cherrypy_server",
            "cli_app:app",
            "--bind",
            "127.0.0.1:0",
            "--threads",
            "2",
        ],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stderr.readline()
        assert "Serving cli_app:app on http://127.0.0.1:" in line
        port = int(line.rsplit(":", 1)[1])
        assert get(f"http://127.0.0.1:{port}/") == b"from the command line"
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        process.stderr.close()


def test_documented_example_runs():
    from pathlib import Path

    page = Path(__file__).resolve().parents[3] / "docs" / "server.md"
    blocks = page.read_text().split("```python\n")[1:]
    example = next(block.split("```")[0] for block in blocks if "HTTPServer(" in block)
    exec(compile(example, str(page), "exec"), {"__name__": "docs_example"})
