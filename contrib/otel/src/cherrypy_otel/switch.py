"""The ``otel`` config namespace: switching tracing on and off.

``cherrypy.config.update({"otel.on": True})`` builds a :class:`~.observer.ServerSpanObserver`
and adds it to the kernel's request observers; any later ``otel.*`` key rebuilds it, and
``otel.on = False`` removes it.  All settings are read here, once, never per request.
OpenTelemetry is imported only when tracing is switched on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import cherrypy
from cherrypy import plugin as cherrypy_plugin

if TYPE_CHECKING:
    from .children import ChildSpans
    from .observer import ServerSpanObserver

__all__ = ["DEFAULTS", "KEY_DOCS", "OtelSwitch", "switch"]

DEFAULTS: dict[str, Any] = {
    "on": False,
    "tracer_provider": None,
    "propagator": None,
    "url_query": True,
    "child_spans": True,
}
"""Every ``otel.*`` key and its default."""

KEY_DOCS: dict[str, str] = {
    "on": "Trace every request with one OpenTelemetry SERVER span.",
    "tracer_provider": (
        "The TracerProvider making the spans; None: the global one "
        "(opentelemetry.trace.set_tracer_provider, opentelemetry-instrument)."
    ),
    "propagator": (
        "The TextMapPropagator extracting the caller's context; None: the global one "
        "(W3C traceparent and baggage unless OTEL_PROPAGATORS says otherwise)."
    ),
    "url_query": "Record url.query (values of signature parameters redacted).",
    "child_spans": (
        "Record child spans for session lock waits and static file sends "
        "(from the session_lock_acquired and static_file_sent engine channels)."
    ),
}
"""One line of documentation per key (the configuration reference shows them)."""


class OtelSwitch:
    """The current ``otel.*`` settings and the observer they built (when ``otel.on``)."""

    def __init__(self) -> None:
        self.settings: dict[str, Any] = dict(DEFAULTS)
        self.observer: ServerSpanObserver | None = None
        """The observer added to the kernel, or ``None`` while tracing is off."""
        self.children: ChildSpans | None = None

    def namespace_handler(self, key: str, value: Any) -> None:
        """Config handler of the global ``otel`` namespace: store ``otel.<key>``, re-apply."""
        self.settings[key] = value
        self.apply()

    def apply(self) -> None:
        """Remove the current observer and, if ``otel.on``, add one built from the settings."""
        self.switch_off()
        if self.settings["on"]:
            self.switch_on()

    def switch_on(self) -> None:
        """Build the observer (and the child-span listeners) and hand them to the kernel."""
        from .children import ChildSpans
        from .observer import ServerSpanObserver

        settings = self.settings
        tracer = tracer_from(settings["tracer_provider"])
        observer = ServerSpanObserver(
            tracer, propagator=settings["propagator"], record_query=bool(settings["url_query"])
        )
        cherrypy_plugin.add_request_observer(observer)
        cherrypy_plugin.want_request_id_header("otel")
        self.observer = observer
        if settings["child_spans"]:
            children = ChildSpans(tracer)
            children.subscribe(cherrypy.engine)
            self.children = children

    def switch_off(self) -> None:
        """Take the observer and the child-span listeners away from the kernel."""
        observer, self.observer = self.observer, None
        if observer is not None:
            cherrypy_plugin.remove_request_observer(observer)
            cherrypy_plugin.want_request_id_header("otel", wanted=False)
        children, self.children = self.children, None
        if children is not None:
            children.unsubscribe(cherrypy.engine)


def tracer_from(provider: Any) -> Any:
    """The tracer of ``provider``, or of the global provider when it is ``None``.

    The global provider's tracer is a proxy until the application (or
    ``opentelemetry-instrument``) sets the real provider, so the order does not matter.
    """
    from opentelemetry import trace

    from . import __version__
    from .observer import INSTRUMENTATION_NAME

    if provider is None:
        return trace.get_tracer(INSTRUMENTATION_NAME, __version__)
    return provider.get_tracer(INSTRUMENTATION_NAME, __version__)


switch = OtelSwitch()
"""The process-wide switch the ``otel`` namespace handler drives."""
