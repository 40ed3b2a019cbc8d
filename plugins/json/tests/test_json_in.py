"""tools.json_in over real HTTP, with both codecs: every option and every malformed body."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import pytest
import requests

import cherrypy

pytestmark = pytest.mark.usefixtures("codec")


class Root:
    @cherrypy.expose
    @cherrypy.tools.json_in()
    def index(self) -> str:
        return repr(cherrypy.request.json)


class Plain:
    """Configured per test through the ``tools.json_in`` config keys."""

    @cherrypy.expose
    def index(self, **params: Any) -> str:
        request = cherrypy.request
        parsed = repr(request.json) if hasattr(request, "json") else "-"
        return f"{parsed}|{sorted(params.items())!r}"


def post(
    base: str, body: bytes, content_type: str | None = "application/json"
) -> requests.Response:
    headers = {} if content_type is None else {"Content-Type": content_type}
    return requests.post(base + "/", data=body, headers=headers, timeout=30)


def conf(**options: Any) -> dict[str, dict[str, Any]]:
    settings: dict[str, Any] = {"tools.json_in.on": True}
    settings.update({f"tools.json_in.{key}": value for key, value in options.items()})
    return {"/": settings}


@pytest.mark.parametrize(
    "document",
    [{"a": 1, "b": [True, None, 2.5]}, [1, "two"], "text", 42, None, {"é": "\u2028"}, {}],
)
def test_documents_reach_request_json(serve_root: Callable[..., str], document: Any) -> None:
    base = serve_root(Root())
    response = post(base, json.dumps(document).encode())
    assert response.status_code == 200
    assert response.text == repr(document)


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "text/javascript", "application/json; charset=utf-8", "APPLICATION/JSON"],
)
def test_default_content_types(serve_root: Callable[..., str], content_type: str) -> None:
    base = serve_root(Root())
    assert post(base, b'{"ok": true}', content_type).text == "{'ok': True}"


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
)
def test_other_types_are_refused_with_415(
    serve_root: Callable[..., str], content_type: str | None
) -> None:
    base = serve_root(Root())
    response = post(base, b"{}", content_type)
    assert response.status_code == 415
    assert (
        b"Expected an entity of content type application/json, text/javascript" in response.content
    )


def test_content_type_option_string(serve_root: Callable[..., str]) -> None:
    base = serve_root(Plain(), conf(content_type="application/vnd.api+json"))
    assert post(base, b"[1]", "application/vnd.api+json").text == "[1]|[]"
    response = post(base, b"[1]", "application/json")
    assert response.status_code == 415
    assert b"Expected an entity of content type application/vnd.api+json<" in response.content


def test_content_type_option_list(serve_root: Callable[..., str]) -> None:
    base = serve_root(Plain(), conf(content_type=["application/a+json", "application/b+json"]))
    assert post(base, b"1", "application/a+json").text == "1|[]"
    assert post(base, b"2", "application/b+json").text == "2|[]"
    assert post(base, b"3", "application/json").status_code == 415


def test_force_false_keeps_the_other_processors(serve_root: Callable[..., str]) -> None:
    base = serve_root(Plain(), conf(force=False))
    assert post(base, b'{"a": 1}').text == "{'a': 1}|[]"
    form = post(base, b"x=1&y=2", "application/x-www-form-urlencoded")
    assert form.text == "-|[('x', '1'), ('y', '2')]"
    raw = post(base, b"anything", "application/octet-stream")
    assert raw.status_code == 200
    assert raw.text == "-|[]"


def test_processor_option(serve_root: Callable[..., str]) -> None:
    def upper_processor(entity: Any) -> None:
        cherrypy.serving.request.json = entity.read().decode().upper()

    base = serve_root(Plain(), conf(processor=upper_processor))
    assert post(base, b'"abc"').text == "'\"ABC\"'|[]"


def test_decorator_with_options(serve_root: Callable[..., str]) -> None:
    class Decorated:
        @cherrypy.expose
        @cherrypy.tools.json_in(content_type="text/json", max_depth=2, max_bytes=50)
        def index(self) -> str:
            return repr(cherrypy.request.json)

    base = serve_root(Decorated())
    assert post(base, b"[[1]]", "text/json").text == "[[1]]"
    assert post(base, b"[[[1]]]", "text/json").status_code == 400
    assert post(base, b"[" + b"1," * 30 + b"1]", "text/json").status_code == 413
    assert post(base, b"[1]", "application/json").status_code == 415


@pytest.mark.parametrize(
    "body",
    [
        b"{bad",
        b"",
        b"   ",
        b"[1] trailing",
        b"[1,]",
        b'{"a": 1,}',
        b"\xff\xfe",
        b'"\xc3"',
        b"\xef\xbb\xbf{}",  # a UTF-8 byte order mark is not JSON
        b"[" * 100_000,
        b"{" * 100_000,
        b'{"a":' * 5000 + b"1" + b"}" * 5000,
        b"nul",
        b"\x00",
    ],
)
def test_invalid_json_gives_400(serve_root: Callable[..., str], body: bytes) -> None:
    base = serve_root(Root())
    response = post(base, body)
    assert response.status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        b"[13, -]",
        b"-",
        b'{"a": -}',
        b"01",
        b"[-01]",
        b"1.",
        b"[2.e5]",
        b"-.5",
        b'"a\tb"',
        b'"a\x01b"',
    ],
)
def test_text_a_lenient_parser_would_accept_gives_400(
    serve_root: Callable[..., str], body: bytes
) -> None:
    # ujson reads "-" as 0, "01" as 1 and takes raw control characters inside strings.
    base = serve_root(Root())
    response = post(base, body)
    assert response.status_code == 400
    assert b"Invalid JSON document" in response.content
    assert b"Invalid JSON document" in response.content


def test_random_bodies_never_give_500(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root())
    rng = random.Random(7)
    alphabet = b'{}[]",:0123456789.eE+-truefalsnl \\u\xc3\xa9\xff\x00'
    session = requests.Session()
    for _ in range(200):
        body = bytes(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
        response = session.post(
            base + "/", data=body, headers={"Content-Type": "application/json"}, timeout=10
        )
        assert response.status_code in (200, 400), body


def test_depth_limit(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root())
    assert post(base, b"[" * 100 + b"]" * 100).status_code == 200
    response = post(base, b"[" * 101 + b"]" * 101)
    assert response.status_code == 400
    assert b"nested deeper than 100 levels" in response.content
    mixed = b'{"a": ' * 50 + b"[" * 51 + b"]" * 51 + b"}" * 50
    assert post(base, mixed).status_code == 400


def test_brackets_inside_strings_do_not_count(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root())
    document = json.dumps(["[{" * 500])
    assert post(base, document.encode()).status_code == 200


@pytest.mark.parametrize(
    ("max_depth", "depth", "status"), [(3, 3, 200), (3, 4, 400), (None, 500, 200)]
)
def test_max_depth_option(
    serve_root: Callable[..., str], max_depth: int | None, depth: int, status: int
) -> None:
    base = serve_root(Plain(), conf(max_depth=max_depth))
    assert post(base, b"[" * depth + b"]" * depth).status_code == status


def test_max_bytes_option(serve_root: Callable[..., str]) -> None:
    base = serve_root(Plain(), conf(max_bytes=100))
    exact = b'"' + b"a" * 98 + b'"'
    assert post(base, exact).status_code == 200
    response = post(base, b'"' + b"a" * 99 + b'"')
    assert response.status_code == 413
    assert b"larger than 100 bytes" in response.content


def test_default_max_bytes_is_16_mib(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root())
    limit = 16 * 1024 * 1024
    assert post(base, b'"' + b"a" * (limit - 2) + b'"').status_code == 200
    assert post(base, b'"' + b"a" * (limit - 1) + b'"').status_code == 413


def test_max_bytes_none_disables_the_limit(serve_root: Callable[..., str]) -> None:
    base = serve_root(Plain(), conf(max_bytes=None))
    big = b'"' + b"a" * (17 * 1024 * 1024) + b'"'
    response = post(base, big)
    assert response.status_code == 200


def test_chunked_bodies_are_bounded_too(
    wsgi_call: Callable[..., tuple[str, dict[str, str], bytes]],
) -> None:
    cherrypy.tree.mount(Plain(), "", conf(max_bytes=10))
    headers = {"Transfer-Encoding": "chunked", "Content-Type": "application/json"}
    status, _, body = wsgi_call("POST", "/", b"[1, 2, 3]", headers)
    assert (status[:3], body) == ("200", b"[1, 2, 3]|[]")
    status, _, _ = wsgi_call("POST", "/", b"[1, 2, 3, 4]", headers)
    assert status.startswith("413")


def test_post_without_length_gives_411(
    wsgi_call: Callable[..., tuple[str, dict[str, str], bytes]],
) -> None:
    cherrypy.tree.mount(Root(), "")
    status, _, _ = wsgi_call("POST", "/", b"{}", {"Content-Type": "application/json"})
    assert status.startswith("411")


def test_get_requests_are_not_parsed(serve_root: Callable[..., str]) -> None:
    base = serve_root(Plain(), conf())
    response = requests.get(base + "/?q=1", timeout=10)
    assert response.text == "-|[('q', '1')]"


def test_handler_is_not_called_on_bad_bodies(serve_root: Callable[..., str]) -> None:
    calls = []

    class Counting:
        @cherrypy.expose
        @cherrypy.tools.json_in()
        def index(self) -> str:
            calls.append(1)
            return "called"

    base = serve_root(Counting())
    for body, content_type in [(b"{", "application/json"), (b"{}", "text/plain")]:
        assert post(base, body, content_type).status_code in (400, 415)
    assert calls == []


def test_debug_option_logs(serve_root: Callable[..., str], error_log: list[str]) -> None:
    base = serve_root(Plain(), conf(debug=True))
    post(base, b"{}")
    assert any("Adding body processor for application/json" in m for m in error_log)
    assert any("Removing body processors" in m for m in error_log)


SEED_DECODING_REQUEST = """
class Root(object):
    @cherrypy.expose
    @cherrypy.tools.json_in()
    def index(self):
        data = cherrypy.request.json
"""


def test_seed_decoding_request_example(serve_root: Callable[..., str]) -> None:
    namespace: dict[str, Any] = {"cherrypy": cherrypy}
    exec(SEED_DECODING_REQUEST, namespace)
    base = serve_root(namespace["Root"]())
    response = requests.post(base + "/", json={"key": "value"}, timeout=10)
    assert response.status_code == 200
    assert response.content == b""
    assert requests.post(base + "/", data=b"{", timeout=10).status_code == 415
    bad = requests.post(
        base + "/", data=b"{", headers={"Content-Type": "application/json"}, timeout=10
    )
    assert bad.status_code == 400
