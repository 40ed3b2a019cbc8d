"""Path sections below a handler that takes virtual path segments apply to those requests,
as in CherryPy: ``[/page/extra]`` configures ``GET /page/extra`` served by ``page(*vpath)``."""

from __future__ import annotations

import pytest

import cherrypy

SEEN: list[str] = []


def _order_tool(name):
    def tool():
        SEEN.append(name)

    return tool


@pytest.fixture
def app(wsgi):
    cherrypy.tools.first = cherrypy.Tool("before_handler", _order_tool("first"))
    cherrypy.tools.second = cherrypy.Tool("before_handler", _order_tool("second"), priority=60)

    class Root:
        @cherrypy.expose
        @cherrypy.tools.first()
        @cherrypy.tools.second()
        def page(self, *vpath):
            c = cherrypy.request.config
            return repr((vpath, c.get("color"), c.get("depth"), list(SEEN)))

        @cherrypy.expose
        def default(self, *vpath):
            return repr((vpath, cherrypy.request.config.get("color")))

    cherrypy.tree.mount(
        Root(),
        config={
            "/": {"color": "plain"},
            "/page/extra": {"color": "red", "tools.second.priority": 10},
            "/page/extra/deeper": {"depth": 2},
            "/other/thing": {"color": "blue"},
        },
    )
    return wsgi


def _get(app, path):
    import ast

    SEEN.clear()
    res = app.get(path)
    assert res.code == 200
    return ast.literal_eval(res.text)


def test_section_for_a_virtual_path_applies_to_its_requests(app):
    assert _get(app, "/page/extra") == (("extra",), "red", None, ["second", "first"])
    assert _get(app, "/page/extra/deeper") == (("extra", "deeper"), "red", 2, ["second", "first"])


def test_other_virtual_paths_keep_the_handler_config(app):
    assert _get(app, "/page") == ((), "plain", None, ["first", "second"])
    assert _get(app, "/page/other") == (("other",), "plain", None, ["first", "second"])


def test_section_below_a_default_handler_applies(app):
    assert _get(app, "/other/thing") == (("other", "thing"), "blue")
    assert _get(app, "/other/else") == (("other", "else"), "plain")
