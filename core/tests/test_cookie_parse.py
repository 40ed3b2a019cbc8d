"""Deferred cookies (``cherrypy.kernel.cookies``): the fast Cookie-header path must give what
``SimpleCookie.load`` gives, refuse what it refuses, and pending response cookies must behave
like Morsels set in ``response.cookie``."""

from __future__ import annotations

import random
from http.cookies import CookieError, Morsel, SimpleCookie
from typing import Any

import pytest

import cherrypy
from cherrypy.kernel.cookies import (
    LazyCookie,
    defer_response_cookie,
    load_request_cookie,
    parse_into,
    request_cookie_value,
    set_cookie_headers,
)


class Holder:
    """A stand-in for a request or response: anything with a ``cookie`` LazyCookie."""

    cookie = LazyCookie()


def _state(cookie: SimpleCookie) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Everything that distinguishes two SimpleCookies: order, attributes, key/value/coded."""
    return [(key, dict(morsel), dict(morsel.__dict__)) for key, morsel in cookie.items()]


def _reference(*headers: str) -> SimpleCookie | CookieError:
    cookie: SimpleCookie = SimpleCookie()
    try:
        for header in headers:
            cookie.load(header)
    except CookieError as exc:
        return exc
    return cookie


def _load(*headers: str) -> tuple[Holder, CookieError | None]:
    """A holder given ``headers`` as a request is, and the error that raised, if any."""
    holder = Holder()
    try:
        for header in headers:
            load_request_cookie(holder, header)
    except CookieError as exc:
        return holder, exc
    return holder, None


def _ours(*headers: str) -> tuple[Holder, SimpleCookie | CookieError]:
    holder, error = _load(*headers)
    return holder, error or holder.cookie


COMMON = [
    "session_id=3b5c0e1f2a3b4c5d6e7f8091a2b3c4d5e6f70819",
    "a=1; b=2",
    "a=1;b=2;c=3",
    "a=1;  b=2;\tc=3;",
    'q="quoted value, with comma"',
    'empty=; e2=""',
    "a=1; a=2",
    "x=y=z; w=[]{}<>?@/:!#$%&'()*+-.^_`|~",
    "n!#%&'*+-.^_`|~=v",
]
UNUSUAL = [
    "",
    "a=1; Path=/; b=2",
    "Path=/; a=1",
    "a=1; Secure",
    "a=1; $Version=1",
    "$Version=1; a=1",
    "a=1; $foo=bar",
    "a@b=1",
    "a:b=1",
    "a = 1",
    "a=1 b=2",
    "a=1, b=2",
    'a="x\\"y"; b="\\101"',
    'a="x;y"',
    "a=é",
    "é=1",
    "a=Wed, 09 Jun 2021 10:18:14 GMT",
    "a=1; expires=Wed, 09 Jun 2021 10:18:14 GMT",
    "a",
    "a=1;;b=2",
    "a=\x00",
]


@pytest.mark.parametrize("header", COMMON)
def test_common_headers_are_deferred_and_parse_like_simplecookie(header: str) -> None:
    holder, error = _load(header)
    assert error is None
    assert "cookie" not in holder.__dict__  # nothing parsed yet
    ours = holder.cookie
    reference = _reference(header)
    assert isinstance(reference, SimpleCookie)
    assert _state(ours) == _state(reference)
    assert all(type(morsel) is Morsel for morsel in ours.values())


@pytest.mark.parametrize("header", UNUSUAL)
def test_unusual_headers_behave_like_simplecookie(header: str) -> None:
    _, ours = _ours(header)
    reference = _reference(header)
    if isinstance(reference, CookieError):
        assert isinstance(ours, CookieError)
        assert str(ours) == str(reference)
    else:
        assert not isinstance(ours, CookieError)
        assert _state(ours) == _state(reference)


@pytest.mark.parametrize("header", ["a@b=1", "a=1; $foo=bar", "a(b=1"])
def test_refused_headers_raise_at_once(header: str) -> None:
    with pytest.raises(CookieError):
        load_request_cookie(Holder(), header)


def test_several_headers_accumulate_like_repeated_loads() -> None:
    for headers in [
        ("a=1", "b=2"),
        ("a=1", "a=3; c=4"),
        ("a=1; Path=/", "b=2"),
        ("a=1", "b=2; Path=/x", "a=5"),
    ]:
        _, ours = _ours(*headers)
        reference = _reference(*headers)
        assert isinstance(reference, SimpleCookie)
        assert _state(ours) == _state(reference)  # type: ignore[arg-type]


def test_a_header_after_first_access_is_parsed_into_the_same_cookie() -> None:
    holder = Holder()
    load_request_cookie(holder, "a=1")
    first = holder.cookie
    load_request_cookie(holder, "b=2")
    assert holder.cookie is first
    assert [(k, m.value) for k, m in first.items()] == [("a", "1"), ("b", "2")]


def test_random_headers_match_simplecookie() -> None:
    rnd = random.Random(6265)
    pieces = list("aZ09_-.=;\" ,$!#%&'*+^`|~:()<>@[]{}\\/?\t") + ["path", "Secure", "é", "\r"]
    names = ["a", "sid", "Path", "max-age", "x.y", "b!#", "$v", "n:m", "k=v"]
    values = ["1", "", '"q"', '"a b,c"', "x=y", "[]", '"', '"a\\"b"', "a b", "é", "a,b"]
    seps = ["; ", ";", ";  ", " ", ", ", ";\t"]
    deferred = 0
    for round_ in range(6000):
        if round_ % 2:
            header = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 14)))
        else:
            header = rnd.choice(seps).join(
                rnd.choice(names) + rnd.choice(["=", "=", " = ", ""]) + rnd.choice(values)
                for _ in range(rnd.randint(1, 4))
            )
        holder, error = _load(header)
        deferred += "_cookie_headers" in holder.__dict__
        ours = error or holder.cookie
        reference = _reference(header)
        if isinstance(reference, CookieError):
            assert isinstance(ours, CookieError), header
        else:
            assert not isinstance(ours, CookieError), header
            assert _state(ours) == _state(reference), header
    assert deferred > 200  # the fast path was really exercised


@pytest.mark.parametrize(
    "headers",
    [("sid=abc",), ("a=1; sid=abc",), ("sid=1; sid=2",), ('sid="q v"',), ("a=1",), ("x=1", "sid=z")]
    + [("Path=/; sid=abc",), ("sid=abc; path=/",), ("sid=abc; $Path=/",), ("a=1;",), ("",)],
)
def test_request_cookie_value_matches_the_parsed_cookie(headers: tuple[str, ...]) -> None:
    holder, _ = _load(*headers)
    value = request_cookie_value(holder, "sid")
    reference = _reference(*headers)
    assert isinstance(reference, SimpleCookie)
    morsel = reference.get("sid")
    assert value == (morsel.value if morsel is not None else None)
    assert request_cookie_value(holder, "sid") == value  # also once parsed


def test_request_cookie_value_does_not_build_the_cookie() -> None:
    holder, _ = _load("a=1; sid=abc", 'sid="x y"')
    assert request_cookie_value(holder, "sid") == "x y"
    assert request_cookie_value(holder, "b") is None
    assert "cookie" not in holder.__dict__


def test_parse_into_keeps_an_existing_morsel_for_a_repeated_name() -> None:
    cookie: SimpleCookie = SimpleCookie()
    cookie.load("a=1; Path=/x")
    morsel = cookie["a"]
    parse_into(cookie, "a=2")
    assert cookie["a"] is morsel
    assert (morsel.value, morsel["path"]) == ("2", "/x")


class _Pending:
    def __init__(self, name: str, value: str) -> None:
        self.name, self.value = name, value
        self.built = 0

    def morsel(self) -> Morsel[str]:
        self.built += 1
        morsel: Morsel[str] = Morsel()
        morsel.set(self.name, self.value, self.value)
        morsel["path"] = "/"
        return morsel

    def header(self) -> bytes:
        return f"{self.name}={self.value}; Path=/".encode()


def _headers(holder: Holder) -> list[tuple[bytes, bytes]]:
    out: list[tuple[bytes, bytes]] = []
    set_cookie_headers(holder, out, lambda text: text.encode("latin-1"))
    return out


def test_pending_response_cookie_is_sent_without_a_morsel() -> None:
    holder = Holder()
    pending = _Pending("sid", "abc")
    assert defer_response_cookie(holder, "sid", pending)
    assert defer_response_cookie(holder, "sid", _Pending("sid", "new"))  # replaces
    assert _headers(holder) == [(b"Set-Cookie", b"sid=new; Path=/")]
    assert pending.built == 0 and "cookie" not in holder.__dict__


def test_pending_response_cookie_becomes_a_morsel_on_access() -> None:
    holder = Holder()
    pending = _Pending("sid", "abc")
    defer_response_cookie(holder, "sid", pending)
    holder.cookie["other"] = "1"
    holder.cookie["sid"]["max-age"] = 5  # edits count once it is a Morsel
    assert list(holder.cookie) == ["sid", "other"]
    assert _headers(holder) == [
        (b"Set-Cookie", b"sid=abc; Max-Age=5; Path=/"),
        (b"Set-Cookie", b"other=1"),
    ]
    assert not defer_response_cookie(holder, "x", _Pending("x", "1"))  # the caller sets it


def test_replacing_response_cookie_drops_pending_ones() -> None:
    holder = Holder()
    defer_response_cookie(holder, "sid", _Pending("sid", "abc"))
    holder.cookie = SimpleCookie()  # as CherryPy would lose a Morsel set before
    holder.cookie["n"] = "1"
    assert _headers(holder) == [(b"Set-Cookie", b"n=1")]


def test_control_characters_in_a_cookie_are_refused() -> None:
    holder = Holder()
    holder.cookie["a"] = "x"
    holder.cookie["a"]["path"] = "/\r\nX-Injected: 1"
    with pytest.raises(ValueError, match="control character"):
        _headers(holder)


class Echo:
    @cherrypy.expose
    def index(self) -> str:
        return repr(sorted((k, m.value) for k, m in cherrypy.request.cookie.items()))

    @cherrypy.expose
    def untouched(self) -> str:
        return "ok"


def test_through_wsgi(wsgi: Any) -> None:
    cherrypy.tree.mount(Echo(), "/echo")
    res = wsgi.get("/echo/", headers={"Cookie": 'a=1; b="two words"; a=3'})
    assert res.text == "[('a', '3'), ('b', 'two words')]"
    assert wsgi.get("/echo/", headers={"Cookie": "a=1; Path=/"}).text == "[('a', '1')]"
    assert wsgi.get("/echo/untouched", headers={"Cookie": "a=1"}).text == "ok"
    bad = wsgi.get("/echo/untouched", headers={"Cookie": "a@b=1"})
    assert bad.status.startswith("400")
    assert bad.all("Set-Cookie") == []
