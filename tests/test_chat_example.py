"""The chat example (``docs/examples/chat``) in headless Chromium, both variants.

``python app.py`` runs as its reader runs it, on 127.0.0.1:8080, from a private copy of its
folder.  Chromium (Debian's, driven through Debian's chromedriver with Selenium) opens two
windows on the same chat page; a line typed in one appears in the other.  The WebSocket page
talks over ``/ws``; the Server-Sent Events page receives with ``EventSource`` and sends with
``POST /post``; both are one room, so a line from one kind of page reaches the other.

Without chromium or chromedriver the test skips locally and fails under CI=true, as
``test_seed_browser.py`` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

CHAT = Path(__file__).resolve().parents[1] / "docs" / "examples" / "chat" / "app.py"
BASE = "http://127.0.0.1:8080"
WAIT = 15


@pytest.fixture
def browser(headless_chromium: Any, tmp_path: Path) -> Any:
    """Headless Debian Chromium; two windows of it must not be throttled as background pages."""
    return headless_chromium(
        tmp_path / "chromium-profile",
        (
            "--disable-background-timer-throttling",
            "--disable-renderer-backgrounding",
            "--disable-backgrounding-occluded-windows",
        ),
    )


class ChatWindow:
    """One browser window on a chat page."""

    def __init__(self, driver: Any, handle: str, path: str) -> None:
        self.driver = driver
        self.handle = handle
        self.focus()
        driver.get(BASE + path)
        self.wait_for(lambda d: d.find_element("id", "status").text == "connected")

    def focus(self) -> None:
        self.driver.switch_to.window(self.handle)

    def wait_for(self, condition: Any) -> Any:
        from selenium.webdriver.support.ui import WebDriverWait

        self.focus()
        return WebDriverWait(self.driver, WAIT).until(condition)

    def say(self, name: str, text: str) -> None:
        self.focus()
        field = self.driver.find_element("id", "name")
        field.clear()
        field.send_keys(name)
        self.driver.find_element("id", "text").send_keys(text)
        self.driver.find_element("css selector", "#chat-form button").click()

    def lines(self) -> list[str]:
        self.focus()
        return [item.text for item in self.driver.find_elements("css selector", "#messages li")]

    def wait_for_line(self, line: str) -> None:
        self.wait_for(lambda d: line in self.lines())


def open_windows(driver: Any, path: str) -> tuple[ChatWindow, ChatWindow]:
    first = ChatWindow(driver, driver.current_window_handle, path)
    driver.switch_to.new_window("window")
    second = ChatWindow(driver, driver.current_window_handle, path)
    return first, second


@pytest.mark.parametrize("path", ["/websocket", "/sse"])
def test_two_windows_chat(run_seed: Any, browser: Any, path: str) -> None:
    proc = run_seed(str(CHAT))
    alice, bob = open_windows(browser, path)
    assert browser.title == f"Chat ({path[1:]})"

    bob.say("bob", "hello from the second window")
    alice.wait_for_line("bob: hello from the second window")
    bob.wait_for_line("bob: hello from the second window")  # everyone gets every line

    alice.say("alice", "<b>hi</b> bob")  # shown as text, never as HTML
    bob.wait_for_line("alice: <b>hi</b> bob")
    assert browser.find_elements("css selector", "#messages b") == []
    assert (
        alice.lines()
        == bob.lines()
        == [
            "bob: hello from the second window",
            "alice: <b>hi</b> bob",
        ]
    )

    assert proc.stop() == 0, proc.output
    log = proc.output
    if path == "/websocket":
        assert '"GET /ws HTTP/1.1" 101' in log
    else:
        assert '"GET /events HTTP/1.1" 200' in log
        assert '"POST /post HTTP/1.1" 204' in log


def test_both_variants_share_the_room(run_seed: Any, browser: Any) -> None:
    proc = run_seed(str(CHAT))
    browser.get(BASE + "/")
    assert [a.text for a in browser.find_elements("css selector", "a")] == [
        "over a WebSocket",
        "over Server-Sent Events",
    ]
    websocket = ChatWindow(browser, browser.current_window_handle, "/websocket")
    browser.switch_to.new_window("window")
    sse = ChatWindow(browser, browser.current_window_handle, "/sse")
    sse.say("sse", "from the event-stream page")
    websocket.wait_for_line("sse: from the event-stream page")
    websocket.say("ws", "from the WebSocket page")
    sse.wait_for_line("ws: from the WebSocket page")
    assert proc.stop() == 0, proc.output
