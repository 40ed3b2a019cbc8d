"""tools.proxy over real HTTP: forwarded host, scheme and address, and what is not trusted."""

from __future__ import annotations

import requests

import cherrypy

FORWARDED = {
    "X-Forwarded-Host": "www.example.com",
    "X-Forwarded-For": "203.0.113.9, 10.0.0.5",
    "X-Forwarded-Proto": "https",
}


class Root:
    @cherrypy.expose
    def index(self) -> str:
        req = cherrypy.request
        return f"{req.base}|{req.remote.ip}|{cherrypy.url('/page')}"

    @cherrypy.expose
    def go(self) -> None:
        raise cherrypy.HTTPRedirect("/target")


def get(base: str, path: str = "/", headers: dict[str, str] | None = None) -> list[str]:
    return requests.get(base + path, headers=headers or {}, timeout=10).text.split("|")


def test_proxy_off_ignores_forwarded_headers(serve_root) -> None:
    base = serve_root(Root())
    request_base, ip, url = get(base, headers=FORWARDED)
    assert request_base == base
    assert ip == "127.0.0.1"
    assert url == base + "/page"


def test_proxy_on_uses_forwarded_headers(serve_root) -> None:
    base = serve_root(Root(), {"/": {"tools.proxy.on": True}})
    request_base, ip, url = get(base, headers=FORWARDED)
    assert request_base == "https://www.example.com"
    assert ip == "203.0.113.9"
    assert url == "https://www.example.com/page"
    r = requests.get(base + "/go", headers=FORWARDED, allow_redirects=False)
    assert r.status_code == 303
    assert r.headers["Location"] == "https://www.example.com/target"


def test_proxy_without_forwarded_headers_keeps_host(serve_root) -> None:
    base = serve_root(Root(), {"/": {"tools.proxy.on": True}})
    request_base, ip, _ = get(base)
    assert request_base == base
    assert ip == "127.0.0.1"


def test_proxy_ssl_header_and_custom_names(serve_root) -> None:
    conf = {
        "/": {
            "tools.proxy.on": True,
            "tools.proxy.scheme": "X-Forwarded-Ssl",
            "tools.proxy.local": "Origin",
            "tools.proxy.remote": "X-Real-Ip",
        }
    }
    base = serve_root(Root(), conf)
    headers = {"X-Forwarded-Ssl": "on", "Origin": "shop.example:8443", "X-Real-Ip": "198.51.100.7"}
    request_base, ip, _ = get(base, headers=headers)
    assert request_base == "https://shop.example:8443"
    assert ip == "198.51.100.7"


def test_proxy_base_with_path_and_local_off(serve_root) -> None:
    conf = {
        "/": {
            "tools.proxy.on": True,
            "tools.proxy.base": "https://example.org/app",
            "tools.proxy.local": "",
        }
    }
    base = serve_root(Root(), conf)
    request_base, _, url = get(base, headers=FORWARDED)
    assert request_base == "https://example.org/app"
    assert url == "https://example.org/app/page"


def test_proxy_remote_off_keeps_peer_address(serve_root) -> None:
    base = serve_root(Root(), {"/": {"tools.proxy.on": True, "tools.proxy.remote": ""}})
    assert get(base, headers=FORWARDED)[1] == "127.0.0.1"


def test_proxy_untrusted_peer_is_ignored(serve_root) -> None:
    conf = {"/": {"tools.proxy.on": True, "tools.proxy.trusted": ["10.0.0.0/8"]}}
    base = serve_root(Root(), conf)
    request_base, ip, _ = get(base, headers=FORWARDED)
    assert request_base == base
    assert ip == "127.0.0.1"


def test_proxy_trusted_peer_reads_for_from_the_right(serve_root) -> None:
    conf = {"/": {"tools.proxy.on": True, "tools.proxy.trusted": "127.0.0.1, 10.0.0.0/8"}}
    base = serve_root(Root(), conf)
    headers = dict(FORWARDED, **{"X-Forwarded-For": "6.6.6.6, 203.0.113.9, 10.0.0.5"})
    request_base, ip, _ = get(base, headers=headers)
    assert request_base == "https://www.example.com"
    # The client forged 6.6.6.6; the first untrusted hop from the right is the real one.
    assert ip == "203.0.113.9"


def test_proxy_rejects_malformed_forwarded_values(serve_root) -> None:
    base = serve_root(Root(), {"/": {"tools.proxy.on": True}})
    headers = {"X-Forwarded-Host": "evil.example/<script>", "X-Forwarded-Proto": "javascript"}
    request_base, _, _ = get(base, headers=headers)
    assert request_base == base
