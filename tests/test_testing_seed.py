"""The seed documentation's examples, driven through ``cherrypy.testing.Client``: no socket.

The same files as ``test_seed_programs.py`` and ``test_seed_fragments.py`` (which run them as
processes over HTTP), run in process: a program runs as ``python tutNN.py`` would, from a copy
of its folder, and a fragment through ``seed_examples/host.py``, with ``cherrypy.quickstart``
replaced by a function that keeps what it was given.  The client then serves that root and
config, with the engine started, while ``socket.socket.bind``, ``listen`` and ``connect`` fail
(checked after each test: nothing tried).  The static snippets name ``/home/site`` and the
memcached one a running memcached; those two stay with the process tests.
"""

from __future__ import annotations

import gzip
import runpy
import shutil
import socket
import string
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import cherrypy
from cherrypy.testing import Client, DigestAuth

SEED_EXAMPLES = Path(__file__).parent / "seed_examples"
HEX = set(string.hexdigits)

RunSeed = Callable[..., Client]


@pytest.fixture
def seed(
    cherrypy_client_factory: Callable[..., Client],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[RunSeed]:
    """``seed("tut06/tut06.py")`` or ``seed("json/encoding.py", fragment=True)`` -> a Client."""
    attempts: list[str] = []

    def refuse(name: str) -> Callable[..., Any]:
        def call(self: socket.socket, *args: Any) -> Any:
            attempts.append(name)
            raise OSError(f"no socket may be used here ({name})")

        return call

    for name in ("bind", "listen", "connect", "connect_ex"):
        monkeypatch.setattr(socket.socket, name, refuse(name))

    def run(*files: str, fragment: bool = False) -> Client:
        folder = tmp_path / "app"
        shutil.copytree((SEED_EXAMPLES / files[0]).parent, folder)
        monkeypatch.chdir(folder)
        started: list[tuple[Any, str, Any]] = []

        def quickstart(root: Any = None, script_name: str = "", config: Any = None) -> None:
            if config:
                cherrypy.config.update(config)
            started.append((root, script_name, config))

        monkeypatch.setattr(cherrypy, "quickstart", quickstart)
        names = [Path(name).name for name in files]
        if fragment:
            host = runpy.run_path(str(SEED_EXAMPLES / "host.py"), run_name="seed_host")
            host["main"](names)
        else:
            runpy.run_path(names[0], run_name="__main__")
        [(root, script_name, config)] = started
        return cherrypy_client_factory(root, config, script_name)

    yield run
    assert attempts == []


# -- complete programs --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("program", "greeting"),
    [
        ("hello_world.py", "Hello World!"),
        ("myapp.py", "Hello World!"),
        ("tut01.py", "Hello world!"),
    ],
)
def test_hello_world_programs(seed: RunSeed, program: str, greeting: str) -> None:
    client = seed(program)
    reply = client.get("/")
    assert (reply.status_code, reply.text) == (200, greeting)
    assert reply.headers["Content-Type"] == "text/html;charset=utf-8"
    assert client.get("/nothing").status_code == 404


def test_tutorial_2_generate(seed: RunSeed) -> None:
    client = seed("tut02.py")
    assert client.get("/").text == "Hello world!"
    text = client.get("/generate").text
    assert len(text) == 8 and set(text) <= HEX


def test_tutorial_3_length_parameter(seed: RunSeed) -> None:
    client = seed("tut03.py")
    assert len(client.get("/generate", params={"length": 16}).text) == 16
    assert client.get("/generate?length=x").status_code == 500


def test_tutorial_4_form(seed: RunSeed) -> None:
    client = seed("tut04.py")
    assert 'action="generate"' in client.get("/").text
    assert len(client.get("/generate", params={"length": "5"}).text) == 5


def test_tutorial_5_session_remembers_the_string(seed: RunSeed) -> None:
    client = seed("tut05.py")
    generated = client.get("/generate").text
    assert client.get("/display").text == generated
    assert seed_fresh_client(client).get("/display").status_code == 500  # no session: KeyError


def seed_fresh_client(client: Client) -> Client:
    """Another client of the same application (a new cookie jar)."""
    return Client(client.app)


def test_tutorial_6_static_stylesheet(seed: RunSeed) -> None:
    client = seed("tut06/tut06.py")
    css = client.get("/static/css/style.css")
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")
    assert css.body == (SEED_EXAMPLES / "tut06/public/css/style.css").read_bytes()
    generated = client.get("/generate", params={"length": 4}).text
    assert client.get("/display").text == generated


def test_tutorial_7_rest_session_as_the_seed_types_it(seed: RunSeed) -> None:
    client = seed("tut07.py")
    assert client.get("/").status_code == 500  # nothing stored yet
    posted = client.post("/")
    assert posted.status_code == 200 and len(posted.text) == 8
    assert client.get("/").text == posted.text
    assert client.get("/", headers={"Accept": "application/json"}).status_code == 406
    client.put("/", params={"another_string": "hello"})
    assert client.get("/").text == "hello"
    client.delete("/")
    assert client.get("/").status_code == 500


def test_tutorial_8_page_static_and_web_service(seed: RunSeed) -> None:
    client = seed("tut08/tut08_py3.py")
    assert "Give it now!" in client.get("/").text
    assert client.get("/static/css/style.css").status_code == 200
    posted = client.post("/generator", data={"length": "6"}).text
    assert client.get("/generator").text == posted


def test_tutorial_9_database_lives_with_the_engine(seed: RunSeed) -> None:
    client = seed("tut09/tut09_py3.py")
    try:
        # cherrypy.engine.subscribe('start', setup_database) ran when the client started it.
        posted = client.post("/generator").text
        assert client.get("/generator").text == posted
        client.put("/generator", params={"another_string": "hi"})
        assert client.get("/generator").text == "hi"
        assert client.get("/static/css/style.css").status_code == 200
    finally:
        for channel in ("start", "stop"):
            for listener in list(cherrypy.engine.listeners[channel]):
                if getattr(listener, "__name__", "") in ("setup_database", "cleanup_database"):
                    if channel == "stop":
                        listener()  # drop the table now, as the engine's stop would
                    cherrypy.engine.unsubscribe(channel, listener)


# -- fragments (run by host.py) -----------------------------------------------------------


@pytest.mark.parametrize(
    "files",
    [
        ("configuring/quickstart_dict.py",),
        ("configuring/quickstart_file.py",),
        ("configuring/local_decorator.py",),
        ("configuring/local_cp_config.py",),
    ],
)
def test_configuring_gzip(seed: RunSeed, files: tuple[str, ...]) -> None:
    client = seed(*files, fragment=True)
    reply = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert reply.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(reply.body).lower() == b"hello world!"
    assert "Content-Encoding" not in client.get("/").headers


@pytest.mark.parametrize(
    "fragment", ["configuring/config_update_dict.py", "configuring/config_update_file.py"]
)
def test_global_server_settings_bind_nothing_in_process(seed: RunSeed, fragment: str) -> None:
    client = seed(fragment, fragment=True)
    assert cherrypy.config["server.socket_port"] == 9090
    assert client.get("/").text == "Hello World!"


def test_sessions_counter(seed: RunSeed) -> None:
    client = seed("sessions/counter.py", "sessions/quickstart_file.py", fragment=True)
    for _ in range(3):
        assert client.get("/").status_code == 200
    assert client.get("/count").text == "3"


def test_json_encoding(seed: RunSeed) -> None:
    reply = seed("json/encoding.py", fragment=True).get("/")
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.json() == {"key": "value"}


def test_json_decoding(seed: RunSeed) -> None:
    client = seed("json/decoding.py", fragment=True)
    assert client.post("/", json={"a": 1}).status_code == 200  # the handler returns None
    assert (
        client.post(
            "/", data=b"{not json", headers={"Content-Type": "application/json"}
        ).status_code
        == 400
    )


def test_auth_basic(seed: RunSeed) -> None:
    client = seed("auth/basic.py", fragment=True)
    assert client.get("/protected/area/").status_code == 401
    reply = client.get("/protected/area/", auth=("jon", "secret"))
    assert reply.text == "Welcome to the protected area, jon"
    assert client.get("/protected/area/", auth=("jon", "wrong")).status_code == 401
    assert client.get("/").text == "Hello World!"


def test_auth_digest(seed: RunSeed) -> None:
    client = seed("auth/digest.py", fragment=True)
    challenge = client.get("/protected/area/")
    assert challenge.status_code == 401
    assert challenge.headers["WWW-Authenticate"].startswith("Digest ")
    reply = client.get("/protected/area/", auth=DigestAuth("jon", "secret"))
    assert reply.text == "Welcome to the protected area, jon"
    assert client.get("/protected/area/", auth=DigestAuth("jon", "x")).status_code == 401


@pytest.mark.parametrize(
    "fragment", ["logging/log_message.py", "logging/log_traceback.py", "logging/named_logger.py"]
)
def test_logging_fragments(seed: RunSeed, fragment: str) -> None:
    assert seed(fragment, fragment=True).get("/").text == "Hello World!"
