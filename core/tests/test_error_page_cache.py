"""The default error page without a traceback is rendered once per status and message
(``cherrypy.kernel.errors._default_pages``); what depends on more is rendered every time."""

from __future__ import annotations

import cherrypy
from cherrypy.kernel import errors


class Root:
    @cherrypy.expose
    def index(self):
        return "here"

    @cherrypy.expose
    def teapot(self, word="short"):
        raise cherrypy.HTTPError(418, word)


def test_the_same_404_twice_is_the_same_page(wsgi):
    cherrypy.tree.mount(Root(), config={"/": {"request.show_tracebacks": False}})
    first, second = wsgi.get("/missing"), wsgi.get("/missing")
    other = wsgi.get("/elsewhere")
    assert first.status.startswith("404") and second.status.startswith("404")
    assert first.body == second.body
    assert b"The path '/missing' was not found." in second.body
    assert b"The path '/elsewhere' was not found." in other.body
    assert dict(second.header_list)["Content-Type"] == "text/html;charset=utf-8"


def test_messages_are_escaped_in_the_remembered_page_too(wsgi):
    cherrypy.tree.mount(Root(), config={"/": {"request.show_tracebacks": False}})
    for _ in range(2):
        answer = wsgi.get("/teapot", query="word=%3Cb%3E")
        assert answer.status.startswith("418")
        assert b"&lt;b&gt;" in answer.body and b"<b>" not in answer.body


def test_tracebacks_and_custom_pages_are_not_remembered(wsgi, tmp_path):
    page = tmp_path / "404.html"
    page.write_text("custom %(status)s %(message)s")
    cherrypy.tree.mount(Root(), config={"/": {"request.show_tracebacks": True}})
    errors._default_pages.clear()
    shown = wsgi.get("/teapot")
    assert b"Traceback" in shown.body
    assert not errors._default_pages
    cherrypy.tree.mount(
        Root(),
        "/own",
        config={"/": {"request.show_tracebacks": False, "error_page.404": str(page)}},
    )
    for _ in range(2):
        assert wsgi.get("/own/missing").body.startswith(b"custom 404 Not Found")
    assert not errors._default_pages


def test_the_remembered_pages_stay_bounded(wsgi):
    cherrypy.tree.mount(Root(), config={"/": {"request.show_tracebacks": False}})
    for n in range(300):
        wsgi.get(f"/missing{n}")
    assert 0 < len(errors._default_pages) <= 256
