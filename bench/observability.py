"""What metrics, tracing and JSON logs cost: the same hello world, four ways, in one run.

    python bench/observability.py [--seconds 5] [--repeats 3] [--rounds 3] [--connections 8]

Each variant runs the same application in its own server process pinned to CPU 0, with wrk on
CPU 1 (Debian packages ``wrk`` and ``util-linux``); the variants are interleaved ``--rounds``
times so a busy machine slows all of them alike.  Reported: the median server CPU time per
request (utime + stime from /proc over requests served) and its ratio to the plain variant:

- ``plain``: the app with CherryPy's text access log written to a file (a production set-up);
- ``metrics``: the same plus ``metrics.on`` (cherrypy-metrics);
- ``json``: ``log.format = "json"`` instead of the text access log;
- ``otel``: tracing alone (cherrypy-otel with the SDK's tracer provider, a batch span
  processor whose exporter drops the spans, every request recorded);
- ``all``: metrics, tracing and JSON logs, tracing as a production site sets it up: the SDK's
  ``ParentBased(TraceIdRatioBased(0.1))`` sampler (10% of new traces recorded, a caller's
  decision followed), batch processor;
- ``all-every``: the same with every request recorded (the SDK's default sampler);
- ``sdk``: the floor under ``otel``: a request observer that only makes the OpenTelemetry
  SDK calls a SERVER span needs (start with eight attributes, attach, end, detach; three more
  attributes and a new name on a recorded span), same sampler and processor as ``all``,
  no request id.

Issue 22's bounds: metrics alone <= 1.10, all three <= 1.20.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from http_server import free_port, measure_server  # noqa: E402

VARIANTS = ("plain", "metrics", "json", "otel", "sdk", "all", "all-every")

APP = r"""
import sys

import cherrypy

variant, port, log_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]


class Root:
    @cherrypy.expose
    def index(self):
        return "Hello World!"


config = {
    "server.socket_port": port,
    "environment": "production",
    "log.screen": False,
    "log.access_file": f"{log_dir}/access-{variant}.log",
    "log.error_file": f"{log_dir}/error-{variant}.log",
}
if variant in ("metrics", "all", "all-every"):
    config["metrics.on"] = True
if variant in ("json", "all", "all-every"):
    config["log.format"] = "json"
if variant in ("otel", "all", "all-every"):
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    class Drop(SpanExporter):
        def export(self, spans):
            return SpanExportResult.SUCCESS

    if variant == "all":
        provider = TracerProvider(sampler=ParentBased(TraceIdRatioBased(0.1)))
    else:
        provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(Drop()))
    trace.set_tracer_provider(provider)
    config["otel.on"] = True
if variant == "sdk":
    from opentelemetry import context, trace
    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
    from opentelemetry.trace import SpanKind

    from cherrypy.plugin import add_request_observer

    class Drop(SpanExporter):
        def export(self, spans):
            return SpanExportResult.SUCCESS

    provider = TracerProvider(sampler=ParentBased(TraceIdRatioBased(0.1)))
    provider.add_span_processor(BatchSpanProcessor(Drop()))
    tracer = provider.get_tracer("floor")
    empty = Context()

    class SdkOnly:
        def request_started(self, request):
            env = request.wsgi_environ
            attributes = {
                "http.request.method": env["REQUEST_METHOD"],
                "url.scheme": env["wsgi.url_scheme"],
                "url.path": env["PATH_INFO"],
                "server.address": env["SERVER_NAME"],
                "server.port": 8080,
                "network.protocol.version": "1.1",
                "client.address": env["REMOTE_ADDR"],
                "user_agent.original": env.get("HTTP_USER_AGENT", ""),
            }
            span = tracer.start_span(
                "GET", context=empty, kind=SpanKind.SERVER, attributes=attributes
            )
            return span, context.attach(trace.set_span_in_context(span, empty))

        def request_finished(self, request, response, state, error, body_bytes):
            span, token = state
            if span.is_recording():
                span.update_name("GET /")
                span.set_attributes(
                    {"http.route": "/", "http.response.status_code": 200, "cherrypy.request.id": "x"}
                )
            span.end()
            context.detach(token)

    add_request_observer(SdkOnly())
cherrypy.config.update(config)
cherrypy.quickstart(Root())
"""


def bench_variant(variant: str, log_dir: str, args: argparse.Namespace) -> dict[str, float]:
    port = free_port()
    proc = subprocess.Popen(
        ["taskset", "-c", "0", sys.executable, "-c", APP, variant, str(port), log_dir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        return measure_server(proc, port, "/", args.connections, args.seconds, args.repeats)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    per_variant: dict[str, list[dict[str, float]]] = {variant: [] for variant in VARIANTS}
    with tempfile.TemporaryDirectory() as log_dir:
        for _ in range(args.rounds):
            for variant in VARIANTS:
                per_variant[variant].append(bench_variant(variant, log_dir, args))
        json_lines = Path(log_dir, "access-json.log").read_text().splitlines()
    summary = {}
    for variant, results in per_variant.items():
        summary[variant] = {
            key: statistics.median(result[key] for result in results) for key in results[0]
        }
    plain = summary["plain"]["cpu_us_per_req"]
    for values in summary.values():
        values["ratio"] = values["cpu_us_per_req"] / plain
    if args.json:
        print(json.dumps(summary, indent=2))
        return
    print(f"hello world, wrk -c{args.connections}, {args.rounds} rounds x {args.repeats} runs")
    print("| variant | server CPU per request | ratio to plain | req/s | p99 |")
    print("|---|---|---|---|---|")
    for variant, values in summary.items():
        print(
            f"| {variant} | {values['cpu_us_per_req']:.1f} us | {values['ratio']:.3f} "
            f"| {values['rps']:.0f} | {values['p99_ms']:.2f} ms |"
        )
    if json_lines:
        json.loads(json_lines[-1])  # the JSON access log really is JSON
    print(f"(json access log lines checked: {len(json_lines)})", file=sys.stderr)


if __name__ == "__main__":
    main()
