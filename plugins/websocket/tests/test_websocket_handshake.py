"""The opening handshake: validation, origins, subprotocols, permessage-deflate, tools before it."""

from __future__ import annotations

import base64
import http.client

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

import cherrypy
from cherrypy.lib.auth_basic import checkpassword_dict
from cherrypy.testing import serve
from cherrypy_websocket import EchoWebSocket, WebSocket

GOOD = {
    "Upgrade": "websocket",
    "Connection": "Upgrade",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version": "13",
}


def handshake(port: int, method: str = "GET", **changes: str | None) -> http.client.HTTPResponse:
    headers = dict(GOOD)
    for name, value in changes.items():
        name = name.replace("_", "-")
        if value is None:
            headers.pop(name, None)
        else:
            headers[name] = value
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, "/ws", headers=headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def test_valid_handshake_answers_101_with_accept(serve_ws, kit) -> None:
    served = serve_ws(kit.Root(), kit.ws_config(EchoWebSocket))
    response = handshake(served.port)
    assert response.status == 101
    # RFC 6455 section 1.3's example key and accept value.
    assert response.headers["Sec-WebSocket-Accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert response.headers["Upgrade"] == "websocket"
    assert "Content-Length" not in response.headers
    assert "Content-Type" not in response.headers


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"Sec-WebSocket-Key": None}, 400),
        ({"Sec-WebSocket-Key": "not base64!"}, 400),
        ({"Sec-WebSocket-Key": base64.b64encode(b"short").decode()}, 400),
        ({"Connection": "keep-alive"}, 400),
        ({"Sec-WebSocket-Version": None}, 400),
        ({"Sec-WebSocket-Version": "8"}, 426),
        ({"Upgrade": None, "Connection": None}, 426),
    ],
)
def test_bad_handshakes_are_refused(serve_ws, kit, changes, status) -> None:
    served = serve_ws(kit.Root(), kit.ws_config(EchoWebSocket))
    response = handshake(served.port, **changes)
    assert response.status == status
    if "Sec-WebSocket-Version" in changes:
        assert response.headers["Sec-WebSocket-Version"] == "13"
    if "Upgrade" in changes:
        assert response.headers["Upgrade"] == "websocket"


def test_post_is_refused_with_405(serve_ws, kit) -> None:
    served = serve_ws(kit.Root(), kit.ws_config(EchoWebSocket))
    response = handshake(served.port, method="POST")
    assert response.status == 405
    assert response.headers["Allow"] == "GET"


def test_websockets_client_sees_426_for_plain_get(serve_ws, kit) -> None:
    served = serve_ws(kit.Root(), kit.ws_config(EchoWebSocket))
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    conn.request("GET", "/ws")
    response = conn.getresponse()
    assert response.status == 426
    assert b"WebSocket endpoint" in response.read()
    conn.request("GET", "/")  # the connection is still usable for HTTP
    assert conn.getresponse().read() == b"index"
    conn.close()


def test_origin_allowed_and_refused(serve_ws, kit) -> None:
    served = serve_ws(
        kit.Root(), kit.ws_config(EchoWebSocket, allowed_origins=["https://good.example"])
    )
    with connect(served.url(), origin="https://good.example", open_timeout=10) as ws:
        ws.send("ok")
        assert ws.recv(timeout=10) == "ok"
    with pytest.raises(InvalidStatus) as refused:
        connect(served.url(), origin="https://evil.example", open_timeout=10)
    assert refused.value.response.status_code == 403
    with pytest.raises(InvalidStatus) as missing:
        connect(served.url(), open_timeout=10)  # no Origin: refused unless None is listed
    assert missing.value.response.status_code == 403


def test_origin_none_admits_clients_without_origin(serve_ws, kit) -> None:
    served = serve_ws(
        kit.Root(), kit.ws_config(EchoWebSocket, allowed_origins=[None, "https://good.example"])
    )
    with connect(served.url(), open_timeout=10) as ws:
        ws.send("no origin")
        assert ws.recv(timeout=10) == "no origin"


def test_subprotocol_negotiation(serve_ws, kit, recorder) -> None:
    class Proto(WebSocket):
        def opened(self):
            recorder.add("opened", self.protocols, self.subprotocol)

    served = serve_ws(kit.Root(), kit.ws_config(Proto, protocols=["chat.v2", "chat.v1"]))
    with connect(served.url(), subprotocols=["chat.v1", "chat.v2"], open_timeout=10) as ws:
        assert ws.subprotocol == "chat.v2"  # the server's preference wins
    assert recorder.wait("opened")[0] == ("opened", ["chat.v2"], "chat.v2")
    with connect(served.url(), subprotocols=["chat.v1"], open_timeout=10) as ws:
        assert ws.subprotocol == "chat.v1"
    # Nothing in common: no header, and the websockets client refuses the connection.
    response = handshake(served.port, Sec_WebSocket_Protocol="other")
    assert response.status == 101
    assert "Sec-WebSocket-Protocol" not in response.headers


def test_permessage_deflate_negotiated_and_used(serve_ws, kit, recorder) -> None:
    served = serve_ws(kit.Root(), kit.ws_config(kit.recording(recorder)))
    with connect(served.url(), open_timeout=10) as ws:  # the client offers deflate by default
        extensions = ws.response.headers["Sec-WebSocket-Extensions"]
        assert extensions.startswith("permessage-deflate")
        assert [ext.name for ext in ws.protocol.extensions] == ["permessage-deflate"]
        text = "compress me " * 5000
        ws.send(text)
        assert ws.recv(timeout=10) == text
    assert recorder.sockets[0].extensions == ["permessage-deflate"]


def test_compression_can_be_switched_off(serve_ws, kit) -> None:
    served = serve_ws(kit.Root(), kit.ws_config(EchoWebSocket, compression=False))
    with connect(served.url(), open_timeout=10) as ws:
        assert "Sec-WebSocket-Extensions" not in ws.response.headers
        ws.send("plain")
        assert ws.recv(timeout=10) == "plain"


def test_sessions_apply_to_the_handshake(serve_ws, kit) -> None:
    class Chat(WebSocket):
        def opened(self):
            self.send(f"hello {self.user}")

    class App:
        @cherrypy.expose
        def login(self, name):
            cherrypy.session["user"] = name
            return "logged in"

        @cherrypy.expose
        def ws(self):
            cherrypy.request.ws_handler.user = cherrypy.session.get("user", "stranger")

    config = kit.ws_config(Chat)
    config["/"] = {"tools.sessions.on": True}
    served = serve_ws(App(), config)
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    conn.request("GET", "/login?name=alice")
    response = conn.getresponse()
    assert response.read() == b"logged in"
    cookie = response.headers["Set-Cookie"].split(";", 1)[0]
    conn.close()
    with connect(served.url(), additional_headers={"Cookie": cookie}, open_timeout=10) as ws:
        assert ws.recv(timeout=10) == "hello alice"
    with connect(served.url(), open_timeout=10) as ws:
        assert ws.recv(timeout=10) == "hello stranger"
        assert "session_id=" in ws.response.headers["Set-Cookie"]


def test_basic_auth_applies_to_the_handshake(serve_ws, kit) -> None:
    class Greeter(WebSocket):
        def opened(self):
            self.send(f"hello {self.login}")

    class App:
        @cherrypy.expose
        def ws(self):
            cherrypy.request.ws_handler.login = cherrypy.request.login

    config = kit.ws_config(Greeter)
    config["/ws"].update(
        {
            "tools.auth_basic.on": True,
            "tools.auth_basic.realm": "chat",
            "tools.auth_basic.checkpassword": checkpassword_dict({"bob": "secret"}),
        }
    )
    served = serve_ws(App(), config)
    with pytest.raises(InvalidStatus) as refused:
        connect(served.url(), open_timeout=10)
    assert refused.value.response.status_code == 401
    token = base64.b64encode(b"bob:secret").decode()
    headers = {"Authorization": f"Basic {token}"}
    with connect(served.url(), additional_headers=headers, open_timeout=10) as ws:
        assert ws.recv(timeout=10) == "hello bob"


def test_page_handler_error_answers_instead_of_upgrading(serve_ws, kit) -> None:
    class App:
        @cherrypy.expose
        def ws(self):
            raise cherrypy.HTTPError(403, "not you")

    served = serve_ws(App(), kit.ws_config(EchoWebSocket))
    with pytest.raises(InvalidStatus) as refused:
        connect(served.url(), open_timeout=10)
    assert refused.value.response.status_code == 403


def test_bad_handler_cls_is_a_clear_500(serve_ws, kit, caplog) -> None:
    served = serve_ws(kit.Root(), kit.ws_config(dict))
    response = handshake(served.port)
    assert response.status == 500
    assert "must be a subclass of cherrypy_websocket.WebSocket" in caplog.text


def test_handler_cls_by_dotted_name(serve_ws, kit) -> None:
    served = serve_ws(kit.Root(), kit.ws_config("cherrypy_websocket.EchoWebSocket"))
    with connect(served.url(), open_timeout=10) as ws:
        ws.send("by name")
        assert ws.recv(timeout=10) == "by name"


def test_server_without_takeover_answers_501(kit) -> None:
    cherrypy.tree.mount(kit.Root(), "/", kit.ws_config(EchoWebSocket))
    with serve(server="wsgiref") as base:
        port = int(base.rsplit(":", 1)[1])
        response = handshake(port)
    assert response.status == 501


def test_ws4py_setup_lines_still_work(serve_ws, kit) -> None:
    """ws4py's example, with only the imports changed."""
    from cherrypy_websocket import WebSocketPlugin, WebSocketTool

    WebSocketPlugin(cherrypy.engine).subscribe()
    cherrypy.tools.websocket = WebSocketTool()
    try:

        class Root:
            @cherrypy.expose
            def index(self):
                return "some HTML with a websocket javascript connection"

            @cherrypy.expose
            def ws(self):
                pass

        served = serve_ws(
            Root(),
            {"/ws": {"tools.websocket.on": True, "tools.websocket.handler_cls": EchoWebSocket}},
        )
        with connect(served.url(), open_timeout=10) as ws:
            ws.send("ported")
            assert ws.recv(timeout=10) == "ported"
            cherrypy.engine.publish("websocket-broadcast", "all")
            assert ws.recv(timeout=10) == "all"
    finally:
        from cherrypy_websocket.plugin import WEBSOCKET_TOOL

        cherrypy.tools.websocket = WEBSOCKET_TOOL
