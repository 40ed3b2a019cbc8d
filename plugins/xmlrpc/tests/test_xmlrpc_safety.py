"""The hardened XML-RPC parser: no DTDs or entities, bounded body size."""

from __future__ import annotations

from collections.abc import Callable
from xmlrpc.client import Fault, ServerProxy, dumps, loads

import pytest
import requests

import cherrypy
from cherrypy.lib import xmlrpcutil
from cherrypy_xmlrpc import XMLRPCController
from cherrypy_xmlrpc.util import UnsafeXMLError, patched_path, safe_loads

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">]>
<methodCall><methodName>echo</methodName>
<params><param><value><string>&lol2;</string></value></param></params></methodCall>"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<methodCall><methodName>echo</methodName>
<params><param><value><string>&secret;</string></value></param></params></methodCall>"""


class Api(XMLRPCController):
    @cherrypy.expose
    def echo(self, value: str) -> str:
        return value


def test_safe_loads_matches_the_stdlib_on_plain_documents() -> None:
    document = dumps((1, "two", [3.0], {"k": True}), methodname="a.b")
    assert safe_loads(document) == loads(document)


@pytest.mark.parametrize("document", [LAUGHS, EXTERNAL])
def test_safe_loads_refuses_dtds(document: bytes) -> None:
    with pytest.raises(UnsafeXMLError):
        safe_loads(document)


def test_patched_path() -> None:
    assert patched_path("/RPC2") == "/"
    assert patched_path("/RPC2/api") == "/api/"
    assert patched_path("/api/RPC2/") == "/api/RPC2/"
    assert xmlrpcutil.patched_path is patched_path


@pytest.mark.parametrize("document", [LAUGHS, EXTERNAL, b"<not xml"])
def test_unsafe_or_broken_bodies_get_a_fault(
    serve_root: Callable[..., str], document: bytes
) -> None:
    base = serve_root(Api())
    reply = requests.post(base + "/", data=document, headers={"Content-Type": "text/xml"})
    assert reply.status_code == 200
    assert "lol" not in reply.text and "root:" not in reply.text
    with pytest.raises(Fault) as info:
        loads(reply.content)
    assert info.value.faultString == 'method "ERRORMETHOD" is not supported'


def test_body_size_is_bounded(serve_root: Callable[..., str]) -> None:
    base = serve_root(Api(), {"/": {"tools.xmlrpc.max_body": 1000}})
    proxy = ServerProxy(base + "/")
    assert proxy.echo("x" * 100) == "x" * 100
    with pytest.raises(Fault) as info:
        proxy.echo("x" * 2000)
    assert info.value.faultString == 'method "ERRORMETHOD" is not supported'


def test_compat_names_resolve_to_this_distribution() -> None:
    import cherrypy_xmlrpc
    from cherrypy import _cpdispatch, _cptools
    from cherrypy_xmlrpc import plugin, util

    assert cherrypy.dispatch.XMLRPCDispatcher is cherrypy_xmlrpc.XMLRPCDispatcher
    assert _cpdispatch.XMLRPCDispatcher is cherrypy_xmlrpc.XMLRPCDispatcher
    assert _cptools.XMLRPCController is cherrypy_xmlrpc.XMLRPCController
    assert cherrypy.tools.xmlrpc is plugin.XMLRPC_TOOL
    assert xmlrpcutil is util
    for name in ("process_body", "patched_path", "respond", "on_error"):
        assert getattr(xmlrpcutil, name) is getattr(util, name)
