"""The memcached backend over HTTP against a real memcached: storage, expiry, ids, errors."""

from __future__ import annotations

import pickle
import socket
import time
from typing import Any

import pytest
import requests

import cherrypy
from cherrypy_sessions import get_backend
from cherrypy_sessions_memcached import MemcachedSession, MemcachedUnavailable
from cherrypy_sessions_memcached.backend import parse_servers


def test_registered_as_storage_type_and_compat_name() -> None:
    assert get_backend("memcached") is MemcachedSession
    from cherrypy.lib.sessions import MemcachedSession as compat

    assert compat is MemcachedSession


def test_counter_persists_in_memcached(live: Any, session_conf: dict, counter, memcached) -> None:
    with live(counter, {"/": session_conf}) as base, requests.Session() as http:
        assert [http.get(base + "/").text for _ in range(3)] == ["1", "2", "3"]
        sid = http.cookies["session_id"]
    raw = memcached.client().get(session_conf["tools.sessions.key_prefix"] + sid)
    data, expiration_time = pickle.loads(raw)
    assert data == {"count": 3}
    assert expiration_time > expiration_time.now()


def test_unknown_and_malformed_ids_get_a_new_id(live: Any, session_conf: dict, counter) -> None:
    with live(counter, {"/": session_conf}) as base:
        for bad in ["a" * 40, "../../etc/passwd", "x y"]:
            response = requests.get(base + "/", cookies={"session_id": bad})
            assert response.text == "1"
            assert response.cookies["session_id"] != bad


def test_expired_session_is_gone(live: Any, session_conf: dict, counter, memcached) -> None:
    conf = dict(session_conf, **{"tools.sessions.timeout": 1 / 60})  # one second
    with live(counter, {"/": conf}) as base, requests.Session() as http:
        assert http.get(base + "/").text == "1"
        sid = http.cookies["session_id"]
        assert http.get(base + "/").text == "2"
        # memcached expires the item itself (one second of slack for its whole-second clock).
        key = conf["tools.sessions.key_prefix"] + sid
        answer = memcached.client().raw_command(f"mg {key} t".encode(), b"\r\n")
        assert answer.split()[0] == b"HD" and 1 <= int(answer.split()[1][1:]) <= 3, answer
        time.sleep(1.2)
        response = http.get(base + "/")
        assert response.text == "1"
        assert response.cookies["session_id"] != sid


def test_regenerate_and_expire_delete_the_item(
    live: Any, session_conf: dict, counter, memcached
) -> None:
    prefix = session_conf["tools.sessions.key_prefix"]
    mc = memcached.client()
    with live(counter, {"/": session_conf}) as base, requests.Session() as http:
        http.get(base + "/")
        old = http.cookies["session_id"]
        new = http.get(base + "/regenerate").text
        assert new != old and http.cookies["session_id"] == new
        assert mc.get(prefix + old) is None
        assert http.get(base + "/peek").text == "1"
        http.get(base + "/logout")
        assert mc.get(prefix + new) is None


def test_no_server_gives_a_clear_error(live: Any, counter) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    session = MemcachedSession.__new__(MemcachedSession)
    session.servers = [f"127.0.0.1:{port}"]
    session._id = "a" * 40
    with pytest.raises(MemcachedUnavailable, match=f"127.0.0.1:{port}.*tools.sessions.servers"):
        session._exists()
    conf = {
        "tools.sessions.on": True,
        "tools.sessions.storage_type": "memcached",
        "tools.sessions.servers": f"127.0.0.1:{port}",
    }
    with live(counter, {"/": conf}) as base:
        assert requests.get(base + "/", timeout=10).status_code == 500


def test_settings_are_checked() -> None:
    assert parse_servers("a:1, b") == (("a", 1), ("b", 11211))
    assert parse_servers(["[::1]:5"]) == (("::1", 5),)
    with pytest.raises(ValueError, match="servers"):
        MemcachedSession.setup(servers=[])
    with pytest.raises(ValueError, match="port"):
        MemcachedSession.setup(servers=["h:x"])
    with pytest.raises(ValueError, match="key_prefix"):
        MemcachedSession.setup(key_prefix="has space")


def test_len_is_not_supported() -> None:
    with pytest.raises(NotImplementedError, match="cannot count"):
        len(MemcachedSession.__new__(MemcachedSession))


class Sizer:
    """A page that asks for the number of stored sessions, as CherryPy's examples do."""

    @cherrypy.expose
    def length(self) -> str:
        return str(len(cherrypy.session))


def test_len_over_http_is_a_500_whose_traceback_names_not_implemented_error(
    live: Any, session_conf: dict
) -> None:
    with live(Sizer(), {"/": dict(session_conf, **{"request.show_tracebacks": True})}) as base:
        response = requests.get(base + "/length")
    assert response.status_code == 500
    assert "NotImplementedError" in response.text
    assert "cannot count" in response.text
