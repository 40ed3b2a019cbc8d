"""The session cookie's attributes over real HTTP."""

from __future__ import annotations

import email.utils
import time
from typing import Any

import pytest
import requests

import cherrypy
from cherrypy_sessions.cookies import CookieSpec, SessionMorsel, normalize_samesite


class Root:
    @cherrypy.expose
    def index(self) -> str:
        cherrypy.session["n"] = 1
        return "ok"

    @cherrypy.expose
    def edit(self) -> str:
        cherrypy.response.cookie["session_id"]["comment"] = "edited"
        return "edited"


def _fetch(
    live: Any, conf: dict[str, Any], cookies: Any, path: str = "/", **kwargs: Any
) -> dict[str, str]:
    full = {"tools.sessions.on": True, **conf}
    with live(Root(), {"/": full}) as base:
        return cookies.attributes(requests.get(base + path, **kwargs))


def test_defaults_are_httponly_lax_persistent(live: Any, cookies: Any) -> None:
    attributes = _fetch(live, {}, cookies)
    assert cookies.id_re.fullmatch(attributes["value"])
    assert attributes["path"] == "/"
    assert attributes["httponly"] == ""
    assert attributes["samesite"] == "Lax"
    assert attributes["max-age"] == "3600"
    expires = email.utils.parsedate_to_datetime(attributes["expires"]).timestamp()
    assert abs(expires - (time.time() + 3600)) < 5
    assert "secure" not in attributes and "domain" not in attributes


def test_configured_attributes(live: Any, cookies: Any) -> None:
    conf = {
        "tools.sessions.on": True,
        "tools.sessions.secure": True,
        "tools.sessions.domain": "example.com",
        "tools.sessions.path": "/app",
        "tools.sessions.timeout": 5,
        "tools.sessions.samesite": "strict",
        "tools.sessions.name": "sid",
    }
    with live(Root(), {"/": conf}) as base:
        attributes = cookies.attributes(requests.get(base + "/"), name="sid")
    assert attributes["secure"] == ""
    assert attributes["domain"] == "example.com"
    assert attributes["path"] == "/app"
    assert attributes["max-age"] == "300"
    assert attributes["samesite"] == "Strict"
    assert attributes["httponly"] == ""


def test_non_persistent_cookie_has_no_expiry(live: Any, cookies: Any) -> None:
    attributes = _fetch(live, {"tools.sessions.persistent": False}, cookies)
    assert "max-age" not in attributes and "expires" not in attributes
    assert attributes["httponly"] == "" and attributes["samesite"] == "Lax"


def test_httponly_and_samesite_can_be_switched_off(live: Any, cookies: Any) -> None:
    attributes = _fetch(
        live, {"tools.sessions.httponly": False, "tools.sessions.samesite": None}, cookies
    )
    assert "httponly" not in attributes and "samesite" not in attributes


def test_path_header(live: Any, cookies: Any) -> None:
    conf = {"tools.sessions.path_header": "X-Script-Path"}
    assert _fetch(live, conf, cookies, headers={"X-Script-Path": "/mounted"})["path"] == "/mounted"
    # A header value that could inject attributes is ignored.
    injected = _fetch(live, conf, cookies, headers={"X-Script-Path": "/x; Domain=evil.test"})
    assert injected["path"] == "/" and "domain" not in injected
    assert _fetch(live, conf, cookies)["path"] == "/"


def test_cookie_is_set_on_every_response(live: Any, cookies: Any) -> None:
    with live(Root(), {"/": {"tools.sessions.on": True}}) as base:
        client = requests.Session()
        first = cookies.attributes(client.get(base + "/"))
        second = cookies.attributes(client.get(base + "/"))
    assert first["value"] == second["value"]


def test_application_edits_to_the_morsel_are_rendered(live: Any, cookies: Any) -> None:
    attributes = _fetch(live, {}, cookies, path="/edit")
    assert attributes["comment"] == "edited"
    assert attributes["samesite"] == "Lax"


def test_session_morsel_renders_like_a_morsel() -> None:
    spec = CookieSpec("session_id", "/p", None, 60, "example.org", True, True, "Lax")
    from http.cookies import SimpleCookie

    from cherrypy.kernel.context import serving
    from cherrypy.kernel.response import Response

    saved = serving.response
    serving.response = Response()
    try:
        spec.apply("abc123abc123abc123abc123")
        morsel = serving.response.cookie["session_id"]
        assert isinstance(morsel, SessionMorsel)
        plain = SimpleCookie()
        plain["session_id"] = "abc123abc123abc123abc123"
        for key, value in morsel.items():
            if value != "":
                plain["session_id"][key] = value
        assert morsel.OutputString() == plain["session_id"].OutputString()
        assert morsel.copy().OutputString() == morsel.OutputString()
    finally:
        serving.response = saved


@pytest.mark.parametrize("session_id", ["abc123abc123abc123abc123", "abc-123_abc-123_abc-123"])
@pytest.mark.parametrize("domain", [None, "example.org"])
def test_unread_session_cookie_is_sent_as_its_morsel_renders(
    session_id: str, domain: str | None
) -> None:
    """The Set-Cookie bytes are the same whether or not anyone looked at response.cookie."""
    from cherrypy.kernel.context import serving
    from cherrypy.kernel.response import Response

    spec = CookieSpec("sid", "/p", None, 60, domain, True, True, "Strict")
    saved = serving.response
    try:
        untouched = serving.response = Response()
        spec.apply("0" * 24)
        spec.apply(session_id)  # a new id replaces the first
        untouched.finalize()
        looked_at = serving.response = Response()
        spec.apply(session_id)
        assert isinstance(looked_at.cookie["sid"], SessionMorsel)
        looked_at.finalize()
    finally:
        serving.response = saved
    sent = [value for name, value in untouched.header_list if name == b"Set-Cookie"]
    assert sent == [value for name, value in looked_at.header_list if name == b"Set-Cookie"]
    assert len(sent) == 1 and sent[0].startswith(f"sid={session_id}; ".encode())
    assert (b"; Domain=example.org;" in sent[0]) == (domain is not None)
    assert b"; HttpOnly; Max-Age=3600; Path=/p; SameSite=Strict; Secure" in sent[0]


@pytest.mark.parametrize(
    ("given", "expected"),
    [("lax", "Lax"), ("STRICT", "Strict"), ("None", "None"), (None, None), ("", None)],
)
def test_normalize_samesite(given: Any, expected: Any) -> None:
    assert normalize_samesite(given) == expected


def test_bad_samesite_is_rejected() -> None:
    with pytest.raises(ValueError, match="samesite"):
        normalize_samesite("sometimes")
