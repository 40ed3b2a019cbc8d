"""The documentation site: it builds with Sphinx, warnings as errors (as ``nox -s docs`` does),
every internal link of the built HTML resolves, and headless Chromium finds its way in it.

The browser tests need Debian's chromium and chromedriver (``.ci/run`` installs them): they skip
on a machine without them, and fail under ``CI=true``.
"""

from __future__ import annotations

import functools
import http.server
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SECTIONS = ["Tutorials", "How-to guides", "Reference", "Plugin reference", "Explanation"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built once for this module, with ``-W`` (any warning fails the build)."""
    out = tmp_path_factory.mktemp("html")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(DOCS), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_docs_build_without_warnings(site: Path) -> None:
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "config-reference.html" in index
    reference = (site / "config-reference.html").read_text(encoding="utf-8")
    # Generated from the plugins' declared keys, not written by hand.
    assert "socket_port" in reference
    assert "tools.sessions" in reference


def test_the_landing_page(site: Path) -> None:
    """Captioned sections in the sidebar, README's two commands, hello world, the version."""
    index = (site / "index.html").read_text(encoding="utf-8")
    for caption in SECTIONS:
        assert f'<span class="caption-text">{caption}</span>' in index, caption
    readme = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    commands = [line.split("#")[0].strip() for line in readme[:2]]
    assert all(command.startswith("python3 -m pip install nox uv") for command in commands)
    text = _text(index)
    for command in commands:
        assert command in text, command
    assert "cherrypy.quickstart(HelloWorld())" in text
    assert "copybutton.js" in index  # sphinx-copybutton
    assert "furo" in index


def test_every_page_shows_the_version(site: Path) -> None:
    version = _version()
    for page in site.glob("*.html"):
        assert f"cherrypy-kernel {version}" in page.read_text(encoding="utf-8"), page.name


def test_the_plugin_api_page_is_generated_from_docstrings(site: Path) -> None:
    page = (site / "plugin-api.html").read_text(encoding="utf-8")
    for name in ("PLUGIN_API_VERSION", "get_plugin_manager", "PipelineBuilder", "RequestView"):
        assert f'<span class="pre">{name}</span>' in page, name
    assert "Writing plugins" in page  # the prose is kept


class _Links(HTMLParser):
    """Collects a page's ids (anchors) and its links (href and src)."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (tag == "a" and name == "name"):
                self.ids.add(value)
            elif name == "href" or (name == "src" and tag in ("img", "script")):
                self.links.append(value)


def _parse(page: Path) -> _Links:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


class _Text(HTMLParser):
    """A page's text with the tags removed (Pygments splits code blocks into spans)."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)


def _text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "".join(parser.chunks)


def _version() -> str:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    project = tomllib.loads((ROOT / "core" / "pyproject.toml").read_text())["project"]
    return str(project["version"])


def test_no_broken_internal_link(site: Path) -> None:
    """Every relative href and src of every built page names a file, and its #anchor an id."""
    parsed = {page: _parse(page) for page in site.rglob("*.html")}
    broken = []
    for page, links in parsed.items():
        for link in links.links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith("//") or not (parts.path or parts.fragment):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{page.relative_to(site)}: {link} (no such file)")
            elif parts.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{page.relative_to(site)}: {link} (no such anchor)")
    assert not broken, "\n".join(broken)
    assert len(parsed) > 40


@pytest.fixture(scope="module")
def served_site(site: Path) -> Iterator[str]:
    """The built site over HTTP on a free port, as a reader's browser gets it."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _sidebar_links(driver: Any) -> dict[str, list[tuple[str, str]]]:
    """Caption -> [(link text, href)] of Furo's sidebar, as rendered."""
    script = """
        const out = [];
        for (const node of document.querySelector('.sidebar-tree').children) {
            if (node.classList.contains('caption')) {
                out.push([node.innerText.trim(), []]);
            } else if (out.length) {
                for (const a of node.querySelectorAll(':scope > li > a.reference.internal')) {
                    out[out.length - 1][1].push([a.innerText.trim(), a.href]);
                }
            }
        }
        return out;
    """
    found: list[tuple[str, list[tuple[str, str]]]] = driver.execute_script(script)
    return {caption.casefold(): [(link[0], link[1]) for link in links] for caption, links in found}


def test_a_reader_finds_their_way_in_chromium(
    served_site: str, headless_chromium: Callable[..., Any], tmp_path: Path
) -> None:
    """Open the landing page, follow the sidebar to three sections, use search and dark mode."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.expected_conditions import url_to_be
    from selenium.webdriver.support.ui import WebDriverWait

    driver = headless_chromium(tmp_path / "profile", ["--window-size=1400,1000"])
    driver.get(served_site)
    assert driver.find_element(By.TAG_NAME, "h1").text.startswith("cherrypy-kernel")
    assert _version() in driver.find_element(By.CSS_SELECTOR, ".sidebar-brand-text").text
    sidebar = _sidebar_links(driver)
    assert list(sidebar) == [caption.casefold() for caption in SECTIONS]
    # sphinx-copybutton adds its button to every code block once the page has loaded.
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "button.copybtn"))

    for caption, title in [
        ("tutorials", "Write your first plugin"),
        ("how-to guides", "Secure a site"),
        ("reference", "Plugin API reference"),
    ]:
        [(_, href)] = [link for link in sidebar[caption] if link[0] == title]
        link = driver.find_element(
            By.CSS_SELECTOR, f'.sidebar-tree a[href="{urlsplit(href).path[1:]}"]'
        )
        link.click()
        WebDriverWait(driver, 10).until(url_to_be(href))
        heading = driver.find_element(By.TAG_NAME, "h1").text
        assert heading.rstrip("#").strip() == title, (caption, heading)
        current = driver.find_element(By.CSS_SELECTOR, ".sidebar-tree a.current").text
        assert current == title

    # Dark mode: Furo's toggle cycles auto -> dark -> light (or the reverse) on <body data-theme>.
    themes = set()
    for _ in range(3):
        driver.find_element(By.CSS_SELECTOR, ".theme-toggle-content .theme-toggle").click()
        themes.add(driver.execute_script("return document.body.dataset.theme"))
    assert {"dark", "light"} <= themes

    # Search: Sphinx's client-side index finds the tutorial.
    driver.get(urljoin(served_site, "search.html?q=poweredby"))
    WebDriverWait(driver, 20).until(
        lambda d: d.find_elements(
            By.CSS_SELECTOR, "#search-results a[href*='tutorial-first-plugin']"
        )
    )


def test_the_screenshot_script(site: Path, chromium_available: None, tmp_path: Path) -> None:
    """``nox -s docs-screenshots`` writes PNGs of the landing page and a reference page."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import docs_screenshots
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    written = docs_screenshots.take_all(site, tmp_path)
    assert {png.name for png in written} >= {"landing-light.png", "reference-plugin-api-light.png"}
    for png in written:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
