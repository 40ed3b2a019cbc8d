"""The codec: ujson through the cherrypy_json_codec hook, the stdlib fallback, other plugins'
codecs winning, and the compatibility modules cherrypy.lib.jsontools and cherrypy._json."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

import cherrypy
from cherrypy.plugin import get_plugin_manager, hookimpl
from cherrypy_json import codec


@pytest.fixture
def fresh_codec() -> Iterator[None]:
    """Resolve the codec anew in the test, and forget it afterwards."""
    codec.reset_codec()
    yield
    codec.reset_codec()


def test_ujson_is_the_default(fresh_codec: None) -> None:
    dumps, loads = codec.get_codec()
    assert dumps.__module__ == "cherrypy_json.codec"
    assert "ujson" in (dumps.__doc__ or "")
    assert dumps({"a": [1, 1e-7]}) == '{"a": [1, 1e-07]}'
    assert loads(b'{"a": 1}') == {"a": 1}
    assert codec.get_codec() is codec.get_codec()  # resolved once


def test_stdlib_fallback_without_ujson(fresh_codec: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ujson", None)  # makes "import ujson" fail
    assert codec.ujson_codec() is None
    dumps, loads = codec.get_codec()
    assert (dumps, loads) == codec.stdlib_codec()
    assert dumps({"é": 1}) == '{"\\u00e9": 1}'
    assert loads(b'{"a": 1}') == {"a": 1}
    with pytest.raises(UnicodeDecodeError):
        loads(b'"\xff"')


def test_another_plugins_codec_wins(fresh_codec: None, serve_root: Callable[..., str]) -> None:
    class ShoutingCodec:
        @hookimpl
        def cherrypy_json_codec(self) -> Any:
            return (lambda value: json.dumps(value).upper()), json.loads

    manager = get_plugin_manager()
    plugin = ShoutingCodec()
    manager.register(plugin, name="shouting-codec")
    try:

        class Root:
            @cherrypy.expose
            @cherrypy.tools.json_out()
            def index(self) -> Any:
                return {"key": "value"}

        base = serve_root(Root())
        assert requests.get(base + "/", timeout=10).content == b'{"KEY": "VALUE"}'
    finally:
        manager.unregister(plugin)


def test_ujson_refusals_fall_back_to_the_stdlib() -> None:
    pair = codec.ujson_codec()
    assert pair is not None
    dumps = pair[0]
    with pytest.raises(TypeError, match="is not JSON serializable"):
        dumps(object())
    deep: list[Any] = []
    for _ in range(2000):
        deep = [deep]
    with pytest.raises(RecursionError):
        dumps(deep)  # ujson gives up first; the standard library's error is what surfaces


@pytest.mark.parametrize(
    "value",
    [
        [1e-5, 1e-7, 1.5e-9, 2.5e-10, 1e-100, -3e-6, 1e16, 1e22],
        {"e-5": "1e-5", "k": ['x"1e-6', "\\", 'a\\"b 1e-5', 4e-5]},
        {"a": "1e-5\\", "b": 1e-5},
    ],
)
def test_exponents_are_written_like_the_stdlib(value: Any) -> None:
    pair = codec.ujson_codec()
    assert pair is not None
    assert pair[0](value) == json.dumps(value)


def test_lib_jsontools() -> None:
    from cherrypy.lib import jsontools

    assert jsontools is importlib.import_module("cherrypy.lib.jsontools")
    for name in ("json_in", "json_out", "json_processor", "json_handler"):
        assert callable(getattr(jsontools, name))


def test_private_json_module() -> None:
    from cherrypy import _json

    assert _json.json is json
    assert b"".join(_json.encode({"a": 1})) == b'{"a": 1}'
    assert _json.decode('{"a": 1}') == {"a": 1}


def test_tools_are_registered() -> None:
    from cherrypy_json import plugin

    assert cherrypy.tools.json_in is plugin.json_in_tool
    assert cherrypy.tools.json_out is plugin.json_out_tool
    assert (plugin.json_in_tool._point, plugin.json_in_tool._priority) == (
        "before_request_body",
        30,
    )
    assert (plugin.json_out_tool._point, plugin.json_out_tool._priority) == ("before_handler", 30)


def test_docs_example(docs_example: Callable[[str], str]) -> None:
    base = docs_example("json.md")
    response = requests.post(base + "/echo", json={"a": [1, 2]}, timeout=10)
    assert response.content == b'{"you sent": {"a": [1, 2]}}'
    assert response.headers["Content-Type"] == "application/json"
