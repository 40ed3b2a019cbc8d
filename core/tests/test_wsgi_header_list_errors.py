"""A response whose ``header_list`` holds something other than byte strings (a tool appended
to it after finalize) is answered with a bare 500 that names the culprit, as in CherryPy."""

from __future__ import annotations

import pytest

import cherrypy


def _append_after_finalize(pair):
    def tool():
        cherrypy.serving.response.header_list.append(pair)

    return tool


@pytest.fixture
def app(wsgi):
    cherrypy.tools.bad_name = cherrypy.Tool("on_end_resource", _append_after_finalize((2, 3)))
    cherrypy.tools.bad_value = cherrypy.Tool(
        "on_end_resource", _append_after_finalize((b"X-Bad", "text"))
    )

    class Root:
        @cherrypy.expose
        def index(self):
            return "fine"

        @cherrypy.expose
        @cherrypy.config(**{"tools.bad_name.on": True})
        def bad_name(self):
            return "salud"

        @cherrypy.expose
        @cherrypy.config(**{"tools.bad_value.on": True})
        def bad_value(self):
            return "salud"

    cherrypy.tree.mount(Root())
    return wsgi


def test_non_bytes_header_name_gives_500_naming_it(app, error_log):
    res = app.get("/bad_name", validate=False)
    assert res.code == 500
    assert b"TypeError: response.header_list key 2 is not a byte string." in res.body
    assert b"salud" not in res.body


def test_non_bytes_header_value_gives_500_naming_it(app, error_log):
    res = app.get("/bad_value", validate=False)
    assert res.code == 500
    assert b"TypeError: response.header_list value 'text' is not a byte string." in res.body


def test_well_formed_headers_still_pass(app):
    res = app.get("/")
    assert res.code == 200
    assert res.body == b"fine"
