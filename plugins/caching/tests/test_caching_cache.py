"""tools.caching over real HTTP: hits, invalidation, variants, bounds, freshness, stampedes."""

from __future__ import annotations

import threading
import time
from email.utils import formatdate

import requests

import cherrypy
from cherrypy_caching import process_cache


class Counter:
    """A root whose pages count how often their handler really ran."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.lock = threading.Lock()

    def bump(self, name: str) -> int:
        with self.lock:
            self.calls[name] = self.calls.get(name, 0) + 1
            return self.calls[name]

    @cherrypy.expose
    def index(self) -> str:
        return f"index {self.bump('index')}"

    @cherrypy.expose
    def lang(self) -> str:
        cherrypy.response.headers["Vary"] = "Accept-Language"
        n = self.bump("lang")
        return f"{cherrypy.request.headers.get('Accept-Language', '-')} {n}"

    @cherrypy.expose
    def big(self, size: str = "200") -> str:
        return str(self.bump("big")) + "x" * int(size)

    @cherrypy.expose
    def slow(self) -> str:
        time.sleep(0.5)
        return f"slow {self.bump('slow')}"

    @cherrypy.expose
    def flaky(self) -> str:
        time.sleep(0.3)
        if self.bump("flaky") == 1:
            raise ValueError("first call fails")
        return "recovered"

    @cherrypy.expose
    def missing(self) -> str:
        self.bump("missing")
        raise cherrypy.HTTPError(404)

    @cherrypy.expose
    def private(self) -> str:
        cherrypy.response.headers["Cache-Control"] = "private"
        return f"private {self.bump('private')}"

    @cherrypy.expose
    def dated(self) -> str:
        cherrypy.response.headers["Last-Modified"] = formatdate(1_600_000_000, usegmt=True)
        return f"dated {self.bump('dated')}"

    @cherrypy.expose
    def query(self, q: str = "") -> str:
        return f"{q} {self.bump('query')}"

    @cherrypy.expose
    def cached_flag(self) -> str:
        return f"{cherrypy.request.cached} {self.bump('cached_flag')}"


def start(serve_root, **options: object) -> tuple[Counter, str]:
    root = Counter()
    conf = {
        "/": {"tools.caching.on": True, **{f"tools.caching.{k}": v for k, v in options.items()}}
    }
    return root, serve_root(root, conf)


def test_second_request_is_served_from_cache(serve_root) -> None:
    root, base = start(serve_root)
    first = requests.get(base + "/")
    assert first.text == "index 1"
    assert "Age" not in first.headers
    second = requests.get(base + "/")
    assert second.text == "index 1"
    assert second.headers["Age"] == "0"
    assert second.headers["Content-Length"] == str(len("index 1"))
    assert root.calls["index"] == 1
    assert requests.head(base + "/").status_code == 200
    assert root.calls["index"] == 1


def test_query_strings_are_distinct_entries(serve_root) -> None:
    _root, base = start(serve_root)
    assert requests.get(base + "/query?q=a").text == "a 1"
    assert requests.get(base + "/query?q=b").text == "b 2"
    assert requests.get(base + "/query?q=a").text == "a 1"


def test_request_cached_flag(serve_root) -> None:
    _, base = start(serve_root)
    assert requests.get(base + "/cached_flag").text == "False 1"
    assert requests.get(base + "/cached_flag").text == "False 1"


def test_unsafe_methods_invalidate(serve_root) -> None:
    _root, base = start(serve_root)
    assert requests.get(base + "/").text == "index 1"
    assert requests.post(base + "/").text == "index 2"
    assert requests.get(base + "/").text == "index 3"
    assert requests.get(base + "/").text == "index 3"
    assert requests.delete(base + "/").text == "index 4"
    assert requests.get(base + "/").text == "index 5"


def test_other_methods_never_served_from_cache(serve_root) -> None:
    _root, base = start(serve_root)
    assert requests.get(base + "/").text == "index 1"
    assert requests.options(base + "/").text == "index 2"
    assert requests.get(base + "/").text == "index 1"


def test_vary_keeps_one_variant_per_header_value(serve_root) -> None:
    root, base = start(serve_root)
    assert requests.get(base + "/lang", headers={"Accept-Language": "fr"}).text == "fr 1"
    assert requests.get(base + "/lang", headers={"Accept-Language": "de"}).text == "de 2"
    assert requests.get(base + "/lang", headers={"Accept-Language": "fr"}).text == "fr 1"
    assert requests.get(base + "/lang", headers={"Accept-Language": "de"}).text == "de 2"
    assert root.calls["lang"] == 2


def test_maxobj_size_skips_large_bodies(serve_root) -> None:
    _root, base = start(serve_root, maxobj_size=100)
    assert requests.get(base + "/big?size=500").text.startswith("1")
    assert requests.get(base + "/big?size=500").text.startswith("2")
    assert requests.get(base + "/big?size=10").text.startswith("3")
    assert requests.get(base + "/big?size=10").text.startswith("3")


def test_maxsize_bounds_the_whole_cache(serve_root) -> None:
    _root, base = start(serve_root, maxsize=250)
    assert requests.get(base + "/big?size=200").text.startswith("1")
    assert requests.get(base + "/big?size=201").text.startswith("2")
    assert requests.get(base + "/big?size=200").text.startswith("1")
    assert requests.get(base + "/big?size=201").text.startswith("3")
    cache = process_cache()
    assert cache.cursize == 201  # type: ignore[union-attr]


def test_entries_expire_after_delay(serve_root) -> None:
    _root, base = start(serve_root, delay=1)
    assert requests.get(base + "/").text == "index 1"
    assert requests.get(base + "/").text == "index 1"
    time.sleep(1.2)
    assert requests.get(base + "/").text == "index 2"
    cache = process_cache()
    assert cache.tot_expires >= 1  # type: ignore[union-attr]


def test_expiry_thread_starts_lazily_and_frees_memory(serve_root) -> None:
    assert not [t for t in threading.enumerate() if t.name == "expire_cache"]
    _root, base = start(serve_root, delay=0.3, expire_freq=0.05)
    requests.get(base + "/")
    cache = process_cache()
    assert cache.expiration_thread is not None and cache.expiration_thread.is_alive()  # type: ignore[union-attr]
    assert cache.cursize > 0  # type: ignore[union-attr]
    deadline = time.time() + 3
    while cache.cursize and time.time() < deadline:  # type: ignore[union-attr]
        time.sleep(0.05)
    assert cache.cursize == 0  # type: ignore[union-attr]


def test_request_no_cache_bypasses_and_refreshes(serve_root) -> None:
    _root, base = start(serve_root)
    assert requests.get(base + "/").text == "index 1"
    assert requests.get(base + "/", headers={"Cache-Control": "no-cache"}).text == "index 2"
    assert requests.get(base + "/").text == "index 2"
    assert requests.get(base + "/", headers={"Pragma": "no-cache"}).text == "index 3"
    assert requests.get(base + "/").text == "index 3"


def test_request_max_age(serve_root) -> None:
    _root, base = start(serve_root)
    assert requests.get(base + "/").text == "index 1"
    time.sleep(1.1)
    r = requests.get(base + "/", headers={"Cache-Control": "max-age=100"})
    assert r.text == "index 1" and int(r.headers["Age"]) >= 1
    assert requests.get(base + "/", headers={"Cache-Control": "max-age=0"}).text == "index 2"
    r = requests.get(base + "/", headers={"Cache-Control": "max-age=abc"})
    assert r.status_code == 400
    assert "Invalid Cache-Control header" in r.text


def test_no_store_and_private_are_not_stored(serve_root) -> None:
    _root, base = start(serve_root)
    assert requests.get(base + "/", headers={"Cache-Control": "no-store"}).text == "index 1"
    assert requests.get(base + "/").text == "index 2"
    assert requests.get(base + "/private").text == "private 1"
    assert requests.get(base + "/private").text == "private 2"


def test_error_responses_not_cached_and_do_not_stall(serve_root) -> None:
    root, base = start(serve_root)
    assert requests.get(base + "/flaky").status_code == 500
    began = time.time()
    assert requests.get(base + "/flaky").text == "recovered"
    assert time.time() - began < 2  # no wait for the anti-stampede timeout (5 s)
    assert requests.get(base + "/flaky").text == "recovered"
    assert root.calls["flaky"] == 2


def test_404_is_cacheable(serve_root) -> None:
    root, base = start(serve_root)
    assert requests.get(base + "/missing").status_code == 404
    assert requests.get(base + "/missing").status_code == 404
    assert root.calls["missing"] == 1


def test_antistampede_computes_once(serve_root) -> None:
    root, base = start(serve_root)
    assert requests.get(base + "/slow").text == "slow 1"
    # Expire every entry (the URI stays known), then let four clients stampede on it.
    process_cache().expire_now(time.time() + 10_000)  # type: ignore[union-attr]
    results: list[str] = []

    def fetch() -> None:
        results.append(requests.get(base + "/slow").text)

    threads = [threading.Thread(target=fetch) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["slow 2"] * 4
    assert root.calls["slow"] == 2


def test_cached_last_modified_gives_304(serve_root) -> None:
    root, base = start(serve_root)
    first = requests.get(base + "/dated")
    since = first.headers["Last-Modified"]
    r = requests.get(base + "/dated", headers={"If-Modified-Since": since})
    assert r.status_code == 304
    assert root.calls["dated"] == 1
    assert process_cache().tot_non_modified == 1  # type: ignore[union-attr]
    r = requests.get(
        base + "/dated", headers={"If-Unmodified-Since": "Sun, 06 Nov 1994 08:49:37 GMT"}
    )
    assert r.status_code == 412


def test_custom_cache_class(serve_root) -> None:
    from cherrypy_caching import MemoryCache

    class Recording(MemoryCache):
        puts = 0

        def put(self, variant, size):  # type: ignore[no-untyped-def]
            type(self).puts += 1
            super().put(variant, size)

    _root, base = start(serve_root, cache_class=Recording)
    requests.get(base + "/")
    requests.get(base + "/")
    assert isinstance(process_cache(), Recording)
    assert Recording.puts == 1
    assert cherrypy._cache is process_cache()  # type: ignore[attr-defined]
