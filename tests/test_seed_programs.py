"""Every complete program of the seed, run as its reader runs it: ``python tutNN.py``.

Each program is copied to a temporary folder, started as a subprocess with the test's Python
(where the whole workspace is installed), and driven over real HTTP on 127.0.0.1:8080, the
address the seed tells the reader to open.  It is stopped with SIGTERM, which must end the
process cleanly, as Ctrl-C or ``kill`` would.
"""

from __future__ import annotations

import sqlite3
import string
from typing import Any

import requests

# The ``run_seed`` fixture (tests/conftest.py) starts a program; it returns a SeedProcess.
RunSeed = Any
SeedProcess = Any

HEX = set(string.hexdigits)
BASE = "http://127.0.0.1:8080"


def _stopped_cleanly(proc: SeedProcess, errors: int = 0) -> str:
    """Stop ``proc``; its log must end the bus and hold one traceback per expected 500."""
    assert proc.stop() == 0, proc.output
    output = proc.output
    assert "ENGINE Bus EXITED" in output
    assert output.count("Traceback (most recent call last)") == errors, output
    return output


def _engine_lines(output: str) -> list[str]:
    return [line.split("] ENGINE ", 1)[1] for line in output.splitlines() if "] ENGINE " in line]


def test_title_page_hello_world(run_seed: RunSeed) -> None:
    proc = run_seed("hello_world.py")
    reply = requests.get(BASE + "/", timeout=10)
    assert (reply.status_code, reply.text) == (200, "Hello World!")
    assert reply.headers["Content-Type"] == "text/html;charset=utf-8"
    assert requests.get(BASE + "/nothing", timeout=10).status_code == 404
    _stopped_cleanly(proc)


def test_one_minute_application_myapp(run_seed: RunSeed) -> None:
    proc = run_seed("myapp.py")
    reply = requests.get(BASE, timeout=10)
    assert (reply.status_code, reply.text) == (200, "Hello World!")
    _stopped_cleanly(proc)


def test_run_it_python_m_tutorial_shows_the_seed_log(run_seed: RunSeed) -> None:
    proc = run_seed("tut01.py", argv=["{python}", "-m", "cherrypy.tutorial.tut01_helloworld"])
    assert requests.get(BASE, timeout=10).text == "Hello world!"
    proc.wait_for_output("ENGINE Bus STARTED")
    lines = _engine_lines(_stopped_cleanly(proc))
    # The seed's "Run it" log, in its order (CherryPy 18 has no '_TimeoutMonitor' any more).
    seed_order = [
        "Listening for SIGHUP.",
        "Listening for SIGTERM.",
        "Listening for SIGUSR1.",
        "Bus STARTING",
        "Started monitor thread 'Autoreloader'.",
        "Serving on http://127.0.0.1:8080",
        "Bus STARTED",
    ]
    assert lines[: len(seed_order)] == seed_order
    assert lines[-2:] == ["Bus EXITED", "Waiting for child threads to terminate..."]


def test_tutorial_1_basic_web_application(run_seed: RunSeed) -> None:
    proc = run_seed("tut01.py")
    reply = requests.get(BASE + "/", timeout=10)
    assert (reply.status_code, reply.text) == (200, "Hello world!")
    lines = _engine_lines(proc.wait_for_output("ENGINE Bus STARTED"))
    assert "Serving on http://127.0.0.1:8080" in lines
    _stopped_cleanly(proc)


def test_tutorial_2_generate_gives_eight_random_hex_digits(run_seed: RunSeed) -> None:
    proc = run_seed("tut02.py")
    assert requests.get(BASE + "/", timeout=10).text == "Hello world!"
    strings = {requests.get(BASE + "/generate", timeout=10).text for _ in range(3)}
    assert len(strings) == 3
    assert all(len(s) == 8 and set(s) <= HEX for s in strings)
    _stopped_cleanly(proc)


def test_tutorial_3_length_from_the_query_string(run_seed: RunSeed) -> None:
    proc = run_seed("tut03.py")
    assert len(requests.get(BASE + "/generate", timeout=10).text) == 8
    generated = requests.get(BASE + "/generate?length=16", timeout=10).text
    assert len(generated) == 16 and set(generated) <= HEX
    assert requests.get(BASE + "/generate?length=abc", timeout=10).status_code == 500
    _stopped_cleanly(proc, errors=1)


def test_tutorial_4_the_form_submits_to_generate(run_seed: RunSeed) -> None:
    proc = run_seed("tut04.py")
    page = requests.get(BASE + "/", timeout=10).text
    assert '<form method="get" action="generate">' in page
    assert 'name="length"' in page
    # What the browser sends when the form is submitted with the length changed to 12.
    generated = requests.get(BASE + "/generate", params={"length": "12"}, timeout=10).text
    assert len(generated) == 12 and set(generated) <= HEX
    _stopped_cleanly(proc)


def test_tutorial_5_display_shows_this_users_string(run_seed: RunSeed) -> None:
    proc = run_seed("tut05.py")
    alice, bob = requests.Session(), requests.Session()
    generated = alice.get(BASE + "/generate?length=10", timeout=10).text
    assert alice.cookies.get("session_id")
    assert alice.get(BASE + "/display", timeout=10).text == generated
    other = bob.get(BASE + "/generate", timeout=10).text
    assert bob.get(BASE + "/display", timeout=10).text == other
    assert alice.get(BASE + "/display", timeout=10).text == generated
    # A user with no session has no string: the page handler's KeyError is a 500.
    assert requests.get(BASE + "/display", timeout=10).status_code == 500
    _stopped_cleanly(proc, errors=1)


def test_tutorial_6_static_stylesheet(run_seed: RunSeed) -> None:
    proc = run_seed("tut06/tut06.py")
    page = requests.get(BASE + "/", timeout=10).text
    assert 'href="/static/css/style.css"' in page
    css = requests.get(BASE + "/static/css/style.css", timeout=10)
    assert css.status_code == 200
    assert css.headers["Content-Type"].startswith("text/css")
    assert "background-color: blue" in css.text
    assert requests.get(BASE + "/static/../tut06.py", timeout=10).status_code in (403, 404)
    assert requests.get(BASE + "/static/css/none.css", timeout=10).status_code == 404
    _stopped_cleanly(proc)


def _tutorial_7_session(base: str) -> None:
    """The ``requests`` session the seed types against tutorial 7 (tut07_session.pycon)."""
    s = requests.Session()
    assert s.get(base, timeout=10).status_code == 500
    reply = s.post(base, timeout=10)
    assert reply.status_code == 200
    generated = reply.text
    assert len(generated) == 8 and set(generated) <= HEX
    reply = s.get(base, timeout=10)
    assert (reply.status_code, reply.text) == (200, generated)
    assert s.get(base, headers={"Accept": "application/json"}, timeout=10).status_code == 406
    assert s.put(base, params={"another_string": "hello"}, timeout=10).status_code == 200
    reply = s.get(base, timeout=10)
    assert (reply.status_code, reply.text) == (200, "hello")
    assert s.delete(base, timeout=10).status_code == 200
    assert s.get(base, timeout=10).status_code == 500


def test_tutorial_7_rest_session(run_seed: RunSeed) -> None:
    proc = run_seed("tut07.py")
    _tutorial_7_session(BASE + "/")
    reply = requests.post(BASE + "/", timeout=10)
    assert reply.headers["Content-Type"] == "text/plain;charset=utf-8"  # as CherryPy 18
    assert requests.request("PATCH", BASE + "/", timeout=10).status_code == 405
    _stopped_cleanly(proc, errors=2)


def test_tutorial_8_as_written_fails_on_python_3_but_its_web_service_works(
    run_seed: RunSeed,
) -> None:
    proc = run_seed("tut08/tut08.py")
    # ``file('index.html')`` is Python 2 only: the page handler's NameError is a 500 ...
    assert requests.get(BASE + "/", timeout=10).status_code == 500
    assert "NameError" in proc.wait_for_output("NameError")
    # ... while the web service and the stylesheet work as the tutorial describes.
    _tutorial_7_session(BASE + "/generator")
    assert requests.get(BASE + "/static/css/style.css", timeout=10).status_code == 200
    assert proc.stop() == 0, proc.output


def test_tutorial_8_on_python_3_serves_the_page(run_seed: RunSeed) -> None:
    proc = run_seed("tut08/tut08_py3.py")
    page = requests.get(BASE + "/", timeout=10)
    assert page.status_code == 200
    assert '<button id="generate-string">Give it now!</button>' in page.text
    _tutorial_7_session(BASE + "/generator")
    _stopped_cleanly(proc, errors=2)


def test_tutorial_9_as_written_fails_on_python_3(run_seed: RunSeed) -> None:
    proc = run_seed("tut09/tut09.py")
    assert requests.get(BASE + "/", timeout=10).status_code == 500  # file() again
    s = requests.Session()
    generated = s.post(BASE + "/generator", timeout=10).text
    assert len(generated) == 8
    # sqlite3 connections have no fetchone(): every GET of the seed's version is a 500.
    assert s.get(BASE + "/generator", timeout=10).status_code == 500
    assert "AttributeError" in proc.output
    assert proc.stop() == 0, proc.output


def test_tutorial_9_on_python_3_keeps_strings_in_sqlite(run_seed: RunSeed) -> None:
    proc = run_seed("tut09/tut09_py3.py")
    assert "<html>" in requests.get(BASE + "/", timeout=10).text
    s = requests.Session()
    generated = s.post(BASE + "/generator", timeout=10).text
    assert len(generated) == 8 and set(generated) <= HEX
    assert s.get(BASE + "/generator", timeout=10).text == generated
    assert s.get(BASE + "/generator", headers={"Accept": "text/html"}, timeout=10).status_code
    assert s.put(BASE + "/generator", params={"another_string": "hello"}, timeout=10).ok
    assert s.get(BASE + "/generator", timeout=10).text == "hello"
    with sqlite3.connect(proc.cwd / "my.db") as db:
        rows = db.execute("SELECT value FROM user_string").fetchall()
    assert rows == [("hello",)]
    assert s.delete(BASE + "/generator", timeout=10).ok
    assert s.get(BASE + "/generator", timeout=10).text == ""
    _stopped_cleanly(proc)
    # The engine's 'stop' channel ran cleanup_database: a second run can create the table.
    with sqlite3.connect(proc.cwd / "my.db") as db:
        tables = db.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    assert tables == []
