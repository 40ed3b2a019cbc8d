"""The request observer: one OpenTelemetry SERVER span per request.

:class:`ServerSpanObserver` implements the kernel's ``cherrypy.plugin.RequestObserver``:
``request_started`` extracts the caller's trace context (W3C ``traceparent`` through the
configured propagator), starts the span with the attributes known then and makes it the
current span; ``request_finished`` adds the route, the status code, the request id and the
error, ends the span and restores the previous context.

Imported only when tracing is switched on (``otel.on``): it imports OpenTelemetry.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from contextvars import Token
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.propagators.textmap import Getter, TextMapPropagator
from opentelemetry.trace import SpanKind, Status, StatusCode

from .attributes import (
    REQUEST_ID_ATTRIBUTE,
    StartAttributes,
    error_type,
    method_attributes,
    span_name,
    status_code,
)

__all__ = [
    "ENVIRON_GETTER",
    "INSTRUMENTATION_NAME",
    "EnvironGetter",
    "RequestTrace",
    "ServerSpanObserver",
]

INSTRUMENTATION_NAME = "cherrypy_otel"
"""The instrumentation scope name of the spans (``otel.scope.name`` in most back ends)."""

_get_ident = threading.get_ident
_attach = otel_context.attach
_set_span_in_context = trace.set_span_in_context
_SERVER = SpanKind.SERVER


class EnvironGetter(Getter[Mapping[str, Any]]):
    """Reads propagation headers (``traceparent``, ``tracestate``, ``baggage``...) from a WSGI
    environ: header ``traceparent`` is environ key ``HTTP_TRACEPARENT``."""

    def __init__(self) -> None:
        self._keys: dict[str, str] = {}

    def get(self, carrier: Mapping[str, Any], key: str) -> list[str] | None:
        """The header's value as a one-item list, or ``None`` when the request has none."""
        name = self._keys.get(key)
        if name is None:
            name = "HTTP_" + key.upper().replace("-", "_")
            if len(self._keys) < 64:
                self._keys[key] = name
        value = carrier.get(name)
        return None if value is None else [value]

    def keys(self, carrier: Mapping[str, Any]) -> list[str]:
        """The names of the request's headers, lower case."""
        return [k[5:].lower().replace("_", "-") for k in carrier if k.startswith("HTTP_")]


ENVIRON_GETTER = EnvironGetter()
"""The getter the observer hands to the propagator."""

_EMPTY_CONTEXT = Context()


class RequestTrace:
    """The tracing state of one request, available to handlers as ``cherrypy.request.otel``.

    ``span`` is the request's SERVER span (the same as ``trace.get_current_span()`` while the
    handler runs).
    """

    __slots__ = ("method_name", "span", "thread", "token")

    def __init__(
        self, span: trace.Span, token: Token[Context], thread: int, method_name: str
    ) -> None:
        self.span = span
        """The request's SERVER span."""
        self.token = token
        self.thread = thread
        self.method_name = method_name


class ServerSpanObserver:
    """A ``RequestObserver`` that traces every request with one SERVER span.

    ``tracer`` makes the spans; ``propagator`` extracts the caller's context (``None``: the
    global one, ``opentelemetry.propagate``, W3C trace context and baggage unless configured
    otherwise); ``record_query`` adds ``url.query`` (signature parameters redacted).
    """

    def __init__(
        self,
        tracer: trace.Tracer,
        propagator: TextMapPropagator | None = None,
        record_query: bool = True,
    ) -> None:
        self.tracer = tracer
        self.propagator = propagator
        self.record_query = record_query
        self._fields_of: tuple[TextMapPropagator | None, tuple[str, ...]] = (None, ())

    def _environ_keys(self, propagator: TextMapPropagator) -> tuple[str, ...]:
        """The environ keys of the headers ``propagator`` reads (its ``fields``), cached."""
        known, keys = self._fields_of
        if known is not propagator:
            keys = tuple("HTTP_" + name.upper().replace("-", "_") for name in propagator.fields)
            self._fields_of = (propagator, keys)
        return keys

    def request_started(self, request: Any) -> RequestTrace:
        """Start the request's span and make it current in this thread."""
        environ = request.wsgi_environ
        method = environ.get("REQUEST_METHOD") or request.method
        method_name, method_attrs = method_attributes(method)
        propagator = self.propagator or propagate.get_global_textmap()
        known, keys = self._fields_of
        if known is not propagator:
            keys = self._environ_keys(propagator)
        if environ.keys().isdisjoint(keys):
            parent = _EMPTY_CONTEXT  # a new trace; never the thread's current context
        else:  # the caller sent trace context (or baggage): extract it
            parent = propagator.extract(environ, _EMPTY_CONTEXT, ENVIRON_GETTER)
        span = self.tracer.start_span(
            method_name,
            context=parent,
            kind=_SERVER,
            attributes=StartAttributes(environ, method_attrs, self.record_query),
        )
        state = request.otel = RequestTrace(
            span, _attach(_set_span_in_context(span, parent)), _get_ident(), method_name
        )
        return state

    def request_finished(
        self,
        request: Any,
        response: Any,
        state: object,
        error: BaseException | None,
        body_bytes: int,
    ) -> None:
        """Complete the span (route, status, request id, error), end it, restore the context."""
        if not isinstance(state, RequestTrace):
            return  # request_started failed (and was logged): no span
        span = state.span
        try:
            if span.is_recording():
                self._complete(span, request, response, state, error)
        finally:
            try:
                span.end()
            finally:
                if state.thread == _get_ident():
                    otel_context.detach(state.token)
                # Another thread cannot reset this thread's context: the request thread keeps
                # the ended span as current until its next request attaches a new one.

    def _complete(
        self,
        span: trace.Span,
        request: Any,
        response: Any,
        state: RequestTrace,
        error: BaseException | None,
    ) -> None:
        attrs: dict[str, Any] = {REQUEST_ID_ATTRIBUTE: request.id}
        route = request.route
        if route is not None:
            attrs["http.route"] = route
            span.update_name(span_name(state.method_name, route))
        status = status_code(response.output_status)
        if status is not None:
            attrs["http.response.status_code"] = status
        remote = request.remote.ip
        if remote and remote != request.wsgi_environ.get("REMOTE_ADDR"):
            attrs["client.address"] = remote  # tools.proxy found the client behind a proxy
        if error is not None:
            span.record_exception(error)
            attrs["error.type"] = error_type(error)
            span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))
        elif status is not None and status >= 500:
            attrs["error.type"] = str(status)
            span.set_status(Status(StatusCode.ERROR))
        span.set_attributes(attrs)
