"""``log.format = "json"``: access and error logs as one JSON object per line, each with the
request id the response carried; the text format stays CherryPy's."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

import cherrypy
from cherrypy.kernel import observe
from cherrypy.testing import reset, serve

ACCESS_FIELDS = [
    "time",
    "level",
    "logger",
    "request_id",
    "remote_addr",
    "method",
    "path",
    "query",
    "protocol",
    "status",
    "bytes",
    "duration_ms",
    "referer",
    "user_agent",
    "user",
    "app",
    "route",
]


@pytest.fixture(autouse=True)
def clean_site() -> Iterator[None]:
    reset()
    observe.reset()
    yield
    cherrypy.log.format = "text"
    cherrypy.log.error_file = ""
    cherrypy.log.access_file = ""
    reset()
    observe.reset()


@pytest.fixture
def logs(tmp_path: Path) -> tuple[Path, Path]:
    """JSON logs written to two files (set in this order on purpose: format last)."""
    access, error = tmp_path / "access.log", tmp_path / "error.log"
    cherrypy.config.update(
        {"log.access_file": str(access), "log.error_file": str(error), "log.format": "json"}
    )
    return access, error


def lines(path: Path) -> list[dict[str, object]]:
    for handler in cherrypy.log.access_log.handlers + cherrypy.log.error_log.handlers:
        handler.flush()
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


class Root:
    @cherrypy.expose
    def index(self, q: str = "") -> str:
        return "hello"

    @cherrypy.expose
    def boom(self) -> str:
        raise ValueError("it broke\non two lines")

    @cherrypy.expose
    def note(self) -> str:
        cherrypy.log("a note from the handler")
        return "noted"


def test_access_lines_are_json_with_the_responses_request_id(logs: tuple[Path, Path]) -> None:
    access, _error = logs
    cherrypy.tree.mount(Root(), "/app")
    with serve() as base:
        ok = requests.get(
            base + "/app/?q=1", headers={"Referer": "http://r/", "X-Request-ID": "r-1"}, timeout=10
        )
        missing = requests.get(base + "/app/nowhere", timeout=10)
    [first, second] = lines(access)
    assert list(first) == ACCESS_FIELDS
    assert ok.headers["X-Request-ID"] == first["request_id"] == "r-1"
    assert missing.headers["X-Request-ID"] == second["request_id"]
    assert first["level"] == "INFO"
    assert str(first["logger"]).startswith("cherrypy.access")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", str(first["time"]))
    assert first["method"] == "GET"
    assert (first["path"], first["query"]) == ("/app/", "q=1")
    assert first["protocol"] == "HTTP/1.1"
    assert (first["status"], first["bytes"]) == (200, 5)
    assert isinstance(first["duration_ms"], float)
    assert first["referer"] == "http://r/"
    assert str(first["user_agent"]).startswith("python-requests")
    assert first["user"] is None
    assert (first["app"], first["route"]) == ("/app", "/app/")
    assert first["remote_addr"] == "127.0.0.1"
    assert (second["status"], second["route"]) == (404, None)


def test_error_lines_are_json_with_request_id_and_traceback(logs: tuple[Path, Path]) -> None:
    _access, error = logs
    cherrypy.tree.mount(Root(), "")
    with serve() as base:
        response = requests.get(base + "/boom", timeout=10)
        noted = requests.get(base + "/note", timeout=10)
    records = lines(error)
    [failure] = [r for r in records if "traceback" in r]
    assert failure["level"] == "ERROR"
    assert failure["request_id"] == response.headers["X-Request-ID"]
    assert "ValueError: it broke\non two lines" in str(failure["traceback"])
    assert failure["context"] == "HTTP"
    [note] = [r for r in records if r.get("message") == "a note from the handler"]
    assert note["request_id"] == noted.headers["X-Request-ID"]
    assert note["level"] == "INFO"
    assert "traceback" not in note


def test_a_hostile_request_line_stays_one_parseable_line(logs: tuple[Path, Path]) -> None:
    access, _error = logs
    cherrypy.tree.mount(Root(), "")
    with serve() as base:
        requests.get(
            base + "/%0a%22x%22?a=%0d%0a", headers={"User-Agent": 'evil"\tagent é'}, timeout=10
        )
    text = access.read_text(encoding="utf-8")
    assert text.count("\n") == 1
    [line] = lines(access)
    assert line["user_agent"] == 'evil"\tagent é'
    assert text.isascii()
    assert line["path"] == '/\n"x"'


def test_engine_messages_outside_a_request_have_no_request_id(logs: tuple[Path, Path]) -> None:
    _access, error = logs
    cherrypy.engine.log("engine says hi")
    [record] = [r for r in lines(error) if r.get("message") == "engine says hi"]
    assert record["context"] == "ENGINE"
    assert "request_id" not in record


def test_the_text_access_line_is_unchanged_when_the_key_is_not_set(
    tmp_path: Path,
) -> None:
    access = tmp_path / "access.log"
    cherrypy.config.update({"log.access_file": str(access)})
    cherrypy.tree.mount(Root(), "")
    with serve() as base:
        response = requests.get(base + "/", timeout=10)
    for handler in cherrypy.log.access_log.handlers:
        handler.flush()
    [line] = access.read_text(encoding="utf-8").splitlines()
    assert re.fullmatch(
        r'127\.0\.0\.1 - - \[[^]]+\] "GET / HTTP/1\.1" 200 5 "" "python-requests/[^"]+"', line
    )
    assert "X-Request-ID" not in response.headers


def test_text_error_lines_carry_the_request_id_only_when_ids_are_wanted(
    tmp_path: Path,
) -> None:
    error = tmp_path / "error.log"
    cherrypy.config.update({"log.error_file": str(error)})
    cherrypy.tree.mount(Root(), "")
    with serve() as base:
        requests.get(base + "/note", timeout=10)
        observe.want_request_id_header()
        wanted = requests.get(base + "/note", timeout=10)
    for handler in cherrypy.log.error_log.handlers:
        handler.flush()
    notes = [line for line in error.read_text().splitlines() if "a note" in line]
    assert len(notes) == 2
    assert "request_id=" not in notes[0]
    assert f" request_id={wanted.headers['X-Request-ID']} a note from the handler" in notes[1]


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match=r"log\.format"):
        cherrypy.log.format = "xml"


def test_the_line_encoder_handles_what_json_cannot_hold() -> None:
    from cherrypy.kernel import logs

    class Odd:
        def __str__(self) -> str:
            return "odd\nvalue"

    for fields, expected in [
        (
            {"a": "é\n/x", "n": None, "f": 0.5, "i": 2**70},
            {"a": "é\n/x", "n": None, "f": 0.5, "i": 2**70},
        ),
        ({"odd": Odd()}, {"odd": "odd\nvalue"}),
        ({"lone": "\ud800"}, {"lone": "\ud800"}),
    ]:
        line = logs._json_line(fields)
        assert "\n" not in line and line.isascii() and "\\/" not in line
        assert json.loads(line) == expected
    assert logs._json_line({"nan": float("nan")}) == '{"nan":NaN}'
