"""The VirtualHost dispatcher over real HTTP: Host, X-Forwarded-Host, chaining, staticdir."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

import cherrypy
from cherrypy_dispatchers import MethodDispatcher, VirtualHost, request_host


class Shop:
    @cherrypy.expose
    def index(self) -> str:
        return "shop index"

    @cherrypy.expose
    def cart(self, item: str = "") -> str:
        return f"cart {item}"


class Root:
    def __init__(self) -> None:
        self.shop = Shop()

    @cherrypy.expose
    def index(self) -> str:
        return "main index"

    @cherrypy.expose
    def where(self) -> str:
        return f"{cherrypy.request.path_info} {cherrypy.url('/x')}"


DOMAINS = {"shop.example": "/shop", "secure.example:8443": "/shop"}


def vhost_conf(**kwargs: Any) -> dict[str, Any]:
    return {"/": {"request.dispatch": cherrypy.dispatch.VirtualHost(**kwargs, **DOMAINS)}}


def test_host_header_selects_the_prefix(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root(), vhost_conf())
    assert requests.get(base + "/").text == "main index"
    assert requests.get(base + "/", headers={"Host": "shop.example"}).text == "shop index"
    reply = requests.get(base + "/cart?item=pen", headers={"Host": "shop.example"})
    assert reply.text == "cart pen"
    assert requests.get(base + "/", headers={"Host": "secure.example:8443"}).text == "shop index"


def test_unknown_host_is_served_from_the_root(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root(), vhost_conf())
    assert requests.get(base + "/", headers={"Host": "other.example"}).text == "main index"
    # The port is part of the host: secure.example alone is not a configured domain.
    assert requests.get(base + "/", headers={"Host": "secure.example"}).text == "main index"
    assert requests.get(base + "/cart", headers={"Host": "other.example"}).status_code == 404


def test_host_matching_ignores_case(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root(), vhost_conf())
    assert requests.get(base + "/", headers={"Host": "SHOP.Example"}).text == "shop index"


def test_x_forwarded_host_wins_by_default(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root(), vhost_conf())
    headers = {"Host": "backend.local", "X-Forwarded-Host": "shop.example"}
    assert requests.get(base + "/", headers=headers).text == "shop index"
    chained = {"X-Forwarded-Host": "shop.example, proxy2.local"}
    assert requests.get(base + "/", headers=chained).text == "shop index"


def test_x_forwarded_host_can_be_ignored(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root(), vhost_conf(use_x_forwarded_host=False))
    headers = {"X-Forwarded-Host": "shop.example"}
    assert requests.get(base + "/", headers=headers).text == "main index"


def test_path_info_and_urls_stay_as_the_client_sent_them(serve_root: Callable[..., str]) -> None:
    class Both(Root):
        def __init__(self) -> None:
            super().__init__()
            self.shop.where = Root.where.__get__(self.shop)  # type: ignore[attr-defined]

    base = serve_root(Both(), vhost_conf())
    text = requests.get(base + "/where", headers={"Host": "shop.example"}).text
    assert text == "/where http://shop.example/x"


def test_next_dispatcher_is_used(serve_root: Callable[..., str]) -> None:
    class Resource:
        exposed = True

        def GET(self) -> str:
            return "rest get"

    class Site:
        @cherrypy.expose
        def index(self) -> str:
            return "site"

        api = Resource()

    conf = {
        "/": {
            "request.dispatch": VirtualHost(
                next_dispatcher=MethodDispatcher(), **{"api.example": "/api"}
            )
        }
    }
    base = serve_root(Site(), conf)
    reply = requests.get(base + "/", headers={"Host": "api.example"})
    assert reply.text == "rest get"
    assert reply.headers["Allow"] == "GET, HEAD"
    assert requests.post(base + "/", headers={"Host": "api.example"}).status_code == 405


def test_staticdir_section_is_relative_to_the_visible_url(
    serve_root: Callable[..., str], tmp_path: Any
) -> None:
    seen: list[str] = []

    def record_section() -> None:
        seen.append(cherrypy.request.config.get("tools.staticdir.section", ""))

    cherrypy.tools.section_probe = cherrypy.Tool("before_handler", record_section)
    try:
        conf = vhost_conf()
        conf["/shop"] = {"tools.section_probe.on": True, "tools.staticdir.dir": str(tmp_path)}
        base = serve_root(Root(), conf)
        requests.get(base + "/cart", headers={"Host": "shop.example"})
        requests.get(base + "/shop/cart")
    finally:
        del cherrypy.tools.section_probe
    # Through the virtual host the client saw the section at "/", directly at "/shop".
    assert seen == ["/", "/shop"]


def test_request_host_helper() -> None:
    headers = {"Host": "A.example:80", "X-Forwarded-Host": " B.example , c"}
    assert request_host(headers) == "b.example"
    assert request_host(headers, use_x_forwarded_host=False) == "a.example:80"
    assert request_host({}) == ""


def test_compat_names() -> None:
    import cherrypy._cpdispatch as cpdispatch

    assert cherrypy.dispatch.VirtualHost is VirtualHost
    assert cpdispatch.VirtualHost is VirtualHost
    assert "shop.example" in repr(VirtualHost(**DOMAINS))
