"""Tests for ``cherrypy.kernel.logs``: CherryPy's error and access logs."""

from __future__ import annotations

import datetime
import io
import logging
import sys
import time
import types
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cherrypy.kernel import logs as cplogging
from cherrypy.kernel.context import serving

FROZEN_TEXT = "[24/Feb/2014:21:01:46]"


class ListHandler(logging.Handler):
    """Keep every formatted record, and the records themselves."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.records: list[logging.LogRecord] = []
        self.setFormatter(cplogging.logfmt)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines.append(self.format(record))


@pytest.fixture
def frozen_time(monkeypatch: pytest.MonkeyPatch) -> float:
    """Freeze the log clock at 24 Feb 2014 21:01:46 local time."""
    epoch = time.mktime((2014, 2, 24, 21, 1, 46, 0, 0, -1))
    monkeypatch.setattr(cplogging, "_clock", lambda: epoch + 0.25)
    monkeypatch.setattr(cplogging, "_time_cache", (-1, ""))
    return epoch


@pytest.fixture
def manager() -> Iterator[cplogging.LogManager]:
    """A LogManager with loggers of its own; its built-in handlers are removed afterwards."""
    log = cplogging.LogManager(appid=f"test{uuid.uuid4().hex}")
    yield log
    log.screen = False
    log.error_file = ""
    log.access_file = ""
    log.wsgi = False


@pytest.fixture
def errors(manager: cplogging.LogManager) -> ListHandler:
    handler = ListHandler()
    manager.error_log.addHandler(handler)
    return handler


@pytest.fixture
def accesses(manager: cplogging.LogManager) -> ListHandler:
    handler = ListHandler()
    manager.access_log.addHandler(handler)
    return handler


def fake_request(**overrides: Any) -> types.SimpleNamespace:
    request = types.SimpleNamespace(
        remote=types.SimpleNamespace(ip="10.0.0.7", name=None),
        login=None,
        request_line="GET /page?x=1 HTTP/1.1",
        headers={"Referer": "http://ref.example/", "User-Agent": "UA/1.0", "Host": "example.org"},
        unique_id="5f0c6a4e-8c3b-4c9e-9a55-0e2f5c1b7d11",
        wsgi_environ={},
    )
    for key, value in overrides.items():
        setattr(request, key, value)
    return request


def fake_response(**overrides: Any) -> types.SimpleNamespace:
    response = types.SimpleNamespace(output_status=b"200 OK", headers={"Content-Length": "42"})
    for key, value in overrides.items():
        setattr(response, key, value)
    return response


@pytest.fixture
def served() -> Iterator[tuple[types.SimpleNamespace, types.SimpleNamespace]]:
    """Put a fake request/response on the serving context for the test's duration."""
    request, response = fake_request(), fake_response()
    serving.load(request, response)
    yield request, response
    serving.clear()


# ------------------------------------------------------------------------------- loggers ---


def test_logger_names_follow_appid_and_root() -> None:
    glob = cplogging.LogManager()
    assert glob.error_log.name == "cherrypy.error"
    assert glob.access_log.name == "cherrypy.access"
    assert glob.appid is None
    assert glob.logger_root == "cherrypy"

    app = cplogging.LogManager(appid=1234, logger_root="mysite")
    assert app.error_log.name == "mysite.error.1234"
    assert app.access_log.name == "mysite.access.1234"
    assert app.error_log.level == logging.INFO
    assert app.access_log.level == logging.INFO
    assert any(isinstance(h, cplogging.NullHandler) for h in app.error_log.handlers)


def test_managers_of_one_app_share_a_single_null_handler() -> None:
    first = cplogging.LogManager(appid="shared-null")
    cplogging.LogManager(appid="shared-null")
    nulls = [h for h in first.error_log.handlers if isinstance(h, cplogging.NullHandler)]
    assert len(nulls) == 1


def test_null_handler_drops_records() -> None:
    handler = cplogging.NullHandler()
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "dropped", (), None)
    assert not handler.handle(record)
    assert handler.lock is None


def test_manager_subscribes_reopen_to_a_present_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, Any]] = []
    engine = types.SimpleNamespace(subscribe=lambda channel, cb: calls.append((channel, cb)))
    monkeypatch.setitem(sys.modules, "cherrypy", types.SimpleNamespace(engine=engine))
    log = cplogging.LogManager(appid="with-engine")
    assert calls == [("graceful", log.reopen_files)]


# ----------------------------------------------------------------------------- error log ---


def test_time_uses_apache_format(frozen_time: float, manager: cplogging.LogManager) -> None:
    assert manager.time() == FROZEN_TEXT


def test_time_follows_the_clock(
    monkeypatch: pytest.MonkeyPatch, frozen_time: float, manager: cplogging.LogManager
) -> None:
    assert manager.time() == FROZEN_TEXT
    monkeypatch.setattr(cplogging, "_clock", lambda: frozen_time + 14)
    assert manager.time() == "[24/Feb/2014:21:02:00]"
    monkeypatch.setattr(cplogging, "_clock", lambda: frozen_time + 3 * 3600 + 0.9)
    assert manager.time() == "[25/Feb/2014:00:01:46]"


def test_error_line_format(
    frozen_time: float, manager: cplogging.LogManager, errors: ListHandler
) -> None:
    manager.error("Bus STARTED", "ENGINE")
    manager("plain message")
    assert errors.lines == [f"{FROZEN_TEXT} ENGINE Bus STARTED", f"{FROZEN_TEXT}  plain message"]
    assert [r.levelno for r in errors.records] == [logging.INFO, logging.INFO]


def test_error_severity_is_the_record_level(
    manager: cplogging.LogManager, errors: ListHandler
) -> None:
    manager("careful", "APP", severity=logging.WARNING)
    manager.error("bad", severity=logging.ERROR)
    assert [r.levelno for r in errors.records] == [logging.WARNING, logging.ERROR]


def test_error_below_logger_level_is_dropped(
    manager: cplogging.LogManager, errors: ListHandler
) -> None:
    manager.error("chatty", severity=logging.DEBUG)
    assert errors.lines == []


def test_traceback_is_appended(manager: cplogging.LogManager, errors: ListHandler) -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        manager.error("failed", "HTTP", severity=logging.ERROR, traceback=True)
    (record,) = errors.records
    assert record.exc_info is not None and record.exc_info[0] is ValueError
    assert errors.lines[0].endswith("ValueError: boom")
    assert "Traceback (most recent call last)" in errors.lines[0]


def test_traceback_without_exception_adds_nothing(
    manager: cplogging.LogManager, errors: ListHandler
) -> None:
    manager.error("fine", traceback=True)
    assert errors.records[0].exc_info is None
    assert "\n" not in errors.lines[0]


# ------------------------------------------------------------------------ screen handlers ---


def builtin(log: logging.Logger, key: str) -> list[logging.Handler]:
    return [h for h in log.handlers if getattr(h, "_cpbuiltin", None) == key]


def test_screen_toggles_only_builtin_handlers(
    monkeypatch: pytest.MonkeyPatch, frozen_time: float, manager: cplogging.LogManager
) -> None:
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    mine = ListHandler()
    manager.error_log.addHandler(mine)

    assert manager.screen is False
    manager.screen = True
    manager.screen = True
    assert manager.screen is True
    assert len(builtin(manager.error_log, "screen")) == 1
    assert len(builtin(manager.access_log, "screen")) == 1

    manager.error("to stderr", "TEST")
    manager.access_log.info("to stdout")
    assert err.getvalue() == f"{FROZEN_TEXT} TEST to stderr\n"
    assert out.getvalue() == "to stdout\n"

    manager.screen = False
    assert manager.screen is False
    assert builtin(manager.error_log, "screen") == []
    assert builtin(manager.access_log, "screen") == []
    assert mine in manager.error_log.handlers
    manager.error("after", "TEST")
    assert "after" not in err.getvalue()
    assert mine.lines[-1].endswith("TEST after")


# -------------------------------------------------------------------------- file handlers ---


def test_error_and_access_files(
    tmp_path: Path, frozen_time: float, manager: cplogging.LogManager, served: Any
) -> None:
    error_path, access_path = tmp_path / "error.log", tmp_path / "access.log"
    manager.error_file = str(error_path)
    manager.access_file = access_path
    assert manager.error_file == str(error_path.resolve())
    assert manager.access_file == str(access_path.resolve())

    manager.error("written", "FILE")
    manager.access()
    assert error_path.read_text() == f"{FROZEN_TEXT} FILE written\n"
    assert access_path.read_text().startswith(f"10.0.0.7 - - {FROZEN_TEXT} ")

    manager.error_file = ""
    manager.access_file = None
    assert manager.error_file == ""
    assert manager.access_file == ""
    assert builtin(manager.error_log, "file") == []
    manager.error("not written", "FILE")
    assert "not written" not in error_path.read_text()


def test_setting_the_same_file_keeps_the_handler(
    tmp_path: Path, manager: cplogging.LogManager
) -> None:
    manager.error_file = str(tmp_path / "e.log")
    (before,) = builtin(manager.error_log, "file")
    manager.error_file = str(tmp_path / "e.log")
    assert builtin(manager.error_log, "file") == [before]


def test_setting_another_file_replaces_and_closes_the_old_one(
    tmp_path: Path, manager: cplogging.LogManager, errors: ListHandler
) -> None:
    manager.error_file = str(tmp_path / "one.log")
    (old,) = builtin(manager.error_log, "file")
    manager.error_file = str(tmp_path / "two.log")
    (new,) = builtin(manager.error_log, "file")
    assert new is not old
    assert old.stream is None  # closed
    manager.error("second")
    assert (tmp_path / "one.log").read_text() == ""
    assert "second" in (tmp_path / "two.log").read_text()
    assert errors in manager.error_log.handlers


def test_reopen_files_follows_rotation(tmp_path: Path, manager: cplogging.LogManager) -> None:
    path = tmp_path / "error.log"
    manager.error_file = str(path)
    manager.error("before rotation")
    path.rename(tmp_path / "error.log.1")

    manager.reopen_files()
    manager.error("after rotation")

    assert "before rotation" in (tmp_path / "error.log.1").read_text()
    assert "after rotation" not in (tmp_path / "error.log.1").read_text()
    assert "after rotation" in path.read_text()


def test_reopen_files_skips_unopened_delayed_handlers(
    tmp_path: Path, manager: cplogging.LogManager
) -> None:
    delayed = logging.FileHandler(tmp_path / "lazy.log", delay=True)
    manager.access_log.addHandler(delayed)
    try:
        manager.reopen_files()
        assert delayed.stream is None
        assert not (tmp_path / "lazy.log").exists()
    finally:
        manager.access_log.removeHandler(delayed)
        delayed.close()


# -------------------------------------------------------------------------- WSGI handler ---


def test_wsgi_handler_writes_to_wsgi_errors(
    frozen_time: float, manager: cplogging.LogManager, served: Any
) -> None:
    request, _ = served
    stream = io.StringIO()
    request.wsgi_environ = {"wsgi.errors": stream}
    manager.wsgi = True
    manager.wsgi = True
    assert manager.wsgi is True
    assert len(builtin(manager.error_log, "wsgi")) == 1

    manager.error("via wsgi", "APP")
    assert stream.getvalue() == f"{FROZEN_TEXT} APP via wsgi\n"

    manager.wsgi = False
    assert manager.wsgi is False
    manager.error("gone", "APP")
    assert "gone" not in stream.getvalue()


def test_wsgi_handler_without_a_request_is_silent(manager: cplogging.LogManager) -> None:
    serving.clear()
    manager.wsgi = True
    manager.error("nowhere to go")  # must not raise
    cplogging.WSGIErrorHandler().flush()


# ---------------------------------------------------------------------------- access log ---


def test_access_default_combined_format(
    frozen_time: float, manager: cplogging.LogManager, accesses: ListHandler, served: Any
) -> None:
    manager.access()
    assert accesses.lines == [
        f'10.0.0.7 - - {FROZEN_TEXT} "GET /page?x=1 HTTP/1.1" 200 42 "http://ref.example/" "UA/1.0"'
    ]
    assert accesses.records[0].levelno == logging.INFO
    assert accesses.records[0].funcName == "access"


def test_access_fallbacks(
    frozen_time: float, manager: cplogging.LogManager, accesses: ListHandler, served: Any
) -> None:
    request, response = served
    request.remote.name = "client.example"
    request.login = "alice"
    request.headers = {}
    response.output_status = None
    response.headers = {}
    manager.access()
    assert accesses.lines == [
        f'client.example - alice {FROZEN_TEXT} "GET /page?x=1 HTTP/1.1" - - "" ""'
    ]


def test_access_status_as_text(
    manager: cplogging.LogManager, accesses: ListHandler, served: Any
) -> None:
    served[1].output_status = "404 Not Found"
    manager.access_log_format = "{s}"
    manager.access()
    assert accesses.lines == ["404"]


def test_access_custom_format_with_every_atom(
    monkeypatch: pytest.MonkeyPatch,
    frozen_time: float,
    manager: cplogging.LogManager,
    accesses: ListHandler,
    served: Any,
) -> None:
    monkeypatch.setattr(cplogging, "LazyRfc3339UtcTime", lambda: "2014-02-24T20:01:46Z")
    manager.access_log_format = "{h}|{l}|{u}|{t}|{r}|{s}|{b}|{f}|{a}|{o}|{i}|{z} 100% {{x}}"
    manager.access()
    assert accesses.lines == [
        f"10.0.0.7|-|-|{FROZEN_TEXT}|GET /page?x=1 HTTP/1.1|200|42|http://ref.example/|UA/1.0"
        "|example.org|5f0c6a4e-8c3b-4c9e-9a55-0e2f5c1b7d11|2014-02-24T20:01:46Z 100% {x}"
    ]


def test_access_format_change_on_the_class_applies(
    monkeypatch: pytest.MonkeyPatch,
    manager: cplogging.LogManager,
    accesses: ListHandler,
    served: Any,
) -> None:
    manager.access()
    monkeypatch.setattr(cplogging.LogManager, "access_log_format", "{h} {o}")
    manager.access()
    assert accesses.lines[1] == "10.0.0.7 example.org"


def test_access_format_with_spec_and_conversion(
    manager: cplogging.LogManager, accesses: ListHandler, served: Any
) -> None:
    manager.access_log_format = "[{h:>10}] {s!r} {o}"
    manager.access()
    assert accesses.lines == ["[  10.0.0.7] '200' example.org"]


def test_access_unique_id_generated_when_missing(
    manager: cplogging.LogManager, accesses: ListHandler, served: Any
) -> None:
    del served[0].unique_id
    manager.access_log_format = "{i}"
    manager.access()
    assert uuid.UUID(accesses.lines[0]).version == 4


def test_access_utc_time_atom(
    manager: cplogging.LogManager, accesses: ListHandler, served: Any
) -> None:
    manager.access_log_format = "{z}"
    manager.access()
    stamp = accesses.lines[0]
    assert stamp.endswith("Z")
    parsed = datetime.datetime.fromisoformat(stamp[:-1])
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs((now - parsed).total_seconds()) < 60


def test_lazy_utc_time_renders_now_in_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    naive_utc = datetime.datetime(2019, 12, 31, 17, 23, 45)

    class FixedDatetime:
        @classmethod
        def now(cls, tz: Any) -> datetime.datetime:
            assert tz is datetime.timezone.utc
            return naive_utc

    monkeypatch.setattr(datetime, "datetime", FixedDatetime)
    assert str(cplogging.LazyRfc3339UtcTime()) == "2019-12-31T17:23:45Z"


@pytest.mark.parametrize("fmt", ["{nope}", "{0}", "{h", "{h.missing}"])
def test_access_never_raises_and_logs_the_failure(
    fmt: str,
    manager: cplogging.LogManager,
    accesses: ListHandler,
    errors: ListHandler,
    served: Any,
) -> None:
    manager.access_log_format = fmt
    manager.access()
    assert accesses.lines == []
    (record,) = errors.records
    assert record.exc_info is not None


def test_access_without_a_request_logs_the_failure(
    manager: cplogging.LogManager, accesses: ListHandler, errors: ListHandler
) -> None:
    serving.clear()
    manager.access()
    assert accesses.lines == []
    assert errors.records[0].exc_info is not None


@pytest.mark.parametrize(
    ("raw", "logged"),
    [
        ("plain ascii", "plain ascii"),
        ("it's", "it's"),
        ('say "hi"', 'say \\"hi\\"'),
        ('it\'s "quoted"', 'it\\\'s \\"quoted\\"'),
        ("back\\slash", "back\\slash"),
        ("line\r\nbreak\tand tab", "line\\r\\nbreak\\tand tab"),
        ("nul\x00 esc\x1b del\x7f", "nul\\x00 esc\\x1b del\\x7f"),
        ("caf\u00e9", "caf\\xc3\\xa9"),
        ("\u0388\u03c1", "\\xce\\x88\\xcf\\x81"),
        ("\U0001f600", "\\xf0\\x9f\\x98\\x80"),
        ("\udcff", "\\xff"),
        (404, "404"),
    ],
)
def test_access_escapes_hostile_values(
    raw: Any, logged: str, manager: cplogging.LogManager, accesses: ListHandler, served: Any
) -> None:
    served[0].headers["User-Agent"] = raw
    manager.access_log_format = '"{a}"'
    manager.access()
    assert accesses.lines == [f'"{logged}"']


def test_access_line_cannot_be_forged(
    manager: cplogging.LogManager, accesses: ListHandler, served: Any
) -> None:
    request, _ = served
    request.headers["User-Agent"] = 'x"\n10.6.6.6 - - [01/Jan/2000:00:00:00] "GET /admin HTTP/1.1'
    request.headers["Referer"] = "\u00e9vil"
    request.login = "root\r\n"
    manager.access()
    (line,) = accesses.lines
    assert "\n" not in line and "\r" not in line
    assert line.count(' "') == 3  # only the format's own quoted fields open a quote
    assert '"x\\"\\n10.6.6.6' in line
    assert '"\\xc3\\xa9vil"' in line
    assert " root\\r\\n " in line


def test_access_disabled_logger_skips_work(
    manager: cplogging.LogManager, accesses: ListHandler, errors: ListHandler
) -> None:
    serving.clear()  # would fail if the line were built
    manager.access_log.disabled = True
    try:
        manager.access()
    finally:
        manager.access_log.disabled = False
    assert accesses.lines == [] and errors.lines == []
