"""XMLRPCController, XMLRPCDispatcher and tools.xmlrpc driven by ``xmlrpc.client.ServerProxy``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from xmlrpc.client import DateTime, Fault, ServerProxy

import pytest
import requests

import cherrypy
from cherrypy import _cptools


class Maths:
    """A nested namespace of RPC methods."""

    @cherrypy.expose
    def add(self, a: int, b: int) -> int:
        return a + b

    def hidden(self) -> str:
        return "not exposed"


class XmlRpc(_cptools.XMLRPCController):
    maths = Maths()

    @cherrypy.expose
    def foo(self) -> str:
        return "Hello world!"

    @cherrypy.expose
    def return_composite(self) -> Any:
        return dict(a=1, z=26), "hi", ["welcome", "friend"]

    @cherrypy.expose
    def return_datetime(self) -> DateTime:
        return DateTime((2003, 10, 7, 8, 1, 0, 1, 280, -1))

    @cherrypy.expose
    def return_none(self) -> None:
        return None

    @cherrypy.expose
    def test_argument_passing(self, num: Any) -> Any:
        return num * 2

    @cherrypy.expose
    def test_returning_Fault(self) -> Fault:
        return Fault(1, "custom Fault response")

    @cherrypy.expose
    def raise_fault(self) -> None:
        raise Fault(42, "with its own code")

    @cherrypy.expose
    def unicode(self, text: str) -> str:
        return text + " \u00e9\u20ac"

    def _private(self) -> str:
        return "private"

    _private.exposed = True  # type: ignore[attr-defined]


class Root:
    @cherrypy.expose
    def index(self) -> str:
        return "I'm a standard index!"


@pytest.fixture
def base(serve_root: Callable[..., str]) -> str:
    root = Root()
    root.xmlrpc = XmlRpc()  # type: ignore[attr-defined]
    conf = {
        "/": {
            "request.dispatch": cherrypy.dispatch.XMLRPCDispatcher(),
            "tools.xmlrpc.allow_none": 0,
        }
    }
    return serve_root(root, conf)


def test_plain_http_get_reaches_the_method(base: str) -> None:
    reply = requests.get(base + "/xmlrpc/foo")
    assert reply.status_code == 200
    assert reply.text == "Hello world!"
    assert requests.get(base + "/").text == "I'm a standard index!"


def test_values_round_trip(base: str) -> None:
    proxy = ServerProxy(base + "/xmlrpc/")
    assert proxy.foo() == "Hello world!"
    assert proxy.return_composite() == [{"a": 1, "z": 26}, "hi", ["welcome", "friend"]]
    assert proxy.return_datetime() == DateTime((2003, 10, 7, 8, 1, 0, 1, 280, -1))
    assert proxy.test_argument_passing(22) == 44
    assert proxy.unicode("caf\u00e9") == "caf\u00e9 \u00e9\u20ac"


def test_nested_method_names(base: str) -> None:
    proxy = ServerProxy(base + "/xmlrpc/")
    assert proxy.maths.add(2, 3) == 5
    with pytest.raises(Fault) as info:
        proxy.maths.hidden()
    assert info.value.faultString == 'method "hidden" is not supported'


def test_errors_become_faults_with_status_200(base: str) -> None:
    proxy = ServerProxy(base + "/xmlrpc/")
    with pytest.raises(Fault) as info:
        proxy.test_argument_passing({})
    assert info.value.faultCode == 1
    assert info.value.faultString == "unsupported operand type(s) for *: 'dict' and 'int'"
    with pytest.raises(Fault) as info:
        proxy.non_method()
    assert info.value.faultString == 'method "non_method" is not supported'
    with pytest.raises(Fault) as info:
        proxy.test_returning_Fault()
    assert (info.value.faultCode, info.value.faultString) == (1, "custom Fault response")
    with pytest.raises(Fault) as info:
        proxy.raise_fault()
    assert (info.value.faultCode, info.value.faultString) == (42, "with its own code")


def test_none_needs_allow_none(base: str, serve_root: Callable[..., str]) -> None:
    proxy = ServerProxy(base + "/xmlrpc/")
    with pytest.raises(Fault) as info:
        proxy.return_none()
    assert "cannot marshal None" in info.value.faultString


def test_private_names_are_not_methods(base: str) -> None:
    proxy = ServerProxy(base + "/xmlrpc/")
    with pytest.raises(Fault) as info:
        proxy._private()
    assert info.value.faultString == 'method "_private" is not supported'


def test_rpc2_prefix_is_stripped_by_the_dispatcher(base: str) -> None:
    proxy = ServerProxy(base + "/RPC2/xmlrpc/")
    assert proxy.maths.add(1, 1) == 2
    # Without the trailing slash the trailing_slash tool redirects first, as in CherryPy.
    reply = requests.post(base + "/RPC2/xmlrpc", data=b"", allow_redirects=False)
    assert reply.status_code == 301


def test_response_headers(base: str) -> None:
    body = "<?xml version='1.0'?><methodCall><methodName>foo</methodName><params/></methodCall>"
    reply = requests.post(base + "/xmlrpc/", data=body, headers={"Content-Type": "text/xml"})
    assert reply.status_code == 200
    # The encode tool adds the charset to a successful response, as in CherryPy.
    assert reply.headers["Content-Type"] == "text/xml;charset=utf-8"
    assert int(reply.headers["Content-Length"]) == len(reply.content)
    assert "<string>Hello world!</string>" in reply.text
    body = body.replace("foo", "test_argument_passing")
    reply = requests.post(base + "/xmlrpc/", data=body, headers={"Content-Type": "text/xml"})
    assert (reply.status_code, reply.headers["Content-Type"]) == (200, "text/xml")
    assert int(reply.headers["Content-Length"]) == len(reply.content)
    assert "<name>faultCode</name>" in reply.text


def test_controller_mounted_deep_without_the_dispatcher(serve_root: Callable[..., str]) -> None:
    class Api(_cptools.XMLRPCController):
        @cherrypy.expose
        def echo(self, *args: Any) -> list[Any]:
            return list(args)

    base = serve_root(Api(), None, "/api/v1/rpc")
    proxy = ServerProxy(base + "/")
    assert proxy.echo(1, "two", [3]) == [1, "two", [3]]
    # Extra URL segments are passed first, as in CherryPy.
    assert ServerProxy(base + "/extra/").echo(1) == ["extra", 1]


def test_allow_none_and_encoding_settings(serve_root: Callable[..., str]) -> None:
    class Api(_cptools.XMLRPCController):
        @cherrypy.expose
        def nothing(self) -> None:
            return None

    conf = {"/": {"tools.xmlrpc.allow_none": True, "tools.xmlrpc.encoding": "iso-8859-1"}}
    base = serve_root(Api(), conf)
    reply = requests.post(
        base + "/",
        data="<?xml version='1.0'?><methodCall><methodName>nothing</methodName></methodCall>",
    )
    assert "encoding='iso-8859-1'" in reply.text
    assert ServerProxy(base + "/", allow_none=True).nothing() is None
