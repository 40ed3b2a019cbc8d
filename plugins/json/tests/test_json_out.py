"""tools.json_out over real HTTP, with both codecs: CherryPy's exact bytes and every option."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import requests

import cherrypy

pytestmark = pytest.mark.usefixtures("codec")

SEED_ENCODING_RESPONSE = """
class Root(object):
    @cherrypy.expose
    @cherrypy.tools.json_out()
    def index(self):
        return {'key': 'value'}
"""

VALUES: list[Any] = [
    {"key": "value"},
    [1, 2.5, 0.1, 1e16, 1e-7, 1.5e-5, 3e-300, -0.0, 123456789012345678901234567890],
    {"unicode": "é\u2028😀", "slash": "a/b", "quote": '"\\', "control": "\x00\x1f"},
    {"nested": [{"a": None, "b": True, "c": False}, [], {}]},
    (1, "tuple"),
    {1: "int key", None: "null key", 2.5: "float key"},
    {True: "bool key", False: "false key"},
    float("nan"),
    [float("inf"), float("-inf")],
    "e-mail 1e-5 in a string",
    None,
    2**64,
]


class Root:
    def __init__(self) -> None:
        self.value: Any = None

    @cherrypy.expose
    @cherrypy.tools.json_out()
    def index(self) -> Any:
        return self.value

    @cherrypy.expose
    @cherrypy.tools.json_out()
    def fail(self) -> Any:
        raise cherrypy.HTTPError(403, "no")

    @cherrypy.expose
    @cherrypy.tools.json_out()
    def unserializable(self) -> Any:
        return {"x": object()}

    @cherrypy.expose
    @cherrypy.tools.json_in()
    @cherrypy.tools.json_out()
    def echo(self) -> Any:
        return cherrypy.request.json


def test_seed_encoding_response_example(serve_root: Callable[..., str]) -> None:
    namespace: dict[str, Any] = {"cherrypy": cherrypy}
    exec(SEED_ENCODING_RESPONSE, namespace)
    base = serve_root(namespace["Root"]())
    response = requests.get(base + "/", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Content-Length"] == "16"
    assert response.content == b'{"key": "value"}'


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_bytes_are_cherrypys(serve_root: Callable[..., str], value: Any) -> None:
    root = Root()
    root.value = value
    base = serve_root(root)
    response = requests.get(base + "/", timeout=10)
    assert response.status_code == 200
    # CherryPy 18 writes json.JSONEncoder().iterencode(value), UTF-8 encoded.
    assert response.content == json.JSONEncoder().encode(value).encode("utf-8")


def test_errors_keep_their_html_page(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root())
    response = requests.get(base + "/fail", timeout=10)
    assert response.status_code == 403
    assert response.headers["Content-Type"] == "text/html;charset=utf-8"


def test_unserializable_values_are_a_server_error(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root())
    response = requests.get(base + "/unserializable", timeout=10)
    assert response.status_code == 500
    assert b"is not JSON serializable" in response.content


def test_json_in_and_out_together(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root())
    response = requests.post(base + "/echo", json={"a": [1, "é"]}, timeout=10)
    assert response.content == b'{"a": [1, "\\u00e9"]}'
    assert response.json() == {"a": [1, "é"]}


class Configured:
    @cherrypy.expose
    def index(self) -> Any:
        return {"n": 1}


def test_content_type_option(serve_root: Callable[..., str]) -> None:
    conf = {
        "/": {"tools.json_out.on": True, "tools.json_out.content_type": "application/vnd.x+json"}
    }
    base = serve_root(Configured(), conf)
    response = requests.get(base + "/", timeout=10)
    assert response.headers["Content-Type"] == "application/vnd.x+json"
    assert response.content == b'{"n": 1}'


def test_content_type_none_leaves_the_header_alone(serve_root: Callable[..., str]) -> None:
    conf = {"/": {"tools.json_out.on": True, "tools.json_out.content_type": None}}
    base = serve_root(Configured(), conf)
    response = requests.get(base + "/", timeout=10)
    assert response.headers["Content-Type"] == "text/html;charset=utf-8"
    assert response.content == b'{"n": 1}'


def test_handler_option(serve_root: Callable[..., str]) -> None:
    def pretty_handler(*args: Any, **kwargs: Any) -> bytes:
        value = cherrypy.serving.request._json_inner_handler(*args, **kwargs)
        return json.dumps(value, indent=1, sort_keys=True).encode()

    class Decorated:
        @cherrypy.expose
        @cherrypy.tools.json_out(handler=pretty_handler)
        def index(self, b: str = "2") -> Any:
            return {"b": int(b), "a": 1}

    base = serve_root(Decorated())
    response = requests.get(base + "/?b=3", timeout=10)
    assert response.content == b'{\n "a": 1,\n "b": 3\n}'
    assert response.headers["Content-Type"] == "application/json"


def test_handler_option_with_the_public_inner_handler(serve_root: Callable[..., str]) -> None:
    seen = []

    def wrapping_handler(*args: Any, **kwargs: Any) -> bytes:
        request = cherrypy.serving.request
        seen.append(request.inner_handler is request._json_inner_handler)
        return json.dumps({"wrapped": request.inner_handler(*args, **kwargs)}).encode()

    class Decorated:
        @cherrypy.expose
        @cherrypy.tools.json_out(handler=wrapping_handler)
        def index(self) -> Any:
            return [1]

    base = serve_root(Decorated())
    assert requests.get(base + "/", timeout=10).content == b'{"wrapped": [1]}'
    assert seen == [True]


def test_nothing_to_wrap_when_another_tool_answered(serve_root: Callable[..., str]) -> None:
    def answer_early() -> None:
        cherrypy.serving.response.body = b"answered early"
        cherrypy.serving.request.handler = None

    cherrypy.tools.answer_early = cherrypy.Tool("before_handler", answer_early, priority=10)
    try:
        conf = {"/": {"tools.json_out.on": True, "tools.answer_early.on": True}}
        base = serve_root(Configured(), conf)
        response = requests.get(base + "/", timeout=10)
        assert response.content == b"answered early"
        assert response.headers["Content-Type"] == "text/html"  # json_out did not touch it
    finally:
        del cherrypy.tools.answer_early


def test_debug_option_logs(serve_root: Callable[..., str], error_log: list[str]) -> None:
    conf = {"/": {"tools.json_out.on": True, "tools.json_out.debug": True}}
    base = serve_root(Configured(), conf)
    requests.get(base + "/", timeout=10)
    assert any("with JSON handler" in message for message in error_log)
    assert any("Setting Content-Type to application/json" in message for message in error_log)
