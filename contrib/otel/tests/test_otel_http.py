"""cherrypy-otel over real HTTP, with the SDK's in-memory exporter: a ``traceparent`` joins the
caller's trace, exact attributes, 404 / 500 / exceptions, concurrent requests, child spans of
user code, switching off."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind, StatusCode

import cherrypy
from cherrypy.testing import reset, serve

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_ID = "b7ad6b7169203331"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"


class Collector(SpanExporter):
    """An in-memory exporter that lets a test wait for spans ended by the server's threads
    (a span ends when the server closes the response, which may be after the client read it)."""

    def __init__(self, provider: TracerProvider) -> None:
        self.provider = provider
        self.spans: list[ReadableSpan] = []
        self.changed = threading.Condition()

    def export(self, spans: Any) -> SpanExportResult:
        with self.changed:
            self.spans.extend(spans)
            self.changed.notify_all()
        return SpanExportResult.SUCCESS

    def wait(self, count: int, kind: SpanKind | None = SpanKind.SERVER) -> list[ReadableSpan]:
        """The first ``count`` spans of ``kind``, once that many have ended."""

        def found() -> list[ReadableSpan]:
            return [s for s in self.spans if kind is None or s.kind is kind]

        with self.changed:
            assert self.changed.wait_for(lambda: len(found()) >= count, timeout=30)
            return found()


@pytest.fixture
def spans() -> Iterator[Collector]:
    """Tracing on, to a provider of the test's own (the global one can be set only once)."""
    reset()
    provider = TracerProvider()
    collector = Collector(provider)
    provider.add_span_processor(SimpleSpanProcessor(collector))
    cherrypy.config.update({"otel.tracer_provider": provider, "otel.on": True})
    yield collector
    cherrypy.config.update({"otel.on": False, "otel.tracer_provider": None})
    reset()


class Items:
    @cherrypy.expose
    def index(self) -> str:
        return "items"

    @cherrypy.expose
    def default(self, item_id: str) -> str:
        return "item " + item_id


class Root:
    items = Items()

    @cherrypy.expose
    def index(self, **params: str) -> str:
        return "hello"

    @cherrypy.expose
    def boom(self) -> str:
        raise ValueError("boom")

    @cherrypy.expose
    def unavailable(self) -> str:
        raise cherrypy.HTTPError(503)

    @cherrypy.expose
    def forbidden(self) -> str:
        raise cherrypy.HTTPError(403)

    @cherrypy.expose
    def current(self) -> str:
        tracer = cherrypy.request.app.config["/"]["app.tracer"]
        with tracer.start_as_current_span("work") as span:
            span.set_attribute("app.step", 1)
        return format(trace.get_current_span().get_span_context().span_id, "016x")


def attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def test_traceparent_joins_the_callers_trace(spans: Collector) -> None:
    cherrypy.tree.mount(Root(), "/app")
    with serve() as base:
        port = int(base.rsplit(":", 1)[1])
        resp = requests.get(
            base + "/app/?x=1", headers={"traceparent": TRACEPARENT, "User-Agent": "probe/2"}
        )
    assert resp.status_code == 200
    [span] = spans.wait(1)
    assert span.kind is SpanKind.SERVER
    assert span.context is not None and span.parent is not None
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert format(span.parent.span_id, "016x") == PARENT_ID
    assert span.parent.is_remote
    assert span.name == "GET /app/"
    assert attrs(span) == {
        "http.request.method": "GET",
        "http.route": "/app/",
        "http.response.status_code": 200,
        "server.address": "127.0.0.1",
        "server.port": port,
        "url.path": "/app/",
        "url.scheme": "http",
        "url.query": "x=1",
        "network.protocol.version": "1.1",
        "client.address": "127.0.0.1",
        "user_agent.original": "probe/2",
        "cherrypy.request.id": resp.headers["X-Request-ID"],
    }
    assert span.status.status_code is StatusCode.UNSET


def test_without_traceparent_the_span_is_a_root(spans: Collector) -> None:
    cherrypy.tree.mount(Root())
    with serve() as base:
        requests.get(base + "/")
    [span] = spans.wait(1)
    assert span.parent is None


def test_route_has_no_virtual_path_arguments(spans: Collector) -> None:
    cherrypy.tree.mount(Root())
    with serve() as base:
        requests.get(base + "/items/41")
        requests.get(base + "/items/42")
    first, second = spans.wait(2)
    assert attrs(first)["http.route"] == attrs(second)["http.route"] == "/items/default"
    assert first.name == "GET /items/default"
    assert attrs(first)["url.path"] == "/items/41"


def test_not_found_is_not_an_error(spans: Collector) -> None:
    cherrypy.tree.mount(Root(), "/app")
    with serve() as base:
        in_app = requests.get(base + "/app/nowhere/at/all")
        no_app = requests.get(base + "/elsewhere")
    assert (in_app.status_code, no_app.status_code) == (404, 404)
    for span in spans.wait(2):
        assert attrs(span)["http.response.status_code"] == 404
        assert "error.type" not in attrs(span)
        assert span.status.status_code is StatusCode.UNSET
    outside = [s for s in spans.wait(2) if attrs(s)["url.path"] == "/elsewhere"]
    assert [s.name for s in outside] == ["GET"]
    assert "http.route" not in attrs(outside[0])


def test_4xx_is_not_an_error_5xx_is(spans: Collector) -> None:
    cherrypy.tree.mount(Root())
    with serve() as base:
        assert requests.get(base + "/forbidden").status_code == 403
        assert requests.get(base + "/unavailable").status_code == 503
    forbidden, unavailable = spans.wait(2)
    assert forbidden.status.status_code is StatusCode.UNSET
    assert "error.type" not in attrs(forbidden)
    assert unavailable.status.status_code is StatusCode.ERROR
    assert attrs(unavailable)["error.type"] == "503"
    assert attrs(unavailable)["http.response.status_code"] == 503


def test_exception_is_recorded(spans: Collector) -> None:
    cherrypy.tree.mount(Root())
    cherrypy.config.update({"request.show_tracebacks": False})
    with serve() as base:
        assert requests.get(base + "/boom").status_code == 500
    [span] = spans.wait(1)
    assert span.status.status_code is StatusCode.ERROR
    assert attrs(span)["error.type"] == "ValueError"
    assert attrs(span)["http.response.status_code"] == 500
    [event] = span.events
    assert event.name == "exception"
    assert (event.attributes or {})["exception.type"] == "ValueError"
    assert (event.attributes or {})["exception.message"] == "boom"


def test_span_made_in_the_handler_is_a_child(spans: Collector) -> None:
    # What trace.get_tracer(...) gives an application once the global provider is set.
    cherrypy.tree.mount(Root(), "", {"/": {"app.tracer": spans.provider.get_tracer("app")}})
    with serve() as base:
        current = requests.get(base + "/current", headers={"traceparent": TRACEPARENT}).text
    [server] = spans.wait(1)
    [work] = spans.wait(1, SpanKind.INTERNAL)
    assert server.context is not None and work.parent is not None
    assert format(server.context.span_id, "016x") == current
    assert work.parent.span_id == server.context.span_id
    assert work.context is not None and work.context.trace_id == server.context.trace_id


def test_concurrent_requests_get_separate_spans(spans: Collector) -> None:
    cherrypy.tree.mount(Root())
    count = 40
    with serve() as base, ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(
                lambda i: requests.get(
                    base + f"/items/{i}",
                    headers={"traceparent": f"00-{i + 1:032x}-{i + 1:016x}-01"},
                ),
                range(count),
            )
        )
    assert all(answer.status_code == 200 for answer in answers)
    found = spans.wait(count)
    assert len(found) == count
    by_path = {attrs(span)["url.path"]: span for span in found}
    assert len(by_path) == count
    ids = {answer.headers["X-Request-ID"] for answer in answers}
    assert {attrs(span)["cherrypy.request.id"] for span in found} == ids
    for i in range(count):
        span = by_path[f"/items/{i}"]
        assert span.context is not None and span.parent is not None
        assert span.context.trace_id == i + 1
        assert span.parent.span_id == i + 1


def test_switching_off_stops_tracing(spans: Collector) -> None:
    cherrypy.tree.mount(Root())
    with serve() as base:
        requests.get(base + "/")
        spans.wait(1)
        cherrypy.config.update({"otel.on": False})
        requests.get(base + "/")
        cherrypy.config.update({"otel.on": True})
        requests.get(base + "/items/")
    found = spans.wait(2)
    assert [attrs(s)["url.path"] for s in found] == ["/", "/items/"]


class Publisher:
    """Stands in for cherrypy-sessions and cherrypy-static publishing their channels."""

    @cherrypy.expose
    def index(self) -> str:
        cherrypy.engine.publish("session_lock_acquired", "ram", 1_000, 2_000)
        cherrypy.engine.publish("static_file_sent", "/srv/a.txt", 3_000, 4_000, 7)
        return "published"


def test_child_spans_from_engine_channels(spans: Collector) -> None:
    cherrypy.tree.mount(Publisher())
    with serve() as base:
        assert requests.get(base + "/").text == "published"
    [server] = spans.wait(1)
    lock, static = spans.wait(2, SpanKind.INTERNAL)
    assert (lock.name, static.name) == ("session lock wait", "static file send")
    for child in (lock, static):
        assert child.parent is not None and server.context is not None
        assert child.parent.span_id == server.context.span_id


def test_child_spans_can_be_switched_off(spans: Collector) -> None:
    cherrypy.config.update({"otel.child_spans": False})
    cherrypy.tree.mount(Publisher())
    try:
        with serve() as base:
            requests.get(base + "/")
        spans.wait(1)
        assert spans.wait(0, SpanKind.INTERNAL) == []
    finally:
        cherrypy.config.update({"otel.child_spans": True})


class RealPlugins:
    """cherrypy-sessions and cherrypy-static themselves publishing the channels."""

    @cherrypy.expose
    def counted(self) -> str:
        cherrypy.session["n"] = cherrypy.session.get("n", 0) + 1
        return str(cherrypy.session["n"])


def test_child_spans_of_a_real_session_lock_and_static_file(
    spans: Collector, tmp_path: Any
) -> None:
    (tmp_path / "hello.txt").write_bytes(b"hello, file\n")
    cherrypy.tree.mount(
        RealPlugins(),
        "/",
        {
            "/counted": {"tools.sessions.on": True, "tools.sessions.locking": "early"},
            "/hello.txt": {
                "tools.staticfile.on": True,
                "tools.staticfile.filename": str(tmp_path / "hello.txt"),
            },
        },
    )
    with serve() as base:
        assert requests.get(base + "/counted").text == "1"
        assert requests.get(base + "/hello.txt").content == b"hello, file\n"
    first, second = spans.wait(2)
    lock, static = spans.wait(2, SpanKind.INTERNAL)
    assert lock.name == "session lock wait"
    assert attrs(lock) == {"cherrypy.session.storage": "ram"}
    assert lock.parent is not None and lock.parent.span_id == first.context.span_id
    assert static.name == "static file send"
    assert attrs(static) == {
        "http.response.body.size": 12,
        "file.path": str(tmp_path / "hello.txt"),
    }
    assert static.parent is not None and static.parent.span_id == second.context.span_id
    assert static.start_time is not None and static.end_time is not None
    assert static.start_time <= static.end_time
