"""The examples of ``docs/otel.md`` run as written.

The examples that set the global tracer provider (which OpenTelemetry allows once per process)
run in a fresh interpreter each; the testing recipe runs here.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import cherrypy
from cherrypy.testing import reset

DOCS_PAGE = Path(__file__).resolve().parents[3] / "docs" / "otel.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOCS_PAGE.read_text(encoding="utf-8"), re.DOTALL)
TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
TRACEPARENT = f"00-{TRACE_ID}-b7ad6b7169203331-01"


def block(marker: str) -> str:
    [found] = [source for source in BLOCKS if marker in source]
    return found


def run_script(tmp_path: Path, example: str, driver: str) -> str:
    """Run ``driver`` in a fresh interpreter; ``EXAMPLE`` there is the example's path."""
    (tmp_path / "example.py").write_text(example)
    script = tmp_path / "driver.py"
    script.write_text(f"EXAMPLE = {str(tmp_path / 'example.py')!r}\n" + textwrap.dedent(driver))
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_console_exporter_example(tmp_path: Path) -> None:
    driver = f"""
    import runpy

    import requests

    import cherrypy
    from cherrypy.testing import serve


    def quickstart(root, script_name="", config=None):
        cherrypy.tree.mount(root, script_name, config)
        with serve() as base:
            answer = requests.get(base + "/", headers={{"traceparent": {TRACEPARENT!r}}})
        print("ANSWER", answer.status_code, answer.text)


    cherrypy.quickstart = quickstart
    cherrypy.config.update({{"log.screen": False}})
    namespace = runpy.run_path(EXAMPLE)
    namespace["provider"].shutdown()  # flushes the batch processor
    """
    out = run_script(tmp_path, block("ConsoleSpanExporter()"), driver)
    assert "ANSWER 200 Hello!" in out
    exported = json.loads(out[out.index("{") : out.rindex("}") + 1])
    assert exported["name"] == "GET /"
    assert exported["kind"] == "SpanKind.SERVER"
    assert exported["context"]["trace_id"] == "0x" + TRACE_ID
    assert exported["attributes"]["http.route"] == "/"
    assert exported["resource"]["attributes"]["service.name"] == "shop"


def test_the_otlp_example_compiles() -> None:
    # opentelemetry-exporter-otlp is not a dependency: the example is only compiled.
    compile(block("OTLPSpanExporter()"), "docs/otel.md", "exec")


def test_the_handler_example(tmp_path: Path) -> None:
    driver = f"""
    import json
    import runpy

    import requests
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    import cherrypy
    from cherrypy.testing import serve

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    cherrypy.config.update({{"otel.on": True, "log.screen": False}})

    namespace = runpy.run_path(EXAMPLE)
    cherrypy.tree.mount(namespace["Shop"](), "/shop")
    with serve() as base:
        answer = requests.get(
            base + "/shop/checkout?cart_id=7", headers={{"traceparent": {TRACEPARENT!r}}}
        )
    spans = {{span.name: span for span in exporter.get_finished_spans()}}
    server, cart = spans["GET /shop/checkout"], spans["load cart"]
    print(json.dumps({{
        "answer": answer.text,
        "trace_id": format(server.context.trace_id, "032x"),
        "cart_parent": cart.parent.span_id == server.context.span_id,
        "cart_id": cart.attributes["shop.cart_id"],
        "items": server.attributes["shop.items"],
    }}))
    """
    out = json.loads(run_script(tmp_path, block("class Shop"), driver))
    assert out == {
        "answer": "ok",
        "trace_id": TRACE_ID,
        "cart_parent": True,
        "cart_id": "7",
        "items": 3,
    }


@pytest.fixture
def clean() -> Iterator[None]:
    reset()
    yield
    cherrypy.config.update({"otel.on": False, "otel.tracer_provider": None})
    reset()


def test_the_testing_recipe(clean: None) -> None:
    exec(compile(block("InMemorySpanExporter()"), "docs/otel.md", "exec"), {})


def test_the_sampler_example() -> None:
    namespace: dict[str, object] = {}
    exec(compile(block("TraceIdRatioBased(0.1)"), "docs/otel.md", "exec"), namespace)
    assert "TraceIdRatioBased" in namespace["provider"].sampler.get_description()  # type: ignore[attr-defined]
