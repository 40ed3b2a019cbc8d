"""Request statistics in ``logging.statistics`` and the ``tools.cpstats`` tool.

CherryPy keeps statistics in a plain dict hung on the standard library's :mod:`logging`
module, ``logging.statistics``: one namespace dict per component (``"CherryPy Applications"``
here), whose values are numbers, strings, nested dicts or lists of dicts, or callables taking
the namespace and returning a value computed when read (see :func:`extrapolate_statistics`).
Any library may add its own namespace.

``tools.cpstats`` records each request of the paths it is on: counts, bytes read and written,
time spent, the requests in flight, slow requests and optional per-"URI set" timings.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import cherrypy
from cherrypy.plugin import PipelineBuilder, Tool, serving

__all__ = [
    "ByteCountWrapper",
    "StatsTool",
    "appstats",
    "average_uriset_time",
    "extrapolate_statistics",
    "proc_time",
    "statistics",
]

if not hasattr(logging, "statistics"):
    logging.statistics = {}  # type: ignore[attr-defined]

statistics: dict[str, Any] = logging.statistics  # type: ignore[attr-defined]
"""The shared statistics dict (``logging.statistics``)."""


def extrapolate_statistics(scope: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of ``scope`` with every callable value replaced by its result.

    Callables are called with the dict that holds them; nested dicts and lists of dicts are
    copied the same way.
    """
    copy: dict[str, Any] = {}
    for key, value in scope.copy().items():
        if isinstance(value, dict):
            value = extrapolate_statistics(value)
        elif isinstance(value, (list, tuple)):
            value = [extrapolate_statistics(record) for record in value]
        elif callable(value):
            value = value(scope)
        copy[key] = value
    return copy


def _per_request(total: str) -> Any:
    def average(s: dict[str, Any]) -> float:
        return s[total] / float(s["Total Requests"]) if s["Total Requests"] else 0.0

    return average


def _per_second(total: str) -> Any:
    def rate(s: dict[str, Any]) -> float:
        uptime = s["Uptime"](s)
        return s[total] / uptime if uptime else 0.0

    return rate


appstats: dict[str, Any] = statistics.setdefault("CherryPy Applications", {})
"""The ``"CherryPy Applications"`` namespace that ``tools.cpstats`` fills."""

appstats.update(
    {
        "Enabled": True,
        "Bytes Read/Request": _per_request("Total Bytes Read"),
        "Bytes Read/Second": _per_second("Total Bytes Read"),
        "Bytes Written/Request": _per_request("Total Bytes Written"),
        "Bytes Written/Second": _per_second("Total Bytes Written"),
        "Current Time": lambda s: time.time(),
        "Current Requests": 0,
        "Requests/Second": _per_second("Total Requests"),
        "Server Version": cherrypy.__version__,
        "Start Time": time.time(),
        "Total Bytes Read": 0,
        "Total Bytes Written": 0,
        "Total Requests": 0,
        "Total Time": 0,
        "Uptime": lambda s: time.time() - s["Start Time"],
        "Requests": {},
    }
)

_lock = threading.Lock()


def proc_time(s: dict[str, Any]) -> float:
    """Seconds since the request record ``s`` started (while it is in flight)."""
    return time.time() - s["Start Time"]


def average_uriset_time(s: dict[str, Any]) -> float:
    """Mean processing time of a URI set record."""
    return s["Sum"] / s["Count"] if s["Count"] else 0


class ByteCountWrapper:
    """Wrap a file-like object, counting the bytes read from it in :attr:`bytes_read`."""

    def __init__(self, rfile: Any) -> None:
        self.rfile = rfile
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        """Read and count."""
        data = self.rfile.read(size) if size is not None else self.rfile.read()
        self.bytes_read += len(data)
        return data

    def readline(self, size: int | None = -1) -> bytes:
        """Read a line and count it."""
        data = self.rfile.readline(size) if size is not None else self.rfile.readline()
        self.bytes_read += len(data)
        return data

    def readlines(self, sizehint: int = 0) -> list[bytes]:
        """Read lines (up to about ``sizehint`` bytes when positive) and count them."""
        total = 0
        lines = []
        line = self.readline()
        while line:
            lines.append(line)
            total += len(line)
            if 0 < sizehint <= total:
                break
            line = self.readline()
        return lines

    def close(self) -> None:
        """Close the wrapped file."""
        self.rfile.close()

    def __iter__(self) -> ByteCountWrapper:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line


class StatsTool(Tool):
    """``tools.cpstats``: record each request in ``appstats``.

    Settings: ``uriset`` (a name to aggregate timings under), ``slow_queries`` (seconds above
    which a request is kept in ``"Slow Queries"``; default 1.0, 0 to disable),
    ``slow_queries_count`` (how many are kept, default 100) and ``debug``.

    Whether ``appstats["Enabled"]`` is true is checked per request, so pausing and resuming
    from the :class:`~cherrypy_devtools.statspage.StatsPage` takes effect at once.  The record
    of the request in flight is ``request.cpstats_record``.
    """

    def __init__(self) -> None:
        super().__init__("on_end_request", self.record_stop)

    def compile(self, pipeline: PipelineBuilder, settings: dict[str, Any]) -> None:
        """Attach :meth:`record_stop` (with ``settings``) and :meth:`record_start` (first of
        ``on_start_resource``)."""
        super().compile(pipeline, settings)
        pipeline.attach("on_start_resource", self.record_start, priority=0)

    def record_start(self) -> None:
        """Record the beginning of the current request (if statistics are enabled)."""
        if not appstats.get("Enabled", False):
            return
        request = serving.request
        if not hasattr(request.rfile, "bytes_read"):
            original = request.rfile
            request.rfile = ByteCountWrapper(original)
            # As in CherryPy: the body reads through the counter.  A body not made yet is
            # made now, from the counting rfile; one made earlier (request.body.* config, an
            # earlier hook) still reads the original stream: point it at the counter.
            body = request.body
            if getattr(body, "fp", None) is original:
                body.fp = request.rfile
        remote = request.remote
        record = {
            "Bytes Read": None,
            "Bytes Written": None,
            # A callable, so that an address rewritten later (tools.proxy) is shown.
            "Client": lambda s: f"{remote.ip}:{remote.port}",
            "End Time": None,
            "Processing Time": proc_time,
            "Request-Line": request.request_line,
            "Response Status": None,
            "Start Time": time.time(),
        }
        with _lock:
            appstats["Current Requests"] += 1
            appstats["Total Requests"] += 1
            appstats["Requests"][threading.get_ident()] = record
        request.cpstats_record = record

    def record_stop(
        self,
        uriset: str | None = None,
        slow_queries: float = 1.0,
        slow_queries_count: int = 100,
        debug: bool = False,
        **kwargs: Any,
    ) -> None:
        """Record the end of the current request."""
        request = serving.request
        record = getattr(request, "cpstats_record", None)
        if record is None:
            return
        request.cpstats_record = None
        response = serving.response
        read = getattr(request.rfile, "bytes_read", 0)
        record["Bytes Read"] = read
        if response.stream:
            record["Bytes Written"] = "chunked"
            written = 0
        else:
            written = int(response.headers.get("Content-Length", 0) or 0)
            record["Bytes Written"] = written
        status = getattr(response, "output_status", None) or str(response.status).encode()
        record["Response Status"] = status.decode("latin-1")
        record["End Time"] = time.time()
        elapsed = record["End Time"] - record["Start Time"]
        record["Processing Time"] = elapsed
        with _lock:
            appstats["Total Bytes Read"] += read
            appstats["Total Bytes Written"] += written
            appstats["Total Time"] += elapsed
            appstats["Current Requests"] -= 1
            if uriset:
                uri_sets = appstats.setdefault("URI Set Tracking", {})
                entry = uri_sets.setdefault(
                    uriset,
                    {"Min": None, "Max": None, "Count": 0, "Sum": 0, "Avg": average_uriset_time},
                )
                if entry["Min"] is None or elapsed < entry["Min"]:
                    entry["Min"] = elapsed
                if entry["Max"] is None or elapsed > entry["Max"]:
                    entry["Max"] = elapsed
                entry["Count"] += 1
                entry["Sum"] += elapsed
            if slow_queries and elapsed > slow_queries:
                slow = appstats.setdefault("Slow Queries", [])
                slow.append(record.copy())
                del slow[: max(0, len(slow) - slow_queries_count)]
        if debug:
            cherrypy.log(f"Stats recorded: {record!r}", "TOOLS.CPSTATS")
