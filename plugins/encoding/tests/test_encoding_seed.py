"""The seed document's gzip examples ("Configuring"), run unchanged over real HTTP.

The seed turns tools.gzip on three ways: a config dict passed to quickstart, an ``app.conf``
file (saved as ``tests/seed_examples/configuring/app.conf``), and on the handler itself with
the decorator or ``_cp_config``.  Its page is ``"hello world!"``: 12 bytes, which
the tool compresses as CherryPy 18 does (``min_size`` defaults to 0).
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

import cherrypy

APP_CONF = (
    Path(__file__).resolve().parents[3] / "tests" / "seed_examples" / "configuring" / "app.conf"
)


# "Local application settings", both notations, exactly as the seed writes them (as text, so
# that no formatter touches them).
SEED_DECORATOR = """
class Root(object):
    @cherrypy.expose
    @cherrypy.tools.gzip()
    def index(self):
        return "hello world!"
"""

SEED_CP_CONFIG = """
class Root(object):
    @cherrypy.expose
    def index(self):
        return "hello world!"
    index._cp_config = {'tools.gzip.on': True}
"""


def seed_root(source: str) -> type:
    namespace: dict[str, object] = {"cherrypy": cherrypy}
    exec(source, namespace)
    return namespace["Root"]  # type: ignore[return-value]


class HelloRoot:
    @cherrypy.expose
    def index(self):
        return "hello world!"

    @cherrypy.expose
    def page(self):
        return "hello world! " * 100


def fetch(base: str, path: str = "/") -> requests.Response:
    response = requests.get(
        base + path, headers={"Accept-Encoding": "gzip"}, stream=True, timeout=10
    )
    response.raw.decode_content = False
    response._content = response.raw.read()  # type: ignore[attr-defined]
    return response


def assert_gzip_tool_ran(response: requests.Response) -> None:
    assert response.status_code == 200
    assert response.headers["Vary"] == "Accept-Encoding"
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.content) == b"hello world!"


def test_app_conf_file_is_the_seeds() -> None:
    assert APP_CONF.read_text().split() == ["[/]", "tools.gzip.on:", "True"]


@pytest.mark.parametrize(
    "config", [{"/": {"tools.gzip.on": True}}, str(APP_CONF)], ids=["dict", "app.conf"]
)
def test_global_application_settings(serve_root: Callable[..., str], config: object) -> None:
    base = serve_root(HelloRoot(), config)
    assert_gzip_tool_ran(fetch(base))
    page = fetch(base, "/page")
    assert page.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(page.content) == b"hello world! " * 100


@pytest.mark.parametrize(
    "source", [SEED_DECORATOR, SEED_CP_CONFIG], ids=["decorator", "_cp_config"]
)
def test_local_application_settings(serve_root: Callable[..., str], source: str) -> None:
    base = serve_root(seed_root(source)())
    assert_gzip_tool_ran(fetch(base))
    assert requests.get(base + "/", timeout=10).text == "hello world!"


def test_min_size_zero_compresses_the_seed_page_like_cherrypy(
    serve_root: Callable[..., str],
) -> None:
    base = serve_root(HelloRoot(), {"/": {"tools.gzip.on": True, "tools.gzip.min_size": 0}})
    response = fetch(base)
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.content) == b"hello world!"


def test_docs_example(docs_example: Callable[[str], str]) -> None:
    base = docs_example("encoding.md")
    page = fetch(base)
    assert page.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(page.content).count(b"<p>") == 20
    body = gzip.compress(b"x" * 5000)
    upload = requests.post(
        base + "/upload",
        data=body,
        headers={"Content-Encoding": "gzip", "Content-Type": "application/octet-stream"},
        timeout=10,
    )
    assert upload.text == "received 5000 bytes"
