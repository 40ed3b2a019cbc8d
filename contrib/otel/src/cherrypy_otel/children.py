"""Child spans of the request's SERVER span, from engine channels other plugins publish.

cherrypy-sessions publishes ``session_lock_acquired`` after taking a session lock for a request
and cherrypy-static publishes ``static_file_sent`` when a file body is closed; both give the
start and end times (``time.time_ns()``), so a span is recorded after the fact with those
times, as a child of the current span: the request's SERVER span (attached in the request's
thread until the response is closed) or a span the handler made current.  With nobody
publishing (older plugins), nothing happens.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind

__all__ = ["SESSION_LOCK_CHANNEL", "STATIC_FILE_CHANNEL", "ChildSpans"]

SESSION_LOCK_CHANNEL = "session_lock_acquired"
"""``(storage_type, started_ns, acquired_ns)``: a request waited for a session lock."""

STATIC_FILE_CHANNEL = "static_file_sent"
"""``(path, started_ns, ended_ns, size)``: a file body was sent (or the send was aborted)."""


class ChildSpans:
    """Engine-channel listeners that record INTERNAL child spans with ``tracer``."""

    def __init__(self, tracer: trace.Tracer) -> None:
        self.tracer = tracer

    def session_lock_acquired(self, storage_type: str, started_ns: int, acquired_ns: int) -> None:
        """Record a ``session lock wait`` span from ``started_ns`` to ``acquired_ns``."""
        self._record(
            "session lock wait",
            started_ns,
            acquired_ns,
            {"cherrypy.session.storage": str(storage_type)},
        )

    def static_file_sent(self, path: Any, started_ns: int, ended_ns: int, size: int | None) -> None:
        """Record a ``static file send`` span from ``started_ns`` to ``ended_ns``."""
        attrs: dict[str, Any] = {}
        if size is not None:
            attrs["http.response.body.size"] = int(size)
        if path is not None:
            attrs["file.path"] = str(path)
        self._record("static file send", started_ns, ended_ns, attrs)

    def _record(self, name: str, start: int, end: int, attrs: dict[str, Any]) -> None:
        if not trace.get_current_span().is_recording():
            return  # no traced request in this thread
        span = self.tracer.start_span(
            name,
            kind=SpanKind.INTERNAL,
            attributes=attrs,
            start_time=start,
        )
        span.end(end_time=end)

    def subscribe(self, bus: Any) -> None:
        """Listen on ``bus`` (``cherrypy.engine``)."""
        bus.subscribe(SESSION_LOCK_CHANNEL, self.session_lock_acquired)
        bus.subscribe(STATIC_FILE_CHANNEL, self.static_file_sent)

    def unsubscribe(self, bus: Any) -> None:
        """Stop listening on ``bus``."""
        bus.unsubscribe(SESSION_LOCK_CHANNEL, self.session_lock_acquired)
        bus.unsubscribe(STATIC_FILE_CHANNEL, self.static_file_sent)
