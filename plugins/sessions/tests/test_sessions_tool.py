"""tools.sessions over real HTTP, with both built-in backends: data, ids, locking, saving."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import requests

import cherrypy
from cherrypy_sessions import tool


@pytest.fixture(params=["ram", "file"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """The ``tools.sessions`` config of each built-in backend."""
    conf: dict[str, Any] = {"tools.sessions.on": True, "tools.sessions.storage_type": request.param}
    if request.param == "file":
        conf["tools.sessions.storage_path"] = str(tmp_path)
    return conf


def test_counter_keeps_state_per_client(counter: Any, live: Any, backend: dict[str, Any]) -> None:
    with live(counter, {"/": backend}) as base:
        alice, bob = requests.Session(), requests.Session()
        assert [alice.get(base + "/").text for _ in range(3)] == ["1", "2", "3"]
        assert bob.get(base + "/").text == "1"
        assert alice.get(base + "/peek").text == "3"
        assert requests.get(base + "/peek").text == "None"


def test_ids_come_from_secrets_and_stay_stable(
    counter: Any, cookies: Any, live: Any, backend: dict[str, Any]
) -> None:
    with live(counter, {"/": backend}) as base:
        client = requests.Session()
        first = cookies.session_id(client.get(base + "/"))
        assert first is not None and cookies.id_re.fullmatch(first)
        assert cookies.session_id(client.get(base + "/")) == first
        other = cookies.session_id(requests.get(base + "/"))
        assert other != first


def test_session_attributes(counter: Any, live: Any, backend: dict[str, Any]) -> None:
    with live(counter, {"/": backend}) as base:
        client = requests.Session()
        client.get(base + "/")
        sid = client.cookies["session_id"]
        sent_id, original, missing, loaded, locked, timeout = client.get(
            base + "/state"
        ).text.split()
        assert (sent_id, original, missing, loaded, locked, timeout) == (
            sid,
            sid,
            "False",
            "False",
            "True",
            "60",
        )


def test_untouched_session_is_not_saved_and_id_not_adopted(
    counter: Any, cookies: Any, live: Any, backend: dict[str, Any]
) -> None:
    with live(counter, {"/": backend}) as base:
        first = requests.get(base + "/untouched")
        sid = cookies.session_id(first)
        again = requests.get(base + "/untouched", cookies={"session_id": sid})
        # Nothing was stored for that id, so the server does not know it: a new id is issued.
        assert cookies.session_id(again) not in (None, sid)


def test_unknown_id_is_replaced(
    counter: Any, cookies: Any, live: Any, backend: dict[str, Any]
) -> None:
    forged = "0123456789abcdef" * 2 + "01234567"
    with live(counter, {"/": backend}) as base:
        response = requests.get(base + "/state", cookies={"session_id": forged})
        new_id, original, missing, *_ = response.text.split()
        assert new_id != forged and cookies.id_re.fullmatch(new_id)
        assert original == forged and missing == "True"
        assert cookies.session_id(response) == new_id


def test_regenerate_moves_data_to_a_new_id(
    counter: Any, cookies: Any, live: Any, backend: dict[str, Any]
) -> None:
    with live(counter, {"/": backend}) as base:
        client = requests.Session()
        client.get(base + "/")
        client.get(base + "/")
        old_cookie = client.cookies["session_id"]
        response = client.get(base + "/regenerate")
        old, new = response.text.split()
        assert old == old_cookie and new != old
        assert cookies.session_id(response) == new
        assert client.get(base + "/peek").text == "2"
        # The old id is gone: presenting it again gets a fresh, empty session.
        assert requests.get(base + "/peek", cookies={"session_id": old}).text == "None"


def test_expire_ends_the_session_server_side(
    counter: Any, live: Any, backend: dict[str, Any]
) -> None:
    with live(counter, {"/": backend}) as base:
        client = requests.Session()
        client.get(base + "/")
        sid = client.cookies["session_id"]
        response = client.get(base + "/logout")
        header = next(h for h in response.raw.headers.getlist("Set-Cookie") if "session_id" in h)
        assert "Max-Age=0" in header
        expires = header.split("expires=")[1].split(";")[0]
        assert time.mktime(time.strptime(expires, "%a, %d %b %Y %H:%M:%S GMT")) < time.time()
        stolen = requests.get(base + "/state", cookies={"session_id": sid}).text.split()
        assert stolen[0] != sid and stolen[2] == "True"


def test_dict_api(counter: Any, live: Any, backend: dict[str, Any]) -> None:
    with live(counter, {"/": backend}) as base:
        assert requests.get(base + "/dictapi").text == "1 dflt ['c'] [3] True ['c']"


def test_expired_session_is_not_revived(
    counter: Any, cookies: Any, live: Any, backend: dict[str, Any]
) -> None:
    conf = dict(backend, **{"tools.sessions.timeout": 1 / 60})  # one second
    with live(counter, {"/": conf}) as base:
        client = requests.Session()
        client.get(base + "/")
        sid = client.cookies["session_id"]
        assert client.get(base + "/").text == "2"
        time.sleep(1.3)
        response = requests.get(base + "/", cookies={"session_id": sid})
        assert response.text == "1"
        assert cookies.session_id(response) != sid


class Locking:
    @cherrypy.expose
    def index(self) -> str:
        before = cherrypy.session.locked
        cherrypy.session.acquire_lock()
        cherrypy.session["x"] = 1
        return f"{before} {cherrypy.session.locked}"


@pytest.mark.parametrize(
    ("mode", "locked_in_handler"), [("implicit", "True"), ("early", "True"), ("explicit", "False")]
)
def test_locking_modes(
    live: Any, backend: dict[str, Any], mode: str, locked_in_handler: str
) -> None:
    conf = dict(backend, **{"tools.sessions.locking": mode})
    with live(Locking(), {"/": conf}) as base:
        assert requests.get(base + "/").text == f"{locked_in_handler} True"


def test_early_locking_holds_the_lock_while_the_body_is_read(live: Any, tmp_path: Path) -> None:
    seen: list[bool] = []

    def body_reader() -> None:
        seen.append(cherrypy.session.locked)

    body_reader.priority = 70  # type: ignore[attr-defined]

    class Root:
        @cherrypy.expose
        def index(self, **kwargs: Any) -> str:
            return "ok"

    conf = {
        "tools.sessions.on": True,
        "tools.sessions.locking": "early",
        "hooks.before_request_body": body_reader,
    }
    with live(Root(), {"/": conf}) as base:
        assert requests.post(base + "/", data={"a": "1"}).text == "ok"
    assert seen == [True]


def test_lock_is_released_after_an_error(live: Any, backend: dict[str, Any]) -> None:
    class Root:
        @cherrypy.expose
        def boom(self) -> str:
            cherrypy.session["x"] = 1
            raise ValueError("boom")

        @cherrypy.expose
        def index(self) -> str:
            return str(cherrypy.session.get("x"))

    conf = dict(backend, **{"tools.sessions.lock_timeout": 2})
    with live(Root(), {"/": conf}) as base:
        client = requests.Session()
        client.get(base + "/")
        assert client.get(base + "/boom").status_code == 500
        started = time.monotonic()
        assert client.get(base + "/").status_code == 200
        assert time.monotonic() - started < 1.5


def test_redirect_still_saves(live: Any, backend: dict[str, Any]) -> None:
    class Root:
        @cherrypy.expose
        def go(self) -> str:
            cherrypy.session["visited"] = "yes"
            raise cherrypy.HTTPRedirect("/")

        @cherrypy.expose
        def index(self) -> str:
            return str(cherrypy.session.get("visited"))

    with live(Root(), {"/": backend}) as base:
        client = requests.Session()
        client.get(base + "/")
        response = client.get(base + "/go", allow_redirects=False)
        assert response.status_code == 303
        assert client.get(base + "/").text == "yes"


def test_streaming_response_saves_after_the_body(live: Any, backend: dict[str, Any]) -> None:
    class Root:
        @cherrypy.expose
        def stream(self) -> Any:
            cherrypy.session["before"] = 1

            def body() -> Any:
                yield b"a"
                cherrypy.session["during"] = 2
                yield b"b"

            return body()

        stream._cp_config = {"response.stream": True}

        @cherrypy.expose
        def index(self) -> str:
            return f"{cherrypy.session.get('before')} {cherrypy.session.get('during')}"

    with live(Root(), {"/": backend}) as base:
        client = requests.Session()
        client.get(base + "/")
        assert client.get(base + "/stream").text == "ab"
        assert client.get(base + "/").text == "1 2"


def test_generator_body_without_streaming_is_collapsed_then_saved(
    live: Any, backend: dict[str, Any]
) -> None:
    class Root:
        @cherrypy.expose
        def gen(self) -> Any:
            def body() -> Any:
                cherrypy.session["made"] = "in body"
                yield b"x"

            return body()

        @cherrypy.expose
        def index(self) -> str:
            return str(cherrypy.session.get("made"))

    with live(Root(), {"/": backend}) as base:
        client = requests.Session()
        client.get(base + "/")
        assert client.get(base + "/gen").text == "x"
        assert client.get(base + "/").text == "in body"


def test_decorator_and_custom_cookie_name(live: Any) -> None:
    class Root:
        @cherrypy.expose
        @cherrypy.tools.sessions(name="my_app_sid")
        def index(self) -> str:
            cherrypy.session["n"] = cherrypy.session.get("n", 0) + 1
            return str(cherrypy.session["n"])

    with live(Root()) as base:
        client = requests.Session()
        assert client.get(base + "/").text == "1"
        assert "my_app_sid" in client.cookies and "session_id" not in client.cookies
        assert client.get(base + "/").text == "2"


def test_init_called_directly(live: Any) -> None:
    class Root:
        @cherrypy.expose
        def index(self) -> str:
            cherrypy.lib.sessions.init(name="manual", timeout=5)
            cherrypy.session["n"] = cherrypy.session.get("n", 0) + 1
            cherrypy.session.save()
            return str(cherrypy.session["n"])

    with live(Root()) as base:
        client = requests.Session()
        assert client.get(base + "/").text == "1"
        assert client.get(base + "/").text == "2"
        assert "Max-Age=300" in client.get(base + "/").headers["Set-Cookie"]


def test_settings_are_compiled_once_per_path(counter: Any, live: Any) -> None:
    with live(counter, {"/": {"tools.sessions.on": True}}) as base:
        client = requests.Session()
        for _ in range(3):
            client.get(base + "/")
    assert len(tool._settings_cache) == 1


def test_cherrypy_session_outside_sessions_is_an_error(live: Any) -> None:
    class Root:
        @cherrypy.expose
        def index(self) -> str:
            try:
                cherrypy.session.get("x")
            except AttributeError:
                return "no session"
            return "session"

    with live(Root()) as base:
        assert requests.get(base + "/").text == "no session"
