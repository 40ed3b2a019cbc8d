"""A ``_cp_config`` made by ``@cherrypy.config`` or a tool decorator may be changed while
the site runs (a handler setting ``self._cp_config[key]``): the next request sees it."""

from __future__ import annotations

import cherrypy
from cherrypy.kernel.config import LiveConfigDict


@cherrypy.config(**{"response.headers.X-Mode": "first"})
class Switchable:
    @cherrypy.expose
    def index(self) -> str:
        return "index"

    @cherrypy.expose
    def switch(self) -> str:
        self._cp_config["response.headers.X-Mode"] = "second"
        return "switched"

    @cherrypy.expose
    def drop(self) -> str:
        del self._cp_config["response.headers.X-Mode"]
        return "dropped"


def test_changing_a_decorated_class_cp_config_reaches_later_requests(wsgi) -> None:
    original = dict(Switchable._cp_config)
    cherrypy.tree.mount(Switchable())
    try:
        assert wsgi.get("/").headers["x-mode"] == "first"
        assert wsgi.get("/").headers["x-mode"] == "first"  # cached pipeline
        wsgi.get("/switch")
        assert wsgi.get("/").headers["x-mode"] == "second"
        wsgi.get("/drop")
        assert "x-mode" not in wsgi.get("/").headers
    finally:
        Switchable._cp_config.clear()
        Switchable._cp_config.update(original)


def test_tool_decorators_make_live_dicts_too() -> None:
    @cherrypy.tools.trailing_slash(missing=False)
    def handler() -> str:
        return ""

    assert isinstance(handler._cp_config, LiveConfigDict)  # type: ignore[attr-defined]
    assert handler._cp_config == {  # type: ignore[attr-defined]
        "tools.trailing_slash.on": True,
        "tools.trailing_slash.missing": False,
    }


def test_every_mutation_bumps_the_generation() -> None:
    from cherrypy.kernel.config import generation

    conf = LiveConfigDict(a=1)
    for change in (
        lambda: conf.__setitem__("b", 2),
        lambda: conf.update(c=3),
        lambda: conf.setdefault("d", 4),
        lambda: conf.pop("d"),
        lambda: conf.__delitem__("c"),
        conf.clear,
    ):
        before = generation()
        change()
        assert generation() > before
    assert conf == {}
