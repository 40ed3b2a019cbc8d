"""The seed's tutorials 1-4 and ``cherrypy.tutorial`` tut01-tut04, served by wsgiref.

Each test runs a program the way its reader would (``python tutNN.py`` or
``python -m cherrypy.tutorial.tutNN_...``) but with ``cherrypy.quickstart`` replaced by a
function that only applies the config and mounts the root, as the real one does before it
starts the server. ``cherrypy.tree`` is then served by ``wsgiref.simple_server`` (wrapped in
``wsgiref.validate``) on a free port of 127.0.0.1 and driven over real HTTP, checking what
the seed's text promises.
"""

from __future__ import annotations

import importlib
import os
import runpy
import string
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, make_server
from wsgiref.validate import validator

import pytest
import requests

import cherrypy

SEED_EXAMPLES = Path(__file__).parent / "seed_examples"
HEXDIGITS = set(string.hexdigits)


class _QuietHandler(WSGIRequestHandler):
    """wsgiref's request handler without its stderr access log."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Site:
    """A running wsgiref server for ``cherrypy.tree`` and the quickstart calls it received."""

    base: str
    quickstart_calls: list[tuple[Any, str, Any]] = field(default_factory=list)

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on this server."""
        return urljoin(self.base, path)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        """GET ``path`` without following redirects."""
        return requests.get(self.url(path), allow_redirects=False, timeout=10, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        """POST to ``path`` without following redirects."""
        return requests.post(self.url(path), allow_redirects=False, timeout=10, **kwargs)


def _reset_cherrypy() -> None:
    cherrypy.tree.apps.clear()
    cherrypy.config.reset()
    # Other suites run under the test_suite environment, which switches these off.
    cherrypy.checker.on = True
    cherrypy.log.screen = True


@pytest.fixture
def site(monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """Serve ``cherrypy.tree`` over HTTP, with ``cherrypy.quickstart`` only mounting."""
    _reset_cherrypy()
    httpd = make_server("127.0.0.1", 0, validator(cherrypy.tree), handler_class=_QuietHandler)
    running = Site(base=f"http://127.0.0.1:{httpd.server_address[1]}/")

    def mount_only(root: Any = None, script_name: str = "", config: Any = None) -> None:
        running.quickstart_calls.append((root, script_name, config))
        if config:
            cherrypy.config.update(config)
        cherrypy.tree.mount(root, script_name, config)

    monkeypatch.setattr(cherrypy, "quickstart", mount_only)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield running
    finally:
        httpd.shutdown()
        thread.join(10)
        httpd.server_close()
        _reset_cherrypy()


def run_seed_example(name: str) -> dict[str, Any]:
    """Run ``tests/seed_examples/<name>`` as ``python <name>`` would, from its folder."""
    path = SEED_EXAMPLES / name
    cwd = os.getcwd()
    os.chdir(path.parent)
    try:
        return runpy.run_path(str(path), run_name="__main__")
    finally:
        os.chdir(cwd)


def run_tutorial(module: str) -> dict[str, Any]:
    """Run ``python -m cherrypy.tutorial.<module>`` (in a fresh module namespace)."""
    name = f"cherrypy.tutorial.{module}"
    sys.modules.pop(name, None)
    return runpy.run_module(name, run_name="__main__", alter_sys=True)


class _PageParser(HTMLParser):
    """Collects the links and the forms (with their fields and buttons) of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        if tag == "a" and "href" in attributes:
            self.links.append(attributes["href"])
        elif tag == "form":
            self.forms.append({**attributes, "fields": {}, "buttons": []})
        elif tag == "input" and self.forms and attributes.get("name"):
            self.forms[-1]["fields"][attributes["name"]] = attributes.get("value", "")
        elif tag == "button" and self.forms:
            self.forms[-1]["buttons"].append("")

    def handle_data(self, data: str) -> None:
        if self.forms and self.forms[-1]["buttons"] and not self.forms[-1]["buttons"][-1]:
            self.forms[-1]["buttons"][-1] = data.strip()


def parse_page(body: str) -> _PageParser:
    """Parse an HTML page for its links and forms."""
    parser = _PageParser()
    parser.feed(body)
    parser.close()
    return parser


def assert_html_ok(response: requests.Response, body: str | None = None) -> None:
    """Assert a 200 text/html page in UTF-8, optionally with exactly ``body``."""
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "text/html;charset=utf-8"
    assert response.headers["Content-Length"] == str(len(response.content))
    if body is not None:
        assert response.text == body


def assert_random_hex(text: str, length: int) -> None:
    """Assert ``text`` is what ``random.sample(string.hexdigits, length)`` joins to."""
    assert len(text) == length
    assert set(text) <= HEXDIGITS
    # random.sample never picks the same position twice, and string.hexdigits repeats
    # no character except across cases ('a' and 'A' are different characters).
    assert len(set(text)) == length


# ------------------------------------------------------------------ the seed's examples


@pytest.mark.parametrize(
    ("example", "root_class", "greeting"),
    [
        ("hello_world.py", "HelloWorld", "Hello World!"),
        ("myapp.py", "Root", "Hello World!"),
        ("tut01.py", "HelloWorld", "Hello world!"),
    ],
)
def test_seed_hello_world_programs(
    site: Site, example: str, root_class: str, greeting: str
) -> None:
    run_seed_example(example)

    [(root, script_name, config)] = site.quickstart_calls
    assert type(root).__name__ == root_class
    assert script_name in ("", "/")
    assert config is None
    assert_html_ok(site.get("/"), greeting)
    missing = site.get("/nothing/here")
    assert missing.status_code == 404
    assert "/nothing/here" in missing.text


def test_seed_tutorial_1_checker_warns_about_the_empty_config(site: Site) -> None:
    run_seed_example("tut01.py")

    with pytest.warns(UserWarning, match=r"The Application mounted at '' has an empty config\."):
        cherrypy.checker()


def test_seed_tutorial_2_generate_returns_eight_random_hex_digits(site: Site) -> None:
    run_seed_example("tut02.py")

    assert_html_ok(site.get("/"), "Hello world!")
    strings = []
    for _ in range(5):
        response = site.get("/generate")
        assert_html_ok(response)
        assert_random_hex(response.text, 8)
        strings.append(response.text)
    assert len(set(strings)) > 1, "five identical 'random' strings"
    # generate() takes no parameter in this tutorial.
    assert site.get("/generate?length=4").status_code == 404


def test_seed_tutorial_3_length_comes_from_the_query_string(site: Site) -> None:
    run_seed_example("tut03.py")

    assert_html_ok(site.get("/"), "Hello world!")
    for length in (1, 8, 16, 22):
        response = site.get(f"/generate?length={length}")
        assert_html_ok(response)
        assert_random_hex(response.text, length)
    default = site.get("/generate")
    assert_html_ok(default)
    assert_random_hex(default.text, 8)
    # A value int() rejects fails in the handler: an unexpected error is a 500.
    assert site.get("/generate?length=eight").status_code == 500
    # A query-string key the handler has no parameter for is a 404.
    assert site.get("/generate?size=3").status_code == 404


def test_seed_tutorial_4_form_submits_length_to_generate(site: Site) -> None:
    run_seed_example("tut04.py")

    page = site.get("/")
    assert_html_ok(page)
    [form] = parse_page(page.text).forms
    assert form["method"] == "get"
    assert form["action"] == "generate"
    assert form["fields"] == {"length": "8"}
    assert form["buttons"] == ["Give it now!"]

    # Submitting the form as a browser does: its fields in the query string of its action.
    action = urljoin(page.url, form["action"])
    submitted = requests.get(action, params=form["fields"], timeout=10)
    assert urlsplit(submitted.url).path == "/generate"
    assert_html_ok(submitted)
    assert_random_hex(submitted.text, 8)

    # The reader types another length.
    response = requests.get(action, params={"length": "12"}, timeout=10)
    assert_random_hex(response.text, 12)

    # The same form sent with POST: the fields travel in the body, the handler is the same.
    posted = requests.post(action, data={"length": "5"}, timeout=10)
    assert_html_ok(posted)
    assert_random_hex(posted.text, 5)


# ------------------------------------------------------------------ cherrypy.tutorial


def test_tutorial_modules_start_with_quickstart_and_tutorial_conf(site: Site) -> None:
    namespace = run_tutorial("tut01_helloworld")

    [(root, script_name, config)] = site.quickstart_calls
    assert type(root).__name__ == "HelloWorld"
    assert script_name == ""
    assert config == namespace["tutconf"]
    assert os.path.basename(config) == "tutorial.conf"
    assert os.path.isfile(config)
    assert cherrypy.config["server.socket_host"] == "127.0.0.1"
    assert cherrypy.config["server.socket_port"] == 8080
    assert cherrypy.config["server.thread_pool"] == 10


TUTORIAL_MODULES = [
    "tut01_helloworld",
    "tut02_expose_methods",
    "tut03_get_and_post",
    "tut04_complex_site",
    "tut05_derived_objects",
    "tut06_default_method",
    "tut07_sessions",
    "tut08_generators_and_yield",
    "tut09_files",
    "tut10_http_errors",
]


@pytest.mark.parametrize("module", TUTORIAL_MODULES)
def test_tutorial_importing_a_module_starts_nothing(site: Site, module: str) -> None:
    name = f"cherrypy.tutorial.{module}"
    sys.modules.pop(name, None)
    imported = importlib.import_module(name)
    try:
        assert site.quickstart_calls == []
        assert cherrypy.tree.apps == {}
        assert os.path.isfile(imported.tutconf)
    finally:
        sys.modules.pop(name, None)


def test_tutorial_01_hello_world(site: Site) -> None:
    run_tutorial("tut01_helloworld")

    assert_html_ok(site.get("/"), "Hello world!")
    assert site.get("/index/more").status_code == 404


def test_tutorial_02_index_links_to_show_msg(site: Site) -> None:
    run_tutorial("tut02_expose_methods")

    index = site.get("/")
    assert_html_ok(index)
    assert parse_page(index.text).links == ["show_msg"]
    message = requests.get(urljoin(index.url, "show_msg"), timeout=10)
    assert_html_ok(message, "Hello world!")


def test_tutorial_03_get_and_post_give_the_same_greeting(site: Site) -> None:
    run_tutorial("tut03_get_and_post")

    index = site.get("/")
    assert_html_ok(index)
    [form] = parse_page(index.text).forms
    assert form["action"] == "greetUser"
    assert form["method"].upper() == "GET"
    assert "name" in form["fields"]

    by_get = site.get("/greetUser", params={"name": "Bob"})
    by_post = site.post("/greetUser", data={"name": "Bob"})
    assert_html_ok(by_get)
    assert "Bob" in by_get.text
    assert by_post.text == by_get.text

    absent = site.get("/greetUser")
    empty = site.get("/greetUser?name=")
    empty_by_post = site.post("/greetUser", data={"name": ""})
    for response in (absent, empty, empty_by_post):
        assert_html_ok(response)
        assert parse_page(response.text).links == ["./"]
    assert absent.text != empty.text
    assert empty_by_post.text == empty.text

    markup = site.get("/greetUser", params={"name": "<b>Bob</b>"})
    assert "&lt;b&gt;Bob&lt;/b&gt;" in markup.text
    assert "<b>" not in markup.text


def test_tutorial_04_every_page_is_reachable_by_its_links(site: Site) -> None:
    run_tutorial("tut04_complex_site")

    visited: dict[str, str] = {}
    pending = [site.url("/")]
    while pending:
        url = pending.pop()
        path = urlsplit(url).path
        if path in visited:
            continue
        response = requests.get(url, allow_redirects=False, timeout=10)
        assert_html_ok(response)
        visited[path] = response.text
        for link in parse_page(response.text).links:
            target = urljoin(url, link)
            if target.startswith(site.base):
                pending.append(target)
    assert set(visited) == {"/", "/joke/", "/links/", "/links/extra/"}
    # Each page below the root links back to its parent.
    assert "../" in parse_page(visited["/links/extra/"]).links
    assert "../" in parse_page(visited["/joke/"]).links


def test_tutorial_04_section_urls_without_a_slash_redirect(site: Site) -> None:
    run_tutorial("tut04_complex_site")

    for path in ("/joke", "/links", "/links/extra"):
        response = site.get(path)
        assert response.status_code == 301, path
        assert response.headers["Location"] == site.url(path + "/")
    assert site.get("/links/nothing/").status_code == 404


# ------------------------------------------- the rest of cherrypy.tutorial, over WSGI too


def _has_tool(name: str) -> bool:
    try:
        getattr(cherrypy.tools, name)
    except AttributeError:
        return False
    return True


def _has_static_module() -> bool:
    try:
        importlib.import_module("cherrypy.lib.static")
    except ImportError:
        return False
    return True


def test_tutorial_05_pages_share_the_base_class_layout(site: Site) -> None:
    run_tutorial("tut05_derived_objects")

    home = site.get("/")
    other = requests.get(urljoin(home.url, parse_page(home.text).links[0]), timeout=10)
    assert urlsplit(other.url).path == "/another/"
    for response, title in ((home, "Tutorial 5"), (other, "Another page")):
        assert_html_ok(response)
        assert response.text.startswith(f"<html>\n<head><title>{title}</title></head>")
        assert response.text.endswith("</body>\n</html>\n")
    # header() and footer() are not exposed.
    assert site.get("/header").status_code == 404
    assert site.get("/another/footer").status_code == 404


def test_tutorial_06_default_handles_unknown_path_segments(site: Site) -> None:
    namespace = run_tutorial("tut06_default_method")

    index = site.get("/")
    assert_html_ok(index)
    links = parse_page(index.text).links
    assert links == [f"./{name}" for name in namespace["USERS"]]
    for link in links:
        page = requests.get(urljoin(index.url, link), timeout=10)
        assert_html_ok(page)
        assert page.text.startswith(namespace["USERS"][link[2:]])
    stranger = site.get("/<zed>")
    assert_html_ok(stranger)
    assert "&lt;zed&gt;" in stranger.text
    # default() takes exactly one segment.
    assert site.get("/alice/extra").status_code == 404


def test_tutorial_07_counts_hits_per_session(site: Site) -> None:
    run_tutorial("tut07_sessions")

    if not _has_tool("sessions"):
        response = site.get("/")
        assert response.status_code == 500
        assert "pip install cherrypy-sessions" in response.text
        return
    browser, other_browser = requests.Session(), requests.Session()
    assert "1 time" in browser.get(site.url("/"), timeout=10).text
    assert "2 time" in browser.get(site.url("/"), timeout=10).text
    assert "1 time" in other_browser.get(site.url("/"), timeout=10).text
    assert "3 time" in browser.get(site.url("/"), timeout=10).text


def test_tutorial_08_generator_body_is_sent_in_order(site: Site) -> None:
    namespace = run_tutorial("tut08_generators_and_yield")

    response = site.get("/")
    assert_html_ok(response)
    users = "".join(f"{user}<br/>" for user in namespace["GeneratorDemo"].users)
    assert response.text == (
        "<html><body><h1>Built with yield</h1><h2>Users</h2>" + users + "</body></html>"
    )


def test_tutorial_09_upload_reports_size_name_and_type(site: Site) -> None:
    run_tutorial("tut09_files")

    [form] = parse_page(site.get("/").text).forms
    assert (form["action"], form["method"], form["enctype"]) == (
        "upload",
        "post",
        "multipart/form-data",
    )
    assert "myFile" in form["fields"]
    payload = bytes(range(256)) * 200  # several read() chunks
    response = site.post(
        "/upload", files={"myFile": ("notes.bin", payload, "application/octet-stream")}
    )
    assert_html_ok(response)
    assert f"Received {len(payload)} bytes." in response.text
    assert "File name: notes.bin" in response.text
    assert "Media type: application/octet-stream" in response.text


def test_tutorial_09_download_is_an_attachment(site: Site) -> None:
    namespace = run_tutorial("tut09_files")

    response = site.get("/download")
    if not _has_static_module():
        assert response.status_code == 500
        assert "pip install cherrypy-static" in response.text
        return
    pdf = Path(namespace["absDir"], "pdf_file.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/x-download"
    assert response.headers["Content-Disposition"] == 'attachment; filename="pdf_file.pdf"'
    assert response.content == pdf


def test_tutorial_10_errors_and_the_custom_403_page(site: Site) -> None:
    run_tutorial("tut10_http_errors")

    index = site.get("/")
    assert_html_ok(index)
    links = parse_page(index.text).links
    for code in ("400", "401", "402", "403", "500"):
        assert f"/error?code={code}" in links
        assert site.get(f"/error?code={code}").status_code == int(code)
    assert site.get("/doesNotExist").status_code == 404

    forbidden = site.get("/error?code=403")
    assert forbidden.headers["Content-Type"] == "text/html;charset=utf-8"
    assert "<title>403 Forbidden</title>" in forbidden.text
    assert "custom_error.html" in forbidden.text
    # Other statuses keep the built-in page.
    assert "custom_error.html" not in site.get("/error?code=401").text

    with_message = site.get("/messageArg")
    assert with_message.status_code == 500
    assert "This sentence was given to HTTPError as its message argument." in with_message.text


def test_tutorial_10_toggle_tracebacks_redirects_home(site: Site) -> None:
    run_tutorial("tut10_http_errors")

    assert "Traceback" in site.get("/error?code=500").text
    assert "turn off" in site.get("/").text
    toggled = site.get("/toggleTracebacks")
    assert toggled.status_code == 303
    assert toggled.headers["Location"] == site.url("/")
    assert "turn on" in site.get("/").text
    assert "Traceback" not in site.get("/error?code=500").text
    site.get("/toggleTracebacks")
    assert "Traceback" in site.get("/error?code=500").text
