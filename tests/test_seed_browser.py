"""Tutorial 8's page in a real browser: headless Chromium from Debian's packages.

The program (``tut08_py3.py``, the seed's tutorial 8 with ``file()`` replaced by ``open()``)
runs as a subprocess on 127.0.0.1:8080, and Chromium, driven through chromedriver with
Selenium, does what the tutorial tells its reader to do: click "Give it now!" and see the
string appear, replace it, delete it.

The page loads jQuery from ``http://code.jquery.com/jquery-2.0.3.min.js``.  These machines
have no route to the Internet, so Chromium resolves ``code.jquery.com`` to a local server
(``--host-resolver-rules``) that answers with Debian's packaged jQuery (``libjs-jquery``,
jQuery 3.6: everything the page uses, ``$(document).ready``, ``click``, ``$.post``,
``$.ajax``, ``val``, ``show`` and ``hide``, behaves the same in 2.0.3).  The page itself is
served unchanged.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

JQUERY = Path("/usr/share/javascript/jquery/jquery.min.js")  # Debian's libjs-jquery
BASE = "http://127.0.0.1:8080"


@pytest.fixture
def jquery_cdn(need: Any) -> Iterator[int]:
    """A stand-in for code.jquery.com on a free local port; yields the port."""
    need(JQUERY.is_file(), "Debian's libjs-jquery is not installed (apt-get install libjs-jquery)")
    script = JQUERY.read_bytes()
    requested: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requested.append(self.path)
            if not self.path.startswith("/jquery-"):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/javascript")
            self.send_header("Content-Length", str(len(script)))
            self.end_headers()
            self.wfile.write(script)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
    assert requested == ["/jquery-2.0.3.min.js"]


@pytest.fixture
def browser(
    chromium_available: None,
    headless_chromium: Any,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> Iterator[Any]:
    """Headless Debian Chromium under chromedriver, with code.jquery.com mapped to a local copy."""
    # Only now: its teardown checks that the page fetched jQuery, which a skip never does.
    jquery_cdn: int = request.getfixturevalue("jquery_cdn")
    yield headless_chromium(
        tmp_path / "chromium-profile",
        (f"--host-resolver-rules=MAP code.jquery.com 127.0.0.1:{jquery_cdn}",),
    )


def _fetch_generator(driver: Any) -> list[Any]:
    """GET /generator from the page (the browser's session cookie): [status, text]."""
    return driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        fetch('/generator', {headers: {'Accept': 'text/plain'}})
            .then(r => r.text().then(t => done([r.status, t])));
        """
    )


def test_tutorial_8_page_in_chromium(run_seed: Any, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    proc = run_seed("tut08/tut08_py3.py")
    wait = WebDriverWait(browser, 10)
    browser.get(BASE + "/")
    wait.until(lambda d: d.execute_script("return typeof jQuery") == "function")
    # style.css (served by tools.staticdir) hides the string until one is generated.
    body_colour = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
    assert body_colour == "rgb(0, 0, 255)"
    the_string = browser.find_element(By.ID, "the-string")
    assert not the_string.is_displayed()

    # "Give it now!": $.post('/generator', {length: 8}) and the string appears.
    browser.find_element(By.ID, "generate-string").click()
    wait.until(ec.visibility_of(the_string))
    field = the_string.find_element(By.TAG_NAME, "input")
    wait.until(lambda d: field.get_attribute("value"))
    generated = field.get_attribute("value")
    assert len(generated) == 8 and all(c in "0123456789abcdefABCDEF" for c in generated)
    assert _fetch_generator(browser) == [200, generated]  # kept in the browser's session

    # A longer string, as a reader would try next.
    length = browser.find_element(By.NAME, "length")
    length.clear()
    length.send_keys("12")
    browser.find_element(By.ID, "generate-string").click()
    wait.until(lambda d: len(field.get_attribute("value")) == 12)
    assert _fetch_generator(browser) == [200, field.get_attribute("value")]

    # "Replace": $.ajax PUT, then alert("Replaced!").  The page sends the value of the
    # <div id="the-string">, which a div does not have: the stored string becomes "".
    field.clear()
    field.send_keys("my own string")
    browser.find_element(By.ID, "replace-string").click()
    alert = wait.until(ec.alert_is_present())
    assert alert.text == "Replaced!"
    alert.accept()
    assert _fetch_generator(browser) == [200, ""]

    # "Delete it": $.ajax DELETE, then the string is hidden again and the session has none.
    browser.find_element(By.ID, "delete-string").click()
    wait.until(ec.invisibility_of_element(the_string))
    status, _ = _fetch_generator(browser)
    assert status == 500  # the tutorial's GET raises KeyError when nothing is stored

    assert proc.stop() == 0, proc.output
    log = proc.output
    for line in (
        '"GET /static/css/style.css HTTP/1.1" 200',
        '"POST /generator HTTP/1.1" 200',
        '"PUT /generator HTTP/1.1" 200',
        '"DELETE /generator HTTP/1.1" 200',
    ):
        assert line in log
