"""ServerSpanObserver and the attribute helpers, with stand-in request objects and the SDK's
in-memory exporter (no server): attributes, names, errors, trace context, child spans."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from cherrypy_otel import attributes
from cherrypy_otel.children import ChildSpans
from cherrypy_otel.observer import ServerSpanObserver

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def tracer(exporter: InMemorySpanExporter) -> trace.Tracer:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("test")


@pytest.fixture
def observer(tracer: trace.Tracer) -> Iterator[ServerSpanObserver]:
    yield ServerSpanObserver(tracer)


def fake_request(method: str = "GET", route: str | None = "/items", **environ: Any) -> Any:
    env = {
        "REQUEST_METHOD": method,
        "wsgi.url_scheme": "http",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/items/42",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "8080",
        "REMOTE_ADDR": "10.0.0.7",
        "HTTP_HOST": "example.org:8080",
        "HTTP_USER_AGENT": "pytest/1",
    }
    env.update(environ)
    return SimpleNamespace(
        wsgi_environ=env,
        method=method,
        route=route,
        id="req-1",
        remote=SimpleNamespace(ip=env["REMOTE_ADDR"]),
    )


def run(
    observer: ServerSpanObserver,
    request: Any,
    status: bytes = b"200 OK",
    error: BaseException | None = None,
    handler: Any = None,
) -> None:
    state = observer.request_started(request)
    if handler is not None:
        handler(state)
    observer.request_finished(request, SimpleNamespace(output_status=status), state, error, 0)


def test_attributes_of_a_plain_request(
    observer: ServerSpanObserver, exporter: InMemorySpanExporter
) -> None:
    run(observer, fake_request(QUERY_STRING="a=1"))
    [span] = exporter.get_finished_spans()
    assert span.name == "GET /items"
    assert span.kind is SpanKind.SERVER
    assert span.parent is None
    assert dict(span.attributes or {}) == {
        "http.request.method": "GET",
        "url.scheme": "http",
        "url.path": "/items/42",
        "url.query": "a=1",
        "server.address": "example.org",
        "server.port": 8080,
        "network.protocol.version": "1.1",
        "client.address": "10.0.0.7",
        "user_agent.original": "pytest/1",
        "http.route": "/items",
        "http.response.status_code": 200,
        "cherrypy.request.id": "req-1",
    }
    assert span.status.status_code is StatusCode.UNSET


def test_traceparent_makes_the_span_a_child_of_the_caller(
    observer: ServerSpanObserver, exporter: InMemorySpanExporter
) -> None:
    run(observer, fake_request(HTTP_TRACEPARENT=TRACEPARENT))
    [span] = exporter.get_finished_spans()
    assert span.context is not None and span.parent is not None
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert format(span.parent.span_id, "016x") == PARENT_ID
    assert span.parent.is_remote


def test_span_is_current_while_the_handler_runs_and_not_after(
    observer: ServerSpanObserver, tracer: trace.Tracer, exporter: InMemorySpanExporter
) -> None:
    seen = []

    def handler(state: Any) -> None:
        seen.append(trace.get_current_span())
        with tracer.start_as_current_span("inner"):
            pass

    before = trace.get_current_span()
    run(observer, fake_request(), handler=handler)
    inner, server = exporter.get_finished_spans()
    assert server.context is not None
    [current] = seen
    assert current.get_span_context().span_id == server.context.span_id
    assert inner.parent is not None and inner.parent.span_id == server.context.span_id
    assert trace.get_current_span() is before


def test_no_route_names_the_span_after_the_method(
    observer: ServerSpanObserver, exporter: InMemorySpanExporter
) -> None:
    run(observer, fake_request(route=None), status=b"404 Not Found")
    [span] = exporter.get_finished_spans()
    attrs = dict(span.attributes or {})
    assert span.name == "GET"
    assert "http.route" not in attrs
    assert attrs["http.response.status_code"] == 404
    assert "error.type" not in attrs
    assert span.status.status_code is StatusCode.UNSET


def test_5xx_is_an_error(observer: ServerSpanObserver, exporter: InMemorySpanExporter) -> None:
    run(observer, fake_request(), status=b"503 Service Unavailable")
    [span] = exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})["error.type"] == "503"


def test_escaped_error_is_recorded(
    observer: ServerSpanObserver, exporter: InMemorySpanExporter
) -> None:
    class Broken(Exception):
        pass

    run(observer, fake_request(), status=b"500 Internal Server Error", error=Broken("gone"))
    [span] = exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "Broken: gone"
    assert (span.attributes or {})["error.type"].endswith(
        "test_escaped_error_is_recorded.<locals>.Broken"
    )
    assert [event.name for event in span.events] == ["exception"]


def test_unknown_method(observer: ServerSpanObserver, exporter: InMemorySpanExporter) -> None:
    run(observer, fake_request(method="PURGE", route=None))
    [span] = exporter.get_finished_spans()
    attrs = dict(span.attributes or {})
    assert span.name == "HTTP"
    assert attrs["http.request.method"] == "_OTHER"
    assert attrs["http.request.method_original"] == "PURGE"


def test_proxy_tool_client_address_wins(
    observer: ServerSpanObserver, exporter: InMemorySpanExporter
) -> None:
    request = fake_request()
    state = observer.request_started(request)
    request.remote.ip = "203.0.113.9"  # what tools.proxy does
    observer.request_finished(request, SimpleNamespace(output_status=b"200 OK"), state, None, 0)
    [span] = exporter.get_finished_spans()
    assert (span.attributes or {})["client.address"] == "203.0.113.9"


def test_finishing_in_another_thread_ends_the_span_without_detaching(
    observer: ServerSpanObserver, exporter: InMemorySpanExporter
) -> None:
    request = fake_request()
    state = observer.request_started(request)
    errors: list[BaseException] = []

    def finish() -> None:
        try:
            observer.request_finished(
                request, SimpleNamespace(output_status=b"200 OK"), state, None, 0
            )
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=finish)
    thread.start()
    thread.join()
    assert errors == []
    assert len(exporter.get_finished_spans()) == 1
    # This thread still has the span attached; the next request replaces it.  Clean up here.
    from opentelemetry import context

    context.detach(state.token)


def test_url_query_can_be_left_out(tracer: trace.Tracer, exporter: InMemorySpanExporter) -> None:
    run(ServerSpanObserver(tracer, record_query=False), fake_request(QUERY_STRING="q=secret"))
    [span] = exporter.get_finished_spans()
    assert "url.query" not in (span.attributes or {})


def test_child_spans_join_the_request_span(
    observer: ServerSpanObserver,
    tracer: trace.Tracer,
    exporter: InMemorySpanExporter,
) -> None:
    children = ChildSpans(tracer)

    def handler(state: Any) -> None:
        children.session_lock_acquired("ram", 1_000, 3_000)
        children.static_file_sent("/srv/a.txt", 4_000, 9_000, 12)

    run(observer, fake_request(), handler=handler)
    lock, static, server = exporter.get_finished_spans()
    assert server.context is not None
    for child in (lock, static):
        assert child.parent is not None
        assert child.parent.span_id == server.context.span_id
        assert child.kind is SpanKind.INTERNAL
    assert (lock.name, lock.start_time, lock.end_time) == ("session lock wait", 1_000, 3_000)
    assert dict(lock.attributes or {}) == {"cherrypy.session.storage": "ram"}
    assert static.name == "static file send"
    assert dict(static.attributes or {}) == {
        "http.response.body.size": 12,
        "file.path": "/srv/a.txt",
    }


def test_child_spans_without_a_traced_request_do_nothing(
    tracer: trace.Tracer, exporter: InMemorySpanExporter
) -> None:
    ChildSpans(tracer).session_lock_acquired("ram", 1, 2)
    assert exporter.get_finished_spans() == ()


@pytest.mark.parametrize(
    ("host", "scheme", "expected"),
    [
        ("example.org", "http", ("example.org", 80)),
        ("example.org", "https", ("example.org", 443)),
        ("example.org:8443", "https", ("example.org", 8443)),
        ("[::1]:8080", "http", ("::1", 8080)),
        ("[::1]", "https", ("::1", 443)),
        ("example.org:x", "http", ("example.org", None)),
    ],
)
def test_server_address(host: str, scheme: str, expected: tuple[str, int | None]) -> None:
    assert attributes.server_address(host, scheme) == expected


def test_redact_query() -> None:
    assert attributes.redact_query("a=1&sig=abc&Signature=x&b=2") == (
        "a=1&sig=REDACTED&Signature=REDACTED&b=2"
    )
    assert attributes.redact_query("plain") == "plain"


def test_no_host_header_uses_the_server_name(
    observer: ServerSpanObserver, exporter: InMemorySpanExporter
) -> None:
    request = fake_request()
    del request.wsgi_environ["HTTP_HOST"]
    run(observer, request)
    [span] = exporter.get_finished_spans()
    attrs = dict(span.attributes or {})
    assert (attrs["server.address"], attrs["server.port"]) == ("localhost", 8080)


def test_a_stale_current_context_is_never_the_parent(
    observer: ServerSpanObserver, tracer: trace.Tracer, exporter: InMemorySpanExporter
) -> None:
    from opentelemetry import context

    stale = tracer.start_span("stale")
    token = context.attach(trace.set_span_in_context(stale))
    try:
        run(observer, fake_request())
        run(observer, fake_request(HTTP_BAGGAGE="k=v"))
    finally:
        context.detach(token)
    for span in exporter.get_finished_spans():
        assert span.parent is None


def test_a_custom_propagator_reads_its_own_headers(
    tracer: trace.Tracer, exporter: InMemorySpanExporter
) -> None:
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    class Renamed(TraceContextTextMapPropagator):
        """W3C trace context under another header name."""

        def extract(self, carrier: Any, context: Any = None, getter: Any = None) -> Any:
            value = getter.get(carrier, "x-parent")
            return super().extract({"traceparent": value[0]} if value else {}, context)

        @property
        def fields(self) -> set[str]:
            return {"x-parent"}

    observer = ServerSpanObserver(tracer, propagator=Renamed())
    run(observer, fake_request(HTTP_X_PARENT=TRACEPARENT))
    run(observer, fake_request(HTTP_TRACEPARENT=TRACEPARENT))
    joined, ignored = exporter.get_finished_spans()
    assert joined.context is not None and joined.parent is not None
    assert format(joined.context.trace_id, "032x") == TRACE_ID
    assert ignored.parent is None


def test_config_keys_are_declared() -> None:
    from cherrypy_otel import plugin
    from cherrypy_otel.switch import DEFAULTS

    declared: dict[str, Any] = {}

    class Checker:
        def declare_namespace(self, name: str, doc: str, **options: Any) -> None:
            declared["namespace"] = (name, options)

        def declare_key(self, namespace: str, key: str, type: Any, default: Any, doc: str) -> None:
            assert doc
            declared[f"{namespace}.{key}"] = default

    plugin.cherrypy_config_keys(Checker())  # type: ignore[arg-type]
    assert declared.pop("namespace") == ("otel", {"scope": "global"})
    assert declared == {f"otel.{key}": value for key, value in DEFAULTS.items()}
    assert declared["otel.on"] is False


class RecordingRatioSampler:
    """A sampler that looks at the start attributes (as a custom sampler may), then defers to
    the SDK's ratio sampler."""

    def __init__(self, rate: float) -> None:
        from opentelemetry.sdk.trace.sampling import TraceIdRatioBased

        self.ratio = TraceIdRatioBased(rate)
        self.seen: list[dict[str, Any]] = []

    def should_sample(self, parent_context: Any, trace_id: int, name: str, *args: Any) -> Any:
        kind = args[0] if args else None
        attributes = args[1] if len(args) > 1 else None
        self.seen.append(dict(attributes or {}))
        return self.ratio.should_sample(parent_context, trace_id, name, kind, attributes)

    def get_description(self) -> str:
        return "RecordingRatioSampler"


def test_a_sampler_sees_the_start_attributes() -> None:
    exporter = InMemorySpanExporter()
    sampler = RecordingRatioSampler(1.0)
    provider = TracerProvider(sampler=sampler)  # type: ignore[arg-type]
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    run(ServerSpanObserver(provider.get_tracer("test")), fake_request())
    assert sampler.seen[0]["url.path"] == "/items/42"
    assert sampler.seen[0]["http.request.method"] == "GET"
    [span] = exporter.get_finished_spans()
    assert span.attributes is not None and span.attributes["server.address"] == "example.org"


def test_a_dropped_span_never_builds_its_start_attributes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The SDK's ratio sampler does not read the attributes: a span it drops costs no
    # attribute building (StartAttributes builds them on first read).
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    built: list[int] = []
    real = attributes.start_attributes

    def counting(*args: Any) -> dict[str, Any]:
        built.append(1)
        return real(*args)

    monkeypatch.setattr(attributes, "start_attributes", counting)
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=ParentBased(TraceIdRatioBased(0.0)))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    observer = ServerSpanObserver(provider.get_tracer("test"))
    request = fake_request()
    state = observer.request_started(request)
    assert trace.get_current_span() is state.span
    assert not state.span.is_recording()
    assert state.span.get_span_context().is_valid  # the trace id still propagates
    observer.request_finished(request, SimpleNamespace(output_status=b"200 OK"), state, None, 0)
    assert built == []
    assert exporter.get_finished_spans() == ()
    mapping = attributes.StartAttributes(request.wsgi_environ, {"http.request.method": "GET"}, True)
    assert dict(mapping)["url.path"] == "/items/42" and len(mapping) == len(dict(mapping.items()))
    assert built == [1]
