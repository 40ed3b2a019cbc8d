"""``tools.staticfile`` and the automatic ``/favicon.ico``, over real HTTP."""

from __future__ import annotations

import html
import os
import struct
from pathlib import Path
from typing import Any

import pytest

import cherrypy

ALPHABET = b"abcdefghijklmnopqrstuvwxyz"
FAVICON = Path(cherrypy.__file__).parent / "favicon.ico"


def test_serves_one_file_for_its_section(web: Any, site: Any) -> None:
    cherrypy.tree.mount(
        None,
        "/",
        {
            "/style.css": {
                "tools.staticfile.on": True,
                "tools.staticfile.filename": str(site.static / "css" / "style.css"),
            }
        },
    )
    reply = web.get("/style.css")
    assert reply.status == 200
    assert reply.body == b"body { color: red; }\n"
    assert reply.header("Content-Type") == "text/css"
    assert reply.header("ETag") and reply.header("Last-Modified")
    head = web.head("/style.css")
    assert (head.status, head.body, head.header("Content-Length")) == (200, b"", "21")


def test_relative_filename_with_root(web: Any, site: Any) -> None:
    cherrypy.tree.mount(
        None,
        "/",
        {
            "/a": {
                "tools.staticfile.on": True,
                "tools.staticfile.root": str(site.static),
                "tools.staticfile.filename": "alpha.txt",
            }
        },
    )
    assert web.get("/a").body == ALPHABET


def test_relative_filename_without_root_is_a_clear_config_error(web: Any) -> None:
    cherrypy.tree.mount(
        None, "/", {"/a": {"tools.staticfile.on": True, "tools.staticfile.filename": "alpha.txt"}}
    )
    reply = web.get("/a")
    assert reply.status == 500
    text = html.unescape(reply.text)
    assert "Static tool requires an absolute filename (got 'alpha.txt')" in text
    assert "tools.staticfile.root" in text


def test_match_and_content_types(web: Any, site: Any) -> None:
    cherrypy.tree.mount(
        None,
        "/",
        {
            "/data": {
                "tools.staticfile.on": True,
                "tools.staticfile.filename": str(site.static / "data.custom"),
                "tools.staticfile.match": r"/data\.json$",
                "tools.staticfile.content_types": {"custom": "application/json"},
            }
        },
    )
    reply = web.get("/data.json")
    assert reply.status == 404  # "/data.json" is another section: the tool is not on there
    cherrypy.tree.apps.clear()
    cherrypy.tree.mount(
        None,
        "/",
        {
            "/": {
                "tools.staticfile.on": True,
                "tools.staticfile.filename": str(site.static / "data.custom"),
                "tools.staticfile.match": r"\.json$",
                "tools.staticfile.content_types": {"custom": "application/json"},
            }
        },
    )
    reply = web.get("/anything/data.json")
    assert reply.status == 200
    assert reply.body == b"custom"
    assert reply.header("Content-Type") == "application/json"
    assert web.get("/anything/data.xml").status == 404


def test_missing_file_falls_through_to_the_page_handler(web: Any, site: Any) -> None:
    class Root:
        @cherrypy.expose
        def report(self) -> str:
            return "generated report"

    cherrypy.tree.mount(
        Root(),
        "/",
        {
            "/report": {
                "tools.staticfile.on": True,
                "tools.staticfile.filename": str(site.static / "missing.pdf"),
            }
        },
    )
    assert web.get("/report").body == b"generated report"


def test_post_goes_to_the_page_handler(web: Any, site: Any) -> None:
    class Root:
        @cherrypy.expose
        def form(self, **kwargs: Any) -> str:
            return "posted"

    cherrypy.tree.mount(
        Root(),
        "/",
        {
            "/form": {
                "tools.staticfile.on": True,
                "tools.staticfile.filename": str(site.static / "page.html"),
            }
        },
    )
    assert web.get("/form").body == b"<p>page</p>"
    assert web.request("POST", "/form", body=b"a=1").body == b"posted"


def test_a_directory_is_not_a_file(web: Any, site: Any) -> None:
    cherrypy.tree.mount(
        None,
        "/",
        {"/d": {"tools.staticfile.on": True, "tools.staticfile.filename": str(site.static)}},
    )
    reply = web.get("/d")
    assert reply.status == 404
    assert b"alpha.txt" not in reply.body


def test_handler_form(web: Any, site: Any) -> None:
    class Root:
        robots_txt = cherrypy.tools.staticfile.handler(str(site.static / "alpha.txt"))
        logo = cherrypy.tools.staticfile.handler(filename="app.js", root=str(site.static))
        gone = cherrypy.tools.staticfile.handler(filename=str(site.static / "missing"))

    cherrypy.tree.mount(Root(), "/", {"/": {}})
    reply = web.get("/robots.txt")
    assert reply.body == ALPHABET
    assert reply.header("Content-Type") == "text/plain;charset=utf-8"
    assert web.get("/logo").body == b"console.log(1);\n"
    assert web.get("/gone").status == 404


def test_ini_config_as_in_the_seed(web: Any, site: Any, tmp_path: Path) -> None:
    # The seed's "Serving a single file" section, with its /home/site replaced.
    conf = tmp_path / "app.conf"
    conf.write_text(
        "[/style.css]\ntools.staticfile.on = True\n"
        f'tools.staticfile.filename = "{site.static / "css" / "style.css"}"\n'
    )
    cherrypy.tree.mount(None, "/", str(conf))
    reply = web.get("/style.css")
    assert reply.status == 200
    assert reply.body == b"body { color: red; }\n"


def test_the_favicon_file_is_a_valid_icon() -> None:
    data = FAVICON.read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind, count) == (0, 1, 1)
    width, height, _colors, _, planes, bits, size, offset = struct.unpack_from("<BBBBHHII", data, 6)
    assert (width, height, planes, bits) == (16, 16, 1, 32)
    assert offset + size == len(data)
    header_size, bmp_width, bmp_height = struct.unpack_from("<Iii", data, offset)
    assert (header_size, bmp_width, bmp_height) == (40, 16, 32)


def test_root_app_gets_the_favicon(web: Any) -> None:
    class Root:
        @cherrypy.expose
        def index(self) -> str:
            return "home"

    cherrypy.tree.mount(Root(), "/", {"/": {}})
    reply = web.get("/favicon.ico")
    assert reply.status == 200
    assert reply.body == FAVICON.read_bytes()
    assert reply.header("Content-Type") == "image/x-icon"
    again = web.get("/favicon.ico", If_None_Match=reply.header("ETag"))
    assert again.status == 304


def test_own_favicon_is_kept(web: Any, site: Any) -> None:
    class Root:
        favicon_ico = cherrypy.tools.staticfile.handler(str(site.static / "alpha.txt"))

    cherrypy.tree.mount(Root(), "/", {"/": {}})
    assert web.get("/favicon.ico").body == ALPHABET


@pytest.mark.parametrize("script_name", ["/app"])
def test_apps_below_the_root_get_no_favicon(web: Any, script_name: str) -> None:
    class Root:
        @cherrypy.expose
        def index(self) -> str:
            return "home"

    cherrypy.tree.mount(Root(), script_name, {"/": {}})
    assert web.get(script_name + "/favicon.ico").status == 404
    assert os.path.isfile(FAVICON)
