"""tools.caching under attack, over real HTTP: no cross-user leaks, bounded store, clean keys.

Issue 20: one store entry per distinct URL stayed forever, and a response to a request with
``Authorization`` or a session cookie was served to other users.
"""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import requests

import cherrypy
from cherrypy_caching import MemoryCache, process_cache


def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass (generous: CI is slow)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def cache() -> MemoryCache:
    found = process_cache()
    assert isinstance(found, MemoryCache)
    return found


def basic(user: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:secret".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def who() -> str:
    """The user named by the request's Authorization header or ``user`` cookie."""
    auth = cherrypy.request.headers.get("Authorization")
    if auth:
        return base64.b64decode(auth.split()[1]).decode().partition(":")[0]
    cookie = cherrypy.request.cookie.get("user")
    return cookie.value if cookie is not None else "anonymous"


class Site:
    """Pages whose handlers count their calls; ``cc`` sets the response's Cache-Control."""

    def __init__(self) -> None:
        self.calls = 0
        self.lock = threading.Lock()
        self.gate = threading.Event()
        self.gate.set()

    def bump(self) -> int:
        with self.lock:
            self.calls += 1
            return self.calls

    @cherrypy.expose
    def account(self, cc: str = "", vary: str = "") -> str:
        if cc:
            cherrypy.response.headers["Cache-Control"] = cc
        if vary:
            cherrypy.response.headers["Vary"] = vary
        return f"secret page of {who()} #{self.bump()}"

    @cherrypy.expose
    def greeting(self) -> str:
        # Anonymous visitors get a shared page; a signed-in one a page varying on the cookie.
        if "user" in cherrypy.request.cookie:
            cherrypy.response.headers["Vary"] = "Cookie"
        return f"hello {who()} #{self.bump()}"

    @cherrypy.expose
    def remember(self, name: str = "x") -> str:
        cherrypy.response.cookie["user"] = name
        return f"set #{self.bump()}"

    @cherrypy.expose
    def session_page(self, name: str = "") -> str:
        if name:
            cherrypy.session["name"] = name  # type: ignore[attr-defined]
        return f"session of {cherrypy.session.get('name', 'nobody')} #{self.bump()}"  # type: ignore[attr-defined]

    @cherrypy.expose
    def page(self, n: str = "") -> str:
        self.bump()
        return f"page {n}"

    @cherrypy.expose
    def gated(self) -> str:
        self.gate.wait(30)
        return f"gated #{self.bump()}"

    @cherrypy.expose
    def gone(self, n: str = "") -> str:
        self.bump()
        raise cherrypy.HTTPError(404)

    @cherrypy.expose
    def forgetful(self, n: str = "") -> str:
        # Lose the reservation handle, as a request whose on_end_request never ran would.
        cherrypy.request.caching_reservation = None
        cherrypy.response.headers["Cache-Control"] = "private"
        return f"forgetful #{self.bump()}"

    @cherrypy.expose
    def varying(self) -> str:
        cherrypy.response.headers["Vary"] = "X-Token"
        return f"token {cherrypy.request.headers.get('X-Token', '')} #{self.bump()}"

    @cherrypy.expose
    def big(self, size: str = "10") -> str:
        self.bump()
        return "x" * int(size)

    @cherrypy.expose
    def where(self) -> str:
        return f"{cherrypy.url()} #{self.bump()}"

    @cherrypy.expose
    def default(self, *args: str, **kwargs: str) -> str:
        return f"default {args} {kwargs} #{self.bump()}"


def start(serve_root: Callable[..., str], **options: Any) -> tuple[Site, str]:
    site = Site()
    extra = options.pop("conf", {})
    conf = {
        "/": {
            "tools.caching.on": True,
            **{f"tools.caching.{key}": value for key, value in options.items()},
            **extra,
        }
    }
    return site, serve_root(site, conf)


# -- privacy (RFC 9111 §3.5) ------------------------------------------------------------------


def test_authorization_responses_are_not_shared(serve_root) -> None:
    _site, base = start(serve_root)
    with requests.Session() as client:
        alice = client.get(base + "/account", headers=basic("alice"))
        bob = client.get(base + "/account", headers=basic("bob"))
        anonymous = client.get(base + "/account")
        alice_again = client.get(base + "/account", headers=basic("alice"))
    assert alice.text == "secret page of alice #1"
    assert bob.text == "secret page of bob #2"
    assert anonymous.text == "secret page of anonymous #3"
    # Alice's page was not stored, and the anonymous copy (which does not say it may be
    # shared) is not served to a request with credentials either.
    assert alice_again.text == "secret page of alice #4"
    assert "Age" not in alice_again.headers
    assert client.get(base + "/account").text == "secret page of anonymous #3"
    assert wait_for(lambda: cache().sizes()["uris"] == 1)  # the anonymous page only


def test_authorization_response_shared_only_when_it_says_so(serve_root) -> None:
    _site, base = start(serve_root)
    with requests.Session() as client:
        for cc in ("public", "s-maxage=60", "max-age=60, must-revalidate", "PUBLIC, max-age=60"):
            url, params = base + "/account", {"cc": cc}
            first = client.get(url, params=params, headers=basic("alice"))
            second = client.get(url, params=params, headers=basic("bob"))
            assert second.text == first.text, cc
            assert "Age" in second.headers, cc
        # must-revalidate without an explicit lifetime, or with max-age=0: not shared.
        for cc in ("must-revalidate", "max-age=0, must-revalidate", "max-age=60"):
            url, params = base + "/account", {"cc": cc}
            assert "alice" in client.get(url, params=params, headers=basic("alice")).text, cc
            assert "bob" in client.get(url, params=params, headers=basic("bob")).text, cc


def test_cookie_responses_are_not_shared(serve_root) -> None:
    _site, base = start(serve_root)
    with requests.Session() as client:
        alice = client.get(base + "/account", headers={"Cookie": "user=alice"})
        bob = client.get(base + "/account", headers={"Cookie": "user=bob"})
        anonymous = client.get(base + "/account")
        public = [
            client.get(base + "/account?cc=public", headers={"Cookie": f"user={name}"})
            for name in ("alice", "bob")
        ]
    assert alice.text == "secret page of alice #1"
    assert bob.text == "secret page of bob #2"
    assert anonymous.text == "secret page of anonymous #3"
    assert "alice" in requests.get(base + "/account", headers={"Cookie": "user=alice"}).text
    # A response that says it is public is shared whatever the cookies.
    assert public[0].text == public[1].text == "secret page of alice #4"
    assert "Age" in public[1].headers


def test_vary_cookie_keeps_one_copy_per_cookie(serve_root) -> None:
    _site, base = start(serve_root)
    url = base + "/account?vary=Cookie"
    with requests.Session() as client:
        alice = [client.get(url, headers={"Cookie": "user=alice"}) for _ in range(2)]
        bob = [client.get(url, headers={"Cookie": "user=bob"}) for _ in range(2)]
        anonymous = client.get(url)
    assert [r.text for r in alice] == ["secret page of alice #1"] * 2
    assert "Age" in alice[1].headers
    assert [r.text for r in bob] == ["secret page of bob #2"] * 2
    assert anonymous.text == "secret page of anonymous #3"


def test_vary_change_never_serves_a_signed_in_page_to_others(serve_root) -> None:
    # The anonymous copy has no Vary; a signed-in user's copy says Vary: Cookie.  CherryPy
    # kept the URI's first selecting headers, so the signed-in copy replaced the anonymous
    # one under the same key and was served to everyone.
    _site, base = start(serve_root)
    with requests.Session() as client:
        assert client.get(base + "/greeting").text == "hello anonymous #1"
        assert client.get(base + "/greeting").text == "hello anonymous #1"
        alice = {"Cookie": "user=alice"}
        assert client.get(base + "/greeting", headers=alice).text == "hello alice #2"
        assert client.get(base + "/greeting", headers=alice).text == "hello alice #2"
        assert client.get(base + "/greeting").text == "hello anonymous #3"
        assert client.get(base + "/greeting", headers={"Cookie": "user=bob"}).text == (
            "hello bob #4"
        )
        # Bob's copy (Vary: Cookie) replaced the URI's copies: recomputed, never Bob's.
        assert client.get(base + "/greeting").text == "hello anonymous #5"


def test_responses_setting_cookies_are_not_stored(serve_root) -> None:
    _site, base = start(serve_root)
    first = requests.get(base + "/remember?name=alice")
    second = requests.get(base + "/remember?name=alice")
    assert first.cookies["user"] == "alice"
    assert second.text == "set #2"  # computed again, and its own cookie
    assert "Age" not in second.headers
    # The entry made while computing goes at on_end_request, just after the answer is sent.
    assert wait_for(lambda: cache().sizes()["uris"] == 0)


def test_session_pages_are_not_shared(serve_root) -> None:
    _site, base = start(serve_root, conf={"tools.sessions.on": True})
    with requests.Session() as alice, requests.Session() as bob:
        assert "alice" in alice.get(base + "/session_page?name=alice").text
        assert "bob" in bob.get(base + "/session_page?name=bob").text
        for _ in range(2):
            assert "session of alice" in alice.get(base + "/session_page").text
            assert "session of bob" in bob.get(base + "/session_page").text
        assert "session of nobody" in requests.get(base + "/session_page").text


def test_private_and_no_cache_directives_in_any_spelling(serve_root) -> None:
    _site, base = start(serve_root)
    for cc in (
        "Private",
        'private="Set-Cookie"',
        "max-age=60, private",
        "no-cache",
        'no-cache="Set-Cookie"',
        "NO-STORE",
        "max-age=abc",
    ):
        params = {"cc": cc}
        first = requests.get(base + "/account", params=params).text
        assert requests.get(base + "/account", params=params).text != first, cc
    assert wait_for(lambda: cache().sizes()["uris"] == 0)  # see above: after the answer


def test_anonymous_copies_reach_cookie_holders_only_when_public(serve_root) -> None:
    _site, base = start(serve_root)
    with requests.Session() as client:
        assert client.get(base + "/account").text == "secret page of anonymous #1"
        signed_in = client.get(base + "/account", headers={"Cookie": "user=alice"})
        assert signed_in.text == "secret page of alice #2"
        url, params = base + "/account", {"cc": "public"}
        assert client.get(url, params=params).text == "secret page of anonymous #3"
        for headers in ({"Cookie": "user=alice"}, basic("bob")):
            shared = client.get(url, params=params, headers=headers)
            assert shared.text == "secret page of anonymous #3"
            assert "Age" in shared.headers


def test_private_headers_setting(serve_root) -> None:
    _site, base = start(serve_root, private_headers=["Cookie", "X-Api-Key"])
    one = requests.get(base + "/account", headers={"X-Api-Key": "one"})
    two = requests.get(base + "/account", headers={"X-Api-Key": "two"})
    assert one.text != two.text
    assert "Age" not in two.headers


# -- bounds ------------------------------------------------------------------------------------


def test_url_flood_stays_within_maxobjects(serve_root) -> None:
    site, base = start(serve_root, maxobjects=50)
    with requests.Session() as client:
        for n in range(2000):
            path = "/page" if n % 2 else "/gone"  # 200s and 404s: both storable
            assert client.get(f"{base}{path}?n={n}").status_code in (200, 404)
    sizes = cache().sizes()
    assert sizes["variants"] == sizes["objects"] == 50
    assert sizes["uris"] == 50 and sizes["pending"] == 0
    assert sizes["expiry_records"] <= 2 * 50 + 64
    # Full means full: a new URL is computed but refused, and leaves nothing behind.
    client_calls = site.calls
    assert requests.get(base + "/page?n=new").text == "page new"
    assert requests.get(base + "/page?n=new").text == "page new"
    assert site.calls == client_calls + 2
    assert cache().sizes()["uris"] == 50


def test_vary_flood_stays_within_maxobjects(serve_root) -> None:
    _site, base = start(serve_root, maxobjects=40)
    with requests.Session() as client:
        for n in range(1500):
            client.get(base + "/varying", headers={"X-Token": f"t{n}"})
    sizes = cache().sizes()
    assert sizes["variants"] == 40 and sizes["uris"] == 1 and sizes["pending"] == 0
    assert sizes["expiry_records"] <= 2 * 40 + 64


def test_maxsize_holds_under_a_flood(serve_root) -> None:
    _site, base = start(serve_root, maxsize=5000, maxobj_size=1000)
    with requests.Session() as client:
        for n in range(600):
            client.get(f"{base}/big?size={n % 1200}")
    sizes = cache().sizes()
    assert 0 < sizes["bytes"] < 5000
    stored = [
        len(value[2])
        for uricache in cache().store.values()
        for value in uricache.values()
        if isinstance(value, tuple)
    ]
    assert sum(stored) == sizes["bytes"] and max(stored) < 1000


def test_uncacheable_flood_leaves_nothing(serve_root) -> None:
    _site, base = start(serve_root, maxobj_size=100)
    with requests.Session() as client:
        for n in range(500):
            client.get(f"{base}/account?cc=private&n={n}")
            client.get(f"{base}/account?n={n}", headers=basic("mallory"))
            client.get(f"{base}/big?size=500&n={n}")
            client.post(f"{base}/page?n={n}")
    sizes = cache().sizes()
    assert sizes == {**sizes, "uris": 0, "variants": 0, "pending": 0, "expiry_records": 0}


def test_replacement_churn_keeps_the_expiry_index_bounded(serve_root) -> None:
    _site, base = start(serve_root)
    with requests.Session() as client:
        for n in range(1500):
            # Each no-cache request stores a new copy; each DELETE drops the URI's copies.
            client.get(base + "/page", headers={"Cache-Control": "no-cache"})
            if n % 3 == 0:
                client.delete(base + "/page")
    sizes = cache().sizes()
    assert sizes["objects"] <= 1 and sizes["uris"] <= 1
    assert sizes["expiry_records"] <= 2 * 1 + 64


def test_expired_entries_are_swept(serve_root) -> None:
    _site, base = start(serve_root, delay=2, expire_freq=0.05)
    with requests.Session() as client:
        for n in range(300):
            client.get(f"{base}/page?n={n}")
            client.get(base + "/varying", headers={"X-Token": f"t{n}"})
    assert cache().tot_puts == 600
    assert wait_for(lambda: cache().sizes()["objects"] == 0)
    sizes = cache().sizes()
    assert sizes["uris"] == 0 and sizes["expiry_records"] == 0 and sizes["bytes"] == 0
    assert cache().tot_expires == 600


def test_expired_entries_freed_on_write_without_the_sweep(serve_root) -> None:
    _site, base = start(serve_root, delay=1, expire_freq=3600)
    with requests.Session() as client:
        for n in range(100):
            client.get(f"{base}/page?n={n}")
        created = time.time()
        assert cache().sizes()["objects"] == 100
        # Wait until the entries are past their lifetime (the sweep thread is asleep).
        assert wait_for(lambda: time.time() > created + 1.5)
        client.get(base + "/page?n=fresh")  # storing a response frees the expired ones
    sizes = cache().sizes()
    assert sizes["objects"] == 1 and sizes["uris"] == 1 and sizes["expiry_records"] == 1


def test_response_max_age_shortens_the_lifetime(serve_root) -> None:
    _site, base = start(serve_root)
    url = base + "/account?cc=max-age%3D1"
    first = requests.get(url).text
    assert requests.get(url).text == first
    assert wait_for(lambda: requests.get(url).text != first)


def test_first_request_stampede_computes_once(serve_root) -> None:
    # A URI never seen before is reserved by its first request, too (CherryPy only guarded
    # URIs already in the store, and kept an entry per URI forever for that).
    site, base = start(serve_root)
    site.gate.clear()
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(requests.get(base + "/gated").text))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    # All four asked the cache (one computes, three wait on its reservation).
    assert wait_for(lambda: process_cache() is not None and cache().tot_gets == 4)
    assert cache().sizes()["pending"] == 1
    site.gate.set()
    for thread in threads:
        thread.join()
    assert results == ["gated #1"] * 4
    assert cache().sizes() == {**cache().sizes(), "uris": 1, "variants": 1, "pending": 0}


def test_unreleased_reservations_are_given_up(serve_root) -> None:
    _site, base = start(serve_root, antistampede_timeout=0.5, expire_freq=0.05)
    with requests.Session() as client:
        for n in range(50):
            assert client.get(f"{base}/forgetful?n={n}").text == f"forgetful #{n + 1}"
    assert wait_for(lambda: cache().sizes()["reservations"] == 0)
    sizes = cache().sizes()
    assert sizes["uris"] == 0 and sizes["pending"] == 0


# -- keys --------------------------------------------------------------------------------------


def raw_get(base: str, target: str, host: str) -> bytes:
    address = base.split("//", 1)[1]
    name, _, port = address.rpartition(":")
    with socket.create_connection((name, int(port)), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


def test_host_is_part_of_the_key_and_malformed_hosts_store_nothing(serve_root) -> None:
    _site, base = start(serve_root)
    evil = raw_get(base, "/where", "evil.example")
    assert b"http://evil.example/where #1" in evil
    good = raw_get(base, "/where", "good.example")
    assert b"http://good.example/where #2" in good
    assert b"http://good.example/where #2" in raw_get(base, "/where", "good.example")
    for host in ("evil.example/x?", "evil.example@good.example", "a b", "good.example:80x"):
        assert raw_get(base, "/where", host).startswith(b"HTTP/1.1 400"), host
    assert sorted(cache().store) == ["http://evil.example/where", "http://good.example/where"]


def test_encoded_question_mark_and_dot_segments_get_their_own_key(serve_root) -> None:
    # cherrypy.url() turns the path "/page?n=1" (from /page%3Fn=1) and the path "/x/../page"
    # into URLs equal to other requests': stored under those keys, a 404 or another
    # handler's answer would have been served for the real page.
    _site, base = start(serve_root)
    host = "localhost"
    poisoned = raw_get(base, "/page%3Fn=1", host)
    assert b"default ('page?n=1',)" in poisoned
    assert raw_get(base, "/page?n=1", host).endswith(b"page 1")
    raw_get(base, "/x/../where", host)
    assert raw_get(base, "/where", host).split(b"\r\n\r\n", 1)[1].startswith(b"http://")
    assert b"default" not in raw_get(base, "/where", host)
