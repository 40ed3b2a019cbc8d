"""tools.session_auth: form login over sessions, and what it does better than CherryPy."""

from __future__ import annotations

from typing import Any

import pytest
import requests

import cherrypy
from cherrypy_sessions.auth import SessionAuth, safe_redirect_target


def check(username: str, password: str) -> str | None:
    if (username, password) != ("alice", "s3cret"):
        return "Wrong login/password"
    return None


class Root:
    @cherrypy.expose
    def index(self) -> str:
        return f"hello {cherrypy.request.login}"

    @cherrypy.expose
    def page(self) -> str:
        return "page"


CONF = {
    "/": {
        "tools.sessions.on": True,
        "tools.session_auth.on": True,
        "tools.session_auth.check_username_and_password": check,
    }
}


def _login(
    client: requests.Session, base: str, password: str = "s3cret", from_page: str = "/page"
) -> requests.Response:
    data = {"username": "alice", "password": password, "from_page": from_page}
    return client.post(base + "/do_login", data=data, allow_redirects=False)


def test_anonymous_visitor_gets_the_login_form(live: Any) -> None:
    with live(Root(), CONF) as base:
        response = requests.get(base + "/page?x=1")
    assert response.status_code == 200
    assert '<form method="post" action="do_login">' in response.text
    assert f'name="from_page" value="{base}/page?x=1"' in response.text


def test_login_redirects_and_remembers_the_user(live: Any, cookies: Any) -> None:
    with live(Root(), CONF) as base:
        client = requests.Session()
        client.get(base + "/")
        before = client.cookies["session_id"]
        response = _login(client, base)
        assert response.status_code == 303
        assert response.headers["Location"] == base + "/page"
        after = cookies.session_id(response)
        assert after != before, "the session id must change at login"
        assert client.get(base + "/").text == "hello alice"
        # The pre-login id (which an attacker could have planted) is worthless.
        stolen = requests.get(base + "/", cookies={"session_id": before})
        assert "do_login" in stolen.text


def test_wrong_password_shows_the_form_with_the_error(live: Any) -> None:
    with live(Root(), CONF) as base:
        client = requests.Session()
        response = _login(client, base, password="nope")
        assert response.status_code == 200
        assert "Message: Wrong login/password" in response.text
        assert 'value="alice"' in response.text
        assert "do_login" in client.get(base + "/").text


def test_login_form_escapes_what_it_echoes(live: Any) -> None:
    with live(Root(), CONF) as base:
        data = {"username": '"><script>alert(1)</script>', "password": "x", "from_page": '"><b>'}
        response = requests.post(base + "/do_login", data=data)
    assert "<script>" not in response.text and "<b>" not in response.text
    assert "&lt;script&gt;" in response.text and "&quot;&gt;&lt;b&gt;" in response.text


def test_from_page_cannot_leave_the_site(live: Any) -> None:
    with live(Root(), CONF) as base:
        for target in ("http://evil.example/", "//evil.example/x", "https:evil", "/\\evil.example"):
            client = requests.Session()
            response = _login(client, base, from_page=target)
            assert response.status_code == 303
            assert response.headers["Location"] == base + "/", target


def test_logout(live: Any, cookies: Any) -> None:
    with live(Root(), CONF) as base:
        client = requests.Session()
        _login(client, base)
        logged_in = client.cookies["session_id"]
        response = client.post(
            base + "/do_logout", data={"from_page": "/bye"}, allow_redirects=False
        )
        assert response.status_code == 303
        assert response.headers["Location"] == base + "/bye"
        assert cookies.session_id(response) != logged_in
        assert "do_login" in client.get(base + "/").text


@pytest.mark.parametrize("path", ["/do_login", "/do_logout"])
def test_login_and_logout_need_post(live: Any, path: str) -> None:
    with live(Root(), CONF) as base:
        response = requests.get(base + path)
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"


def test_login_screen_path(live: Any) -> None:
    with live(Root(), CONF) as base:
        response = requests.get(base + "/login_screen")
    assert response.status_code == 200
    assert 'name="from_page" value=".."' in response.text


def test_do_login_without_credentials_is_a_400(live: Any) -> None:
    with live(Root(), CONF) as base:
        assert requests.post(base + "/do_login", data={}).status_code == 400


def test_anonymous_user_and_hooks(live: Any) -> None:
    seen: list[tuple[str, str]] = []
    conf = {
        "/": dict(
            CONF["/"],
            **{
                "tools.session_auth.anonymous": lambda: "guest",
                "tools.session_auth.on_check": lambda username: seen.append(("check", username)),
            },
        )
    }
    with live(Root(), conf) as base:
        assert requests.get(base + "/").text == "hello guest"
    assert seen == [("check", "guest")]


def test_custom_session_key_and_on_login(live: Any) -> None:
    logins: list[str] = []

    class Root2(Root):
        @cherrypy.expose
        def whoami(self) -> str:
            return str(cherrypy.session.get("user"))

    conf = {
        "/": dict(
            CONF["/"],
            **{
                "tools.session_auth.session_key": "user",
                "tools.session_auth.on_login": logins.append,
            },
        )
    }
    with live(Root2(), conf) as base:
        client = requests.Session()
        _login(client, base)
        assert client.get(base + "/whoami").text == "alice"
    assert logins == ["alice"]


def test_safe_redirect_target_rules() -> None:
    cherrypy.request.base = "http://site.test:8080"  # the idle thread's default request
    assert safe_redirect_target("/a?b=1") == "/a?b=1"
    assert safe_redirect_target("..") == ".."
    assert safe_redirect_target("http://site.test:8080/x") == "http://site.test:8080/x"
    assert safe_redirect_target("https://site.test:8080/x") == "/"
    assert safe_redirect_target("/ok\r\nSet-Cookie: x") == "/"
    assert safe_redirect_target(None) == "/"


def test_login_screen_is_bytes() -> None:
    page = SessionAuth().login_screen("/next", "bob", "oops")
    assert isinstance(page, bytes) and b"Message: oops" in page
