"""RoutesDispatcher over real HTTP: matching, actions, conditions, config, redirects.

``routes`` is imported only inside tests: importing it imports ``six``, which appends an
import hook to ``sys.meta_path`` that the kernel's compat tests do not expect at collection.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

import cherrypy
from cherrypy_routes import RoutesDispatcher


class Dummy:
    def index(self) -> str:
        return "I said good day!"

    def _private(self) -> str:
        return "secret"


class City:
    def __init__(self, name: str) -> None:
        self.name = name
        self.population = 10000

    @cherrypy.config(**{"response.headers.Content-Language": "en-GB"})
    def index(self, **kwargs: Any) -> str:
        return f"Welcome to {self.name}, pop. {self.population}"

    def update(self, **kwargs: Any) -> str:
        self.population = int(kwargs["pop"])
        return "OK"


def city_dispatcher() -> RoutesDispatcher:
    d = cherrypy.dispatch.RoutesDispatcher()
    d.connect(action="index", name="hounslow", route="/hounslow", controller=City("Hounslow"))
    d.connect(
        name="surbiton",
        route="/surbiton",
        controller=City("Surbiton"),
        action="index",
        conditions=dict(method=["GET"]),
    )
    d.mapper.connect(
        "/surbiton", controller="surbiton", action="update", conditions=dict(method=["POST"])
    )
    d.connect("main", "/:action", controller=Dummy())
    return d


def test_cherrypy_routes_example(serve_root: Callable[..., str]) -> None:
    base = serve_root(None, {"/": {"request.dispatch": city_dispatcher()}})
    reply = requests.get(base + "/hounslow")
    assert (reply.status_code, reply.text) == (200, "Welcome to Hounslow, pop. 10000")
    assert reply.headers["Content-Language"] == "en-GB"
    assert requests.get(base + "/foo").status_code == 404
    assert requests.get(base + "/surbiton").text == "Welcome to Surbiton, pop. 10000"
    reply = requests.post(base + "/surbiton", data={"pop": "1327"})
    assert (reply.status_code, reply.text) == (200, "OK")
    assert "Content-Language" not in reply.headers
    assert requests.get(base + "/surbiton").text == "Welcome to Surbiton, pop. 1327"
    assert requests.get(base + "/index").text == "I said good day!"


def test_private_and_unknown_actions_are_404(serve_root: Callable[..., str]) -> None:
    base = serve_root(None, {"/": {"request.dispatch": city_dispatcher()}})
    for path in ("/_private", "/__init__", "/__class__", "/nothing"):
        assert requests.get(base + path).status_code == 404, path


def test_route_variables_become_arguments(serve_root: Callable[..., str]) -> None:
    class Blog:
        def show(self, year: str, slug: str, page: str = "1") -> str:
            return f"{year}:{slug}:{page}"

    d = RoutesDispatcher()
    d.connect("post", "/blog/{year}/{slug}", controller=Blog(), action="show")
    base = serve_root(None, {"/": {"request.dispatch": d}})
    assert requests.get(base + "/blog/2024/hello").text == "2024:hello:1"
    assert requests.get(base + "/blog/2024/hello?page=3").text == "2024:hello:3"
    assert requests.get(base + "/blog/2024").status_code == 404


def test_full_result_passes_controller_and_action(serve_root: Callable[..., str]) -> None:
    class Echo:
        def run(self, **kwargs: Any) -> str:
            return repr(sorted(kwargs.items()))

    d = RoutesDispatcher(full_result=True)
    d.connect("echo", "/echo/{word}", controller=Echo(), action="run")
    base = serve_root(None, {"/": {"request.dispatch": d}})
    text = requests.get(base + "/echo/hi").text
    assert text == repr([("action", "run"), ("controller", "echo"), ("word", "hi")])


def test_controller_class_is_instantiated_per_request(serve_root: Callable[..., str]) -> None:
    class Counter:
        made = 0

        def __init__(self) -> None:
            type(self).made += 1

        def index(self) -> str:
            return f"instance {type(self).made}"

    d = RoutesDispatcher()
    d.connect("count", "/count", controller=Counter, action="index")
    base = serve_root(None, {"/": {"request.dispatch": d}})
    assert requests.get(base + "/count").text == "instance 1"
    assert requests.get(base + "/count").text == "instance 2"


def test_callable_controller_without_action(serve_root: Callable[..., str]) -> None:
    class Page:
        def __call__(self, name: str = "world") -> str:
            return f"hello {name}"

    d = RoutesDispatcher()
    d.connect("hello", "/hello/{name}", controller=Page())
    base = serve_root(None, {"/": {"request.dispatch": d}})
    assert requests.get(base + "/hello/you").text == "hello you"


def test_config_order(serve_root: Callable[..., str]) -> None:
    class Controller:
        _cp_config = {"response.headers.X-Layer": "controller", "response.headers.X-Ctl": "1"}

        @cherrypy.config(**{"response.headers.X-Handler": "handler"})
        def show(self, item: str) -> str:
            return item

    d = RoutesDispatcher()
    d.connect("show", "/items/{item}", controller=Controller(), action="show")
    conf = {
        "/": {"request.dispatch": d, "response.headers.X-Layer": "root"},
        "/items": {"response.headers.X-Items": "section"},
        "/items/special": {"response.headers.X-Layer": "full path"},
    }
    base = serve_root(None, conf)
    for _ in range(2):  # the second round is served from the config cache
        headers = requests.get(base + "/items/plain").headers
        assert headers["X-Layer"] == "controller"
        assert headers["X-Items"] == "section"
        assert headers["X-Handler"] == "handler"
        assert headers["X-Ctl"] == "1"
        # The section of the full path overrides the controller's config.
        assert requests.get(base + "/items/special").headers["X-Layer"] == "full path"


def test_root_config_applies(serve_root: Callable[..., str]) -> None:
    class Root:
        _cp_config = {"response.headers.X-Root": "yes"}

    class Controller:
        def index(self) -> str:
            return "ok"

    d = RoutesDispatcher()
    d.connect("home", "/", controller=Controller(), action="index")
    base = serve_root(Root(), {"/": {"request.dispatch": d}})
    reply = requests.get(base + "/")
    assert (reply.text, reply.headers["X-Root"]) == ("ok", "yes")


def test_mapper_redirect_routes(serve_root: Callable[..., str]) -> None:
    class Archive:
        def show(self, url: str) -> str:
            return f"archive {url}"

    d = RoutesDispatcher()
    d.connect("archive", "/archives/{url:.*}", controller=Archive(), action="show")
    d.mapper.redirect("/old/{url:.*}", "/archives/{url}")
    d.mapper.redirect("/gone", "/archives/x", _redirect_code="301 Moved Permanently")
    base = serve_root(None, {"/": {"request.dispatch": d}}, script_name="/app")
    reply = requests.get(base + "/old/2020/post", allow_redirects=False)
    assert reply.status_code == 302
    assert reply.headers["Location"].endswith("/app/archives/2020/post")
    reply = requests.get(base + "/gone", allow_redirects=False)
    assert reply.status_code == 301
    assert requests.get(base + "/old/2020/post").text == "archive 2020/post"


def test_redirect_to_from_a_handler(serve_root: Callable[..., str]) -> None:
    class Controller:
        def old(self) -> None:
            import routes

            routes.redirect_to("/new")

        def new(self) -> str:
            return "new page"

    d = RoutesDispatcher()
    d.connect("old", "/old", controller=Controller(), action="old")
    d.connect("new", "/new", controller=Controller(), action="new")
    base = serve_root(None, {"/": {"request.dispatch": d}})
    reply = requests.get(base + "/old", allow_redirects=False)
    assert reply.status_code in (302, 303)
    assert reply.headers["Location"].endswith("/new")
    assert requests.get(base + "/old").text == "new page"


def test_url_generation_in_a_handler(serve_root: Callable[..., str]) -> None:
    class Controller:
        def show(self, item: str) -> str:
            import routes

            return str(routes.url_for("show", item="other"))

    d = RoutesDispatcher()
    d.connect("show", "/items/{item}", controller=Controller(), action="show")
    base = serve_root(None, {"/": {"request.dispatch": d}}, script_name="/shop")
    assert requests.get(base + "/items/one").text == "/shop/items/other"


def test_compat_names() -> None:
    import cherrypy._cpdispatch as cpdispatch

    assert cherrypy.dispatch.RoutesDispatcher is RoutesDispatcher
    assert cpdispatch.RoutesDispatcher is RoutesDispatcher
    d = RoutesDispatcher()
    d.connect("x", "/x", controller=Dummy(), action="index")
    assert d.mapper.match("/x") == {"controller": "x", "action": "index"}
