"""``cherrypy.log``: CherryPy's error and access logs on top of the standard :mod:`logging`.

A :class:`LogManager` owns two stdlib loggers, ``<root>.error[.<appid>]`` and
``<root>.access[.<appid>]``.  The simple switches CherryPy exposes through ``log.*`` config
(``screen``, ``error_file``, ``access_file``, ``wsgi``) add or remove handlers marked with a
``_cpbuiltin`` attribute, so handlers that applications attach themselves are never touched.

The access log is written once per request, so :meth:`LogManager.access` works from a format
compiled once per ``access_log_format`` string: only the atoms the format names are computed,
and values that need no escaping (the common case) are passed through unchanged.

``log.format = "json"`` (:attr:`LogManager.format`) writes both logs as one JSON object per
line instead (:class:`JSONFormatter`, field names in ``docs/logging.md``).
"""

from __future__ import annotations

import datetime
import logging as _stdlib_logging
import os
import string
import sys
import time as _time
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

from cherrypy.kernel import observe as _observe
from cherrypy.kernel.context import serving
from cherrypy.kernel.httputil import HeaderMap

if TYPE_CHECKING:
    from cherrypy.kernel.request import Request
    from cherrypy.kernel.response import Response

__all__ = [
    "LOG_FORMATS",
    "JSONFormatter",
    "LazyRfc3339UtcTime",
    "LogManager",
    "NullHandler",
    "WSGIErrorHandler",
    "logfmt",
]

logfmt = _stdlib_logging.Formatter("%(message)s")
"""The formatter of every built-in handler: the message alone, already carrying its time."""

_clock = _time.time
"""Source of the current time for :meth:`LogManager.time` (replaceable in tests)."""

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# (epoch second, rendered text) of the last call to LogManager.time(); swapped atomically.
_time_cache: tuple[int, str] = (-1, "")

LOG_FORMATS = ("text", "json")
"""The values of ``log.format``."""

_json_by_default = False
"""True when the global log's ``format`` is ``"json"`` (applications' logs follow it)."""

# (epoch second, "YYYY-MM-DDTHH:MM:SS" in UTC) for JSON log lines; swapped atomically.
_iso_cache: tuple[int, str] = (-1, "")


def _iso_time(created: float) -> str:
    """``created`` (epoch seconds) as RFC 3339 UTC with milliseconds: ``...T12:00:00.123Z``."""
    global _iso_cache
    second = int(created)
    cached = _iso_cache
    if cached[0] != second:
        cached = _iso_cache = (second, _time.strftime("%Y-%m-%dT%H:%M:%S", _time.gmtime(second)))
    millis = min(int((created - second) * 1000), 999)
    return f"{cached[1]}.{millis:03d}Z"


def _current_request() -> Any:
    """The request this thread is serving, or None outside a request."""
    request = serving.request
    if request is None or getattr(request, "app", None) is None:
        return None
    return request


class JSONFormatter(_stdlib_logging.Formatter):
    """Format a record as one line of JSON (``log.format = "json"``).

    Every record has ``time`` (RFC 3339, UTC, milliseconds), ``level`` and ``logger``.  An
    access-log record adds the request's fields (see ``docs/logging.md``); any other record
    adds ``message``, ``context`` (CherryPy's ``ENGINE``/``HTTP`` tag, when given),
    ``request_id`` (when logged while serving a request) and ``traceback`` (when it has one).
    Newlines and non-ASCII characters are escaped, so a line is always one parseable object.
    """

    def format(self, record: _stdlib_logging.LogRecord) -> str:
        """Return ``record`` as a JSON object on one line."""
        fields: dict[str, Any] = {
            "time": _iso_time(record.created),
            "level": record.levelname,
            "logger": record.name,
        }
        access = getattr(record, "cherrypy_access", None)
        if access is not None:
            fields.update(access)
            return _json_line(fields)
        fields["message"] = record.getMessage()
        context = getattr(record, "cherrypy_context", None)
        if context:
            fields["context"] = context
        request_id = getattr(record, "cherrypy_request_id", None)
        if request_id is None:
            request = _current_request()
            if request is not None:
                request_id = request.id
        if request_id is not None:
            fields["request_id"] = request_id
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            fields["traceback"] = record.exc_text
        if record.stack_info:
            fields["stack"] = self.formatStack(record.stack_info)
        return _json_line(fields)


def _make_json_line() -> Any:
    """``fields`` -> one compact line of JSON (ASCII, non-JSON values as ``str()``).

    ujson (installed with cherrypy-json) writes the line when it can, in about half the time
    of the standard library's C encoder; anything it refuses (a value that is not JSON) goes
    to that encoder, made once here (``json.dumps`` with non-default arguments would build a
    new encoder for every line).
    """
    import json
    from json import encoder

    make = getattr(encoder, "c_make_encoder", None)
    if make is None:  # a Python without the C accelerator
        return lambda fields: json.dumps(fields, separators=(",", ":"), default=str)
    iterencode = make(
        None, str, encoder.encode_basestring_ascii, None, ":", ",", False, False, True
    )
    join = "".join

    def standard(fields: dict[str, Any]) -> str:
        return join(iterencode(fields, 0))

    try:
        from ujson import dumps
    except ImportError:
        return standard

    def fast(fields: dict[str, Any]) -> str:
        try:
            return dumps(fields, escape_forward_slashes=False)  # type: ignore[no-any-return]
        except (TypeError, ValueError, OverflowError):
            return standard(fields)  # str() of what is not JSON; NaN as NaN

    return fast


_json_line = _make_json_line()
_json_formatter = JSONFormatter()


class NullHandler(_stdlib_logging.Handler):
    """A handler that drops every record, so stdlib's last-resort handler stays quiet."""

    def handle(self, record: _stdlib_logging.LogRecord) -> bool:  # type: ignore[override]
        """Discard ``record`` without taking any lock."""
        return False

    def emit(self, record: _stdlib_logging.LogRecord) -> None:
        """Discard ``record``."""

    def createLock(self) -> None:
        """Use no lock: there is nothing to protect."""
        self.lock = None  # type: ignore[assignment]


class WSGIErrorHandler(_stdlib_logging.Handler):
    """Write records to the ``wsgi.errors`` stream of the request being served."""

    @staticmethod
    def _stream() -> IO[str] | None:
        try:
            environ = serving.request.wsgi_environ
        except AttributeError:
            return None
        if not environ:
            return None
        return environ.get("wsgi.errors")

    def flush(self) -> None:
        """Flush the current request's ``wsgi.errors`` stream, if there is one."""
        stream = self._stream()
        if stream is not None:
            stream.flush()

    def emit(self, record: _stdlib_logging.LogRecord) -> None:
        """Format ``record`` and write it, newline-terminated, to ``wsgi.errors``."""
        stream = self._stream()
        if stream is None:
            return
        try:
            line = self.format(record) + "\n"
            try:
                stream.write(line)
            except UnicodeError:
                stream.write(line.encode("ascii", "backslashreplace").decode("ascii"))
            stream.flush()
        except Exception:
            self.handleError(record)


class LazyRfc3339UtcTime:
    """The current UTC time, rendered (when turned into a string) as CherryPy's ``{z}`` atom."""

    def __str__(self) -> str:
        """Return the current time as an ISO 8601 UTC timestamp with a trailing ``Z``."""
        now = datetime.datetime.now(datetime.timezone.utc)
        return f"{now.isoformat('T')}Z"


# --------------------------------------------------------------------- access-log escaping ---


def _build_escape_table(escape_single_quote: bool) -> dict[int, str]:
    """Map code points 0-255 (standing for UTF-8 bytes) to their access-log rendering."""
    table: dict[int, str] = {}
    for code in range(256):
        if code == 0x09:
            table[code] = "\\t"
        elif code == 0x0A:
            table[code] = "\\n"
        elif code == 0x0D:
            table[code] = "\\r"
        elif code < 0x20 or code >= 0x7F:
            table[code] = f"\\x{code:02x}"
    table[ord('"')] = '\\"'
    if escape_single_quote:
        table[ord("'")] = "\\'"
    return table


# CherryPy renders an atom as the repr() of its UTF-8 bytes, which escapes single quotes only
# when the value also holds a double quote; both tables reproduce that byte for byte.
_ESCAPES = _build_escape_table(escape_single_quote=False)
_ESCAPES_WITH_QUOTES = _build_escape_table(escape_single_quote=True)


def _escape(value: Any) -> str:
    """Render an access-log field so that it cannot break or forge a log line.

    Control characters and non-ASCII bytes (of the UTF-8 encoding) become ``\\xNN``, tab,
    newline and carriage return become ``\\t``, ``\\n`` and ``\\r``, and ``"`` becomes ``\\"``.
    """
    text = value if type(value) is str else str(value)
    if text.isascii() and text.isprintable() and '"' not in text:
        return text
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "backslashreplace")
    table = _ESCAPES_WITH_QUOTES if '"' in text else _ESCAPES
    return raw.decode("latin-1").translate(table)


# ------------------------------------------------------------------------ access-log atoms ---
# Each atom reads its raw value from (manager, request, response); _escape renders it.


def _atom_host(manager: LogManager, request: Request, response: Response) -> Any:
    remote = request.remote
    return remote.name or remote.ip


def _atom_logname(manager: LogManager, request: Request, response: Response) -> Any:
    return "-"


def _atom_user(manager: LogManager, request: Request, response: Response) -> Any:
    return getattr(request, "login", None) or "-"


def _atom_time(manager: LogManager, request: Request, response: Response) -> Any:
    return manager.time()


def _atom_request_line(manager: LogManager, request: Request, response: Response) -> Any:
    return request.request_line


def _atom_status(manager: LogManager, request: Request, response: Response) -> Any:
    status = response.output_status
    if status is None:
        return "-"
    if isinstance(status, bytes):
        return status.split(b" ", 1)[0].decode("ISO-8859-1")
    return str(status).split(" ", 1)[0]


def _atom_bytes(manager: LogManager, request: Request, response: Response) -> Any:
    return response.headers.get("Content-Length", "") or "-"


def _atom_referer(manager: LogManager, request: Request, response: Response) -> Any:
    return request.headers.get("Referer", "")


def _atom_user_agent(manager: LogManager, request: Request, response: Response) -> Any:
    return request.headers.get("User-Agent", "")


def _atom_virtual_host(manager: LogManager, request: Request, response: Response) -> Any:
    return request.headers.get("Host", "-")


def _atom_unique_id(manager: LogManager, request: Request, response: Response) -> Any:
    unique_id = getattr(request, "unique_id", None)
    if unique_id is not None:
        return unique_id
    import uuid  # on first use: uuid imports platform, which start-up does not need

    return uuid.uuid4()


def _atom_utc_time(manager: LogManager, request: Request, response: Response) -> Any:
    # Looked up at call time so that replacing the module attribute takes effect.
    return LazyRfc3339UtcTime()


_Atom = Callable[["LogManager", Any, Any], Any]

ATOMS: dict[str, _Atom] = {
    "h": _atom_host,
    "l": _atom_logname,
    "u": _atom_user,
    "t": _atom_time,
    "r": _atom_request_line,
    "s": _atom_status,
    "b": _atom_bytes,
    "f": _atom_referer,
    "a": _atom_user_agent,
    "o": _atom_virtual_host,
    "i": _atom_unique_id,
    "z": _atom_utc_time,
}
"""The ``{name}`` fields an ``access_log_format`` may use, as in CherryPy 18.

``h`` remote host, ``l`` always ``-``, ``u`` login, ``t`` local time, ``r`` request line,
``s`` status code, ``b`` Content-Length, ``f`` Referer, ``a`` User-Agent, ``o`` Host header,
``i`` the request's unique id, ``z`` UTC time in RFC 3339.
"""


class _CompiledFormat:
    """An ``access_log_format`` reduced to a ``%`` template plus the atoms it needs."""

    __slots__ = ("atoms", "fmt", "template")

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt
        self.template: str | None = None
        self.atoms: tuple[_Atom, ...] = ()
        try:
            fields = list(string.Formatter().parse(fmt))
        except ValueError:
            return  # malformed: str.format reports it at log time
        pieces: list[str] = []
        atoms: list[_Atom] = []
        for literal, name, spec, conversion in fields:
            pieces.append(literal.replace("%", "%%"))
            if name is None:
                continue
            if name not in ATOMS or spec or conversion:
                return  # anything beyond plain "{atom}" goes through str.format
            if name == "l":
                pieces.append("-")
            else:
                pieces.append("%s")
                atoms.append(ATOMS[name])
        self.template = "".join(pieces)
        self.atoms = tuple(atoms)

    def render(self, manager: LogManager, request: Request, response: Response) -> str:
        """Build the access-log line for ``request`` and ``response``."""
        if self.template is None:
            values = {
                name: _escape(atom(manager, request, response)) for name, atom in ATOMS.items()
            }
            return self.fmt.format(**values)
        return self.template % tuple(
            [_escape(atom(manager, request, response)) for atom in self.atoms]
        )


_compiled_formats: dict[str, _CompiledFormat] = {}


def _compile_format(fmt: str) -> _CompiledFormat:
    """Return the compiled form of ``fmt``, compiling it on first use."""
    compiled = _compiled_formats.get(fmt)
    if compiled is None:
        if len(_compiled_formats) > 64:
            _compiled_formats.clear()
        compiled = _compiled_formats[fmt] = _CompiledFormat(fmt)
    return compiled


_status_codes: dict[Any, int | None] = {}
"""``response.output_status`` -> its code, for the few statuses a site sends."""


def _status_code(status: Any) -> int | None:
    code = _status_codes.get(status) if status.__class__ is bytes else None
    if code is None:
        try:
            code = int(status[:3]) if status else None
        except ValueError:
            code = None
        if status.__class__ is bytes and len(_status_codes) < 64:
            _status_codes[status] = code
    return code


def _access_fields(request: Any, response: Any) -> dict[str, Any]:
    """The fields of a JSON access-log line (names documented in ``docs/logging.md``)."""
    headers = response.headers
    length = (
        dict.get(headers, "Content-Length")
        if headers.__class__ is HeaderMap
        else headers.get("Content-Length")
    )
    if length is not None and length.__class__ is not int:
        try:
            length = int(length) if length != "" else None
        except (TypeError, ValueError):
            length = None
    headers = request.headers
    get = dict.get if headers.__class__ is HeaderMap else headers.__class__.get
    line = request.request_line
    started = response.time
    app = request.app
    return {
        "request_id": request.id,
        "remote_addr": request.remote.ip,
        "method": request.method,
        "path": request.script_name + request.path_info,
        "query": request.query_string,
        "protocol": line[line.rfind(" ") + 1 :] if line else None,
        "status": _status_code(response.output_status),
        "bytes": length,
        "duration_ms": round((_clock() - started) * 1000, 3) if started else None,
        "referer": get(headers, "Referer"),
        "user_agent": get(headers, "User-Agent"),
        "user": getattr(request, "login", None),
        "app": app.script_name if app is not None else None,
        "route": getattr(request, "route", None),
    }


# ------------------------------------------------------------------------------ LogManager ---


class LogManager:
    """The error and access logs of CherryPy (``cherrypy.log``) or of one application.

    Call the instance, or :meth:`error`, to write to the error log; the kernel calls
    :meth:`access` once per request.
    """

    appid: Any = None
    """The id of the application owning this manager, or ``None`` for the global one."""

    error_log: _stdlib_logging.Logger
    """The :class:`logging.Logger` that receives error (and informational) messages."""

    access_log: _stdlib_logging.Logger
    """The :class:`logging.Logger` that receives one line per request."""

    access_log_format: str = '{h} {l} {u} {t} "{r}" {s} {b} "{f}" "{a}"'
    """The access-log line as a :meth:`str.format` template over the atoms of :data:`ATOMS`.

    The default is Apache's Combined Log Format.
    """

    logger_root: str = "cherrypy"
    """The first segment of both logger names (``<root>.error``, ``<root>.access``)."""

    _format: str | None = None  # this manager's own log.format (None: the global one's)

    def __init__(self, appid: Any = None, logger_root: str = "cherrypy") -> None:
        self.logger_root = logger_root
        self.appid = appid
        suffix = "" if appid is None else f".{appid}"
        self.error_log = _stdlib_logging.getLogger(f"{logger_root}.error{suffix}")
        self.access_log = _stdlib_logging.getLogger(f"{logger_root}.access{suffix}")
        self.error_log.setLevel(_stdlib_logging.INFO)
        self.access_log.setLevel(_stdlib_logging.INFO)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(h, NullHandler) for h in log.handlers):
                log.addHandler(NullHandler())
        self._compiled = _compile_format(self.access_log_format)
        self._subscribe_to_engine()

    def _subscribe_to_engine(self) -> None:
        """Reopen log files on the engine's ``graceful`` channel, once an engine exists."""
        facade = sys.modules.get("cherrypy")
        engine = getattr(facade, "__dict__", {}).get("engine")
        subscribe = getattr(engine, "subscribe", None)
        if subscribe is not None:
            subscribe("graceful", self.reopen_files)

    # ------------------------------------------------------------------------- writing ---

    def error(
        self,
        msg: str = "",
        context: str = "",
        severity: int = _stdlib_logging.INFO,
        traceback: bool = False,
    ) -> None:
        """Write ``msg`` to the error log as ``[time] context msg``.

        Despite the name this is CherryPy's general-purpose log: applications may call it for
        any message.  With ``traceback=True`` the exception being handled, if any, is appended.
        """
        log = self.error_log
        if not log.isEnabledFor(severity):
            return
        exc_info = sys.exc_info() if traceback else None
        if exc_info is not None and exc_info[0] is None:
            exc_info = None  # nothing is being handled: no "NoneType: None" line
        if self._is_json():
            request = _current_request()
            extra = {
                "cherrypy_context": context,
                "cherrypy_request_id": None if request is None else request.id,
            }
            log.log(severity, msg, exc_info=exc_info, extra=extra)
            return
        if _observe.request_id_header_wanted:
            request = _current_request()
            if request is not None:
                context = f"{context} request_id={request.id}".lstrip()
        log.log(severity, f"{self.time()} {context} {msg}", exc_info=exc_info)

    def __call__(
        self,
        msg: str = "",
        context: str = "",
        severity: int = _stdlib_logging.INFO,
        traceback: bool = False,
    ) -> None:
        """Same as :meth:`error`."""
        self.error(msg, context, severity, traceback)

    def access(self) -> None:
        """Write the access-log line of the request being served (``access_log_format``).

        Every field is escaped so a client cannot forge or split log lines.  Never raises: a
        failure while building the line is written to the error log with its traceback.
        """
        log = self.access_log
        if not log.isEnabledFor(_stdlib_logging.INFO) or not _reaches_a_handler(log):
            return
        try:
            compiled = self._compiled
            fmt = self.access_log_format
            if compiled.fmt is not fmt and compiled.fmt != fmt:
                compiled = self._compiled = _compile_format(fmt)
            request = serving.request
            response = serving.response
            fields = None
            if self._is_json():
                fields = _access_fields(request, response)
                line = _escape(request.request_line)  # what handlers without JSON show
            else:
                line = compiled.render(self, request, response)
            # Logger.log() would walk the stack to find the caller, which costs more than
            # building the line; the caller is known to be this method.
            record = log.makeRecord(
                log.name, _stdlib_logging.INFO, __file__, _ACCESS_LINENO, line, (), None, "access"
            )
            if fields is not None:
                record.cherrypy_access = fields
            log.handle(record)
        except Exception:
            self.error(traceback=True)

    def _is_json(self) -> bool:
        own = self._format
        return _json_by_default if own is None else own == "json"

    @property
    def format(self) -> str:
        """``"text"`` (CherryPy's lines, the default) or ``"json"`` (one JSON object a line).

        Set through ``log.format`` in the global config; an application's log follows the
        global one unless given its own.  ``"json"`` also makes every response carry
        ``X-Request-ID`` (:func:`cherrypy.plugin.want_request_id_header`).
        """
        return "json" if self._is_json() else "text"

    @format.setter
    def format(self, value: str) -> None:
        global _json_by_default
        if value not in LOG_FORMATS:
            raise ValueError(f"log.format must be one of {LOG_FORMATS}, not {value!r}")
        self._format = value
        if self.appid is None:
            _json_by_default = value == "json"
        owner = "log.format" if self.appid is None else f"log.format {self.appid}"
        _observe.want_request_id_header(owner, value == "json")
        formatter = _json_formatter if value == "json" else logfmt
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if getattr(handler, "_cpbuiltin", None) is not None:
                    handler.setFormatter(formatter)

    def time(self) -> str:
        """Return the current local time as ``[24/Feb/2014:21:01:46]`` (Apache, no zone)."""
        global _time_cache
        second = int(_clock())
        cached = _time_cache
        if cached[0] == second:
            return cached[1]
        t = _time.localtime(second)
        text = (
            f"[{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year:04d}:"
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}]"
        )
        _time_cache = (second, text)
        return text

    def reopen_files(self) -> None:
        """Close and reopen the file of every file handler (after log rotation, say)."""
        for log in (self.error_log, self.access_log):
            for handler in list(log.handlers):
                if not isinstance(handler, _stdlib_logging.FileHandler):
                    continue
                handler.acquire()
                try:
                    if handler.stream is None:  # opened lazily (delay=True)
                        continue
                    handler.stream.close()
                    handler.stream = open(  # type: ignore[assignment]  # noqa: SIM115
                        handler.baseFilename,
                        handler.mode,
                        encoding=handler.encoding,
                        errors=getattr(handler, "errors", None),
                    )
                finally:
                    handler.release()

    # -------------------------------------------------------------------- built-ins ---

    @staticmethod
    def _builtin_handler(log: _stdlib_logging.Logger, key: str) -> Any:
        for handler in log.handlers:
            if getattr(handler, "_cpbuiltin", None) == key:
                return handler
        return None

    def _add_builtin(self, log: _stdlib_logging.Logger, handler: Any, key: str) -> None:
        handler.setFormatter(_json_formatter if self._is_json() else logfmt)
        handler._cpbuiltin = key
        log.addHandler(handler)

    def _set_screen_handler(
        self, log: _stdlib_logging.Logger, enable: bool, stream: IO[str]
    ) -> None:
        handler = self._builtin_handler(log, "screen")
        if enable:
            if handler is None:
                self._add_builtin(log, _stdlib_logging.StreamHandler(stream), "screen")
        elif handler is not None:
            log.removeHandler(handler)

    @property
    def screen(self) -> bool:
        """Whether messages are echoed to the console (errors to stderr, access to stdout).

        Setting it adds or removes the built-in stream handlers.
        """
        return bool(
            self._builtin_handler(self.error_log, "screen")
            or self._builtin_handler(self.access_log, "screen")
        )

    @screen.setter
    def screen(self, enable: bool) -> None:
        self._set_screen_handler(self.error_log, enable, sys.stderr)
        self._set_screen_handler(self.access_log, enable, sys.stdout)

    def _set_file_handler(self, log: _stdlib_logging.Logger, filename: Any) -> None:
        handler = self._builtin_handler(log, "file")
        if handler is not None:
            if filename and handler.baseFilename == os.path.abspath(filename):
                return
            log.removeHandler(handler)
            handler.close()
        if filename:
            self._add_builtin(log, _stdlib_logging.FileHandler(filename), "file")

    @property
    def error_file(self) -> str:
        """The absolute path the error log is written to, or ``''``.

        Set a filename to log there (replacing the previous file); set ``''`` or ``None`` to
        stop.
        """
        handler = self._builtin_handler(self.error_log, "file")
        return handler.baseFilename if handler is not None else ""

    @error_file.setter
    def error_file(self, filename: str | os.PathLike[str] | None) -> None:
        self._set_file_handler(self.error_log, filename)

    @property
    def access_file(self) -> str:
        """The absolute path the access log is written to, or ``''``.

        Set a filename to log there (replacing the previous file); set ``''`` or ``None`` to
        stop.
        """
        handler = self._builtin_handler(self.access_log, "file")
        return handler.baseFilename if handler is not None else ""

    @access_file.setter
    def access_file(self, filename: str | os.PathLike[str] | None) -> None:
        self._set_file_handler(self.access_log, filename)

    @property
    def wsgi(self) -> bool:
        """Whether the error log is also written to the current request's ``wsgi.errors``."""
        return self._builtin_handler(self.error_log, "wsgi") is not None

    @wsgi.setter
    def wsgi(self, enable: bool) -> None:
        handler = self._builtin_handler(self.error_log, "wsgi")
        if enable:
            if handler is None:
                self._add_builtin(self.error_log, WSGIErrorHandler(), "wsgi")
        elif handler is not None:
            self.error_log.removeHandler(handler)


_ACCESS_LINENO = LogManager.access.__code__.co_firstlineno
_STDLIB_NULL_HANDLER = _stdlib_logging.NullHandler


def _reaches_a_handler(logger: _stdlib_logging.Logger) -> bool:
    """True if a record logged on ``logger`` would reach a handler that is not a NullHandler.

    Lets :meth:`LogManager.access` skip building a line nobody will see (no screen, no file).
    """
    current: _stdlib_logging.Logger | None = logger
    while current is not None:
        for handler in current.handlers:
            cls = handler.__class__
            if cls is NullHandler or cls is _STDLIB_NULL_HANDLER:
                continue  # the usual case, without isinstance's slower subclass check
            if not isinstance(handler, (_STDLIB_NULL_HANDLER, NullHandler)):
                return True
        if not current.propagate:
            return False
        current = current.parent  # type: ignore[assignment]
    return False
