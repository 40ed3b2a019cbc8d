"""``tools.staticdir``: every CherryPy option, over real HTTP."""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

import pytest

import cherrypy

ALPHABET = b"abcdefghijklmnopqrstuvwxyz"


def test_serves_files_below_dir(web: Any, mount_static: Any, site: Any) -> None:
    mount_static()
    reply = web.get("/static/css/style.css")
    assert reply.status == 200
    assert reply.body == b"body { color: red; }\n"
    assert reply.header("Content-Type") == "text/css"
    assert reply.header("Content-Length") == "21"
    assert reply.header("Accept-Ranges") == "bytes"
    assert reply.header("Last-Modified")
    assert reply.header("ETag")
    # Page handlers outside the section still answer.
    assert web.get("/").body == b"dynamic index"


def test_query_string_is_ignored(web: Any, mount_static: Any) -> None:
    mount_static()
    reply = web.get("/static/alpha.txt?v=3&x=%2e%2e")
    assert (reply.status, reply.body) == (200, ALPHABET)


def test_large_file_arrives_whole(web: Any, mount_static: Any, site: Any) -> None:
    mount_static()
    reply = web.get("/static/big.bin")
    assert reply.status == 200
    assert reply.body == site.big
    assert reply.header("Content-Length") == str(len(site.big))


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("css/style.css", "text/css"),
        ("app.js", "text/javascript"),
        ("page.html", "text/html"),
        ("alpha.txt", "text/plain"),
        ("noext", "application/octet-stream"),
        ("data.custom", "application/octet-stream"),
        ("big.bin", "application/octet-stream"),
    ],
)
def test_content_types(web: Any, mount_static: Any, name: str, content_type: str) -> None:
    mount_static()
    assert web.get(f"/static/{name}").header("Content-Type") == content_type


def test_content_types_option_maps_extensions(web: Any, mount_static: Any) -> None:
    mount_static(content_types={"custom": "application/x-custom", "txt": "text/x-alpha"})
    assert web.get("/static/data.custom").header("Content-Type") == "application/x-custom"
    assert web.get("/static/alpha.txt").header("Content-Type") == "text/x-alpha"
    assert web.get("/static/app.js").header("Content-Type") == "text/javascript"


def test_file_names_needing_percent_encoding(web: Any, mount_static: Any) -> None:
    mount_static()
    assert web.get("/static/a%20b.txt").body == b"with a space"
    assert web.get("/static/100%25.txt").body == b"percent"
    assert web.get("/static/na%C3%AFve.txt").body == b"unicode name"
    assert web.get("/static/a%6Cpha.txt").body == ALPHABET


def test_empty_file(web: Any, mount_static: Any) -> None:
    mount_static()
    reply = web.get("/static/empty.txt")
    assert reply.status == 200
    assert reply.body == b""
    assert reply.header("Content-Length") == "0"


def test_relative_dir_with_root(web: Any, site: Any) -> None:
    cherrypy.tree.mount(
        None,
        "/",
        {
            "/": {"tools.staticdir.root": str(site.root)},
            "/static": {"tools.staticdir.on": True, "tools.staticdir.dir": "static"},
            "/alias": {"tools.staticdir.on": True, "tools.staticdir.dir": "./static/sub"},
        },
    )
    assert web.get("/static/alpha.txt").body == ALPHABET
    assert web.get("/alias/deep.txt").body == b"deep"


def test_relative_dir_without_root_is_a_clear_config_error(web: Any, site: Any) -> None:
    cherrypy.tree.mount(
        None, "/", {"/static": {"tools.staticdir.on": True, "tools.staticdir.dir": "static"}}
    )
    reply = web.get("/static/alpha.txt")
    assert reply.status == 500
    assert "Static dir requires an absolute dir (or root)" in reply.text
    assert "tools.staticdir.root" in reply.text


def test_relative_root_is_a_clear_config_error(web: Any) -> None:
    cherrypy.tree.mount(
        None,
        "/",
        {
            "/static": {
                "tools.staticdir.on": True,
                "tools.staticdir.dir": "static",
                "tools.staticdir.root": "site",
            }
        },
    )
    reply = web.get("/static/alpha.txt")
    assert reply.status == 500
    assert "tools.staticdir.root is 'site'" in html.unescape(reply.text)


def test_tilde_in_dir_means_home(web: Any, site: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(site.root))
    cherrypy.tree.mount(
        None, "/", {"/static": {"tools.staticdir.on": True, "tools.staticdir.dir": "~/static"}}
    )
    assert web.get("/static/alpha.txt").body == ALPHABET


def test_section_deeper_in_the_tree(web: Any, site: Any) -> None:
    cherrypy.tree.mount(
        None,
        "/",
        {"/assets/v1": {"tools.staticdir.on": True, "tools.staticdir.dir": str(site.static)}},
    )
    assert web.get("/assets/v1/css/style.css").status == 200
    assert web.get("/assets/v1/alpha.txt").body == ALPHABET
    assert web.get("/assets/alpha.txt").status == 404


def test_app_mounted_below_the_site_root(web: Any, site: Any) -> None:
    cherrypy.tree.mount(
        None,
        "/app",
        {"/static": {"tools.staticdir.on": True, "tools.staticdir.dir": str(site.static)}},
    )
    assert web.get("/app/static/alpha.txt").body == ALPHABET
    assert web.get("/static/alpha.txt").status == 404


def test_global_config_serves_from_the_site_root(web: Any, site: Any) -> None:
    cherrypy.config.update({"tools.staticdir.on": True, "tools.staticdir.dir": str(site.static)})
    cherrypy.tree.mount(None, "/", {"/": {}})
    assert cherrypy.config["tools.staticdir.section"] == "global"
    assert web.get("/alpha.txt").body == ALPHABET
    assert web.get("/css/style.css").status == 200


def test_match_restricts_which_paths_are_static(web: Any, mount_static: Any) -> None:
    mount_static(match=r"\.(css|txt)$")
    assert web.get("/static/alpha.txt").status == 200
    assert web.get("/static/css/style.css").status == 200
    assert web.get("/static/app.js").status == 404


def test_index_serves_directories(web: Any, mount_static: Any) -> None:
    mount_static(index="index.html")
    reply = web.get("/static/idx/")
    assert reply.status == 200
    assert reply.body == b"<p>index</p>"
    assert reply.header("Content-Type") == "text/html"
    # Without the slash the index is served too (is_index is False), as in CherryPy.
    assert web.get("/static/idx").body == b"<p>index</p>"


def test_index_of_the_section_itself_redirects_to_the_slash(
    web: Any, mount_static: Any, site: Any
) -> None:
    (site.static / "index.html").write_bytes(b"<p>top</p>")
    mount_static(index="index.html")
    reply = web.get("/static")
    assert reply.status == 301
    assert reply.header("Location").endswith("/static/")
    assert web.get("/static/").body == b"<p>top</p>"


def test_missing_file_falls_through_to_the_page_handler(web: Any, site: Any) -> None:
    class Static:
        @cherrypy.expose
        def generated(self) -> str:
            return "made by a handler"

    class Root:
        static = Static()

    cherrypy.tree.mount(
        Root(),
        "/",
        {"/static": {"tools.staticdir.on": True, "tools.staticdir.dir": str(site.static)}},
    )
    assert web.get("/static/generated").body == b"made by a handler"
    assert web.get("/static/alpha.txt").body == ALPHABET
    assert web.get("/static/missing.txt").status == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_only_get_and_head_are_served(web: Any, mount_static: Any, method: str) -> None:
    mount_static()
    reply = web.request(method, "/static/alpha.txt", body=b"x=1")
    assert reply.status == 404
    assert ALPHABET not in reply.body


def test_head_has_the_headers_of_get_and_no_body(web: Any, mount_static: Any, site: Any) -> None:
    mount_static()
    get = web.get("/static/big.bin")
    head = web.head("/static/big.bin")
    assert head.status == 200
    assert head.body == b""
    for name in ("Content-Type", "Content-Length", "Last-Modified", "ETag", "Accept-Ranges"):
        assert head.header(name) == get.header(name)


def test_handler_form(web: Any, site: Any) -> None:
    class Root:
        nav = cherrypy.tools.staticdir.handler(section="/nav", dir=str(site.static / "css"))
        docs = cherrypy.tools.staticdir.handler(
            section="/docs", dir="static", root=str(site.root), index="alpha.txt"
        )

    cherrypy.tree.mount(Root(), "/", {"/": {}})
    reply = web.get("/nav/style.css")
    assert reply.body == b"body { color: red; }\n"
    # A page handler's text output gets a charset from tools.encode, as in CherryPy.
    assert reply.header("Content-Type") == "text/css;charset=utf-8"
    head = web.head("/nav/style.css")
    assert (head.status, head.body, head.header("Content-Length")) == (200, b"", "21")
    assert web.get("/nav/missing.css").status == 404
    assert web.get("/docs/sub/deep.txt").body == b"deep"
    assert web.get("/docs/").body == ALPHABET
    assert web.get("/nav/../secret.txt").status == 403


def test_decorator_form(web: Any, site: Any) -> None:
    class Root:
        @cherrypy.expose
        @cherrypy.tools.staticdir(dir=str(site.static), section="/files")
        def files(self, *args: Any) -> str:
            return "not a file"

    cherrypy.tree.mount(Root(), "/", {"/": {}})
    assert web.get("/files/alpha.txt").body == ALPHABET
    assert web.get("/files/none.txt").body == b"not a file"


def test_ini_config_as_in_the_seed(web: Any, site: Any, tmp_path: Path) -> None:
    # The seed's "Serving a whole directory" sections, with its /home/site replaced.
    conf = tmp_path / "app.conf"
    conf.write_text(
        f'[/]\ntools.staticdir.root = "{site.root}"\n\n'
        '[/static]\ntools.staticdir.on = True\ntools.staticdir.dir = "static"\n\n'
        f'[/abs]\ntools.staticdir.on = True\ntools.staticdir.dir = "{site.static}"\n'
    )
    cherrypy.tree.mount(None, "/", str(conf))
    assert web.get("/static/css/style.css").body == b"body { color: red; }\n"
    assert web.get("/abs/alpha.txt").body == ALPHABET


def test_tools_are_registered_with_cherrypys_names() -> None:
    from cherrypy._cptools import HandlerTool

    for name in ("staticdir", "staticfile"):
        tool = getattr(cherrypy.tools, name)
        assert isinstance(tool, HandlerTool)
        assert tool._name == name
        assert tool._point == "before_handler"
    assert os.path.basename(cherrypy.tools.staticdir.callable.__code__.co_filename) == "serving.py"
